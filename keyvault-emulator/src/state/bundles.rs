//! The wire answers: a version's attributes, list items and key bundles.

use keyvault_keys_types::types;

use super::records::{KeyRecord, VersionRecord};
use super::{Ctx, Keys};
use crate::Flavor;
use crate::api_error::ApiResult;
use crate::versions::Since;

impl Keys {
    // -------------------------------------------------------------- bundles

    /// A version's attributes as the request's api-version knows them:
    /// members introduced later are left out (see [`crate::versions`]).
    pub(super) fn attributes(&self, ctx: &Ctx, v: &VersionRecord) -> types::KeyAttributes {
        let has = |since| ctx.version.has(since);
        types::KeyAttributes {
            enabled: Some(v.enabled),
            nbf: v.nbf,
            exp: v.exp,
            created: Some(v.created),
            updated: Some(v.updated),
            recovery_level: Some(self.settings.recovery_level()),
            recoverable_days: has(Since::RecoverableDays)
                .then(|| i32::try_from(self.settings.retention_days).unwrap_or(90)),
            exportable: has(Since::Release).then(|| v.exportable.unwrap_or(false)),
            hsm_platform: (has(Since::HsmPlatform)
                && (v.jwk.kty.is_hsm() || self.settings.flavor == Flavor::ManagedHsm))
                .then(|| "2".to_owned()),
            attestation: None,
            external_key: (has(Since::SecureWrap))
                .then(|| v.external_key.clone())
                .flatten()
                .map(|id| types::ExternalKey {
                    id,
                    extra: Default::default(),
                }),
            // The size of a symmetric key (read-only, 2026-01-01-preview and later).
            key_size: (has(Since::SecureWrap) && v.jwk.kty.is_oct())
                .then(|| v.size.and_then(|s| i32::try_from(s).ok()))
                .flatten(),
            extra: Default::default(),
        }
    }

    pub(super) fn item(&self, ctx: &Ctx, kid: String, v: &VersionRecord) -> types::KeyItem {
        types::KeyItem {
            kid: Some(kid),
            attributes: Some(self.attributes(ctx, v)),
            tags: v.tags.clone(),
            managed: None,
            extra: Default::default(),
        }
    }

    pub fn bundle(&self, ctx: &Ctx, name: &str, v: &VersionRecord) -> types::KeyBundle {
        let mut public = v.jwk.public_only();
        // RSA members in minimal big-endian form, as the service writes
        // them (an imported `n` may carry a leading zero byte).
        for member in [&mut public.n, &mut public.e] {
            if let Some(bytes) = member.as_mut() {
                let zeros = bytes.iter().take_while(|b| **b == 0).count();
                bytes.drain(..zeros.min(bytes.len().saturating_sub(1)));
            }
        }
        let mut key = public.to_protocol();
        key.kid = Some(ctx.kid(name, &v.version));
        key.key_ops = v.key_ops.iter().map(|o| o.as_str().to_owned()).collect();
        types::KeyBundle {
            key: Some(key),
            attributes: Some(self.attributes(ctx, v)),
            tags: v.tags.clone(),
            managed: None,
            release_policy: if ctx.version.has(Since::Release) {
                v.release_policy.as_ref().map(|p| {
                    let mut p = p.to_wire();
                    // The service says `immutable` also when it is false.
                    p.immutable.get_or_insert(false);
                    p
                })
            } else {
                None
            },
            extra: Default::default(),
        }
    }

    pub(super) fn deleted_bundle(
        &self,
        ctx: &Ctx,
        record: &KeyRecord,
    ) -> ApiResult<types::DeletedKeyBundle> {
        let v = record.latest()?;
        let b = self.bundle(ctx, &record.name, v);
        let d = record.deleted.as_ref();
        Ok(types::DeletedKeyBundle {
            key: b.key,
            attributes: b.attributes,
            tags: b.tags,
            managed: None,
            release_policy: b.release_policy,
            recovery_id: Some(format!("{}/deletedkeys/{}", ctx.base(), record.name)),
            deleted_date: d.map(|d| d.deleted_date),
            scheduled_purge_date: d.map(|d| d.scheduled_purge_date),
            extra: Default::default(),
        })
    }
}
