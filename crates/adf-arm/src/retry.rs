//! The retry policy, kept apart from the request logic (kube-rs `error_policy` style): the
//! transport reports what happened, [`RetryPolicy::decide`] says whether and when to try again.
//!
//! The transport's loop (`transport.rs`) drives it rather than `backon`: the decision depends
//! on the HTTP status, on `Retry-After`, on whether the request provably never reached the
//! server, and on the request's idempotency, and every retry must go through pacing and update
//! the stats; `backon` would only own the sleep.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// Whether a request may be sent twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// Safe to repeat: GET, PUT, PATCH, DELETE, HEAD, and POSTs such as trigger start/stop and
    /// run queries. Retried on 429, 500, 502, 503, 504, connection errors and timeouts.
    Idempotent,
    /// Not safe to repeat (`createRun`: a repeat starts a second run). Retried only when the
    /// request provably did not reach ARM: the connection could not be opened, or ARM answered
    /// 429 (throttling rejects a request before it is processed).
    NonIdempotent,
}

/// Retry settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryOptions {
    /// Retries after the first attempt (0 disables retries).
    pub max_retries: u32,
    /// Backoff before the first retry when ARM gave no `Retry-After`; doubles each retry.
    pub initial_delay: Duration,
    /// Upper bound for any wait, including one asked for by `Retry-After`.
    pub max_delay: Duration,
}

impl Default for RetryOptions {
    fn default() -> Self {
        RetryOptions {
            max_retries: 6,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(60),
        }
    }
}

/// What one attempt came to, as the retry policy sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A response arrived.
    Response {
        /// HTTP status.
        status: u16,
        /// `Retry-After` in seconds, when present and valid.
        retry_after: Option<Duration>,
    },
    /// The connection could not be established: the request was never sent.
    ConnectFailed,
    /// The request timed out; ARM may or may not have processed it.
    TimedOut,
    /// The connection failed after the request may have been sent (reset, broken body).
    Interrupted,
}

/// The policy's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then try again.
    Retry(Duration),
    /// Return the outcome to the caller.
    Stop,
}

/// Decides whether to retry. Pure: the jitter comes in as a number in `[0, 1)`.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    options: RetryOptions,
}

impl RetryPolicy {
    /// A policy with these options.
    pub fn new(options: RetryOptions) -> Self {
        RetryPolicy { options }
    }

    /// How many attempts a request gets at most (the first, and the retries).
    pub fn max_attempts(&self) -> u32 {
        self.options.max_retries.saturating_add(1)
    }

    /// Whether to retry after attempt number `attempt` (0 = the first try) ended in `outcome`.
    pub fn decide(
        &self,
        attempt: u32,
        outcome: Outcome,
        idempotency: Idempotency,
        jitter: f64,
    ) -> Decision {
        if attempt >= self.options.max_retries {
            return Decision::Stop;
        }
        let idempotent = idempotency == Idempotency::Idempotent;
        let (retry, retry_after) = match outcome {
            Outcome::Response {
                status: 429,
                retry_after,
            } => (true, retry_after),
            Outcome::Response {
                status: 500 | 502 | 503 | 504,
                retry_after,
            } => (idempotent, retry_after),
            Outcome::Response { .. } => (false, None),
            Outcome::ConnectFailed => (true, None),
            Outcome::TimedOut | Outcome::Interrupted => (idempotent, None),
        };
        if !retry {
            return Decision::Stop;
        }
        Decision::Retry(self.delay(attempt, retry_after, jitter))
    }

    /// The wait before retry `attempt + 1`: `Retry-After` when ARM sent one, else exponential
    /// backoff with "equal jitter" (half fixed, half random); always capped by `max_delay`.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.options.max_delay);
        }
        let factor = 2u32.saturating_pow(attempt.min(16));
        let base = self
            .options
            .initial_delay
            .saturating_mul(factor)
            .min(self.options.max_delay);
        let jitter = jitter.clamp(0.0, 1.0);
        base.mul_f64(0.5 + 0.5 * jitter)
    }
}

/// A random number in `[0, 1)` without a random-number crate: std's `RandomState` is seeded
/// randomly per instance.
pub(crate) fn random_unit() -> f64 {
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy::new(RetryOptions {
            max_retries: 3,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        })
    }

    fn response(status: u16, retry_after: Option<u64>) -> Outcome {
        Outcome::Response {
            status,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn which_outcomes_are_retried() {
        use Idempotency::*;
        let cases = [
            (response(429, None), Idempotent, true),
            (response(429, None), NonIdempotent, true),
            (response(500, None), Idempotent, true),
            (response(500, None), NonIdempotent, false),
            (response(502, None), Idempotent, true),
            (response(503, None), Idempotent, true),
            (response(503, None), NonIdempotent, false),
            (response(504, None), Idempotent, true),
            (response(501, None), Idempotent, false),
            (response(400, Some(5)), Idempotent, false),
            (response(404, None), Idempotent, false),
            (response(409, None), Idempotent, false),
            (response(200, None), Idempotent, false),
            (Outcome::ConnectFailed, Idempotent, true),
            (Outcome::ConnectFailed, NonIdempotent, true),
            (Outcome::TimedOut, Idempotent, true),
            (Outcome::TimedOut, NonIdempotent, false),
            (Outcome::Interrupted, Idempotent, true),
            (Outcome::Interrupted, NonIdempotent, false),
        ];
        for (outcome, idempotency, expected) in cases {
            let decision = policy().decide(0, outcome, idempotency, 0.5);
            assert_eq!(
                matches!(decision, Decision::Retry(_)),
                expected,
                "{outcome:?} {idempotency:?}"
            );
        }
    }

    #[test]
    fn stops_after_max_retries() {
        let outcome = response(503, None);
        assert!(matches!(
            policy().decide(2, outcome, Idempotency::Idempotent, 0.0),
            Decision::Retry(_)
        ));
        assert_eq!(
            policy().decide(3, outcome, Idempotency::Idempotent, 0.0),
            Decision::Stop
        );
    }

    #[test]
    fn retry_after_wins_and_is_capped() {
        let policy = policy();
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(7)), 0.9),
            Duration::from_secs(7)
        );
        assert_eq!(
            policy.delay(0, Some(Duration::from_secs(3600)), 0.9),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let policy = policy();
        assert_eq!(policy.delay(0, None, 0.0), Duration::from_millis(500));
        assert_eq!(policy.delay(0, None, 1.0), Duration::from_secs(1));
        assert_eq!(policy.delay(2, None, 1.0), Duration::from_secs(4));
        assert_eq!(policy.delay(20, None, 1.0), Duration::from_secs(30));
        let jittered = policy.delay(1, None, 0.5);
        assert!(jittered > Duration::from_secs(1) && jittered < Duration::from_secs(2));
    }

    #[test]
    fn random_unit_is_in_range() {
        for _ in 0..100 {
            let value = random_unit();
            assert!((0.0..1.0).contains(&value));
        }
    }
}
