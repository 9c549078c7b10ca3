//! ARM's per-subscription token buckets (reads, writes, deletes).

use crate::config::{BucketLimit, ThrottleLimits};
use axum::http::Method;
use std::collections::HashMap;
use tokio::time::Instant;

/// Which bucket a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Category {
    Reads,
    Writes,
    Deletes,
}

impl Category {
    pub fn of(method: &Method) -> Self {
        match *method {
            Method::GET | Method::HEAD => Category::Reads,
            Method::DELETE => Category::Deletes,
            _ => Category::Writes,
        }
    }

    /// The `x-ms-ratelimit-remaining-subscription-*` header for this category.
    pub fn header(self) -> &'static str {
        match self {
            Category::Reads => "x-ms-ratelimit-remaining-subscription-reads",
            Category::Writes => "x-ms-ratelimit-remaining-subscription-writes",
            Category::Deletes => "x-ms-ratelimit-remaining-subscription-deletes",
        }
    }

    /// The word ARM's throttling message uses.
    pub fn word(self) -> &'static str {
        match self {
            Category::Reads => "read",
            Category::Writes => "write",
            Category::Deletes => "delete",
        }
    }
}

#[derive(Debug, Clone)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of every subscription seen so far.
#[derive(Debug)]
pub(crate) struct Throttle {
    limits: ThrottleLimits,
    buckets: HashMap<(String, Category), Bucket>,
}

/// The outcome of taking a token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Take {
    /// Allowed; this many whole tokens remain.
    Allowed(u32),
    /// Refused; retry after this many seconds.
    Refused(u64),
}

impl Throttle {
    pub fn new(limits: ThrottleLimits) -> Self {
        Throttle {
            limits,
            buckets: HashMap::new(),
        }
    }

    fn limit(&self, category: Category) -> BucketLimit {
        match category {
            Category::Reads => self.limits.reads,
            Category::Writes => self.limits.writes,
            Category::Deletes => self.limits.deletes,
        }
    }

    /// Takes one token from `subscription`'s `category` bucket at `now`.
    pub fn take(&mut self, subscription: &str, category: Category, now: Instant) -> Take {
        let limit = self.limit(category);
        let bucket = self
            .buckets
            .entry((subscription.to_owned(), category))
            .or_insert(Bucket {
                tokens: f64::from(limit.burst),
                at: now,
            });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * limit.per_second).min(f64::from(limit.burst));
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Take::Allowed(bucket.tokens.floor() as u32)
        } else {
            let wait = if limit.per_second > 0.0 {
                ((1.0 - bucket.tokens) / limit.per_second).ceil().max(1.0)
            } else {
                60.0
            };
            Take::Refused(wait as u64)
        }
    }

    /// Remaining tokens without taking one (for the headers when throttling is off).
    pub fn capacity(&self, category: Category) -> u32 {
        self.limit(category).burst
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_empties_then_refills_at_its_rate() {
        let limits = ThrottleLimits {
            writes: BucketLimit {
                burst: 3,
                per_second: 2.0,
            },
            ..ThrottleLimits::default()
        };
        let mut throttle = Throttle::new(limits);
        let t0 = Instant::now();
        assert_eq!(throttle.take("s", Category::Writes, t0), Take::Allowed(2));
        assert_eq!(throttle.take("s", Category::Writes, t0), Take::Allowed(1));
        assert_eq!(throttle.take("s", Category::Writes, t0), Take::Allowed(0));
        assert_eq!(throttle.take("s", Category::Writes, t0), Take::Refused(1));
        // Other subscriptions and categories have their own buckets.
        assert_eq!(throttle.take("t", Category::Writes, t0), Take::Allowed(2));
        assert_eq!(throttle.take("s", Category::Reads, t0), Take::Allowed(249));
        // Half a second refills one token at 2/s.
        let t1 = t0 + Duration::from_millis(500);
        assert_eq!(throttle.take("s", Category::Writes, t1), Take::Allowed(0));
        assert_eq!(throttle.take("s", Category::Writes, t1), Take::Refused(1));
        // Never above the burst.
        let t2 = t1 + Duration::from_secs(100);
        assert_eq!(throttle.take("s", Category::Writes, t2), Take::Allowed(2));
    }
}
