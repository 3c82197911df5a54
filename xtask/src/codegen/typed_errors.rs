//! Makes every generated operation return the protocol crate's own error.
//!
//! progenitor's methods return `progenitor_client::Error<ByteStream>`, in
//! which a pipeline failure (a refused challenge, a credential error, an
//! unknown outcome) has no place of its own. So each operation method
//! `op` that progenitor writes becomes a private `op_generated`, and a
//! public `op` with the same parameters and documentation calls it (its
//! future boxed) and converts its error with `crate::Error::from_generated`:
//! callers get `Result<ResponseValue<T>, crate::Error>`.

use anyhow::{Result, bail};
use quote::{format_ident, quote};
use syn::{FnArg, ImplItem, ImplItemFn, Pat, ReturnType, Type, Visibility};

/// The suffix of the private methods progenitor's bodies live in.
const RAW_SUFFIX: &str = "_generated";

/// Rewrites every `impl Client` operation method as described above;
/// returns how many were rewritten.
pub fn apply(file: &mut syn::File) -> Result<usize> {
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
        let e = match Box::pin(self.#raw_name(#(#args),*)).await {
            Ok(value) => return Ok(value),
            Err(e) => e,
        };
        Err(Box::pin(crate::Error::from_generated(e)).await)
    });
    Ok((public, raw))
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
