//! Refresh, apply and destroy: reads live state through `adf-arm` and executes a
//! [`adf_plan::Plan`] compiled to its steps ([`adf_plan::compile`]).
//!
//! Architecture invariant: the engine never depends on the emulator; the two meet only over
//! HTTP. It decides nothing the plan did not say: apply sends exactly the compiled steps.

mod apply;
pub mod connectivity;
mod event_trigger;
pub mod export;
pub mod private_endpoints;
mod refresh;
pub mod runs;

pub use apply::{
    ApplyEvent, ApplyOptions, ApplyReport, INTERRUPTED, Observer, Phase, StepOutcome, StepStatus,
    apply, random_salt,
};
pub use event_trigger::EventSubscriptionWait;
pub use refresh::refresh;

/// Why the engine could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// An ARM request failed while reading live state.
    #[error("reading {what}: {source}")]
    Refresh {
        /// What was being read.
        what: String,
        /// The ARM error.
        #[source]
        source: adf_arm::ArmError,
    },
    /// A task of the engine itself failed (a bug).
    #[error("internal error: {0}")]
    Internal(String),
}
