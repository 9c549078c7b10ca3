//! Long-running operations: `Location` polling (202 while running, then 200/204) and
//! `Azure-AsyncOperation` status polling (`InProgress` ... `Succeeded`/`Failed`/`Canceled`).
//! The [`Poller`] is the state machine and the waits; it sends its GETs through the client's
//! transport and leaves reading links and status bodies to `wire`.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use url::Url;

use crate::error::ArmError;
use crate::transport::{Call, Transport};
use crate::wire::{self, ArmResponse, Expect, Monitor, OperationStatus, Raw};

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
    transport: Arc<Transport>,
    options: LroOptions,
    method: Method,
    path: String,
    state: State,
    next_wait: Duration,
    polls: u32,
}

impl Poller {
    /// An operation that finished with its first response.
    pub(crate) fn done(
        transport: Arc<Transport>,
        options: LroOptions,
        method: Method,
        url: &Url,
        response: ArmResponse,
    ) -> Poller {
        Poller {
            transport,
            options,
            method,
            path: url.path().to_string(),
            state: State::Done(response),
            next_wait: Duration::ZERO,
            polls: 0,
        }
    }

    /// From the 201/202 that started the operation. `resource` is re-read at the end of a PUT.
    pub(crate) fn start(
        transport: Arc<Transport>,
        options: LroOptions,
        method: Method,
        url: Url,
        raw: Raw,
        resource: Option<Url>,
    ) -> Result<Poller, ArmError> {
        let state = match wire::monitor(&raw, &method, &url, transport.endpoint())? {
            // Like the Python SDK: the status monitor first, `Location` as the final result.
            Monitor::AsyncOperation {
                url: operation,
                location,
            } => State::AsyncOperation {
                url: operation,
                final_url: resource.or(location),
            },
            Monitor::Location(location) => State::Location { url: location },
        };
        let next_wait = wait_from(&raw, &options);
        Ok(Poller {
            transport,
            options,
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
        let raw = self.transport.execute(Call::get(url.clone())).await?;
        if !raw.is_success() {
            return Err(wire::error_from(raw, &Method::GET, &url));
        }
        match final_url {
            None => {
                if raw.status == 202 {
                    self.next_wait = wait_from(&raw, &self.options);
                    return Ok(false);
                }
                let body = wire::parse_body(&raw, &Method::GET, &url, Expect::Optional)?;
                self.state = State::Done(wire::response_from(raw, body));
                Ok(true)
            }
            Some(final_url) => {
                match wire::operation_status(&raw, &url, &self.method, &self.path)? {
                    OperationStatus::Succeeded(body) => {
                        let response = match final_url {
                            Some(final_url) => {
                                let raw =
                                    self.transport.execute(Call::get(final_url.clone())).await?;
                                wire::interpret(raw, &Method::GET, &final_url, Expect::Optional)?
                            }
                            None => wire::response_from(raw, body),
                        };
                        self.state = State::Done(response);
                        Ok(true)
                    }
                    OperationStatus::Running => {
                        self.next_wait = wait_from(&raw, &self.options);
                        Ok(false)
                    }
                }
            }
        }
    }

    /// Waits (honouring `Retry-After`) and polls until the operation finishes, or the LRO
    /// timeout passes.
    pub async fn wait(mut self) -> Result<ArmResponse, ArmError> {
        let limit = self.options.timeout;
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

/// The wait before the next poll: `Retry-After` (capped), else the default interval.
fn wait_from(raw: &Raw, options: &LroOptions) -> Duration {
    raw.retry_after()
        .map_or(options.default_poll_interval, |wait| {
            wait.min(options.max_poll_interval)
        })
}
