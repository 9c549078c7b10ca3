//! No secret value in any output: plant known secrets in desired (and live) bodies and scan
//! every rendering, the saved plan, Debug output and error messages.

mod common;

use adf_core::{DesiredState, Kind, SecretSlot};
use adf_plan::render::{self, Style};
use adf_plan::saved::SavedPlan;
use adf_plan::{LiveState, Plan, PlanOptions, plan};
use common::*;
use serde_json::json;

const LITERAL_SECRET: &str = "literal-PLANTED-0005";
const ROTATED: &str = "rotated-PLANTED-0006";

/// The seed lab plus a SQL linked service whose password is a plain string field marked
/// secret (as `secretFromEnv` on a non-SecureString field), and a literal SecureString.
fn planted() -> DesiredState {
    let mut lab = seed_lab();
    let mut sql = child(
        Kind::LinkedService,
        "sql",
        json!({"type": "AzureSqlDatabase", "typeProperties": {
            "connectionString": "Server=tcp:x.database.windows.net;Database=db;User ID=adf",
            "password": SQL_SECRET,
            "servicePrincipalKey": {"type": "SecureString", "value": LITERAL_SECRET}
        }}),
    );
    sql.secrets = vec![SecretSlot {
        pointer: "/properties/typeProperties/password".into(),
        from_env: Some("SQL_PASSWORD".into()),
    }];
    lab.resources.push(sql);
    lab
}

fn outputs(plan: &Plan, desired: &DesiredState) -> Vec<(String, String)> {
    let saved = SavedPlan::new(plan, desired, &PlanOptions::apply(), SALT);
    let text = saved.to_file_string();
    let read = SavedPlan::from_file_str(&text).expect("reads");
    let mut outputs = vec![
        ("human".to_string(), render::human(plan, Style::plain())),
        (
            "human colour".to_string(),
            render::human(plan, Style::coloured()),
        ),
        ("json".to_string(), render::json(plan).to_string()),
        ("markdown".to_string(), render::markdown(plan)),
        ("saved".to_string(), text),
        (
            "plan debug".to_string(),
            format!("{plan:?} {:?}", plan.changes),
        ),
        ("saved debug".to_string(), format!("{read:?}")),
        ("desired debug".to_string(), format!("{desired:?}")),
    ];
    if let Err(error) = read.desired_state(|_| Some("wrong".into())) {
        outputs.push(("saved error".to_string(), error.to_string()));
    }
    outputs
}

fn scan(label: &str, plan: &Plan, desired: &DesiredState) {
    for (what, text) in outputs(plan, desired) {
        for secret in [
            STORAGE_SECRET,
            SQL_SECRET,
            LITERAL_SECRET,
            ROTATED,
            "PLANTED",
        ] {
            assert!(
                !text.contains(secret),
                "{label}: {what} shows a secret ({secret}):\n{text}"
            );
        }
    }
}

#[test]
fn no_output_shows_a_secret() {
    let desired = planted();
    // First apply: everything created.
    let first = plan(&desired, &LiveState::empty(), &PlanOptions::apply());
    scan("create", &first, &desired);
    assert!(render::human(&first, Style::plain()).contains("(sensitive value)"));

    // Applied; then the server returns the plain-string secret in clear (it does not know it
    // is one) and the storage secret is rotated.
    let mut live = applied(&desired);
    edit_live(
        &mut live,
        "linkedService/sql",
        "/properties/typeProperties/password",
        json!(SQL_SECRET),
    );
    let mut rotated = desired.clone();
    rotated.resources[2].body["properties"]["typeProperties"]["connectionString"]["value"] =
        json!(ROTATED);
    let update = plan(&rotated, &live, &PlanOptions::apply());
    assert!(update.has_changes());
    scan("update", &update, &rotated);

    // The clear value differs from the desired one: a secret change, still not shown.
    let mut sql_changed = rotated.clone();
    sql_changed.resources[7].body["properties"]["typeProperties"]["password"] =
        json!("other-PLANTED-0007");
    let changed = plan(&sql_changed, &live, &PlanOptions::apply());
    let sql = changed
        .changes
        .iter()
        .find(|c| c.address.name == "sql")
        .expect("sql");
    assert_eq!(
        sql.changed_secrets,
        vec!["/properties/typeProperties/password".to_string()]
    );
    scan("clear secret changed", &changed, &sql_changed);

    // Destroy shows live bodies only (masked by ARM, redacted again).
    let destroy = plan(&desired, &live, &PlanOptions::destroy());
    scan("destroy", &destroy, &desired);

    // A replace shows before and after.
    let mut moved = desired.clone();
    moved.resources[1].body["location"] = json!("westus");
    let replace = plan(&moved, &live, &PlanOptions::apply());
    assert!(replace.has_replacements());
    scan("replace", &replace, &moved);
}
