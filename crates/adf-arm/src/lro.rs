//! Long-running operations: `Location` polling (202 while running, then 200/204) and
//! `Azure-AsyncOperation` status polling (`InProgress` ... `Succeeded`/`Failed`/`Canceled`).

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use url::Url;

use crate::client::{
    ArmClient, ArmResponse, Call, Expect, Raw, json_type, parse_body, response_from,
};
use crate::error::ArmError;
use crate::retry::parse_retry_after;

/// Polling settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LroOptions {
    /// The wait between polls when ARM sends no `Retry-After` (the RPC default is 60 s; ARM
    /// sends 15 s for resource group deletion).
    pub default_poll_interval: Duration,
    /// Upper bound for a `Retry-After` between polls.
    pub max_poll_interval: Duration,
    /// Give up waiting after this long (the operation itself goes on in Azure).
    pub timeout: Duration,
}

impl Default for LroOptions {
    fn default() -> Self {
        LroOptions {
            default_poll_interval: Duration::from_secs(15),
            max_poll_interval: Duration::from_secs(60),
            timeout: Duration::from_secs(60 * 60),
        }
    }
}

#[derive(Debug)]
enum State {
    Done(ArmResponse),
    Location {
        url: Url,
    },
    AsyncOperation {
        url: Url,
        /// Read when the operation succeeds: the resource (PUT) or the `Location` (POST).
        final_url: Option<Url>,
    },
}

/// Progress of a long-running operation started with a `begin_*` method.
#[derive(Debug)]
pub struct Poller {
    client: ArmClient,
    method: Method,
    path: String,
    state: State,
    next_wait: Duration,
    polls: u32,
}

impl Poller {
    pub(crate) fn done(
        client: ArmClient,
        method: Method,
        url: &Url,
        response: ArmResponse,
    ) -> Poller {
        Poller {
            client,
            method,
            path: url.path().to_string(),
            state: State::Done(response),
            next_wait: Duration::ZERO,
            polls: 0,
        }
    }

    /// From the 201/202 that started the operation. `resource` is re-read at the end of a PUT.
    pub(crate) fn start(
        client: ArmClient,
        method: Method,
        url: Url,
        raw: Raw,
        resource: Option<Url>,
    ) -> Result<Poller, ArmError> {
        let request_id = raw.request_id();
        let bad = |detail: String| ArmError::MalformedResponse {
            method: method.to_string(),
            path: url.path().to_string(),
            status: raw.status,
            request_id: request_id.clone(),
            detail,
        };
        let location = raw
            .header("location")
            .map(|link| {
                client
                    .follow_link(&link)
                    .map_err(|detail| bad(format!("Location: {detail}")))
            })
            .transpose()?;
        let async_operation = raw
            .header("azure-asyncoperation")
            .map(|link| {
                client
                    .follow_link(&link)
                    .map_err(|detail| bad(format!("Azure-AsyncOperation: {detail}")))
            })
            .transpose()?;
        let state = match (async_operation, location) {
            // Like the Python SDK: the status monitor first, `Location` as the final result.
            (Some(operation), location) => State::AsyncOperation {
                url: operation,
                final_url: resource.or(location),
            },
            (None, Some(location)) => State::Location { url: location },
            (None, None) => {
                return Err(bad(
                    "202 Accepted without a Location or Azure-AsyncOperation header".to_string(),
                ));
            }
        };
        let next_wait = wait_from(&raw, &client);
        Ok(Poller {
            client,
            method,
            path: url.path().to_string(),
            state,
            next_wait,
            polls: 0,
        })
    }

    /// True once the operation finished successfully.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    /// How long to wait before the next [`Poller::poll`] (from `Retry-After`, capped).
    pub fn retry_after(&self) -> Duration {
        self.next_wait
    }

    /// Polls made so far.
    pub fn polls(&self) -> u32 {
        self.polls
    }

    /// The final response, once done.
    pub fn response(&self) -> Option<&ArmResponse> {
        match &self.state {
            State::Done(response) => Some(response),
            _ => None,
        }
    }

    /// Polls once, without waiting first. Returns `Ok(true)` when the operation has finished
    /// successfully, `Ok(false)` while it runs; a failed operation is an error.
    pub async fn poll(&mut self) -> Result<bool, ArmError> {
        let (url, final_url) = match &self.state {
            State::Done(_) => return Ok(true),
            State::Location { url } => (url.clone(), None),
            State::AsyncOperation { url, final_url } => (url.clone(), Some(final_url.clone())),
        };
        self.polls += 1;
        let raw = self.client.execute(Call::get(url.clone())).await?;
        if !raw.is_success() {
            return Err(self.client.error_from(raw, &Method::GET, &url));
        }
        match final_url {
            None => {
                if raw.status == 202 {
                    self.next_wait = wait_from(&raw, &self.client);
                    return Ok(false);
                }
                let body = parse_body(&raw, &Method::GET, &url, Expect::Optional)?;
                self.state = State::Done(response_from(raw, body));
                Ok(true)
            }
            Some(final_url) => {
                let body = parse_body(&raw, &Method::GET, &url, Expect::Object)?;
                let request_id = raw.request_id();
                let status = match body.get("status") {
                    Some(Value::String(status)) => status.clone(),
                    other => {
                        return Err(ArmError::MalformedResponse {
                            method: "GET".into(),
                            path: url.path().to_string(),
                            status: raw.status,
                            request_id,
                            detail: format!(
                                "operation `status` is {}, expected a string",
                                other.map_or("missing", json_type)
                            ),
                        });
                    }
                };
                match status.to_ascii_lowercase().as_str() {
                    "succeeded" => {
                        let response = match final_url {
                            Some(final_url) => {
                                let raw = self.client.execute(Call::get(final_url.clone())).await?;
                                self.client.interpret(
                                    raw,
                                    &Method::GET,
                                    &final_url,
                                    Expect::Optional,
                                )?
                            }
                            None => response_from(raw, body),
                        };
                        self.state = State::Done(response);
                        Ok(true)
                    }
                    "failed" | "canceled" | "cancelled" => {
                        let error = body.get("error");
                        let field = |name: &str| {
                            error
                                .and_then(|error| error.get(name))
                                .and_then(Value::as_str)
                                .map(|text| text.trim_end().to_string())
                        };
                        Err(ArmError::OperationFailed {
                            code: field("code").unwrap_or_else(|| format!("Operation{status}")),
                            message: field("message")
                                .unwrap_or_else(|| "(no error details in the response)".into()),
                            status,
                            request_id,
                            method: self.method.to_string(),
                            path: self.path.clone(),
                        })
                    }
                    _ => {
                        self.next_wait = wait_from(&raw, &self.client);
                        Ok(false)
                    }
                }
            }
        }
    }

    /// Waits (honouring `Retry-After`) and polls until the operation finishes, or the LRO
    /// timeout passes.
    pub async fn wait(mut self) -> Result<ArmResponse, ArmError> {
        let limit = self.client.lro_options().timeout;
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let State::Done(response) = self.state {
                return Ok(response);
            }
            if tokio::time::Instant::now() + self.next_wait > deadline {
                return Err(ArmError::Timeout {
                    method: self.method.to_string(),
                    path: self.path.clone(),
                    after: limit,
                });
            }
            tokio::time::sleep(self.next_wait).await;
            self.poll().await?;
        }
    }
}

fn wait_from(raw: &Raw, client: &ArmClient) -> Duration {
    let options = client.lro_options();
    raw.header("retry-after")
        .as_deref()
        .and_then(parse_retry_after)
        .map_or(options.default_poll_interval, |wait| {
            wait.min(options.max_poll_interval)
        })
}
