//! The planner against real recorded traffic: for every entity a recording PUTs and reads
//! back (`../shared/arm-recordings`, the Python SDK's cassettes of real ARM, 2017), the plan of
//! the PUT body against what ARM returned is a no-op, or, where ARM masks a secret that no
//! adfctl fingerprint covers yet, an update that says the secrets cannot be compared. Skips,
//! saying so, when ../shared is absent. (The PowerShell and CLI recordings' cases are in
//! `real_arm.rs`.)

mod common;

use adf_core::{Kind, ResourceAddress};
use adf_plan::{Action, LiveResource, LiveState, PlanOptions};
use adf_testkit::cassette;
use common::{child, state};
use serde_json::Value;

/// `.../factories/F/{segment}/{name}?…` → (kind, name) for a factory child.
fn child_of(uri: &str) -> Option<(Kind, String)> {
    let path = uri.split('?').next()?;
    let mut segments = path.rsplit('/');
    let name = segments.next()?;
    let kind = Kind::from_arm_segment(segments.next()?)?;
    (segments.next()? != "factories").then_some(())?;
    Some((kind, name.to_owned()))
}

#[test]
fn every_recorded_put_plans_clean_against_what_arm_returned() {
    let Some(files) = cassette::files(module_path!()) else {
        return;
    };
    let (mut planned, mut clean, mut not_comparable) = (0, 0, 0);
    for file in &files {
        let cassette = cassette::read(file);
        let interactions = &cassette.interactions;
        for (index, put) in interactions.iter().enumerate() {
            let Some((kind, name)) = child_of(&put.request.uri) else {
                continue;
            };
            if put.request.method != "PUT" || put.response.status.code != 200 {
                continue;
            }
            let sent: Value =
                serde_json::from_str(put.request.body.as_deref().expect("PUT body")).expect("json");
            // What ARM returned last for it before it was written again: a GET, else the
            // PUT's own answer.
            let later = &interactions[index + 1..];
            let until = later
                .iter()
                .position(|i| i.request.uri == put.request.uri && i.request.method == "PUT")
                .unwrap_or(later.len());
            let returned = later[..until]
                .iter()
                .rev()
                .find(|i| {
                    i.request.uri == put.request.uri
                        && i.request.method == "GET"
                        && i.response.status.code == 200
                })
                .unwrap_or(put)
                .response
                .body
                .string
                .as_str();
            let live_body: Value = serde_json::from_str(returned).expect("json");
            let desired = state(vec![child(kind, &name, sent["properties"].clone())]);
            let mut live = LiveState::empty();
            live.resources.push(LiveResource::new(
                ResourceAddress::new(kind, &name),
                live_body,
            ));
            let plan = adf_plan::plan(&desired, &live, &PlanOptions::apply());
            let change = plan
                .get(&ResourceAddress::new(kind, &name))
                .expect("planned");
            planned += 1;
            match change.action {
                Action::NoOp => clean += 1,
                Action::Update
                    if change
                        .reason
                        .as_deref()
                        .is_some_and(|r| r.contains("secrets cannot be compared"))
                        && change.before.as_deref().map(strip_secrets)
                            == change.after.as_deref().map(strip_secrets) =>
                {
                    not_comparable += 1;
                }
                _ => panic!(
                    "{} {kind}/{name}: {:?} ({:?})\nbefore: {:#}\nafter: {:#}",
                    file.display(),
                    change.action,
                    change.reason,
                    change.before.clone().unwrap_or_default(),
                    change.after.clone().unwrap_or_default()
                ),
            }
        }
    }
    adf_testkit::report(&format!(
        "recordings (planner): {planned} recorded PUTs planned: {clean} no-op, {not_comparable} masked secrets without a fingerprint"
    ));
    assert!(planned >= 10, "only {planned} PUTs found in the recordings");
    assert!(clean > 0);
}

/// The body with every redacted value equal (secrets compared apart).
fn strip_secrets(body: &Value) -> Value {
    adf_core::secret::redact(body, &[])
}
