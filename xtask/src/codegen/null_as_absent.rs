//! Makes every optional member of every response model read `null` as
//! absent.
//!
//! The service sends `"member": null` for members it has no value for (a
//! rotation policy never set is `{"lifetimeActions": null, "attributes":
//! null}`). typify's `Option<T>` members take that already; its collections
//! and members with a spec default are `#[serde(default)]`, which covers a
//! missing member only, so `null` failed the whole response. Each such
//! member of a model reachable from a 2xx response gets a
//! `deserialize_with`: `crate::serde_null::null_as_default` (an array or a
//! map, `null` is empty), or for `default = "defaults::f"` a generated
//! `defaults::f_or_null` that calls `crate::serde_null::null_or_else` with
//! `f` (`null` is the spec's default). Request-only models are left alone.

use std::collections::BTreeSet;

use anyhow::{Result, bail};
use quote::format_ident;
use serde_json::Value;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Fields, Item, Lit, Meta, Token, Type};

/// The hand-written helper for members whose default is `Default::default()`.
const NULL_AS_DEFAULT: &str = "crate::serde_null::null_as_default";
/// The hand-written helper the generated `*_or_null` functions call.
const NULL_OR_ELSE: &str = "crate::serde_null::null_or_else";
/// The suffix of the generated wrappers of spec defaults.
const OR_NULL_SUFFIX: &str = "_or_null";

/// Names of the object schemas (with properties) reachable from the 2xx
/// responses of the (normalised) spec's operations.
pub fn response_schemas(spec: &Value) -> BTreeSet<String> {
    fn walk(spec: &Value, schema: &Value, out: &mut BTreeSet<String>) {
        if let Some(name) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            if out.insert(name.to_owned())
                && let Some(s) = spec.pointer(&format!("/components/schemas/{name}"))
            {
                walk(spec, s, out);
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
    let operations = spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values());
    for op in operations {
        let responses = op.get("responses").and_then(Value::as_object);
        for (status, response) in responses.into_iter().flatten() {
            if !status.starts_with('2') {
                continue;
            }
            let response = match response.get("$ref").and_then(Value::as_str) {
                Some(r) => r
                    .strip_prefix('#')
                    .and_then(|p| spec.pointer(p))
                    .unwrap_or(&Value::Null),
                None => response,
            };
            let media = response.get("content").and_then(Value::as_object);
            for m in media.into_iter().flat_map(|c| c.values()) {
                if let Some(schema) = m.get("schema") {
                    walk(spec, schema, &mut out);
                }
            }
        }
    }
    out.retain(|name| {
        spec.pointer(&format!("/components/schemas/{name}"))
            .is_some_and(|s| {
                s.get("type").and_then(Value::as_str) == Some("object")
                    && s.get("properties").is_some()
            })
    });
    out
}

/// Adds the `deserialize_with`s to the structs of `mod types` named in
/// `models`; returns how many members were changed. A model without a
/// struct stops the generator.
pub fn apply(file: &mut syn::File, models: &BTreeSet<String>) -> Result<usize> {
    let Some(types) = file.items.iter_mut().find_map(|i| match i {
        Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    }) else {
        bail!("the generated file has no `mod types`");
    };
    let mut changed = 0;
    let mut wrappers: BTreeSet<String> = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for item in types.iter_mut() {
        let Item::Struct(s) = item else { continue };
        let name = s.ident.to_string();
        if !models.contains(&name) {
            continue;
        }
        seen.insert(name.clone());
        let Fields::Named(fields) = &mut s.fields else {
            continue;
        };
        for field in &mut fields.named {
            if accepts_null(&field.ty) {
                continue;
            }
            let member = field.ident.as_ref().map(ToString::to_string);
            let mut default = None;
            let mut flatten = false;
            for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
                let metas =
                    attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
                for meta in &metas {
                    match meta {
                        Meta::Path(p) if p.is_ident("default") => default = Some(None),
                        Meta::Path(p) if p.is_ident("flatten") => flatten = true,
                        Meta::NameValue(nv) if nv.path.is_ident("default") => {
                            let Expr::Lit(ExprLit {
                                lit: Lit::Str(path),
                                ..
                            }) = &nv.value
                            else {
                                bail!("{name}.{member:?}: a default that is not a path string");
                            };
                            default = Some(Some(path.value()));
                        }
                        Meta::NameValue(nv)
                            if nv.path.is_ident("deserialize_with") || nv.path.is_ident("with") =>
                        {
                            bail!("{name}.{member:?} already has a deserializer of its own");
                        }
                        _ => {}
                    }
                }
            }
            // Required members stay required; the flattened `extra` map
            // holds unknown members, whatever their value.
            let Some(default) = default.filter(|_| !flatten) else {
                continue;
            };
            let with = match default {
                None => NULL_AS_DEFAULT.to_owned(),
                Some(path) => {
                    let Some(f) = path.strip_prefix("defaults::") else {
                        bail!("{name}.{member:?}: default {path} is not in `mod defaults`");
                    };
                    wrappers.insert(f.to_owned());
                    format!("{path}{OR_NULL_SUFFIX}")
                }
            };
            field
                .attrs
                .push(syn::parse_quote!(#[serde(deserialize_with = #with)]));
            changed += 1;
        }
    }
    if let Some(missing) = models.difference(&seen).next() {
        bail!("response model {missing} has no struct in the generated `mod types`");
    }
    if !wrappers.is_empty() {
        add_wrappers(types, &wrappers)?;
    }
    Ok(changed)
}

/// Whether serde reads `null` into the type by itself.
fn accepts_null(ty: &Type) -> bool {
    let Type::Path(p) = ty else { return false };
    let Some(last) = p.path.segments.last() else {
        return false;
    };
    if last.ident == "Option" {
        return true;
    }
    if last.ident == "Box"
        && let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
    {
        return accepts_null(inner);
    }
    false
}

/// `fn f_or_null` next to each default function `f` of `mod defaults`.
fn add_wrappers(types: &mut [Item], wrappers: &BTreeSet<String>) -> Result<()> {
    let Some(defaults) = types.iter_mut().find_map(|i| match i {
        Item::Mod(m) if m.ident == "defaults" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    }) else {
        bail!("a member has a spec default but the generated file has no `mod defaults`");
    };
    for f in wrappers {
        let Some(ty) = defaults.iter().find_map(|i| match i {
            Item::Fn(d) if d.sig.ident == f => match &d.sig.output {
                syn::ReturnType::Type(_, ty) => Some((**ty).clone()),
                syn::ReturnType::Default => None,
            },
            _ => None,
        }) else {
            bail!("no function {f} returning a value in `mod defaults`");
        };
        let ident = format_ident!("{f}");
        let wrapper = format_ident!("{f}{OR_NULL_SUFFIX}");
        let helper: syn::Path = syn::parse_str(NULL_OR_ELSE)?;
        let doc = format!(" `{f}` when the member is `null` (as when it is absent).");
        defaults.push(syn::parse_quote! {
            #[doc = #doc]
            pub(super) fn #wrapper<'de, D>(deserializer: D) -> ::std::result::Result<#ty, D::Error>
            where
                D: ::serde::Deserializer<'de>,
            {
                #helper(deserializer, #ident)
            }
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Value {
        let path = crate::workspace_root().join(super::super::SPEC_PATH);
        let text = std::fs::read_to_string(path).expect("read spec");
        let raw: Value = serde_yaml::from_str(&text).expect("yaml");
        crate::normalise::normalise(raw).expect("normalise").spec
    }

    #[test]
    fn the_response_models_are_those_of_success_answers() {
        let models = response_schemas(&spec());
        for m in [
            "KeyBundle",
            "KeyRotationPolicy",
            "LifetimeActions",
            "KeyListResult",
            "DeletedKeyItem",
            "KeyReleasePolicy",
            "RandomBytes",
        ] {
            assert!(models.contains(m), "{m} missing from {models:?}");
        }
        // Request bodies and the error envelope are not success answers.
        for m in [
            "KeyCreateParameters",
            "KeyUpdateParameters",
            "KeyVaultError",
            "JsonWebKeyType",
        ] {
            assert!(!models.contains(m), "{m} in {models:?}");
        }
    }

    #[test]
    fn collections_and_defaults_of_response_models_get_a_null_reader() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                pub struct Page {
                    #[serde(default, skip_serializing_if = "::std::vec::Vec::is_empty")]
                    pub value: ::std::vec::Vec<Item>,
                    #[serde(rename = "contentType", default = "defaults::page_content_type")]
                    pub content_type: ::std::string::String,
                    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
                    pub next: ::std::option::Option<::std::string::String>,
                    pub required: ::std::string::String,
                    #[serde(flatten)]
                    pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
                }
                pub struct Request {
                    #[serde(default)]
                    pub value: ::std::vec::Vec<Item>,
                }
                pub mod defaults {
                    pub(super) fn page_content_type() -> ::std::string::String {
                        "x".to_string()
                    }
                }
            }
        };
        let models = BTreeSet::from(["Page".to_owned()]);
        assert_eq!(apply(&mut file, &models).expect("apply"), 2);
        let out = prettyplease::unparse(&file);
        assert!(
            out.contains(r#"#[serde(deserialize_with = "crate::serde_null::null_as_default")]"#),
            "{out}"
        );
        assert!(
            out.contains(r#"#[serde(deserialize_with = "defaults::page_content_type_or_null")]"#),
            "{out}"
        );
        assert!(
            out.contains("fn page_content_type_or_null<'de, D>"),
            "{out}"
        );
        assert_eq!(out.matches("deserialize_with").count(), 2, "{out}");

        let e = apply(&mut file.clone(), &BTreeSet::from(["Gone".to_owned()]))
            .expect_err("a model without a struct");
        assert!(e.to_string().contains("Gone"), "{e}");
    }

    /// The checked-in file: each collection of a response model reads null.
    #[test]
    fn the_generated_rotation_policy_reads_null_actions() {
        let path = crate::workspace_root().join(super::super::TYPES_OUT_PATH);
        let text = std::fs::read_to_string(path).expect("generated.rs");
        let start = text
            .find("pub struct KeyRotationPolicy {")
            .expect("KeyRotationPolicy");
        let body = &text[start..start + text[start..].find("\n    }").expect("end")];
        assert!(body.contains(NULL_AS_DEFAULT), "{body}");
    }
}
