//! The binary starts, and its help and version read well.

use assert_cmd::Command;

fn adfctl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_adfctl"))
}

#[test]
fn version_names_the_tool() {
    let output = adfctl().arg("--version").output().expect("run adfctl");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("adfctl "), "{stdout}");
}

#[test]
fn help_lists_the_commands() {
    let output = adfctl().arg("--help").output().expect("run adfctl");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    for command in ["validate", "emulator"] {
        assert!(stdout.contains(command), "help lacks {command}:\n{stdout}");
    }
}
