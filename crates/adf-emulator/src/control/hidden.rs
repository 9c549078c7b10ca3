//! A record the emulator keeps inside an entity's stored properties under a key of its own
//! (a change data capture's running state, an event trigger's subscription): it survives
//! restarts and PUTs, goes away with the entity, and never leaves the emulator.

use serde_json::{Map, Value};

/// The key of a hidden record in an entity's stored properties.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HiddenKey(pub &'static str);

impl HiddenKey {
    /// Carries the record of `existing` over to a new body (a PUT keeps it; a caller cannot
    /// set it).
    pub(crate) fn carry_over(self, properties: &mut Map<String, Value>, existing: Option<&Value>) {
        properties.remove(self.0);
        if let Some(record) = existing.and_then(|body| body.get(self.0)) {
            properties.insert(self.0.into(), record.clone());
        }
    }

    /// The properties as returned: without the record.
    pub(crate) fn strip(self, properties: &Value) -> Value {
        match properties {
            Value::Object(map) if map.contains_key(self.0) => {
                let mut map = map.clone();
                map.remove(self.0);
                Value::Object(map)
            }
            other => other.clone(),
        }
    }
}
