//! Exit status as a type (Terraform's convention for `--detailed-exitcode`).

/// How `adfctl` ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything worked (and, with `--detailed-exitcode`, nothing would change).
    Success,
    /// An error: bad input, a failed request, a failed run.
    Failure,
    /// With `--detailed-exitcode`: it worked and there are changes.
    Changes,
    /// Interrupted by Ctrl-C (130, as shells report SIGINT).
    Interrupted,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(match status {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Changes => 2,
            ExitStatus::Interrupted => 130,
        })
    }
}
