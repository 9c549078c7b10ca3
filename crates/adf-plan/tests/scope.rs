//! `--include` / `--exclude`: a part of the spec, its dependencies, and what is left alone; and
//! override records shown with the changes they explain.
#![allow(clippy::unwrap_used)]

mod common;

use adf_core::{AppliedOverride, EntityPattern, Kind, OverrideOp, ResourceAddress};
use adf_plan::render::{Style, human, json};
use adf_plan::{LiveResource, PlanMode, PlanOptions, Scope};
use common::*;
use serde_json::json;

fn scope(include: &[&str], exclude: &[&str]) -> Scope {
    let parse = |list: &[&str]| {
        list.iter()
            .map(|p| EntityPattern::parse(p).unwrap())
            .collect()
    };
    Scope {
        include: parse(include),
        exclude: parse(exclude),
    }
}

fn addresses(list: &[ResourceAddress]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

#[test]
fn an_include_pulls_in_what_it_references_and_leaves_the_rest() {
    let desired = seed_lab_without_secrets();
    let options = PlanOptions {
        scope: scope(&["pipeline/copy*"], &[]),
        ..PlanOptions::apply()
    };
    let plan = adf_plan::plan(&desired, &adf_plan::LiveState::empty(), &options);
    assert_eq!(
        outline(&plan),
        "+ resourceGroup/adf-lab-rg\n+ factory/adf-lab-factory\n+ linkedService/AzureStorageLinkedService\n+ dataset/InputDataset\n+ dataset/OutputDataset\n+ pipeline/copyPipeline"
    );
    let report = plan.scope.as_ref().unwrap();
    assert_eq!(
        addresses(&report.dependencies),
        [
            "linkedService/AzureStorageLinkedService",
            "dataset/InputDataset",
            "dataset/OutputDataset"
        ]
    );
    assert_eq!(addresses(&report.out_of_scope), ["trigger/dailyTrigger"]);
    // The steps apply: every reference exists when written.
    let live = apply_in_memory(&plan, &desired, &adf_plan::LiveState::empty());
    assert!(
        live.get(&ResourceAddress::new(Kind::Trigger, "dailyTrigger"))
            .is_none()
    );

    // A live entity the selection does not match is neither pruned nor unmanaged.
    let mut live = applied(&desired);
    live.resources.push(LiveResource::new(
        ResourceAddress::new(Kind::Pipeline, "madeInStudio"),
        json!({"properties": {"activities": []}}),
    ));
    let plan = adf_plan::plan(
        &desired,
        &live,
        &PlanOptions {
            scope: scope(&["pipeline/copy*"], &[]),
            ..PlanOptions::apply_with_prune()
        },
    );
    assert_eq!(outline(&plan), "");
    assert!(plan.unmanaged.is_empty());
    let report = plan.scope.as_ref().unwrap();
    assert_eq!(
        addresses(&report.out_of_scope),
        ["pipeline/madeInStudio", "trigger/dailyTrigger"]
    );
    // Matched by the include, the same live pipeline is pruned.
    let plan = adf_plan::plan(
        &desired,
        &live,
        &PlanOptions {
            scope: scope(&["pipeline/*"], &[]),
            ..PlanOptions::apply_with_prune()
        },
    );
    assert_eq!(outline(&plan), "- pipeline/madeInStudio");
}

#[test]
fn an_excluded_dependency_is_not_planned_and_a_scoped_destroy_deletes_only_the_named() {
    let desired = seed_lab_without_secrets();
    let options = PlanOptions {
        scope: scope(&["pipeline/copyPipeline"], &["dataset/Output*"]),
        ..PlanOptions::apply()
    };
    let plan = adf_plan::plan(&desired, &adf_plan::LiveState::empty(), &options);
    let report = plan.scope.as_ref().unwrap();
    assert_eq!(
        addresses(&report.excluded_dependencies),
        ["dataset/OutputDataset"]
    );
    assert!(
        plan.get(&ResourceAddress::new(Kind::Dataset, "OutputDataset"))
            .is_none()
    );

    let live = applied(&desired);
    let destroy = adf_plan::plan(
        &desired,
        &live,
        &PlanOptions {
            mode: PlanMode::Destroy,
            scope: scope(&["pipeline/copyPipeline", "trigger/*"], &[]),
            ..PlanOptions::destroy()
        },
    );
    assert_eq!(
        outline(&destroy),
        "- trigger/dailyTrigger\n- pipeline/copyPipeline"
    );
    let text = human(&destroy, Style::plain());
    assert!(!text.contains("pulled in"), "{text}");
    assert!(
        text.contains("Scope: 3 resources out of scope (--include/--exclude), left alone: "),
        "{text}"
    );
}

#[test]
fn overrides_show_with_their_change_and_in_the_json_plan() {
    let desired = seed_lab_without_secrets();
    let applied_override = AppliedOverride {
        address: ResourceAddress::new(Kind::Pipeline, "copyPipeline"),
        op: OverrideOp::Set,
        path: "activities[copyBlobtoBlob].policy.timeout".into(),
        origin: "overlay/prod.yaml:12:7".into(),
    };
    let options = PlanOptions {
        overrides: vec![applied_override.clone()],
        ..PlanOptions::apply()
    };
    let plan = adf_plan::plan(&desired, &adf_plan::LiveState::empty(), &options);
    let text = human(&plan, Style::plain());
    assert!(
        text.contains("+ pipeline/copyPipeline (create)\n      # override: set activities[copyBlobtoBlob].policy.timeout (overlay/prod.yaml:12:7)\n"),
        "{text}"
    );
    let document = json(&plan);
    let change = document["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "pipeline/copyPipeline")
        .unwrap();
    assert_eq!(
        change["overrides"],
        json!([{"address": "pipeline/copyPipeline", "op": "set",
                "path": "activities[copyBlobtoBlob].policy.timeout", "origin": "overlay/prod.yaml:12:7"}])
    );
    // On a resource the plan leaves unchanged, the override is listed apart.
    let live = applied(&desired);
    let plan = adf_plan::plan(&desired, &live, &options);
    let text = human(&plan, Style::plain());
    assert!(
        text.contains("Overrides on unchanged resources (1):\n    pipeline/copyPipeline: set activities[copyBlobtoBlob].policy.timeout (overlay/prod.yaml:12:7)\n"),
        "{text}"
    );
}

/// Review findings: what a scope must never delete or replace.
#[test]
fn a_scope_never_deletes_what_it_does_not_select() {
    let mut desired = seed_lab_without_secrets();
    // The spec moved copyPipeline from folder Staging (live) to Prod.
    let mut live = applied(&desired);
    let live_pipeline = live
        .resources
        .iter_mut()
        .find(|r| r.address.name == "copyPipeline")
        .unwrap();
    live_pipeline.body["properties"]["folder"] = json!({"name": "Staging"});
    let pipeline = desired
        .resources
        .iter_mut()
        .find(|r| r.address.name == "copyPipeline")
        .unwrap();
    pipeline.body["properties"]["folder"] = json!({"name": "Prod"});
    let staging = |mode: PlanOptions| PlanOptions {
        scope: scope(&["*.*@Staging"], &[]),
        ..mode
    };
    // Selected by its live folder only: neither pruned nor unmanaged.
    let plan = adf_plan::plan(&desired, &live, &staging(PlanOptions::apply_with_prune()));
    assert_eq!(outline(&plan), "");
    assert!(plan.unmanaged.is_empty(), "{:?}", plan.unmanaged);

    // A scoped destroy deletes only what the spec defines, never a live-only entity.
    live.resources.push(LiveResource::new(
        ResourceAddress::new(Kind::Pipeline, "madeInStudio"),
        json!({"properties": {"activities": []}}),
    ));
    let destroy = adf_plan::plan(
        &desired,
        &live,
        &PlanOptions {
            scope: scope(&["pipeline/*"], &[]),
            ..PlanOptions::destroy()
        },
    );
    assert_eq!(outline(&destroy), "- pipeline/copyPipeline");
    // The trigger that stays references it: refused before any change.
    let unmet = adf_plan::unmet_scope(&destroy, &live);
    assert_eq!(unmet.len(), 1, "{unmet:?}");
    assert!(
        unmet[0].message.starts_with(
            "pipeline/copyPipeline cannot be deleted: trigger/dailyTrigger still references it"
        ),
        "{}",
        unmet[0].message
    );
    // An exclude in a destroy asks nothing to exist.
    let destroy = adf_plan::plan(
        &desired,
        &live,
        &PlanOptions {
            scope: scope(&["trigger/*", "pipeline/*"], &["dataset/*"]),
            ..PlanOptions::destroy()
        },
    );
    assert!(
        adf_plan::unmet_scope(&destroy, &adf_plan::LiveState::empty())
            .iter()
            .all(|u| !u.message.contains("--exclude"))
    );
}

#[test]
fn a_scoped_plan_never_replaces_the_factory() {
    let desired = seed_lab_without_secrets();
    let mut live = applied(&desired);
    edit_live(
        &mut live,
        "factory/adf-lab-factory",
        "/location",
        json!("westus"),
    );
    let plan = adf_plan::plan(
        &desired,
        &live,
        &PlanOptions {
            scope: scope(&["pipeline/*"], &[]),
            ..PlanOptions::apply()
        },
    );
    let unmet = adf_plan::unmet_scope(&plan, &live);
    assert!(
        unmet.iter().any(|u| u
            .message
            .starts_with("factory/adf-lab-factory would be replaced")),
        "{unmet:?}"
    );
}
