//! The running state of a change data capture (`adfcdcs`): `start` and `stop`
//! (`POST …/adfcdcs/{name}/start|stop`, answered `200` with no body,
//! EX:ChangeDataCapture_Start, EX:ChangeDataCapture_Stop) and `status`
//! (`GET …/adfcdcs/{name}/status`, a bare JSON string, EX:ChangeDataCapture_Status).
//!
//! ADF creates a capture stopped, and its GET does not show the state
//! (EX:ChangeDataCapture_Get), so the state is kept in the capture's stored properties under
//! [`RECORD_KEY`], which [`strip`] removes before a body leaves the emulator (as the event
//! subscription record of a trigger is): it survives restarts, survives a PUT, and goes away
//! with the capture. Nothing runs: a started capture moves no data in the emulator.
//!
//! UNVERIFIED: the status strings other than `Stopped` (the emulator answers `Running` for a
//! started capture, the word ADF Studio shows), and that start and stop are idempotent.

use super::hidden::HiddenKey;
use serde_json::{Map, Value, json};

/// Where the state lives in the capture's stored properties (never returned).
pub(crate) const RECORD_KEY: &str = "__emulatorCdcStatus";

/// The status of a capture that was never started, or was stopped.
pub(crate) const STOPPED: &str = "Stopped";

/// The status of a started capture (UNVERIFIED wording).
pub(crate) const RUNNING: &str = "Running";

/// The capture's status as `status` reports it.
pub(crate) fn status(properties: &Value) -> &str {
    properties
        .get(RECORD_KEY)
        .and_then(Value::as_str)
        .unwrap_or(STOPPED)
}

/// Records `start` (`true`) or `stop` (`false`) in the stored properties.
pub(crate) fn set_running(properties: &mut Value, running: bool) {
    if let Value::Object(map) = properties {
        map.insert(
            RECORD_KEY.into(),
            json!(if running { RUNNING } else { STOPPED }),
        );
    }
}

/// Carries the record of `existing` over to a new body (a PUT keeps it; a caller cannot set
/// it).
pub(crate) fn carry_over(properties: &mut Map<String, Value>, existing: Option<&Value>) {
    HiddenKey(RECORD_KEY).carry_over(properties, existing);
}

/// The properties as returned: without the record.
pub(crate) fn strip(properties: &Value) -> Value {
    HiddenKey(RECORD_KEY).strip(properties)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capture_is_stopped_until_started_and_the_state_never_leaves() {
        let mut body = json!({"Policy": {"mode": "Microbatch"}});
        assert_eq!(status(&body), STOPPED);
        set_running(&mut body, true);
        assert_eq!(status(&body), RUNNING);
        assert_eq!(strip(&body), json!({"Policy": {"mode": "Microbatch"}}));

        let mut written = Map::new();
        written.insert(RECORD_KEY.into(), json!("Forged"));
        carry_over(&mut written, Some(&body));
        assert_eq!(status(&Value::Object(written)), RUNNING);

        set_running(&mut body, false);
        assert_eq!(status(&body), STOPPED);
    }
}
