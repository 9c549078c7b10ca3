//! Client-side pacing from ARM's `x-ms-ratelimit-remaining-*` headers.
//!
//! ARM reports, on every response, how many requests of the same kind the caller has left
//! (subscription and tenant scope; reads, writes and deletes are counted apart). When the
//! smallest remaining count of a kind falls below [`PacingOptions::low_watermark`], requests
//! of that kind are spaced out: the spacing grows linearly from zero at the watermark to
//! [`PacingOptions::max_spacing`] at zero remaining. Spacing applies across concurrent tasks
//! (each request reserves the next free slot), so a parallel apply slows down as a whole
//! instead of running into 429s. Above the watermark nothing waits.

use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// Pacing settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacingOptions {
    /// Turns pacing off entirely when false.
    pub enabled: bool,
    /// Below this many remaining requests of a kind, requests of that kind are spaced out.
    pub low_watermark: u64,
    /// The spacing when nothing remains; smaller counts scale linearly down to zero at the watermark.
    pub max_spacing: Duration,
}

impl Default for PacingOptions {
    fn default() -> Self {
        // The spacing settles where it equals the bucket's refill interval (0.1 s for ARM's
        // 10 writes per second: 90 % of the watermark left); whatever stays in the bucket then
        // is never used. 25 leaves ~22 tokens idle, where 100 left ~90: 9 % of a 1,000-write
        // apply's time (adf-bench, docs/performance.md).
        PacingOptions {
            enabled: true,
            low_watermark: 25,
            max_spacing: Duration::from_secs(1),
        }
    }
}

/// The rate-limit bucket a request counts against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    /// GET, HEAD.
    Reads,
    /// PUT, PATCH, POST.
    Writes,
    /// DELETE.
    Deletes,
}

impl Bucket {
    /// The bucket of an HTTP method.
    pub fn of(method: &reqwest::Method) -> Bucket {
        match *method {
            reqwest::Method::GET | reqwest::Method::HEAD => Bucket::Reads,
            reqwest::Method::DELETE => Bucket::Deletes,
            _ => Bucket::Writes,
        }
    }

    fn index(self) -> usize {
        match self {
            Bucket::Reads => 0,
            Bucket::Writes => 1,
            Bucket::Deletes => 2,
        }
    }

    fn header_suffix(self) -> &'static str {
        match self {
            Bucket::Reads => "reads",
            Bucket::Writes => "writes",
            Bucket::Deletes => "deletes",
        }
    }
}

/// The spacing for a remaining count: zero at or above the watermark, linear below it.
pub fn spacing(remaining: u64, options: &PacingOptions) -> Duration {
    if !options.enabled || options.low_watermark == 0 || remaining >= options.low_watermark {
        return Duration::ZERO;
    }
    let missing = (options.low_watermark - remaining) as f64;
    options
        .max_spacing
        .mul_f64(missing / options.low_watermark as f64)
}

/// The smallest `x-ms-ratelimit-remaining-{subscription,tenant}-{bucket}` value in `headers`.
pub fn remaining_from_headers(headers: &HeaderMap, bucket: Bucket) -> Option<u64> {
    ["subscription", "tenant"]
        .iter()
        .filter_map(|scope| {
            let name = format!(
                "x-ms-ratelimit-remaining-{scope}-{}",
                bucket.header_suffix()
            );
            headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok()
        })
        .min()
}

#[derive(Debug, Default, Clone, Copy)]
struct BucketState {
    remaining: Option<u64>,
    /// When the latest request of this bucket was (or will be) sent.
    last_start: Option<Instant>,
}

/// Shared pacing state of one client.
#[derive(Debug)]
pub(crate) struct Pacer {
    options: PacingOptions,
    buckets: Mutex<[BucketState; 3]>,
}

impl Pacer {
    pub(crate) fn new(options: PacingOptions) -> Self {
        Pacer {
            options,
            buckets: Mutex::new([BucketState::default(); 3]),
        }
    }

    /// Records the remaining counts a response reported.
    pub(crate) fn observe(&self, bucket: Bucket, headers: &HeaderMap) {
        if let Some(remaining) = remaining_from_headers(headers, bucket) {
            let mut buckets = self
                .buckets
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            buckets[bucket.index()].remaining = Some(remaining);
        }
    }

    /// Reserves the send time of a request in `bucket`. `None` when the bucket is healthy (send
    /// now); `Some(wait)` when it is low: the request goes one gap after the previous one, which
    /// may already be in the past (`Some(ZERO)`).
    pub(crate) fn reserve(&self, bucket: Bucket, now: Instant) -> Option<Duration> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let state = &mut buckets[bucket.index()];
        let gap = state.remaining.map_or(Duration::ZERO, |remaining| {
            spacing(remaining, &self.options)
        });
        if gap.is_zero() {
            state.last_start = Some(now);
            return None;
        }
        let slot = state.last_start.map_or(now, |last| (last + gap).max(now));
        state.last_start = Some(slot);
        Some(slot - now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn options() -> PacingOptions {
        PacingOptions {
            enabled: true,
            low_watermark: 100,
            max_spacing: Duration::from_secs(2),
        }
    }

    #[test]
    fn spacing_is_zero_above_the_watermark_and_linear_below() {
        let options = options();
        assert_eq!(spacing(1000, &options), Duration::ZERO);
        assert_eq!(spacing(100, &options), Duration::ZERO);
        assert_eq!(spacing(50, &options), Duration::from_secs(1));
        assert_eq!(spacing(0, &options), Duration::from_secs(2));
        let disabled = PacingOptions {
            enabled: false,
            ..options
        };
        assert_eq!(spacing(0, &disabled), Duration::ZERO);
    }

    #[test]
    fn reads_the_smallest_remaining_count_of_the_bucket() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-ms-ratelimit-remaining-subscription-writes",
            HeaderValue::from_static("1199"),
        );
        headers.insert(
            "x-ms-ratelimit-remaining-tenant-writes",
            HeaderValue::from_static("40"),
        );
        headers.insert(
            "x-ms-ratelimit-remaining-subscription-reads",
            HeaderValue::from_static("11999"),
        );
        assert_eq!(remaining_from_headers(&headers, Bucket::Writes), Some(40));
        assert_eq!(remaining_from_headers(&headers, Bucket::Reads), Some(11999));
        assert_eq!(remaining_from_headers(&headers, Bucket::Deletes), None);
    }

    #[test]
    fn low_remaining_spaces_concurrent_requests_into_consecutive_slots() {
        let pacer = Pacer::new(options());
        let now = Instant::now();
        assert_eq!(
            pacer.reserve(Bucket::Writes, now),
            None,
            "nothing known yet"
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-ms-ratelimit-remaining-subscription-writes",
            HeaderValue::from_static("50"),
        );
        pacer.observe(Bucket::Writes, &headers);
        let waits: Vec<Option<Duration>> =
            (0..3).map(|_| pacer.reserve(Bucket::Writes, now)).collect();
        let seconds = |s| Some(Duration::from_secs(s));
        // One gap (1 s at 50 left) after the request reserved above, then consecutive slots.
        assert_eq!(waits, vec![seconds(1), seconds(2), seconds(3)]);
        // Other buckets are unaffected.
        assert_eq!(pacer.reserve(Bucket::Reads, now), None);
        // Once the count recovers, nobody waits.
        headers.insert(
            "x-ms-ratelimit-remaining-subscription-writes",
            HeaderValue::from_static("1000"),
        );
        pacer.observe(Bucket::Writes, &headers);
        assert_eq!(pacer.reserve(Bucket::Writes, now), None);
    }

    #[test]
    fn a_later_request_waits_only_for_what_is_left_of_its_gap() {
        let pacer = Pacer::new(options());
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-ms-ratelimit-remaining-subscription-deletes",
            HeaderValue::from_static("0"),
        );
        pacer.observe(Bucket::Deletes, &headers);
        let start = Instant::now();
        assert_eq!(pacer.reserve(Bucket::Deletes, start), Some(Duration::ZERO));
        let later = start + Duration::from_millis(500);
        assert_eq!(
            pacer.reserve(Bucket::Deletes, later),
            Some(Duration::from_millis(1500))
        );
        let much_later = start + Duration::from_secs(10);
        assert_eq!(
            pacer.reserve(Bucket::Deletes, much_later),
            Some(Duration::ZERO)
        );
    }
}
