//! Real factories, end to end: the five public ADF Studio repositories in
//! `../shared/realworld` (MIT; written by ADF users and ADF Studio, not for adfctl), each with
//! its target overlay in `tests/fixtures/realworld/`. For each: `validate` reports only the
//! repository's genuine mistakes; apply to the emulator; the next plan is clean; `export` of the
//! applied factory plans clean, and so does its `export --format arm` (the template with the
//! target overlay); destroy leaves nothing. Skips, saying so, without ../shared.

use crate::support::{EmulatorProcess, text, workspace_root};
use std::path::{Path, PathBuf};
use std::time::Instant;

const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";

/// A genuine authoring mistake a repository holds, which `validate` must keep reporting.
struct Mistake {
    /// The file, relative to the repository's folder.
    file: &'static str,
    /// Part of the error message.
    message: &'static str,
}

/// What `validate` finds in a repository: its genuine mistakes, and how many warnings.
struct Expected {
    folder: &'static str,
    resource_group: &'static str,
    factory: &'static str,
    mistakes: &'static [Mistake],
    /// `dash-in-name` warnings: ADF's documented naming rules do not allow `-` in these names,
    /// but ADF Studio accepted them (adfctl warns rather than refuses).
    dash_warnings: usize,
}

fn check(expected: &Expected) {
    let Some(shared) = adf_testkit::shared(
        &format!("realworld::{}", expected.folder),
        &format!("realworld/{}", expected.folder),
    ) else {
        return;
    };
    let overlay =
        workspace_root().join(format!("tests/fixtures/realworld/{}.yaml", expected.folder));
    let started = Instant::now();
    let mut timings = Vec::new();
    let mut lap = |step: &str, at: &mut Instant| {
        eprintln!("realworld {}: {step} done", expected.folder);
        timings.push(format!("{step} {:.1} s", at.elapsed().as_secs_f64()));
        *at = Instant::now();
    };
    let mut at = Instant::now();

    // validate: exactly the genuine mistakes, each in its file.
    let output = adfctl(&["validate", "-f"], &[&shared, &overlay], &[]);
    let (_, stderr) = text(&output);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains(": error: ")).collect();
    assert_eq!(
        errors.len(),
        expected.mistakes.len(),
        "errors of {}:\n{stderr}",
        expected.folder
    );
    for mistake in expected.mistakes {
        assert!(
            errors
                .iter()
                .any(|e| e.contains(mistake.file) && e.contains(mistake.message)),
            "{} / {} not reported:\n{stderr}",
            mistake.file,
            mistake.message
        );
    }
    let dashes = stderr.matches("naming rules do not allow `-`").count();
    assert_eq!(dashes, expected.dash_warnings, "{stderr}");
    let other_warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(": warning: ") && !l.contains("naming rules do not allow `-`"))
        .collect();
    assert!(other_warnings.is_empty(), "{other_warnings:#?}");
    lap("validate", &mut at);

    // A repository with mistakes deploys without the files that hold them (a copy in a
    // temporary directory), as a team would after fixing them.
    let copy = tempfile::tempdir().expect("temp dir");
    let repository: PathBuf = if expected.mistakes.is_empty() {
        shared
    } else {
        copy_without(&shared, copy.path(), expected.mistakes);
        copy.path().to_path_buf()
    };

    let emulator = EmulatorProcess::start(&[]);
    let files = [repository.as_path(), overlay.as_path()];
    let run = |args: &[&str], files: &[&Path]| emulator.adfctl_files(args, files);

    let (code, stdout, stderr) = run(&["apply", "--auto-approve"], &files);
    assert_eq!(code, 0, "apply:\n{stdout}\n{stderr}");
    lap("apply", &mut at);
    let (code, stdout, stderr) = run(&["plan", "--detailed-exitcode"], &files);
    assert_eq!(
        code, 0,
        "the plan after apply is not clean:\n{stdout}\n{stderr}"
    );
    lap("plan", &mut at);

    // export the applied factory, then plan from the export alone.
    let exported = tempfile::tempdir().expect("temp dir");
    let output = emulator.adfctl(
        &[
            "export",
            "--subscription",
            SUBSCRIPTION,
            "--resource-group",
            expected.resource_group,
            "--factory",
            expected.factory,
            "-o",
            &exported.path().display().to_string(),
        ],
        &[],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "export:\n{stdout}\n{stderr}");
    let (code, stdout, stderr) = run(&["plan", "--detailed-exitcode"], &[exported.path()]);
    assert_eq!(
        code, 0,
        "the plan of the export is not clean:\n{stdout}\n{stderr}"
    );
    lap("export + plan", &mut at);

    // export as an ARM template, then plan from the template and the target overlay.
    let arm = tempfile::tempdir().expect("temp dir");
    let output = emulator.adfctl(
        &[
            "export",
            "--subscription",
            SUBSCRIPTION,
            "--resource-group",
            expected.resource_group,
            "--factory",
            expected.factory,
            "--format",
            "arm",
            "-o",
            &arm.path().display().to_string(),
        ],
        &[],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "export --format arm:\n{stdout}\n{stderr}"
    );
    let template = arm.path().join("ARMTemplateForFactory.json");
    let (code, stdout, stderr) = run(
        &["plan", "--detailed-exitcode"],
        &[template.as_path(), overlay.as_path()],
    );
    assert_eq!(
        code, 0,
        "the plan of the ARM export is not clean:\n{stdout}\n{stderr}"
    );
    lap("export --format arm + plan", &mut at);

    // destroy, then the same spec plans nothing but creates.
    let (code, stdout, stderr) = run(&["destroy", "--auto-approve"], &files);
    assert_eq!(code, 0, "destroy:\n{stdout}\n{stderr}");
    let (code, stdout, stderr) = run(&["plan", "--detailed-exitcode"], &files);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("Plan: "))
        .unwrap_or_default()
        .to_owned();
    assert!(
        summary.contains("0 to update, 0 to replace, 0 to delete")
            && !summary.contains("unchanged"),
        "destroy left something behind: {summary}\n{stdout}"
    );
    lap("destroy", &mut at);
    adf_testkit::report(&format!(
        "realworld {}: {} ({:.1} s in all)",
        expected.folder,
        timings.join(", "),
        started.elapsed().as_secs_f64()
    ));
}

/// Runs adfctl (no emulator) with `args` then each of `files` after `-f`.
fn adfctl(args: &[&str], files: &[&Path], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(crate::support::adfctl_bin());
    command.args(args);
    for (index, file) in files.iter().enumerate() {
        if index > 0 {
            command.arg("-f");
        }
        command.arg(file);
    }
    command.env("NO_COLOR", "1").current_dir(workspace_root());
    for (key, value) in env {
        command.env(key, value);
    }
    crate::support::run_bounded(command, std::time::Duration::from_secs(120))
}

/// Copies `from` into `to`, leaving out the files that hold `mistakes`.
fn copy_without(from: &Path, to: &Path, mistakes: &[Mistake]) {
    for entry in std::fs::read_dir(from).expect("repository") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_without(&path, &target, mistakes);
        } else if !mistakes.iter().any(|m| path.ends_with(m.file)) {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

#[test]
fn cosmotech_datafact() {
    // 1,240 entities: 463 datasets (166 with an imported schema), 137 data flows, 622
    // pipelines, 15 integration runtimes, linked services holding an encryptedCredential.
    check(&Expected {
        folder: "cosmotech-Datafact",
        resource_group: "rw-cosmotech-rg",
        factory: "rw-cosmotech",
        mistakes: &[],
        // Data flow names such as `Activate-11-AssetPortfolioActivitiesManagement-Runtime2`.
        dash_warnings: 15,
    });
}

#[test]
fn kvapac_gitadfadbplt001() {
    // Global parameters typed `string` (as ADF Studio writes them), managed-VNet and
    // self-hosted runtimes, 170 schedule triggers.
    check(&Expected {
        folder: "kvapac-gitadfadbplt001",
        resource_group: "rw-kvapac-rg",
        factory: "rw-kvapac",
        mistakes: &[],
        dash_warnings: 0,
    });
}

#[test]
fn adftools_big_factory_sample2() {
    // azure.datafactory.tools' own test factory: every global parameter type in lower case,
    // `@pipeline().globalParameters.GP-Int`, a tumbling-window trigger, a shared runtime.
    check(&Expected {
        folder: "adftools-BigFactorySample2",
        resource_group: "rw-bigfactory-rg",
        factory: "rw-bigfactory",
        // A genuine mistake: `Wait 4` depends on `If Condition1`, and the pipeline's activity
        // is `If Condition` (ADF refuses a dependency on an activity not in the same list).
        mistakes: &[Mistake {
            file: "pipeline/Multiple Waits.json",
            message: "depends on activity `If Condition1`",
        }],
        dash_warnings: 0,
    });
}

#[test]
fn procfwk_data_factory() {
    check(&Expected {
        folder: "procfwk-DataFactory",
        resource_group: "rw-procfwk-rg",
        factory: "rw-procfwk",
        mistakes: &[],
        dash_warnings: 0,
    });
}

#[test]
fn mdw_parking_sensors() {
    check(&Expected {
        folder: "mdw-parking-sensors",
        resource_group: "rw-parking-rg",
        factory: "rw-parking",
        mistakes: &[],
        dash_warnings: 0,
    });
}
