//! The api-version table: which version introduced each operation and each
//! member of a request schema, read from `x-introduced-in` in `specs/` and
//! emitted as `generated::api_versions`.
//!
//! - `info.x-api-versions`: every version, oldest first, each
//!   `{ version, stable }`.
//! - `x-introduced-in` on an operation: required.
//! - `x-introduced-in` on a schema: the version of each of its members that
//!   does not name its own; on a member: that member's. Every member of a
//!   schema a request body reaches (through `$ref`, `allOf` and `items`)
//!   must have one of the two (read-only members are followed no further:
//!   a request never carries them).
//!
//! Every version named must be in `info.x-api-versions`. The markers are
//! removed from the document before it goes to the generator.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail};
use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

/// The marker on operations, schemas and members.
pub const MARKER: &str = "x-introduced-in";
/// The list of versions under `info`.
pub const VERSIONS: &str = "x-api-versions";

/// The table read from the spec.
#[derive(Debug, Default)]
pub struct Table {
    /// Every version, oldest first, and whether it is stable.
    pub known: Vec<(String, bool)>,
    /// operationId → version.
    pub operations: BTreeMap<String, String>,
    /// (schema, wire member) → version, for request schemas.
    pub members: BTreeMap<(String, String), String>,
}

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

/// Reads the table from the raw spec, checking it.
pub fn read(spec: &Value) -> Result<Table> {
    let mut t = Table::default();
    let list = spec
        .pointer(&format!("/info/{VERSIONS}"))
        .and_then(Value::as_array)
        .with_context(|| format!("info.{VERSIONS} (the list of api-versions) is missing"))?;
    for v in list {
        let name = v
            .get("version")
            .and_then(Value::as_str)
            .with_context(|| format!("an entry of info.{VERSIONS} has no version: {v}"))?;
        let stable = v.get("stable").and_then(Value::as_bool).unwrap_or(false);
        if t.known.iter().any(|(k, _)| k == name) {
            bail!("info.{VERSIONS} lists {name} twice");
        }
        t.known.push((name.to_owned(), stable));
    }
    let known: BTreeSet<&str> = t.known.iter().map(|(k, _)| k.as_str()).collect();
    let check = |what: &str, v: &Value| -> Result<String> {
        let s = v
            .as_str()
            .with_context(|| format!("{MARKER} of {what} is not a string"))?;
        if !known.contains(s) {
            bail!("{MARKER} of {what} names {s}, which info.{VERSIONS} does not list");
        }
        Ok(s.to_owned())
    };

    let schemas = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .context("no components.schemas")?;
    let mut request_roots = BTreeSet::new();
    for (path, item) in spec
        .get("paths")
        .and_then(Value::as_object)
        .context("no paths")?
    {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .with_context(|| format!("{method} {path} has no operationId"))?;
            let v = op
                .get(MARKER)
                .with_context(|| format!("operation {id} has no {MARKER}"))?;
            t.operations
                .insert(id.to_owned(), check(&format!("operation {id}"), v)?);
            if let Some(body) = op.get("requestBody") {
                let body = resolve(spec, body);
                if let Some(schema) = body.pointer("/content/application~1json/schema") {
                    refs(schema, &mut request_roots);
                }
            }
        }
    }
    // Every schema a request body reaches.
    let mut reached = BTreeSet::new();
    let mut todo: Vec<String> = request_roots.into_iter().collect();
    while let Some(name) = todo.pop() {
        if !reached.insert(name.clone()) {
            continue;
        }
        let schema = schemas
            .get(&name)
            .with_context(|| format!("a request refers to schema {name}, which is missing"))?;
        let mut next = BTreeSet::new();
        for p in schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            // A read-only member is never sent: what it refers to is not
            // part of a request.
            if p.1.get("readOnly").and_then(Value::as_bool) != Some(true) {
                refs(p.1, &mut next);
            }
        }
        todo.extend(next);
    }
    for name in &reached {
        let schema = &schemas[name];
        let Some(props) = schema.get("properties").and_then(Value::as_object) else {
            continue;
        };
        let default = schema
            .get(MARKER)
            .map(|v| check(&format!("schema {name}"), v))
            .transpose()?;
        for (member, p) in props {
            let v = match p.get(MARKER) {
                Some(v) => check(&format!("{name}.{member}"), v)?,
                None => default.clone().with_context(|| {
                    format!(
                        "{name}.{member} is part of a request and has no {MARKER} \
                         (give the member or its schema one)"
                    )
                })?,
            };
            t.members.insert((name.clone(), member.clone()), v);
        }
    }
    Ok(t)
}

/// The schema names `v` refers to, directly or through `allOf`/`items`.
fn refs(v: &Value, out: &mut BTreeSet<String>) {
    if let Some(r) = v.get("$ref").and_then(Value::as_str) {
        if let Some(name) = r.strip_prefix("#/components/schemas/") {
            out.insert(name.to_owned());
        }
        return;
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for s in v.get(key).and_then(Value::as_array).into_iter().flatten() {
            refs(s, out);
        }
    }
    if let Some(items) = v.get("items") {
        refs(items, out);
    }
    if let Some(ap) = v.get("additionalProperties").filter(|a| a.is_object()) {
        refs(ap, out);
    }
}

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|p| doc.pointer(p))
            .unwrap_or(v),
        None => v,
    }
}

/// Removes every marker (and the version list), so the generator sees the
/// document it saw before.
pub fn strip(spec: &mut Value) {
    if let Some(info) = spec.get_mut("info").and_then(Value::as_object_mut) {
        info.remove(VERSIONS);
    }
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove(MARKER);
                m.values_mut().for_each(walk);
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(spec);
}

/// The `api_versions` module of the generated file.
pub fn module(t: &Table) -> TokenStream {
    let known = t.known.iter().map(|(v, stable)| quote! { (#v, #stable) });
    let operations = t.operations.iter().map(|(id, v)| quote! { (#id, #v) });
    let members = t
        .members
        .iter()
        .map(|((schema, member), v)| quote! { (#schema, #member, #v) });
    quote! {
        /// Which api-version introduced each operation and each member of a
        /// request, from `x-introduced-in` in `specs/keyvault-keys.yaml`.
        pub mod api_versions {
            /// Every api-version of the keys data plane, oldest first, and
            /// whether it is stable (`false`: a preview).
            pub const KNOWN: &[(&str, bool)] = &[#(#known),*];
            /// Each operation (its operationId in the spec) and the version
            /// that introduced it.
            pub const OPERATIONS: &[(&str, &str)] = &[#(#operations),*];
            /// Each member of a schema a request carries: (schema, wire
            /// name, the version that introduced it).
            pub const REQUEST_MEMBERS: &[(&str, &str, &str)] = &[#(#members),*];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Value {
        json!({
            "info": {"x-api-versions": [
                {"version": "1.0", "stable": true},
                {"version": "2.0-preview", "stable": false},
            ]},
            "paths": {"/a": {"post": {
                "operationId": "A",
                "x-introduced-in": "1.0",
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Req"}}}}
            }}},
            "components": {"schemas": {
                "Req": {"type": "object", "x-introduced-in": "1.0", "properties": {
                    "old": {"type": "string"},
                    "new": {"x-introduced-in": "2.0-preview", "$ref": "#/components/schemas/Inner"}
                }},
                "Inner": {"type": "object", "x-introduced-in": "2.0-preview", "properties": {"id": {"type": "string"}}},
                "Answer": {"type": "object", "properties": {"x": {"type": "string"}}}
            }}
        })
    }

    #[test]
    fn members_inherit_the_schemas_version_and_answers_need_none() {
        let t = read(&spec()).expect("read");
        assert_eq!(t.operations["A"], "1.0");
        assert_eq!(t.members[&("Req".into(), "old".into())], "1.0");
        assert_eq!(t.members[&("Req".into(), "new".into())], "2.0-preview");
        assert_eq!(t.members[&("Inner".into(), "id".into())], "2.0-preview");
        assert!(!t.members.keys().any(|(s, _)| s == "Answer"));
        let mut s = spec();
        strip(&mut s);
        assert!(!s.to_string().contains("x-introduced-in"));
        assert!(s.pointer("/info/x-api-versions").is_none());
    }

    #[test]
    fn a_missing_or_unknown_version_is_refused() {
        let mut s = spec();
        s["paths"]["/a"]["post"]
            .as_object_mut()
            .expect("op")
            .remove(MARKER);
        assert!(
            read(&s)
                .expect_err("no version")
                .to_string()
                .contains("operation A")
        );
        let mut s = spec();
        s["components"]["schemas"]["Inner"]
            .as_object_mut()
            .expect("schema")
            .remove(MARKER);
        let e = read(&s).expect_err("member without a version").to_string();
        assert!(e.contains("Inner.id"), "{e}");
        let mut s = spec();
        s["components"]["schemas"]["Req"]["properties"]["old"][MARKER] = json!("9.9");
        let e = read(&s).expect_err("unknown version").to_string();
        assert!(e.contains("9.9") && e.contains("Req.old"), "{e}");
    }
}
