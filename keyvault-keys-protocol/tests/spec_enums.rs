//! The hand-written enums against the spec: `specs/` stays the source of
//! truth, so a spec that adds, removes or reorders a value (a new
//! api-version) or a new enum schema fails here until `src/enums.rs` follows.

use std::collections::BTreeMap;

use keyvault_keys_protocol::enums::SPEC_ENUMS;

/// Every string enum schema of `specs/keyvault-keys.yaml`: name → values.
fn spec_enums() -> BTreeMap<String, Vec<String>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/keyvault-keys.yaml");
    let text = std::fs::read_to_string(path).expect("read the spec");
    let spec: serde_json::Value = serde_yaml::from_str(&text).expect("parse the spec");
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(serde_json::Value::as_object)
        .expect("components.schemas");
    schemas
        .iter()
        .filter_map(|(name, s)| {
            let values = s.get("enum")?.as_array()?;
            let values = values
                .iter()
                .map(|v| v.as_str().expect("string enum value").to_owned())
                .collect();
            Some((name.clone(), values))
        })
        .collect()
}

#[test]
fn every_spec_enum_has_one_type_whose_values_are_the_spec_values() {
    let spec = spec_enums();
    assert!(spec.len() >= 8, "{spec:?}");
    for e in SPEC_ENUMS {
        let values = spec.get(e.schema).unwrap_or_else(|| {
            panic!(
                "{} stands for {}, which the spec lacks",
                e.type_name, e.schema
            )
        });
        assert_eq!(
            e.values, values,
            "{} ({}) differs from the spec",
            e.type_name, e.schema
        );
    }
    for name in spec.keys() {
        assert_eq!(
            SPEC_ENUMS.iter().filter(|e| e.schema == name).count(),
            1,
            "spec enum {name} needs exactly one type in src/enums.rs"
        );
    }
}

#[test]
fn a_changed_spec_value_would_be_noticed() {
    // The comparison above is exact: one more value in the spec is a failure.
    let spec = spec_enums();
    let mut curves = spec["JsonWebKeyCurveName"].clone();
    curves.push("P-999".to_owned());
    let ours = SPEC_ENUMS
        .iter()
        .find(|e| e.schema == "JsonWebKeyCurveName")
        .expect("curve enum");
    assert_ne!(ours.values, curves.as_slice());
}
