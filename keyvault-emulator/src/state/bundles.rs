//! The wire answers: a version's attributes, list items and key bundles.

use keyvault_keys_protocol::types;

use super::records::{KeyRecord, VersionRecord};
use super::rules::{RECOVERABLE_DAYS, RECOVERY_LEVEL};
use super::{Ctx, Keys};
use crate::Flavor;
use crate::api_error::ApiResult;

impl Keys {
    // -------------------------------------------------------------- bundles

    pub(super) fn attributes(&self, v: &VersionRecord) -> types::KeyAttributes {
        types::KeyAttributes {
            enabled: Some(v.enabled),
            nbf: v.nbf,
            exp: v.exp,
            created: Some(v.created),
            updated: Some(v.updated),
            recovery_level: Some(RECOVERY_LEVEL),
            recoverable_days: Some(RECOVERABLE_DAYS),
            exportable: Some(v.exportable.unwrap_or(false)),
            hsm_platform: (v.jwk.kty.is_hsm() || self.flavor == Flavor::ManagedHsm)
                .then(|| "2".to_owned()),
            attestation: None,
            extra: Default::default(),
        }
    }

    pub(super) fn item(&self, kid: String, v: &VersionRecord) -> types::KeyItem {
        types::KeyItem {
            kid: Some(kid),
            attributes: Some(self.attributes(v)),
            tags: v.tags.clone(),
            managed: None,
            extra: Default::default(),
        }
    }

    pub fn bundle(&self, ctx: &Ctx, name: &str, v: &VersionRecord) -> types::KeyBundle {
        let mut key = v.jwk.public_only().to_protocol();
        key.kid = Some(ctx.kid(name, &v.version));
        key.key_ops = v.key_ops.iter().map(|o| o.as_str().to_owned()).collect();
        types::KeyBundle {
            key: Some(key),
            attributes: Some(self.attributes(v)),
            tags: v.tags.clone(),
            managed: None,
            release_policy: v.release_policy.clone(),
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
