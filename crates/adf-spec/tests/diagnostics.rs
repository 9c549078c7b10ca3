//! What users read when a spec is wrong: every mistake at once, each with file, line, column
//! and a hint (snapshot tests).
#![allow(clippy::unwrap_used)]

use adf_spec::{Diagnostic, LoadOptions, SpecSource, load, render_plain};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn fixture(name: &str) -> SpecSource {
    let text = std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap();
    SpecSource::new(format!("tests/fixtures/{name}"), text)
}

fn errors(sources: &[SpecSource]) -> Vec<Diagnostic> {
    match load(sources, &LoadOptions::default()) {
        Ok(loaded) => panic!("expected errors, got {:?}", loaded.desired),
        Err(diagnostics) => diagnostics,
    }
}

fn check(text: &str) -> String {
    match load(
        &[SpecSource::new("spec.yaml", text)],
        &LoadOptions::default(),
    ) {
        Ok(loaded) => render_plain(&loaded.warnings),
        Err(diagnostics) => render_plain(&diagnostics),
    }
}

const HEADER: &str = "subscription: 00000000-0000-0000-0000-000000000000\nresourceGroup: {name: rg, location: eastus}\nfactory: {name: fac, location: eastus}\n";

#[test]
fn a_spec_with_many_mistakes_reports_every_one() {
    let diagnostics = errors(&[fixture("broken.yaml"), fixture("broken-overlay.yaml")]);
    insta::assert_snapshot!(render_plain(&diagnostics));
    // Every diagnostic has a position and a hint.
    for diagnostic in &diagnostics {
        assert!(diagnostic.line > 0 && diagnostic.column > 0, "{diagnostic}");
        assert!(diagnostic.hint.is_some(), "no hint: {diagnostic}");
    }
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
    for code in [
        "unknown-key",
        "missing-type",
        "invalid-name",
        "dangling-reference",
        "case-duplicate",
        "cycle",
        "unset-env",
        "unknown-var",
        "invalid-value",
        "missing-key",
        "dash-in-name",
    ] {
        assert!(codes.contains(&code), "no {code} in {codes:?}");
    }
}

#[test]
fn diagnostics_point_into_the_overlay_that_caused_them() {
    let diagnostics = errors(&[fixture("broken.yaml"), fixture("broken-overlay.yaml")]);
    let overlay: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.file.ends_with("broken-overlay.yaml"))
        .collect();
    assert!(
        overlay
            .iter()
            .any(|d| d.code == "case-duplicate" && d.line == 2)
    );
    assert!(
        overlay
            .iter()
            .any(|d| d.code == "dangling-reference" && d.line == 9)
    );
}

#[test]
fn yaml_syntax_errors() {
    insta::assert_snapshot!(check("factory:\n  name: [unclosed\n"), @r"
    spec.yaml:3:1: error: invalid YAML: while parsing a flow sequence, expected ',' or ']'
    ");
    insta::assert_snapshot!(check("a: 1\na: 2\n"), @r"
    spec.yaml:2:1: error: duplicate key `a`
      hint: `a` is already defined at line 1, column 1
    ");
    insta::assert_snapshot!(check("- just\n- a list\n"), @r"
    spec.yaml:1:1: error: a spec must be a mapping with keys such as `factory:` and `pipelines:`, not a list
      hint: see docs/spec.md for the layout of a spec
    ");
}

#[test]
fn an_empty_spec_says_what_is_missing() {
    insta::assert_snapshot!(check(""), @r"
    spec.yaml:1:1: error: the spec does not say which subscription the factory lives in
      hint: add `subscription: ${env:AZURE_SUBSCRIPTION_ID}` at the top level
    spec.yaml:1:1: error: the spec has no `resourceGroup`
      hint: add `resourceGroup: {name: ..., location: ...}` at the top level
    spec.yaml:1:1: error: the spec has no `factory`
      hint: add `factory: {name: ..., location: ...}` at the top level
    ");
}

#[test]
fn limits_are_enforced() {
    let mut spec = String::from(HEADER);
    spec.push_str("pipelines:\n  big:\n    parameters:\n");
    for i in 0..51 {
        spec.push_str(&format!("      p{i}: {{type: String}}\n"));
    }
    spec.push_str("    activities:\n      - name: loop\n        type: ForEach\n        typeProperties:\n          activities:\n");
    for i in 0..80 {
        spec.push_str(&format!("            - {{name: w{i}, type: Wait}}\n"));
    }
    insta::assert_snapshot!(check(&spec), @r"
    spec.yaml:6:5: error: pipeline `big` has 51 parameters; ADF allows at most 50
      hint: pass an Object or Array parameter instead of many scalar ones
    spec.yaml:58:5: error: pipeline `big` has 81 activities (counting those inside containers); ADF allows at most 80
      hint: split it into several pipelines called with ExecutePipeline
    ");
    let mut spec = String::from(HEADER);
    spec.push_str("linkedServices:\n  ls:\n    type: AzureBlobStorage\n    description: ");
    spec.push_str(&"x".repeat(110 * 1024));
    spec.push('\n');
    insta::assert_snapshot!(check(&spec), @r"
    spec.yaml:5:3: error: linked service `ls` is 111 KB as JSON; ADF allows at most 100 KB per linked service
      hint: move large scripts or schemas out of the object, or split it
    ");
}

#[test]
fn warnings_do_not_fail_the_load() {
    let spec = format!(
        "{HEADER}linkedServices:\n  my-ls: {{type: AzureBlobStorage}}\ndatasets:\n  ds: {{type: Binary, linkedServiceName: MY-LS}}\n"
    );
    let loaded = load(
        &[SpecSource::new("spec.yaml", spec)],
        &LoadOptions::default(),
    )
    .unwrap();
    insta::assert_snapshot!(render_plain(&loaded.warnings), @r"
    spec.yaml:5:3: warning: ADF's naming rules do not allow `-` in linked service names
      hint: use `_` instead of `-`
    spec.yaml:7:41: warning: linked service `MY-LS` is defined as `my-ls`; ADF matches names ignoring case
      hint: write `my-ls` to match the definition
    ");
}

#[test]
fn secrets_never_appear_in_diagnostics() {
    let spec = format!(
        "{HEADER}linkedServices:\n  ls:\n    typeProperties:\n      connectionString: {{secretFromEnv: SECRET}}\n      key: {{type: SecureString, value: \"${{env:SECRET}}\"}}\n"
    );
    let mut options = LoadOptions::default();
    options
        .env
        .insert("SECRET".into(), "hunter2-very-secret".into());
    let diagnostics = load(&[SpecSource::new("spec.yaml", spec)], &options).unwrap_err();
    let text = render_plain(&diagnostics);
    assert!(text.contains("has no `type`"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn references_and_runtime_state_errors() {
    let spec = format!(
        "{HEADER}pipelines:\n  p: {{activities: []}}\ntriggers:\n  t:\n    type: ScheduleTrigger\n    runtimeState: stopped\n    pipelines: [P, q]\n"
    );
    insta::assert_snapshot!(check(&spec), @r"
    spec.yaml:9:19: error: `runtimeState` must be `Started`, `Stopped` or `Keep`, not `stopped`
      hint: did you mean `Stopped`?
    spec.yaml:10:17: warning: pipeline `P` is defined as `p`; ADF matches names ignoring case
      hint: write `p` to match the definition
    spec.yaml:10:20: error: trigger `t` references pipeline `q`, which the spec does not define
      hint: define it under `pipelines:`, correct the name, or list `pipeline/q` under `external:` if another team owns it
    ");
}
