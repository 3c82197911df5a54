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

/// What `--yaml` adds to the report.
#[derive(Debug, Default, Clone)]
pub struct YamlMode {
    /// Print the YAML to add to `specs/`.
    pub enabled: bool,
    /// The version that introduced what is missing (`--since`); default:
    /// their document's `info.version`.
    pub since: Option<String>,
}

pub fn run(ours: &Path, theirs: &Path, yaml: &YamlMode) -> Result<ExitCode> {
    let ours_doc = load(ours)?;
    let theirs_doc = load(theirs)?;
    let ours_model = model_openapi3(&ours_doc).context("reading our OpenAPI 3 document")?;
    let theirs_model = model_swagger2(&theirs_doc).context("reading the Swagger 2.0 document")?;
    let report = compare(&ours_model, &theirs_model);
    if yaml.enabled {
        let since = yaml
            .since
            .clone()
            .or_else(|| {
                theirs_doc
                    .pointer("/info/version")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "UNKNOWN".to_owned());
        print!("{}", suggest(&ours_doc, &theirs_doc, &since)?);
    }
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
///
/// Members beside a `$ref` are not part of the shape: Swagger 2.0 and
/// OpenAPI 3.0 both ignore a reference's siblings (JSON Reference), so a
/// `minLength` written next to a `$ref` (as 2026-04-01 does on
/// `KeyExportParameters.enc`) constrains nothing.
fn shape(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return format!("ref {}", ref_name(r));
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

/// `--yaml`: for each difference, the YAML to merge into `specs/` (a
/// document of the same shape: `paths` and `components.schemas`), with
/// `x-introduced-in: since` on each new operation, schema and member.
///
/// Facts carry over (paths, wire names, types, formats, bounds, required,
/// readOnly, enum values); Microsoft's descriptions and summaries do not:
/// the maintainer writes them in our own words. Parameters that our
/// `components.parameters` already describe (`api-version`, `key-name`,
/// `key-version`, `maxresults`) become references to them; `default`
/// answers become our error response. A member described differently is
/// printed in their form under a comment, for the maintainer to decide.
pub fn suggest(ours: &Value, theirs: &Value, since: &str) -> Result<String> {
    use serde_json::{Map, json};
    let ours_model = model_openapi3(ours)?;
    let theirs_model = model_swagger2(theirs)?;
    let mut paths = Map::new();
    let mut schemas = Map::new();
    let mut notes = Vec::new();
    let their_paths = theirs
        .get("paths")
        .and_then(Value::as_object)
        .context("no paths")?;
    for (path, item) in their_paths {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let key = format!("{} {path}", method.to_uppercase());
            if ours_model.operations.contains_key(&key) {
                continue;
            }
            let entry = paths
                .entry(path.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            entry[method] = operation_to_oas3(theirs, op, since);
        }
    }
    let defs = theirs
        .get("definitions")
        .and_then(Value::as_object)
        .context("no definitions")?;
    let our_schemas = ours
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    for (name, def) in defs {
        let Some(ours_schema) = our_schemas.and_then(|s| s.get(name)) else {
            let mut schema = to_oas3(def);
            if schema.get("type").and_then(Value::as_str) == Some("object") {
                schema["x-introduced-in"] = json!(since);
            }
            schemas.insert(name.clone(), schema);
            continue;
        };
        let theirs_summary = &theirs_model.schemas[name];
        let ours_summary = &ours_model.schemas[name];
        let required: BTreeSet<&str> = def
            .get("required")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (field, prop) in def
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let mut p = to_oas3(prop);
            match ours_summary.fields.get(field) {
                None => {
                    p["x-introduced-in"] = json!(since);
                    schemas
                        .entry(name.clone())
                        .or_insert_with(|| json!({}))
                        .as_object_mut()
                        .context("schema")?
                        .entry("properties")
                        .or_insert_with(|| json!({}))[field] = p;
                    if required.contains(field.as_str()) {
                        notes.push(format!(
                            "{name}.{field} is required in theirs: add it to {name}.required"
                        ));
                    }
                }
                Some(o) if Some(o) != theirs_summary.fields.get(field) => notes.push(format!(
                    "{name}.{field} differs: ours {o}; theirs {}: theirs is {}",
                    theirs_summary.fields[field],
                    serde_json::to_string(&p).unwrap_or_default()
                )),
                Some(_) => {}
            }
        }
        let missing: Vec<&String> = theirs_summary
            .enum_values
            .iter()
            .filter(|v| !ours_summary.enum_values.contains(v))
            .collect();
        if !missing.is_empty() {
            let mut all = ours_schema
                .get("enum")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            all.extend(missing.iter().map(|v| json!(v)));
            notes.push(format!(
                "{name}: enum values {missing:?} new in {since} (the generator's enum type in \
                 keyvault-keys-types/src/enums.rs needs them too)"
            ));
            schemas.entry(name.clone()).or_insert_with(|| json!({}))["enum"] = Value::Array(all);
        }
    }
    for name in schemas.keys() {
        if !our_schemas.is_some_and(|s| s.contains_key(name)) && defs[name].get("enum").is_some() {
            notes.push(format!(
                "{name} is a new enum: add a hand-written type to \
                 keyvault-keys-types/src/enums.rs and a pair to ENUM_TYPES in xtask/src/codegen.rs"
            ));
        }
    }
    let mut out = String::from(
        "\n# --- YAML to merge into specs/keyvault-keys.yaml (spec-compare --yaml) ---\n\
         # Descriptions and summaries are left out: write them in our own words.\n\
         # Check each x-introduced-in: it is the version compared, which may be\n\
         # later than the version that introduced the item (use --since V).\n",
    );
    for n in &notes {
        out.push_str(&format!("# note: {n}\n"));
    }
    let mut doc = Map::new();
    if !paths.is_empty() {
        doc.insert("paths".into(), Value::Object(paths));
    }
    if !schemas.is_empty() {
        doc.insert("components".into(), json!({ "schemas": schemas }));
    }
    if doc.is_empty() {
        out.push_str("# nothing to add\n");
    } else {
        out.push_str(&serde_yaml::to_string(&Value::Object(doc))?);
    }
    Ok(out)
}

/// A Swagger 2.0 schema in OpenAPI 3 form, without Microsoft's prose and
/// client-generator hints.
fn to_oas3(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, x) in m {
                match k.as_str() {
                    "description"
                    | "summary"
                    | "title"
                    | "x-ms-client-name"
                    | "x-ms-examples"
                    | "x-ms-client-flatten" => {}
                    "$ref" => {
                        let r = x.as_str().unwrap_or_default();
                        out.insert(
                            k.clone(),
                            Value::String(r.replace("#/definitions/", "#/components/schemas/")),
                        );
                    }
                    "x-ms-enum" => {
                        let mut e = x.clone();
                        if let Some(o) = e.as_object_mut() {
                            o.remove("values");
                        }
                        out.insert(k.clone(), e);
                    }
                    _ => {
                        out.insert(k.clone(), to_oas3(x));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(to_oas3).collect()),
        other => other.clone(),
    }
}

/// A Swagger 2.0 operation in our OpenAPI 3 form.
fn operation_to_oas3(doc: &Value, op: &Value, since: &str) -> Value {
    use serde_json::json;
    let mut params = Vec::new();
    let mut body = None;
    for p in parameters(op) {
        let p = resolve(doc, p);
        let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
        let location = p.get("in").and_then(Value::as_str).unwrap_or_default();
        let ours = match (location, name) {
            ("query", "api-version") => Some("ApiVersion"),
            ("path", "key-name") => Some("KeyName"),
            ("path", "key-version") => Some("KeyVersion"),
            ("query", "maxresults") => Some("MaxResults"),
            _ => None,
        };
        if let Some(ours) = ours {
            params.push(json!({ "$ref": format!("#/components/parameters/{ours}") }));
        } else if location == "body" {
            body = Some(json!({
                "required": true,
                "content": {"application/json": {"schema": to_oas3(&p["schema"])}},
            }));
        } else {
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
                    schema.insert(k.to_owned(), to_oas3(v));
                }
            }
            params.push(json!({
                "name": name,
                "in": location,
                "required": p.get("required").cloned().unwrap_or(Value::Bool(false)),
                "schema": schema,
            }));
        }
    }
    let mut responses = serde_json::Map::new();
    for (status, r) in op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let answer = if status == "default" {
            json!({"$ref": "#/components/responses/Error"})
        } else {
            match r.get("schema") {
                Some(schema) => json!({
                    "description": "TODO",
                    "content": {"application/json": {"schema": to_oas3(schema)}},
                }),
                None => json!({"description": "TODO"}),
            }
        };
        responses.insert(status.clone(), answer);
    }
    let mut out = json!({
        "operationId": op.get("operationId").cloned().unwrap_or(Value::Null),
        "x-introduced-in": since,
        "parameters": params,
        "responses": responses,
    });
    if let Some(body) = body {
        out["requestBody"] = body;
    }
    out
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

    /// Merges `patch` into `doc` (objects member by member, anything else
    /// replaced), as a maintainer pastes the suggestion.
    fn merge(doc: &mut Value, patch: &Value) {
        match (doc, patch) {
            (Value::Object(d), Value::Object(p)) => {
                for (k, v) in p {
                    merge(d.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
            (d, p) => *d = p.clone(),
        }
    }

    #[test]
    fn the_yaml_suggestion_pasted_into_ours_leaves_nothing_missing() {
        let Some(reference) = crate::reference::require(
            crate::workspace_root()
                .join("../shared/reference/keyvault-keys-spec/2026-04-01/keys.json"),
            "the_yaml_suggestion_pasted_into_ours_leaves_nothing_missing",
        ) else {
            return;
        };
        let theirs = load(&reference).expect("reference");
        let mut ours =
            load(&crate::workspace_root().join(crate::codegen::SPEC_PATH)).expect("ours");
        // Ours as it was before 2026-04-01: no secure wrap, no external keys.
        let paths = ours["paths"].as_object_mut().expect("paths");
        paths.remove("/keys/{key-name}/{key-version}/securewrapkey");
        paths.remove("/keys/{key-name}/{key-version}/secureunwrapkey");
        let schemas = ours["components"]["schemas"]
            .as_object_mut()
            .expect("schemas");
        for s in [
            "ExternalKey",
            "JsonWebKeyWrapAlgorithm",
            "SecureKeyOperationCommonParameters",
            "SecureKeyOperationResult",
            "SecureKeyUnWrapOperationParameters",
            "SecureKeyWrapOperationParameters",
        ] {
            schemas.remove(s);
        }
        let attributes = schemas["KeyAttributes"]["properties"]
            .as_object_mut()
            .expect("attributes");
        attributes.remove("external_key");
        attributes.remove("key_size");
        schemas["JsonWebKeyOperation"]["enum"] = serde_json::json!(["encrypt", "decrypt"]);

        let text = suggest(&ours, &theirs, "2026-01-01-preview").expect("suggest");
        for needle in [
            "/keys/{key-name}/{key-version}/securewrapkey:",
            "operationId: securewrapkey",
            "x-introduced-in: 2026-01-01-preview",
            "$ref: '#/components/schemas/SecureKeyWrapOperationParameters'",
            "$ref: '#/components/parameters/KeyVersion'",
            "external_key:",
            "JsonWebKeyWrapAlgorithm is a new enum",
        ] {
            assert!(text.contains(needle), "{needle} not in:\n{text}");
        }
        assert!(
            !text.contains("Creates a new 256 bit AES key"),
            "their prose leaked"
        );
        let yaml = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        let patch: Value = serde_yaml::from_str(&yaml).expect("the suggestion is YAML");
        merge(&mut ours, &patch);
        let r = compare(
            &model_openapi3(&ours).expect("model"),
            &model_swagger2(&theirs).expect("model"),
        );
        assert!(r.missing.is_empty(), "{:?}", r.missing);
        assert!(r.differs.is_empty(), "{:?}", r.differs);
    }

    #[test]
    fn nothing_of_2026_04_01_is_missing() {
        let Some(r) = report("2026-04-01", "nothing_of_2026_04_01_is_missing") else {
            return;
        };
        assert!(r.missing.is_empty(), "{:?}", r.missing);
        assert!(r.differs.is_empty(), "{:?}", r.differs);
        // 2026-04-01 dropped the secure key operations from its (extensible)
        // list; ours keeps them so that keys carrying them decode.
        assert!(
            r.extra.iter().any(|e| e.contains("\"secureWrapKey\"")),
            "{:?}",
            r.extra
        );
    }

    /// 2026-07-01-preview: nothing missing; the three differences are
    /// deliberate (see the comments at `KeySignParameters` and
    /// `SecureKeyUnWrapOperationParameters` in specs/): verify keeps `alg`
    /// and `digest` required as every version before the preview does (the
    /// ML-DSA bodies without them are sent raw by keyvault-crypto), and
    /// `applicationTrustedIssuer` is optional so that secure unwrap keeps
    /// its shape at the versions before it.
    #[test]
    fn the_2026_07_01_preview_differs_only_where_chosen() {
        let Some(r) = report(
            "2026-07-01-preview",
            "the_2026_07_01_preview_differs_only_where_chosen",
        ) else {
            return;
        };
        assert!(r.missing.is_empty(), "{:?}", r.missing);
        let chosen = [
            "schema KeyVerifyParameters field alg: ours ref JsonWebKeySignatureAlgorithm, required; theirs ref JsonWebKeySignatureAlgorithm",
            "schema KeyVerifyParameters field digest: ours string/base64url, required; theirs string/base64url",
            "schema SecureKeyUnWrapOperationParameters field applicationTrustedIssuer: ours string; theirs string, required",
        ];
        assert_eq!(r.differs, chosen);
        assert!(r.extra.is_empty(), "{:?}", r.extra);
    }

    #[test]
    fn nothing_of_the_2026_03_01_preview_is_missing() {
        let Some(r) = report(
            "2026-03-01-preview",
            "nothing_of_the_2026_03_01_preview_is_missing",
        ) else {
            return;
        };
        assert!(r.missing.is_empty(), "{:?}", r.missing);
        assert!(r.differs.is_empty(), "{:?}", r.differs);
    }
}
