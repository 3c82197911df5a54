//! Rewrites our OpenAPI document into the shape progenitor can take.
//!
//! `specs/` describes the service as it is; this module bends a copy of it
//! for the generator (see `codegen-notes.md` in the design notes):
//!
//! 1. `default` error responses become `4XX` + `5XX` with a raw
//!    (`application/octet-stream`) body. progenitor panics on `200` +
//!    `default`, and a raw body lets the pipeline surface non-JSON error
//!    bodies (a proxy's HTML, an empty 503) with their status.
//! 2. Enums are taken out of typify's hands: each maps to the hand-written
//!    type of `keyvault-keys-types/src/enums.rs`, which keeps values it
//!    does not know.
//! 3. The `api-version` query parameter is removed from every operation: the
//!    client owns it and adds it in its `pre` hook.
//! 4. `pattern` is removed from path parameters (it would make a validated
//!    newtype per operation); names are checked by the layers above.
//! 5. The schema named `Error` is renamed `KeyVaultErrorDetail` (it would
//!    clash with `progenitor_client::Error`).
//! 6. Every object schema without `additionalProperties` gets
//!    `additionalProperties: {}`, so fields from a newer service land in a
//!    flattened `extra` map and survive a round trip.
//! 7. Members marked `x-ms-secret: true` (private key members, plaintext,
//!    random bytes, released keys) are reduced to one canonical schema,
//!    [`secret_schema`], which the generator maps to the hand-written
//!    `SecretString` (redacted `Debug`, zeroized on drop) instead of
//!    `String`. Their `format` and length bounds are dropped: they only
//!    decide the Rust type, which is now ours.
//! 8. Members where an empty value means something different from an absent
//!    one ([`PRESENCE_MATTERS`]: an update's `tags: {}` and `key_ops: []`
//!    clear them, an absent member leaves them alone) become `nullable`, so
//!    typify generates `Option<…>` skipped only when `None` instead of a
//!    collection skipped when empty.

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};

/// An enum of the spec, which the generator maps to a hand-written type.
#[derive(Debug, Clone)]
pub struct EnumDef {
    pub name: String,
}

/// The normalised document and the enums that left typify's hands.
pub struct Normalised {
    pub spec: Value,
    pub enums: Vec<EnumDef>,
}

const ERROR_SCHEMA_NEW_NAME: &str = "KeyVaultErrorDetail";

/// The spec's marker for members that can carry secret material.
pub const SECRET_MARKER: &str = "x-ms-secret";

/// `(schema, property)` pairs whose empty value is not the same as absent.
pub const PRESENCE_MATTERS: &[(&str, &str)] = &[
    ("KeyUpdateParameters", "tags"),
    ("KeyUpdateParameters", "key_ops"),
];

/// The one schema every secret member is reduced to (descriptions aside),
/// as typify matches it: the generator maps exactly this to `SecretString`.
pub fn secret_schema() -> Value {
    json!({ "type": "string", SECRET_MARKER: true })
}

pub fn normalise(mut spec: Value) -> Result<Normalised> {
    let enums = collect_enums(&spec)?;
    rename_error_schema(&mut spec)?;
    open_objects(&mut spec);
    strip_api_version_and_patterns(&mut spec)?;
    rewrite_error_responses(&mut spec)?;
    canonicalise_secrets(&mut spec)?;
    mark_presence_matters(&mut spec)?;
    Ok(Normalised { spec, enums })
}

/// Step 7: every property marked secret becomes [`secret_schema`] plus its
/// own description and read-only flag (typify ignores those when matching).
fn canonicalise_secrets(spec: &mut Value) -> Result<()> {
    let schemas = schemas_mut(spec)?;
    for (name, schema) in schemas.iter_mut() {
        let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for (prop, p) in props.iter_mut() {
            if p.get(SECRET_MARKER).and_then(Value::as_bool) != Some(true) {
                continue;
            }
            if p.get("type").and_then(Value::as_str) != Some("string") {
                bail!("{name}.{prop} is marked {SECRET_MARKER} but is not a string");
            }
            let mut canonical = secret_schema();
            for keep in ["description", "readOnly"] {
                if let Some(v) = p.get(keep) {
                    canonical[keep] = v.clone();
                }
            }
            *p = canonical;
        }
    }
    Ok(())
}

/// Step 8: the [`PRESENCE_MATTERS`] members become nullable.
fn mark_presence_matters(spec: &mut Value) -> Result<()> {
    let schemas = schemas_mut(spec)?;
    for (schema, prop) in PRESENCE_MATTERS {
        let p = schemas
            .get_mut(*schema)
            .and_then(|s| s.pointer_mut(&format!("/properties/{prop}")))
            .and_then(Value::as_object_mut)
            .with_context(|| {
                format!("{schema}.{prop} (listed in PRESENCE_MATTERS) is not in the spec")
            })?;
        p.insert("nullable".to_owned(), Value::Bool(true));
    }
    Ok(())
}

fn schemas_mut(spec: &mut Value) -> Result<&mut Map<String, Value>> {
    spec.pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .context("the spec has no components.schemas")
}

fn collect_enums(spec: &Value) -> Result<Vec<EnumDef>> {
    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .context("the spec has no components.schemas")?;
    let mut out = Vec::new();
    for (name, schema) in schemas {
        let Some(values) = schema.get("enum").and_then(Value::as_array) else {
            continue;
        };
        if schema.get("type").and_then(Value::as_str) != Some("string") {
            bail!("enum schema {name} is not a string enum");
        }
        if let Some(v) = values.iter().find(|v| !v.is_string()) {
            bail!("enum {name} has a non-string value {v}");
        }
        out.push(EnumDef { name: name.clone() });
    }
    Ok(out)
}

fn rename_error_schema(spec: &mut Value) -> Result<()> {
    let schemas = schemas_mut(spec)?;
    if let Some(error) = schemas.remove("Error") {
        schemas.insert(ERROR_SCHEMA_NEW_NAME.to_owned(), error);
    }
    let old = "#/components/schemas/Error";
    let new = format!("#/components/schemas/{ERROR_SCHEMA_NEW_NAME}");
    rewrite_refs(spec, old, &new);
    Ok(())
}

fn rewrite_refs(value: &mut Value, old: &str, new: &str) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == "$ref" && v.as_str() == Some(old) {
                    *v = Value::String(new.to_owned());
                } else {
                    rewrite_refs(v, old, new);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, old, new)),
        _ => {}
    }
}

fn open_objects(spec: &mut Value) {
    fn visit(value: &mut Value) {
        match value {
            Value::Object(map) => {
                let is_object = map.get("type").and_then(Value::as_str) == Some("object");
                if is_object
                    && map.contains_key("properties")
                    && !map.contains_key("additionalProperties")
                {
                    map.insert("additionalProperties".to_owned(), json!({}));
                }
                map.values_mut().for_each(visit);
            }
            Value::Array(items) => items.iter_mut().for_each(visit),
            _ => {}
        }
    }
    if let Some(schemas) = spec.pointer_mut("/components/schemas") {
        visit(schemas);
    }
}

fn is_api_version(param: &Value, spec_params: Option<&Map<String, Value>>) -> bool {
    let resolved = match param.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/components/parameters/")
            .and_then(|n| spec_params.and_then(|p| p.get(n))),
        None => Some(param),
    };
    resolved.is_some_and(|p| {
        p.get("name").and_then(Value::as_str) == Some("api-version")
            && p.get("in").and_then(Value::as_str) == Some("query")
    })
}

fn strip_api_version_and_patterns(spec: &mut Value) -> Result<()> {
    let params = spec
        .pointer("/components/parameters")
        .and_then(Value::as_object)
        .cloned();
    let paths = spec
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .context("the spec has no paths")?;
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (key, op) in item.iter_mut() {
            if key == "parameters" || key.starts_with("x-") {
                continue;
            }
            if let Some(list) = op.get_mut("parameters").and_then(Value::as_array_mut) {
                list.retain(|p| !is_api_version(p, params.as_ref()));
                for p in list.iter_mut() {
                    strip_path_pattern(p);
                }
            }
        }
    }
    if let Some(params) = spec
        .pointer_mut("/components/parameters")
        .and_then(Value::as_object_mut)
    {
        params.retain(|_, p| {
            !(p.get("name").and_then(Value::as_str) == Some("api-version")
                && p.get("in").and_then(Value::as_str) == Some("query"))
        });
        params.values_mut().for_each(strip_path_pattern);
    }
    Ok(())
}

fn strip_path_pattern(param: &mut Value) {
    if param.get("in").and_then(Value::as_str) != Some("path") {
        return;
    }
    if let Some(schema) = param.get_mut("schema").and_then(Value::as_object_mut) {
        schema.remove("pattern");
    }
}

fn raw_error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {
            "application/octet-stream": {
                "schema": { "type": "string", "format": "binary" }
            }
        }
    })
}

fn rewrite_error_responses(spec: &mut Value) -> Result<()> {
    let paths = spec
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .context("the spec has no paths")?;
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (key, op) in item.iter_mut() {
            if key == "parameters" || key.starts_with("x-") {
                continue;
            }
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned();
            let responses = op
                .get_mut("responses")
                .and_then(Value::as_object_mut)
                .with_context(|| format!("operation {id} has no responses"))?;
            if responses.remove("default").is_some() {
                responses.insert(
                    "4XX".to_owned(),
                    raw_error_response("Client error; the body is the service's error envelope, or whatever a proxy sent."),
                );
                responses.insert(
                    "5XX".to_owned(),
                    raw_error_response("Server error; the body is the service's error envelope, or whatever a proxy sent."),
                );
            }
        }
    }
    // The Error response component is no longer referenced.
    if let Some(r) = spec
        .pointer_mut("/components/responses")
        .and_then(Value::as_object_mut)
    {
        r.remove("Error");
    }
    Ok(())
}
