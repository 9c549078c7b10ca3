//! Snapshots of what users read: the human, JSON and markdown plans.

mod common;

use adf_core::{DesiredState, Kind, ResourceAddress};
use adf_plan::render::{self, Style};
use adf_plan::{LiveResource, LiveState, Plan, PlanOptions, plan};
use common::*;
use serde_json::json;

/// The seed lab, applied, then edited: the storage secret rotated, the output dataset moved,
/// a new dataset, the pipeline described, the trigger made hourly, and a pipeline made in
/// Studio that `--prune` removes.
fn realistic() -> (DesiredState, LiveState, Plan) {
    // Built once: secret fingerprints are slow in debug builds.
    static REALISTIC: std::sync::OnceLock<(DesiredState, LiveState, Plan)> =
        std::sync::OnceLock::new();
    REALISTIC.get_or_init(build_realistic).clone()
}

fn build_realistic() -> (DesiredState, LiveState, Plan) {
    let lab = seed_lab();
    let mut live = applied(&lab);
    live.resources.push(LiveResource::new(
        ResourceAddress::new(Kind::Pipeline, "legacyPipeline"),
        json!({"id": "/x/pipelines/legacyPipeline", "name": "legacyPipeline", "etag": "e0",
               "properties": {"activities": [{"name": "wait", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 5}}]}}),
    ));
    let mut desired = lab.clone();
    desired.resources[2].body["properties"]["typeProperties"]["connectionString"]["value"] =
        json!("DefaultEndpointsProtocol=https;AccountName=adflab;AccountKey=R0tated-PLANTED-0004");
    desired.resources[4].body["properties"]["typeProperties"]["location"]["folderPath"] =
        json!("output/v2");
    desired.resources[5].body["properties"]["description"] =
        json!("Copies input.txt to the output folder");
    desired.resources[6].body =
        json!({"properties": schedule_trigger("dailyTrigger", "copyPipeline", 1)});
    desired
        .resources
        .insert(5, blob_dataset("ArchiveDataset", "archive", None));
    let plan = plan(&desired, &live, &PlanOptions::apply_with_prune());
    (desired, live, plan)
}

#[test]
fn human_plan() {
    let (_, _, plan) = realistic();
    insta::assert_snapshot!(render::human(&plan, Style::plain()));
}

#[test]
fn compact_plan() {
    let (_, _, plan) = realistic();
    insta::assert_snapshot!(render::compact(&plan, Style::plain()));
}

#[test]
fn human_plan_in_colour_only_when_asked() {
    let (_, _, plan) = realistic();
    let plain = render::human(&plan, Style::plain());
    let coloured = render::human(&plan, Style::coloured());
    assert!(!plain.contains('\x1b'));
    assert!(coloured.contains("\x1b[32m") && coloured.contains("\x1b[31m"));
    let stripped = coloured
        .split('\x1b')
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part
            } else {
                part.split_once('m').map_or(part, |(_, rest)| rest)
            }
        })
        .collect::<String>();
    assert_eq!(stripped, plain);
}

#[test]
fn json_plan() {
    let (_, _, plan) = realistic();
    insta::assert_json_snapshot!(render::json(&plan));
}

#[test]
fn markdown_plan() {
    let (_, _, plan) = realistic();
    insta::assert_snapshot!(render::markdown(&plan));
}

#[test]
fn human_no_changes() {
    let lab = seed_lab_without_secrets();
    let live = applied(&lab);
    let plan = plan(&lab, &live, &PlanOptions::apply());
    insta::assert_snapshot!(render::human(&plan, Style::plain()));
}

#[test]
fn human_first_apply() {
    let plan = plan(&seed_lab(), &LiveState::empty(), &PlanOptions::apply());
    insta::assert_snapshot!(render::human(&plan, Style::plain()));
}

#[test]
fn human_and_markdown_destroy() {
    let lab = seed_lab_without_secrets();
    let mut live = applied(&lab);
    live.other_resources_in_group = Some(vec![
        "Microsoft.Storage/storageAccounts/adflabstorage".into(),
    ]);
    let plan = plan(&lab, &live, &PlanOptions::destroy());
    insta::assert_snapshot!("destroy_human", render::human(&plan, Style::plain()));
    insta::assert_snapshot!("destroy_markdown", render::markdown(&plan));
}

#[test]
fn json_format_is_versioned_with_the_promised_fields() {
    let (_, _, plan) = realistic();
    let json = render::json(&plan);
    assert_eq!(json["format_version"], "1");
    for field in ["create", "update", "replace", "delete", "noop"] {
        assert!(json["summary"][field].is_u64(), "summary.{field}");
    }
    for change in json["changes"].as_array().expect("changes") {
        assert!(change["address"].is_string() && change["action"].is_string());
        assert!(change.get("before").is_some() && change.get("after").is_some());
        if change["action"] == "no-op" {
            assert!(
                change["before"].is_null() && change["after"].is_null(),
                "{change:#}"
            );
        }
    }
    // Terraform's shapes, where tools look for them.
    let terraform = json["resource_changes"]
        .as_array()
        .expect("resource_changes");
    assert_eq!(
        terraform.len(),
        json["changes"].as_array().map_or(0, Vec::len)
    );
    let storage = terraform
        .iter()
        .find(|c| c["name"] == "AzureStorageLinkedService")
        .expect("the linked service");
    assert_eq!(storage["change"]["actions"], json!(["update"]));
    assert_eq!(
        storage["change"]["after_sensitive"]["properties"]["typeProperties"]["connectionString"]["value"],
        true
    );
    assert!(terraform.iter().all(|c| {
        c["change"]["actions"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    }));
}

#[test]
fn control_characters_in_names_never_reach_the_terminal() {
    let mut live = LiveState::empty();
    live.resources.push(LiveResource::new(
        ResourceAddress::new(Kind::Pipeline, "evil\u{1b}[2Jname"),
        json!({"etag": "e", "properties": {"description": "x\u{1b}[31m"}}),
    ));
    let desired = state(vec![]);
    let plan = plan(&desired, &live, &PlanOptions::apply_with_prune());
    let text = render::human(&plan, Style::plain());
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains("evil\\u{1b}[2Jname"), "{text}");
    let markdown = render::markdown(&plan);
    assert!(!markdown.contains('\u{1b}'), "{markdown}");
}

/// A pipeline edited the ways reviewers meet: a nested activity's setting, an activity
/// renamed, one moved, one added, one removed, and a multi-line script.
#[test]
fn human_plan_of_a_pipeline_names_activities_and_their_paths() {
    let activity = |name: &str, depends: &[&str]| {
        json!({"name": name, "type": "Wait",
               "dependsOn": depends.iter().map(|d| json!({"activity": d, "dependencyConditions": ["Succeeded"]})).collect::<Vec<_>>(),
               "typeProperties": {"waitTimeInSeconds": 1}})
    };
    let for_each = |batch: u32, script: &str| {
        json!({"name": "ForEachTable", "type": "ForEach", "typeProperties": {
            "batchCount": batch, "items": {"value": "@pipeline().parameters.tables", "type": "Expression"},
            "activities": [{"name": "LoadTable", "type": "Script", "typeProperties": {"scripts": [{"type": "Query", "text": script}]}}]}})
    };
    let live_body = json!({"properties": {"activities": [
        activity("Start", &[]), for_each(4, "SELECT 1\nFROM a\nWHERE x = 1"),
        activity("Cleanup", &[]), activity("Notify", &[]), activity("Obsolete", &[])]}});
    let desired_body = json!({"properties": {"activities": [
        activity("Begin", &[]), activity("Notify", &[]), for_each(8, "SELECT 1\nFROM a\nWHERE x = 2"),
        activity("Cleanup", &[]), activity("Audit", &["Cleanup"])]}});
    let desired = state(vec![
        group("eastus"),
        factory("eastus"),
        resource(Kind::Pipeline, "nightly", desired_body),
    ]);
    let mut live = applied(&state(vec![group("eastus"), factory("eastus")]));
    live.resources.push(LiveResource::new(
        ResourceAddress::new(Kind::Pipeline, "nightly"),
        live_body,
    ));
    let plan = plan(&desired, &live, &PlanOptions::apply());
    let text = render::human(&plan, Style::plain());
    insta::assert_snapshot!(text);
    // The pull-request view adds a graph of the activities, the changed ones marked.
    let markdown = render::markdown(&plan);
    insta::assert_snapshot!("markdown_pipeline_graph", markdown);
    let json = render::json(&plan);
    let paths = &json["changes"]
        .as_array()
        .and_then(|changes| changes.iter().find(|c| c["name"] == "nightly"))
        .expect("the pipeline's change")["changed_paths"];
    assert!(
        paths.as_array().is_some_and(
            |p| p.contains(&json!("activities[ForEachTable].typeProperties.batchCount"))
        ),
        "{paths:#}"
    );
}

/// A one-property change to 1,000 pipelines fits a GitHub comment, and says what it left out.
#[test]
fn a_markdown_plan_of_a_thousand_changes_fits_a_comment() {
    let pipeline = |name: &str, wait: u32| {
        resource(
            Kind::Pipeline,
            name,
            json!({"properties": {"activities": [{"name": "wait", "type": "Wait",
                "typeProperties": {"waitTimeInSeconds": wait}}]}}),
        )
    };
    let names: Vec<String> = (0..1_000).map(|i| format!("pipeline_{i:04}")).collect();
    let mut before = vec![group("eastus"), factory("eastus")];
    before.extend(names.iter().map(|n| pipeline(n, 1)));
    let live = applied(&state(before));
    let mut after = vec![group("eastus"), factory("eastus")];
    after.extend(names.iter().map(|n| pipeline(n, 2)));
    let plan = plan(&state(after), &live, &PlanOptions::apply());
    assert_eq!(plan.summary().update, 1_000);
    let text = render::markdown(&plan);
    assert!(
        text.chars().count() <= render::GITHUB_COMMENT_LIMIT,
        "{} characters",
        text.chars().count()
    );
    assert!(
        text.contains("**Cut to fit a comment:**"),
        "{}",
        &text[text.len() - 600..]
    );
    assert!(
        text.contains("| 0 | 1000 | 0 | 0 | 2 |"),
        "the counts are whole"
    );
    // Small plans are not cut.
    let (_, _, small) = realistic();
    assert!(!render::markdown(&small).contains("Cut to fit"));
}
