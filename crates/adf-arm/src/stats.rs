//! Request counters, cheap enough to keep always on.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of what a client has sent. Every attempt counts, retries and LRO polls included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestStats {
    /// GET requests (LRO polls and list pages included).
    pub get: u64,
    /// PUT requests.
    pub put: u64,
    /// POST requests.
    pub post: u64,
    /// DELETE requests.
    pub delete: u64,
    /// PATCH requests.
    pub patch: u64,
    /// HEAD requests.
    pub head: u64,
    /// Attempts that were retries of an earlier attempt.
    pub retries: u64,
    /// 429 responses received.
    pub throttled: u64,
    /// Requests sent while ARM's remaining rate limit was low, and so spaced out.
    pub paced: u64,
}

impl RequestStats {
    /// All requests sent.
    pub fn total(&self) -> u64 {
        self.get + self.put + self.post + self.delete + self.patch + self.head
    }

    /// Requests that may change state: PUT, POST, DELETE, PATCH.
    pub fn writes(&self) -> u64 {
        self.put + self.post + self.delete + self.patch
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    get: AtomicU64,
    put: AtomicU64,
    post: AtomicU64,
    delete: AtomicU64,
    patch: AtomicU64,
    head: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    paced: AtomicU64,
}

impl Counters {
    pub(crate) fn sent(&self, method: &reqwest::Method) {
        let counter = match *method {
            reqwest::Method::GET => &self.get,
            reqwest::Method::PUT => &self.put,
            reqwest::Method::POST => &self.post,
            reqwest::Method::DELETE => &self.delete,
            reqwest::Method::PATCH => &self.patch,
            reqwest::Method::HEAD => &self.head,
            _ => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn retried(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn paced(&self) {
        self.paced.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> RequestStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        RequestStats {
            get: read(&self.get),
            put: read(&self.put),
            post: read(&self.post),
            delete: read(&self.delete),
            patch: read(&self.patch),
            head: read(&self.head),
            retries: read(&self.retries),
            throttled: read(&self.throttled),
            paced: read(&self.paced),
        }
    }
}
