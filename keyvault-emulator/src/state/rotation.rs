//! Rotating a key, and its rotation policy.

use keyvault_crypto::{JsonWebKey, KeySpec};
use keyvault_keys_types::types;

use super::records::{KeyRecord, StoredLifetimeAction, StoredPolicy, VersionRecord};
use super::rules::{
    default_notify, expiry_from, new_version, valid_name, validate_policy, with_default_notify,
};
use super::{Change, Ctx, Keys};
use crate::api_error::ApiResult;

/// The key a new version of `latest` is generated as: the same type, size
/// and curve, and an RSA key's public exponent (a Managed HSM may have made
/// it with one other than 65537).
pub(super) fn spec_of(latest: &VersionRecord) -> KeySpec {
    let public_exponent = latest
        .jwk
        .e
        .as_deref()
        .filter(|e| e.len() <= 4)
        .map(|e| e.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
        .filter(|e| *e != 65537);
    KeySpec {
        kty: latest.jwk.kty.clone(),
        size: latest.size,
        curve: latest.jwk.crv.clone(),
        public_exponent,
    }
}

/// The version a rotation of `record` at `now` makes around `jwk`, as
/// `rotate` makes one and as the automatic rotation does: the latest
/// version's operations, tags, exportability and release policy, and an
/// expiry from the policy's `expiryTime`.
pub(super) fn rotated_version(
    record: &KeyRecord,
    jwk: JsonWebKey,
    now: i64,
) -> ApiResult<VersionRecord> {
    let latest = record.latest()?;
    let exp = match record
        .rotation_policy
        .as_ref()
        .and_then(|p| p.expiry_time.as_deref())
    {
        Some(d) => Some(expiry_from(d, now)?),
        None => None,
    };
    Ok(VersionRecord {
        version: new_version(),
        jwk,
        key_ops: latest.key_ops.clone(),
        enabled: true,
        nbf: None,
        exp,
        created: now,
        updated: now,
        exportable: latest.exportable,
        tags: latest.tags.clone(),
        release_policy: latest.release_policy.clone(),
        size: latest.size,
        external_key: latest.external_key.clone(),
        notified_near_expiry: false,
        notified_expired: false,
    })
}

impl Keys {
    // ------------------------------------------------------------- rotation

    /// Checks a rotation and says what key to generate (outside every lock).
    pub fn rotate_spec(&self, name: &str) -> ApiResult<KeySpec> {
        valid_name(name)?;
        Ok(spec_of(self.live(name)?.latest()?))
    }

    /// Plans the new version a rotation makes around `jwk`: the latest
    /// version's settings, and an expiry from the rotation policy.
    pub fn rotate(
        &self,
        ctx: &Ctx,
        name: &str,
        jwk: JsonWebKey,
    ) -> ApiResult<Change<types::KeyBundle>> {
        let record = self.live(name)?;
        let v = rotated_version(record, jwk, ctx.now)?;
        self.append_version(ctx, &record.name, v)
    }

    pub fn get_policy(&self, ctx: &Ctx, name: &str) -> ApiResult<types::KeyRotationPolicy> {
        Ok(Self::policy_of(ctx, self.live(name)?))
    }

    pub(super) fn policy_of(ctx: &Ctx, record: &KeyRecord) -> types::KeyRotationPolicy {
        let id = Some(format!(
            "{}/keys/{}/rotationpolicy",
            ctx.base(),
            record.name
        ));
        match &record.rotation_policy {
            Some(p) => types::KeyRotationPolicy {
                id,
                lifetime_actions: p
                    .lifetime_actions
                    .iter()
                    .map(StoredLifetimeAction::to_wire)
                    .collect(),
                attributes: Some(types::KeyRotationPolicyAttributes {
                    expiry_time: p.expiry_time.clone(),
                    created: Some(p.created),
                    updated: Some(p.updated),
                    extra: Default::default(),
                }),
                extra: Default::default(),
            },
            // The service's default: notify 30 days before expiry, no expiry set.
            None => types::KeyRotationPolicy {
                id,
                lifetime_actions: vec![default_notify()],
                attributes: Some(types::KeyRotationPolicyAttributes {
                    expiry_time: None,
                    created: None,
                    updated: None,
                    extra: Default::default(),
                }),
                extra: Default::default(),
            },
        }
    }

    pub fn update_policy(
        &self,
        ctx: &Ctx,
        name: &str,
        p: types::KeyRotationPolicy,
    ) -> ApiResult<Change<types::KeyRotationPolicy>> {
        let mut record = self.live_copy(name)?;
        let expiry = p.attributes.as_ref().and_then(|a| a.expiry_time.clone());
        validate_policy(&p.lifetime_actions, expiry.as_deref())?;
        let now = ctx.now;
        let created = record
            .rotation_policy
            .as_ref()
            .map(|s| s.created)
            .unwrap_or(now);
        // The service answers with the canonical spelling: the action type
        // parses without regard to case and prints `Rotate` / `Notify`.
        let actions = with_default_notify(p.lifetime_actions);
        record.rotation_policy = Some(StoredPolicy {
            lifetime_actions: actions
                .into_iter()
                .map(StoredLifetimeAction::from_wire)
                .collect(),
            expiry_time: expiry,
            created,
            updated: now,
        });
        let answer = Self::policy_of(ctx, &record);
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
    use keyvault_keys_types::types;
    use serde_json::json;

    #[test]
    fn a_rotation_keeps_the_settings_and_takes_the_policy_expiry() {
        let mut k = keys(Flavor::Any);
        create(
            &mut k,
            "k",
            json!({"kty": "EC", "key_ops": ["sign"], "tags": {"t": "1"}}),
        )
        .expect("create");
        let policy: types::KeyRotationPolicy = serde_json::from_value(json!({
            "lifetimeActions": [{"action": {"type": "rotate"}, "trigger": {"timeAfterCreate": "P21D"}}],
            "attributes": {"expiryTime": "P28D"}
        }))
        .expect("policy");
        let planned = k.update_policy(&ctx(), "k", policy);
        let answer = apply(&mut k, planned).expect("policy");
        let kind = answer.lifetime_actions[0]
            .action
            .as_ref()
            .and_then(|a| a.type_.as_ref());
        assert_eq!(kind.map(|t| t.to_string()).as_deref(), Some("Rotate"));
        let spec = k.rotate_spec("k").expect("spec");
        let jwk = keyvault_crypto::generate(&spec).expect("generate");
        let planned = k.rotate(&ctx(), "k", jwk);
        apply(&mut k, planned).expect("rotate");
        let (_, v) = k.version_record("k", "").expect("latest");
        assert_eq!(v.key_ops, [keyvault_crypto::KeyOperation::Sign]);
        assert_eq!(v.tags.get("t").map(String::as_str), Some("1"));
        assert_eq!(v.exp.map(|e| e - v.created), Some(28 * 86_400));
        assert_eq!(k.list_versions(&ctx(), "k").len(), 2);
        assert!(k.rotate_spec("missing").is_err());
    }
}
