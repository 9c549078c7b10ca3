//! WebHook activities waiting for their callback: the run engine registers one before it
//! calls the endpoint and awaits it; the control plane's `POST /_emulator/webhooks/{id}`
//! delivers the callback's body. A leaf shared by both rooms, as `state.rs` is.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};
use tokio::sync::oneshot;

/// The path of a callback, under the emulator's base URL.
pub(crate) const CALLBACK_PATH: &str = "/_emulator/webhooks";

/// Callbacks awaited, by id, and the URL the emulator is reached at.
#[derive(Default)]
pub(crate) struct Webhooks {
    waiting: Mutex<HashMap<String, oneshot::Sender<Value>>>,
    base_url: OnceLock<String>,
}

impl Webhooks {
    /// Records the emulator's own URL (`http://IP:PORT`), once, when it starts listening.
    pub(crate) fn set_base_url(&self, url: String) {
        let _ = self.base_url.set(url);
    }

    /// The callback URI of `id`. Without a listening socket (router-level tests) the URI names
    /// localhost; a test posts to its path.
    pub(crate) fn callback_uri(&self, id: &str) -> String {
        let base = self
            .base_url
            .get()
            .map_or("http://localhost", String::as_str);
        format!("{base}{CALLBACK_PATH}/{id}")
    }

    /// Starts waiting for the callback `id`.
    pub(crate) fn register(&self, id: &str) -> oneshot::Receiver<Value> {
        let (sender, receiver) = oneshot::channel();
        self.lock().insert(id.to_owned(), sender);
        receiver
    }

    /// Stops waiting (the activity ended without a callback).
    pub(crate) fn forget(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Delivers a callback; false when nothing waits for `id` (unknown, already called back,
    /// or timed out).
    pub(crate) fn deliver(&self, id: &str, body: Value) -> bool {
        match self.lock().remove(id) {
            Some(sender) => sender.send(body).is_ok(),
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Value>>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
