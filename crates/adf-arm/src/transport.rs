//! The transport: one request through pacing → token → send → retry. [`Transport::execute`]
//! returns whatever response came last, as it came off the wire ([`Raw`], any status), and
//! errors only when no response could be had; what the response means is `wire`'s job.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderValue;
use url::Url;

use crate::credential::{Credential, TokenSource};
use crate::endpoint;
use crate::error::ArmError;
use crate::pacing::{Bucket, Pacer, PacingOptions, Permit};
use crate::retry::{Decision, Idempotency, Outcome, RetryOptions, RetryPolicy, random_unit};
use crate::secret::SecretString;
use crate::stats::{Counters, RequestStats};
use crate::wire::Raw;

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

/// What a [`Transport`] is built from (the client's options, borrowed).
pub(crate) struct Settings<'a> {
    pub endpoint: &'a Url,
    pub credential: &'a Credential,
    pub retry: &'a RetryOptions,
    pub pacing: &'a PacingOptions,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub user_agent: &'a str,
}

/// The HTTP side of a client: connection pool, token source, retry policy, pacing state and
/// counters, shared by the client's clones and its pollers.
#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    endpoint: Url,
    tokens: TokenSource,
    policy: RetryPolicy,
    pacer: Pacer,
    counters: Counters,
    timeout: Duration,
}

impl Transport {
    /// Refuses an endpoint that would carry tokens in clear, and builds the HTTP client.
    pub(crate) fn new(settings: Settings<'_>) -> Result<Self, ArmError> {
        endpoint::check(settings.endpoint).map_err(ArmError::Config)?;
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .user_agent(settings.user_agent.to_string())
            // A redirect would carry the bearer token somewhere we did not choose; ARM does not redirect.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| ArmError::Config(format!("cannot build the HTTP client: {error}")))?;
        Ok(Transport {
            http,
            endpoint: settings.endpoint.clone(),
            tokens: TokenSource::new(settings.credential),
            policy: RetryPolicy::new(settings.retry.clone()),
            pacer: Pacer::new(settings.pacing.clone()),
            counters: Counters::default(),
            timeout: settings.timeout,
        })
    }

    /// The ARM endpoint: links ARM hands back are followed only when they point here.
    pub(crate) fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// Counts of what was sent so far.
    pub(crate) fn stats(&self) -> RequestStats {
        self.counters.snapshot()
    }

    /// The bearer token for the next request.
    pub(crate) async fn token(&self) -> Result<SecretString, ArmError> {
        Ok(self.tokens.token().await?)
    }

    /// Sends `call`, retrying by policy. Returns whatever response came last (any status);
    /// errors only when no response could be had.
    pub(crate) async fn execute(&self, call: Call) -> Result<Raw, ArmError> {
        let bucket = Bucket::of(&call.method);
        let mut attempt: u32 = 0;
        let mut token_refreshed = false;
        loop {
            let token = self.token().await?;
            let permit = self.pace(&call, bucket).await;
            self.counters.sent(&call.method);
            let started = tokio::time::Instant::now();
            let result = self.send(&call, &token).await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            if let Ok(raw) = &result {
                permit.observe(&raw.headers);
            }
            drop(permit);
            let outcome = self.observe(&call, &result, attempt, elapsed_ms);
            // A 401 with a cached chain token (expired early, revoked, clock skew): drop the
            // cache and try once more with a fresh token. ARM rejected the request before
            // processing it, so this is safe even for a non-idempotent POST.
            if let Ok(raw) = &result
                && raw.status == 401
                && !token_refreshed
                && self.tokens.refreshable()
            {
                token_refreshed = true;
                self.tokens.invalidate().await;
                self.counters.retried();
                tracing::debug!(method = %call.method, path = call.url.path(), "401: retrying once with a fresh token");
                continue;
            }
            match self
                .policy
                .decide(attempt, outcome, call.idempotency, random_unit())
            {
                Decision::Retry(delay) => {
                    self.counters.retried();
                    // At the CLI's default level: a bad endpoint or a throttled apply must not
                    // look like a hang.
                    tracing::warn!(
                        "retrying {} {} in {:.1} s (attempt {} of {}): {}",
                        call.method,
                        call.url.path(),
                        delay.as_secs_f64(),
                        attempt + 2,
                        self.policy.max_attempts(),
                        describe(outcome)
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Decision::Stop => {
                    return result.map_err(|error| self.transport_error(&call, &error, outcome));
                }
            }
        }
    }

    /// Waits for the request's turn when ARM's remaining rate limit for its bucket (in its
    /// subscription) runs low; the permit counts it in flight until it is dropped.
    async fn pace(&self, call: &Call, bucket: Bucket) -> Permit<'_> {
        let started = tokio::time::Instant::now();
        let (permit, waited) = self.pacer.acquire(call.url.path(), bucket).await;
        if waited {
            self.counters.paced();
            tracing::debug!(method = %call.method, path = call.url.path(), wait_ms = started.elapsed().as_millis() as u64, "pacing: ARM rate limit running low");
        }
        permit
    }

    /// One attempt: the request with its headers, and the whole response body.
    async fn send(&self, call: &Call, token: &SecretString) -> Result<Raw, reqwest::Error> {
        let mut request = self
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
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await?;
        Ok(Raw {
            status,
            headers,
            body: body.to_vec(),
        })
    }

    /// Feeds an attempt's result to the counters and the log, and says what it came to
    /// for the retry policy.
    fn observe(
        &self,
        call: &Call,
        result: &Result<Raw, reqwest::Error>,
        attempt: u32,
        elapsed_ms: u64,
    ) -> Outcome {
        match result {
            Ok(raw) => {
                if raw.status == 429 {
                    self.counters.throttled();
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
                    retry_after: raw.retry_after(),
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
        }
    }

    /// The error for an attempt that got no response.
    fn transport_error(&self, call: &Call, error: &reqwest::Error, outcome: Outcome) -> ArmError {
        let method = call.method.to_string();
        let path = call.url.path().to_string();
        if outcome == Outcome::TimedOut {
            return ArmError::Timeout {
                method,
                path,
                after: self.timeout,
            };
        }
        ArmError::Transport {
            method,
            path,
            detail: error.without_url_ref(),
            connect: outcome == Outcome::ConnectFailed,
        }
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

/// What went wrong with an attempt, in a few words.
fn describe(outcome: Outcome) -> String {
    match outcome {
        Outcome::Response { status, .. } => format!("HTTP {status}"),
        Outcome::ConnectFailed => "cannot connect".to_owned(),
        Outcome::TimedOut => "timed out".to_owned(),
        Outcome::Interrupted => "connection lost".to_owned(),
    }
}
