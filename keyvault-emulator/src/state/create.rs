//! Creating and importing keys: each adds a version (a new key when there
//! is none).

use keyvault_crypto::{JsonWebKey, KeyCurveName, KeyOperation, KeySpec, KeyType, LocalKey};
use keyvault_keys_types::types;

use super::records::{KeyRecord, NewVersion, VersionRecord};
use super::rules::{
    MAX_VERSIONS, check_exportable, check_rsa_size, check_tags, default_ops, valid_name,
    validate_size,
};
use super::{Change, Ctx, EventKind, KeyEvent, Keys};
use crate::api_error::{ApiError, ApiResult};

/// The external key id a create request names, if any.
fn external_key_id(p: &types::KeyCreateParameters) -> Option<&str> {
    p.attributes
        .as_ref()
        .and_then(|a| a.external_key.as_ref())
        .map(|e| e.id.as_str())
}

/// An external key lives in a Managed HSM connected to an external key
/// manager; its id is 1 to 64 letters, digits and dashes.
fn check_external_key(flavor: crate::Flavor, id: &str) -> ApiResult<()> {
    if flavor == crate::Flavor::Vault {
        return Err(ApiError::not_supported(
            "External keys are available on a Managed HSM connected to an external key manager only.",
        ));
    }
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_parameter(format!(
            "The external key id {id:?} is not valid: it can only contain characters in the set [a-zA-Z0-9-], at most 64."
        )))
    }
}

impl Keys {
    /// Plans a new version of `name` (a new key if there is none): the
    /// name must not be taken by a deleted key; the first spelling is kept.
    pub(super) fn append_version(
        &self,
        ctx: &Ctx,
        name: &str,
        v: VersionRecord,
    ) -> ApiResult<Change<types::KeyBundle>> {
        valid_name(name)?;
        self.check_not_deleted(name)?;
        let lower = name.to_ascii_lowercase();
        let mut record = self.keys.get(&lower).cloned().unwrap_or_else(|| KeyRecord {
            format: super::records::RECORD_VERSION,
            name: name.to_owned(),
            versions: Vec::new(),
            deleted: None,
            rotation_policy: None,
            pending: None,
        });
        check_tags(&v.tags)?;
        if record.versions.len() >= MAX_VERSIONS {
            return Err(ApiError::bad_parameter(format!(
                "The key {} has {MAX_VERSIONS} versions, the most this emulator keeps.",
                record.name
            )));
        }
        let answer = self.bundle(ctx, &record.name, &v);
        let event = KeyEvent {
            kind: EventKind::NewVersionCreated,
            name: record.name.clone(),
            version: v.version.clone(),
            nbf: v.nbf,
            exp: v.exp,
            time: ctx.now,
        };
        record.versions.push(v);
        Ok(Change {
            lower,
            record: Some(record),
            answer,
            events: vec![event],
        })
    }

    // ----------------------------------------------------------------- create

    /// Checks a create request and says what key to generate (the
    /// generation itself runs outside every lock).
    pub fn create_spec(&self, name: &str, p: &types::KeyCreateParameters) -> ApiResult<KeySpec> {
        valid_name(name)?;
        self.check_not_deleted(name)?;
        let kty = self.stored_kty(p.kty.clone());
        self.check_kty_for_flavor(&kty)?;
        let curve = p.crv.clone();
        let mut size = validate_size(&kty, p.key_size, curve.as_ref())?;
        if kty.is_akp() {
            size = Some(
                p.alg
                    .as_ref()
                    .and_then(super::rules::akp_size)
                    .ok_or_else(|| {
                        ApiError::bad_parameter(
                            "An AKP key needs alg: ML-DSA-44, ML-DSA-65 or ML-DSA-87.",
                        )
                    })?,
            );
        }
        check_exportable(
            p.attributes.as_ref().and_then(|a| a.exportable),
            p.release_policy.as_ref().is_some_and(|p| p.data.is_some()),
        )?;
        if let Some(id) = external_key_id(p) {
            check_external_key(self.settings.flavor, id)?;
        }
        Ok(KeySpec {
            kty: kty.clone(),
            size,
            curve,
            public_exponent: self.public_exponent(&kty, p.public_exponent)?,
        })
    }

    /// Plans a created key's new version around `jwk`, generated from
    /// [`Self::create_spec`]'s answer.
    pub fn create(
        &self,
        ctx: &Ctx,
        name: &str,
        p: types::KeyCreateParameters,
        spec: &KeySpec,
        mut jwk: JsonWebKey,
    ) -> ApiResult<Change<types::KeyBundle>> {
        let (kty, size) = (spec.kty.clone(), spec.size);
        if kty.is_ec() && spec.curve.is_none() {
            jwk.crv = Some(KeyCurveName::P256);
        }
        let key_ops = if p.key_ops.is_empty() {
            default_ops(&kty)
        } else {
            p.key_ops
                .iter()
                .map(|o| KeyOperation::parse(o.as_ref()))
                .collect()
        };
        let external_key = external_key_id(&p).map(str::to_owned);
        let v = NewVersion {
            jwk,
            key_ops,
            attributes: p.attributes,
            tags: p.tags,
            release_policy: p.release_policy,
            external_key,
            size: size.or_else(|| {
                if kty.is_rsa() {
                    Some(2048)
                } else if kty.is_oct() {
                    Some(256)
                } else {
                    None
                }
            }),
        }
        .into_record(ctx.now)?;
        self.append_version(ctx, name, v)
    }

    pub fn import(
        &self,
        ctx: &Ctx,
        name: &str,
        p: types::KeyImportParameters,
    ) -> ApiResult<Change<types::KeyBundle>> {
        valid_name(name)?;
        self.check_not_deleted(name)?;
        let mut jwk = JsonWebKey::from_protocol(&p.key)
            .map_err(|e| ApiError::bad_parameter(e.to_string()))?;
        if p.hsm == Some(true) {
            jwk.kty = match jwk.kty {
                KeyType::Rsa => KeyType::RsaHsm,
                KeyType::Ec => KeyType::EcHsm,
                KeyType::Oct => KeyType::OctHsm,
                other => other,
            };
        }
        jwk.kty = self.stored_kty(jwk.kty);
        self.check_kty_for_flavor(&jwk.kty)?;
        if !jwk.has_private_key() {
            return Err(ApiError::bad_parameter(
                "The key to import has no private key material (d for RSA and EC, k for oct).",
            ));
        }
        let local = LocalKey::from_jwk(&jwk)
            .map_err(|e| ApiError::bad_parameter(format!("The JSON Web Key is not valid: {e}")))?;
        let size = match local.rsa_modulus_bits() {
            Some(bits) => Some(check_rsa_size(bits)?),
            None => jwk.k.as_ref().map(|k| (k.len() * 8) as u32),
        };
        let key_ops = if jwk.key_ops.is_empty() {
            default_ops(&jwk.kty)
        } else {
            std::mem::take(&mut jwk.key_ops)
        };
        let v = NewVersion {
            jwk,
            key_ops,
            attributes: p.attributes,
            tags: p.tags,
            release_policy: p.release_policy,
            external_key: None,
            size,
        }
        .into_record(ctx.now)?;
        self.append_version(ctx, name, v)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{apply, create, ctx, keys, len};
    use crate::Flavor;
    use keyvault_crypto::KeyOperation;
    use keyvault_keys_types::types;
    use serde_json::json;

    fn import(v: serde_json::Value) -> types::KeyImportParameters {
        serde_json::from_value(v).expect("import parameters")
    }

    #[test]
    fn an_imported_rsa_key_must_have_a_size_the_service_offers() {
        let mut k = keys(Flavor::Any);
        let jwk: serde_json::Value =
            serde_json::from_str(include_str!("testdata/rsa2304.json")).expect("fixture");
        let planned = k.import(&ctx(), "odd", import(json!({"key": jwk})));
        let err = apply(&mut k, planned).err().map(|e| e.message);
        assert!(
            err.as_deref().is_some_and(|m| m.contains("2304")),
            "{err:?}"
        );
        assert_eq!(len(&k), 0);
    }

    #[test]
    fn key_ops_are_kept_once_typed_and_the_stored_jwk_carries_none() {
        let mut k = keys(Flavor::Any);
        let ec = keyvault_crypto::generate(&keyvault_crypto::KeySpec {
            kty: keyvault_crypto::KeyType::Ec,
            size: None,
            curve: None,
            public_exponent: None,
        })
        .expect("generate");
        let mut wire = serde_json::to_value(&ec).expect("jwk");
        wire["key_ops"] = json!(["sign"]);
        wire["kid"] = json!("https://elsewhere/keys/x/1");
        let planned = k.import(&ctx(), "imported", import(json!({"key": wire})));
        let bundle = apply(&mut k, planned).expect("import");
        let created = create(
            &mut k,
            "created",
            json!({"kty": "EC", "key_ops": ["verify"]}),
        )
        .expect("create");
        for (name, op, bundle) in [
            ("imported", KeyOperation::Sign, bundle),
            ("created", KeyOperation::Verify, created),
        ] {
            let (_, v) = k.version_record(name, "").expect("version");
            assert_eq!(v.key_ops, std::slice::from_ref(&op));
            assert!(v.jwk.key_ops.is_empty() && v.jwk.kid.is_none(), "{name}");
            assert_eq!(bundle.key.expect("key").key_ops, [op.as_str()]);
        }
    }

    #[test]
    fn a_name_taken_by_a_deleted_key_and_a_type_the_flavor_lacks_are_refused() {
        let mut k = keys(Flavor::Vault);
        create(&mut k, "gone", json!({"kty": "EC"})).expect("create");
        let planned = k.delete(&ctx(), "GONE");
        apply(&mut k, planned).expect("delete");
        let again = create(&mut k, "gone", json!({"kty": "EC"})).err();
        assert_eq!(
            again.and_then(|e| e.inner),
            Some("ObjectIsDeletedButRecoverable")
        );
        assert!(create(&mut k, "sym", json!({"kty": "oct"})).is_err());
        assert!(create(&mut k, "bad name", json!({"kty": "EC"})).is_err());
        assert_eq!(len(&k), 1);
    }
}
