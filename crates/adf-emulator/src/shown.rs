//! What ARM shows of a stored entity's properties: the emulator's hidden records (an event
//! trigger's subscription, a change data capture's state) removed, and secrets masked as ARM
//! masks them. The store keeps this rendering beside the body when it writes one, so that a
//! list page is assembled from stored text without parsing or masking anything.

use crate::control::{change_data_capture as cdc, event_subscription as events};
use serde_json::Value;

/// The properties as ARM returns them.
pub(crate) fn properties(stored: &Value) -> Value {
    let hidden = [events::RECORD_KEY, cdc::RECORD_KEY]
        .iter()
        .any(|key| stored.get(key).is_some());
    if hidden {
        adf_core::secret::mask_like_arm(&cdc::strip(&events::strip(stored)), &[])
    } else {
        adf_core::secret::mask_like_arm(stored, &[])
    }
}

/// [`properties`] as JSON text.
pub(crate) fn properties_text(stored: &Value) -> String {
    properties(stored).to_string()
}
