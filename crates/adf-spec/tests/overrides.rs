//! `overrides:` rules: per-environment changes by path, deep inside entities.
#![allow(clippy::unwrap_used)]

use adf_core::{Kind, OverrideOp, ResourceAddress};
use adf_spec::{Diagnostic, LoadOptions, Loaded, SpecSource, load, render_plain};
use serde_json::json;

const BASE: &str = "subscription: 00000000-0000-0000-0000-000000000000
resourceGroup: {name: rg, location: eastus}
factory: {name: fac, location: eastus}
linkedServices:
  ls_blob:
    type: AzureBlobStorage
    typeProperties: {serviceEndpoint: https://dev.blob.core.windows.net}
pipelines:
  PL_LoadSales:
    folder: {name: Sales/Daily}
    parameters: {env: {type: String, defaultValue: dev}}
    activities:
      - name: Start
        type: Wait
        typeProperties: {waitTimeInSeconds: 1}
      - name: EachTable
        type: ForEach
        typeProperties:
          items: {value: '@createArray(1)', type: Expression}
          activities:
            - name: CopySales
              type: Wait
              policy: {timeout: '0.12:00:00', retry: 0}
              typeProperties: {waitTimeInSeconds: 1}
            - name: DebugDump
              type: Wait
              typeProperties: {waitTimeInSeconds: 1}
  PL_LoadStock:
    folder: {name: Sales}
    activities:
      - {name: Start, type: Wait, typeProperties: {waitTimeInSeconds: 1}}
  PL_Other:
    activities:
      - {name: Start, type: Wait, typeProperties: {waitTimeInSeconds: 1}}
";

fn load_with(overlays: &[&str], vars: &[(&str, &str)]) -> Result<Loaded, Vec<Diagnostic>> {
    let mut sources = vec![SpecSource::new("base.yaml", BASE)];
    sources.extend(
        overlays
            .iter()
            .enumerate()
            .map(|(i, text)| SpecSource::new(format!("env{i}.yaml"), *text)),
    );
    let options = LoadOptions {
        vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..LoadOptions::default()
    };
    load(&sources, &options)
}

fn ok(overlays: &[&str], vars: &[(&str, &str)]) -> Loaded {
    load_with(overlays, vars).unwrap_or_else(|d| panic!("{}", render_plain(&d)))
}

fn properties(loaded: &Loaded, kind: Kind, name: &str) -> serde_json::Value {
    loaded
        .desired
        .get(&ResourceAddress::new(kind, name))
        .unwrap()
        .body["properties"]
        .clone()
}

#[test]
fn set_reaches_a_nested_activity_by_name_and_takes_variables() {
    let overlay = "overrides:
  - target: pipeline/PL_LoadSales
    set:
      activities[CopySales].policy.timeout: '0.02:00:00'
      activities[EachTable].typeProperties.activities[CopySales].policy.retry: ${var:retries}
      parameters.env.defaultValue: prod
";
    let loaded = ok(&[overlay], &[("retries", "3")]);
    let pipeline = properties(&loaded, Kind::Pipeline, "PL_LoadSales");
    let copy = &pipeline["activities"][1]["typeProperties"]["activities"][0];
    assert_eq!(copy["policy"], json!({"timeout": "0.02:00:00", "retry": 3}));
    assert_eq!(pipeline["parameters"]["env"]["defaultValue"], "prod");
    // The rest of the pipeline is as the base wrote it.
    assert_eq!(pipeline["activities"].as_array().unwrap().len(), 2);

    let applied: Vec<String> = loaded.overrides.iter().map(ToString::to_string).collect();
    assert_eq!(
        applied,
        [
            "set activities[CopySales].policy.timeout (env0.yaml:4:7)",
            "set activities[EachTable].typeProperties.activities[CopySales].policy.retry (env0.yaml:5:7)",
            "set parameters.env.defaultValue (env0.yaml:6:7)",
        ]
    );
    assert!(loaded.overrides.iter().all(|o| o.op == OverrideOp::Set
        && o.address == ResourceAddress::new(Kind::Pipeline, "PL_LoadSales")));
}

#[test]
fn add_and_remove_keys_and_list_elements() {
    let overlay = "overrides:
  - target: pipeline/PL_LoadSales
    remove:
      - activities[DebugDump]
      - folder
    add:
      activities:
        - {name: Done, type: Wait, typeProperties: {waitTimeInSeconds: 2}}
      activities[0]: {name: First, type: Wait, typeProperties: {waitTimeInSeconds: 3}}
      parameters.region: {type: String, defaultValue: eu}
";
    let loaded = ok(&[overlay], &[]);
    let pipeline = properties(&loaded, Kind::Pipeline, "PL_LoadSales");
    let names: Vec<&str> = pipeline["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["First", "Start", "EachTable", "Done"]);
    let nested = &pipeline["activities"][2]["typeProperties"]["activities"];
    assert_eq!(nested.as_array().unwrap().len(), 1, "{nested}");
    assert!(pipeline.get("folder").is_none());
    assert_eq!(pipeline["parameters"]["region"]["defaultValue"], "eu");
}

#[test]
fn patterns_and_folders_pick_the_targets_and_rules_of_every_file_run() {
    let first = "overrides:
  - target: pipeline.PL_Load*@Sales
    add: {description: loads}
";
    let second = "overrides:
  - target: '*/*@Sales/Daily'
    set: {description: daily loads}
";
    let loaded = ok(&[first, second], &[]);
    assert_eq!(
        properties(&loaded, Kind::Pipeline, "PL_LoadSales")["description"],
        "daily loads"
    );
    assert_eq!(
        properties(&loaded, Kind::Pipeline, "PL_LoadStock")["description"],
        "loads"
    );
    assert!(
        properties(&loaded, Kind::Pipeline, "PL_Other")
            .get("description")
            .is_none()
    );
    assert_eq!(loaded.overrides.len(), 3);
}

#[test]
fn a_rule_that_matches_nothing_is_an_error_unless_optional() {
    let overlay = "overrides:
  - target: pipeline/PL_LoadSale
    set: {description: x}
  - target: pipeline/PL_LoadSales
    set:
      activities[CopySale].policy.timeout: '1'
      activities[CopySales].policy.timout: '1'
  - target: linkedService/ls_blob
    add:
      typeProperties: {}
";
    let diagnostics = load_with(&[overlay], &[]).unwrap_err();
    let text = render_plain(&diagnostics);
    insta::assert_snapshot!(text);

    let optional = "overrides:
  - target: pipeline/PL_Missing
    optional: true
    set: {description: x}
  - target: pipeline/PL_*
    optional: true
    set:
      activities[CopySales].policy.timeout: '1'
";
    let loaded = ok(&[optional], &[]);
    assert_eq!(loaded.overrides.len(), 1, "{:?}", loaded.overrides);
}

#[test]
fn malformed_rules_say_where_and_what_to_write() {
    let overlay = "overrides:
  - target: pipline/x
    set: {a: 1}
  - set: {a: 1}
  - target: pipeline/PL_Other
    sett: {a: 1}
  - target: pipeline/PL_Other
    set: {'activities[0': 1}
    remove: activities[0]
  - just a string
";
    let diagnostics = load_with(&[overlay], &[]).unwrap_err();
    insta::assert_snapshot!(render_plain(&diagnostics));
}

#[test]
fn an_overridden_value_is_checked_where_the_rule_wrote_it() {
    // A rule's value goes through the same checks as the spec's own text, positioned at the rule.
    let overlay = "overrides:
  - target: pipeline/PL_Other
    set:
      activities[Start].typeProperties.waitTimeInSeconds: '@concat('
";
    let diagnostics = load_with(&[overlay], &[]).unwrap_err();
    let text = render_plain(&diagnostics);
    assert!(text.starts_with("env0.yaml:4:"), "{text}");
}

#[test]
fn a_studio_folder_is_overridden_without_copying_it() {
    let pipeline = r#"{"name": "PL_Copy", "properties": {"activities": [
        {"name": "Copy", "type": "Wait", "policy": {"timeout": "7.00:00:00"}, "typeProperties": {"waitTimeInSeconds": 1}}],
        "folder": {"name": "Ingest"}}}"#;
    let target = "subscription: 00000000-0000-0000-0000-000000000000
resourceGroup: {name: rg, location: eastus}
factory: {name: fac, location: eastus}
overrides:
  - target: pipeline/*@Ingest
    set:
      activities[Copy].policy.timeout: '0.01:00:00'
";
    let sources = [
        SpecSource::new("repo/pipeline/PL_Copy.json", pipeline)
            .studio(adf_spec::StudioFolder::Entity(Kind::Pipeline)),
        SpecSource::new("prod.yaml", target),
    ];
    let loaded =
        load(&sources, &LoadOptions::default()).unwrap_or_else(|d| panic!("{}", render_plain(&d)));
    assert_eq!(
        properties(&loaded, Kind::Pipeline, "PL_Copy")["activities"][0]["policy"]["timeout"],
        "0.01:00:00"
    );
}
