//! The ARM control plane: the HTTP edge ([`http`]: authentication, throttling, fault
//! injection, statistics), the route table and request/reply types ([`arm`]), and the service
//! ([`service`], with the runs API in [`runs_api`]) that answers one request under the store's
//! lock and returns its side effects as values.

pub(crate) mod arm;
pub(crate) mod http;
pub(crate) mod rng;
pub(crate) mod runs_api;
pub(crate) mod service;
pub(crate) mod stats;
pub(crate) mod throttle;
