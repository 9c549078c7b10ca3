//! File formats on blob stores, read and written row by row: DelimitedText and Json, in their
//! encodings, compressed or not. Rows stream: a reader decompresses, decodes and parses each
//! downloaded chunk as it arrives, a writer encodes, compresses and stages blocks as rows come,
//! so neither ever holds a whole file.
//!
//! Sources (Microsoft Learn, Azure Data Factory):
//! - "Delimited text format" (format-delimited-text): `columnDelimiter` (default `,`; empty or
//!   multi-character only in data flows, "not Copy activity"), `rowDelimiter` (default any of
//!   `\r\n`, `\r`, `\n` on read, `\r\n` on write by Copy), `quoteChar` (default `"`; empty: no
//!   quoting, `escapeChar` escapes the delimiter and itself), `escapeChar` (default `\`; empty
//!   only with an empty `quoteChar`), `firstRowAsHeader` (default false), `nullValue` (default
//!   empty), `encodingName`, `compressionCodec` (Copy: no snappy, no lz4), `skipLineCount`
//!   ("non-empty rows to skip", before the header);
//! - "JSON format" (format-json): `encodingName`, `compression.type`/`level`; files hold a
//!   single object, JSON Lines, concatenated objects, or an array of objects; the sink's
//!   `filePattern` is `setOfObjects` (JSON Lines, the default) or `arrayOfObjects`;
//! - "Schema and type mapping in copy activity": without a schema, a text file without header
//!   has no column names (the emulator names them `Prop_0`, `Prop_1`..., as ADF's Lookup output
//!   and mapping UI do); every value of a delimited file is a string (no type inference).

use crate::runtime::blob::{BlobClient, BlobError, block_id};
use crate::runtime::context::ActivityError;
use crate::runtime::datasets::{
    BlobLocation, StoreSettings, flag, not_supported, select_blobs, text,
};
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::io::Write as _;

/// One row: column (or property) names to values, in file order.
pub(crate) type Row = Map<String, Value>;

fn user(message: impl Into<String>) -> ActivityError {
    ActivityError::user("2200", message)
}

/// A format error of a source file, in the shape of ADF's copy errors.
fn source_format_error(code: &str, message: impl std::fmt::Display) -> ActivityError {
    user(format!(
        "Failure happened on 'Source' side. ErrorCode={code},'Type=Microsoft.DataTransfer.Common.Shared.HybridDeliveryException,Message={message},Source=Microsoft.DataTransfer.Common,'"
    ))
}

// ---------------------------------------------------------------------------------------------
// Compression

/// A compression codec the emulator reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    None,
    Gzip,
    /// Raw deflate (.NET's `DeflateStream`, which ADF's `deflate` is).
    Deflate,
}

/// The codec and level of a dataset: `compressionCodec`/`compressionLevel` (DelimitedText) or
/// `compression: {type, level}` (Json, Binary, ...).
fn compression(settings: &Value) -> Result<(Codec, bool), ActivityError> {
    let codec = match text(settings.get("compressionCodec")) {
        c if c.is_empty() => text(settings.pointer("/compression/type")),
        c => c,
    };
    let level = match text(settings.get("compressionLevel")) {
        l if l.is_empty() => text(settings.pointer("/compression/level")),
        l => l,
    };
    let fastest = level.eq_ignore_ascii_case("Fastest");
    let codec = match codec.to_ascii_lowercase().as_str() {
        "" | "none" => Codec::None,
        "gzip" => Codec::Gzip,
        "deflate" => Codec::Deflate,
        "snappy" | "lz4" => {
            // The format pages: "currently Copy activity doesn't support snappy & lz4".
            return Err(user(format!(
                "The compression codec '{codec}' is not supported by the Copy activity."
            )));
        }
        _ => {
            return Err(not_supported(format_args!(
                "the compression codec {codec} (gzip and deflate are)"
            )));
        }
    };
    Ok((codec, fastest))
}

/// Decompresses a stream pushed chunk by chunk.
enum Inflater {
    Plain,
    Gzip(flate2::write::MultiGzDecoder<Vec<u8>>),
    Deflate(flate2::write::DeflateDecoder<Vec<u8>>),
}

impl Inflater {
    fn new(codec: Codec) -> Self {
        match codec {
            Codec::None => Inflater::Plain,
            Codec::Gzip => Inflater::Gzip(flate2::write::MultiGzDecoder::new(Vec::new())),
            Codec::Deflate => Inflater::Deflate(flate2::write::DeflateDecoder::new(Vec::new())),
        }
    }

    /// The decompressed bytes of `data` available so far.
    fn push(&mut self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Inflater::Plain => Ok(data.to_vec()),
            Inflater::Gzip(decoder) => {
                decoder.write_all(data)?;
                Ok(std::mem::take(decoder.get_mut()))
            }
            Inflater::Deflate(decoder) => {
                decoder.write_all(data)?;
                Ok(std::mem::take(decoder.get_mut()))
            }
        }
    }

    /// The rest, at the end of the stream (fails on a truncated one).
    fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            Inflater::Plain => Ok(Vec::new()),
            Inflater::Gzip(decoder) => decoder.finish(),
            Inflater::Deflate(decoder) => decoder.finish(),
        }
    }
}

/// Compresses a stream pushed chunk by chunk.
enum Deflater {
    Plain,
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Deflate(flate2::write::DeflateEncoder<Vec<u8>>),
}

impl Deflater {
    fn new(codec: Codec, fastest: bool) -> Self {
        let level = if fastest {
            flate2::Compression::fast()
        } else {
            flate2::Compression::default()
        };
        match codec {
            Codec::None => Deflater::Plain,
            Codec::Gzip => Deflater::Gzip(flate2::write::GzEncoder::new(Vec::new(), level)),
            Codec::Deflate => {
                Deflater::Deflate(flate2::write::DeflateEncoder::new(Vec::new(), level))
            }
        }
    }

    fn push(&mut self, data: &[u8], out: &mut Vec<u8>) -> std::io::Result<()> {
        match self {
            Deflater::Plain => out.extend_from_slice(data),
            Deflater::Gzip(encoder) => {
                encoder.write_all(data)?;
                out.append(encoder.get_mut());
            }
            Deflater::Deflate(encoder) => {
                encoder.write_all(data)?;
                out.append(encoder.get_mut());
            }
        }
        Ok(())
    }

    fn finish(self, out: &mut Vec<u8>) -> std::io::Result<()> {
        match self {
            Deflater::Plain => {}
            Deflater::Gzip(encoder) => out.append(&mut encoder.finish()?),
            Deflater::Deflate(encoder) => out.append(&mut encoder.finish()?),
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Encodings

/// A text encoding the emulator reads and writes (of the list ADF accepts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Utf32Le,
    Utf32Be,
    Ascii,
    Latin1,
    Windows1252,
}

/// `encodingName` (default UTF-8). The other names ADF accepts (BIG5, SHIFT-JIS, IBM code
/// pages, ...) fail as not supported by the emulator.
fn encoding(settings: &Value) -> Result<Encoding, ActivityError> {
    let name = text(settings.get("encodingName"));
    Ok(
        match name.trim().to_ascii_uppercase().replace('_', "-").as_str() {
            "" | "UTF-8" | "UTF8" | "UTF-8 WITHOUT BOM" => Encoding::Utf8,
            "UTF-16" | "UTF-16LE" | "UNICODE" => Encoding::Utf16Le,
            "UTF-16BE" => Encoding::Utf16Be,
            "UTF-32" | "UTF-32LE" => Encoding::Utf32Le,
            "UTF-32BE" => Encoding::Utf32Be,
            "US-ASCII" | "ASCII" => Encoding::Ascii,
            "ISO-8859-1" | "LATIN1" => Encoding::Latin1,
            "WINDOWS-1252" | "CP1252" => Encoding::Windows1252,
            _ => {
                return Err(not_supported(format_args!(
                    "encodingName {name} (UNVERIFIED how ADF decodes it; the emulator reads and writes UTF-8, UTF-16, UTF-16BE, UTF-32, UTF-32BE, US-ASCII, ISO-8859-1 and WINDOWS-1252)"
                )));
            }
        },
    )
}

/// Windows-1252's characters at 0x80..=0x9F (where it differs from ISO-8859-1); undefined
/// positions decode as the C1 control of the same code, as .NET does.
const WINDOWS_1252: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

/// Decodes a byte stream pushed chunk by chunk, keeping incomplete characters for the next
/// chunk. A byte-order mark at the start is removed, and names the encoding when it is a
/// Unicode one ("the default value is UTF-8, unless BOM denotes another Unicode encoding").
struct Decoder {
    encoding: Encoding,
    carry: Vec<u8>,
    started: bool,
}

impl Decoder {
    fn new(encoding: Encoding) -> Self {
        Decoder {
            encoding,
            carry: Vec::new(),
            started: false,
        }
    }

    fn push(&mut self, bytes: &[u8], last: bool, out: &mut String) {
        self.carry.extend_from_slice(bytes);
        if !self.started {
            if self.carry.len() < 4 && !last {
                return;
            }
            self.started = true;
            let boms: [(&[u8], Encoding); 5] = [
                (&[0xEF, 0xBB, 0xBF], Encoding::Utf8),
                (&[0xFF, 0xFE, 0, 0], Encoding::Utf32Le),
                (&[0, 0, 0xFE, 0xFF], Encoding::Utf32Be),
                (&[0xFF, 0xFE], Encoding::Utf16Le),
                (&[0xFE, 0xFF], Encoding::Utf16Be),
            ];
            for (bom, encoding) in boms {
                if self.carry.starts_with(bom) {
                    self.encoding = encoding;
                    self.carry.drain(..bom.len());
                    break;
                }
            }
        }
        let data = std::mem::take(&mut self.carry);
        let used = match self.encoding {
            Encoding::Utf8 => decode_utf8(&data, last, out),
            Encoding::Utf16Le | Encoding::Utf16Be => {
                decode_utf16(&data, self.encoding == Encoding::Utf16Be, last, out)
            }
            Encoding::Utf32Le | Encoding::Utf32Be => {
                let big = self.encoding == Encoding::Utf32Be;
                let whole = data.len() / 4 * 4;
                for unit in data[..whole].chunks_exact(4) {
                    let bytes = [unit[0], unit[1], unit[2], unit[3]];
                    let code = if big {
                        u32::from_be_bytes(bytes)
                    } else {
                        u32::from_le_bytes(bytes)
                    };
                    out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                }
                if last && whole < data.len() {
                    out.push(char::REPLACEMENT_CHARACTER);
                    data.len()
                } else {
                    whole
                }
            }
            Encoding::Ascii => {
                out.extend(data.iter().map(|&b| if b < 0x80 { b as char } else { '?' }));
                data.len()
            }
            Encoding::Latin1 => {
                out.extend(data.iter().map(|&b| b as char));
                data.len()
            }
            Encoding::Windows1252 => {
                out.extend(data.iter().map(|&b| match b {
                    0x80..=0x9F => WINDOWS_1252[usize::from(b - 0x80)],
                    _ => b as char,
                }));
                data.len()
            }
        };
        self.carry = data[used..].to_vec();
    }
}

/// Decodes UTF-8, invalid sequences as U+FFFD; returns how many bytes were used (an
/// incomplete character at the end waits for more, unless `last`).
fn decode_utf8(data: &[u8], last: bool, out: &mut String) -> usize {
    let mut rest = data;
    loop {
        match std::str::from_utf8(rest) {
            Ok(text) => {
                out.push_str(text);
                return data.len();
            }
            Err(error) => {
                let valid = error.valid_up_to();
                out.push_str(std::str::from_utf8(&rest[..valid]).unwrap_or_default());
                match error.error_len() {
                    Some(bad) => {
                        out.push(char::REPLACEMENT_CHARACTER);
                        rest = &rest[valid + bad..];
                    }
                    None if last => {
                        out.push(char::REPLACEMENT_CHARACTER);
                        return data.len();
                    }
                    None => return data.len() - (rest.len() - valid),
                }
            }
        }
    }
}

fn decode_utf16(data: &[u8], big: bool, last: bool, out: &mut String) -> usize {
    let mut units: Vec<u16> = data
        .chunks_exact(2)
        .map(|pair| {
            if big {
                u16::from_be_bytes([pair[0], pair[1]])
            } else {
                u16::from_le_bytes([pair[0], pair[1]])
            }
        })
        .collect();
    let mut used = units.len() * 2;
    // A high surrogate at the end waits for its pair.
    if !last && units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
        units.pop();
        used -= 2;
    }
    out.extend(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)));
    if last && used < data.len() {
        out.push(char::REPLACEMENT_CHARACTER);
        return data.len();
    }
    used
}

/// Encodes text; characters the encoding lacks become `?` (as .NET's encoders do).
fn encode(encoding: Encoding, text: &str, out: &mut Vec<u8>) {
    match encoding {
        Encoding::Utf8 => out.extend_from_slice(text.as_bytes()),
        Encoding::Utf16Le | Encoding::Utf16Be => {
            for unit in text.encode_utf16() {
                if encoding == Encoding::Utf16Be {
                    out.extend_from_slice(&unit.to_be_bytes());
                } else {
                    out.extend_from_slice(&unit.to_le_bytes());
                }
            }
        }
        Encoding::Utf32Le | Encoding::Utf32Be => {
            for c in text.chars() {
                if encoding == Encoding::Utf32Be {
                    out.extend_from_slice(&u32::from(c).to_be_bytes());
                } else {
                    out.extend_from_slice(&u32::from(c).to_le_bytes());
                }
            }
        }
        Encoding::Ascii => out.extend(
            text.chars()
                .map(|c| if c.is_ascii() { c as u8 } else { b'?' }),
        ),
        Encoding::Latin1 => out.extend(text.chars().map(|c| u8::try_from(c).unwrap_or(b'?'))),
        Encoding::Windows1252 => out.extend(text.chars().map(|c| {
            if let Some(index) = WINDOWS_1252.iter().position(|&w| w == c) {
                0x80 + index as u8
            } else {
                match u8::try_from(c) {
                    Ok(b) if !(0x80..=0x9F).contains(&b) => b,
                    _ => b'?',
                }
            }
        })),
    }
}

// ---------------------------------------------------------------------------------------------
// Delimited text

/// How rows end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowDelimiter {
    /// The default: any of `\r\n`, `\r`, `\n` on read; `\r\n` on write.
    Any,
    Char(char),
    CrLf,
}

/// A DelimitedText dataset's settings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TextFormat {
    pub column: char,
    pub row: RowDelimiter,
    pub quote: Option<char>,
    pub escape: Option<char>,
    pub header: bool,
    pub null_value: String,
}

/// A one-character property: absent or null → `default`; empty → none; longer → an error.
fn one_char(
    settings: &Value,
    key: &str,
    default: Option<char>,
) -> Result<Option<char>, ActivityError> {
    match settings.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(value) => {
            let value = text(Some(value));
            let mut chars = value.chars();
            match (chars.next(), chars.next()) {
                (None, _) => Ok(None),
                (Some(c), None) => Ok(Some(c)),
                _ => Err(user(format!(
                    "The {key} '{value}' is not a single character; the Copy activity supports single-character {key}s only."
                ))),
            }
        }
    }
}

impl TextFormat {
    /// From a DelimitedText dataset's evaluated `typeProperties`.
    pub fn read(settings: &Value) -> Result<Self, ActivityError> {
        let column = match one_char(settings, "columnDelimiter", Some(','))? {
            Some(c) => c,
            None => {
                // "column delimiter as empty string ... is only supported for mapping data
                // flow but not Copy activity" (the format page).
                return Err(user(
                    "The columnDelimiter is empty; the Copy activity requires a column delimiter (an empty one is supported by mapping data flows only).",
                ));
            }
        };
        let row = match settings.get("rowDelimiter") {
            None | Some(Value::Null) => RowDelimiter::Any,
            Some(value) => match text(Some(value)).as_str() {
                "\r\n" => RowDelimiter::CrLf,
                "" => {
                    return Err(user(
                        "The rowDelimiter is empty; the Copy activity requires a row delimiter (an empty one is supported by mapping data flows only).",
                    ));
                }
                other => {
                    let mut chars = other.chars();
                    match (chars.next(), chars.next()) {
                        (Some(c), None) => RowDelimiter::Char(c),
                        _ => {
                            return Err(user(format!(
                                "The rowDelimiter '{}' is neither a single character nor \"\\r\\n\".",
                                other.escape_debug()
                            )));
                        }
                    }
                }
            },
        };
        let quote = one_char(settings, "quoteChar", Some('"'))?;
        let escape = one_char(settings, "escapeChar", Some('\\'))?;
        if escape.is_none() && quote.is_some() {
            // "when escapeChar is defined as empty string, the quoteChar must be set as empty
            // string as well" (the format page; UNVERIFIED wording).
            return Err(user(
                "The escapeChar is empty but the quoteChar is not; for the Copy activity an empty escapeChar requires an empty quoteChar.",
            ));
        }
        Ok(TextFormat {
            column,
            row,
            quote,
            escape,
            header: flag(settings.get("firstRowAsHeader")).unwrap_or(false),
            null_value: text(settings.get("nullValue")),
        })
    }

    /// Writes one record (values in order; `None` is null) followed by the row delimiter.
    pub fn write_record<'a>(
        &self,
        values: impl Iterator<Item = Option<&'a str>>,
        quote_all: bool,
        out: &mut String,
    ) {
        for (index, value) in values.enumerate() {
            if index > 0 {
                out.push(self.column);
            }
            match value {
                None => out.push_str(&self.null_value),
                Some(value) => self.write_field(value, quote_all, out),
            }
        }
        match self.row {
            RowDelimiter::Any | RowDelimiter::CrLf => out.push_str("\r\n"),
            RowDelimiter::Char(c) => out.push(c),
        }
    }

    fn write_field(&self, value: &str, quote_all: bool, out: &mut String) {
        let row_char = |c: char| match self.row {
            RowDelimiter::Char(d) => c == d,
            _ => c == '\r' || c == '\n',
        };
        let special = |c: char| {
            c == self.column
                || Some(c) == self.quote
                || Some(c) == self.escape
                || row_char(c)
                || c == '\r'
                || c == '\n'
        };
        match self.quote {
            Some(quote) => {
                // An empty string is quoted, so that it reads back as "" and not as null.
                let needs = quote_all
                    || value.chars().any(special)
                    || (value.is_empty() && self.null_value.is_empty());
                if !needs {
                    out.push_str(value);
                    return;
                }
                let escape = self.escape.unwrap_or(quote);
                out.push(quote);
                for c in value.chars() {
                    if c == quote || c == escape {
                        out.push(escape);
                    }
                    out.push(c);
                }
                out.push(quote);
            }
            None => {
                for c in value.chars() {
                    if special(c)
                        && let Some(escape) = self.escape
                    {
                        out.push(escape);
                    }
                    out.push(c);
                }
            }
        }
    }
}

/// One parsed field: its text and whether it was quoted (a quoted empty field is an empty
/// string, an unquoted one equal to `nullValue` is null).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    pub text: String,
    pub quoted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field.
    Start,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: the end of the field, or (when the escape character is
    /// the quote) the first half of a doubled quote.
    QuoteInQuoted,
    EscapeQuoted,
    EscapeUnquoted,
    /// After the closing quote.
    Closed,
}

/// A push parser of delimited text: feed it text as it is decoded, take complete records.
/// Empty lines are skipped (ADF counts "non-empty rows").
pub(crate) struct CsvParser {
    format: TextFormat,
    state: State,
    field: String,
    quoted: bool,
    fields: Vec<Field>,
    /// A `\r` outside quotes with the `\r\n` row delimiter, waiting for its `\n`.
    pending_cr: bool,
    /// A row just ended at a `\r` (default delimiters): a `\n` right after belongs to it.
    after_cr_row: bool,
}

impl CsvParser {
    pub fn new(format: TextFormat) -> Self {
        CsvParser {
            format,
            state: State::Start,
            field: String::new(),
            quoted: false,
            fields: Vec::new(),
            pending_cr: false,
            after_cr_row: false,
        }
    }

    pub fn push(&mut self, text: &str, out: &mut Vec<Vec<Field>>) {
        for c in text.chars() {
            self.char(c, out);
        }
    }

    /// The end of the input: the last record, if it has no row delimiter.
    pub fn finish(&mut self, out: &mut Vec<Vec<Field>>) {
        if std::mem::take(&mut self.pending_cr) {
            self.field.push('\r');
            self.state = State::Unquoted;
        }
        if self.state != State::Start || !self.fields.is_empty() || !self.field.is_empty() {
            self.end_row(out);
        }
    }

    fn char(&mut self, c: char, out: &mut Vec<Vec<Field>>) {
        if std::mem::take(&mut self.after_cr_row) && c == '\n' {
            return;
        }
        if std::mem::take(&mut self.pending_cr) {
            if c == '\n' {
                self.end_row(out);
                return;
            }
            self.field.push('\r');
            self.state = State::Unquoted;
        }
        let quote = self.format.quote;
        let escape = self.format.escape;
        match self.state {
            State::Quoted => {
                if Some(c) == escape && escape != quote {
                    self.state = State::EscapeQuoted;
                } else if Some(c) == quote {
                    self.state = State::QuoteInQuoted;
                } else {
                    self.field.push(c);
                }
            }
            State::QuoteInQuoted => {
                if Some(c) == quote && escape == quote {
                    self.field.push(c);
                    self.state = State::Quoted;
                } else {
                    self.state = State::Closed;
                    self.outside(c, out);
                }
            }
            State::EscapeQuoted => {
                self.field.push(c);
                self.state = State::Quoted;
            }
            State::EscapeUnquoted => {
                self.field.push(c);
                self.state = State::Unquoted;
            }
            State::Start | State::Unquoted | State::Closed => self.outside(c, out),
        }
    }

    fn outside(&mut self, c: char, out: &mut Vec<Vec<Field>>) {
        if c == self.format.column {
            self.end_field();
            return;
        }
        match self.format.row {
            RowDelimiter::Any if c == '\n' => return self.end_row(out),
            RowDelimiter::Any if c == '\r' => {
                self.end_row(out);
                self.after_cr_row = true;
                return;
            }
            RowDelimiter::Char(d) if c == d => return self.end_row(out),
            RowDelimiter::CrLf if c == '\r' => {
                self.pending_cr = true;
                return;
            }
            _ => {}
        }
        if self.state == State::Start && Some(c) == self.format.quote {
            self.state = State::Quoted;
            self.quoted = true;
            return;
        }
        if Some(c) == self.format.escape && self.format.escape != self.format.quote {
            self.state = State::EscapeUnquoted;
            return;
        }
        self.field.push(c);
        self.state = State::Unquoted;
    }

    fn end_field(&mut self) {
        self.fields.push(Field {
            text: std::mem::take(&mut self.field),
            quoted: std::mem::take(&mut self.quoted),
        });
        self.state = State::Start;
    }

    fn end_row(&mut self, out: &mut Vec<Vec<Field>>) {
        let blank = self.state == State::Start
            && self.fields.is_empty()
            && self.field.is_empty()
            && !self.quoted;
        if !blank {
            self.end_field();
            out.push(std::mem::take(&mut self.fields));
        }
        self.state = State::Start;
    }
}

// ---------------------------------------------------------------------------------------------
// JSON documents

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonMode {
    /// Nothing but whitespace seen yet.
    Unknown,
    /// Top-level values one after the other (one object, JSON Lines, concatenated objects).
    Values,
    /// Inside a top-level array: its elements are the documents.
    Array,
    /// After the top-level array's `]`.
    Done,
}

/// Splits a JSON text pushed chunk by chunk into its documents (ADF's "JSON file patterns":
/// a single object, JSON Lines, concatenated objects, or an array of objects), holding one
/// document at a time.
pub(crate) struct JsonSplitter {
    mode: JsonMode,
    depth: usize,
    in_string: bool,
    escaped: bool,
    buffer: String,
}

impl JsonSplitter {
    pub fn new() -> Self {
        JsonSplitter {
            mode: JsonMode::Unknown,
            depth: 0,
            in_string: false,
            escaped: false,
            buffer: String::new(),
        }
    }

    pub fn push(&mut self, text: &str, out: &mut Vec<Value>) -> Result<(), String> {
        for c in text.chars() {
            self.char(c, out)?;
        }
        Ok(())
    }

    pub fn finish(&mut self, out: &mut Vec<Value>) -> Result<(), String> {
        match self.mode {
            JsonMode::Array => Err("the top-level array is not closed".into()),
            _ if !self.buffer.trim().is_empty() => {
                if self.depth > 0 || self.in_string {
                    return Err("the last document is not complete".into());
                }
                let document = std::mem::take(&mut self.buffer);
                out.push(parse_document(&document)?);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn char(&mut self, c: char, out: &mut Vec<Value>) -> Result<(), String> {
        if self.mode == JsonMode::Unknown {
            if c.is_whitespace() || c == '\u{feff}' {
                return Ok(());
            }
            if c == '[' {
                self.mode = JsonMode::Array;
                return Ok(());
            }
            self.mode = JsonMode::Values;
        }
        if self.mode == JsonMode::Done {
            return if c.is_whitespace() {
                Ok(())
            } else {
                Err(format!("unexpected '{c}' after the top-level array"))
            };
        }
        if self.in_string {
            self.buffer.push(c);
            if self.escaped {
                self.escaped = false;
            } else if c == '\\' {
                self.escaped = true;
            } else if c == '"' {
                self.in_string = false;
            }
            return Ok(());
        }
        let at_top = self.depth == 0;
        match c {
            '"' => self.in_string = true,
            '{' | '[' => self.depth += 1,
            '}' | ']' if self.depth > 0 => self.depth -= 1,
            _ => {}
        }
        match self.mode {
            JsonMode::Values => {
                if at_top && c.is_whitespace() {
                    // Between documents, or after a scalar document (an error, reported by
                    // the parse).
                    if !self.buffer.is_empty() {
                        let document = std::mem::take(&mut self.buffer);
                        out.push(parse_document(&document)?);
                    }
                    return Ok(());
                }
                self.buffer.push(c);
                if self.depth == 0 && matches!(c, '}' | ']') {
                    let document = std::mem::take(&mut self.buffer);
                    out.push(parse_document(&document)?);
                }
            }
            JsonMode::Array => {
                if at_top && (c == ',' || c == ']') {
                    let document = std::mem::take(&mut self.buffer);
                    if !document.trim().is_empty() {
                        out.push(parse_document(&document)?);
                    } else if c == ',' {
                        return Err("an empty element in the top-level array".into());
                    }
                    if c == ']' {
                        self.mode = JsonMode::Done;
                    }
                    return Ok(());
                }
                if at_top && c == '}' {
                    return Err("unexpected '}'".into());
                }
                if !(self.buffer.is_empty() && c.is_whitespace()) {
                    self.buffer.push(c);
                }
            }
            JsonMode::Unknown | JsonMode::Done => {}
        }
        Ok(())
    }
}

fn parse_document(text: &str) -> Result<Value, String> {
    serde_json::from_str(text.trim()).map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------------
// Datasets' formats

/// How a file's content is structured.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Layout {
    Text(TextFormat),
    Json,
}

/// A DelimitedText or Json dataset's format: layout, encoding, compression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FileFormat {
    pub layout: Layout,
    pub encoding: Encoding,
    pub codec: Codec,
    pub fastest: bool,
}

impl FileFormat {
    /// The format of a DelimitedText or Json dataset on a blob location.
    pub fn of(location: &BlobLocation) -> Result<Self, ActivityError> {
        let settings = &location.settings;
        let layout = match location.format.as_str() {
            "DelimitedText" => Layout::Text(TextFormat::read(settings)?),
            "Json" => Layout::Json,
            other => {
                return Err(not_supported(format_args!(
                    "reading rows of a {other} dataset (DelimitedText and Json are supported)"
                )));
            }
        };
        let (codec, fastest) = compression(settings)?;
        Ok(FileFormat {
            layout,
            encoding: encoding(settings)?,
            codec,
            fastest,
        })
    }
}

enum Parser {
    Text(CsvParser),
    Json(JsonSplitter),
}

/// Reads the rows of one blob as they download.
pub(crate) struct FileReader {
    response: reqwest::Response,
    inflater: Option<Inflater>,
    decoder: Decoder,
    parser: Parser,
    text_format: Option<TextFormat>,
    rows: VecDeque<Row>,
    /// The header's names, once read (DelimitedText with `firstRowAsHeader`).
    header: Option<Vec<String>>,
    /// The column count of the first record, for "more columns than expected".
    expected_columns: Option<usize>,
    /// Non-empty lines still to skip (`skipLineCount`).
    skip: usize,
    record: u64,
    ended: bool,
    /// `container/blob`, for messages.
    path: String,
    /// Bytes downloaded (compressed).
    pub bytes: u64,
}

impl FileReader {
    /// Starts reading a blob; `skip_lines` is the source's `skipLineCount` (DelimitedText).
    pub async fn open(
        client: &BlobClient,
        container: &str,
        blob: &str,
        format: &FileFormat,
        skip_lines: usize,
    ) -> Result<FileReader, ActivityError> {
        let response = client.get(container, blob).await.map_err(|e| {
            user(format!(
                "Failure happened on 'Source' side. ErrorCode=UserErrorFailedBlobFSOperation,'Message=Reading '{container}/{blob}' failed: {e}.'"
            ))
        })?;
        let (parser, text_format) = match &format.layout {
            Layout::Text(text) => (
                Parser::Text(CsvParser::new(text.clone())),
                Some(text.clone()),
            ),
            Layout::Json => (Parser::Json(JsonSplitter::new()), None),
        };
        Ok(FileReader {
            response,
            inflater: Some(Inflater::new(format.codec)),
            decoder: Decoder::new(format.encoding),
            parser,
            text_format,
            rows: VecDeque::new(),
            header: None,
            expected_columns: None,
            skip: skip_lines,
            record: 0,
            ended: false,
            path: format!("{container}/{blob}"),
            bytes: 0,
        })
    }

    /// The column names the file declares (its header), once read.
    pub fn columns(&self) -> Option<&[String]> {
        self.header.as_deref()
    }

    /// The next row, `None` at the end.
    pub async fn next(&mut self) -> Result<Option<Row>, ActivityError> {
        loop {
            if let Some(row) = self.rows.pop_front() {
                return Ok(Some(row));
            }
            if self.ended {
                return Ok(None);
            }
            let chunk = self.response.chunk().await.map_err(|e| {
                user(format!(
                    "Failure happened on 'Source' side. ErrorCode=UserErrorFailedBlobFSOperation,'Message=Reading '{}' failed: {}.'",
                    self.path,
                    e.without_url()
                ))
            })?;
            let corrupt = |e: std::io::Error, path: &str| {
                source_format_error(
                    "UserErrorInvalidCompressedData",
                    format_args!("The compressed data of '{path}' is invalid: {e}."),
                )
            };
            let (plain, last) = match chunk {
                Some(chunk) => {
                    self.bytes += chunk.len() as u64;
                    let inflater = self
                        .inflater
                        .as_mut()
                        .ok_or_else(|| user("read after end"))?;
                    (
                        inflater.push(&chunk).map_err(|e| corrupt(e, &self.path))?,
                        false,
                    )
                }
                None => {
                    self.ended = true;
                    let inflater = self.inflater.take().ok_or_else(|| user("read after end"))?;
                    (inflater.finish().map_err(|e| corrupt(e, &self.path))?, true)
                }
            };
            let mut text = String::new();
            self.decoder.push(&plain, last, &mut text);
            self.feed(&text, last)?;
        }
    }

    fn feed(&mut self, text: &str, last: bool) -> Result<(), ActivityError> {
        match &mut self.parser {
            Parser::Text(parser) => {
                let mut records = Vec::new();
                parser.push(text, &mut records);
                if last {
                    parser.finish(&mut records);
                }
                for record in records {
                    self.text_record(record)?;
                }
            }
            Parser::Json(splitter) => {
                let mut documents = Vec::new();
                let result = splitter.push(text, &mut documents).and_then(|()| {
                    if last {
                        splitter.finish(&mut documents)
                    } else {
                        Ok(())
                    }
                });
                let invalid = |detail: &str| {
                    // UNVERIFIED: ADF's code and wording for malformed JSON sources.
                    source_format_error(
                        "JsonInvalidDataFormat",
                        format_args!(
                            "Error occurred when deserializing source JSON file '{}'. Check if the data is in valid JSON object format: {detail}.",
                            self.path
                        ),
                    )
                };
                for document in documents {
                    match document {
                        Value::Object(row) => self.rows.push_back(row),
                        other => {
                            return Err(invalid(&format!(
                                "a document is not an object but {}",
                                kind_of(&other)
                            )));
                        }
                    }
                }
                result.map_err(|e| invalid(&e))?;
            }
        }
        Ok(())
    }

    fn text_record(&mut self, record: Vec<Field>) -> Result<(), ActivityError> {
        if self.skip > 0 {
            self.skip -= 1;
            return Ok(());
        }
        self.record += 1;
        let Some(format) = &self.text_format else {
            return Ok(());
        };
        if format.header && self.header.is_none() {
            let mut names = Vec::with_capacity(record.len());
            for (index, field) in record.into_iter().enumerate() {
                if field.text.is_empty() {
                    // ADF's error for an empty header cell (wording UNVERIFIED).
                    return Err(source_format_error(
                        "DelimitedTextColumnNameNotAllowNull",
                        format_args!(
                            "The name of column index {} is empty. Make sure column name is properly specified in the header row.",
                            index + 1
                        ),
                    ));
                }
                names.push(field.text);
            }
            self.expected_columns = Some(names.len());
            self.header = Some(names);
            return Ok(());
        }
        let expected = *self.expected_columns.get_or_insert(record.len());
        if record.len() > expected {
            // ADF's error for a row with more columns than the header or the first row
            // (wording UNVERIFIED).
            return Err(source_format_error(
                "DelimitedTextMoreColumnsThanDefined",
                format_args!(
                    "Error found when processing 'Csv/Tsv Format Text' source '{}' with row number {}: found more columns than expected column count {expected}.",
                    self.path, self.record
                ),
            ));
        }
        let mut row = Row::new();
        for index in 0..expected {
            let name = match &self.header {
                Some(names) => names[index].clone(),
                None => format!("Prop_{index}"),
            };
            let value = match record.get(index) {
                Some(field) if field.quoted || field.text != format.null_value => {
                    Value::String(field.text.clone())
                }
                _ => Value::Null,
            };
            row.insert(name, value);
        }
        self.rows.push_back(row);
        Ok(())
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The text of a value in a delimited file: strings as they are, null as null, anything
/// else as its JSON.
fn cell(value: &Value) -> Option<std::borrow::Cow<'_, str>> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(std::borrow::Cow::Borrowed(s)),
        other => Some(std::borrow::Cow::Owned(other.to_string())),
    }
}

/// Writes rows to one blob as they come, staging a block each time `block_size` bytes are
/// ready.
pub(crate) struct FileWriter {
    client: BlobClient,
    container: String,
    blob: String,
    layout: Layout,
    encoding: Encoding,
    deflater: Option<Deflater>,
    quote_all: bool,
    json_array: bool,
    columns: Option<Vec<String>>,
    header_written: bool,
    rows: u64,
    block: Vec<u8>,
    block_size: usize,
    ids: Vec<String>,
    text: String,
    encoded: Vec<u8>,
    /// Bytes written (compressed).
    pub bytes: u64,
}

impl FileWriter {
    /// A writer of `container/blob` in `format`, with the sink's `formatSettings`
    /// (`quoteAllText`, `filePattern`). `columns` are the names to write in the header when
    /// known before the first row (a mapping's sink names, the source's header).
    pub fn new(
        client: &BlobClient,
        container: &str,
        blob: &str,
        format: &FileFormat,
        write_settings: &Value,
        columns: Option<Vec<String>>,
        block_size: usize,
    ) -> Result<FileWriter, ActivityError> {
        let pattern = text(write_settings.get("filePattern"));
        let json_array = match pattern.as_str() {
            "" | "setOfObjects" => false,
            "arrayOfObjects" => true,
            other => {
                return Err(user(format!(
                    "The filePattern '{other}' is invalid; use setOfObjects or arrayOfObjects."
                )));
            }
        };
        Ok(FileWriter {
            client: client.clone(),
            container: container.to_owned(),
            blob: blob.to_owned(),
            layout: format.layout.clone(),
            encoding: format.encoding,
            deflater: Some(Deflater::new(format.codec, format.fastest)),
            // UNVERIFIED: the service's default when `quoteAllText` is absent (ADF Studio
            // always writes it, as true).
            quote_all: flag(write_settings.get("quoteAllText")).unwrap_or(false),
            json_array,
            columns,
            header_written: false,
            rows: 0,
            block: Vec::with_capacity(block_size.min(1 << 20)),
            block_size,
            ids: Vec::new(),
            text: String::new(),
            encoded: Vec::new(),
            bytes: 0,
        })
    }

    fn sink_error(&self, e: impl std::fmt::Display) -> ActivityError {
        user(format!(
            "Failure happened on 'Sink' side. ErrorCode=UserErrorFailedBlobFSOperation,'Message=Writing '{}/{}' failed: {e}.'",
            self.container, self.blob
        ))
    }

    fn write_header(&mut self) {
        if self.header_written {
            return;
        }
        self.header_written = true;
        if let (Layout::Text(format), Some(columns)) = (&self.layout, &self.columns)
            && format.header
        {
            format.write_record(
                columns.iter().map(|c| Some(c.as_str())),
                self.quote_all,
                &mut self.text,
            );
        }
    }

    /// Writes one row.
    pub async fn write(&mut self, row: &Row) -> Result<(), ActivityError> {
        if self.columns.is_none() {
            self.columns = Some(row.keys().cloned().collect());
        }
        self.write_header();
        match &self.layout {
            Layout::Text(format) => {
                let columns = self.columns.as_deref().unwrap_or_default();
                format.write_record(
                    columns
                        .iter()
                        .map(|name| row.get(name).and_then(cell))
                        .collect::<Vec<_>>()
                        .iter()
                        .map(|c| c.as_deref()),
                    self.quote_all,
                    &mut self.text,
                );
            }
            Layout::Json => {
                let json = serde_json::to_string(row).map_err(|e| self.sink_error(e))?;
                if self.json_array {
                    self.text.push(if self.rows == 0 { '[' } else { ',' });
                    self.text.push_str(&json);
                } else {
                    self.text.push_str(&json);
                    self.text.push('\n');
                }
            }
        }
        self.rows += 1;
        if self.text.len() >= 64 * 1024 {
            self.flush(false).await?;
        }
        Ok(())
    }

    /// Encodes and compresses the pending text; stages full blocks.
    async fn flush(&mut self, last: bool) -> Result<(), ActivityError> {
        self.encoded.clear();
        encode(self.encoding, &self.text, &mut self.encoded);
        self.text.clear();
        let Some(deflater) = self.deflater.as_mut() else {
            return Err(self.sink_error("write after finish"));
        };
        deflater
            .push(&self.encoded, &mut self.block)
            .map_err(|e| self.sink_error(e))?;
        if last && let Some(deflater) = self.deflater.take() {
            deflater
                .finish(&mut self.block)
                .map_err(|e| self.sink_error(e))?;
        }
        while self.block.len() >= self.block_size {
            let rest = self.block.split_off(self.block_size);
            let full = std::mem::replace(&mut self.block, rest);
            self.stage(full).await?;
        }
        Ok(())
    }

    async fn stage(&mut self, block: Vec<u8>) -> Result<(), ActivityError> {
        let id = block_id(self.ids.len());
        self.bytes += block.len() as u64;
        self.client
            .put_block(&self.container, &self.blob, &id, block)
            .await
            .map_err(|e: BlobError| self.sink_error(e))?;
        self.ids.push(id);
        Ok(())
    }

    /// Writes what is left (the header of an empty file, the closing `]`) and commits the
    /// blob; returns the rows written.
    pub async fn finish(mut self) -> Result<(u64, u64), ActivityError> {
        self.write_header();
        if let Layout::Json = self.layout
            && self.json_array
        {
            self.text.push_str(if self.rows == 0 { "[]" } else { "]" });
        }
        self.flush(true).await?;
        let rest = std::mem::take(&mut self.block);
        if self.ids.is_empty() {
            self.bytes += rest.len() as u64;
            self.client
                .put_blob(&self.container, &self.blob, rest)
                .await
                .map_err(|e| self.sink_error(e))?;
        } else {
            if !rest.is_empty() {
                self.stage(rest).await?;
            }
            self.client
                .put_block_list(&self.container, &self.blob, &self.ids)
                .await
                .map_err(|e| self.sink_error(e))?;
        }
        Ok((self.rows, self.bytes))
    }
}

// ---------------------------------------------------------------------------------------------
// Column mapping

/// One step of a JSON path: a property or an array index.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// A column on one side of a mapping.
#[derive(Debug, Clone, PartialEq)]
enum Column {
    Name(String),
    /// 1-based ("Column index. Start with 1").
    Ordinal(usize),
    /// A JSON path; `root` when it starts at `$` (else, with a `collectionReference`, at the
    /// array element).
    Path {
        steps: Vec<Step>,
        root: bool,
    },
}

/// A Copy activity's `translator` of type `TabularTranslator`: `mappings` of `source`
/// (`name`, `ordinal` or `path`) to `sink` (`name` or `path`), and `collectionReference` (one
/// row per element of that array). The legacy `columnMappings` (`"a: b, c: d"`) is read too.
/// Source: "Schema and type mapping in copy activity" (copy-activity-schema-and-type-mapping).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Mapping {
    pairs: Vec<(Column, Column)>,
    collection: Option<Vec<Step>>,
}

fn invalid_mapping(detail: impl std::fmt::Display) -> ActivityError {
    user(format!("The translator is invalid: {detail}."))
}

/// Parses `$['a']['b'][0]`, `$.a.b`, `['a']`, `a.b`.
fn parse_path(path: &str) -> Result<(Vec<Step>, bool), String> {
    let path = path.trim();
    let (root, mut rest) = match path.strip_prefix('$') {
        Some(rest) => (true, rest),
        None => (false, path),
    };
    let mut steps = Vec::new();
    let mut first = true;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let (inside, after) = if let Some(quoted) = after.strip_prefix('\'') {
                let end = quoted.find("']").ok_or("an unclosed ['")?;
                steps.push(Step::Key(quoted[..end].to_owned()));
                ("", &quoted[end + 2..])
            } else if let Some(quoted) = after.strip_prefix('"') {
                let end = quoted.find("\"]").ok_or("an unclosed [\"")?;
                steps.push(Step::Key(quoted[..end].to_owned()));
                ("", &quoted[end + 2..])
            } else {
                let end = after.find(']').ok_or("an unclosed [")?;
                (&after[..end], &after[end + 1..])
            };
            if !inside.is_empty() {
                let index = inside
                    .trim()
                    .parse()
                    .map_err(|_| format!("'{inside}' is not an array index"))?;
                steps.push(Step::Index(index));
            }
            rest = after;
        } else {
            let rest_name = match rest.strip_prefix('.') {
                Some(r) => r,
                None if first && !root => rest,
                None => return Err(format!("unexpected '{rest}'")),
            };
            let end = rest_name.find(['.', '[']).unwrap_or(rest_name.len());
            if end == 0 {
                return Err("an empty property name".into());
            }
            steps.push(Step::Key(rest_name[..end].to_owned()));
            rest = &rest_name[end..];
        }
        first = false;
    }
    Ok((steps, root))
}

fn get_path<'a>(value: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    steps.iter().try_fold(value, |value, step| match step {
        Step::Key(key) => value.get(key),
        Step::Index(index) => value.get(index),
    })
}

fn get_in_row<'a>(row: &'a Row, steps: &[Step]) -> Option<&'a Value> {
    match steps.split_first() {
        Some((Step::Key(key), rest)) => get_path(row.get(key)?, rest),
        _ => None,
    }
}

fn set_in_row(row: &mut Row, steps: &[Step], value: Value) {
    let Some((Step::Key(key), rest)) = steps.split_first() else {
        return;
    };
    if rest.is_empty() {
        row.insert(key.clone(), value);
        return;
    }
    let child = row
        .entry(key.clone())
        .or_insert_with(|| Value::Object(Map::new()));
    if !child.is_object() {
        *child = Value::Object(Map::new());
    }
    if let Value::Object(child) = child {
        set_in_row(child, rest, value);
    }
}

impl Mapping {
    /// The mapping of an evaluated `translator` (an object, or its JSON text); `None` when
    /// there is none (ADF's default mapping: by name, the source's names kept).
    pub fn read(translator: Option<&Value>) -> Result<Option<Mapping>, ActivityError> {
        let translator = match translator {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(text)) if text.trim().is_empty() => return Ok(None),
            Some(Value::String(text)) => serde_json::from_str(text)
                .map_err(|e| invalid_mapping(format_args!("not a JSON object ({e})")))?,
            Some(value) => value.clone(),
        };
        let kind = text(translator.get("type"));
        if !kind.is_empty() && kind != "TabularTranslator" {
            return Err(not_supported(format_args!(
                "a Copy translator of type {kind} (TabularTranslator is supported)"
            )));
        }
        let collection = match text(translator.get("collectionReference")) {
            c if c.is_empty() => None,
            c => Some(parse_path(&c).map_err(invalid_mapping)?.0),
        };
        let mut pairs = Vec::new();
        if let Some(mappings) = translator.get("mappings").and_then(Value::as_array) {
            for mapping in mappings {
                let source = Self::column(mapping.get("source"), true)?;
                let sink = Self::column(mapping.get("sink"), false)?;
                pairs.push((source, sink));
            }
        } else if let Some(legacy) = translator.get("columnMappings") {
            let entries: Vec<(String, String)> = match legacy {
                Value::Object(map) => map
                    .iter()
                    .map(|(k, v)| (k.clone(), text(Some(v))))
                    .collect(),
                other => text(Some(other))
                    .split(',')
                    .filter(|p| !p.trim().is_empty())
                    .map(|pair| {
                        let (source, sink) = pair.split_once(':').unwrap_or((pair, pair));
                        (source.trim().to_owned(), sink.trim().to_owned())
                    })
                    .collect(),
            };
            for (source, sink) in entries {
                pairs.push((Column::Name(source), Column::Name(sink)));
            }
        }
        if pairs.is_empty() && collection.is_none() {
            return Ok(None);
        }
        Ok(Some(Mapping { pairs, collection }))
    }

    fn column(side: Option<&Value>, is_source: bool) -> Result<Column, ActivityError> {
        let side = side.ok_or_else(|| {
            invalid_mapping(if is_source {
                "a mapping has no source"
            } else {
                "a mapping has no sink"
            })
        })?;
        if let Some(ordinal) = side.get("ordinal").filter(|v| !v.is_null()) {
            let ordinal = match ordinal {
                Value::Number(n) => n.as_u64(),
                other => text(Some(other)).trim().parse().ok(),
            };
            return match ordinal {
                Some(n) if n >= 1 && is_source => Ok(Column::Ordinal(n as usize)),
                _ => Err(invalid_mapping(
                    "an ordinal must be a source column index from 1",
                )),
            };
        }
        let path = text(side.get("path"));
        if !path.is_empty() {
            let (steps, root) = parse_path(&path)
                .map_err(|e| invalid_mapping(format_args!("the path '{path}': {e}")))?;
            if steps.is_empty() {
                return Err(invalid_mapping(format_args!("the path '{path}' is empty")));
            }
            return Ok(Column::Path { steps, root });
        }
        let name = text(side.get("name"));
        if name.is_empty() {
            return Err(invalid_mapping(
                "a column has neither name, ordinal nor path",
            ));
        }
        Ok(Column::Name(name))
    }

    /// The sink's column names, in mapping order (a header before the first row).
    pub fn sink_names(&self) -> Option<Vec<String>> {
        if self.pairs.is_empty() {
            return None;
        }
        Some(
            self.pairs
                .iter()
                .map(|(_, sink)| match sink {
                    Column::Name(name) => name.clone(),
                    Column::Path { steps, .. } => match steps.first() {
                        Some(Step::Key(key)) => key.clone(),
                        _ => String::new(),
                    },
                    Column::Ordinal(n) => format!("Prop_{}", n - 1),
                })
                .collect(),
        )
    }

    /// The sink rows of a source row: one, or one per element of the collection (none when
    /// the collection is missing or empty: UNVERIFIED).
    pub fn apply(&self, row: &Row) -> Vec<Row> {
        let elements: Vec<Option<&Value>> = match &self.collection {
            None => vec![None],
            Some(steps) => match get_in_row(row, steps) {
                Some(Value::Array(items)) => items.iter().map(Some).collect(),
                _ => Vec::new(),
            },
        };
        elements
            .into_iter()
            .map(|element| {
                if self.pairs.is_empty() {
                    // A collection without mappings: each element as it is.
                    return match element {
                        Some(Value::Object(object)) => object.clone(),
                        _ => Row::new(),
                    };
                }
                let mut out = Row::new();
                for (source, sink) in &self.pairs {
                    let value = match source {
                        Column::Name(name) => row.get(name),
                        Column::Ordinal(n) => row.values().nth(n - 1),
                        Column::Path { steps, root } => match element {
                            Some(element) if !root => get_path(element, steps),
                            _ => get_in_row(row, steps),
                        },
                    }
                    .cloned()
                    .unwrap_or(Value::Null);
                    match sink {
                        Column::Name(name) => {
                            out.insert(name.clone(), value);
                        }
                        Column::Path { steps, .. } => set_in_row(&mut out, steps, value),
                        Column::Ordinal(_) => {}
                    }
                }
                out
            })
            .collect()
    }
}

/// `skipLineCount` of a source's `formatSettings`.
pub(crate) fn skip_line_count(source: &Value) -> usize {
    match source.pointer("/formatSettings/skipLineCount") {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0) as usize,
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

/// The rows of a file dataset for a Lookup (at most `limit`): every file the dataset and the
/// source's `storeSettings` select, in name order. A missing file or container fails with the
/// Copy activity's source error (Lookup reads through the same engine).
pub(crate) async fn lookup_rows(
    location: &BlobLocation,
    source: &Value,
    limit: usize,
) -> Result<Vec<Row>, ActivityError> {
    let format = FileFormat::of(location)?;
    let settings = StoreSettings::read(source.get("storeSettings").unwrap_or(&Value::Null), true)?;
    let selection = select_blobs(location, &settings).await.map_err(|e| {
        user(format!(
            "Failure happened on 'Source' side. ErrorCode=UserErrorFailedBlobFSOperation,'Message=The blob operation failed: {e}.'"
        ))
    })?;
    if !selection.container_exists || (selection.single_file && selection.blobs.is_empty()) {
        return Err(missing_source(
            location,
            &selection.prefix,
            selection.container_exists,
        ));
    }
    let skip = skip_line_count(source);
    let mut blobs = selection.blobs;
    blobs.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let mut rows = Vec::new();
    for (blob, _) in blobs {
        if rows.len() >= limit {
            break;
        }
        let mut reader = FileReader::open(
            &location.client,
            &location.container,
            &blob.name,
            &format,
            skip,
        )
        .await?;
        while rows.len() < limit {
            match reader.next().await? {
                Some(row) => rows.push(row),
                None => break,
            }
        }
    }
    Ok(rows)
}

/// ADF's error for a source blob (or container) that does not exist (the seed lab's
/// message, as the Copy activity gives it).
pub(crate) fn missing_source(
    location: &BlobLocation,
    prefix: &str,
    container_exists: bool,
) -> ActivityError {
    user(format!(
        "Failure happened on 'Source' side. ErrorCode=UserErrorSourceBlobNotExist,'Type=Microsoft.DataTransfer.Common.Shared.HybridDeliveryException,Message=The required Blob is missing. ContainerName: {}/{}, ContainerExist: {}, BlobPrefix: {prefix}, BlobCount: 0.,Source=Microsoft.DataTransfer.ClientLibrary,'",
        location.client.endpoint(),
        location.container,
        if container_exists { "True" } else { "False" },
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn format(settings: Value) -> TextFormat {
        TextFormat::read(&settings).unwrap()
    }

    /// Parses `input` pushed in pieces of `step` characters; returns the fields' texts, null
    /// (unquoted empty) fields as `~`.
    fn parse_in(settings: Value, input: &str, step: usize) -> Vec<Vec<String>> {
        let mut parser = CsvParser::new(format(settings));
        let mut records = Vec::new();
        let chars: Vec<char> = input.chars().collect();
        for piece in chars.chunks(step.max(1)) {
            parser.push(&piece.iter().collect::<String>(), &mut records);
        }
        parser.finish(&mut records);
        records
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|f| {
                        if f.text.is_empty() && !f.quoted {
                            "~".to_owned()
                        } else {
                            f.text
                        }
                    })
                    .collect()
            })
            .collect()
    }

    fn check(settings: Value, input: &str, expected: &[&[&str]]) {
        for step in [1, 2, 3, 1000] {
            assert_eq!(
                parse_in(settings.clone(), input, step),
                expected
                    .iter()
                    .map(|r| r.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
                    .collect::<Vec<_>>(),
                "{input:?} in pieces of {step}"
            );
        }
    }

    #[test]
    fn default_delimited_text() {
        check(json!({}), "a,b\n1,2\n", &[&["a", "b"], &["1", "2"]]);
        check(json!({}), "a,b\r\n1,2", &[&["a", "b"], &["1", "2"]]);
        check(json!({}), "a\rb\r\n\r\nc\n", &[&["a"], &["b"], &["c"]]);
        check(json!({}), "x,,\n", &[&["x", "~", "~"]]);
        check(json!({}), "\"a,b\",\"\"\n", &[&["a,b", ""]]);
        check(json!({}), "\"line\nbreak\",z", &[&["line\nbreak", "z"]]);
        // The default escape is a backslash, not a doubled quote.
        check(
            json!({}),
            r#""say \"hi\"",c:\\d"#,
            &[&[r#"say "hi""#, r"c:\d"]],
        );
        check(json!({}), "", &[]);
        check(json!({}), "\n\n", &[]);
    }

    #[test]
    fn custom_delimiters_quotes_and_escapes() {
        check(
            json!({"columnDelimiter": ";", "quoteChar": "'", "escapeChar": "'"}),
            "'it''s';b\n",
            &[&["it's", "b"]],
        );
        check(
            json!({"columnDelimiter": "\t", "escapeChar": "\""}),
            "\"a\"\"b\"\tc\n",
            &[&["a\"b", "c"]],
        );
        check(
            json!({"columnDelimiter": "|", "rowDelimiter": ";"}),
            "a|b;c|d",
            &[&["a", "b"], &["c", "d"]],
        );
        check(
            json!({"rowDelimiter": "\r\n"}),
            "a\rb,c\r\nd\n",
            &[&["a\rb", "c"], &["d\n"]],
        );
        check(
            json!({"quoteChar": "", "escapeChar": "\\"}),
            "a\\,b,\"c\"\n",
            &[&["a,b", "\"c\""]],
        );
    }

    #[test]
    fn invalid_settings() {
        for (settings, needle) in [
            (json!({"columnDelimiter": ""}), "columnDelimiter is empty"),
            (json!({"columnDelimiter": "ab"}), "not a single character"),
            (json!({"rowDelimiter": "ab"}), "rowDelimiter"),
            (json!({"escapeChar": ""}), "empty escapeChar"),
        ] {
            let error = TextFormat::read(&settings).unwrap_err();
            assert!(error.message.contains(needle), "{}", error.message);
        }
        assert!(TextFormat::read(&json!({"escapeChar": "", "quoteChar": ""})).is_ok());
    }

    #[test]
    fn writing_round_trips() {
        for settings in [
            json!({}),
            json!({"escapeChar": "\""}),
            json!({"quoteChar": "", "escapeChar": "\\", "columnDelimiter": ";"}),
            json!({"rowDelimiter": "\n", "columnDelimiter": "\t"}),
        ] {
            let format = format(settings.clone());
            for quote_all in [false, true] {
                let values = [
                    Some("plain"),
                    Some("a,b;c\td"),
                    Some("q\"uo\\te"),
                    Some("two\nlines"),
                    None,
                    Some(""),
                ];
                let mut text = String::new();
                format.write_record(values.iter().copied(), quote_all, &mut text);
                let parsed = parse_in(settings.clone(), &text, 1000);
                // Without a quote character, an empty string cannot be told from null.
                let expected: Vec<String> = values
                    .iter()
                    .map(|v| match v {
                        None => "~".to_owned(),
                        Some("") if format.quote.is_none() => "~".to_owned(),
                        Some(s) => (*s).to_owned(),
                    })
                    .collect();
                assert_eq!(
                    parsed,
                    vec![expected],
                    "{settings} quote_all={quote_all}: {text:?}"
                );
            }
        }
        let mut text = String::new();
        format(json!({})).write_record([Some("a"), Some("b c")].into_iter(), true, &mut text);
        assert_eq!(text, "\"a\",\"b c\"\r\n");
        text.clear();
        format(json!({})).write_record([Some("a"), None].into_iter(), false, &mut text);
        assert_eq!(text, "a,\r\n");
    }

    fn split(input: &str, step: usize) -> Result<Vec<Value>, String> {
        let mut splitter = JsonSplitter::new();
        let mut out = Vec::new();
        let chars: Vec<char> = input.chars().collect();
        for piece in chars.chunks(step.max(1)) {
            splitter.push(&piece.iter().collect::<String>(), &mut out)?;
        }
        splitter.finish(&mut out)?;
        Ok(out)
    }

    #[test]
    fn json_file_patterns() {
        let two = vec![json!({"a": 1}), json!({"a": "}{,]"})];
        for input in [
            "{\"a\": 1}\n{\"a\": \"}{,]\"}\n",
            "{\"a\": 1}{\"a\": \"}{,]\"}",
            " [ {\"a\": 1} , {\"a\": \"}{,]\"} ] \n",
            "{\n  \"a\": 1\n}\r\n{\n  \"a\": \"}{,]\"\n}",
        ] {
            for step in [1, 2, 5, 1000] {
                assert_eq!(split(input, step).unwrap(), two, "{input:?} by {step}");
            }
        }
        assert_eq!(
            split("{\"x\": [1, {\"y\": \"\\\"\"}]}", 1).unwrap(),
            vec![json!({"x": [1, {"y": "\""}]})]
        );
        assert_eq!(split("[]", 1).unwrap(), Vec::<Value>::new());
        assert_eq!(split("[1, \"a\"]", 1).unwrap(), vec![json!(1), json!("a")]);
        assert!(split("{\"a\": 1", 1).is_err());
        assert!(split("[{\"a\": 1}", 1).is_err());
        assert!(split("{\"a\": tru}", 1).is_err());
        assert!(split("[1,,2]", 1).is_err());
    }

    fn decode_in(encoding: Encoding, bytes: &[u8], step: usize) -> String {
        let mut decoder = Decoder::new(encoding);
        let mut out = String::new();
        for piece in bytes.chunks(step.max(1)) {
            decoder.push(piece, false, &mut out);
        }
        decoder.push(&[], true, &mut out);
        out
    }

    #[test]
    fn encodings_round_trip_in_any_chunking() {
        let text = "id,name\r\n1,Zoë 😀 €\r\n";
        for encoding in [
            Encoding::Utf8,
            Encoding::Utf16Le,
            Encoding::Utf16Be,
            Encoding::Utf32Le,
            Encoding::Utf32Be,
        ] {
            let mut bytes = Vec::new();
            encode(encoding, text, &mut bytes);
            for step in [1, 2, 3, 7, 1000] {
                assert_eq!(
                    decode_in(encoding, &bytes, step),
                    text,
                    "{encoding:?} by {step}"
                );
            }
        }
        let mut latin = Vec::new();
        encode(Encoding::Windows1252, "Zoë €", &mut latin);
        assert_eq!(latin, b"Zo\xEB \x80");
        assert_eq!(decode_in(Encoding::Windows1252, &latin, 1), "Zoë €");
        assert_eq!(decode_in(Encoding::Latin1, b"Zo\xEB", 1), "Zoë");
        let mut ascii = Vec::new();
        encode(Encoding::Ascii, "Zoë", &mut ascii);
        assert_eq!(ascii, b"Zo?");
    }

    #[test]
    fn byte_order_marks_win_and_are_removed() {
        assert_eq!(decode_in(Encoding::Utf8, b"\xEF\xBB\xBFa", 1), "a");
        assert_eq!(decode_in(Encoding::Utf8, b"\xFF\xFEa\x00", 1), "a");
        assert_eq!(decode_in(Encoding::Utf8, b"\xFE\xFF\x00a", 3), "a");
        assert_eq!(decode_in(Encoding::Utf8, b"ab", 1), "ab");
        assert_eq!(decode_in(Encoding::Utf8, b"a\xFFb", 1), "a\u{FFFD}b");
        assert_eq!(decode_in(Encoding::Utf8, b"a\xE2\x82", 1), "a\u{FFFD}");
    }

    #[test]
    fn encoding_names() {
        for (name, expected) in [
            ("", Encoding::Utf8),
            ("utf-8", Encoding::Utf8),
            ("UTF-8 without BOM", Encoding::Utf8),
            ("UTF-16", Encoding::Utf16Le),
            ("UTF-16BE", Encoding::Utf16Be),
            ("ISO-8859-1", Encoding::Latin1),
            ("WINDOWS-1252", Encoding::Windows1252),
            ("US-ASCII", Encoding::Ascii),
        ] {
            assert_eq!(encoding(&json!({"encodingName": name})).unwrap(), expected);
        }
        let error = encoding(&json!({"encodingName": "SHIFT-JIS"})).unwrap_err();
        assert!(
            error
                .message
                .contains("not supported by the emulator: encodingName SHIFT-JIS")
        );
        assert!(error.message.contains("UNVERIFIED"));
    }

    #[test]
    fn compression_settings() {
        assert_eq!(compression(&json!({})).unwrap(), (Codec::None, false));
        assert_eq!(
            compression(&json!({"compressionCodec": "gzip", "compressionLevel": "Fastest"}))
                .unwrap(),
            (Codec::Gzip, true)
        );
        assert_eq!(
            compression(&json!({"compression": {"type": "Deflate"}})).unwrap(),
            (Codec::Deflate, false)
        );
        assert!(
            compression(&json!({"compressionCodec": "snappy"}))
                .unwrap_err()
                .message
                .contains("not supported by the Copy activity")
        );
        assert!(
            compression(&json!({"compressionCodec": "bzip2"}))
                .unwrap_err()
                .message
                .contains("not supported by the emulator")
        );
    }

    #[test]
    fn compression_round_trips_in_chunks() {
        let text = "a,b\n".repeat(10_000);
        for codec in [Codec::Gzip, Codec::Deflate] {
            let mut deflater = Deflater::new(codec, false);
            let mut packed = Vec::new();
            for piece in text.as_bytes().chunks(999) {
                deflater.push(piece, &mut packed).unwrap();
            }
            deflater.finish(&mut packed).unwrap();
            assert!(packed.len() < text.len() / 10);
            let mut inflater = Inflater::new(codec);
            let mut plain = Vec::new();
            for piece in packed.chunks(7) {
                plain.extend(inflater.push(piece).unwrap());
            }
            plain.extend(inflater.finish().unwrap());
            assert_eq!(plain, text.as_bytes(), "{codec:?}");
        }
        // A truncated stream fails at the end.
        let mut deflater = Deflater::new(Codec::Gzip, true);
        let mut packed = Vec::new();
        deflater.push(text.as_bytes(), &mut packed).unwrap();
        deflater.finish(&mut packed).unwrap();
        let mut inflater = Inflater::new(Codec::Gzip);
        let _ = inflater.push(&packed[..packed.len() / 2]).unwrap();
        assert!(inflater.finish().is_err());
    }

    fn row(value: Value) -> Row {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn json_paths() {
        assert_eq!(
            parse_path("$['a b']['c'][0]").unwrap(),
            (
                vec![
                    Step::Key("a b".into()),
                    Step::Key("c".into()),
                    Step::Index(0)
                ],
                true
            )
        );
        assert_eq!(
            parse_path("$.a.b").unwrap(),
            (vec![Step::Key("a".into()), Step::Key("b".into())], true)
        );
        assert_eq!(
            parse_path("['prod']").unwrap(),
            (vec![Step::Key("prod".into())], false)
        );
        assert_eq!(
            parse_path("name").unwrap(),
            (vec![Step::Key("name".into())], false)
        );
        assert!(parse_path("$['a").is_err());
        assert!(parse_path("$[x]").is_err());
    }

    #[test]
    fn tabular_mappings_by_name_and_ordinal() {
        let mapping = Mapping::read(Some(&json!({
            "type": "TabularTranslator",
            "mappings": [
                {"source": {"name": "Id"}, "sink": {"name": "CustomerID"}},
                {"source": {"ordinal": "2"}, "sink": {"name": "Second"}},
                {"source": {"name": "Missing"}, "sink": {"name": "Nothing"}},
            ]
        })))
        .unwrap()
        .unwrap();
        assert_eq!(
            mapping.sink_names().unwrap(),
            vec!["CustomerID", "Second", "Nothing"]
        );
        let out = mapping.apply(&row(json!({"Id": "7", "Name": "x"})));
        assert_eq!(
            out,
            vec![row(
                json!({"CustomerID": "7", "Second": "x", "Nothing": null})
            )]
        );
        // The legacy form, and a translator given as JSON text (a parameter).
        let legacy = Mapping::read(Some(
            &json!({"type": "TabularTranslator", "columnMappings": "Id: A, Name: B"}),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            legacy.apply(&row(json!({"Id": 1, "Name": 2}))),
            vec![row(json!({"A": 1, "B": 2}))]
        );
        let text = json!(
            "{\"type\":\"TabularTranslator\",\"mappings\":[{\"source\":{\"name\":\"a\"},\"sink\":{\"name\":\"b\"}}]}"
        );
        assert!(Mapping::read(Some(&text)).unwrap().is_some());
        assert!(Mapping::read(None).unwrap().is_none());
        assert!(
            Mapping::read(Some(&json!({"type": "TabularTranslator"})))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn hierarchical_mappings_cross_apply_the_collection() {
        // The example of "Hierarchical source to tabular sink".
        let mapping = Mapping::read(Some(&json!({
            "type": "TabularTranslator",
            "mappings": [
                {"source": {"path": "$['number']"}, "sink": {"name": "orderNumber"}},
                {"source": {"path": "['prod']"}, "sink": {"name": "order_pd"}},
                {"source": {"path": "['price']"}, "sink": {"name": "order_price"}},
                {"source": {"path": "$['city'][0]['name']"}, "sink": {"name": "city"}},
            ],
            "collectionReference": "$['orders']"
        })))
        .unwrap()
        .unwrap();
        let document = row(json!({
            "number": "01",
            "orders": [{"prod": "p1", "price": 23}, {"prod": "p2", "price": 13}],
            "city": [{"name": "Seattle"}]
        }));
        assert_eq!(
            mapping.apply(&document),
            vec![
                row(
                    json!({"orderNumber": "01", "order_pd": "p1", "order_price": 23, "city": "Seattle"})
                ),
                row(
                    json!({"orderNumber": "01", "order_pd": "p2", "order_price": 13, "city": "Seattle"})
                ),
            ]
        );
        assert!(mapping.apply(&row(json!({"number": "02"}))).is_empty());
        // A sink path nests.
        let nested = Mapping::read(Some(
            &json!({"mappings": [{"source": {"name": "a"}, "sink": {"path": "$['x']['y']"}}]}),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            nested.apply(&row(json!({"a": "1"}))),
            vec![row(json!({"x": {"y": "1"}}))]
        );
    }

    #[test]
    fn invalid_translators() {
        assert!(
            Mapping::read(Some(&json!({"type": "Other"})))
                .unwrap_err()
                .message
                .contains("not supported by the emulator")
        );
        for bad in [
            json!({"mappings": [{"source": {"name": "a"}}]}),
            json!({"mappings": [{"source": {"ordinal": 0}, "sink": {"name": "a"}}]}),
            json!({"mappings": [{"source": {}, "sink": {"name": "a"}}]}),
            json!("{not json"),
        ] {
            assert!(
                Mapping::read(Some(&bad))
                    .unwrap_err()
                    .message
                    .contains("translator is invalid"),
                "{bad}"
            );
        }
    }

    #[test]
    fn skip_line_counts() {
        assert_eq!(
            skip_line_count(&json!({"formatSettings": {"skipLineCount": 3}})),
            3
        );
        assert_eq!(
            skip_line_count(&json!({"formatSettings": {"skipLineCount": "2"}})),
            2
        );
        assert_eq!(skip_line_count(&json!({})), 0);
    }
}
