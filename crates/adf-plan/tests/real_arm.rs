//! What real ARM answers, planned against: each case is a body as ARM returns it after a PUT,
//! from recorded traffic (ARM-FACTS §12; the Azure PowerShell module's DataFactoryV2 session
//! records and the Azure CLI's datafactory recordings, cited per test), and the plan of the
//! same spec against it must be a no-op that never shows a secret.

mod common;

use adf_core::secret::{self, ARM_MASK};
use adf_core::{DesiredResource, DesiredState, Kind, ResourceAddress};
use adf_plan::render::{self, Style};
use adf_plan::{Action, LiveResource, LiveState, Plan, PlanOptions};
use common::*;
use serde_json::{Value, json};

/// The PUT body adfctl sends for `resource` (fingerprint under [`SALT`]) against `live`.
fn put_body(resource: &DesiredResource, live: Option<&Value>) -> Value {
    adf_plan::body_to_put(resource, live, SALT)
}

/// A live state holding `bodies` (as ARM returns them), each under its address.
fn live_of(bodies: Vec<(Kind, &str, Value)>) -> LiveState {
    let mut live = LiveState::empty();
    for (kind, name, mut body) in bodies {
        body["id"] = json!(target().resource_path(kind, name));
        body["name"] = json!(name);
        body["type"] = json!(kind.arm_type());
        body["etag"] = json!("1c00f24a-0000-0100-0000-60865a1c0000");
        live.resources
            .push(LiveResource::new(ResourceAddress::new(kind, name), body));
    }
    live
}

fn plan_of(resources: Vec<DesiredResource>, live: &LiveState) -> Plan {
    let desired: DesiredState = state(resources);
    adf_plan::plan(&desired, live, &PlanOptions::apply())
}

fn change<'a>(plan: &'a Plan, kind: Kind, name: &str) -> &'a adf_plan::ResourceChange {
    plan.get(&ResourceAddress::new(kind, name))
        .expect("planned")
}

/// Every rendering of the plan, for checks that a secret never shows.
fn all_renderings(plan: &Plan) -> String {
    format!(
        "{}\n{}\n{}",
        render::human(plan, Style::plain()),
        serde_json::to_string(&render::json(plan)).expect("json"),
        render::markdown(plan)
    )
}

#[test]
fn a_dataset_with_its_own_schema_plans_clean_and_its_create_shows_the_schema() {
    // Datasets come back exactly as sent (PS TestDatasetV2; CLI test_datafactory_main).
    let properties = json!({"type": "DelimitedText",
        "linkedServiceName": {"referenceName": "ls", "type": "LinkedServiceReference"},
        "schema": [{"name": "RunStartDate", "type": "String"}, {"name": "Query", "type": "String"}]});
    let dataset = child(Kind::Dataset, "get_status", properties.clone());
    let created = plan_of(vec![dataset.clone()], &LiveState::empty());
    let after = change(&created, Kind::Dataset, "get_status").after.as_ref();
    assert_eq!(
        after.and_then(|a| a.pointer("/properties/schema/1/name")),
        Some(&json!("Query")),
        "the create shows the schema it writes"
    );
    let live = live_of(vec![(
        Kind::Dataset,
        "get_status",
        put_body(&dataset, None),
    )]);
    let plan = plan_of(vec![dataset], &live);
    assert_eq!(
        change(&plan, Kind::Dataset, "get_status").action,
        Action::NoOp
    );
}

#[test]
fn a_managed_integration_runtime_state_is_read_only() {
    // PS TestSsisAzureIntegrationRuntime; CLI test_datafactory_main: `"state": "Initial"`.
    let properties = json!({"type": "Managed", "description": "Managed Integration Runtime",
        "typeProperties": {"computeProperties": {"location": "East US 2", "nodeSize": "Standard_D2_v3", "numberOfNodes": 1}}});
    let ir = child(Kind::IntegrationRuntime, "ssis", properties);
    for state in ["Initial", "Started", "Stopped"] {
        let mut body = put_body(&ir, None);
        body["properties"]["state"] = json!(state);
        let live = live_of(vec![(Kind::IntegrationRuntime, "ssis", body)]);
        let plan = plan_of(vec![ir.clone()], &live);
        assert_eq!(
            change(&plan, Kind::IntegrationRuntime, "ssis").action,
            Action::NoOp,
            "{state}"
        );
    }
}

#[test]
fn an_integration_runtime_secret_is_fingerprinted_in_its_description() {
    // IRs have no `annotations` (swagger); `description` is echoed (PS
    // TestSelfHostedIntegrationRuntime) and secrets are masked (PS TestSsisAzureIntegrationRuntime).
    let mut ir = child(
        Kind::IntegrationRuntime,
        "ssis",
        json!({"type": "Managed", "description": "SSIS", "typeProperties": {"ssisProperties": {
            "catalogInfo": {"catalogAdminPassword": {"type": "SecureString", "value": SQL_SECRET}}}}}),
    );
    let body = put_body(&ir, None);
    assert!(body["properties"].get("annotations").is_none());
    let mut returned = secret::mask_like_arm(&body, &[]);
    returned["properties"]["state"] = json!("Initial");
    let live = live_of(vec![(Kind::IntegrationRuntime, "ssis", returned)]);
    let plan = plan_of(vec![ir.clone()], &live);
    let unchanged = change(&plan, Kind::IntegrationRuntime, "ssis");
    assert_eq!(unchanged.action, Action::NoOp, "{:?}", unchanged.reason);
    // A rotated password is a change.
    ir.body["properties"]["typeProperties"]["ssisProperties"]["catalogInfo"]["catalogAdminPassword"]
        ["value"] = json!("rotated");
    let plan = plan_of(vec![ir], &live);
    let rotated = change(&plan, Kind::IntegrationRuntime, "ssis");
    assert_eq!(rotated.action, Action::Update);
    assert_eq!(rotated.reason.as_deref(), Some("(secret changed)"));
    // The description is shown as the user wrote it, on both sides.
    for side in [&rotated.before, &rotated.after] {
        assert_eq!(side.as_ref().unwrap()["properties"]["description"], "SSIS");
    }
}

/// PS TestPipelineV2 / TestPipelineRunV2: a plain connection string with `AccountKey=` comes
/// back without it, beside an `encryptedCredential`.
fn as_arm_stores_a_connection_string(body: &Value) -> Value {
    let mut returned = secret::mask_like_arm(body, &[]);
    returned["properties"]["typeProperties"]["encryptedCredential"] =
        json!("ew0KICAiVmVyc2lvbiI6ICIyMDE3LTExLTMwIg0KfQ==");
    returned
}

const INLINE: &str =
    "DefaultEndpointsProtocol=https;AccountName=myaccount;AccountKey=PLANTED-KEY-0003;";

fn inline_key_linked_service(connection_string: &str) -> DesiredResource {
    child(
        Kind::LinkedService,
        "storage",
        json!({"type": "AzureStorage", "typeProperties": {"connectionString": connection_string}}),
    )
}

#[test]
fn an_inline_account_key_plans_clean_is_never_shown_and_its_rotation_is_seen() {
    let ls = inline_key_linked_service(INLINE);
    let created = plan_of(vec![ls.clone()], &LiveState::empty());
    assert!(!all_renderings(&created).contains("PLANTED-KEY-0003"));

    let returned = as_arm_stores_a_connection_string(&put_body(&ls, None));
    assert_eq!(
        returned["properties"]["typeProperties"]["connectionString"],
        "DefaultEndpointsProtocol=https;AccountName=myaccount;"
    );
    let live = live_of(vec![(Kind::LinkedService, "storage", returned.clone())]);
    let plan = plan_of(vec![ls], &live);
    let same = change(&plan, Kind::LinkedService, "storage");
    assert_eq!(same.action, Action::NoOp, "{:?}", same.reason);

    // ARM of 2020 also appended the default endpoint suffix (PS TestPipelineRunV2).
    let mut suffixed = returned.clone();
    suffixed["properties"]["typeProperties"]["connectionString"] = json!(
        "DefaultEndpointsProtocol=https;AccountName=myaccount;EndpointSuffix=core.windows.net;"
    );
    let live_suffixed = live_of(vec![(Kind::LinkedService, "storage", suffixed)]);
    let plan = plan_of(vec![inline_key_linked_service(INLINE)], &live_suffixed);
    assert_eq!(
        change(&plan, Kind::LinkedService, "storage").action,
        Action::NoOp
    );

    let rotated = inline_key_linked_service(&INLINE.replace("0003", "0004"));
    let plan = plan_of(vec![rotated], &live);
    let update = change(&plan, Kind::LinkedService, "storage");
    assert_eq!(update.action, Action::Update);
    assert_eq!(update.reason.as_deref(), Some("(secret changed)"));
    let text = all_renderings(&plan);
    assert!(!text.contains("PLANTED-KEY-000"), "{text}");
}

#[test]
fn an_inline_key_written_outside_adfctl_cannot_be_compared_and_says_so() {
    let ls = inline_key_linked_service(INLINE);
    // Written by another tool: ARM's answer to the spec's own body, with no fingerprint.
    let returned = as_arm_stores_a_connection_string(&ls.body);
    assert!(adf_plan::fingerprint::find(&returned).is_none());
    let live = live_of(vec![(Kind::LinkedService, "storage", returned)]);
    let plan = plan_of(vec![ls], &live);
    let update = change(&plan, Kind::LinkedService, "storage");
    assert_eq!(update.action, Action::Update);
    assert!(
        update
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("cannot be compared"),
        "{:?}",
        update.reason
    );
}

#[test]
fn the_stored_credential_is_carried_over_and_the_plan_says_so() {
    // After `export` (or from an ADF Studio folder): the connection string as ARM returns it,
    // without the key and without the opaque encryptedCredential.
    let exported = child(
        Kind::LinkedService,
        "storage",
        json!({"type": "AzureStorage", "description": "edited",
            "typeProperties": {"connectionString": "DefaultEndpointsProtocol=https;AccountName=myaccount;"}}),
    );
    let original = inline_key_linked_service(INLINE);
    let live_body = as_arm_stores_a_connection_string(&put_body(&original, None));
    let live = live_of(vec![(Kind::LinkedService, "storage", live_body.clone())]);
    let plan = plan_of(vec![exported.clone()], &live);
    let update = change(&plan, Kind::LinkedService, "storage");
    assert_eq!(update.action, Action::Update);
    assert!(
        update
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("keeps its stored credential"),
        "{:?}",
        update.reason
    );
    let live_body = &live.resources[0].body;
    let sent = put_body(&exported, Some(live_body));
    assert_eq!(
        sent.pointer("/properties/typeProperties/encryptedCredential"),
        live_body.pointer("/properties/typeProperties/encryptedCredential"),
        "the PUT sends the live encryptedCredential back"
    );
    // ARM's masked SecureString sent back (as the Azure CLI does) keeps it too.
    let masked = child(
        Kind::LinkedService,
        "storage",
        json!({"type": "AzureStorage", "typeProperties": {
            "connectionString": {"type": "SecureString", "value": ARM_MASK}}}),
    );
    assert!(adf_plan::carried_credential(&masked, Some(live_body)).is_some());
    // The same body without its edit plans clean: the stored key stays where it is (to send
    // no credential at all, set `encryptedCredential: null`).
    let unedited = child(
        Kind::LinkedService,
        "storage",
        json!({"type": "AzureStorage",
            "typeProperties": {"connectionString": "DefaultEndpointsProtocol=https;AccountName=myaccount;"}}),
    );
    let plan = plan_of(vec![unedited], &live);
    assert_eq!(
        change(&plan, Kind::LinkedService, "storage").action,
        Action::NoOp
    );
    // A body with its own secret replaces the credential: nothing is carried over.
    assert!(adf_plan::carried_credential(&original, Some(live_body)).is_none());
    // Nor when the body sets its own encryptedCredential.
    let mut own = exported;
    own.body["properties"]["typeProperties"]["encryptedCredential"] = json!("mine");
    assert!(adf_plan::carried_credential(&own, Some(live_body)).is_none());
}

#[test]
fn an_integration_runtime_with_an_empty_description_and_a_secret_plans_clean() {
    let ir = child(
        Kind::IntegrationRuntime,
        "ssis",
        json!({"type": "Managed", "description": "", "typeProperties": {"ssisProperties": {
            "catalogInfo": {"catalogAdminPassword": {"type": "SecureString", "value": SQL_SECRET}}}}}),
    );
    let returned = secret::mask_like_arm(&put_body(&ir, None), &[]);
    let live = live_of(vec![(Kind::IntegrationRuntime, "ssis", returned)]);
    let plan = plan_of(vec![ir], &live);
    let same = change(&plan, Kind::IntegrationRuntime, "ssis");
    assert_eq!(same.action, Action::NoOp, "{:?}", same.reason);
}

#[test]
fn global_parameter_types_compare_without_case() {
    // ADF Studio writes `int`; the official GlobalParameters_Create example answers `Int`.
    let globals = resource(
        Kind::GlobalParameters,
        "default",
        json!({"properties": {"waitTime": {"type": "int", "value": 5},
            "shouting": {"type": "OBJECT", "value": {"k": 1}}}}),
    );
    let live = live_of(vec![(
        Kind::GlobalParameters,
        "default",
        json!({"properties": {"waitTime": {"value": 5, "type": "Int"},
            "shouting": {"value": {"k": 1}, "type": "Object"}}}),
    )]);
    let plan = plan_of(vec![globals], &live);
    assert_eq!(
        change(&plan, Kind::GlobalParameters, "default").action,
        Action::NoOp
    );
}
