//! What each feature of the spec language does to the desired state.
#![allow(clippy::unwrap_used)]

use adf_core::{DesiredState, Kind, ResourceAddress, RuntimeStatePolicy};
use adf_spec::{Diagnostic, LoadOptions, Loaded, SpecSource, load, render_plain};
use serde_json::json;

const HEADER: &str = "subscription: 00000000-0000-0000-0000-000000000000\nresourceGroup: {name: rg, location: eastus}\nfactory: {name: fac, location: eastus}\n";

fn options(env: &[(&str, &str)], vars: &[(&str, &str)]) -> LoadOptions {
    LoadOptions {
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..LoadOptions::default()
    }
}

fn ok_with(files: &[&str], options: &LoadOptions) -> Loaded {
    let sources: Vec<SpecSource> = files
        .iter()
        .enumerate()
        .map(|(i, text)| SpecSource::new(format!("f{i}.yaml"), *text))
        .collect();
    load(&sources, options).unwrap_or_else(|d| panic!("{}", render_plain(&d)))
}

fn ok(body: &str) -> DesiredState {
    ok_with(&[&format!("{HEADER}{body}")], &LoadOptions::default()).desired
}

fn errors(body: &str) -> Vec<Diagnostic> {
    load(
        &[SpecSource::new("f.yaml", format!("{HEADER}{body}"))],
        &LoadOptions::default(),
    )
    .unwrap_err()
}

fn properties(desired: &DesiredState, kind: Kind, name: &str) -> serde_json::Value {
    desired.get(&ResourceAddress::new(kind, name)).unwrap().body["properties"].clone()
}

#[test]
fn secure_strings_from_env_are_secret_slots() {
    let spec = format!(
        "{HEADER}linkedServices:\n  ls:\n    type: AzureBlobStorage\n    typeProperties:\n      \
         connectionString: {{secretFromEnv: CONN}}\n      sasToken: {{type: SecureString, value: \"${{env:SAS}}\"}}\n      \
         key: {{type: SecureString, value: \"k-${{env:SAS}}\"}}\n      plain: {{type: SecureString, value: literal}}\n"
    );
    let loaded = ok_with(&[&spec], &options(&[("CONN", "c0nn"), ("SAS", "s4s")], &[]));
    let ls = loaded
        .desired
        .get(&ResourceAddress::new(Kind::LinkedService, "ls"))
        .unwrap();
    let type_properties = &ls.body["properties"]["typeProperties"];
    assert_eq!(
        type_properties["connectionString"],
        json!({"type": "SecureString", "value": "c0nn"})
    );
    assert_eq!(type_properties["sasToken"]["value"], "s4s");
    let slots: Vec<(&str, Option<&str>)> = ls
        .secrets
        .iter()
        .map(|s| (s.pointer.as_str(), s.from_env.as_deref()))
        .collect();
    assert_eq!(
        slots,
        [
            (
                "/properties/typeProperties/connectionString/value",
                Some("CONN")
            ),
            ("/properties/typeProperties/sasToken/value", Some("SAS")),
            ("/properties/typeProperties/key/value", None),
        ]
    );
    let debug = format!("{loaded:?}");
    assert!(!debug.contains("c0nn") && !debug.contains("s4s"), "{debug}");
    assert!(!format!("{:?}", options(&[("CONN", "c0nn")], &[])).contains("c0nn"));
}

#[test]
fn variables_substitute_and_keep_types() {
    let spec = format!(
        "{HEADER}vars:\n  n: 4\n  word: hello\npipelines:\n  p:\n    parameters:\n      a: {{type: Int, defaultValue: 1}}\n    \
         activities:\n      - name: w\n        type: Wait\n        typeProperties:\n          waitTimeInSeconds: ${{var:n}}\n          \
         text: \"${{var:n}}\"\n          mixed: ${{var:word}}-${{env:HOME_X:-none}}\n          literal: $${{x}}\n"
    );
    let desired = ok_with(&[&spec], &options(&[], &[("word", "cli")])).desired;
    let wait = &properties(&desired, Kind::Pipeline, "p")["activities"][0]["typeProperties"];
    assert_eq!(wait["waitTimeInSeconds"], json!(4));
    assert_eq!(wait["text"], json!("4"));
    assert_eq!(wait["mixed"], json!("cli-none"));
    assert_eq!(wait["literal"], json!("${x}"));
}

#[test]
fn the_full_adf_form_is_unwrapped() {
    let desired = ok(
        "pipelines:\n  p: {\"name\": \"p\", \"type\": \"Microsoft.DataFactory/factories/pipelines\", \"properties\": {\"activities\": []}, \"etag\": \"x\"}\n",
    );
    assert_eq!(
        properties(&desired, Kind::Pipeline, "p"),
        json!({"activities": []})
    );
    let wrong = errors(
        "pipelines:\n  p: {type: Microsoft.DataFactory/factories/datasets, properties: {activities: []}}\n",
    );
    assert_eq!(wrong[0].code, "wrong-kind");
    let loaded = ok_with(
        &[&format!(
            "{HEADER}pipelines:\n  p: {{name: q, properties: {{}}}}\n"
        )],
        &LoadOptions::default(),
    );
    assert_eq!(loaded.warnings[0].code, "name-mismatch");
}

#[test]
fn overlays_merge_replace_and_remove() {
    let base = format!(
        "{HEADER}pipelines:\n  keep: {{activities: [], annotations: [a, b]}}\n  drop: {{activities: []}}\n"
    );
    let overlay =
        "factory: {tags: {env: dev}}\npipelines:\n  keep: {annotations: [c]}\n  drop: null\n";
    let desired = ok_with(&[&base, overlay], &LoadOptions::default()).desired;
    assert_eq!(
        properties(&desired, Kind::Pipeline, "keep"),
        json!({"activities": [], "annotations": ["c"]})
    );
    assert!(
        desired
            .get(&ResourceAddress::new(Kind::Pipeline, "drop"))
            .is_none()
    );
    let factory = desired.of_kind(Kind::Factory).next().unwrap();
    assert_eq!(
        factory.body,
        json!({"location": "eastus", "tags": {"env": "dev"}})
    );
}

#[test]
fn factory_fields_and_global_parameters() {
    let spec = "subscription: 00000000-0000-0000-0000-000000000000\nresourceGroup: {name: rg, managed: false}\nfactory:\n  name: fac\n  location: eastus\n  \
                identity: {type: SystemAssigned}\n  publicNetworkAccess: Disabled\n  properties: {futureSetting: 1}\n  \
                globalParameters:\n    region: {type: String, value: eu}\n";
    let desired = ok_with(&[spec], &LoadOptions::default()).desired;
    assert!(!desired.resource_group_managed);
    let addresses: Vec<String> = desired
        .resources
        .iter()
        .map(|r| r.address.to_string())
        .collect();
    assert_eq!(addresses, ["factory/fac", "globalParameters/default"]);
    assert_eq!(
        desired.resources[0].body,
        json!({"location": "eastus", "identity": {"type": "SystemAssigned"},
               "properties": {"futureSetting": 1, "publicNetworkAccess": "Disabled"}})
    );
    assert_eq!(
        desired.resources[1].body,
        json!({"properties": {"region": {"type": "String", "value": "eu"}}})
    );
    assert!(
        desired.resources[1]
            .path
            .ends_with("/factories/fac/globalParameters/default")
    );
    assert_eq!(desired.target.resource_group, "rg");
}

#[test]
fn triggers_take_runtime_state_and_short_pipelines() {
    let desired = ok(
        "pipelines:\n  p: {activities: []}\ntriggers:\n  started: {type: ScheduleTrigger, pipelines: [p]}\n  \
         stopped: {type: ScheduleTrigger, runtimeState: Stopped, pipelines: [{pipelineReference: p, parameters: {a: 1}}]}\n",
    );
    let started = desired
        .get(&ResourceAddress::new(Kind::Trigger, "started"))
        .unwrap();
    assert_eq!(started.runtime_state, Some(RuntimeStatePolicy::Started));
    assert_eq!(
        started.body["properties"]["pipelines"],
        json!([{"pipelineReference": {"referenceName": "p", "type": "PipelineReference"}}])
    );
    let stopped = desired
        .get(&ResourceAddress::new(Kind::Trigger, "stopped"))
        .unwrap();
    assert_eq!(stopped.runtime_state, Some(RuntimeStatePolicy::Stopped));
    assert!(stopped.body["properties"].get("runtimeState").is_none());
    assert_eq!(
        stopped.references(),
        [ResourceAddress::new(Kind::Pipeline, "p")]
    );
}

#[test]
fn unknown_fields_in_adf_bodies_pass_through() {
    let desired = ok(
        "linkedServices:\n  ls:\n    type: SomeFutureConnector\n    brandNewField: {deep: [1, 2.5, true, null, \"007\"]}\n    \
         connectVia: AutoResolveIntegrationRuntime\n",
    );
    assert_eq!(
        properties(&desired, Kind::LinkedService, "ls"),
        json!({"type": "SomeFutureConnector", "brandNewField": {"deep": [1, 2.5, true, null, "007"]},
               "connectVia": {"referenceName": "AutoResolveIntegrationRuntime", "type": "IntegrationRuntimeReference"}})
    );
}

#[test]
fn data_flow_and_activity_references_are_checked() {
    let found = errors(
        "dataFlows:\n  f: {type: MappingDataFlow, typeProperties: {sources: [{name: s, dataset: nope}]}}\n\
         pipelines:\n  p:\n    activities:\n      - {name: run, type: ExecuteDataFlow, typeProperties: {dataFlow: g}}\n      \
         - {name: look, type: Lookup, typeProperties: {dataset: nothere}}\n",
    );
    let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "data flow `f` references dataset `nope`, which the spec does not define",
            "pipeline `p` references data flow `g`, which the spec does not define",
            "pipeline `p` references dataset `nothere`, which the spec does not define",
        ]
    );
}

#[test]
fn no_files_is_an_error() {
    let diagnostics = load(&[], &LoadOptions::default()).unwrap_err();
    assert_eq!(diagnostics[0].code, "no-files");
}

#[test]
fn invalid_utf8_points_at_the_byte() {
    let error = SpecSource::from_bytes("x.yaml", b"a: 1\nb: \xff\n".to_vec()).unwrap_err();
    assert_eq!((error.line, error.column, error.offset), (2, 4, 8));
}

#[test]
fn expression_syntax_is_checked_at_validate_time() {
    let body = "pipelines:
  p:
    parameters: {x: {type: String}}
    variables: {v: {type: String}}
    activities:
      - name: wait
        type: Wait
        typeProperties: {waitTimeInSeconds: \"@add(1, )\"}
      - name: loop
        type: ForEach
        typeProperties:
          items: \"@pipeline().parameters.x\"
          activities:
            - name: set
              type: SetVariable
              typeProperties: {variableName: v, value: \"id @{item() and more\"}
      - name: fine
        type: SetVariable
        typeProperties: {variableName: v, value: \"@concat('a@b', pipeline().parameters.x)\"}
";
    let found = errors(body);
    let expression_errors: Vec<&Diagnostic> =
        found.iter().filter(|d| d.code == "expression").collect();
    assert_eq!(expression_errors.len(), 2, "{}", render_plain(&found));
    assert_eq!(
        (expression_errors[0].line, expression_errors[0].column),
        (11, 45)
    );
    assert!(
        expression_errors[0].message.contains("activity `wait`"),
        "{}",
        expression_errors[0]
    );
    assert!(
        expression_errors[0].message.contains("@add(1, )"),
        "{}",
        expression_errors[0]
    );
    assert_eq!(expression_errors[1].line, 19);
    assert!(
        expression_errors[1].message.contains("activity `set`"),
        "{}",
        expression_errors[1]
    );
}

#[test]
fn a_credential_in_a_plain_connection_string_is_a_warning_that_never_shows_it() {
    let spec = format!(
        "{HEADER}linkedServices:\n  storage:\n    type: AzureBlobStorage\n    typeProperties:\n      \
         connectionString: \"AccountName=a;AccountKey=PLANTED-KEY;\"\n  sql:\n    type: AzureSqlDatabase\n    \
         typeProperties:\n      connectionString: \"Server=s;User ID=u;Password=PLANTED-PW\"\n  \
         safe:\n    type: AzureBlobStorage\n    typeProperties:\n      connectionString: {{secretFromEnv: CONN}}\n"
    );
    let loaded = ok_with(&[&spec], &options(&[("CONN", "AccountKey=k")], &[]));
    let warnings: Vec<_> = loaded
        .warnings
        .iter()
        .filter(|d| d.code == "inline-credential")
        .collect();
    assert_eq!(warnings.len(), 2, "{:?}", loaded.warnings);
    assert_eq!((warnings[0].line, warnings[0].column), (8, 25));
    assert!(warnings[0].message.contains("AccountKey"));
    assert!(warnings[1].message.contains("Password"));
    let text = render_plain(&loaded.warnings);
    assert!(!text.contains("PLANTED"), "{text}");
}

#[test]
fn an_unset_secret_is_a_warning_when_secrets_are_optional() {
    let spec = format!(
        "{HEADER}linkedServices:\n  ls:\n    type: AzureBlobStorage\n    typeProperties:\n      \
         connectionString: {{secretFromEnv: NOT_SET_ANYWHERE}}\n"
    );
    let sources = [SpecSource::new("f.yaml", spec.as_str())];
    let strict = load(&sources, &LoadOptions::default()).unwrap_err();
    assert!(strict.iter().any(|d| d.is_error() && d.code == "unset-env"));
    let lenient = LoadOptions {
        secrets_optional: true,
        ..LoadOptions::default()
    };
    let loaded = load(&sources, &lenient).unwrap();
    assert!(loaded.warnings.iter().any(|d| d.code == "unset-env"));
}

#[test]
fn an_overlay_that_patches_a_pipeline_no_earlier_file_defines_is_an_error() {
    let base = format!(
        "{HEADER}pipelines:\n  copyPipeline:\n    activities: [{{name: w, type: Wait, typeProperties: {{waitTimeInSeconds: 1}}}}]\n"
    );
    let typo = "pipelines:\n  copyPipelne:\n    description: prod\n";
    let sources = [
        SpecSource::new("base.yaml", base.as_str()),
        SpecSource::new("prod.yaml", typo),
    ];
    let errors = load(&sources, &LoadOptions::default()).unwrap_err();
    let error = errors
        .iter()
        .find(|d| d.code == "patch-of-nothing")
        .unwrap_or_else(|| panic!("{errors:?}"));
    assert_eq!(
        (error.file.as_str(), error.line, error.column),
        ("prod.yaml", 2, 3)
    );
    assert!(
        error
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("did you mean `copyPipeline`?"),
        "{error:?}"
    );
    // A patch of a defined pipeline, and a new pipeline defined in full, are fine.
    let fine = "pipelines:\n  copyPipeline:\n    description: prod\n  extra:\n    activities: []\n";
    let sources = [
        SpecSource::new("base.yaml", base.as_str()),
        SpecSource::new("prod.yaml", fine),
    ];
    assert!(load(&sources, &LoadOptions::default()).is_ok());
}

#[test]
fn prune_keep_patterns_are_read_and_checked() {
    let spec = format!("{HEADER}prune:\n  keep: [\"pipeline/Legacy*\", \"*/teamB_*\"]\n");
    let loaded = ok_with(&[&spec], &LoadOptions::default());
    let texts: Vec<&str> = loaded.prune_keep.iter().map(|p| p.as_str()).collect();
    assert_eq!(texts, ["pipeline/Legacy*", "*/teamB_*"]);
    let found = errors("prune:\n  keep: [\"pipelnes/x\", \"nokind\"]\n");
    let bad: Vec<_> = found.iter().filter(|d| d.code == "invalid-value").collect();
    assert_eq!(bad.len(), 2, "{found:?}");
    assert!(
        bad[0]
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("pipeline/Load*")
    );
}

#[test]
fn a_subscription_that_is_not_a_guid_is_a_warning_that_names_it() {
    let spec = "subscription: my-sub\nresourceGroup: {name: rg, location: eastus}\nfactory: {name: fac, location: eastus}\n";
    let loaded = ok_with(&[spec], &LoadOptions::default());
    let codes: Vec<_> = loaded.warnings.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["subscription-id"], "{:?}", loaded.warnings);
    assert_eq!(
        (loaded.warnings[0].line, loaded.warnings[0].column),
        (1, 15)
    );
    assert!(loaded.warnings[0].message.contains("`my-sub`"));

    let upper = "subscription: ABCDEF01-2345-6789-abcd-ef0123456789\nresourceGroup: {name: rg, location: eastus}\nfactory: {name: fac, location: eastus}\n";
    assert!(
        ok_with(&[upper], &LoadOptions::default())
            .warnings
            .is_empty()
    );
}

#[test]
fn external_entities_may_be_referenced_without_being_defined() {
    let spec = format!(
        "{HEADER}external: [linkedService/ls_KeyVault, integrationRuntime/SharedSHIR, \"datasets.shared_ds\"]\n\
         datasets:\n  local:\n    type: AzureBlob\n    linkedServiceName: ls_KeyVault\n    connectVia: SharedSHIR\n\
         pipelines:\n  p:\n    activities:\n      - {{name: look, type: Lookup, typeProperties: {{dataset: shared_ds}}}}\n"
    );
    let desired = ok_with(&[&spec], &LoadOptions::default()).desired;
    let external: Vec<String> = desired.external.iter().map(ToString::to_string).collect();
    assert_eq!(
        external,
        [
            "linkedService/ls_KeyVault",
            "integrationRuntime/SharedSHIR",
            "dataset/shared_ds"
        ]
    );
    assert!(desired.is_external(&ResourceAddress::new(Kind::LinkedService, "ls_keyvault")));
    // Declared, not defined: nothing to write.
    assert!(desired.of_kind(Kind::LinkedService).next().is_none());
    assert!(ok("").external.is_empty());
}

#[test]
fn external_entries_are_exact_addresses_of_entities_the_spec_does_not_define() {
    let found = errors(
        "external:\n  - pipeline/Load*\n  - nokind\n  - globalParameters/default\n  - pipeline/p\n\
         pipelines:\n  p: {activities: []}\n",
    );
    let summary: Vec<(&str, usize, usize)> =
        found.iter().map(|d| (d.code, d.line, d.column)).collect();
    assert_eq!(
        summary,
        [
            ("invalid-value", 5, 5),
            ("invalid-value", 6, 5),
            ("invalid-value", 7, 5),
            ("external-defined", 8, 5)
        ],
        "{found:?}"
    );
    let hint = |i: usize| found[i].hint.clone().unwrap_or_default();
    assert!(
        found[0]
            .message
            .contains("`external` takes the exact address"),
        "{found:?}"
    );
    assert!(hint(0).contains("prune.keep"), "{}", hint(0));
    assert!(hint(1).contains("linkedService"), "{}", hint(1));
    assert!(hint(3).contains("f.yaml:10:3"), "{}", hint(3));
    let wrong = errors("external: linkedService/ls\n");
    assert_eq!(wrong[0].code, "wrong-type", "{wrong:?}");
}

#[test]
fn an_unmanaged_factory_is_not_desired_and_needs_no_location() {
    let spec = "subscription: 00000000-0000-0000-0000-000000000000\n\
                resourceGroup: {name: rg}\n\
                factory:\n  name: fac\n  managed: false\n  tags: {owner: platform}\n  \
                globalParameters: {env: {type: String, value: prod}}\n\
                pipelines:\n  p: {activities: []}\n";
    let desired = ok_with(&[spec], &LoadOptions::default()).desired;
    assert!(!desired.factory_managed);
    // The group's `managed` follows the factory's.
    assert!(!desired.resource_group_managed);
    let kinds: Vec<Kind> = desired.resources.iter().map(|r| r.address.kind).collect();
    assert_eq!(kinds, [Kind::GlobalParameters, Kind::Pipeline]);
    assert_eq!(desired.target.factory, "fac");
    assert!(ok("").factory_managed);

    let conflicting = "subscription: 00000000-0000-0000-0000-000000000000\n\
                       resourceGroup: {name: rg, location: eastus, managed: true}\n\
                       factory: {name: fac, managed: false}\n";
    let found = load(
        &[SpecSource::new("f.yaml", conflicting)],
        &LoadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].line, found[0].column), (2, 54));
    assert!(found[0].message.contains("`factory.managed: false`"));
    assert!(
        found[0]
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("remove `resourceGroup.managed`")
    );
    // A managed factory still needs its location.
    let found = errors_in(
        "subscription: s\nresourceGroup: {name: rg, location: eastus}\nfactory: {name: fac}\n",
    );
    assert!(
        found
            .iter()
            .any(|d| d.message.contains("has no `location`")),
        "{found:?}"
    );
}

fn errors_in(spec: &str) -> Vec<Diagnostic> {
    load(&[SpecSource::new("f.yaml", spec)], &LoadOptions::default()).unwrap_err()
}

#[test]
fn trigger_runtime_state_keep_per_trigger_and_spec_wide() {
    let triggers = "pipelines:\n  p: {activities: []}\ntriggers:\n  \
                    plain: {type: ScheduleTrigger, pipelines: [p]}\n  \
                    started: {type: ScheduleTrigger, runtimeState: Started, pipelines: [p]}\n  \
                    kept: {type: ScheduleTrigger, runtimeState: Keep, pipelines: [p]}\n";
    let policy = |desired: &DesiredState, name: &str| {
        desired
            .get(&ResourceAddress::new(Kind::Trigger, name))
            .unwrap()
            .runtime_state
    };
    let desired = ok(triggers);
    assert_eq!(policy(&desired, "plain"), Some(RuntimeStatePolicy::Started));
    assert_eq!(policy(&desired, "kept"), Some(RuntimeStatePolicy::Keep));
    assert!(
        desired
            .get(&ResourceAddress::new(Kind::Trigger, "kept"))
            .unwrap()
            .body["properties"]
            .get("runtimeState")
            .is_none()
    );
    // The spec-wide default applies where no trigger says otherwise.
    let desired = ok(&format!("triggerRuntimeState: Keep\n{triggers}"));
    assert_eq!(policy(&desired, "plain"), Some(RuntimeStatePolicy::Keep));
    assert_eq!(
        policy(&desired, "started"),
        Some(RuntimeStatePolicy::Started)
    );
    let desired = ok(&format!("triggerRuntimeState: Stopped\n{triggers}"));
    assert_eq!(policy(&desired, "plain"), Some(RuntimeStatePolicy::Stopped));

    let found = errors("triggerRuntimeState: keep\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].line, found[0].column), (4, 22));
    assert!(
        found[0]
            .message
            .contains("must be `Started`, `Stopped` or `Keep`")
    );
    assert_eq!(found[0].hint.as_deref(), Some("did you mean `Keep`?"));
}

#[test]
fn scope_patterns_are_read_and_checked() {
    let spec = format!(
        "{HEADER}scope:\n  include: [\"pipeline.Load*\", \"*.*@Staging\"]\n  exclude: [\"pipeline/LoadDebug\"]\n"
    );
    let loaded = ok_with(&[&spec], &LoadOptions::default());
    let texts = |list: &[adf_core::EntityPattern]| {
        list.iter()
            .map(|p| p.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        texts(&loaded.scope_include),
        ["pipeline.Load*", "*.*@Staging"]
    );
    assert_eq!(texts(&loaded.scope_exclude), ["pipeline/LoadDebug"]);
    let found = errors("scope:\n  include: pipeline/x\n  exclde: []\n");
    let codes: Vec<_> = found.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["wrong-type", "unknown-key"], "{found:?}");
}

#[test]
fn managed_may_come_from_a_variable() {
    let spec = "subscription: 00000000-0000-0000-0000-000000000000\n\
                vars: {owned: \"false\"}\n\
                resourceGroup: {name: rg}\n\
                factory: {name: fac, managed: \"${var:owned}\"}\n";
    let desired = ok_with(&[spec], &LoadOptions::default()).desired;
    assert!(!desired.factory_managed && !desired.resource_group_managed);
    let found = errors_in(&spec.replace("\"false\"", "maybe"));
    let wrong: Vec<_> = found.iter().filter(|d| d.code == "wrong-type").collect();
    assert_eq!(wrong.len(), 1, "{found:?}");
    assert_eq!((wrong[0].line, wrong[0].column), (4, 31));
    assert!(wrong[0].message.contains("is `maybe`"), "{found:?}");
}

#[test]
fn managed_network_credentials_and_change_data_capture_sections() {
    let desired = ok(
        "managedVirtualNetworks:\n  default:\nmanagedPrivateEndpoints:\n  pe_blob:\n    privateLinkResourceId: /subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st\n    groupId: blob\ncredentials:\n  uami:\n    type: ManagedIdentity\n    typeProperties: {resourceId: /subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id}\nintegrationRuntimes:\n  vnetIr:\n    type: Managed\n    managedVirtualNetwork: default\nlinkedServices:\n  lake:\n    type: AzureBlobFS\n    typeProperties: {url: 'https://st.dfs.core.windows.net', credential: uami}\nchangeDataCaptures:\n  cdc1:\n    SourceConnectionsInfo: []\n    TargetConnectionsInfo: []\n    Policy: {mode: Microbatch, recurrence: {frequency: Minute, interval: 15}}\n",
    );
    assert_eq!(
        properties(&desired, Kind::ManagedVirtualNetwork, "default"),
        json!({})
    );
    let endpoint = desired
        .get(&ResourceAddress::new(
            Kind::ManagedPrivateEndpoint,
            "pe_blob",
        ))
        .unwrap();
    assert!(
        endpoint.path.ends_with(
            "/factories/fac/managedVirtualNetworks/default/managedPrivateEndpoints/pe_blob"
        ),
        "{}",
        endpoint.path
    );
    assert_eq!(
        endpoint.references(),
        [ResourceAddress::new(Kind::ManagedVirtualNetwork, "default")]
    );
    assert_eq!(
        properties(&desired, Kind::IntegrationRuntime, "vnetIr")["managedVirtualNetwork"],
        json!({"referenceName": "default", "type": "ManagedVirtualNetworkReference"})
    );
    assert_eq!(
        properties(&desired, Kind::LinkedService, "lake")["typeProperties"]["credential"],
        json!({"referenceName": "uami", "type": "CredentialReference"})
    );
    assert_eq!(
        properties(&desired, Kind::Credential, "uami")["type"],
        "ManagedIdentity"
    );
    let cdc = desired
        .get(&ResourceAddress::new(Kind::ChangeDataCapture, "cdc1"))
        .unwrap();
    assert!(
        cdc.path.ends_with("/factories/fac/adfcdcs/cdc1"),
        "{}",
        cdc.path
    );
}

#[test]
fn the_managed_virtual_network_is_named_default_and_references_must_resolve() {
    let found = errors("managedVirtualNetworks:\n  mine: {}\n");
    assert!(
        found
            .iter()
            .any(|d| d.message.contains("must be named `default`")),
        "{found:?}"
    );
    let found = errors(
        "linkedServices:\n  lake:\n    type: AzureBlobFS\n    typeProperties: {url: 'https://st.dfs.core.windows.net', credential: missing}\n",
    );
    assert!(
        found.iter().any(|d| d.message.contains("missing")),
        "{found:?}"
    );
}
