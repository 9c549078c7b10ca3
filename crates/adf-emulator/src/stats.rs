//! Request counters for `GET /_emulator/stats`.

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Counts of ARM requests by method and by outcome.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    total: u64,
    by_method: BTreeMap<String, u64>,
    by_status: BTreeMap<String, u64>,
    faults_injected: u64,
    lost_responses: u64,
    throttled: u64,
}

/// What happened to one request, beyond its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Injected {
    None,
    Fault,
    LostResponse,
    Throttled,
}

impl Stats {
    /// Records one request; `status` is a code such as `200`, or `dropped`.
    pub fn record(&mut self, method: &str, status: &str, injected: Injected) {
        self.total += 1;
        *self.by_method.entry(method.to_owned()).or_default() += 1;
        *self.by_status.entry(status.to_owned()).or_default() += 1;
        match injected {
            Injected::None => {}
            Injected::Fault => self.faults_injected += 1,
            Injected::LostResponse => self.lost_responses += 1,
            Injected::Throttled => self.throttled += 1,
        }
    }

    pub fn to_json(&self) -> Value {
        let counts = |map: &BTreeMap<String, u64>| {
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect::<Map<_, _>>(),
            )
        };
        json!({
            "total": self.total,
            "byMethod": counts(&self.by_method),
            "byStatus": counts(&self.by_status),
            "faultsInjected": self.faults_injected,
            "lostResponses": self.lost_responses,
            "throttled": self.throttled,
        })
    }
}
