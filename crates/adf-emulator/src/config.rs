//! Settings of one emulator instance, passed in by the caller (the CLI or a test).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// Where the emulator reads the wall-clock time (timestamps such as `createTime`, run times,
/// and the resource-group deletion deadline). Tests pass a fixed clock.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> OffsetDateTime + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock(Arc::new(OffsetDateTime::now_utc))
    }

    /// A clock that always answers `at`.
    pub fn fixed(at: OffsetDateTime) -> Self {
        Clock(Arc::new(move || at))
    }

    /// A clock backed by any function.
    pub fn from_fn(now: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        Clock(Arc::new(now))
    }

    /// The current time.
    pub fn now(&self) -> OffsetDateTime {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// Azurite's default blob endpoint, where `UseDevelopmentStorage=true` points.
pub const DEVELOPMENT_BLOB_ENDPOINT: &str = "http://127.0.0.1:10000/devstoreaccount1";

/// One token bucket: `burst` tokens at most, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketLimit {
    /// Bucket size (requests allowed in a burst).
    pub burst: u32,
    /// Tokens added per second.
    pub per_second: f64,
}

/// ARM's per-subscription token buckets (reads, writes, deletes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleLimits {
    /// GET and HEAD.
    pub reads: BucketLimit,
    /// PUT, PATCH and POST.
    pub writes: BucketLimit,
    /// DELETE.
    pub deletes: BucketLimit,
}

impl Default for ThrottleLimits {
    /// ARM's documented defaults: reads 250 burst and 25/s, writes and deletes 200 and 10/s.
    fn default() -> Self {
        ThrottleLimits {
            reads: BucketLimit {
                burst: 250,
                per_second: 25.0,
            },
            writes: BucketLimit {
                burst: 200,
                per_second: 10.0,
            },
            deletes: BucketLimit {
                burst: 200,
                per_second: 10.0,
            },
        }
    }
}

/// Settings of one emulator instance.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Directory of the SQLite store (created if missing). One emulator per directory.
    pub data_dir: PathBuf,
    /// Items per page of ARM lists (`nextLink` paging). ADF uses 50.
    pub page_size: usize,
    /// Items per page of the run query APIs (`continuationToken` paging). ADF uses 100.
    pub run_page_size: usize,
    /// Added to every ARM request before it is handled.
    pub latency: Duration,
    /// Fraction (0..=1) of ARM requests that fail before taking effect.
    pub fault_rate: f64,
    /// Fraction (0..=1) of ARM requests that take effect but whose response is lost.
    pub lost_response_rate: f64,
    /// Enforce ARM's per-subscription token buckets (429 with `Retry-After`).
    pub throttle: bool,
    /// The buckets used when `throttle` is on (and for the remaining-requests headers).
    pub throttle_limits: ThrottleLimits,
    /// Seed of the fault generator; `None` seeds from random bits.
    pub seed: Option<u64>,
    /// Polls of a resource-group deletion's `Location` that answer 202 before it completes.
    pub delete_polls: u32,
    /// A resource-group deletion also completes once this much time has passed, polled or not.
    pub delete_delay: Duration,
    /// The `Retry-After` (seconds) sent with a resource-group deletion's 202 responses.
    pub delete_retry_after: u32,
    /// The wall clock.
    pub clock: Clock,
    /// Execute runs (the run engine) and fire started schedule triggers. On by default in
    /// [`crate::start`]; the router-only tests leave runs `Queued`.
    pub run_engine: bool,
    /// Where `UseDevelopmentStorage=true` points (Azurite's blob endpoint, path-style, account
    /// included). Default `http://127.0.0.1:10000/devstoreaccount1`, Microsoft's convention.
    pub development_blob_endpoint: String,
    /// How often the run engine looks for Queued runs (it is also woken by createRun).
    pub executor_poll: Duration,
    /// How often the scheduler compares started schedule triggers with the clock.
    pub scheduler_tick: Duration,
    /// Size of the blocks a Copy stages; a blob up to this size is written with one Put Blob.
    pub copy_block_size: usize,
    /// How many blocks of one file a Copy uploads at once (at least 1). Memory per file copy
    /// is about `copy_parallel_blocks + 2` blocks, whatever the blob size.
    pub copy_parallel_blocks: usize,
    /// The Key Vault secrets that `AzureKeyVaultSecret` references in linked services resolve
    /// to (none by default: such a reference fails its activity, naming the secret).
    pub key_vault_secrets: crate::key_vault::KeyVaultSecrets,
    /// How long an event trigger's Event Grid subscription stays `Provisioning` (after a
    /// start or subscribeToEvents) or `Deprovisioning` (after a stop or
    /// unsubscribeFromEvents) before it is `Enabled` or `Disabled`. ADF takes seconds to
    /// minutes; default 1 s.
    pub event_subscription_delay: Duration,
}

impl EmulatorConfig {
    /// Defaults for a data directory: pages of 50, no latency, no faults, no throttling.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        EmulatorConfig {
            data_dir: data_dir.into(),
            page_size: 50,
            run_page_size: 100,
            latency: Duration::ZERO,
            fault_rate: 0.0,
            lost_response_rate: 0.0,
            throttle: false,
            throttle_limits: ThrottleLimits::default(),
            seed: None,
            delete_polls: 1,
            delete_delay: Duration::from_secs(10),
            delete_retry_after: 1,
            clock: Clock::system(),
            run_engine: true,
            development_blob_endpoint: DEVELOPMENT_BLOB_ENDPOINT.to_owned(),
            executor_poll: Duration::from_millis(500),
            scheduler_tick: Duration::from_secs(1),
            copy_block_size: 4 * 1024 * 1024,
            copy_parallel_blocks: 4,
            key_vault_secrets: crate::key_vault::KeyVaultSecrets::new(),
            event_subscription_delay: Duration::from_secs(1),
        }
    }
}

/// The HTTP settings for Blob endpoints. Azurite (Node.js) closes idle keep-alive connections
/// after 5 s; a pooled connection idle for longer would fail its next request, so the pool
/// drops them first.
pub fn blob_http_client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().pool_idle_timeout(std::time::Duration::from_secs(2))
}
