//! What the engine's tests share: a client of a fake ARM that does not retry.

use adf_arm::{ArmClient, ArmClientOptions, RetryOptions};
use std::time::Duration;
use wiremock::MockServer;

/// A client of `server`, without retries (a failure shows at once).
pub fn client(server: &MockServer) -> ArmClient {
    let mut options = ArmClientOptions::new(url::Url::parse(&server.uri()).expect("url"));
    options.retry = RetryOptions {
        max_retries: 0,
        initial_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(1),
    };
    ArmClient::new(options).expect("client")
}
