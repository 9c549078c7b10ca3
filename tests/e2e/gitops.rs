//! The GitOps workflows in docs/gitops/ parse as YAML, every `adfctl` command in them is one
//! the CLI accepts, with spec files that exist, and they install the released binary instead of
//! building adfctl from source.

use crate::support::{adfctl_bin, workspace_root};
use std::process::Command;

/// Every `adfctl ...` command line inside the workflow's strings.
fn adfctl_commands(value: &serde_yaml::Value, out: &mut Vec<String>) {
    match value {
        serde_yaml::Value::String(text) => {
            for line in text.lines() {
                let line = line.trim();
                if let Some(start) = line.find("adfctl ")
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

fn yaml(path: &str) -> (String, serde_yaml::Value) {
    let text = std::fs::read_to_string(workspace_root().join(path)).expect(path);
    let document =
        serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"));
    (text, document)
}

#[test]
fn workflows_install_the_release_binary() {
    for path in [
        "docs/gitops/github-actions.yml",
        "docs/gitops/azure-pipelines.yml",
    ] {
        let (text, _) = yaml(path);
        for build in ["cargo install", "cargo build"] {
            assert!(
                !text.contains(build),
                "{path} builds adfctl from source ({build})"
            );
        }
    }

    // GitHub Actions: each job installs adfctl once, with this repository's setup-adfctl
    // action pinned to a full commit sha, passing only inputs the action declares, every
    // required one included; all jobs agree on the pin and the version.
    let (_, action) = yaml(".github/actions/setup-adfctl/action.yml");
    let inputs = action["inputs"]
        .as_mapping()
        .expect("setup-adfctl declares inputs");
    let (_, workflow) = yaml("docs/gitops/github-actions.yml");
    let jobs = workflow["jobs"].as_mapping().expect("jobs");
    let mut pins = std::collections::BTreeSet::new();
    for (job, spec) in jobs {
        let job = job.as_str().unwrap_or_default();
        let steps = spec["steps"].as_sequence().expect("steps");
        let setups: Vec<&serde_yaml::Value> = steps
            .iter()
            .filter(|step| {
                step["uses"].as_str().is_some_and(|uses| {
                    uses.starts_with("adfctl/adfctl/.github/actions/setup-adfctl@")
                })
            })
            .collect();
        assert_eq!(
            setups.len(),
            1,
            "job {job}: install adfctl once with setup-adfctl"
        );
        let setup = setups[0];
        let uses = setup["uses"].as_str().unwrap_or_default();
        let sha = uses.rsplit('@').next().unwrap_or_default();
        assert!(
            sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "job {job}: pin setup-adfctl to a full commit sha, not {sha:?}"
        );
        let with = setup["with"]
            .as_mapping()
            .expect("setup-adfctl takes inputs");
        for key in with.keys() {
            assert!(
                inputs.contains_key(key),
                "job {job}: setup-adfctl has no input {key:?}"
            );
        }
        for (name, input) in inputs {
            if input["required"].as_bool() == Some(true) {
                assert!(
                    with.contains_key(name),
                    "job {job}: setup-adfctl needs the input {name:?}"
                );
            }
        }
        let version = with
            .get("version")
            .and_then(serde_yaml::Value::as_str)
            .unwrap_or_default();
        pins.insert((sha.to_owned(), version.to_owned()));
    }
    assert_eq!(
        pins.len(),
        1,
        "the jobs pin different setup-adfctl commits or versions: {pins:?}"
    );

    // Azure DevOps: the release archive is checked against the release's SHA256SUMS.
    let (text, _) = yaml("docs/gitops/azure-pipelines.yml");
    assert!(
        text.contains("/releases/download/")
            && text.contains("SHA256SUMS")
            && text.contains("sha256sum --check"),
        "azure-pipelines.yml: download the release and check it against SHA256SUMS"
    );
}
