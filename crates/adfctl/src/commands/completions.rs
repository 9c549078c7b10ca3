//! `adfctl completions`: shell completion scripts, generated from the command definitions.

use crate::error::Outcome;
use crate::exit::ExitStatus;

/// Arguments of `adfctl completions`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Install:\n  \
    bash:       adfctl completions bash > ~/.local/share/bash-completion/completions/adfctl\n  \
    zsh:        adfctl completions zsh > \"${fpath[1]}/_adfctl\"\n  \
    fish:       adfctl completions fish > ~/.config/fish/completions/adfctl.fish\n  \
    PowerShell: adfctl completions powershell >> $PROFILE\n")]
pub struct CompletionsArgs {
    /// The shell to write the script for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Writes the completion script for `args.shell` to stdout.
pub fn run(args: CompletionsArgs, mut command: clap::Command) -> Outcome {
    let name = command.get_name().to_owned();
    clap_complete::generate(args.shell, &mut command, name, &mut std::io::stdout());
    Ok(ExitStatus::Success)
}
