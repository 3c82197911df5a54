//! Reads each generated operation's answer without copying its headers.
//!
//! progenitor's `ResponseValue::from_response(response)` clones the
//! response's header map before reading the body (about 1,000
//! instructions and a few allocations per call, issue 19). This pass
//! replaces each call with `crate::call::response_value(response)`, which
//! moves the headers out instead and is otherwise the same: the body read
//! whole, parsed with serde_json, the same errors.

use anyhow::{Result, bail};
use syn::visit_mut::VisitMut;
use syn::{Expr, ExprCall};

struct Rewrite(usize);

impl VisitMut for Rewrite {
    fn visit_expr_call_mut(&mut self, call: &mut ExprCall) {
        syn::visit_mut::visit_expr_call_mut(self, call);
        let Expr::Path(f) = &*call.func else { return };
        let segments: Vec<String> = f
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        if segments == ["ResponseValue", "from_response"] && call.args.len() == 1 {
            *call.func = syn::parse_quote!(crate::call::response_value);
            self.0 += 1;
        }
    }
}

/// Rewrites every `ResponseValue::from_response(…)`; returns how many.
pub fn apply(file: &mut syn::File) -> Result<usize> {
    let mut rewrite = Rewrite(0);
    rewrite.visit_file_mut(file);
    if rewrite.0 == 0 {
        bail!("no ResponseValue::from_response found in the generated code");
    }
    Ok(rewrite.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_response_becomes_response_value() {
        let mut file: syn::File = syn::parse_str(
            "async fn f() { match s { 200u16 => ResponseValue::from_response(response).await, _ => ResponseValue::stream(response) } }",
        )
        .expect("parse");
        assert_eq!(apply(&mut file).expect("apply"), 1);
        let out: String = prettyplease::unparse(&file).split_whitespace().collect();
        assert!(
            out.contains("crate::call::response_value(response).await"),
            "{out}"
        );
        assert!(out.contains("ResponseValue::stream(response)"), "{out}");
        let mut none: syn::File = syn::parse_str("fn g() {}").expect("parse");
        assert!(apply(&mut none).is_err());
    }
}
