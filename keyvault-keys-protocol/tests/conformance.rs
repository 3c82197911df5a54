//! Conformance with Microsoft's 2025-07-01 examples, read at test time from
//! `../shared/reference/keyvault-keys-spec/2025-07-01/examples/` (or the
//! folder named by `KEYVAULT_EXAMPLES_DIR`). Nothing of them is copied here.
//! Without the folder the test says why it skips, unless `CI` is set: then
//! it fails (the workspace's one rule, in `xtask/src/reference.rs`).
//!
//! Every response body deserialises into the generated type and serialises
//! back with no field lost; every request body does the same through the
//! generated request type. Unknown enum values and unknown fields survive.

use std::path::PathBuf;

use keyvault_keys_protocol::{enums, types};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

#[path = "../../xtask/src/reference.rs"]
#[allow(dead_code)]
mod reference;

fn examples_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("KEYVAULT_EXAMPLES_DIR") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/reference/keyvault-keys-spec/2025-07-01/examples")
}

/// Drops `null` members (the service sends `"nextLink": null`; an absent
/// optional field serialises as nothing) so equivalent documents compare equal.
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Deserialises `doc` as `T`, serialises it again, and checks nothing was
/// lost or changed.
fn round_trip<T: DeserializeOwned + Serialize>(what: &str, doc: &Value) -> Result<(), String> {
    let typed: T = serde_json::from_value(doc.clone())
        .map_err(|e| format!("{what}: does not deserialise: {e}"))?;
    let back =
        serde_json::to_value(&typed).map_err(|e| format!("{what}: does not serialise: {e}"))?;
    let (want, got) = (without_nulls(doc), without_nulls(&back));
    if want != got {
        return Err(format!(
            "{what}: round trip changed the document\n  sent: {want}\n  back: {got}"
        ));
    }
    Ok(())
}

type Check = fn(&str, &Value) -> Result<(), String>;
/// The request body's parameter name and check, and the response's check.
type Checks = (Option<(&'static str, Check)>, Option<Check>);

/// operationId → (request body parameter, its type's check, response type's check)
fn checks(operation: &str) -> Option<Checks> {
    use types::*;
    let r: Option<Check> = Some(round_trip::<KeyBundle>);
    Some(match operation {
        "CreateKey" => (
            Some(("parameters", round_trip::<KeyCreateParameters> as Check)),
            r,
        ),
        "ImportKey" => (Some(("parameters", round_trip::<KeyImportParameters>)), r),
        "UpdateKey" => (Some(("parameters", round_trip::<KeyUpdateParameters>)), r),
        "RestoreKey" => (Some(("parameters", round_trip::<KeyRestoreParameters>)), r),
        "GetKey" | "RotateKey" | "RecoverDeletedKey" | "GetKeyAttestation" => (None, r),
        "DeleteKey" | "GetDeletedKey" => (None, Some(round_trip::<DeletedKeyBundle>)),
        "GetKeys" | "GetKeyVersions" => (None, Some(round_trip::<KeyListResult>)),
        "GetDeletedKeys" => (None, Some(round_trip::<DeletedKeyListResult>)),
        "PurgeDeletedKey" => (None, None),
        "GetRandomBytes" => (
            Some(("parameters", round_trip::<GetRandomBytesRequest>)),
            Some(round_trip::<RandomBytes>),
        ),
        "GetKeyRotationPolicy" => (None, Some(round_trip::<KeyRotationPolicy>)),
        "UpdateKeyRotationPolicy" => (
            Some(("keyRotationPolicy", round_trip::<KeyRotationPolicy>)),
            Some(round_trip::<KeyRotationPolicy>),
        ),
        "encrypt" | "decrypt" | "wrapKey" | "unwrapKey" => (
            Some(("parameters", round_trip::<KeyOperationsParameters>)),
            Some(round_trip::<KeyOperationResult>),
        ),
        "sign" => (
            Some(("parameters", round_trip::<KeySignParameters>)),
            Some(round_trip::<KeyOperationResult>),
        ),
        "verify" => (
            Some(("parameters", round_trip::<KeyVerifyParameters>)),
            Some(round_trip::<KeyVerifyResult>),
        ),
        "release" => (
            Some(("parameters", round_trip::<KeyReleaseParameters>)),
            Some(round_trip::<KeyReleaseResult>),
        ),
        _ => return None,
    })
}

#[test]
fn every_example_round_trips_through_the_generated_types() {
    let Some(dir) = reference::require(
        examples_dir(),
        "every_example_round_trips_through_the_generated_types",
    ) else {
        return;
    };
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "cannot read the examples at {}: {e}. They live in shared/reference beside the \
             repository; set KEYVAULT_EXAMPLES_DIR to point elsewhere.",
            dir.display()
        )
    });
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut operations = std::collections::BTreeSet::new();
    let (mut requests, mut responses) = (0, 0);
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(path).expect("read example");
        let doc: Value = serde_json::from_str(&text).expect("example JSON");
        let op = doc["operationId"].as_str().expect("operationId").to_owned();
        let Some((request, response)) = checks(&op) else {
            failures.push(format!(
                "{name}: no generated type is mapped for operation {op}"
            ));
            continue;
        };
        operations.insert(op.clone());
        if let Some((param, check)) = request {
            match doc["parameters"].get(param) {
                Some(body) => {
                    requests += 1;
                    if let Err(e) = check(&format!("{name} request"), body) {
                        failures.push(e);
                    }
                }
                None => failures.push(format!("{name}: the example has no {param} body")),
            }
        }
        for (status, resp) in doc["responses"].as_object().expect("responses") {
            match (response, resp.get("body")) {
                (Some(check), Some(body)) => {
                    responses += 1;
                    if let Err(e) = check(&format!("{name} response {status}"), body) {
                        failures.push(e);
                    }
                }
                (None, None) => {}
                (None, Some(_)) => failures.push(format!("{name}: a body where none was expected")),
                (Some(_), None) => failures.push(format!("{name}: no body in response {status}")),
            }
        }
    }
    println!(
        "{} examples, {} operations, {requests} request bodies, {responses} response bodies",
        files.len(),
        operations.len()
    );
    assert_eq!(
        files.len(),
        24,
        "expected the 24 examples of 2025-07-01 in {}",
        dir.display()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(requests, 13, "request bodies checked");
    assert_eq!(responses, 23, "response bodies checked");
}

#[test]
fn unknown_enum_values_and_fields_survive() {
    let doc = serde_json::json!({
        "key": {
            "kid": "https://v.vault.azure.net/keys/k/1",
            "kty": "ML-DSA",
            "crv": "P-999",
            "key_ops": ["sign", "secureWrapKey"],
            "pub": "AAEC",
            "futureMember": {"nested": [1, 2, 3]}
        },
        "attributes": {
            "enabled": true,
            "recoveryLevel": "SomethingNew+Purgeable",
            "keySize": 4096,
            "external_key": {"id": "ext-1"}
        },
        "release_policy": {"data": "e30", "contentType": "application/json; charset=utf-8", "newFlag": true},
        "newTopLevel": "kept"
    });
    round_trip::<types::KeyBundle>("future KeyBundle", &doc).expect("round trip");
    let typed: types::KeyBundle = serde_json::from_value(doc).expect("deserialise");
    let key = typed.key.expect("key");
    let kty = key.kty.expect("kty");
    assert_eq!(kty.as_str(), "ML-DSA");
    assert!(!kty.is_known());
    assert!(!key.crv.expect("crv").is_known());
    assert!(enums::KeyType::RsaHsm.is_known());
    assert_eq!(enums::KeyType::RsaHsm.as_str(), "RSA-HSM");
    assert_eq!(
        typed
            .attributes
            .expect("attributes")
            .recovery_level
            .expect("level")
            .to_string(),
        "SomethingNew+Purgeable"
    );
    assert_eq!(
        typed.extra.get("newTopLevel"),
        Some(&Value::String("kept".into()))
    );
    let ops: Vec<enums::KeyOperation> =
        serde_json::from_value(serde_json::json!(["wrapKey", "someFutureOperation"])).expect("ops");
    assert_eq!(ops[0], enums::KeyOperation::WrapKey);
    assert!(!ops[1].is_known());
}

#[test]
fn request_bodies_serialise_with_wire_names() {
    let body = types::KeyImportParameters {
        hsm: Some(true),
        key: types::JsonWebKey {
            kty: Some(enums::KeyType::OctHsm),
            k: Some("AAAA".into()),
            key_ops: vec!["encrypt".into()],
            ..Default::default()
        },
        release_policy: Some(types::KeyReleasePolicy {
            data: Some("e30".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let v = serde_json::to_value(&body).expect("serialise");
    assert_eq!(v["Hsm"], Value::Bool(true), "{v}");
    assert_eq!(v["key"]["kty"], "oct-HSM");
    assert_eq!(v["key"]["key_ops"][0], "encrypt");
    assert_eq!(v["release_policy"]["data"], "e30");
    let create = types::KeyCreateParameters {
        kty: enums::KeyType::Rsa,
        key_size: Some(3072),
        public_exponent: Some(65537),
        attributes: None,
        crv: None,
        key_ops: vec![enums::KeyOperation::Sign],
        release_policy: None,
        alg: None,
        tags: Default::default(),
        extra: Default::default(),
    };
    let v = serde_json::to_value(&create).expect("serialise");
    assert_eq!(v["key_size"], 3072);
    assert_eq!(v["public_exponent"], 65537);
    assert_eq!(v["kty"], "RSA");
    assert_eq!(v["key_ops"][0], "sign");
    assert!(
        v.get("attributes").is_none(),
        "absent options are not sent: {v}"
    );
}
