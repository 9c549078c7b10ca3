//! Client-side pacing from ARM's `x-ms-ratelimit-remaining-*` headers.
//!
//! ARM reports, on every response, how many requests of the same kind the caller has left
//! (subscription and tenant scope; reads, writes and deletes are counted apart). The pacer
//! keeps, per subscription and kind, the latest count and the requests in flight (which that
//! count does not know of yet); what a new request may rely on is the difference. When it
//! falls below [`PacingOptions::low_watermark`], requests of that kind are spaced out: the gap
//! grows linearly from zero at the watermark to [`PacingOptions::max_spacing`] at zero; at zero
//! with requests in flight, the next request waits for their answers. Every task of the
//! process that shares the client is paced together (a parallel apply, or the fifty targets of
//! a multi-target apply), so they slow down as a whole instead of running into 429s. Above
//! the watermark nothing waits.

use std::collections::HashMap;
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
    /// Requests of a bucket that may be in flight before any response has said how many are
    /// left (a command's first requests, or a subscription's first in a multi-target run).
    pub unknown_in_flight: u64,
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
            unknown_in_flight: 16,
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
    /// What the response to the latest-sent request that has answered said was left (`None`
    /// until one says), and when that request was sent.
    remaining: Option<(u64, Instant)>,
    /// Requests sent and not answered yet: the count above does not know of them.
    in_flight: u64,
    /// Requests answered since that count, but sent before the request it answered: ARM may
    /// have counted them after it (requests arrive in another order than they were sent), so
    /// they count against it until a newer count comes.
    late: u64,
    /// When the latest request of this bucket was sent.
    last_start: Option<Instant>,
}

/// What a request may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Send now (the request is counted in flight until its [`Permit`] drops).
    Go,
    /// Wait this long, or (`None`) until a response in flight reports what is left.
    Wait(Option<Duration>),
}

/// Pacing state shared by a client's clones, and so by every target of a multi-target
/// command: ARM's buckets are per subscription (and principal), so the state is kept per
/// subscription, and every task of the process that writes to one subscription is paced
/// together.
#[derive(Debug)]
pub(crate) struct Pacer {
    options: PacingOptions,
    buckets: Mutex<HashMap<String, [BucketState; 3]>>,
    /// Notified whenever a response or a failure changes a bucket's state.
    changed: tokio::sync::Notify,
}

/// A request counted in flight; dropping it (answered or not) uncounts it.
pub(crate) struct Permit<'a> {
    pacer: &'a Pacer,
    key: String,
    bucket: Bucket,
    sent: Instant,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.pacer.with_state(&self.key, self.bucket, |state| {
            state.in_flight = state.in_flight.saturating_sub(1);
        });
        self.pacer.changed.notify_waiters();
    }
}

impl Permit<'_> {
    /// Records the remaining count the response reported, unless the answer to a request sent
    /// later has already come: ARM counts requests in the order they arrive, and responses
    /// can come back in another order, so an older count would overstate what is left.
    pub(crate) fn observe(&self, headers: &HeaderMap) {
        if let Some(remaining) = remaining_from_headers(headers, self.bucket) {
            self.pacer.with_state(&self.key, self.bucket, |state| {
                if state.remaining.is_none_or(|(_, sent)| sent <= self.sent) {
                    state.remaining = Some((remaining, self.sent));
                    state.late = 0;
                } else {
                    state.late += 1;
                }
            });
        }
    }
}

/// The subscription a request path addresses (lower case; empty for tenant-level paths):
/// the key of ARM's buckets.
pub(crate) fn subscription_of(path: &str) -> String {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    while let Some(segment) = segments.next() {
        if segment.eq_ignore_ascii_case("subscriptions") {
            return segments.next().unwrap_or_default().to_ascii_lowercase();
        }
    }
    String::new()
}

impl Pacer {
    pub(crate) fn new(options: PacingOptions) -> Self {
        Pacer {
            options,
            buckets: Mutex::new(HashMap::new()),
            changed: tokio::sync::Notify::new(),
        }
    }

    fn with_state<T>(&self, key: &str, bucket: Bucket, f: impl FnOnce(&mut BucketState) -> T) -> T {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let states = match buckets.get_mut(key) {
            Some(states) => states,
            None => buckets.entry(key.to_owned()).or_default(),
        };
        f(&mut states[bucket.index()])
    }

    /// Whether a request in `bucket` of subscription `key` may go at `now` (and if so, counts
    /// it in flight). The count a request may rely on is what the latest response said was
    /// left minus the requests in flight; below the watermark, requests go one gap apart (the
    /// gap grows as that count falls); at zero with requests in flight, the next waits for
    /// their answers. Before any response has said anything, `unknown_in_flight` requests may
    /// be in flight at once.
    pub(crate) fn decide(&self, key: &str, bucket: Bucket, now: Instant) -> Decision {
        let options = &self.options;
        self.with_state(key, bucket, |state| {
            let decision = if !options.enabled {
                Decision::Go
            } else {
                match state.remaining {
                    None if state.in_flight < options.unknown_in_flight.max(1) => Decision::Go,
                    None => Decision::Wait(None),
                    Some((remaining, _)) => {
                        let available = remaining.saturating_sub(state.in_flight + state.late);
                        let gap = spacing(available, options);
                        if available == 0 && state.in_flight > 0 {
                            Decision::Wait(None)
                        } else if gap.is_zero() {
                            Decision::Go
                        } else {
                            match state.last_start.map(|last| last + gap) {
                                Some(slot) if slot > now => Decision::Wait(Some(slot - now)),
                                _ => Decision::Go,
                            }
                        }
                    }
                }
            };
            if decision == Decision::Go {
                state.in_flight += 1;
                state.last_start = Some(now);
            }
            decision
        })
    }

    /// Waits until a request of `bucket` to the subscription `path` addresses may go, and
    /// counts it in flight. The flag says whether it had to wait.
    pub(crate) async fn acquire(&self, path: &str, bucket: Bucket) -> (Permit<'_>, bool) {
        let key = subscription_of(path);
        let mut waited = false;
        loop {
            // Registered before deciding, so that a response arriving in between still wakes us.
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let now = Instant::now();
            match self.decide(&key, bucket, now) {
                Decision::Go => {
                    let permit = Permit {
                        pacer: self,
                        key,
                        bucket,
                        sent: now,
                    };
                    return (permit, waited);
                }
                Decision::Wait(wait) => {
                    waited = true;
                    // Without a deadline, a response wakes us; the longest gap bounds the wait
                    // in case none comes (a request cancelled without answer).
                    let wait = wait.unwrap_or(self.options.max_spacing);
                    tokio::select! {
                        () = &mut notified => {}
                        () = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
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
            unknown_in_flight: 16,
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

    fn headers(name: &'static str, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    const WRITES: &str = "x-ms-ratelimit-remaining-subscription-writes";

    /// Sends one request of `bucket` in `key`, answered with `answer`.
    fn answer(pacer: &Pacer, key: &str, bucket: Bucket, answer: &HeaderMap) {
        let permit = Permit {
            pacer,
            key: key.to_owned(),
            bucket,
            sent: Instant::now(),
        };
        pacer.with_state(key, bucket, |state| state.in_flight += 1);
        permit.observe(answer);
    }

    #[test]
    fn before_any_answer_only_a_few_requests_go_at_once() {
        let pacer = Pacer::new(PacingOptions {
            unknown_in_flight: 2,
            ..options()
        });
        let now = Instant::now();
        assert_eq!(pacer.decide("s", Bucket::Writes, now), Decision::Go);
        assert_eq!(pacer.decide("s", Bucket::Writes, now), Decision::Go);
        assert_eq!(pacer.decide("s", Bucket::Writes, now), Decision::Wait(None));
        // Another subscription, or another bucket, has its own count.
        assert_eq!(pacer.decide("t", Bucket::Writes, now), Decision::Go);
        assert_eq!(pacer.decide("s", Bucket::Reads, now), Decision::Go);
    }

    #[test]
    fn low_remaining_spaces_requests_one_gap_apart() {
        let pacer = Pacer::new(options());
        let start = Instant::now();
        answer(&pacer, "s", Bucket::Writes, &headers(WRITES, "50"));
        // 50 left of a 100 watermark, nothing sent since: go.
        assert_eq!(pacer.decide("s", Bucket::Writes, start), Decision::Go);
        // 49 may be relied on (one in flight): a gap of 51 % of the 2 s maximum after it.
        assert_eq!(
            pacer.decide("s", Bucket::Writes, start + Duration::from_millis(400)),
            Decision::Wait(Some(Duration::from_millis(620)))
        );
        assert_eq!(
            pacer.decide("s", Bucket::Writes, start + Duration::from_millis(1020)),
            Decision::Go
        );
        // Other buckets are unaffected.
        assert_eq!(pacer.decide("s", Bucket::Reads, start), Decision::Go);
        // Once the count recovers, nobody waits.
        answer(&pacer, "s", Bucket::Writes, &headers(WRITES, "1000"));
        assert_eq!(pacer.decide("s", Bucket::Writes, start), Decision::Go);
    }

    #[test]
    fn with_nothing_left_the_next_request_waits_for_the_answers_in_flight() {
        let pacer = Pacer::new(options());
        let start = Instant::now();
        answer(
            &pacer,
            "s",
            Bucket::Deletes,
            &headers("x-ms-ratelimit-remaining-subscription-deletes", "1"),
        );
        assert_eq!(pacer.decide("s", Bucket::Deletes, start), Decision::Go);
        // One left, one in flight: wait for its answer, however long.
        assert_eq!(
            pacer.decide("s", Bucket::Deletes, start + Duration::from_secs(10)),
            Decision::Wait(None)
        );
    }

    #[test]
    fn an_older_count_arriving_late_does_not_overwrite_a_newer_one() {
        let pacer = Pacer::new(options());
        let start = Instant::now();
        let permit = |sent| Permit {
            pacer: &pacer,
            key: "s".to_owned(),
            bucket: Bucket::Writes,
            sent,
        };
        let (early, late) = (permit(start), permit(start + Duration::from_millis(5)));
        pacer.with_state("s", Bucket::Writes, |state| state.in_flight = 2);
        late.observe(&headers(WRITES, "3"));
        early.observe(&headers(WRITES, "90"));
        pacer.with_state("s", Bucket::Writes, |state| {
            assert_eq!(state.remaining.map(|(n, _)| n), Some(3));
            // ARM may have counted the earlier request after the later one: it counts too.
            assert_eq!(state.late, 1);
        });
        drop((early, late));
    }

    #[test]
    fn requests_are_keyed_by_their_subscription() {
        assert_eq!(
            subscription_of("/subscriptions/ABC-1/resourceGroups/rg/providers/x"),
            "abc-1"
        );
        assert_eq!(subscription_of("/subscriptions/s"), "s");
        assert_eq!(
            subscription_of("/providers/Microsoft.DataFactory/operations"),
            ""
        );
    }
}
