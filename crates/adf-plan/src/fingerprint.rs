//! Secret fingerprints: how a plan tells whether a secret changed when ARM only returns
//! `**********`.
//!
//! On every PUT of a body with secrets the engine stores, in the entity's
//! `properties.annotations`, the string `adfctl:secrets:v1:<salt hex>:<digest hex>`, where the
//! digest is PBKDF2-HMAC-SHA256 ([`ITERATIONS`] rounds, 32 bytes) of the (pointer, value)
//! pairs, keyed with a random salt the engine generates. A plan recomputes the digest of the
//! desired values with the live salt and compares. See `docs/plan-format.md` for the design
//! and its cost.

use adf_core::{DesiredResource, Kind, secret};
use serde_json::Value;

/// Whether entities of `kind` have `properties.annotations` (integration runtimes have none in
/// the swagger, `arm-swagger/entityTypes/IntegrationRuntime.json`).
fn has_annotations(kind: Kind) -> bool {
    kind != Kind::IntegrationRuntime
}

/// Every adfctl secrets annotation starts with this (any version).
pub const PREFIX: &str = "adfctl:secrets:";

/// The version-1 prefix.
const PREFIX_V1: &str = "adfctl:secrets:v1:";

/// Domain separation: a v1 digest can never equal another use of the same KDF.
const DOMAIN_V1: &[u8] = b"adfctl:secrets:v1\0";

/// PBKDF2 rounds of version 1 (fixed by the version: changing it needs a `v2`).
pub const ITERATIONS: u32 = 100_000;

/// Length of the digest in bytes.
const DIGEST_LEN: usize = 32;

/// The annotation string for `secrets` (JSON pointer, value) under `salt`. The order of the
/// pairs does not matter.
pub fn fingerprint(salt: &[u8], secrets: &[(&str, &str)]) -> String {
    format!(
        "{PREFIX_V1}{}:{}",
        hex(salt),
        hex(&digest(salt, secrets, ITERATIONS))
    )
}

fn digest(salt: &[u8], secrets: &[(&str, &str)], rounds: u32) -> [u8; DIGEST_LEN] {
    let mut pairs: Vec<&(&str, &str)> = secrets.iter().collect();
    pairs.sort();
    // Length-prefixed, so no two different pair lists encode to the same bytes.
    let mut password = Vec::new();
    for (pointer, value) in pairs {
        for part in [pointer.as_bytes(), value.as_bytes()] {
            password.extend_from_slice(&(part.len() as u64).to_be_bytes());
            password.extend_from_slice(part);
        }
    }
    let mut salted = DOMAIN_V1.to_vec();
    salted.extend_from_slice(salt);
    let mut out = [0u8; DIGEST_LEN];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(&password, &salted, rounds, &mut out);
    // The password buffer holds secret values: overwrite it before it is freed.
    password.iter_mut().for_each(|b| *b = 0);
    out
}

/// Parses an annotation into (salt, digest). `None` when it is not a well-formed v1
/// fingerprint.
pub fn parse(annotation: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let rest = annotation.strip_prefix(PREFIX_V1)?;
    let (salt, digest) = rest.split_once(':')?;
    let salt = unhex(salt)?;
    let digest = unhex(digest)?;
    (!salt.is_empty() && digest.len() == DIGEST_LEN).then_some((salt, digest))
}

/// Whether `annotation` is the fingerprint of exactly these secrets. `None` when the
/// annotation cannot be parsed (another version, or damaged).
pub fn matches(annotation: &str, secrets: &[(&str, &str)]) -> Option<bool> {
    let (salt, expected) = parse(annotation)?;
    let actual = digest(&salt, secrets, ITERATIONS);
    // Constant-time comparison: cheap, and removes a question nobody should have to ask.
    let difference = actual
        .iter()
        .zip(expected.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    Some(difference == 0)
}

/// The adfctl secrets annotation of a body: in `properties.annotations`, or for the kinds that
/// have no annotations (integration runtimes: the swagger gives them none) the last line of
/// `properties.description`.
pub fn find(body: &Value) -> Option<&str> {
    let in_annotations = body
        .pointer("/properties/annotations")
        .and_then(Value::as_array)
        .and_then(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .find(|text| text.starts_with(PREFIX))
        });
    in_annotations.or_else(|| {
        let description = body.pointer("/properties/description")?.as_str()?;
        let last = description
            .rsplit_once('\n')
            .map_or(description, |(_, last)| last);
        last.starts_with(PREFIX).then_some(last)
    })
}

/// A description without the adfctl fingerprint line that [`with_fingerprint`] appends for
/// the kinds without annotations; `None` when nothing is left of it.
pub fn description_without_fingerprint(description: &str) -> Option<String> {
    let kept = match description.rsplit_once('\n') {
        Some((before, last)) if last.starts_with(PREFIX) => before,
        None if description.starts_with(PREFIX) => "",
        _ => description,
    };
    (!kept.is_empty()).then(|| kept.to_owned())
}

/// A copy of `body` with `annotation` stored where [`find`] looks for it: in
/// `properties.annotations` (replacing any earlier adfctl secrets annotation and keeping the
/// user's annotations in order), or for integration runtimes as the last line of
/// `properties.description`.
pub fn with_fingerprint(kind: Kind, body: &Value, annotation: String) -> Value {
    let mut body = body.clone();
    let Some(map) = body.as_object_mut() else {
        return body;
    };
    let properties = map
        .entry("properties")
        .or_insert_with(|| Value::Object(Default::default()));
    let Some(properties) = properties.as_object_mut() else {
        return body;
    };
    if !has_annotations(kind) {
        let user = properties
            .get("description")
            .and_then(Value::as_str)
            .and_then(description_without_fingerprint);
        let text = match user {
            Some(user) => format!("{user}\n{annotation}"),
            None => annotation,
        };
        properties.insert("description".into(), Value::String(text));
        return body;
    }
    let annotations = properties
        .entry("annotations")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !annotations.is_array() {
        *annotations = Value::Array(Vec::new());
    }
    if let Value::Array(items) = annotations {
        items.retain(|a| !a.as_str().is_some_and(|text| text.starts_with(PREFIX)));
        items.push(Value::String(annotation));
    }
    body
}

/// The (pointer, value) pairs of every secret in a desired resource, sorted by pointer: the
/// secret slots and `SecureString` values, and the credential parts of plain connection strings
/// (labelled `pointer#Key`), which ARM takes out and never returns. Non-string values are
/// fingerprinted as their JSON text. Never print the result.
pub fn secret_pairs(resource: &DesiredResource) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = resource
        .all_secret_pointers()
        .into_iter()
        .filter_map(|pointer| {
            let value = match resource.body.pointer(&pointer)? {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            Some((pointer, value))
        })
        .collect();
    pairs.extend(secret::connection_string_credentials(&resource.body));
    pairs.sort();
    pairs
}

/// The fingerprint of a desired resource's secrets under `salt`; `None` when it has none.
pub fn of_resource(resource: &DesiredResource, salt: &[u8]) -> Option<String> {
    let pairs = secret_pairs(resource);
    if pairs.is_empty() {
        return None;
    }
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(p, v)| (p.as_str(), v.as_str()))
        .collect();
    Some(fingerprint(salt, &borrowed))
}

/// The body the engine PUTs for a desired child resource: its body with the fingerprint of
/// its secrets (under `salt`) in `properties.annotations`, or the body unchanged when it has
/// no secrets.
pub fn body_with_fingerprint(resource: &DesiredResource, salt: &[u8]) -> Value {
    match of_resource(resource, salt) {
        Some(annotation) => with_fingerprint(resource.address.kind, &resource.body, annotation),
        None => resource.body.clone(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pbkdf2_matches_the_rfc_7914_test_vector() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1, dkLen=64 (first 32).
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"passwd", b"salt", 1, &mut out);
        assert_eq!(
            hex(&out),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
    }

    #[test]
    fn round_trip_detects_changes_and_ignores_order() {
        let salt = b"0123456789abcdef";
        let a = fingerprint(salt, &[("/a", "one"), ("/b", "two")]);
        let (parsed_salt, digest) = parse(&a).expect("parses");
        assert_eq!(parsed_salt, salt);
        assert_eq!(digest.len(), 32);
        assert!(!a.contains("one") && !a.contains("two"));
        assert_eq!(matches(&a, &[("/b", "two"), ("/a", "one")]), Some(true));
        assert_eq!(matches(&a, &[("/a", "one"), ("/b", "twO")]), Some(false));
        // Moving a value to another pointer is a change too.
        assert_eq!(matches(&a, &[("/a", "two"), ("/b", "one")]), Some(false));
        assert_eq!(matches("adfctl:secrets:v9:00:00", &[]), None);
    }

    #[test]
    fn parse_rejects_damaged_annotations() {
        for bad in [
            "",
            "adfctl:secrets:v1:",
            "adfctl:secrets:v1:zz:00",
            "adfctl:secrets:v1:0011:abcd",
            "adfctl:secrets:v1::0000000000000000000000000000000000000000000000000000000000000000",
            "adfctl:secrets:v1:001:0000000000000000000000000000000000000000000000000000000000000000",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn with_fingerprint_replaces_and_keeps_user_annotations() {
        let body = json!({"properties": {"annotations": ["mine", "adfctl:secrets:v1:old:old"]}});
        let updated = with_fingerprint(Kind::Pipeline, &body, "adfctl:secrets:v1:new".into());
        assert_eq!(
            updated["properties"]["annotations"],
            json!(["mine", "adfctl:secrets:v1:new"])
        );
        let bare = with_fingerprint(
            Kind::LinkedService,
            &json!({"properties": {}}),
            "adfctl:secrets:v1:x".into(),
        );
        assert_eq!(find(&bare), Some("adfctl:secrets:v1:x"));
    }

    #[test]
    fn integration_runtimes_keep_it_on_the_last_line_of_their_description() {
        let ir = Kind::IntegrationRuntime;
        let body = json!({"properties": {"type": "Managed", "description": "SSIS"}});
        let once = with_fingerprint(ir, &body, "adfctl:secrets:v1:a".into());
        assert_eq!(
            once["properties"]["description"],
            "SSIS\nadfctl:secrets:v1:a"
        );
        assert!(once["properties"].get("annotations").is_none());
        assert_eq!(find(&once), Some("adfctl:secrets:v1:a"));
        let twice = with_fingerprint(ir, &once, "adfctl:secrets:v1:b".into());
        assert_eq!(
            twice["properties"]["description"],
            "SSIS\nadfctl:secrets:v1:b"
        );
        let bare = with_fingerprint(ir, &json!({"properties": {}}), "adfctl:secrets:v1:c".into());
        assert_eq!(bare["properties"]["description"], "adfctl:secrets:v1:c");
        assert_eq!(description_without_fingerprint("adfctl:secrets:v1:c"), None);
        assert_eq!(
            description_without_fingerprint("SSIS\nadfctl:secrets:v1:c").as_deref(),
            Some("SSIS")
        );
    }
}
