//! Updating a key version's attributes, key operations, tags and release
//! policy.

use keyvault_keys_protocol::types;

use super::records::normalise_policy;
use super::rules::{check_exportable, check_tags};
use super::{Change, Ctx, Keys, now};
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
            && Some(rp) != v.release_policy.as_ref()
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
            v.key_ops = ops.iter().map(|o| o.to_string()).collect();
        }
        if let Some(tags) = &p.tags {
            check_tags(tags)?;
            v.tags = tags.clone();
        }
        if let Some(rp) = p.release_policy {
            v.release_policy = Some(normalise_policy(rp));
        }
        check_exportable(v.exportable, v.release_policy.as_ref())?;
        v.updated = now();
        let answer = self.bundle(ctx, &record.name, &record.versions[idx]);
        Ok(Change {
            lower: name.to_ascii_lowercase(),
            record: Some(record),
            answer,
        })
    }
}
