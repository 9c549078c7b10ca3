//! Timestamps: parsing the forms ADF accepts and formatting with .NET format strings
//! (standard specifiers like `o` and `s`, and custom patterns like `yyyy-MM-dd HH:mm:ss.fff`),
//! en-US names, always in UTC.

use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// .NET ticks (100 ns) from 0001-01-01 to the Unix epoch.
pub(crate) const TICKS_AT_UNIX_EPOCH: i128 = 621_355_968_000_000_000;

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

struct Cursor<'a> {
    bytes: &'a [u8],
    index: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.index).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn eat_any(&mut self, bytes: &[u8]) -> Option<u8> {
        let byte = self.peek().filter(|b| bytes.contains(b))?;
        self.index += 1;
        Some(byte)
    }

    /// Between `min` and `max` digits as a number.
    fn number(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.index;
        let mut value: u32 = 0;
        while self.index - start < max {
            match self.peek() {
                Some(digit @ b'0'..=b'9') => {
                    value = value * 10 + u32::from(digit - b'0');
                    self.index += 1;
                }
                _ => break,
            }
        }
        (self.index - start >= min).then_some(value)
    }

    fn at_end(&self) -> bool {
        self.index == self.bytes.len()
    }
}

/// Parses a timestamp: ISO 8601 (`2018-03-15`, `2018-03-15T13:00:00Z`,
/// `2018-03-15 13:00:00.1234567+02:00`) or US style (`03/15/2018 12:00:00`, with optional
/// `AM`/`PM`). A timestamp without an offset is taken as UTC; the result is in UTC.
pub(crate) fn parse(text: &str) -> Option<OffsetDateTime> {
    let (local, offset) = parse_parts(text)?;
    Some(
        local
            .assume_offset(offset.unwrap_or(UtcOffset::UTC))
            .to_offset(UtcOffset::UTC),
    )
}

/// A timestamp as written: its date and time, and its offset when it has one (`Z` included).
/// The time zone functions need to know whether a timestamp names its own offset.
pub(crate) fn parse_parts(text: &str) -> Option<(PrimitiveDateTime, Option<UtcOffset>)> {
    let text = text.trim();
    parse_iso(text).or_else(|| parse_us(text))
}

fn parse_iso(text: &str) -> Option<(PrimitiveDateTime, Option<UtcOffset>)> {
    let mut cursor = Cursor {
        bytes: text.as_bytes(),
        index: 0,
    };
    let year = cursor.number(4, 4)?;
    cursor.eat(b'-').then_some(())?;
    let month = cursor.number(1, 2)?;
    cursor.eat(b'-').then_some(())?;
    let day = cursor.number(1, 2)?;
    let date = date(year, month, day)?;
    if cursor.at_end() {
        return Some((date.midnight(), None));
    }
    cursor.eat_any(b"Tt ")?;
    let time = time_of_day(&mut cursor)?;
    let offset = offset(&mut cursor)?;
    cursor.at_end().then_some(())?;
    Some((date.with_time(time), offset))
}

fn parse_us(text: &str) -> Option<(PrimitiveDateTime, Option<UtcOffset>)> {
    let mut cursor = Cursor {
        bytes: text.as_bytes(),
        index: 0,
    };
    let month = cursor.number(1, 2)?;
    cursor.eat(b'/').then_some(())?;
    let day = cursor.number(1, 2)?;
    cursor.eat(b'/').then_some(())?;
    let year = cursor.number(4, 4)?;
    let date = date(year, month, day)?;
    if cursor.at_end() {
        return Some((date.midnight(), None));
    }
    cursor.eat(b' ').then_some(())?;
    let mut time = time_of_day(&mut cursor)?;
    while cursor.eat(b' ') {}
    let meridiem = match (cursor.peek(), cursor.bytes.get(cursor.index + 1)) {
        (Some(b'A' | b'a'), Some(b'M' | b'm')) => Some(false),
        (Some(b'P' | b'p'), Some(b'M' | b'm')) => Some(true),
        _ => None,
    };
    if let Some(afternoon) = meridiem {
        cursor.index += 2;
        let hour = time.hour();
        if !(1..=12).contains(&hour) {
            return None;
        }
        let hour = match (afternoon, hour) {
            (false, 12) => 0,
            (true, 12) => 12,
            (true, hour) => hour + 12,
            (false, hour) => hour,
        };
        time = time.replace_hour(hour).ok()?;
    }
    let offset = offset(&mut cursor)?;
    cursor.at_end().then_some(())?;
    Some((date.with_time(time), offset))
}

fn date(year: u32, month: u32, day: u32) -> Option<Date> {
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()
}

fn time_of_day(cursor: &mut Cursor<'_>) -> Option<Time> {
    let hour = cursor.number(1, 2)?;
    cursor.eat(b':').then_some(())?;
    let minute = cursor.number(2, 2)?;
    let mut second = 0;
    let mut nanosecond = 0;
    if cursor.eat(b':') {
        second = cursor.number(2, 2)?;
        if cursor.eat_any(b".,").is_some() {
            let start = cursor.index;
            let mut scale = 100_000_000;
            while let Some(digit @ b'0'..=b'9') = cursor.peek() {
                nanosecond += u32::from(digit - b'0') * scale;
                scale /= 10;
                cursor.index += 1;
            }
            (cursor.index > start).then_some(())?;
        }
    }
    Time::from_hms_nano(
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
        nanosecond,
    )
    .ok()
}

/// The offset at the cursor: `Some(None)` when there is none, `None` when it is malformed.
fn offset(cursor: &mut Cursor<'_>) -> Option<Option<UtcOffset>> {
    if cursor.eat_any(b"Zz").is_some() {
        return Some(Some(UtcOffset::UTC));
    }
    let Some(sign) = cursor.eat_any(b"+-") else {
        return Some(None);
    };
    let hours = cursor.number(2, 2)?;
    cursor.eat(b':');
    let minutes = cursor.number(2, 2)?;
    let seconds = i32::try_from(hours * 3600 + minutes * 60).ok()?;
    UtcOffset::from_whole_seconds(if sign == b'-' { -seconds } else { seconds })
        .ok()
        .map(Some)
}

/// The custom pattern behind a one-letter standard format (en-US, as ADF documents them).
fn standard_pattern(specifier: char) -> Option<&'static str> {
    Some(match specifier {
        'd' => "M/d/yyyy",
        'D' => "dddd, MMMM d, yyyy",
        'f' => "dddd, MMMM d, yyyy h:mm tt",
        'F' | 'U' => "dddd, MMMM d, yyyy h:mm:ss tt",
        'g' => "M/d/yyyy h:mm tt",
        'G' => "M/d/yyyy h:mm:ss tt",
        'M' | 'm' => "MMMM d",
        'O' | 'o' => "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
        'R' | 'r' => "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
        's' => "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
        't' => "h:mm tt",
        'T' => "h:mm:ss tt",
        'u' => "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
        'Y' | 'y' => "MMMM yyyy",
        _ => return None,
    })
}

/// Formats a UTC timestamp with a .NET format string; `None` or `""` means `o`
/// (`2018-03-15T13:00:00.0000000Z`). The error names the unsupported specifier.
pub(crate) fn format(timestamp: OffsetDateTime, format: Option<&str>) -> Result<String, String> {
    let utc = timestamp.to_offset(UtcOffset::UTC);
    format_wall_clock(PrimitiveDateTime::new(utc.date(), utc.time()), true, format)
}

/// Formats a date and time that is in UTC (`utc`, .NET's `DateTimeKind.Utc`: `K` is `Z`) or
/// in a time zone (`DateTimeKind.Unspecified`, as `convertFromUtc` returns: `K` is empty, so
/// `o` gives `2018-01-01T00:00:00.0000000`).
pub(crate) fn format_wall_clock(
    timestamp: PrimitiveDateTime,
    utc: bool,
    format: Option<&str>,
) -> Result<String, String> {
    let format = format.filter(|f| !f.is_empty()).unwrap_or("o");
    let mut chars = format.chars();
    let pattern = match (chars.next(), chars.next()) {
        (Some(specifier), None) => standard_pattern(specifier).ok_or_else(|| {
            format!("'{specifier}' is not a supported standard date and time format specifier")
        })?,
        _ => format,
    };
    format_custom(timestamp.assume_utc(), utc, pattern)
}

fn pad(value: impl Into<i64>, width: usize) -> String {
    let value = value.into();
    if value < 0 {
        format!("-{:0width$}", -value)
    } else {
        format!("{value:0width$}")
    }
}

fn format_custom(t: OffsetDateTime, utc: bool, pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    // Seven digits of fraction: .NET's tick resolution.
    let fraction = format!("{:07}", t.nanosecond() / 100);
    while i < chars.len() {
        let c = chars[i];
        let mut run = 1;
        while i + run < chars.len() && chars[i + run] == c {
            run += 1;
        }
        match c {
            'y' => {
                let year = t.year();
                out += &match run {
                    1 => (year % 100).to_string(),
                    2 => pad(year % 100, 2),
                    n => pad(year, n),
                };
            }
            'M' => {
                let month = u8::from(t.month());
                out += &match run {
                    1 => month.to_string(),
                    2 => pad(month, 2),
                    3 => MONTH_NAMES[usize::from(month) - 1][..3].to_string(),
                    _ => MONTH_NAMES[usize::from(month) - 1].to_string(),
                };
            }
            'd' => {
                let weekday = usize::from(t.weekday().number_days_from_sunday());
                out += &match run {
                    1 => t.day().to_string(),
                    2 => pad(t.day(), 2),
                    3 => DAY_NAMES[weekday][..3].to_string(),
                    _ => DAY_NAMES[weekday].to_string(),
                };
            }
            'H' => {
                out += &if run == 1 {
                    t.hour().to_string()
                } else {
                    pad(t.hour(), 2)
                }
            }
            'h' => {
                let hour = match t.hour() % 12 {
                    0 => 12,
                    h => h,
                };
                out += &if run == 1 {
                    hour.to_string()
                } else {
                    pad(hour, 2)
                };
            }
            'm' => {
                out += &if run == 1 {
                    t.minute().to_string()
                } else {
                    pad(t.minute(), 2)
                }
            }
            's' => {
                out += &if run == 1 {
                    t.second().to_string()
                } else {
                    pad(t.second(), 2)
                }
            }
            'f' | 'F' => {
                if run > 7 {
                    return Err(format!(
                        "'{}' has more than 7 fraction digits",
                        c.to_string().repeat(run)
                    ));
                }
                let digits = &fraction[..run];
                if c == 'f' {
                    out += digits;
                } else {
                    let trimmed = digits.trim_end_matches('0');
                    if trimmed.is_empty() && out.ends_with('.') {
                        out.pop();
                    }
                    out += trimmed;
                }
            }
            't' => {
                let pm = t.hour() >= 12;
                out += match (run, pm) {
                    (1, false) => "A",
                    (1, true) => "P",
                    (_, false) => "AM",
                    (_, true) => "PM",
                };
            }
            'K' => {
                run = 1;
                if utc {
                    out.push('Z');
                }
            }
            'z' => {
                out += match run {
                    1 => "+0",
                    2 => "+00",
                    _ => "+00:00",
                };
            }
            'g' => out += "A.D.",
            '\'' | '"' => {
                let mut j = i + 1;
                while j < chars.len() && chars[j] != c {
                    if chars[j] == '\\' && j + 1 < chars.len() {
                        j += 1;
                    }
                    out.push(chars[j]);
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(format!("the quoted text starting with {c} is never closed"));
                }
                i = j + 1;
                continue;
            }
            '\\' => {
                match chars.get(i + 1) {
                    Some(next) => out.push(*next),
                    None => return Err("the format ends with a lone '\\'".to_string()),
                }
                i += 2;
                continue;
            }
            '%' => {
                // `%d` is the custom `d`, not the standard format `d`.
                run = 1;
            }
            other => {
                for _ in 0..run {
                    out.push(other);
                }
            }
        }
        i += run;
    }
    Ok(out)
}

/// Adds `months` calendar months, clamping the day to the target month's length (as .NET's
/// `AddMonths`).
pub(crate) fn add_months(t: OffsetDateTime, months: i64) -> Option<OffsetDateTime> {
    let total =
        (i64::from(t.year()) * 12 + i64::from(u8::from(t.month())) - 1).checked_add(months)?;
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(total.rem_euclid(12) + 1).ok()?).ok()?;
    let last_day = time::util::days_in_month(month, year);
    let day = t.day().min(last_day);
    let date = Date::from_calendar_date(year, month, day).ok()?;
    Some(t.replace_date(date))
}

/// Adds `amount` of a unit (`Second`, `Minute`, `Hour`, `Day`, `Week`, `Month`, `Year`,
/// case-insensitive); `None` when the unit is unknown or the result is out of range.
pub(crate) fn add_units(
    t: OffsetDateTime,
    amount: i64,
    unit: &str,
) -> Option<Result<OffsetDateTime, ()>> {
    let seconds_per_unit = match unit.to_ascii_lowercase().as_str() {
        "second" => 1,
        "minute" => 60,
        "hour" => 3600,
        "day" => 86_400,
        "week" => 7 * 86_400,
        "month" => return Some(add_months(t, amount).ok_or(())),
        "year" => {
            return Some(
                amount
                    .checked_mul(12)
                    .and_then(|months| add_months(t, months))
                    .ok_or(()),
            );
        }
        _ => return None,
    };
    Some(
        amount
            .checked_mul(seconds_per_unit)
            .and_then(|seconds| t.checked_add(Duration::seconds(seconds)))
            .ok_or(()),
    )
}

/// .NET ticks (100 ns intervals since 0001-01-01T00:00:00Z).
pub(crate) fn ticks(t: OffsetDateTime) -> i128 {
    t.unix_timestamp_nanos() / 100 + TICKS_AT_UNIX_EPOCH
}
