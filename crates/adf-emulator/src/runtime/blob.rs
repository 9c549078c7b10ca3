//! A small Azure Blob Storage client for the blob activities (Copy, Lookup, GetMetadata,
//! Delete): Shared Key or SAS authorization, list (flat or one level), container properties,
//! streamed download, upload in blocks (Put Block + Put Block List), so a copy holds a few
//! blocks in memory whatever the blob size, and delete.
//!
//! Why not `object_store`: it adds about ten crates (quick-xml, chrono, humantime, itertools,
//! parking_lot, ...), binds one store to one container, and its emulator mode reads
//! `AZURITE_BLOB_STORAGE_URL` from the process environment, which this library never reads. We
//! need five Blob REST calls and connection-string/SAS parsing anyway; `reqwest` is already in
//! the tree (adf-arm).
//!
//! This module is the emulator's network edge: it reads the system clock for `x-ms-date`.
//! It is public so that tests, the quickstart tooling and the copy benchmark can stage blobs
//! without another client.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

const VERSION: &str = "2021-08-06";
/// Azurite's well-known development account and key (public, documented by Microsoft).
const DEV_ACCOUNT: &str = "devstoreaccount1";
const DEV_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// How requests are authorized.
#[derive(Clone)]
enum Auth {
    SharedKey {
        account: String,
        key: Vec<u8>,
    },
    /// A SAS query string (without `?`).
    Sas(String),
    Anonymous,
}

/// The message for a blob endpoint that does not answer: it names the endpoint (never a
/// key: keys and SAS tokens are not in it) and, for a local one, says to start Azurite.
fn unreachable(endpoint: &str, cause: &str) -> String {
    let local = reqwest::Url::parse(endpoint)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .is_some_and(|host| matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]" | "::1"));
    let mut message = format!("cannot reach the blob endpoint {endpoint}: {cause}");
    if local {
        message.push_str(
            "; is Azurite running there? Start it with `npx azurite-blob --blobPort PORT` and give the emulator `--blob-endpoint http://127.0.0.1:PORT/devstoreaccount1`",
        );
    }
    message
}

/// How a container call ended: done, or with the status the caller accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Done,
    Tolerated,
}

/// Where a storage account is and how to sign for it. `Debug` never shows the key or SAS.
#[derive(Clone)]
pub struct BlobAccount {
    /// Blob endpoint without a trailing slash, e.g. `https://acct.blob.core.windows.net` or
    /// `http://127.0.0.1:10000/devstoreaccount1` (path-style).
    pub endpoint: String,
    auth: Auth,
}

impl fmt::Debug for BlobAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match self.auth {
            Auth::SharedKey { .. } => "SharedKey",
            Auth::Sas(_) => "SAS",
            Auth::Anonymous => "anonymous",
        };
        f.debug_struct("BlobAccount")
            .field("endpoint", &self.endpoint)
            .field("auth", &auth)
            .finish()
    }
}

/// A Blob REST error: the HTTP status (0 for a transport error), `x-ms-error-code`, a message.
#[derive(Debug, Clone)]
pub struct BlobError {
    /// The HTTP status, 0 when the request did not get an answer.
    pub status: u16,
    /// `x-ms-error-code` (e.g. `BlobNotFound`).
    pub code: String,
    /// What went wrong (never a key or a SAS).
    pub message: String,
}

impl std::error::Error for BlobError {}

impl fmt::Display for BlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.status == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{} {}: {}", self.status, self.code, self.message)
        }
    }
}

fn config_error(message: impl Into<String>) -> BlobError {
    BlobError {
        status: 0,
        code: "InvalidConfiguration".into(),
        message: message.into(),
    }
}

/// The pieces of a connection string (`Key=Value;...`), keys compared case-insensitively.
fn connection_parts(text: &str) -> Vec<(String, String)> {
    text.split(';')
        .filter_map(|part| {
            let (key, value) = part.split_once('=')?;
            Some((key.trim().to_ascii_lowercase(), value.trim().to_owned()))
        })
        .collect()
}

impl BlobAccount {
    /// From a storage connection string. `UseDevelopmentStorage=true` means Azurite at
    /// `development_endpoint` with the well-known account.
    pub fn from_connection_string(
        text: &str,
        development_endpoint: &str,
    ) -> Result<BlobAccount, BlobError> {
        let parts = connection_parts(text);
        let get = |key: &str| {
            parts
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        if get("usedevelopmentstorage").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            return Ok(BlobAccount {
                endpoint: development_endpoint.trim_end_matches('/').to_owned(),
                auth: Auth::SharedKey {
                    account: DEV_ACCOUNT.into(),
                    key: STANDARD.decode(DEV_KEY).unwrap_or_default(),
                },
            });
        }
        let account = get("accountname");
        let endpoint = match (get("blobendpoint"), &account) {
            (Some(endpoint), _) => endpoint,
            (None, Some(account)) => {
                let protocol = get("defaultendpointsprotocol").unwrap_or_else(|| "https".into());
                let suffix = get("endpointsuffix").unwrap_or_else(|| "core.windows.net".into());
                format!("{protocol}://{account}.blob.{suffix}")
            }
            (None, None) => {
                return Err(config_error(
                    "the connection string names neither AccountName nor BlobEndpoint",
                ));
            }
        };
        let auth = if let Some(sas) = get("sharedaccesssignature") {
            Auth::Sas(sas.trim_start_matches('?').to_owned())
        } else if let (Some(account), Some(key)) = (account, get("accountkey")) {
            let key = STANDARD
                .decode(key)
                .map_err(|_| config_error("the connection string's AccountKey is not base64"))?;
            Auth::SharedKey { account, key }
        } else {
            Auth::Anonymous
        };
        Ok(BlobAccount {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            auth,
        })
    }

    /// From an account endpoint and key (`serviceEndpoint` + `accountKey`).
    pub fn with_key(endpoint: &str, account: &str, key: &str) -> Result<BlobAccount, BlobError> {
        let key = STANDARD
            .decode(key)
            .map_err(|_| config_error("the account key is not base64"))?;
        Ok(BlobAccount {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            auth: Auth::SharedKey {
                account: account.to_owned(),
                key,
            },
        })
    }

    /// From a SAS URI (`https://acct.blob.core.windows.net/?sv=...`), with an optional
    /// separate token (`sasToken`).
    pub fn from_sas_uri(uri: &str, token: Option<&str>) -> Result<BlobAccount, BlobError> {
        let (base, query) = uri.split_once('?').unwrap_or((uri, ""));
        let query = token
            .filter(|t| !t.is_empty())
            .unwrap_or(query)
            .trim_start_matches('?');
        if !base.starts_with("http://") && !base.starts_with("https://") {
            return Err(config_error("the SAS URI is not an http(s) URL"));
        }
        Ok(BlobAccount {
            endpoint: base.trim_end_matches('/').to_owned(),
            auth: if query.is_empty() {
                Auth::Anonymous
            } else {
                Auth::Sas(query.to_owned())
            },
        })
    }

    /// The URL of a container or blob, with the query and the SAS, if any.
    fn url(&self, container: &str, blob: Option<&str>, query: &[(&str, &str)]) -> String {
        let mut url = format!("{}/{}", self.endpoint, encode_path(container));
        if let Some(blob) = blob {
            url.push('/');
            url.push_str(&encode_path(blob));
        }
        let mut pairs: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_component(v)))
            .collect();
        if let Auth::Sas(sas) = &self.auth {
            pairs.push(sas.clone());
        }
        if !pairs.is_empty() {
            url.push('?');
            url.push_str(&pairs.join("&"));
        }
        url
    }
}

/// Percent-encodes a path, keeping `/`.
fn encode_path(path: &str) -> String {
    path.split('/')
        .map(encode_component)
        .collect::<Vec<_>>()
        .join("/")
}

fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// One blob of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct BlobItem {
    /// The full blob name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// `Last-Modified` as the service gives it (RFC 1123, e.g. `Thu, 23 Feb 2017 06:17:09 GMT`).
    pub last_modified: Option<String>,
    /// `Content-MD5` (base64), when the blob has one.
    pub content_md5: Option<String>,
}

/// What a listing with a delimiter finds directly under a prefix.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlobChildren {
    /// The blobs directly under the prefix.
    pub blobs: Vec<BlobItem>,
    /// The virtual folders directly under it: full prefixes, ending with the delimiter.
    pub prefixes: Vec<String>,
}

/// A client over one account.
#[derive(Debug, Clone)]
pub struct BlobClient {
    http: reqwest::Client,
    account: BlobAccount,
}

impl BlobClient {
    /// A client for `account` over `http`.
    pub fn new(http: reqwest::Client, account: BlobAccount) -> Self {
        BlobClient { http, account }
    }

    /// A client for `account` with its own HTTP client (for tools and tests).
    pub fn connect(account: BlobAccount) -> Result<Self, BlobError> {
        let http = http_client_builder()
            .build()
            .map_err(|e| config_error(format!("cannot build the HTTP client: {e}")))?;
        Ok(BlobClient { http, account })
    }

    /// The endpoint (for messages).
    pub fn endpoint(&self) -> &str {
        &self.account.endpoint
    }

    fn request(
        &self,
        method: reqwest::Method,
        container: &str,
        blob: Option<&str>,
        query: &[(&str, &str)],
        headers: &[(&str, String)],
        content_length: usize,
    ) -> Result<reqwest::RequestBuilder, BlobError> {
        let url = self.account.url(container, blob, query);
        let date = OffsetDateTime::now_utc()
            .format(&Rfc2822)
            .map(|d| d.replace("+0000", "GMT"))
            .unwrap_or_default();
        let mut all_headers: Vec<(String, String)> = vec![
            ("x-ms-date".into(), date),
            ("x-ms-version".into(), VERSION.into()),
        ];
        for (name, value) in headers {
            all_headers.push(((*name).to_owned(), value.clone()));
        }
        let mut builder = self.http.request(method.clone(), &url);
        if let Auth::SharedKey { account, key } = &self.account.auth {
            let parsed = reqwest::Url::parse(&url).map_err(|e| config_error(e.to_string()))?;
            let signature = sign(
                key,
                account,
                method.as_str(),
                &parsed,
                &all_headers,
                content_length,
            );
            builder = builder.header("Authorization", format!("SharedKey {account}:{signature}"));
        }
        for (name, value) in all_headers {
            builder = builder.header(name, value);
        }
        Ok(builder.header("Content-Length", content_length))
    }

    async fn send(&self, builder: reqwest::RequestBuilder) -> Result<reqwest::Response, BlobError> {
        let response = builder.send().await.map_err(|e| BlobError {
            status: 0,
            code: "ConnectionFailed".into(),
            message: unreachable(&self.account.endpoint, &e.without_url().to_string()),
        })?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let code = response
            .headers()
            .get("x-ms-error-code")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = response.text().await.unwrap_or_default();
        let message = between(&body, "<Message>", "</Message>")
            .map(|m| unescape(m).lines().next().unwrap_or_default().to_owned())
            .unwrap_or_else(|| format!("HTTP {status}"));
        Err(BlobError {
            status,
            code,
            message,
        })
    }

    /// Every blob whose name starts with `prefix`, following `NextMarker`.
    pub async fn list(&self, container: &str, prefix: &str) -> Result<Vec<BlobItem>, BlobError> {
        Ok(self.list_pages(container, prefix, None).await?.blobs)
    }

    /// The blobs and virtual folders directly under `prefix` (a listing with the `/`
    /// delimiter), following `NextMarker`.
    pub async fn list_children(
        &self,
        container: &str,
        prefix: &str,
    ) -> Result<BlobChildren, BlobError> {
        self.list_pages(container, prefix, Some("/")).await
    }

    async fn list_pages(
        &self,
        container: &str,
        prefix: &str,
        delimiter: Option<&str>,
    ) -> Result<BlobChildren, BlobError> {
        let mut children = BlobChildren::default();
        let mut marker = String::new();
        loop {
            let mut query = vec![("restype", "container"), ("comp", "list")];
            if !prefix.is_empty() {
                query.push(("prefix", prefix));
            }
            if let Some(delimiter) = delimiter {
                query.push(("delimiter", delimiter));
            }
            if !marker.is_empty() {
                query.push(("marker", marker.as_str()));
            }
            let builder = self.request(reqwest::Method::GET, container, None, &query, &[], 0)?;
            let body = self.send(builder).await?.text().await.map_err(|e| {
                config_error(format!("cannot read a blob listing: {}", e.without_url()))
            })?;
            let mut rest = body.as_str();
            while let Some(start) = rest.find("<Blob>") {
                let after = &rest[start + 6..];
                let end = after.find("</Blob>").unwrap_or(after.len());
                let entry = &after[..end];
                if let Some(name) = between(entry, "<Name>", "</Name>") {
                    let size = between(entry, "<Content-Length>", "</Content-Length>")
                        .and_then(|s| s.trim().parse().ok())
                        .unwrap_or(0);
                    let property = |tag: &str| {
                        between(entry, &format!("<{tag}>"), &format!("</{tag}>"))
                            .map(|v| unescape(v.trim()))
                            .filter(|v| !v.is_empty())
                    };
                    children.blobs.push(BlobItem {
                        name: unescape(name),
                        size,
                        last_modified: property("Last-Modified"),
                        content_md5: property("Content-MD5"),
                    });
                }
                rest = &after[end..];
            }
            let mut rest = body.as_str();
            while let Some(start) = rest.find("<BlobPrefix>") {
                let after = &rest[start + 12..];
                let end = after.find("</BlobPrefix>").unwrap_or(after.len());
                if let Some(name) = between(&after[..end], "<Name>", "</Name>") {
                    children.prefixes.push(unescape(name));
                }
                rest = &after[end..];
            }
            marker = between(&body, "<NextMarker>", "</NextMarker>")
                .map(unescape)
                .unwrap_or_default();
            if marker.is_empty() {
                return Ok(children);
            }
        }
    }

    /// Lists at most one container (List Containers, `comp=list&maxresults=1`): the cheapest
    /// account-level call that proves the endpoint answers and the credential is accepted.
    /// A linked service's connection test uses it.
    pub async fn probe_account(&self) -> Result<(), BlobError> {
        let builder = self.request(
            reqwest::Method::GET,
            "",
            None,
            &[("comp", "list"), ("maxresults", "1")],
            &[],
            0,
        )?;
        self.send(builder).await.map(|_| ())
    }

    /// The container's `Last-Modified` (RFC 1123), or `None` when it does not exist.
    pub async fn container_last_modified(
        &self,
        container: &str,
    ) -> Result<Option<String>, BlobError> {
        let builder = self.request(
            reqwest::Method::GET,
            container,
            None,
            &[("restype", "container")],
            &[],
            0,
        )?;
        match self.send(builder).await {
            Ok(response) => Ok(Some(
                response
                    .headers()
                    .get("Last-Modified")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned(),
            )),
            Err(error) if error.status == 404 => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Deletes a blob and its snapshots; `false` when it did not exist.
    pub async fn delete_blob(&self, container: &str, blob: &str) -> Result<bool, BlobError> {
        let headers = [("x-ms-delete-snapshots", "include".to_owned())];
        let builder = self.request(
            reqwest::Method::DELETE,
            container,
            Some(blob),
            &[],
            &headers,
            0,
        )?;
        match self.send(builder).await {
            Ok(_) => Ok(true),
            Err(error) if error.status == 404 => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Whether the container exists.
    pub async fn container_exists(&self, container: &str) -> Result<bool, BlobError> {
        self.container_call(reqwest::Method::GET, container, 404)
            .await
            .map(|outcome| outcome == Outcome::Done)
    }

    /// A call on a container (`?restype=container`): whether it was done, or answered the
    /// `tolerated` status (a container missing, or already there).
    async fn container_call(
        &self,
        method: reqwest::Method,
        container: &str,
        tolerated: u16,
    ) -> Result<Outcome, BlobError> {
        let builder = self.request(method, container, None, &[("restype", "container")], &[], 0)?;
        match self.send(builder).await {
            Ok(_) => Ok(Outcome::Done),
            Err(error) if error.status == tolerated => Ok(Outcome::Tolerated),
            Err(error) => Err(error),
        }
    }

    /// Deletes a container and everything in it (Delete Container); a missing one is no error.
    pub async fn delete_container(&self, container: &str) -> Result<(), BlobError> {
        self.container_call(reqwest::Method::DELETE, container, 404)
            .await
            .map(|_| ())
    }

    /// Creates the container; an existing one is fine.
    pub async fn create_container(&self, container: &str) -> Result<(), BlobError> {
        self.container_call(reqwest::Method::PUT, container, 409)
            .await
            .map(|_| ())
    }

    /// Starts a download; read it with `chunk()`.
    pub async fn get(&self, container: &str, blob: &str) -> Result<reqwest::Response, BlobError> {
        let builder = self.request(reqwest::Method::GET, container, Some(blob), &[], &[], 0)?;
        self.send(builder).await
    }

    /// Uploads a whole (small) blob in one Put Blob, with its `Content-MD5`.
    pub async fn put_blob(
        &self,
        container: &str,
        blob: &str,
        data: impl Into<Bytes>,
    ) -> Result<(), BlobError> {
        let data = data.into();
        let headers = [
            ("x-ms-blob-type", "BlockBlob".to_owned()),
            ("Content-MD5", content_md5(&data).await),
        ];
        let builder = self.request(
            reqwest::Method::PUT,
            container,
            Some(blob),
            &[],
            &headers,
            data.len(),
        )?;
        self.send(builder.body(data)).await.map(|_| ())
    }

    /// Stages one block, with its `Content-MD5`.
    pub async fn put_block(
        &self,
        container: &str,
        blob: &str,
        block_id: &str,
        data: impl Into<Bytes>,
    ) -> Result<(), BlobError> {
        let data = data.into();
        let md5 = content_md5(&data).await;
        self.put_block_hashed(container, blob, block_id, data, md5)
            .await
    }

    /// Stages one block whose `Content-MD5` (base64) the caller already has: a benchmark's
    /// reference upload sends one buffer many times and hashes it once.
    pub async fn put_block_hashed(
        &self,
        container: &str,
        blob: &str,
        block_id: &str,
        data: Bytes,
        content_md5: String,
    ) -> Result<(), BlobError> {
        let headers = [("Content-MD5", content_md5)];
        let builder = self.request(
            reqwest::Method::PUT,
            container,
            Some(blob),
            &[("comp", "block"), ("blockid", block_id)],
            &headers,
            data.len(),
        )?;
        self.send(builder.body(data)).await.map(|_| ())
    }

    /// Commits staged blocks as the blob's content.
    pub async fn put_block_list(
        &self,
        container: &str,
        blob: &str,
        block_ids: &[String],
    ) -> Result<(), BlobError> {
        let mut body = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
        for id in block_ids {
            body.push_str(&format!("<Latest>{id}</Latest>"));
        }
        body.push_str("</BlockList>");
        let headers = [("Content-Type", "application/xml".to_owned())];
        let builder = self.request(
            reqwest::Method::PUT,
            container,
            Some(blob),
            &[("comp", "blocklist")],
            &headers,
            body.len(),
        )?;
        self.send(builder.body(body)).await.map(|_| ())
    }
}

/// Bodies above this size are hashed on the blocking pool, not on the runtime's threads.
const HASH_INLINE_LIMIT: usize = 256 * 1024;

/// The transactional `Content-MD5` of an upload (base64). Sending it is what makes Azurite
/// check the body with MD5 (native code, several hundred MB/s); without it, Azurite computes a
/// CRC64 of every Put Block byte by byte in JavaScript, and uploads run at about 40 % of the
/// speed (29 against 74 MiB/s for 4 MiB blocks, measured with Azurite 3.37). Azure checks it
/// too: a body damaged on the way is refused (`Md5Mismatch`) instead of stored.
pub async fn content_md5(data: &Bytes) -> String {
    use md5::Digest as _;
    if data.len() <= HASH_INLINE_LIMIT {
        return STANDARD.encode(md5::Md5::digest(data));
    }
    let shared = data.clone();
    match tokio::task::spawn_blocking(move || md5::Md5::digest(&shared)).await {
        Ok(digest) => STANDARD.encode(digest),
        // The blocking pool is shutting down (the runtime stops): hash here.
        Err(_) => STANDARD.encode(md5::Md5::digest(data)),
    }
}

/// The HTTP settings for Blob endpoints ([`crate::config::blob_http_client_builder`]).
pub fn http_client_builder() -> reqwest::ClientBuilder {
    crate::config::blob_http_client_builder()
}

/// A block id: base64 of a fixed-width counter (all ids of a blob must have the same length).
pub fn block_id(index: usize) -> String {
    STANDARD.encode(format!("block-{index:010}"))
}

/// The Shared Key signature (Blob service, version 2009-09-19 and later).
fn sign(
    key: &[u8],
    account: &str,
    method: &str,
    url: &reqwest::Url,
    headers: &[(String, String)],
    content_length: usize,
) -> String {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let length = if content_length == 0 {
        String::new()
    } else {
        content_length.to_string()
    };
    let mut ms_headers: Vec<(String, &str)> = headers
        .iter()
        .filter(|(n, _)| n.to_ascii_lowercase().starts_with("x-ms-"))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim()))
        .collect();
    ms_headers.sort();
    let mut canonical_headers = String::new();
    for (name, value) in ms_headers {
        canonical_headers.push_str(&format!("{name}:{value}\n"));
    }
    let mut resource = format!("/{account}{}", url.path());
    let mut query: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.into_owned()))
        .collect();
    query.sort();
    for (name, value) in query {
        resource.push_str(&format!("\n{name}:{value}"));
    }
    let to_sign = format!(
        "{method}\n{}\n{}\n{length}\n{}\n{}\n\n{}\n{}\n{}\n{}\n{}\n{canonical_headers}{resource}",
        header("Content-Encoding"),
        header("Content-Language"),
        header("Content-MD5"),
        header("Content-Type"),
        header("If-Modified-Since"),
        header("If-Match"),
        header("If-None-Match"),
        header("If-Unmodified-Since"),
        header("Range"),
    );
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(to_sign.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn development_storage_points_at_the_configured_endpoint() {
        let account =
            BlobAccount::from_connection_string("UseDevelopmentStorage=true", "http://h:1/dev/")
                .unwrap();
        assert_eq!(account.endpoint, "http://h:1/dev");
        assert!(
            matches!(account.auth, Auth::SharedKey { ref account, .. } if account == DEV_ACCOUNT)
        );
    }

    #[test]
    fn explicit_connection_strings() {
        let explicit = BlobAccount::from_connection_string(
            "DefaultEndpointsProtocol=http;AccountName=a;AccountKey=c2VjcmV0;BlobEndpoint=http://x:2/a;",
            "unused",
        )
        .unwrap();
        assert_eq!(explicit.endpoint, "http://x:2/a");
        let derived = BlobAccount::from_connection_string(
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net",
            "unused",
        )
        .unwrap();
        assert_eq!(derived.endpoint, "https://acct.blob.core.windows.net");
        let sas = BlobAccount::from_connection_string(
            "BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=sv=1&sig=abc",
            "unused",
        )
        .unwrap();
        assert_eq!(
            sas.url("c", Some("a b.txt"), &[]),
            "https://acct.blob.core.windows.net/c/a%20b.txt?sv=1&sig=abc"
        );
        assert!(BlobAccount::from_connection_string("Foo=bar", "unused").is_err());
        assert!(
            BlobAccount::from_connection_string("AccountName=a;AccountKey=!!", "unused").is_err()
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let account = BlobAccount::with_key("http://x", "a", "c2VjcmV0LWtleQ==").unwrap();
        let shown = format!("{account:?}");
        assert!(
            !shown.contains("c2VjcmV0") && shown.contains("SharedKey"),
            "{shown}"
        );
    }

    #[test]
    fn sas_uris() {
        let account =
            BlobAccount::from_sas_uri("https://a.blob.core.windows.net/?sv=1&sig=x", None).unwrap();
        assert_eq!(
            account.url("c", None, &[("comp", "list")]),
            "https://a.blob.core.windows.net/c?comp=list&sv=1&sig=x"
        );
        let token =
            BlobAccount::from_sas_uri("https://a.blob.core.windows.net", Some("?sv=2")).unwrap();
        assert_eq!(
            token.url("c", Some("b"), &[]),
            "https://a.blob.core.windows.net/c/b?sv=2"
        );
        assert!(BlobAccount::from_sas_uri("ftp://x", None).is_err());
    }

    #[tokio::test]
    async fn errors_never_show_a_sas() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let account = BlobAccount::from_sas_uri(
            &format!("http://127.0.0.1:{port}/acct?sv=1&sig=SECRETSIG"),
            None,
        )
        .unwrap();
        let client = BlobClient::connect(account).unwrap();
        let error = client.list("c", "").await.unwrap_err();
        assert_eq!(error.status, 0);
        assert!(!error.to_string().contains("SECRETSIG"), "{error}");
        assert!(!format!("{client:?}").contains("SECRETSIG"));
        // It says where it went and, for a local endpoint, what to start.
        let text = error.to_string();
        assert!(
            text.contains(&format!(
                "cannot reach the blob endpoint http://127.0.0.1:{port}/acct: "
            )),
            "{text}"
        );
        assert!(text.contains("is Azurite running there?"), "{text}");
    }

    #[test]
    fn a_remote_endpoint_is_named_without_the_azurite_hint() {
        let text = unreachable("https://acct.blob.core.windows.net", "dns error");
        assert_eq!(
            text,
            "cannot reach the blob endpoint https://acct.blob.core.windows.net: dns error"
        );
    }

    #[test]
    fn block_ids_have_one_length() {
        assert_eq!(block_id(0).len(), block_id(123_456).len());
    }
}
