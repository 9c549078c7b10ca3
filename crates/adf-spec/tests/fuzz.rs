//! The loader never panics or hangs, whatever it is given: random bytes, YAML-ish token soup,
//! random mutations of the real examples, and hand-made hostile inputs (alias bombs, deep
//! nesting, huge files). Every case must end in `Ok` or in diagnostics with a position.
#![allow(clippy::unwrap_used)]

use adf_spec::{Diagnostic, LoadOptions, SourceForm, SpecSource, load};
use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

static CASES: AtomicUsize = AtomicUsize::new(0);

/// Cases per property; `ADFCTL_FUZZ_CASES` raises it for a longer run.
fn cases_per_property() -> u32 {
    std::env::var("ADFCTL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128)
}

fn options() -> LoadOptions {
    let mut options = LoadOptions::default();
    options.env.insert(
        "STORAGE_CONNECTION_STRING".into(),
        "UseDevelopmentStorage=true".into(),
    );
    options.vars.insert("env".into(), "fuzz".into());
    options
}

/// Loads and checks the result is well-formed.
fn check(sources: &[SpecSource]) {
    CASES.fetch_add(1, Ordering::Relaxed);
    match load(sources, &options()) {
        Ok(loaded) => {
            assert!(!loaded.desired.resources.is_empty());
            assert!(loaded.warnings.iter().all(|d| !d.is_error()));
        }
        Err(diagnostics) => {
            assert!(diagnostics.iter().any(Diagnostic::is_error));
            for diagnostic in diagnostics {
                assert!(
                    diagnostic.line >= 1 && diagnostic.column >= 1,
                    "{diagnostic}"
                );
                let source = sources.iter().find(|s| s.name == diagnostic.file).unwrap();
                assert!(
                    diagnostic.offset + diagnostic.length <= source.text.len(),
                    "{diagnostic}"
                );
                assert!(
                    source.text.is_char_boundary(diagnostic.offset),
                    "{diagnostic}"
                );
            }
        }
    }
}

fn check_text(text: &str) {
    check(&[SpecSource::new("fuzz.yaml", text)]);
}

fn examples() -> Vec<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs");
    let mut texts = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(root)];
    dirs.push(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures").into());
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                texts.push(std::fs::read_to_string(path).unwrap());
            }
        }
    }
    texts.sort();
    texts
}

/// One edit of a text: (kind, position fraction, length, inserted text).
fn mutate(text: &str, edits: &[(u8, f64, usize, String)]) -> String {
    let mut text = text.to_owned();
    for (kind, at, length, insert) in edits {
        let mut index = ((text.len() as f64) * at) as usize;
        while !text.is_char_boundary(index) {
            index -= 1;
        }
        let mut end = (index + length).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        match kind % 4 {
            0 => text.replace_range(index..end, ""),
            1 => text.insert_str(index, insert),
            2 => {
                let copy = text[index..end].to_owned();
                text.insert_str(index, &copy);
            }
            _ => text.replace_range(index..end, insert),
        }
    }
    text
}

fn yamlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just(":".to_owned()),
        Just(": ".to_owned()),
        Just("\n".to_owned()),
        Just("\n  ".to_owned()),
        Just("- ".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(", ".to_owned()),
        Just("&a ".to_owned()),
        Just("*a".to_owned()),
        Just("<<: ".to_owned()),
        Just("!!str ".to_owned()),
        Just("!x ".to_owned()),
        Just("'".to_owned()),
        Just("\"".to_owned()),
        Just("|\n".to_owned()),
        Just("# c\n".to_owned()),
        Just("---\n".to_owned()),
        Just("${env:HOME}".to_owned()),
        Just("${var:env}".to_owned()),
        Just("${".to_owned()),
        Just("secretFromEnv: X".to_owned()),
        Just("referenceName".to_owned()),
        Just("type".to_owned()),
        Just("factory".to_owned()),
        Just("pipelines".to_owned()),
        Just("activities".to_owned()),
        Just("linkedServiceName".to_owned()),
        Just("runtimeState".to_owned()),
        Just("12".to_owned()),
        Just("é".to_owned()),
        Just("\t".to_owned()),
        Just("\u{0}".to_owned()),
        "[a-zA-Z_]{1,8}",
    ];
    prop::collection::vec(token, 0..80).prop_map(|tokens| tokens.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases_per_property(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        CASES.fetch_add(1, Ordering::Relaxed);
        match SpecSource::from_bytes("fuzz.bin", bytes) {
            Ok(source) => check(&[source]),
            Err(diagnostic) => prop_assert!(diagnostic.is_error()),
        }
    }

    #[test]
    fn random_yamlish_text(text in yamlish()) {
        check_text(&text);
    }

    #[test]
    fn mutated_examples(
        which in 0usize..64,
        edits in prop::collection::vec((any::<u8>(), 0.0f64..1.0, 0usize..40, yamlish()), 1..6),
    ) {
        let examples = examples();
        let text = &examples[which % examples.len()];
        check_text(&mutate(text, &edits));
    }

    #[test]
    fn mutated_overlays(edits in prop::collection::vec((any::<u8>(), 0.0f64..1.0, 0usize..40, yamlish()), 1..4)) {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs/overlay");
        let base = std::fs::read_to_string(format!("{root}/base.yaml")).unwrap();
        let prod = std::fs::read_to_string(format!("{root}/prod.yaml")).unwrap();
        check(&[SpecSource::new("base.yaml", base), SpecSource::new("prod.yaml", mutate(&prod, &edits))]);
    }
}

/// A small factory template as ADF's publish writes it, and a target overlay for it.
const ARM_TEMPLATE: &str = r#"{
	"$schema": "http://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
	"parameters": {
		"factoryName": {"type": "string", "defaultValue": "f"},
		"url": {"type": "string", "defaultValue": "https://a.blob.core.windows.net/"}
	},
	"variables": {"factoryId": "[concat('Microsoft.DataFactory/factories/', parameters('factoryName'))]"},
	"resources": [
		{"name": "[concat(parameters('factoryName'), '/ls')]", "type": "Microsoft.DataFactory/factories/linkedServices",
		 "properties": {"type": "AzureBlobStorage", "typeProperties": {"serviceEndpoint": "[parameters('url')]"}}, "dependsOn": []},
		{"name": "[concat(parameters('factoryName'), '/p')]", "type": "Microsoft.DataFactory/factories/pipelines",
		 "properties": {"activities": [{"name": "w", "type": "Wait", "typeProperties": {"waitTimeInSeconds": 1}}]},
		 "dependsOn": ["[concat(variables('factoryId'), '/linkedServices/ls')]"]}
	]
}"#;

const ARM_TARGET: &str = "subscription: 00000000-0000-0000-0000-000000000000\nresourceGroup: {name: rg, location: eastus}\nfactory: {name: f, location: eastus}\n";

fn check_arm_template(text: &str) {
    check(&[
        SpecSource::new("ARMTemplateForFactory.json", text).with_form(SourceForm::ArmTemplate),
        SpecSource::new("target.yaml", ARM_TARGET),
    ]);
}

fn arm_token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("[[".to_owned()),
        Just("concat(".to_owned()),
        Just("parameters('factoryName')".to_owned()),
        Just("variables('factoryId')".to_owned()),
        Just("'".to_owned()),
        Just(", ".to_owned()),
        Just(")".to_owned()),
        Just("\"".to_owned()),
        Just("resourceGroup().location".to_owned()),
        yamlish(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases_per_property(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_arm_templates(edits in prop::collection::vec((any::<u8>(), 0.0f64..1.0, 0usize..40, arm_token()), 1..6)) {
        check_arm_template(&mutate(ARM_TEMPLATE, &edits));
    }
}

#[test]
fn arm_variables_that_double_each_other_end_in_a_diagnostic() {
    let mut variables = vec![r#""v0": "abcdefgh""#.to_owned()];
    for i in 1..64 {
        variables.push(format!(
            r#""v{i}": "[concat(variables('v{p}'), variables('v{p}'))]""#,
            p = i - 1
        ));
    }
    let text = ARM_TEMPLATE
        .replace(
            r#""variables": {"factoryId""#,
            &format!(r#""variables": {{{}, "factoryId""#, variables.join(", ")),
        )
        .replace("[parameters('url')]", "[variables('v63')]");
    let started = std::time::Instant::now();
    check_arm_template(&text);
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

#[test]
fn hostile_inputs_end_in_diagnostics() {
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..20 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let mut deep_block = String::new();
    for i in 0..5000 {
        deep_block.push_str(&" ".repeat(i));
        deep_block.push_str("k:\n");
    }
    let cases = [
        bomb,
        "[".repeat(200_000),
        "{a: ".repeat(100_000),
        "- ".repeat(100_000),
        deep_block,
        format!("factory: {{name: \"{}\"}}", "x".repeat(2_000_000)),
        "x".repeat(adf_spec::limits::MAX_FILE_BYTES + 1),
        "a: b\n".repeat(400_000),
        "&a [*a]".into(),
        "*unknown".into(),
        "\u{feff}factory: {}".into(),
        "\r\n\r\nfactory:\r\n  name: x\r\n".into(),
        "key: \"unterminated".into(),
        "? [complex, key]\n: value".into(),
    ];
    for text in &cases {
        let result = load(
            &[SpecSource::new("hostile.yaml", text.as_str())],
            &options(),
        );
        let diagnostics = result.expect_err("hostile input must not load");
        assert!(diagnostics.iter().any(Diagnostic::is_error));
    }
}

#[test]
fn large_specs_stay_fast_enough() {
    // Many distinct keys, many entities, long reference chains: no quadratic blow-up.
    let mut keys = String::new();
    for i in 0..60_000 {
        keys.push_str(&format!("k{i}: v\n"));
    }
    let diagnostics = load(&[SpecSource::new("keys.yaml", keys)], &options()).unwrap_err();
    assert!(diagnostics.len() >= 60_000);

    let mut chain = String::from(
        "subscription: 00000000-0000-0000-0000-000000000000\nresourceGroup: {name: rg, location: x}\nfactory: {name: fac, location: x}\npipelines:\n",
    );
    let n = 2000;
    for i in 0..n {
        let next = (i + 1) % n;
        chain.push_str(&format!("  p{i}: {{activities: [{{name: a, type: ExecutePipeline, typeProperties: {{pipeline: p{next}}}, dependsOn: [{{activity: missing}}]}}]}}\n"));
    }
    let diagnostics = load(&[SpecSource::new("chain.yaml", chain)], &options()).unwrap_err();
    let cycles: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.code == "cycle").collect();
    assert_eq!(cycles.len(), 1);
    assert!(
        cycles[0].message.contains("more) …"),
        "{}",
        cycles[0].message
    );
    assert!(cycles[0].message.len() < 1000);
}

#[test]
fn zz_report_case_count() {
    // Runs after the others in the default (alphabetical, single-threaded or not) order only by
    // chance; the count is informative, the assertions are in the other tests.
    println!(
        "fuzz: {} loader cases so far in this process",
        CASES.load(Ordering::Relaxed)
    );
}
