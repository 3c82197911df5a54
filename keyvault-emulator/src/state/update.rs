//! Updating a key version's attributes, key operations, tags and release
//! policy.

use keyvault_crypto::KeyOperation;
use keyvault_keys_types::types;

use super::records::StoredReleasePolicy;
use super::rules::{check_exportable, check_tags};
use super::{Change, Ctx, Keys};
use crate::api_error::{ApiError, ApiResult};

impl Keys {
    pub fn update(
        &self,
        ctx: &Ctx,
        name: &str,
        version: &str,
        p: types::KeyUpdateParameters,
    ) -> ApiResult<Change<types::KeyBundle>> {
        let mut record = self.live_copy(name)?;
        let idx = if version.is_empty() {
            record
                .versions
                .len()
                .checked_sub(1)
                .ok_or_else(|| ApiError::key_not_found(name))?
        } else {
            record
                .versions
                .iter()
                .position(|v| v.version.eq_ignore_ascii_case(version))
                .ok_or_else(|| ApiError::key_not_found(&format!("{name}/{version}")))?
        };
        // Changes are made to a copy; a refusal below leaves the vault as it was.
        let v = &mut record.versions[idx];
        if let Some(rp) = &p.release_policy
            && v.release_policy.as_ref().and_then(|r| r.immutable) == Some(true)
            && Some(&StoredReleasePolicy::from_wire(rp.clone())) != v.release_policy.as_ref()
        {
            return Err(ApiError::bad_parameter(
                "The key's release policy is immutable and cannot be changed.",
            ));
        }
        if let Some(a) = &p.attributes {
            if a.exportable == Some(false) && v.exportable == Some(true) {
                return Err(ApiError::bad_parameter(
                    "An exportable key cannot be made non-exportable.",
                ));
            }
            if let Some(e) = a.enabled {
                v.enabled = e;
            }
            if a.nbf.is_some() {
                v.nbf = a.nbf;
            }
            if a.exp.is_some() {
                v.exp = a.exp;
            }
            if a.exportable.is_some() {
                v.exportable = a.exportable;
            }
        }
        // Absent leaves them alone; present (even empty) replaces them.
        if let Some(ops) = &p.key_ops {
            v.key_ops = ops
                .iter()
                .map(|o| KeyOperation::parse(o.as_ref()))
                .collect();
        }
        if let Some(tags) = &p.tags {
            check_tags(tags)?;
            v.tags = tags.clone();
        }
        if let Some(rp) = p.release_policy {
            v.release_policy = Some(StoredReleasePolicy::from_wire(rp));
        }
        check_exportable(
            v.exportable,
            v.release_policy.as_ref().is_some_and(|p| p.data.is_some()),
        )?;
        v.updated = ctx.now;
        let answer = self.bundle(ctx, &record.name, &record.versions[idx]);
        Ok(Change {
            lower: name.to_ascii_lowercase(),
            record: Some(record),
            answer,
            events: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{apply, create, ctx, keys};
    use crate::Flavor;
    use keyvault_crypto::KeyOperation;
    use keyvault_keys_types::types;
    use serde_json::json;

    fn update(v: serde_json::Value) -> types::KeyUpdateParameters {
        serde_json::from_value(v).expect("update parameters")
    }

    #[test]
    fn an_update_changes_only_what_it_names() {
        let mut k = keys(Flavor::Any);
        create(&mut k, "k", json!({"kty": "EC", "tags": {"a": "1"}})).expect("create");
        let planned = k.update(
            &ctx(),
            "k",
            "",
            update(json!({"key_ops": ["sign"], "attributes": {"exp": 4102444800_i64}})),
        );
        apply(&mut k, planned).expect("update");
        let (_, v) = k.version_record("k", "").expect("version");
        assert_eq!(v.key_ops, [KeyOperation::Sign]);
        assert_eq!((v.exp, v.enabled), (Some(4102444800), true));
        assert_eq!(v.tags.get("a").map(String::as_str), Some("1"));
    }

    #[test]
    fn a_refused_update_plans_nothing() {
        let mut k = keys(Flavor::Any);
        create(&mut k, "k", json!({"kty": "EC"})).expect("create");
        let tags: serde_json::Map<String, serde_json::Value> =
            (0..16).map(|i| (format!("t{i}"), json!("v"))).collect();
        let refused = [
            update(json!({"tags": tags, "key_ops": []})),
            update(json!({"attributes": {"exportable": true}})),
        ];
        for p in refused {
            assert!(k.update(&ctx(), "k", "", p).is_err());
        }
        let (_, v) = k.version_record("k", "").expect("version");
        assert_eq!(v.key_ops.len(), 2);
        assert!(k.update(&ctx(), "k", "0123", update(json!({}))).is_err());
    }
}
