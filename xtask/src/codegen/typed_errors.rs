//! Makes every generated operation run the pipeline itself and return the
//! protocol crate's own error.
//!
//! progenitor's methods return `progenitor_client::Error<ByteStream>`, and
//! run the request through the `exec` hook, which can only return a
//! `reqwest::Result`: a pipeline failure (a refused challenge, a
//! credential error, an unknown outcome) has no place in either. So each
//! operation `op` progenitor writes becomes a private `op_generated` whose
//! body is rewritten to return `crate::Error` directly:
//!
//! - the hooks (`pre`, `exec`, `post`) become one call of
//!   `Client::execute`, the whole pipeline, returning `crate::Error`;
//! - the answer is read by `crate::call::response_value` (success) and
//!   `crate::call::error_answer` (any other status);
//! - progenitor's `api-version` header (Key Vault wants a query pair, which
//!   the pipeline adds) is not built at all;
//! - `Error::InvalidRequest` and a request that cannot be built become
//!   `crate::Error::InvalidRequest`.
//!
//! A public `op` with the same parameters and documentation boxes its
//! future once (issue 19: callers' futures stay small).
use anyhow::{Result, bail};
use quote::{format_ident, quote};
use syn::visit_mut::VisitMut;
use syn::{Expr, FnArg, ImplItem, ImplItemFn, Pat, ReturnType, Stmt, Type, Visibility};

/// The suffix of the private methods progenitor's bodies live in.
const RAW_SUFFIX: &str = "_generated";

/// Rewrites every `impl Client` operation method as described above;
/// returns how many were rewritten.
pub fn apply(file: &mut syn::File) -> Result<usize> {
    // progenitor asserts that `Client` implements its hooks; the rewritten
    // operations call no hook, so the client has none (and no `exec` that
    // could send a request around the pipeline).
    let before = file.items.len();
    file.items.retain(|item| {
        !matches!(item, syn::Item::Const(c) if quote!(#c).to_string().contains("assert_client_hooks"))
    });
    if file.items.len() + 1 != before {
        bail!("progenitor's hooks assertion was not found once");
    }
    let mut count = 0;
    for imp in super::client_impls(file) {
        let mut items = Vec::with_capacity(imp.items.len() * 2);
        for member in std::mem::take(&mut imp.items) {
            match member {
                ImplItem::Fn(f) if is_operation(&f) => {
                    let (public, raw) = split(f)?;
                    items.push(ImplItem::Fn(public));
                    items.push(ImplItem::Fn(raw));
                    count += 1;
                }
                other => items.push(other),
            }
        }
        imp.items = items;
    }
    if count == 0 {
        bail!("no operation method found in the generated `impl Client`");
    }
    Ok(count)
}

/// A public async method returning `Result<ResponseValue<_>, Error<_>>`.
fn is_operation(f: &ImplItemFn) -> bool {
    let ReturnType::Type(_, ty) = &f.sig.output else {
        return false;
    };
    let text = quote!(#ty).to_string().replace(' ', "").replace(",>", ">");
    matches!(f.vis, Visibility::Public(_))
        && f.sig.asyncness.is_some()
        && text.starts_with("Result<ResponseValue<")
        && text.ends_with(",Error<ByteStream>>")
}

/// The public wrapper and the private method holding progenitor's body.
fn split(f: ImplItemFn) -> Result<(ImplItemFn, ImplItemFn)> {
    let name = f.sig.ident.clone();
    let raw_name = format_ident!("{name}{RAW_SUFFIX}");
    let mut args = Vec::new();
    for input in &f.sig.inputs {
        match input {
            FnArg::Receiver(_) => {}
            FnArg::Typed(t) => match &*t.pat {
                Pat::Ident(i) => args.push(i.ident.clone()),
                _ => bail!("{name}: a parameter that is not a plain name"),
            },
        }
    }
    let ReturnType::Type(_, ty) = &f.sig.output else {
        bail!("{name}: no return type");
    };
    let Some(value) = response_value(ty) else {
        bail!("{name}: the return type is not Result<ResponseValue<_>, _>");
    };

    let mut raw = f.clone();
    raw.sig.ident = raw_name.clone();
    raw.vis = Visibility::Inherited;
    raw.attrs.retain(|a| !a.path().is_ident("doc"));
    raw.sig.output = syn::parse_quote!(-> Result<#value, crate::Error>);
    direct(&name.to_string(), &mut raw.block)?;

    let mut public = f;
    public.sig.output = syn::parse_quote!(-> Result<#value, crate::Error>);
    // The operation's future (its request, the pipeline, reqwest's) is
    // boxed once here, and so is the rare error conversion: the public
    // method's future is two pointers, and an answer leaves it without
    // being moved into another future first. Every future that awaits it
    // (`KeyClient`'s, the caller's) then stays small instead of copying
    // kilobytes each time it is moved (issue 19).
    // (The error is taken out in a `let`, so the answer is not kept in
    // the future's state across the error's await.)
    public.block = syn::parse_quote!({
        Box::pin(self.#raw_name(#(#args),*)).await
    });
    Ok((public, raw))
}

/// Rewrites progenitor's body of operation `name` as the module says;
/// fails when its shape is not the one this pass knows.
fn direct(name: &str, block: &mut syn::Block) -> Result<()> {
    let text = |s: &Stmt| quote!(#s).to_string().replace(' ', "");
    let mut stmts = Vec::with_capacity(block.stmts.len());
    let (mut hooks, mut header) = (0, 0);
    for stmt in std::mem::take(&mut block.stmts) {
        let t = text(&stmt);
        if t.starts_with("letmutheader_map=") || t.starts_with("header_map.append(") {
            header += 1;
        } else if t.starts_with("self.pre(") || t.starts_with("self.post(") {
            hooks += 1;
        } else if t.starts_with("letresult=self.exec(") {
            hooks += 1;
            stmts.push(syn::parse_quote!(
                let response = self.execute(request, info.operation_id).await?;
            ));
        } else if t == "letresponse=result?;" {
            hooks += 1;
        } else {
            stmts.push(stmt);
        }
    }
    if hooks != 4 || header != 2 {
        bail!(
            "{name}: progenitor's body is not the shape this pass rewrites ({hooks} hook statements, {header} header statements)"
        );
    }
    block.stmts = stmts;
    let mut rewrite = Direct::default();
    rewrite.visit_block_mut(block);
    if rewrite.answers == 0 || rewrite.headers != 1 {
        bail!("{name}: no answer match, or no `.headers(header_map)` to drop");
    }
    Ok(())
}

/// The expression rewrites of [`direct`].
#[derive(Default)]
struct Direct {
    answers: usize,
    headers: usize,
}

impl VisitMut for Direct {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        match expr {
            // `.headers(header_map)`: the api-version header, dropped.
            Expr::MethodCall(m)
                if m.method == "headers"
                    && matches!(m.args.first(), Some(Expr::Path(p)) if p.path.is_ident("header_map")) =>
            {
                *expr = (*m.receiver).clone();
                self.headers += 1;
            }
            // `.build()?`: a request the HTTP client refuses to build.
            Expr::Try(t) if matches!(&*t.expr, Expr::MethodCall(m) if m.method == "build") => {
                let inner = &t.expr;
                *expr = syn::parse_quote!(#inner.map_err(crate::call::build_error)?);
            }
            // `Error::InvalidRequest`: the crate's variant of the same name.
            Expr::Path(p) if quote!(#p).to_string().replace(' ', "") == "Error::InvalidRequest" => {
                *expr = syn::parse_quote!(crate::Error::InvalidRequest);
            }
            // Any status but the operation's success.
            Expr::Call(c) => {
                let f = &c.func;
                let f = quote!(#f).to_string().replace(' ', "");
                if f == "Error::ErrorResponse" || f == "Error::UnexpectedResponse" {
                    *expr = syn::parse_quote!(crate::call::error_answer(response).await);
                    self.answers += 1;
                }
            }
            _ => {}
        }
    }
}

/// `ResponseValue<T>` out of `Result<ResponseValue<T>, E>`.
fn response_value(ty: &Type) -> Option<syn::Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In the checked-in file, every public operation returns the
    /// protocol crate's error, and progenitor's bodies are private.
    #[test]
    fn every_public_operation_returns_the_crates_error() {
        let path = crate::workspace_root().join(super::super::OUT_PATH);
        let text = std::fs::read_to_string(path).expect("generated.rs");
        let file: syn::File = syn::parse_file(&text).expect("parses");
        let (mut public, mut private) = (0, 0);
        for item in &file.items {
            let syn::Item::Impl(imp) = item else { continue };
            if imp.trait_.is_some() {
                continue;
            }
            for member in &imp.items {
                let ImplItem::Fn(f) = member else { continue };
                if f.sig.asyncness.is_none() {
                    continue;
                }
                let ReturnType::Type(_, ty) = &f.sig.output else {
                    continue;
                };
                let text = quote!(#ty).to_string().replace(' ', "");
                if matches!(f.vis, Visibility::Public(_)) {
                    assert!(text.ends_with(",crate::Error>"), "{}: {text}", f.sig.ident);
                    public += 1;
                } else {
                    assert!(f.sig.ident.to_string().ends_with(RAW_SUFFIX));
                    private += 1;
                }
            }
        }
        assert!(public > 20, "{public} operations");
        assert_eq!(public, private);
    }
}
