//! `null` is absent: the service sends `"member": null` for members it has
//! no value for (a rotation policy never set is
//! `{"lifetimeActions": null, "attributes": null}`), so every optional
//! member of every model a success answer can carry must read `null` as it
//! reads an absent member (an array or a map as empty, a member with a
//! spec default as that default).
//!
//! Generated from `specs/keyvault-keys.yaml` at test time: every object
//! schema reachable from a 2xx response is checked, with each optional
//! member `null` alone, all of them at once, and `null`s inside nested
//! objects and arrays of objects. A response schema without a Rust type in
//! [`RESPONSE_TYPES`] fails the test, so a new one cannot slip past.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use keyvault_keys_protocol::types;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// A check: both documents parse into the type, and to the same value.
type Check = fn(&Value, &Value) -> Result<(), String>;

fn same<T: DeserializeOwned + PartialEq + Debug>(
    with_nulls: &Value,
    without: &Value,
) -> Result<(), String> {
    // From bytes, as the client reads a response body.
    let parse = |v: &Value| -> Result<T, String> {
        serde_json::from_slice::<T>(&serde_json::to_vec(v).expect("serialise"))
            .map_err(|e| format!("{e} in {v}"))
    };
    let a = parse(with_nulls)?;
    let b = parse(without)?;
    if a == b {
        Ok(())
    } else {
        Err(format!(
            "{with_nulls} parsed as {a:?}, but {without} parsed as {b:?}"
        ))
    }
}

macro_rules! response_types {
    ($($name:ident),* $(,)?) => {
        /// Each object schema a success answer can carry → its generated type.
        const RESPONSE_TYPES: &[(&str, Check)] = &[$((stringify!($name), same::<types::$name>)),*];
    };
}

response_types!(
    BackupKeyResult,
    DeletedKeyBundle,
    DeletedKeyItem,
    DeletedKeyListResult,
    ExternalKey,
    JsonWebKey,
    KeyAttestation,
    KeyAttributes,
    KeyBundle,
    KeyItem,
    KeyListResult,
    KeyOperationResult,
    KeyReleasePolicy,
    KeyReleaseResult,
    KeyRotationPolicy,
    KeyRotationPolicyAttributes,
    KeyVerifyResult,
    LifetimeActions,
    LifetimeActionsTrigger,
    LifetimeActionsType,
    RandomBytes,
    SecureKeyOperationResult,
);

fn spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/keyvault-keys.yaml");
    let text = std::fs::read_to_string(path).expect("read the spec");
    serde_yaml::from_str(&text).expect("parse the spec")
}

fn schemas(spec: &Value) -> &Map<String, Value> {
    spec.pointer("/components/schemas")
        .and_then(Value::as_object)
        .expect("components.schemas")
}

/// The schema a `$ref` names (`#/components/<kind>/<name>`).
fn deref<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => spec
            .pointer(r.strip_prefix('#').expect("a local $ref"))
            .unwrap_or_else(|| panic!("{r} is not in the spec")),
        None => v,
    }
}

fn ref_name(v: &Value) -> Option<&str> {
    v.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
}

/// Names of the schemas reachable from the 2xx responses of the operations.
fn response_schemas(spec: &Value) -> BTreeSet<String> {
    fn walk(spec: &Value, schema: &Value, out: &mut BTreeSet<String>) {
        if let Some(name) = ref_name(schema) {
            if out.insert(name.to_owned()) {
                walk(spec, &schemas(spec)[name], out);
            }
            return;
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            props.values().for_each(|p| walk(spec, p, out));
        }
        for key in ["items", "additionalProperties"] {
            if let Some(s) = schema.get(key).filter(|s| s.is_object()) {
                walk(spec, s, out);
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            for s in schema
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                walk(spec, s, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    let paths = spec["paths"].as_object().expect("paths");
    for item in paths.values() {
        for op in item.as_object().expect("path item").values() {
            let Some(responses) = op.get("responses").and_then(Value::as_object) else {
                continue;
            };
            for (status, response) in responses {
                if !status.starts_with('2') {
                    continue;
                }
                let response = deref(spec, response);
                for media in response
                    .get("content")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flat_map(|c| c.values())
                {
                    walk(spec, &media["schema"], &mut out);
                }
            }
        }
    }
    out
}

fn is_object(s: &Value) -> bool {
    s.get("type").and_then(Value::as_str) == Some("object") && s.get("properties").is_some()
}

/// The schema behind a `$ref` or a one-element `allOf`.
fn resolve<'a>(spec: &'a Value, s: &'a Value) -> &'a Value {
    let s = deref(spec, s);
    match s.get("allOf").and_then(Value::as_array) {
        Some(all) if all.len() == 1 => resolve(spec, &all[0]),
        _ => s,
    }
}

/// How to fill the members a document leaves optional.
#[derive(Clone, Copy)]
enum Fill {
    /// Every member with a value.
    Values,
    /// Optional scalar members `null`, objects (and arrays of objects) with
    /// their own members filled the same way.
    NestedNulls,
    /// As `NestedNulls`, with the `null` members left out.
    NestedAbsent,
}

/// A valid value for `schema`.
fn sample(spec: &Value, schema: &Value, fill: Fill, depth: usize) -> Value {
    assert!(depth < 8, "the spec's schemas nest too deep for this test");
    let s = resolve(spec, schema);
    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        return values[0].clone();
    }
    if is_object(s) {
        return object(spec, s, fill, depth);
    }
    match s.get("type").and_then(Value::as_str) {
        // Valid base64url too, for the members that carry bytes.
        Some("string") => json!("AAAA"),
        Some("integer") => json!(1),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => json!([sample(spec, &s["items"], fill, depth + 1)]),
        Some("object") => match s.get("additionalProperties").filter(|a| a.is_object()) {
            Some(a) => json!({ "name": sample(spec, a, fill, depth + 1) }),
            None => json!({}),
        },
        other => panic!("no sample for a schema of type {other:?}: {s}"),
    }
}

/// Whether a member's value holds members of its own (an object, or an
/// array of objects), so `NestedNulls` descends into it instead of
/// making it `null`.
fn holds_objects(spec: &Value, schema: &Value) -> bool {
    let s = resolve(spec, schema);
    is_object(s)
        || (s.get("type").and_then(Value::as_str) == Some("array")
            && is_object(resolve(spec, &s["items"])))
}

fn object(spec: &Value, s: &Value, fill: Fill, depth: usize) -> Value {
    let required: BTreeSet<&str> = s
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut out = Map::new();
    for (name, p) in s["properties"].as_object().expect("properties") {
        let value = match fill {
            Fill::Values => sample(spec, p, fill, depth + 1),
            _ if required.contains(name.as_str()) || holds_objects(spec, p) => {
                sample(spec, p, fill, depth + 1)
            }
            Fill::NestedNulls => Value::Null,
            Fill::NestedAbsent => continue,
        };
        out.insert(name.clone(), value);
    }
    Value::Object(out)
}

fn optional_members(s: &Value) -> Vec<String> {
    let required: BTreeSet<&str> = s
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    s["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .filter(|k| !required.contains(k.as_str()))
        .cloned()
        .collect()
}

#[test]
fn every_response_schema_has_a_generated_type_in_this_test() {
    let spec = spec();
    let reachable: BTreeSet<String> = response_schemas(&spec)
        .into_iter()
        .filter(|name| is_object(&schemas(&spec)[name.as_str()]))
        .collect();
    assert!(reachable.contains("KeyRotationPolicy"), "{reachable:?}");
    let listed: BTreeSet<String> = RESPONSE_TYPES
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    let missing: Vec<_> = reachable.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "response schemas without a type in RESPONSE_TYPES: {missing:?}"
    );
    let stale: Vec<_> = listed.difference(&reachable).collect();
    assert!(
        stale.is_empty(),
        "RESPONSE_TYPES lists schemas no success answer carries: {stale:?}"
    );
}

#[test]
fn null_reads_as_absent_in_every_optional_member_of_every_response_model() {
    let spec = spec();
    let checks: BTreeMap<&str, Check> = RESPONSE_TYPES.iter().copied().collect();
    let mut failures = Vec::new();
    let mut cases = 0;
    for name in response_schemas(&spec) {
        let s = &schemas(&spec)[name.as_str()];
        if !is_object(s) {
            continue;
        }
        let check = checks
            .get(name.as_str())
            .unwrap_or_else(|| panic!("response schema {name} has no type in RESPONSE_TYPES"));
        let mut run = |what: String, with_nulls: &Value, without: &Value| {
            cases += 1;
            if let Err(e) = check(with_nulls, without) {
                failures.push(format!("{name}, {what}: {e}"));
            }
        };
        // The harness's own documents are valid.
        let full = object(&spec, s, Fill::Values, 0);
        run("every member with a value".into(), &full, &full);
        // Each optional member null alone.
        let optional = optional_members(s);
        for member in &optional {
            let mut with_null = full.clone();
            with_null[member.as_str()] = Value::Null;
            let mut without = full.clone();
            without.as_object_mut().expect("object").remove(member);
            run(format!("{member}: null"), &with_null, &without);
        }
        // All of them at once.
        let mut all_null = full.clone();
        let mut none = full.clone();
        for member in &optional {
            all_null[member.as_str()] = Value::Null;
            none.as_object_mut().expect("object").remove(member);
        }
        run("every optional member null".into(), &all_null, &none);
        // Nulls inside nested objects and arrays of objects.
        run(
            "nested nulls".into(),
            &object(&spec, s, Fill::NestedNulls, 0),
            &object(&spec, s, Fill::NestedAbsent, 0),
        );
    }
    assert!(
        cases > 100,
        "only {cases} cases: the spec walk found too little"
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_rotation_policy_never_set_reads_as_an_empty_policy() {
    // The real service's answer to get_key_rotation_policy for a key
    // without a policy.
    let body = br#"{"lifetimeActions": null, "attributes": null}"#;
    let policy: types::KeyRotationPolicy = serde_json::from_slice(body).expect("parses");
    assert!(policy.lifetime_actions.is_empty());
    assert_eq!(policy.attributes, None);
    assert_eq!(policy, types::KeyRotationPolicy::default());
}

#[test]
fn null_pages_and_null_defaults_read_as_absent() {
    let page: types::KeyListResult =
        serde_json::from_slice(br#"{"value": null}"#).expect("a null page");
    assert!(page.value.is_empty());
    assert_eq!(page.next_link, None);
    let bundle: types::KeyBundle =
        serde_json::from_slice(br#"{"tags": null, "release_policy": {"contentType": null}}"#)
            .expect("null tags, null contentType");
    assert!(bundle.tags.is_empty());
    // A member with a spec default takes it when null, as when absent.
    assert_eq!(
        bundle.release_policy.expect("policy").content_type,
        "application/json; charset=utf-8"
    );
}

#[test]
fn null_is_still_refused_where_a_value_is_required() {
    // `RandomBytes.value` is required: null is not a value for it.
    assert!(serde_json::from_slice::<types::RandomBytes>(br#"{"value": null}"#).is_err());
    assert!(serde_json::from_slice::<types::RandomBytes>(br#"{"value": "AAAA"}"#).is_ok());
}
