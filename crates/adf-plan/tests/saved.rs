//! Saved plans: round trip, and refusal of stale, mismatched, damaged and edited files.

mod common;

use adf_core::{Kind, ResourceAddress, SecretSlot};
use adf_plan::saved::{SavedPlan, SavedPlanError};
use adf_plan::{LiveState, PlanOptions, plan};
use common::*;
use serde_json::{Value, json};
use sha2::Digest;

fn env_with(value: &str) -> impl Fn(&str) -> Option<String> + '_ {
    move |name| (name == "STORAGE_CONNECTION_STRING").then(|| value.to_owned())
}

fn saved_first_apply() -> (adf_core::DesiredState, SavedPlan, String) {
    let desired = seed_lab();
    let plan = plan(&desired, &LiveState::empty(), &PlanOptions::apply());
    let saved = SavedPlan::new(&plan, &desired, &PlanOptions::apply(), SALT);
    let text = saved.to_file_string();
    (desired, saved, text)
}

/// Re-computes the checksum after an edit, as a careful forger would.
fn rechecksum(document: &mut Value) {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&map[k])))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    let map = document.as_object_mut().expect("object");
    map.remove("checksum");
    let digest = sha2::Sha256::digest(sorted(&Value::Object(map.clone())).to_string().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    map.insert("checksum".into(), json!(format!("sha256:{hex}")));
}

#[test]
fn round_trip_keeps_everything_and_no_secret() {
    let (desired, saved, text) = saved_first_apply();
    assert!(
        !text.contains(STORAGE_SECRET) && !text.contains("PLANTED"),
        "{text}"
    );
    assert!(
        text.contains("STORAGE_CONNECTION_STRING"),
        "the slot names its variable"
    );
    let read = SavedPlan::from_file_str(&text).expect("reads back");
    assert_eq!(read, saved);
    assert_eq!(
        adf_plan::saved::from_str(&adf_plan::saved::to_string(&saved)),
        Ok(saved.clone())
    );
    assert_eq!(text.parse::<SavedPlan>(), Ok(saved.clone()));
    assert!(read.matches_desired(&desired));
    assert_eq!(read.options(), PlanOptions::apply());
    // The desired state comes back with the secret read again from the environment.
    let restored = read
        .desired_state(env_with(STORAGE_SECRET))
        .expect("restores");
    assert_eq!(restored, desired);
}

#[test]
fn damaged_or_foreign_files_are_refused_with_clear_errors() {
    let (_, _, text) = saved_first_apply();
    let truncated = &text[..text.len() / 2];
    assert_eq!(
        SavedPlan::from_file_str(truncated),
        Err(SavedPlanError::Truncated)
    );
    assert!(matches!(
        SavedPlan::from_file_str("not json"),
        Err(SavedPlanError::NotAPlan(_))
    ));
    assert!(matches!(
        SavedPlan::from_file_str("[]"),
        Err(SavedPlanError::NotAPlan(_))
    ));
    assert!(matches!(
        SavedPlan::from_file_str(r#"{"format_version": "1"}"#),
        Err(SavedPlanError::NotAPlan(_))
    ));

    let document: Value = serde_json::from_str(&text).expect("json");
    let mut newer = document.clone();
    newer["format_version"] = json!("2");
    assert_eq!(
        SavedPlan::from_file_str(&newer.to_string()),
        Err(SavedPlanError::UnsupportedVersion { found: "2".into() })
    );
    let error = SavedPlan::from_file_str(&newer.to_string())
        .expect_err("refused")
        .to_string();
    assert!(error.contains("make a new plan"), "{error}");

    // An edit without a new checksum.
    let mut edited = document.clone();
    edited["changes"][0]["action"] = json!("no-op");
    assert_eq!(
        SavedPlan::from_file_str(&edited.to_string()),
        Err(SavedPlanError::Tampered)
    );
    // Key order and whitespace do not matter.
    let compact = document.to_string();
    assert!(SavedPlan::from_file_str(&compact).is_ok());

    // An edit of the desired bodies with a recomputed checksum: the desired fingerprint no
    // longer matches.
    let mut forged = document.clone();
    forged["desired"][3]["body"]["properties"]["typeProperties"]["location"]["folderPath"] =
        json!("elsewhere");
    rechecksum(&mut forged);
    assert_eq!(
        SavedPlan::from_file_str(&forged.to_string()),
        Err(SavedPlanError::Tampered)
    );

    // Unknown fields and invalid values are refused.
    let mut unknown = document.clone();
    unknown["changes"][0]["extra"] = json!(true);
    rechecksum(&mut unknown);
    assert!(matches!(
        SavedPlan::from_file_str(&unknown.to_string()),
        Err(SavedPlanError::NotAPlan(_))
    ));
    let mut bad_action = document.clone();
    bad_action["changes"][0]["action"] = json!("explode");
    rechecksum(&mut bad_action);
    assert!(matches!(
        SavedPlan::from_file_str(&bad_action.to_string()),
        Err(SavedPlanError::NotAPlan(_))
    ));
    let mut bad_address = document;
    bad_address["changes"][0]["address"] = json!("nonsense");
    rechecksum(&mut bad_address);
    assert!(matches!(
        SavedPlan::from_file_str(&bad_address.to_string()),
        Err(SavedPlanError::NotAPlan(_))
    ));
}

#[test]
fn another_target_is_refused() {
    let (_, saved, _) = saved_first_apply();
    assert!(saved.check_target(&target()).is_ok());
    let mut upper = target();
    upper.factory = upper.factory.to_uppercase();
    assert!(
        saved.check_target(&upper).is_ok(),
        "names compare case-insensitively"
    );
    let mut other = target();
    other.factory = "prod-factory".into();
    let error = saved.check_target(&other).expect_err("refused");
    assert!(matches!(error, SavedPlanError::TargetMismatch { .. }));
    assert!(error.to_string().contains("prod-factory"));
}

#[test]
fn a_plan_goes_stale_when_live_state_changes() {
    let desired = seed_lab_without_secrets();
    let live = applied(&desired);
    let mut changed = desired.clone();
    changed.resources[5].body["properties"]["description"] = json!("new");
    let plan = plan(&changed, &live, &PlanOptions::apply());
    let saved = SavedPlan::new(&plan, &changed, &PlanOptions::apply(), SALT);
    assert_eq!(saved.check_live(&live), Ok(()));

    // A PUT behind our back changes an etag (even on a resource the plan leaves alone).
    let mut edited = live.clone();
    let dataset = edited
        .resources
        .iter_mut()
        .find(|r| r.address == ResourceAddress::new(Kind::Dataset, "InputDataset"))
        .expect("dataset");
    dataset.body["etag"] = json!("changed-etag");
    let Err(SavedPlanError::Stale { changed: what }) = saved.check_live(&edited) else {
        panic!("not stale");
    };
    assert_eq!(what, vec!["dataset/InputDataset: etag changed".to_string()]);

    // Something deleted, something created, a trigger stopped.
    let mut other = live.clone();
    other
        .resources
        .retain(|r| r.address.kind != Kind::Dataset || r.address.name != "OutputDataset");
    other.resources.push(adf_plan::LiveResource::new(
        ResourceAddress::new(Kind::Pipeline, "surprise"),
        json!({"etag": "s", "properties": {}}),
    ));
    edit_live(
        &mut other,
        "trigger/dailyTrigger",
        "/properties/runtimeState",
        json!("Stopped"),
    );
    let Err(SavedPlanError::Stale { changed: what }) = saved.check_live(&other) else {
        panic!("not stale");
    };
    assert_eq!(
        what,
        vec![
            "dataset/OutputDataset: deleted".to_string(),
            "trigger/dailyTrigger: runtime state changed".to_string(),
            "pipeline/surprise: created".to_string(),
        ]
    );
}

#[test]
fn secrets_are_read_again_and_must_match_the_planned_ones() {
    let (_, saved, _) = saved_first_apply();
    assert_eq!(
        saved.desired_state(|_| None),
        Err(SavedPlanError::MissingSecret {
            address: "linkedService/AzureStorageLinkedService".into(),
            pointer: "/properties/typeProperties/connectionString/value".into(),
            variable: "STORAGE_CONNECTION_STRING".into(),
        })
    );
    let changed = saved
        .desired_state(env_with("another value"))
        .expect_err("refused");
    assert_eq!(
        changed,
        SavedPlanError::SecretsChanged {
            variables: vec!["STORAGE_CONNECTION_STRING".into()]
        }
    );
    assert!(!changed.to_string().contains("another value"));
    assert!(
        changed.to_string().contains("STORAGE_CONNECTION_STRING"),
        "{changed}"
    );

    // A literal SecureString (no variable) cannot be carried by a saved plan.
    let mut literal = seed_lab();
    literal.resources[2].secrets = vec![SecretSlot {
        pointer: "/properties/typeProperties/connectionString/value".into(),
        from_env: None,
    }];
    let plan = plan(&literal, &LiveState::empty(), &PlanOptions::apply());
    let saved = SavedPlan::new(&plan, &literal, &PlanOptions::apply(), SALT);
    let read = SavedPlan::from_file_str(&saved.to_file_string()).expect("reads");
    assert!(matches!(
        read.desired_state(|_| None),
        Err(SavedPlanError::SecretNotReproducible { .. })
    ));

    // Nor a key inside a plain connection string: the file holds it redacted, and applying
    // it would send the placeholder as the key.
    let mut inline = seed_lab_without_secrets();
    inline.resources[2].body["properties"]["typeProperties"] = serde_json::json!({
        "connectionString": "AccountName=a;AccountKey=PLANTED-INLINE-KEY;"});
    let planned = adf_plan::plan(&inline, &LiveState::empty(), &PlanOptions::apply());
    let saved = SavedPlan::new(&planned, &inline, &PlanOptions::apply(), SALT);
    let text = saved.to_file_string();
    assert!(!text.contains("PLANTED-INLINE-KEY"), "{text}");
    let read = SavedPlan::from_file_str(&text).expect("reads");
    assert_eq!(
        read.desired_state(|_| None),
        Err(SavedPlanError::SecretNotReproducible {
            address: "linkedService/AzureStorageLinkedService".into(),
            pointer: "/properties/typeProperties/connectionString#AccountKey".into(),
        })
    );
}

#[test]
fn a_saved_plan_carries_externals_an_unmanaged_factory_and_kept_trigger_states() {
    let full = seed_lab_without_secrets();
    let mut live = applied(&full);
    live.resources.push(adf_plan::LiveResource::new(
        ResourceAddress::new(Kind::LinkedService, "shared_kv"),
        json!({"etag": "kv", "properties": {"type": "AzureKeyVault"}}),
    ));
    let mut desired = full.clone();
    desired
        .resources
        .retain(|r| r.address.kind.is_factory_child());
    desired.resource_group_managed = false;
    desired.factory_managed = false;
    desired.external = vec![ResourceAddress::new(Kind::LinkedService, "shared_kv")];
    desired.resources[4].runtime_state = Some(adf_core::RuntimeStatePolicy::Keep);
    desired.resources[4].body["properties"]["description"] = json!("hourly soon");
    let plan = plan(&desired, &live, &PlanOptions::apply());
    let saved = SavedPlan::new(&plan, &desired, &PlanOptions::apply(), SALT);
    let text = saved.to_file_string();
    assert!(text.contains("\"factory_managed\": false"), "{text}");
    assert!(text.contains("\"runtime_state_kept\": true"), "{text}");
    let read = SavedPlan::from_file_str(&text).expect("reads back");
    assert_eq!(read, saved);
    assert_eq!(
        read.plan.external,
        [ResourceAddress::new(Kind::LinkedService, "shared_kv")]
    );
    assert_eq!(read.desired_state(|_| None).expect("no secrets"), desired);
    assert!(read.matches_desired(&desired));
    // The factory it does not manage is no surprise; an external that went away is.
    assert_eq!(read.check_live(&live), Ok(()));
    let mut gone = live.clone();
    gone.resources.retain(|r| r.address.name != "shared_kv");
    let Err(SavedPlanError::Stale { changed }) = read.check_live(&gone) else {
        panic!("not stale");
    };
    assert_eq!(changed, ["linkedService/shared_kv: deleted (external)"]);
    // Plans that use none of this read as before, without the new fields.
    let (_, _, plain) = saved_first_apply();
    for field in ["factory_managed", "external", "runtime_state_kept"] {
        assert!(!plain.contains(field), "{field}");
    }
}

/// The seed lab with a second secret, from another variable, and the first variable used
/// twice (two slots), so that a refusal has to tell the variables apart.
fn two_variables() -> adf_core::DesiredState {
    let mut desired = seed_lab();
    let mut sql = storage_linked_service("sql", SQL_SECRET, "SQL_PASSWORD");
    sql.body["properties"]["typeProperties"]["sasUri"] =
        json!({"type": "SecureString", "value": STORAGE_SECRET});
    sql.secrets.push(SecretSlot {
        pointer: "/properties/typeProperties/sasUri/value".into(),
        from_env: Some("STORAGE_CONNECTION_STRING".into()),
    });
    desired.resources.push(sql);
    desired
}

#[test]
fn a_changed_secret_names_its_variable_and_never_its_value() {
    let desired = two_variables();
    let plan = plan(&desired, &LiveState::empty(), &PlanOptions::apply());
    let saved = SavedPlan::new(&plan, &desired, &PlanOptions::apply(), SALT);
    let text = saved.to_file_string();
    for secret in [STORAGE_SECRET, SQL_SECRET, "PLANTED"] {
        assert!(!text.contains(secret), "{text}");
    }
    let read = SavedPlan::from_file_str(&text).expect("reads back");
    assert_eq!(
        read.variable_fingerprints.keys().collect::<Vec<_>>(),
        ["SQL_PASSWORD", "STORAGE_CONNECTION_STRING"]
    );
    let env = |storage: &'static str, sql: &'static str| {
        move |name: &str| match name {
            "STORAGE_CONNECTION_STRING" => Some(storage.to_owned()),
            "SQL_PASSWORD" => Some(sql.to_owned()),
            _ => None,
        }
    };
    assert_eq!(
        read.desired_state(env(STORAGE_SECRET, SQL_SECRET)),
        Ok(desired)
    );
    let changed = |storage, sql| read.desired_state(env(storage, sql)).expect_err("refused");

    let one = changed(STORAGE_SECRET, "rotated-sql");
    assert_eq!(
        one,
        SavedPlanError::SecretsChanged {
            variables: vec!["SQL_PASSWORD".into()]
        }
    );
    insta::assert_snapshot!(one.to_string(), @"the value of environment variable SQL_PASSWORD is not the one the plan was made with; set it back, or make a new plan");

    let both = changed("rotated-storage", "rotated-sql");
    insta::assert_snapshot!(both.to_string(), @"the values of environment variables SQL_PASSWORD, STORAGE_CONNECTION_STRING are not the ones the plan was made with; set them back, or make a new plan");
    for secret in [STORAGE_SECRET, SQL_SECRET, "rotated-storage", "rotated-sql"] {
        assert!(!both.to_string().contains(secret), "{both}");
    }
}

#[test]
fn a_plan_file_without_variable_fingerprints_still_loads_and_refuses_as_before() {
    let (_, _, text) = saved_first_apply();
    let mut document: Value = serde_json::from_str(&text).expect("json");
    assert!(
        document.get("variable_fingerprints").is_some(),
        "written when there are secrets"
    );
    // One variable supplies every secret: its fingerprint is the whole one.
    assert_eq!(
        document["variable_fingerprints"]["STORAGE_CONNECTION_STRING"],
        document["secrets_fingerprint"]
    );
    // A file written before the field existed.
    document
        .as_object_mut()
        .expect("object")
        .remove("variable_fingerprints");
    rechecksum(&mut document);
    let read = SavedPlan::from_file_str(&document.to_string()).expect("still reads");
    assert!(read.variable_fingerprints.is_empty());
    assert!(read.desired_state(env_with(STORAGE_SECRET)).is_ok());
    let error = read
        .desired_state(env_with("another value"))
        .expect_err("refused");
    assert_eq!(error, SavedPlanError::SecretsChanged { variables: vec![] });
    insta::assert_snapshot!(error.to_string(), @"a secret value in the environment differs from the one the plan was made with; make a new plan");

    // A plan without secrets has no such field at all.
    let desired = seed_lab_without_secrets();
    let plan = plan(&desired, &LiveState::empty(), &PlanOptions::apply());
    let plain = SavedPlan::new(&plan, &desired, &PlanOptions::apply(), SALT).to_file_string();
    assert!(!plain.contains("variable_fingerprints"), "{plain}");
}

#[test]
fn an_applied_plan_has_nothing_outstanding_and_a_stale_one_says_what() {
    let desired = seed_lab_without_secrets();
    let live = applied(&desired);
    let mut changed = desired.clone();
    changed.resources[5].body["properties"]["description"] = json!("new");
    let planned = plan(&changed, &live, &PlanOptions::apply());
    let saved = SavedPlan::new(&planned, &changed, &PlanOptions::apply(), SALT);
    let restored = saved.desired_state(|_| None).expect("no secrets");

    // Applied: every etag it wrote changed, so it is stale, but nothing is left to do.
    let after = apply_in_memory(&planned, &changed, &live);
    assert!(matches!(
        saved.check_live(&after),
        Err(SavedPlanError::Stale { .. })
    ));
    assert_eq!(saved.outstanding(&restored, &after), []);

    // Something else changed behind its back: a plan made now still has work to do.
    let mut edited = after.clone();
    edit_live(
        &mut edited,
        "dataset/InputDataset",
        "/properties/typeProperties/location/folderPath",
        json!("elsewhere"),
    );
    edited
        .resources
        .iter_mut()
        .find(|r| r.address == ResourceAddress::new(Kind::Dataset, "InputDataset"))
        .expect("dataset")
        .body["etag"] = json!("changed-etag");
    assert!(saved.check_live(&edited).is_err());
    let outstanding: Vec<String> = saved
        .outstanding(&restored, &edited)
        .iter()
        .map(|c| format!("{} {}", c.action.as_str(), c.address))
        .collect();
    assert_eq!(outstanding, ["update dataset/InputDataset"]);
}

#[test]
fn a_scoped_destroy_applies_once_and_then_has_nothing_outstanding() {
    let desired = seed_lab_without_secrets();
    let live = applied(&desired);
    let options = PlanOptions {
        scope: adf_plan::Scope {
            include: ["pipeline/copyPipeline", "trigger/*"]
                .iter()
                .map(|p| adf_core::EntityPattern::parse(p).expect("pattern"))
                .collect(),
            exclude: Vec::new(),
        },
        ..PlanOptions::destroy()
    };
    let planned = plan(&desired, &live, &options);
    let saved = SavedPlan::from_file_str(
        &SavedPlan::new(&planned, &desired, &options, SALT).to_file_string(),
    )
    .expect("reads back");
    // The factory it leaves alone is no surprise.
    assert_eq!(saved.check_live(&live), Ok(()));
    let restored = saved.desired_state(|_| None).expect("no secrets");
    let after = apply_in_memory(&planned, &desired, &live);
    assert!(saved.check_live(&after).is_err());
    // A plan of everything would delete the factory; the saved plan never named it.
    assert_eq!(saved.outstanding(&restored, &after), []);
    // Before it was applied, its own change is what is outstanding.
    let pending: Vec<String> = saved
        .outstanding(&restored, &live)
        .iter()
        .map(|c| c.address.to_string())
        .collect();
    assert_eq!(pending, ["trigger/dailyTrigger", "pipeline/copyPipeline"]);
}
