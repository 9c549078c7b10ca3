//! [`ArmClient`]: one ARM request = build URL, pace, authenticate, send, retry by policy,
//! then interpret the response into an [`ArmResponse`] or a typed [`ArmError`].

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use url::Url;

use crate::cloud::Cloud;
use crate::credential::{ChainCredential, Credential, LOCAL_TOKEN};
use crate::error::{ArmError, parse_cloud_error, status_code_name};
use crate::lro::{LroOptions, Poller};
use crate::pacing::{Bucket, Pacer, PacingOptions};
use crate::retry::{
    Decision, Idempotency, Outcome, RetryOptions, RetryPolicy, parse_retry_after, random_unit,
};
use crate::secret::SecretString;
use crate::stats::{Counters, RequestStats};

/// Settings of an [`ArmClient`].
#[derive(Clone, Debug)]
pub struct ArmClientOptions {
    /// ARM base URL; ARM paths are appended to it. `https://`, or `http://` on a loopback
    /// address only (the local emulator).
    pub endpoint: Url,
    /// How requests are authenticated.
    pub credential: Credential,
    /// Retry settings.
    pub retry: RetryOptions,
    /// Pacing settings.
    pub pacing: PacingOptions,
    /// Long-running operation settings.
    pub lro: LroOptions,
    /// Limit for one request, from connect to the last body byte.
    pub timeout: Duration,
    /// Limit for opening a connection.
    pub connect_timeout: Duration,
    /// `User-Agent` header.
    pub user_agent: String,
    /// A list that needs more pages than this is refused (a broken `nextLink` chain).
    pub max_pages: usize,
}

impl ArmClientOptions {
    /// Defaults for `endpoint`. A loopback endpoint polls long-running operations every
    /// second when ARM gives no `Retry-After` (Azure: 15 s).
    pub fn new(endpoint: Url) -> ArmClientOptions {
        let mut lro = LroOptions::default();
        if is_loopback(&endpoint) {
            lro.default_poll_interval = Duration::from_secs(1);
        }
        ArmClientOptions {
            endpoint,
            credential: Credential::None,
            retry: RetryOptions::default(),
            pacing: PacingOptions::default(),
            lro,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            user_agent: format!("adfctl/{}", env!("CARGO_PKG_VERSION")),
            max_pages: 10_000,
        }
    }

    /// Defaults for a cloud's ARM endpoint, with the credential chain for that cloud.
    pub fn for_cloud(cloud: Cloud, chain: crate::credential::ChainSettings) -> ArmClientOptions {
        // `Cloud::endpoint` returns constants that parse (guarded by a test).
        #[allow(clippy::expect_used)]
        let endpoint = Url::parse(cloud.endpoint()).expect("Cloud endpoints are valid URLs");
        let mut options = ArmClientOptions::new(endpoint);
        options.credential = Credential::Chain(crate::credential::ChainSettings { cloud, ..chain });
        options
    }
}

impl Default for ArmClientOptions {
    fn default() -> Self {
        ArmClientOptions::for_cloud(Cloud::Public, crate::credential::ChainSettings::default())
    }
}

/// True for `localhost`, `127.0.0.0/8` and `::1`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        None => false,
    }
}

/// A successful ARM response.
#[derive(Clone, Debug, PartialEq)]
pub struct ArmResponse {
    /// HTTP status.
    pub status: u16,
    /// The JSON body; `Value::Null` when the body was empty.
    pub body: Value,
    /// The `ETag` header, else the body's `etag`/`eTag` (factories say `eTag`).
    pub etag: Option<String>,
    /// `x-ms-request-id`.
    pub request_id: Option<String>,
    /// `x-ms-correlation-request-id`.
    pub correlation_id: Option<String>,
    /// `Location`, when present.
    pub location: Option<String>,
    /// `Azure-AsyncOperation`, when present.
    pub async_operation: Option<String>,
    /// `Retry-After`, when present and valid.
    pub retry_after: Option<Duration>,
}

/// What a response body must look like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    /// A JSON object (GET, PUT, PATCH of a resource).
    Object,
    /// Empty, or any JSON (DELETE, POST actions, LRO polls).
    Optional,
}

/// A response as it came off the wire.
pub(crate) struct Raw {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Raw {
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
    }

    pub(crate) fn request_id(&self) -> Option<String> {
        self.header("x-ms-request-id")
    }

    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// One request to send.
pub(crate) struct Call {
    pub method: Method,
    pub url: Url,
    pub body: Option<Vec<u8>>,
    pub if_match: Option<String>,
    pub idempotency: Idempotency,
}

impl Call {
    pub(crate) fn get(url: Url) -> Call {
        Call {
            method: Method::GET,
            url,
            body: None,
            if_match: None,
            idempotency: Idempotency::Idempotent,
        }
    }
}

// Built once per client; boxing the chain would buy nothing.
#[allow(clippy::large_enum_variant)]
enum TokenSource {
    Local,
    Static(SecretString),
    Chain(ChainCredential),
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Local => f.write_str("Local"),
            TokenSource::Static(_) => f.write_str("Static(<redacted>)"),
            TokenSource::Chain(chain) => write!(f, "{chain:?}"),
        }
    }
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    options: ArmClientOptions,
    token: TokenSource,
    policy: RetryPolicy,
    pacer: Pacer,
    counters: Counters,
}

/// The ARM client. Cheap to clone; clones share the connection pool, credential, pacing state
/// and stats.
#[derive(Clone, Debug)]
pub struct ArmClient {
    inner: Arc<Inner>,
}

impl ArmClient {
    /// Builds a client. Refuses an `http://` endpoint that is not loopback (tokens would travel
    /// in clear).
    pub fn new(options: ArmClientOptions) -> Result<Self, ArmError> {
        let endpoint = &options.endpoint;
        match endpoint.scheme() {
            "https" => {}
            "http" if is_loopback(endpoint) => {}
            "http" => {
                return Err(ArmError::Config(format!(
                    "refusing to send Azure credentials over plain http to {endpoint}; use an https endpoint, or a loopback address (http://127.0.0.1:PORT) for the local emulator"
                )));
            }
            other => {
                return Err(ArmError::Config(format!(
                    "unsupported endpoint scheme '{other}' in {endpoint}; expected https"
                )));
            }
        }
        if endpoint.host().is_none() {
            return Err(ArmError::Config(format!("endpoint {endpoint} has no host")));
        }
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .user_agent(options.user_agent.clone())
            // A redirect would carry the bearer token somewhere we did not choose; ARM does not redirect.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| ArmError::Config(format!("cannot build the HTTP client: {error}")))?;
        let token = match &options.credential {
            Credential::None => TokenSource::Local,
            Credential::Static(token) => TokenSource::Static(token.clone()),
            Credential::Chain(settings) => {
                TokenSource::Chain(ChainCredential::new(settings.clone()))
            }
        };
        Ok(ArmClient {
            inner: Arc::new(Inner {
                http,
                policy: RetryPolicy::new(options.retry.clone()),
                pacer: Pacer::new(options.pacing.clone()),
                counters: Counters::default(),
                token,
                options,
            }),
        })
    }

    /// The ARM endpoint.
    pub fn endpoint(&self) -> &Url {
        &self.inner.options.endpoint
    }

    /// The options this client was built with.
    pub fn options(&self) -> &ArmClientOptions {
        &self.inner.options
    }

    /// Counts of what this client (and its clones) sent so far.
    pub fn stats(&self) -> RequestStats {
        self.inner.counters.snapshot()
    }

    /// Obtains a token now (e.g. to fail early, before a plan, when no credential works).
    pub async fn check_credential(&self) -> Result<(), ArmError> {
        self.token().await.map(|_| ())
    }

    /// GET a resource. A missing resource is an error with `is_not_found()`.
    pub async fn get(&self, path: &str, api_version: &str) -> Result<ArmResponse, ArmError> {
        let url = self.resource_url(path, api_version)?;
        let raw = self.execute(Call::get(url.clone())).await?;
        self.interpret(raw, &Method::GET, &url, Expect::Object)
    }

    /// GET a resource; `None` when it (or its parent) does not exist.
    pub async fn get_optional(
        &self,
        path: &str,
        api_version: &str,
    ) -> Result<Option<ArmResponse>, ArmError> {
        match self.get(path, api_version).await {
            Ok(response) => Ok(Some(response)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// HEAD a resource (resource groups answer 204 or 404).
    pub async fn head_exists(&self, path: &str, api_version: &str) -> Result<bool, ArmError> {
        let url = self.resource_url(path, api_version)?;
        let call = Call {
            method: Method::HEAD,
            ..Call::get(url.clone())
        };
        let raw = self.execute(call).await?;
        match raw.status {
            200..=299 => Ok(true),
            404 => Ok(false),
            _ => Err(self.error_from(raw, &Method::HEAD, &url)),
        }
    }

    /// PUT a resource (create or replace). `if_match` sends `If-Match` (an etag, or `*`).
    /// A 201/202 that names an operation to poll is followed to completion, then the resource is read.
    pub async fn put(
        &self,
        path: &str,
        api_version: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<ArmResponse, ArmError> {
        self.write(Method::PUT, path, api_version, body, if_match)
            .await
    }

    /// PATCH a resource (factories: tags, identity, publicNetworkAccess; resource groups).
    pub async fn patch(
        &self,
        path: &str,
        api_version: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<ArmResponse, ArmError> {
        self.write(Method::PATCH, path, api_version, body, if_match)
            .await
    }

    async fn write(
        &self,
        method: Method,
        path: &str,
        api_version: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<ArmResponse, ArmError> {
        let url = self.resource_url(path, api_version)?;
        let call = Call {
            method: method.clone(),
            url: url.clone(),
            body: Some(serialize(body, &method, &url)?),
            if_match: if_match.map(str::to_string),
            idempotency: Idempotency::Idempotent,
        };
        let raw = self.execute(call).await?;
        let pending = raw.status == 202
            || (raw.status == 201 && raw.headers.contains_key("azure-asyncoperation"));
        if !pending {
            return self.interpret(raw, &method, &url, Expect::Object);
        }
        let poller = Poller::start(
            self.clone(),
            method.clone(),
            url.clone(),
            raw,
            Some(url.clone()),
        )?;
        let done = poller.wait().await?;
        if done.body.is_object() {
            return Ok(done);
        }
        self.get(path, api_version).await
    }

    /// DELETE a resource and wait for it to be gone. 200, 204 and 404 are success; 202 is
    /// followed (`Location` or `Azure-AsyncOperation`, honouring `Retry-After`) to completion.
    pub async fn delete(&self, path: &str, api_version: &str) -> Result<(), ArmError> {
        self.begin_delete(path, api_version).await?.wait().await?;
        Ok(())
    }

    /// DELETE a resource and return a poller, for callers who show progress.
    pub async fn begin_delete(&self, path: &str, api_version: &str) -> Result<Poller, ArmError> {
        let url = self.resource_url(path, api_version)?;
        let call = Call {
            method: Method::DELETE,
            ..Call::get(url.clone())
        };
        let raw = self.execute(call).await?;
        match raw.status {
            202 => Poller::start(self.clone(), Method::DELETE, url, raw, None),
            404 => Ok(Poller::done(
                self.clone(),
                Method::DELETE,
                &url,
                response_from(raw, Value::Null),
            )),
            200..=299 => {
                let response = self.interpret(raw, &Method::DELETE, &url, Expect::Optional)?;
                Ok(Poller::done(self.clone(), Method::DELETE, &url, response))
            }
            _ => Err(self.error_from(raw, &Method::DELETE, &url)),
        }
    }

    /// POST an action (`start`, `stop`, `createRun`, `queryPipelineRuns`, ...). `idempotency`
    /// says whether a failed attempt may be repeated. A 202 is followed to completion.
    pub async fn post(
        &self,
        path: &str,
        api_version: &str,
        body: Option<&Value>,
        idempotency: Idempotency,
    ) -> Result<ArmResponse, ArmError> {
        let url = self.resource_url(path, api_version)?;
        let body = match body {
            Some(body) => Some(serialize(body, &Method::POST, &url)?),
            None => None,
        };
        let call = Call {
            method: Method::POST,
            url: url.clone(),
            body,
            if_match: None,
            idempotency,
        };
        let raw = self.execute(call).await?;
        // A 202 that names nothing to poll is the answer itself: the 2017 preview API answered
        // createRun so (arm-recordings, test_pipeline_create).
        let to_poll =
            raw.header("location").is_some() || raw.header("azure-asyncoperation").is_some();
        if raw.status == 202 && to_poll {
            let poller = Poller::start(self.clone(), Method::POST, url, raw, None)?;
            return poller.wait().await;
        }
        self.interpret(raw, &Method::POST, &url, Expect::Optional)
    }

    /// GET every item of an ARM list: follows `nextLink` verbatim until it is absent. Empty
    /// pages with a `nextLink` are fine; a `nextLink` seen before, a link to another host, or
    /// more than `max_pages` pages is a [`ArmError::MalformedResponse`].
    pub async fn list(&self, path: &str, api_version: &str) -> Result<Vec<Value>, ArmError> {
        let mut url = self.resource_url(path, api_version)?;
        let mut seen = HashSet::new();
        let mut items = Vec::new();
        loop {
            if !seen.insert(url.as_str().to_string()) {
                return Err(malformed_without_response(
                    &Method::GET,
                    &url,
                    format!("nextLink loop: page {} was already fetched", url.path()),
                ));
            }
            if seen.len() > self.inner.options.max_pages {
                return Err(malformed_without_response(
                    &Method::GET,
                    &url,
                    format!("more than {} pages", self.inner.options.max_pages),
                ));
            }
            let raw = self.execute(Call::get(url.clone())).await?;
            let status = raw.status;
            let request_id = raw.request_id();
            let page = self
                .interpret(raw, &Method::GET, &url, Expect::Object)?
                .body;
            let bad = |detail: String| ArmError::MalformedResponse {
                method: "GET".into(),
                path: url.path().to_string(),
                status,
                request_id: request_id.clone(),
                detail,
            };
            match page.get("value") {
                Some(Value::Array(values)) => items.extend(values.iter().cloned()),
                // The official examples (ListResourceGroups, ListResources) answer `{}`.
                None | Some(Value::Null) => {}
                Some(other) => {
                    return Err(bad(format!(
                        "list `value` is {}, expected an array",
                        json_type(other)
                    )));
                }
            }
            match page.get("nextLink") {
                None | Some(Value::Null) => break,
                Some(Value::String(link)) if link.is_empty() => break,
                Some(Value::String(link)) => {
                    url = self.follow_link(link).map_err(&bad)?;
                }
                Some(other) => {
                    return Err(bad(format!(
                        "`nextLink` is {}, expected a string",
                        json_type(other)
                    )));
                }
            }
        }
        Ok(items)
    }

    /// `endpoint + path + ?api-version=`.
    pub fn resource_url(&self, path: &str, api_version: &str) -> Result<Url, ArmError> {
        if !path.starts_with('/') {
            return Err(ArmError::Config(format!(
                "ARM path must start with '/': {path}"
            )));
        }
        let base = self.inner.options.endpoint.as_str().trim_end_matches('/');
        let mut url = Url::parse(&format!("{base}{path}"))
            .map_err(|error| ArmError::Config(format!("invalid ARM path {path}: {error}")))?;
        url.query_pairs_mut()
            .append_pair("api-version", api_version);
        Ok(url)
    }

    /// Parses a URL ARM handed us (`nextLink`, `Location`, `Azure-AsyncOperation`) and checks
    /// it points at our endpoint, so the bearer token never goes to another host.
    pub(crate) fn follow_link(&self, link: &str) -> Result<Url, String> {
        let url =
            Url::parse(link).map_err(|error| format!("link is not an absolute URL: {error}"))?;
        if url.origin() != self.inner.options.endpoint.origin() {
            return Err(format!(
                "refusing to follow a link to {} (not the ARM endpoint {})",
                url.origin().ascii_serialization(),
                self.inner.options.endpoint.origin().ascii_serialization()
            ));
        }
        Ok(url)
    }

    async fn token(&self) -> Result<SecretString, ArmError> {
        match &self.inner.token {
            TokenSource::Local => Ok(SecretString::new(LOCAL_TOKEN)),
            TokenSource::Static(token) => Ok(token.clone()),
            TokenSource::Chain(chain) => Ok(chain.token().await?),
        }
    }

    /// Sends `call`, retrying by policy. Returns whatever response came last (any status);
    /// errors only when no response could be had.
    pub(crate) async fn execute(&self, call: Call) -> Result<Raw, ArmError> {
        let inner = &*self.inner;
        let bucket = Bucket::of(&call.method);
        let mut attempt: u32 = 0;
        let mut token_refreshed = false;
        loop {
            if let Some(wait) = inner.pacer.reserve(bucket, tokio::time::Instant::now()) {
                inner.counters.paced();
                tracing::debug!(method = %call.method, path = call.url.path(), wait_ms = wait.as_millis() as u64, "pacing: ARM rate limit running low");
                tokio::time::sleep(wait).await;
            }
            let token = self.token().await?;
            let mut request = inner
                .http
                .request(call.method.clone(), call.url.clone())
                .bearer_auth(token.expose())
                .header("Accept", "application/json")
                .header("x-ms-client-request-id", uuid::Uuid::new_v4().to_string());
            if let Some(body) = &call.body {
                request = request
                    .header("Content-Type", "application/json")
                    .body(body.clone());
            } else if call.method == Method::POST {
                // ARM's front door answers 411 to a bodiless POST without `Content-Length: 0`.
                request = request.header("Content-Length", "0");
            }
            if let Some(etag) = &call.if_match
                && let Ok(value) = HeaderValue::from_str(etag)
            {
                request = request.header("If-Match", value);
            }
            inner.counters.sent(&call.method);
            let started = tokio::time::Instant::now();
            let result = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    match response.bytes().await {
                        Ok(body) => Ok(Raw {
                            status,
                            headers,
                            body: body.to_vec(),
                        }),
                        Err(error) => Err(error),
                    }
                }
                Err(error) => Err(error),
            };
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let outcome = match &result {
                Ok(raw) => {
                    inner.pacer.observe(bucket, &raw.headers);
                    if raw.status == 429 {
                        inner.counters.throttled();
                    }
                    tracing::debug!(
                        method = %call.method,
                        path = call.url.path(),
                        status = raw.status,
                        duration_ms = elapsed_ms,
                        request_id = raw.request_id().as_deref().unwrap_or("-"),
                        attempt,
                        "ARM request"
                    );
                    Outcome::Response {
                        status: raw.status,
                        retry_after: raw
                            .header("retry-after")
                            .as_deref()
                            .and_then(parse_retry_after),
                    }
                }
                Err(error) => {
                    tracing::debug!(
                        method = %call.method,
                        path = call.url.path(),
                        duration_ms = elapsed_ms,
                        attempt,
                        error = %error.without_url_ref(),
                        "ARM request failed"
                    );
                    if error.is_connect() {
                        Outcome::ConnectFailed
                    } else if error.is_timeout() {
                        Outcome::TimedOut
                    } else {
                        Outcome::Interrupted
                    }
                }
            };
            // A 401 with a cached chain token (expired early, revoked, clock skew): drop the
            // cache and try once more with a fresh token. ARM rejected the request before
            // processing it, so this is safe even for a non-idempotent POST.
            if let (Ok(raw), TokenSource::Chain(chain)) = (&result, &inner.token)
                && raw.status == 401
                && !token_refreshed
            {
                token_refreshed = true;
                chain.invalidate().await;
                inner.counters.retried();
                tracing::debug!(method = %call.method, path = call.url.path(), "401: retrying once with a fresh token");
                continue;
            }
            match inner
                .policy
                .decide(attempt, outcome, call.idempotency, random_unit())
            {
                Decision::Retry(delay) => {
                    inner.counters.retried();
                    tracing::debug!(method = %call.method, path = call.url.path(), delay_ms = delay.as_millis() as u64, "retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Decision::Stop => {
                    return result.map_err(|error| transport_error(&call, &error, outcome, inner));
                }
            }
        }
    }

    /// Turns a response into an `ArmResponse` (2xx) or an error.
    pub(crate) fn interpret(
        &self,
        raw: Raw,
        method: &Method,
        url: &Url,
        expect: Expect,
    ) -> Result<ArmResponse, ArmError> {
        if !raw.is_success() {
            return Err(self.error_from(raw, method, url));
        }
        let body = parse_body(&raw, method, url, expect)?;
        Ok(response_from(raw, body))
    }

    /// The error for a non-2xx response.
    pub(crate) fn error_from(&self, raw: Raw, method: &Method, url: &Url) -> ArmError {
        let request_id = raw.request_id();
        let malformed = |detail: String| ArmError::MalformedResponse {
            method: method.to_string(),
            path: url.path().to_string(),
            status: raw.status,
            request_id: request_id.clone(),
            detail,
        };
        if !(400..600).contains(&raw.status) {
            return malformed(format!("unexpected status {}", raw.status));
        }
        let cloud_error = if raw.body.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            match serde_json::from_slice::<Value>(&raw.body) {
                Ok(body) => match parse_cloud_error(&body) {
                    Some(error) => Some(error),
                    None => {
                        return malformed(format!(
                            "error body is JSON but not an ARM error ({})",
                            describe_body(&raw)
                        ));
                    }
                },
                Err(error) => {
                    return malformed(format!(
                        "error body is not JSON: {error} ({})",
                        describe_body(&raw)
                    ));
                }
            }
        };
        let (code, message, target) = match cloud_error {
            Some(error) => (error.code, error.message, error.target),
            None => (
                status_code_name(raw.status),
                "(no error details in the response)".to_string(),
                None,
            ),
        };
        ArmError::Api {
            status: raw.status,
            code,
            message,
            target,
            request_id,
            correlation_id: raw.header("x-ms-correlation-request-id"),
            method: method.to_string(),
            path: url.path().to_string(),
        }
    }

    pub(crate) fn lro_options(&self) -> &LroOptions {
        &self.inner.options.lro
    }
}

/// reqwest's `without_url` consumes the error; this is the borrowed form for logging.
trait WithoutUrlRef {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrlRef for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let mut text = self.to_string();
        if let Some(url) = self.url() {
            text = text
                .replace(&format!(" ({url})"), "")
                .replace(url.as_str(), url.path());
        }
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

fn transport_error(
    call: &Call,
    error: &reqwest::Error,
    outcome: Outcome,
    inner: &Inner,
) -> ArmError {
    let method = call.method.to_string();
    let path = call.url.path().to_string();
    if outcome == Outcome::TimedOut {
        return ArmError::Timeout {
            method,
            path,
            after: inner.options.timeout,
        };
    }
    ArmError::Transport {
        method,
        path,
        detail: error.without_url_ref(),
        connect: outcome == Outcome::ConnectFailed,
    }
}

fn serialize(body: &Value, method: &Method, url: &Url) -> Result<Vec<u8>, ArmError> {
    serde_json::to_vec(body).map_err(|error| {
        ArmError::Config(format!(
            "cannot serialize the {method} {} body: {error}",
            url.path()
        ))
    })
}

pub(crate) fn malformed_without_response(method: &Method, url: &Url, detail: String) -> ArmError {
    ArmError::MalformedResponse {
        method: method.to_string(),
        path: url.path().to_string(),
        status: 200,
        request_id: None,
        detail,
    }
}

pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn describe_body(raw: &Raw) -> String {
    let content_type = raw
        .header("content-type")
        .unwrap_or_else(|| "no content-type".to_string());
    format!("{content_type}, {} bytes", raw.body.len())
}

/// Parses a 2xx body. Never includes the body in an error (it may hold secrets).
pub(crate) fn parse_body(
    raw: &Raw,
    method: &Method,
    url: &Url,
    expect: Expect,
) -> Result<Value, ArmError> {
    let malformed = |detail: String| ArmError::MalformedResponse {
        method: method.to_string(),
        path: url.path().to_string(),
        status: raw.status,
        request_id: raw.request_id(),
        detail,
    };
    if raw.body.iter().all(u8::is_ascii_whitespace) {
        return match expect {
            Expect::Object if raw.status != StatusCode::NO_CONTENT.as_u16() => Err(malformed(
                "empty body where a JSON object was expected".to_string(),
            )),
            _ => Ok(Value::Null),
        };
    }
    let body: Value = serde_json::from_slice(&raw.body).map_err(|error| {
        malformed(format!(
            "body is not valid JSON: {error} ({})",
            describe_body(raw)
        ))
    })?;
    if expect == Expect::Object && !body.is_object() {
        return Err(malformed(format!(
            "body is {}, expected a JSON object",
            json_type(&body)
        )));
    }
    Ok(body)
}

pub(crate) fn response_from(raw: Raw, body: Value) -> ArmResponse {
    let etag = raw.header("etag").or_else(|| {
        ["etag", "eTag"]
            .iter()
            .find_map(|key| body.get(key).and_then(Value::as_str).map(str::to_string))
    });
    ArmResponse {
        status: raw.status,
        etag,
        request_id: raw.request_id(),
        correlation_id: raw.header("x-ms-correlation-request-id"),
        location: raw.header("location"),
        async_operation: raw.header("azure-asyncoperation"),
        retry_after: raw
            .header("retry-after")
            .as_deref()
            .and_then(parse_retry_after),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_detection() {
        for (text, expected) in [
            ("http://127.0.0.1:8080", true),
            ("http://127.1.2.3", true),
            ("http://localhost:1", true),
            ("http://LOCALHOST", true),
            ("http://[::1]:9000", true),
            ("http://10.0.0.1", false),
            ("https://management.azure.com", false),
            ("http://localhost.evil.example", false),
        ] {
            let url = Url::parse(text).expect("url");
            assert_eq!(is_loopback(&url), expected, "{text}");
        }
    }

    #[test]
    fn cloud_endpoints_parse() {
        for cloud in Cloud::ALL {
            assert!(Url::parse(cloud.endpoint()).is_ok());
        }
        assert_eq!(
            ArmClientOptions::default().endpoint.as_str(),
            "https://management.azure.com/"
        );
    }
}
