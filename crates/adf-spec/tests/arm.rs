//! A factory's ARM template (and its parameters file) as a spec source: what it becomes,
//! which expressions are resolved, and where the others are reported.
#![allow(clippy::unwrap_used)]

use adf_core::{Kind, ResourceAddress};
use adf_spec::{LoadOptions, SourceForm, SpecSource, arm, load};
use serde_json::json;

const TARGET: &str = "subscription: 00000000-0000-0000-0000-000000000000\nresourceGroup: {name: rg, location: eastus}\nfactory: {name: prod-factory, location: eastus}\n";

/// A template as ADF's publish branch writes it (tabs, `factoryId`, `dependsOn`).
const TEMPLATE: &str = r#"{
	"$schema": "http://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
	"contentVersion": "1.0.0.0",
	"parameters": {
		"factoryName": {"type": "string", "metadata": "Data Factory name", "defaultValue": "dev-factory"},
		"storage_connectionString": {"type": "secureString"},
		"storage_properties_typeProperties_container": {"type": "string", "defaultValue": "dev"},
		"waitSeconds": {"type": "int", "defaultValue": 5}
	},
	"variables": {
		"factoryId": "[concat('Microsoft.DataFactory/factories/', parameters('factoryName'))]"
	},
	"resources": [
		{
			"name": "[concat(parameters('factoryName'), '/storage')]",
			"type": "Microsoft.DataFactory/factories/linkedServices",
			"apiVersion": "2018-06-01",
			"properties": {
				"type": "AzureBlobStorage",
				"typeProperties": {"connectionString": "[parameters('storage_connectionString')]"}
			},
			"dependsOn": []
		},
		{
			"name": "[concat(parameters('factoryName'), '/files')]",
			"type": "Microsoft.DataFactory/factories/datasets",
			"apiVersion": "2018-06-01",
			"properties": {
				"type": "Binary",
				"linkedServiceName": {"referenceName": "storage", "type": "LinkedServiceReference"},
				"typeProperties": {"location": {"type": "AzureBlobStorageLocation", "container": "[concat('c-', parameters('storage_properties_typeProperties_container'))]", "folderPath": "[[literal]"}}
			},
			"dependsOn": ["[concat(variables('factoryId'), '/linkedServices/storage')]"]
		},
		{
			"name": "[concat(parameters('factoryName'), '/wait')]",
			"type": "Microsoft.DataFactory/factories/pipelines",
			"apiVersion": "2018-06-01",
			"properties": {
				"activities": [{"name": "w", "type": "Wait", "typeProperties": {"waitTimeInSeconds": "[parameters('waitSeconds')]"}}],
				"annotations": ["[variables('factoryId')]"]
			},
			"dependsOn": ["[variables('factoryId')]"]
		},
		{
			"name": "[parameters('factoryName')]",
			"type": "Microsoft.DataFactory/factories",
			"apiVersion": "2018-06-01",
			"location": "westeurope",
			"properties": {"globalParameters": {"env": {"type": "string", "value": "dev"}}}
		}
	]
}"#;

const PARAMETERS: &str = r#"{
	"$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentParameters.json#",
	"contentVersion": "1.0.0.0",
	"parameters": {
		"factoryName": {"value": "dev-factory"},
		"storage_connectionString": {"value": "UseDevelopmentStorage=true"},
		"storage_properties_typeProperties_container": {"value": "prod"}
	}
}"#;

fn template(text: &str) -> SpecSource {
    SpecSource::new("arm/ARMTemplateForFactory.json", text).with_form(SourceForm::ArmTemplate)
}

fn parameters(text: &str) -> SpecSource {
    SpecSource::new("arm/ARMTemplateParametersForFactory.json", text)
        .with_form(SourceForm::ArmParameters)
}

#[test]
fn the_files_are_detected_by_their_schema_and_resources() {
    assert_eq!(arm::detect(TEMPLATE), Some(SourceForm::ArmTemplate));
    assert_eq!(arm::detect(PARAMETERS), Some(SourceForm::ArmParameters));
    // A byte-order mark, as Windows tools write, changes nothing.
    let with_bom = format!("\u{feff}{TEMPLATE}");
    assert_eq!(arm::detect(&with_bom), Some(SourceForm::ArmTemplate));
    load(
        &[
            template(&with_bom),
            parameters(PARAMETERS),
            SpecSource::new("prod.yaml", TARGET),
        ],
        &LoadOptions::default(),
    )
    .unwrap();
    // A template without a factory, and a Studio file, are not.
    assert_eq!(
        arm::detect(
            r#"{"$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#", "resources": [{"type": "Microsoft.Storage/storageAccounts"}]}"#
        ),
        None
    );
    assert_eq!(arm::detect(r#"{"name": "p", "properties": {}}"#), None);
}

#[test]
fn a_template_with_parameters_and_a_target_overlay_loads() {
    let sources = [
        template(TEMPLATE),
        parameters(PARAMETERS),
        SpecSource::new("prod.yaml", TARGET),
    ];
    let loaded = load(&sources, &LoadOptions::default()).unwrap();
    let desired = &loaded.desired;
    // The overlay names the factory, not the template's `factoryName`.
    assert_eq!(desired.target.factory, "prod-factory");
    let get = |kind, name| {
        desired
            .get(&ResourceAddress::new(kind, name))
            .unwrap_or_else(|| panic!("{kind:?} {name}"))
            .body
            .clone()
    };
    // A parameter from the parameters file.
    assert_eq!(
        get(Kind::LinkedService, "storage")["properties"]["typeProperties"]["connectionString"],
        "UseDevelopmentStorage=true"
    );
    // `concat` of a literal and a parameter; `[[` is a literal `[`.
    let location = &get(Kind::Dataset, "files")["properties"]["typeProperties"]["location"];
    assert_eq!(location["container"], "c-prod");
    assert_eq!(location["folderPath"], "[literal]");
    // A default value keeps its type; a variable resolves; `dependsOn` of the resource is gone.
    let wait = get(Kind::Pipeline, "wait");
    assert_eq!(
        wait["properties"]["activities"][0]["typeProperties"]["waitTimeInSeconds"],
        json!(5)
    );
    assert_eq!(
        wait["properties"]["annotations"][0],
        "Microsoft.DataFactory/factories/dev-factory"
    );
    assert!(wait.get("dependsOn").is_none());
    // The factory resource gives the global parameters (a child entity, as from Studio).
    assert_eq!(
        get(Kind::GlobalParameters, "default"),
        json!({"properties": {"env": {"type": "string", "value": "dev"}}})
    );
    assert_eq!(
        adf_spec::summary(desired),
        "1 resource group, 1 factory, 1 global parameter, 1 linked service, 1 dataset, 1 pipeline"
    );
}

#[test]
fn an_overlay_changes_what_the_template_defines() {
    let sources = [
        template(TEMPLATE),
        parameters(PARAMETERS),
        SpecSource::new(
            "prod.yaml",
            format!(
                "{TARGET}linkedServices:\n  storage:\n    typeProperties: {{connectionString: '${{env:CONN}}'}}\n"
            ),
        ),
    ];
    let options = LoadOptions {
        env: [("CONN".to_owned(), "UseDevelopmentStorage=true;x".to_owned())].into(),
        ..LoadOptions::default()
    };
    let loaded = load(&sources, &options).unwrap();
    let storage = loaded
        .desired
        .get(&ResourceAddress::new(Kind::LinkedService, "storage"))
        .unwrap();
    assert_eq!(
        storage.body["properties"]["typeProperties"]["connectionString"],
        "UseDevelopmentStorage=true;x"
    );
}

#[test]
fn a_parameter_without_a_value_is_reported_where_it_is_used() {
    // A string parameter with neither a value nor a default.
    let text = TEMPLATE.replace(
        r#""waitSeconds": {"type": "int", "defaultValue": 5}"#,
        r#""waitSeconds": {"type": "int"}"#,
    );
    let errors = load(
        &[
            template(&text),
            parameters(PARAMETERS),
            SpecSource::new("prod.yaml", TARGET),
        ],
        &LoadOptions::default(),
    )
    .unwrap_err();
    let error = errors
        .iter()
        .find(|d| d.code == "unsupported-arm-expression")
        .unwrap_or_else(|| panic!("{errors:#?}"));
    assert_eq!(error.file, "arm/ARMTemplateForFactory.json");
    assert_eq!((error.line, error.column), (40, 90), "{error}");
    assert!(
        error.message.contains("`waitSeconds` has no value"),
        "{error}"
    );
}

#[test]
fn an_empty_secure_string_comes_from_the_environment_variable_of_its_name() {
    // No parameters file (ADF's publish leaves secure strings empty there anyway).
    let sources = [template(TEMPLATE), SpecSource::new("prod.yaml", TARGET)];
    let options = LoadOptions {
        env: [(
            "storage_connectionString".to_owned(),
            "UseDevelopmentStorage=true".to_owned(),
        )]
        .into(),
        ..LoadOptions::default()
    };
    let loaded = load(&sources, &options).unwrap();
    let storage = loaded
        .desired
        .get(&ResourceAddress::new(Kind::LinkedService, "storage"))
        .unwrap();
    assert_eq!(
        storage.body["properties"]["typeProperties"]["connectionString"],
        json!({"type": "SecureString", "value": "UseDevelopmentStorage=true"})
    );
    // Unset: an error where the template uses the parameter, naming the variable.
    let errors = load(&sources, &LoadOptions::default()).unwrap_err();
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let error = errors
        .iter()
        .find(|d| d.is_error() && d.message.contains("storage_connectionString"))
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert_eq!(error.file, "arm/ARMTemplateForFactory.json", "{lines:#?}");
    assert_eq!((error.line, error.column), (20, 44), "{lines:#?}");
}

#[test]
fn an_unsupported_expression_is_reported_with_its_position_and_a_hint() {
    let text = TEMPLATE.replace(
        "\"[parameters('waitSeconds')]\"",
        "\"[add(parameters('waitSeconds'), 1)]\"",
    );
    let errors = load(
        &[
            template(&text),
            parameters(PARAMETERS),
            SpecSource::new("prod.yaml", TARGET),
        ],
        &LoadOptions::default(),
    )
    .unwrap_err();
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let error = errors
        .iter()
        .find(|d| d.code == "unsupported-arm-expression")
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert_eq!((error.line, error.column), (40, 90), "{lines:#?}");
    assert!(error.message.contains("`add(...)`"), "{error}");
    assert!(
        error.hint.as_deref().unwrap_or_default().contains("concat"),
        "{error}"
    );
}

#[test]
fn a_template_alone_asks_for_the_target() {
    let errors = load(
        &[template(TEMPLATE), parameters(PARAMETERS)],
        &LoadOptions::default(),
    )
    .unwrap_err();
    assert!(
        errors.iter().any(|d| d.message.contains("subscription")),
        "{errors:#?}"
    );
}

#[test]
fn resources_that_are_not_the_factorys_are_skipped_with_a_warning() {
    let text = TEMPLATE.replace(
        "\"resources\": [",
        "\"resources\": [{\"name\": \"x\", \"type\": \"Microsoft.Resources/deployments\", \"properties\": {}},",
    );
    let loaded = load(
        &[
            template(&text),
            parameters(PARAMETERS),
            SpecSource::new("prod.yaml", TARGET),
        ],
        &LoadOptions::default(),
    )
    .unwrap();
    assert!(
        loaded
            .warnings
            .iter()
            .any(|d| d.code == "ignored-resource" && d.line == 13),
        "{:#?}",
        loaded.warnings
    );
}

#[test]
fn an_exported_template_reads_back_as_the_same_entities() {
    use adf_spec::export::{ExportEntity, ExportInput, export_arm};
    let entity = |kind, name: &str, properties| ExportEntity {
        kind,
        name: name.to_owned(),
        body: json!({ "properties": properties }),
        runtime_state: None,
    };
    let input = ExportInput {
        target: adf_core::FactoryTarget {
            subscription: "00000000-0000-0000-0000-000000000000".into(),
            resource_group: "rg".into(),
            factory: "live-factory".into(),
        },
        resource_group: None,
        manage_resource_group: false,
        factory: json!({"location": "eastus"}),
        entities: vec![
            entity(
                Kind::LinkedService,
                "storage",
                json!({"type": "AzureBlobStorage", "typeProperties": {"connectionString": {"type": "SecureString", "value": "**********"}}}),
            ),
            entity(
                Kind::Pipeline,
                "it's",
                json!({"activities": [{"name": "w", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1}}], "annotations": ["[not an expression]"]}),
            ),
            entity(
                Kind::Dataset,
                "files",
                json!({"type": "Binary", "linkedServiceName": {"referenceName": "storage", "type": "LinkedServiceReference"}}),
            ),
        ],
    };
    let exported = export_arm(&input);
    let names: Vec<&str> = exported.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, [arm::TEMPLATE_FILE, arm::PARAMETERS_FILE]);
    let written: serde_json::Value = serde_json::from_str(&exported.files[0].1).unwrap();
    let dataset = written["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == Kind::Dataset.arm_type())
        .unwrap();
    assert_eq!(
        dataset["dependsOn"],
        json!([
            "[variables('factoryId')]",
            "[concat(variables('factoryId'), '/linkedservices/storage')]"
        ])
    );
    assert_eq!(exported.parameters[0].name, "storage_connectionString");
    // The parameters file leaves the secure string empty; the team fills it in.
    let mut values: serde_json::Value = serde_json::from_str(&exported.files[1].1).unwrap();
    values["parameters"]["storage_connectionString"]["value"] = json!("UseDevelopmentStorage=true");
    let loaded = load(
        &[
            template(&exported.files[0].1),
            parameters(&values.to_string()),
            SpecSource::new("prod.yaml", TARGET),
        ],
        &LoadOptions::default(),
    )
    .unwrap();
    for original in &input.entities {
        let read = loaded
            .desired
            .get(&ResourceAddress::new(original.kind, &original.name))
            .unwrap_or_else(|| panic!("{}", original.name));
        let mut expected = original.body.clone();
        if original.kind == Kind::LinkedService {
            expected["properties"]["typeProperties"]["connectionString"]["value"] =
                json!("UseDevelopmentStorage=true");
        }
        assert_eq!(read.body, expected, "{}", original.name);
    }
}

#[test]
fn a_parameters_file_alone_asks_for_its_template() {
    let errors = load(&[parameters(PARAMETERS)], &LoadOptions::default()).unwrap_err();
    assert!(
        errors.iter().any(|d| d.is_error()
            && d.hint
                .as_deref()
                .unwrap_or_default()
                .contains("ARMTemplateForFactory.json")),
        "{errors:#?}"
    );
}
