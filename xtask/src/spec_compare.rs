//! `cargo xtask spec-compare PATH`: what a Microsoft Swagger 2.0 keys
//! document has that `specs/` lacks, or describes differently.
//!
//! Compared: operations (method + path), their parameters (name, location,
//! required, type, format, bounds) and body schema, schemas and their fields
//! (wire name, type, format, required, readOnly), and enum values. Anything in
//! the reference that is missing from ours, or differs, makes the command exit
//! non-zero; what only we have is listed for information.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde_json::Value;

/// A flattened, comparable view of one API description.
#[derive(Default, Debug)]
struct Model {
    /// "METHOD path" → operation summary
    operations: BTreeMap<String, Operation>,
    /// schema name → schema summary
    schemas: BTreeMap<String, Schema>,
}

#[derive(Default, Debug)]
struct Operation {
    id: String,
    /// "in:name" → description of the parameter's shape
    params: BTreeMap<String, String>,
    body: Option<String>,
    success: BTreeSet<String>,
}

#[derive(Default, Debug)]
struct Schema {
    /// wire name → field summary
    fields: BTreeMap<String, String>,
    enum_values: Vec<String>,
}

pub fn run(ours: &Path, theirs: &Path) -> Result<ExitCode> {
    let ours_doc = load(ours)?;
    let theirs_doc = load(theirs)?;
    let ours_model = model_openapi3(&ours_doc).context("reading our OpenAPI 3 document")?;
    let theirs_model = model_swagger2(&theirs_doc).context("reading the Swagger 2.0 document")?;
    let report = compare(&ours_model, &theirs_model);
    println!("spec-compare");
    println!("  ours:   {}", ours.display());
    println!("  theirs: {}", theirs.display());
    println!(
        "  operations: {} theirs, {} ours; schemas: {} theirs, {} ours",
        theirs_model.operations.len(),
        ours_model.operations.len(),
        theirs_model.schemas.len(),
        ours_model.schemas.len()
    );
    for (title, lines) in [
        ("missing from ours", &report.missing),
        ("described differently", &report.differs),
        ("only in ours (information)", &report.extra),
    ] {
        println!("\n{title}: {}", lines.len());
        for l in lines {
            println!("  - {l}");
        }
    }
    let failed = !report.missing.is_empty() || !report.differs.is_empty();
    println!(
        "\nresult: {} missing, {} differing, {} only in ours: {}",
        report.missing.len(),
        report.differs.len(),
        report.extra.len(),
        if failed { "FAIL" } else { "ok" }
    );
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn load(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
        serde_yaml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    } else {
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }
}

#[derive(Default)]
struct Report {
    missing: Vec<String>,
    differs: Vec<String>,
    extra: Vec<String>,
}

fn compare(ours: &Model, theirs: &Model) -> Report {
    let mut r = Report::default();
    for (key, t) in &theirs.operations {
        let Some(o) = ours.operations.get(key) else {
            r.missing.push(format!("operation {key} ({})", t.id));
            continue;
        };
        if o.id != t.id {
            r.differs
                .push(format!("operation {key}: operationId {} vs {}", o.id, t.id));
        }
        diff_maps(
            &mut r,
            &format!("operation {key} parameter"),
            &o.params,
            &t.params,
        );
        if o.body != t.body {
            let (ob, tb) = (fmt_opt(&o.body), fmt_opt(&t.body));
            if t.body.is_some() && o.body.is_none() {
                r.missing
                    .push(format!("operation {key}: request body {tb}"));
            } else {
                r.differs
                    .push(format!("operation {key}: request body {ob} vs {tb}"));
            }
        }
        if o.success != t.success {
            r.differs.push(format!(
                "operation {key}: success responses {:?} vs {:?}",
                o.success, t.success
            ));
        }
    }
    for (key, o) in &ours.operations {
        if !theirs.operations.contains_key(key) {
            r.extra.push(format!("operation {key} ({})", o.id));
        }
    }
    for (name, t) in &theirs.schemas {
        let Some(o) = ours.schemas.get(name) else {
            r.missing.push(format!("schema {name}"));
            continue;
        };
        diff_maps(
            &mut r,
            &format!("schema {name} field"),
            &o.fields,
            &t.fields,
        );
        for v in &t.enum_values {
            if !o.enum_values.contains(v) {
                r.missing.push(format!("enum {name} value {v:?}"));
            }
        }
        for v in &o.enum_values {
            if !t.enum_values.contains(v) {
                r.extra.push(format!("enum {name} value {v:?}"));
            }
        }
    }
    for name in ours.schemas.keys() {
        if !theirs.schemas.contains_key(name) {
            r.extra.push(format!("schema {name}"));
        }
    }
    r
}

fn fmt_opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "(none)".to_owned())
}

fn diff_maps(
    r: &mut Report,
    what: &str,
    ours: &BTreeMap<String, String>,
    theirs: &BTreeMap<String, String>,
) {
    for (k, t) in theirs {
        match ours.get(k) {
            None => r.missing.push(format!("{what} {k} ({t})")),
            Some(o) if o != t => r.differs.push(format!("{what} {k}: ours {o}; theirs {t}")),
            Some(_) => {}
        }
    }
    for (k, o) in ours {
        if !theirs.contains_key(k) {
            r.extra.push(format!("{what} {k} ({o})"));
        }
    }
}

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

fn ref_name(r: &str) -> String {
    r.rsplit('/').next().unwrap_or(r).to_owned()
}

/// The shape of a property or parameter schema: "type[/format]" or "ref Name"
/// or "array<...>", with bounds where present.
fn shape(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return format!("ref {}{}", ref_name(r), bounds(schema));
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array)
        && let [single] = all.as_slice()
    {
        return shape(single);
    }
    let ty = schema.get("type").and_then(Value::as_str).unwrap_or("any");
    let mut s = match ty {
        "array" => format!(
            "array<{}>",
            schema
                .get("items")
                .map(shape)
                .unwrap_or_else(|| "any".into())
        ),
        "object" => match schema.get("additionalProperties") {
            Some(ap) if ap.is_object() => format!("map<{}>", shape(ap)),
            _ => "object".to_owned(),
        },
        other => other.to_owned(),
    };
    if let Some(f) = schema.get("format").and_then(Value::as_str) {
        s.push('/');
        s.push_str(f);
    }
    s.push_str(&bounds(schema));
    s
}

fn bounds(schema: &Value) -> String {
    let mut s = String::new();
    for bound in ["minimum", "maximum", "minLength", "maxLength", "pattern"] {
        if let Some(b) = schema.get(bound) {
            s.push_str(&format!(" {bound}={b}"));
        }
    }
    s
}

fn field_summary(prop: &Value, required: bool) -> String {
    let mut s = shape(prop);
    if required {
        s.push_str(", required");
    }
    if prop.get("readOnly").and_then(Value::as_bool) == Some(true) {
        s.push_str(", readOnly");
    }
    s
}

fn schema_summary(schema: &Value) -> Schema {
    let required: BTreeSet<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let fields = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(k, v)| (k.clone(), field_summary(v, required.contains(k.as_str()))))
                .collect()
        })
        .unwrap_or_default();
    let enum_values = schema
        .get("enum")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Schema {
        fields,
        enum_values,
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

fn param_summary(p: &Value, schema: &Value) -> (String, String) {
    let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
    let loc = p.get("in").and_then(Value::as_str).unwrap_or("?");
    let required = p.get("required").and_then(Value::as_bool) == Some(true);
    let mut s = shape(schema);
    if required {
        s.push_str(", required");
    }
    (format!("{loc}:{name}"), s)
}

/// Walks every operation of `doc`, letting `params` read its parameters and
/// body (which differ between OpenAPI 3 and Swagger 2.0).
fn operations(
    doc: &Value,
    params: impl Fn(&Value, &mut Operation),
) -> Result<BTreeMap<String, Operation>> {
    let mut out = BTreeMap::new();
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .context("no paths")?;
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let mut o = Operation {
                id: op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                ..Default::default()
            };
            params(op, &mut o);
            for (status, _) in op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if status.starts_with('2') {
                    o.success.insert(status.clone());
                }
            }
            out.insert(format!("{} {path}", method.to_uppercase()), o);
        }
    }
    Ok(out)
}

fn parameters(op: &Value) -> impl Iterator<Item = &Value> {
    op.get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn model_openapi3(doc: &Value) -> Result<Model> {
    let operations = operations(doc, |op, o| {
        for p in parameters(op) {
            let p = resolve(doc, p);
            let schema = p.get("schema").cloned().unwrap_or(Value::Null);
            let (k, v) = param_summary(p, &schema);
            o.params.insert(k, v);
        }
        if let Some(body) = op.get("requestBody") {
            o.body = resolve(doc, body)
                .pointer("/content/application~1json/schema")
                .map(shape);
        }
    })?;
    let mut m = Model {
        operations,
        ..Default::default()
    };
    for (name, s) in doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .context("no components.schemas")?
    {
        m.schemas.insert(name.clone(), schema_summary(s));
    }
    Ok(m)
}

fn model_swagger2(doc: &Value) -> Result<Model> {
    let operations = operations(doc, |op, o| {
        for p in parameters(op) {
            let p = resolve(doc, p);
            if p.get("in").and_then(Value::as_str) == Some("body") {
                o.body = p.get("schema").map(shape);
                continue;
            }
            // Swagger 2.0 puts the type beside the parameter; lift it into a schema.
            let mut schema = serde_json::Map::new();
            for k in [
                "type",
                "format",
                "minimum",
                "maximum",
                "minLength",
                "maxLength",
                "pattern",
                "items",
            ] {
                if let Some(v) = p.get(k) {
                    schema.insert(k.to_owned(), v.clone());
                }
            }
            let (k, v) = param_summary(p, &Value::Object(schema));
            o.params.insert(k, v);
        }
    })?;
    let mut m = Model {
        operations,
        ..Default::default()
    };
    for (name, s) in doc
        .get("definitions")
        .and_then(Value::as_object)
        .context("no definitions")?
    {
        m.schemas.insert(name.clone(), schema_summary(s));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The comparison with Microsoft's spec of `version`, or `None` (after
    /// saying why) when the reference folder is absent and `CI` is not set.
    fn report(version: &str, test: &str) -> Option<Report> {
        let reference = crate::reference::require(
            crate::workspace_root().join(format!(
                "../shared/reference/keyvault-keys-spec/{version}/keys.json"
            )),
            test,
        )?;
        let ours = load(&crate::workspace_root().join(crate::codegen::SPEC_PATH)).expect("ours");
        let theirs = load(&reference).expect("reference");
        Some(compare(
            &model_openapi3(&ours).expect("model"),
            &model_swagger2(&theirs).expect("model"),
        ))
    }

    #[test]
    fn nothing_of_2025_07_01_is_missing() {
        let Some(r) = report("2025-07-01", "nothing_of_2025_07_01_is_missing") else {
            return;
        };
        assert!(r.missing.is_empty(), "{:?}", r.missing);
        assert!(r.differs.is_empty(), "{:?}", r.differs);
    }

    #[test]
    fn the_preview_shows_secure_wrap_and_new_fields() {
        let Some(r) = report(
            "2026-03-01-preview",
            "the_preview_shows_secure_wrap_and_new_fields",
        ) else {
            return;
        };
        let all = r.missing.join("\n");
        for needle in [
            "operation POST /keys/{key-name}/{key-version}/securewrapkey",
            "operation POST /keys/{key-name}/{key-version}/secureunwrapkey",
            "schema KeyAttributes field external_key",
            "schema KeyAttributes field key_size",
            "enum JsonWebKeyOperation value \"secureWrapKey\"",
            "schema JsonWebKeyWrapAlgorithm",
        ] {
            assert!(all.contains(needle), "{needle} not reported:\n{all}");
        }
    }
}
