//! The saved-plan loader never panics, whatever file it is given: random bytes, truncations,
//! byte edits of a real saved plan, and structural edits whose checksum was recomputed (as a
//! careful forger would), so that the parsing behind the checksum check is exercised too.
//! Whatever loads must also survive every check apply runs on it.
//!
//! `ADFCTL_FUZZ_CASES` raises the cases per property (default 256) for a longer run.
#![allow(clippy::unwrap_used)]

mod common;

use adf_plan::saved::SavedPlan;
use adf_plan::{LiveState, PlanOptions, plan};
use common::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use sha2::Digest;

fn cases_per_property() -> u32 {
    std::env::var("ADFCTL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// A real saved plan (made once: its secret fingerprint costs 100,000 PBKDF2 rounds).
fn saved_text() -> String {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        let desired = seed_lab();
        let plan = plan(&desired, &LiveState::empty(), &PlanOptions::apply());
        SavedPlan::new(&plan, &desired, &PlanOptions::apply(), SALT).to_file_string()
    })
    .clone()
}

/// Re-computes the checksum after an edit (the same rule as `saved.rs`'s test helper).
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
    let Some(map) = document.as_object_mut() else {
        return;
    };
    map.remove("checksum");
    let digest = sha2::Sha256::digest(sorted(&Value::Object(map.clone())).to_string().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    map.insert("checksum".into(), json!(format!("sha256:{hex}")));
}

/// Loads `text`; whatever loads goes through every check apply makes.
fn check(text: &str) {
    let Ok(saved) = SavedPlan::from_file_str(text) else {
        return;
    };
    let _ = saved.options();
    let _ = saved.check_target(&target());
    let _ = saved.check_live(&LiveState::empty());
    let _ = saved.matches_desired(&seed_lab());
    // An unset variable: refused before any secret is compared.
    let _ = saved.desired_state(|_| None);
    // Writing it back gives a file that loads again, and writing is then stable. (Equality of
    // the loaded plans is too strong for forged files: a body edited to `null` loads as
    // `Some(null)` and is written back as absent.)
    let written = saved.to_file_string();
    let again = SavedPlan::from_file_str(&written).expect("a written plan loads again");
    assert_eq!(again.to_file_string(), written);
}

/// Every value in the document, as a path of keys and indices.
fn paths(value: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(key.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                prefix.push(i.to_string());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'a>(value: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |value, key| match value {
        Value::Object(map) => map.get_mut(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        _ => None,
    })
}

fn replacement(choice: u8, text: &str, number: i64) -> Value {
    match choice % 9 {
        0 => Value::Null,
        1 => json!(number),
        2 => json!(text),
        3 => json!(number % 2 == 0),
        4 => json!([]),
        5 => json!({}),
        6 => json!([text, number]),
        7 => json!({text: number}),
        _ => json!(f64::from(number as i32) / 7.0),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases_per_property(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn truncations(at in 0.0f64..1.0) {
        let text = saved_text();
        let mut cut = (text.len() as f64 * at) as usize;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        check(&text[..cut]);
    }

    #[test]
    fn byte_edits(edits in prop::collection::vec((0.0f64..1.0, any::<u8>()), 1..8)) {
        let mut bytes = saved_text().into_bytes();
        for (at, byte) in edits {
            let i = ((bytes.len() - 1) as f64 * at) as usize;
            bytes[i] = byte;
        }
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn structural_edits_with_a_valid_checksum(
        edits in prop::collection::vec(
            (0.0f64..1.0, any::<u8>(), "[a-zA-Z0-9/._-]{0,24}", any::<i64>()),
            1..5,
        )
    ) {
        let mut document: Value = serde_json::from_str(&saved_text()).unwrap();
        for (at, choice, text, number) in edits {
            let mut all = Vec::new();
            paths(&document, &mut Vec::new(), &mut all);
            let path = &all[((all.len() - 1) as f64 * at) as usize];
            if choice >= 240 && !path.is_empty() {
                // Remove a key or an item.
                let (last, parent) = path.split_last().unwrap();
                match at_mut(&mut document, parent) {
                    Some(Value::Object(map)) => {
                        map.remove(last);
                    }
                    Some(Value::Array(items)) => {
                        if let Ok(i) = last.parse::<usize>() && i < items.len() {
                            items.remove(i);
                        }
                    }
                    _ => {}
                }
            } else if let Some(slot) = at_mut(&mut document, path) {
                *slot = replacement(choice, &text, number);
            }
        }
        rechecksum(&mut document);
        check(&document.to_string());
    }
}

#[test]
fn the_unedited_file_loads_and_passes_the_checks() {
    let text = saved_text();
    assert!(SavedPlan::from_file_str(&text).is_ok());
    check(&text);
}
