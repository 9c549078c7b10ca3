//! [`ArmClient`] and [`ArmClientOptions`]: the typed operations (get, head, put, patch,
//! delete, post, list). Each builds its URL and [`Call`], hands it to the transport, and reads
//! the answer with `wire`, following a long-running operation with a [`Poller`] when the answer
//! started one. How a request is sent and retried is `transport`'s business; what a response
//! means is `wire`'s.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use url::Url;

use crate::cloud::Cloud;
use crate::credential::{ChainSettings, Credential};
use crate::endpoint::{self, is_loopback};
use crate::error::ArmError;
use crate::lro::{LroOptions, Poller};
use crate::pacing::PacingOptions;
use crate::retry::{Idempotency, RetryOptions};
use crate::stats::RequestStats;
use crate::transport::{self, Call, Transport};
use crate::wire::{self, ArmResponse, Expect, Raw};

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
    pub fn for_cloud(cloud: Cloud, chain: ChainSettings) -> ArmClientOptions {
        // `Cloud::endpoint` returns constants that parse (guarded by a test).
        #[allow(clippy::expect_used)]
        let endpoint = Url::parse(cloud.endpoint()).expect("Cloud endpoints are valid URLs");
        let mut options = ArmClientOptions::new(endpoint);
        options.credential = Credential::Chain(ChainSettings { cloud, ..chain });
        options
    }
}

impl Default for ArmClientOptions {
    fn default() -> Self {
        ArmClientOptions::for_cloud(Cloud::Public, ChainSettings::default())
    }
}

/// The ARM client. Cheap to clone; clones share the connection pool, credential, pacing state
/// and stats.
#[derive(Clone, Debug)]
pub struct ArmClient {
    options: Arc<ArmClientOptions>,
    transport: Arc<Transport>,
}

impl ArmClient {
    /// Builds a client. Refuses an `http://` endpoint that is not loopback (tokens would travel
    /// in clear).
    pub fn new(options: ArmClientOptions) -> Result<Self, ArmError> {
        let transport = Transport::new(transport::Settings {
            endpoint: &options.endpoint,
            credential: &options.credential,
            retry: &options.retry,
            pacing: &options.pacing,
            timeout: options.timeout,
            connect_timeout: options.connect_timeout,
            user_agent: &options.user_agent,
        })?;
        Ok(ArmClient {
            options: Arc::new(options),
            transport: Arc::new(transport),
        })
    }

    /// The ARM endpoint.
    pub fn endpoint(&self) -> &Url {
        &self.options.endpoint
    }

    /// The options this client was built with.
    pub fn options(&self) -> &ArmClientOptions {
        &self.options
    }

    /// Counts of what this client (and its clones) sent so far.
    pub fn stats(&self) -> RequestStats {
        self.transport.stats()
    }

    /// Obtains a token now (e.g. to fail early, before a plan, when no credential works).
    pub async fn check_credential(&self) -> Result<(), ArmError> {
        self.transport.token().await.map(|_| ())
    }

    /// GET a resource. A missing resource is an error with `is_not_found()`.
    pub async fn get(&self, path: &str, api_version: &str) -> Result<ArmResponse, ArmError> {
        let url = self.resource_url(path, api_version)?;
        let raw = self.execute(Call::get(url.clone())).await?;
        wire::interpret(raw, &Method::GET, &url, Expect::Object)
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
            _ => Err(wire::error_from(raw, &Method::HEAD, &url)),
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
        if !wire::write_is_pending(&raw) {
            return wire::interpret(raw, &method, &url, Expect::Object);
        }
        let poller = self.poller(method.clone(), url.clone(), raw, Some(url.clone()))?;
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
            202 => self.poller(Method::DELETE, url, raw, None),
            404 => Ok(self.finished(Method::DELETE, &url, wire::response_from(raw, Value::Null))),
            200..=299 => {
                let response = wire::interpret(raw, &Method::DELETE, &url, Expect::Optional)?;
                Ok(self.finished(Method::DELETE, &url, response))
            }
            _ => Err(wire::error_from(raw, &Method::DELETE, &url)),
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
        self.begin_post(path, api_version, body, idempotency)
            .await?
            .wait()
            .await
    }

    /// POST an action that may start a long-running operation (`subscribeToEvents`,
    /// `unsubscribeFromEvents`), and return a poller without waiting: for callers that follow
    /// the operation their own way. An answer that started nothing is a finished poller.
    pub async fn begin_post(
        &self,
        path: &str,
        api_version: &str,
        body: Option<&Value>,
        idempotency: Idempotency,
    ) -> Result<Poller, ArmError> {
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
        if wire::post_is_pending(&raw) {
            return self.poller(Method::POST, url, raw, None);
        }
        let response = wire::interpret(raw, &Method::POST, &url, Expect::Optional)?;
        Ok(self.finished(Method::POST, &url, response))
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
            if seen.len() > self.options.max_pages {
                return Err(malformed_without_response(
                    &Method::GET,
                    &url,
                    format!("more than {} pages", self.options.max_pages),
                ));
            }
            let raw = self.execute(Call::get(url.clone())).await?;
            let page = wire::page(raw, &url, self.endpoint())?;
            items.extend(page.items);
            match page.next {
                Some(next) => url = next,
                None => break,
            }
        }
        Ok(items)
    }

    /// `endpoint + path + ?api-version=`.
    pub fn resource_url(&self, path: &str, api_version: &str) -> Result<Url, ArmError> {
        endpoint::resource_url(self.endpoint(), path, api_version).map_err(ArmError::Config)
    }

    async fn execute(&self, call: Call) -> Result<Raw, ArmError> {
        self.transport.execute(call).await
    }

    /// Follows the operation the 201/202 `raw` started.
    fn poller(
        &self,
        method: Method,
        url: Url,
        raw: Raw,
        resource: Option<Url>,
    ) -> Result<Poller, ArmError> {
        Poller::start(
            self.transport.clone(),
            self.options.lro.clone(),
            method,
            url,
            raw,
            resource,
        )
    }

    /// An operation that finished with its first response.
    fn finished(&self, method: Method, url: &Url, response: ArmResponse) -> Poller {
        Poller::done(
            self.transport.clone(),
            self.options.lro.clone(),
            method,
            url,
            response,
        )
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

fn malformed_without_response(method: &Method, url: &Url, detail: String) -> ArmError {
    ArmError::MalformedResponse {
        method: method.to_string(),
        path: url.path().to_string(),
        status: 200,
        request_id: None,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
