//! Builds each generated operation's URL from the vault's parsed URL.
//!
//! progenitor writes `let url = format!("{}/keys/{}/{}", self.baseurl,
//! encode_path(&key_name.to_string()), …);` and reqwest parses that string
//! back into a URL on every call. This pass replaces the line with
//! `crate::pipeline::operation_url(&self.baseurl, self.inner.vault_url(),
//! "/keys/{}/{}", &[key_name, …])`, which appends the segments to a copy of the URL
//! parsed once (and keeps progenitor's road for anything but plain
//! segments; see `keyvault-keys-protocol/src/pipeline/urls.rs`). A line of
//! another shape, or a path parameter that is not a `&str`, stops the
//! generator with an error rather than passing unchanged.

use anyhow::{Result, bail};
use quote::quote;
use syn::punctuated::Punctuated;
use syn::{Expr, FnArg, ImplItem, Lit, Pat, Stmt, Token, Type};

/// Rewrites every `let url = format!(…)` of the `impl Client` methods;
/// returns how many were rewritten.
pub fn apply(file: &mut syn::File) -> Result<usize> {
    let mut count = 0;
    for imp in super::client_impls(file) {
        for member in &mut imp.items {
            let ImplItem::Fn(f) = member else { continue };
            let str_params: Vec<String> = f
                .sig
                .inputs
                .iter()
                .filter_map(|input| match input {
                    FnArg::Typed(t) => match (&*t.pat, &*t.ty) {
                        (Pat::Ident(i), Type::Reference(r))
                            if matches!(&*r.elem, Type::Path(p) if p.path.is_ident("str")) =>
                        {
                            Some(i.ident.to_string())
                        }
                        _ => None,
                    },
                    FnArg::Receiver(_) => None,
                })
                .collect();
            let name = f.sig.ident.to_string();
            for stmt in &mut f.block.stmts {
                let Stmt::Local(local) = stmt else { continue };
                let Pat::Ident(p) = &local.pat else { continue };
                if p.ident != "url" {
                    continue;
                }
                let Some(init) = &mut local.init else {
                    continue;
                };
                let Expr::Macro(m) = &*init.expr else {
                    bail!("{name}: `let url` is not a format!");
                };
                if !m.mac.path.is_ident("format") {
                    bail!("{name}: `let url` is not a format!");
                }
                let args: Punctuated<Expr, Token![,]> = m
                    .mac
                    .parse_body_with(Punctuated::parse_terminated)
                    .map_err(|e| anyhow::anyhow!("{name}: the format! arguments: {e}"))?;
                let mut args = args.into_iter();
                let Some(Expr::Lit(lit)) = args.next() else {
                    bail!("{name}: format! without a literal");
                };
                let Lit::Str(template) = &lit.lit else {
                    bail!("{name}: format! without a string literal");
                };
                let template = template.value();
                let Some(path) = template.strip_prefix("{}") else {
                    bail!("{name}: the URL {template:?} does not start with the base URL");
                };
                match args.next() {
                    Some(Expr::Field(f)) if quote!(#f).to_string() == "self . baseurl" => {}
                    _ => bail!("{name}: the URL's first argument is not self.baseurl"),
                }
                let mut params = Vec::new();
                for arg in args {
                    let param = encoded_param(&arg).ok_or_else(|| {
                        anyhow::anyhow!(
                            "{name}: a URL argument not of the form encode_path(&x.to_string()): {}",
                            quote!(#arg)
                        )
                    })?;
                    if !str_params.contains(&param.to_string()) {
                        bail!("{name}: the path parameter {param} is not a &str");
                    }
                    params.push(param);
                }
                if path.matches("{}").count() != params.len() {
                    bail!(
                        "{name}: {template:?} does not take {} parameters",
                        params.len()
                    );
                }
                *init.expr = syn::parse_quote!(
                    crate::pipeline::operation_url(&self.baseurl, self.inner.vault_url(), #path, &[#(#params),*])
                        .map_err(Error::InvalidRequest)?
                );
                count += 1;
            }
        }
    }
    if count == 0 {
        bail!("no `let url = format!(…)` found in the generated `impl Client`");
    }
    Ok(count)
}

/// `x` out of `encode_path(&x.to_string())`.
fn encoded_param(arg: &Expr) -> Option<syn::Ident> {
    let Expr::Call(call) = arg else { return None };
    let Expr::Path(f) = &*call.func else {
        return None;
    };
    if !f.path.is_ident("encode_path") || call.args.len() != 1 {
        return None;
    }
    let Expr::Reference(r) = call.args.first()? else {
        return None;
    };
    let Expr::MethodCall(m) = &*r.expr else {
        return None;
    };
    if m.method != "to_string" || !m.args.is_empty() {
        return None;
    }
    let Expr::Path(p) = &*m.receiver else {
        return None;
    };
    p.path.get_ident().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(body: &str) -> Result<String> {
        let mut file: syn::File = syn::parse_str(&format!(
            "impl Client {{ async fn op_generated<'a>(&'a self, key_name: &'a str, n: i32) -> R {{ {body} }} }}"
        ))?;
        apply(&mut file)?;
        Ok(prettyplease::unparse(&file))
    }

    #[test]
    fn the_format_becomes_a_call_with_the_path_and_the_parameters() {
        let out = rewrite(
            r#"let url = format!("{}/keys/{}/sign", self.baseurl, encode_path(&key_name.to_string()),); let r = self.client.get(url);"#,
        )
        .expect("rewrite");
        let out: String = out.split_whitespace().collect();
        assert!(
            out.contains(r#"crate::pipeline::operation_url(&self.baseurl,self.inner.vault_url(),"/keys/{}/sign",&[key_name]"#),
            "{out}"
        );
        assert!(out.contains(".map_err(Error::InvalidRequest)?"), "{out}");
        assert!(!out.contains("format!"), "{out}");
    }

    #[test]
    fn other_shapes_stop_the_generator() {
        for body in [
            r#"let url = format!("{}/keys/{}", self.baseurl, encode_path(&n.to_string()));"#,
            r#"let url = format!("{}/keys/{}", self.baseurl, key_name);"#,
            r#"let url = format!("/keys/{}", encode_path(&key_name.to_string()));"#,
            r#"let url = format!("{}/keys/{}/{}", self.baseurl, encode_path(&key_name.to_string()));"#,
            r#"let url = String::new();"#,
            r#"let x = 1;"#,
        ] {
            assert!(rewrite(body).is_err(), "{body}");
        }
    }
}
