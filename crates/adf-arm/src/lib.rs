//! ARM client: credentials, retries, pacing, paging, long-running operations, typed errors
