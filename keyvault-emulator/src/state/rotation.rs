//! Rotating a key, and its rotation policy.

use keyvault_crypto::{JsonWebKey, KeySpec};
use keyvault_keys_protocol::{enums, types};

use super::records::{KeyRecord, StoredPolicy, VersionRecord};
use super::rules::{expiry_from, new_version, valid_name, validate_policy};
use super::{Change, Ctx, Keys, now};
use crate::api_error::ApiResult;

impl Keys {
    // ------------------------------------------------------------- rotation

    /// Checks a rotation and says what key to generate (outside every lock).
    pub fn rotate_spec(&self, name: &str) -> ApiResult<KeySpec> {
        valid_name(name)?;
        let latest = self.live(name)?.latest()?;
        Ok(KeySpec {
            kty: latest.jwk.kty.clone(),
            size: latest.size,
            curve: latest.jwk.crv.clone(),
            public_exponent: None,
        })
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
        let latest = record.latest()?;
        let now = now();
        let exp = match record
            .rotation_policy
            .as_ref()
            .and_then(|p| p.expiry_time.as_deref())
        {
            Some(d) => Some(expiry_from(d, now)?),
            None => None,
        };
        let v = VersionRecord {
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
        };
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
                lifetime_actions: p.lifetime_actions.clone(),
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
                lifetime_actions: vec![types::LifetimeActions {
                    trigger: Some(types::LifetimeActionsTrigger {
                        time_before_expiry: Some("P30D".into()),
                        time_after_create: None,
                        extra: Default::default(),
                    }),
                    action: Some(types::LifetimeActionsType {
                        type_: Some(enums::KeyRotationPolicyAction::Notify),
                        extra: Default::default(),
                    }),
                    extra: Default::default(),
                }],
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
        let now = now();
        let created = record
            .rotation_policy
            .as_ref()
            .map(|s| s.created)
            .unwrap_or(now);
        // The service answers with the canonical spelling: the action type
        // parses without regard to case and prints `Rotate` / `Notify`.
        let actions = p.lifetime_actions;
        record.rotation_policy = Some(StoredPolicy {
            lifetime_actions: actions,
            expiry_time: expiry,
            created,
            updated: now,
        });
        let answer = Self::policy_of(ctx, &record);
        Ok(Change {
            lower: name.to_ascii_lowercase(),
            record: Some(record),
            answer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{apply, create, ctx, keys};
    use crate::Flavor;
    use keyvault_keys_protocol::types;
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
            "lifetimeActions": [{"action": {"type": "rotate"}, "trigger": {"timeAfterCreate": "P90D"}}],
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
        assert_eq!(k.list_versions(&ctx(), "k").map(|v| v.len()).ok(), Some(2));
        assert!(k.rotate_spec("missing").is_err());
    }
}
