//! The GitOps workflows in docs/gitops/ parse as YAML, and every `adfctl` command in them is
//! one the CLI accepts, with spec files that exist.

use crate::support::{adfctl_bin, workspace_root};
use std::process::Command;

/// Every `adfctl ...` command line inside the workflow's strings.
fn adfctl_commands(value: &serde_yaml::Value, out: &mut Vec<String>) {
    match value {
        serde_yaml::Value::String(text) => {
            for line in text.lines() {
                let line = line.trim();
                if let Some(start) = line.find("adfctl ")
                    && !line.contains("cargo install")
                    && (start == 0 || line[..start].ends_with(' '))
                {
                    out.push(line[start..].to_owned());
                }
            }
        }
        serde_yaml::Value::Sequence(items) => items.iter().for_each(|i| adfctl_commands(i, out)),
        serde_yaml::Value::Mapping(map) => map.values().for_each(|v| adfctl_commands(v, out)),
        serde_yaml::Value::Tagged(tagged) => adfctl_commands(&tagged.value, out),
        _ => {}
    }
}

fn help(subcommand: &str) -> String {
    let output = Command::new(adfctl_bin())
        .args([subcommand, "--help"])
        .output()
        .expect("adfctl --help");
    assert!(
        output.status.success(),
        "`adfctl {subcommand}` is not a command"
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn workflows_parse_and_their_commands_exist() {
    let dir = workspace_root().join("docs/gitops");
    let mut checked = 0;
    for name in ["github-actions.yml", "azure-pipelines.yml"] {
        let text = std::fs::read_to_string(dir.join(name)).expect("workflow");
        let document: serde_yaml::Value =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{name} is not YAML: {e}"));
        // Azure DevOps macro syntax: expand the specs variable as the agent would.
        let specs = document["variables"]["specs"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        let mut commands = Vec::new();
        adfctl_commands(&document, &mut commands);
        assert!(
            commands.len() >= 3,
            "{name}: expected plan, apply and drift commands"
        );
        for command in commands {
            let command = command.replace("$(specs)", &specs);
            let words: Vec<&str> = command
                .split_whitespace()
                .take_while(|w| !matches!(*w, ">" | "|" | "||" | "&&" | "#"))
                .collect();
            let subcommand = words.get(1).copied().unwrap_or_default();
            let help = help(subcommand);
            for (index, word) in words.iter().enumerate() {
                if word.starts_with("--") {
                    assert!(
                        help.contains(word),
                        "{name}: `{command}`: {word} is not a flag of `adfctl {subcommand}`"
                    );
                }
                if *word == "-f" {
                    let file = words.get(index + 1).copied().unwrap_or_default();
                    assert!(
                        workspace_root().join(file).exists(),
                        "{name}: `{command}`: {file} does not exist"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 6, "checked {checked} commands");
}
