//! The service's rules in one place: key names, key sizes and curves,
//! default key operations, tag limits, versions per key, exportability,
//! rotation-policy durations, and which key types each flavor accepts.

use std::collections::BTreeMap;

use keyvault_crypto::{KeyCurveName, KeyType};
use keyvault_keys_protocol::duration::IsoDuration;
use keyvault_keys_protocol::types;

use super::{Keys, now};
use crate::Flavor;
use crate::api_error::{ApiError, ApiResult};

/// Days a deleted key stays recoverable.
pub const RECOVERABLE_DAYS: i32 = 90;
pub(super) const RECOVERY_LEVEL: &str = "Recoverable+Purgeable";

pub(super) fn valid_name(name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 127
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_parameter(format!(
            "The request URI contains an invalid name: {name:?}. Key names are 1 to 127 letters, digits and dashes."
        )))
    }
}

/// The service's tag limits: at most 15 tags per key version, names up to
/// 512 characters and values up to 256.
pub const MAX_TAGS: usize = 15;
pub(super) const MAX_TAG_NAME: usize = 512;
pub(super) const MAX_TAG_VALUE: usize = 256;
/// The most versions a key keeps here (the most the service can back up);
/// without a bound, rotating a key in a loop grows memory and disk forever.
pub const MAX_VERSIONS: usize = 500;

pub(super) fn check_tags(tags: &BTreeMap<String, String>) -> ApiResult<()> {
    if tags.len() > MAX_TAGS {
        return Err(ApiError::bad_parameter(format!(
            "A key has at most {MAX_TAGS} tags, not {}.",
            tags.len()
        )));
    }
    for (name, value) in tags {
        if name.chars().count() > MAX_TAG_NAME || value.chars().count() > MAX_TAG_VALUE {
            return Err(ApiError::bad_parameter(format!(
                "Tag names are at most {MAX_TAG_NAME} characters and values at most {MAX_TAG_VALUE}."
            )));
        }
    }
    Ok(())
}

pub(super) fn new_version() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

pub(super) fn default_ops(kty: &KeyType) -> Vec<String> {
    let ops: &[&str] = if kty.is_rsa() {
        &[
            "encrypt",
            "decrypt",
            "sign",
            "verify",
            "wrapKey",
            "unwrapKey",
        ]
    } else if kty.is_ec() {
        &["sign", "verify"]
    } else {
        &["encrypt", "decrypt", "wrapKey", "unwrapKey"]
    };
    ops.iter().map(|s| s.to_string()).collect()
}

impl Keys {
    pub(super) fn check_kty_for_flavor(&self, kty: &KeyType) -> ApiResult<()> {
        match self.flavor {
            Flavor::Vault if kty.is_oct() => Err(ApiError::not_supported(format!(
                "Key type {kty} is not supported by a key vault; symmetric keys need a Managed HSM."
            ))),
            Flavor::ManagedHsm if !kty.is_hsm() => Err(ApiError::not_supported(format!(
                "Key type {kty} is not supported by a Managed HSM; use {kty}-HSM."
            ))),
            _ if !kty.is_known() => {
                Err(ApiError::bad_parameter(format!("Unknown key type: {kty}")))
            }
            _ => Ok(()),
        }
    }
}

pub(super) fn check_exportable(
    exportable: Option<bool>,
    policy: Option<&types::KeyReleasePolicy>,
) -> ApiResult<()> {
    if exportable == Some(true) && policy.and_then(|p| p.data.as_ref()).is_none() {
        return Err(ApiError::bad_parameter(
            "An exportable key must have a release policy (release_policy.data).",
        ));
    }
    Ok(())
}

pub(super) fn validate_size(
    kty: &KeyType,
    size: Option<i32>,
    curve: Option<&KeyCurveName>,
) -> ApiResult<Option<u32>> {
    if kty.is_rsa() {
        if curve.is_some() {
            return Err(ApiError::bad_parameter(
                "An RSA key takes key_size, not crv.",
            ));
        }
        return match size {
            None => Ok(Some(2048)),
            Some(s @ (2048 | 3072 | 4096)) => Ok(Some(s as u32)),
            Some(s) => Err(ApiError::bad_parameter(format!(
                "Invalid RSA key size {s}; use 2048, 3072 or 4096."
            ))),
        };
    }
    if kty.is_ec() {
        if let Some(c) = curve
            && !c.is_known()
        {
            return Err(ApiError::bad_parameter(format!(
                "Invalid curve {c}; use P-256, P-256K, P-384 or P-521."
            )));
        }
        if let Some(s) = size {
            let expected = match curve.unwrap_or(&KeyCurveName::P256) {
                KeyCurveName::P256 | KeyCurveName::P256K => 256,
                KeyCurveName::P384 => 384,
                _ => 521,
            };
            if s != expected {
                return Err(ApiError::bad_parameter(format!(
                    "key_size {s} does not fit the curve; omit it for EC keys."
                )));
            }
        }
        return Ok(None);
    }
    if kty.is_oct() {
        return match size {
            None => Ok(Some(256)),
            Some(s @ (128 | 192 | 256)) => Ok(Some(s as u32)),
            Some(s) => Err(ApiError::bad_parameter(format!(
                "Invalid oct key size {s}; use 128, 192 or 256."
            ))),
        };
    }
    Err(ApiError::bad_parameter(format!("Unknown key type: {kty}")))
}

/// The expiry a rotation policy's `expiryTime` gives a version made at `now`.
pub(super) fn expiry_from(expiry_time: &str, now: i64) -> ApiResult<i64> {
    IsoDuration::parse(expiry_time)
        .and_then(|d| d.checked_add_to(now))
        .map_err(|m| ApiError::bad_parameter(format!("attributes.expiryTime: {m}")))
}

pub(super) fn validate_policy(actions: &[types::LifetimeActions], expiry: Option<&str>) -> ApiResult<()> {
    if let Some(e) = expiry {
        let d = IsoDuration::parse(e)
            .map_err(|m| ApiError::bad_parameter(format!("attributes.expiryTime: {m}")))?;
        // A version made now must get an expiry date the calendar can hold.
        expiry_from(e, now())?;
        if d.approx_days() < 28 {
            return Err(ApiError::bad_parameter(format!(
                "attributes.expiryTime {e} is too short; the minimum is 28 days (P28D)."
            )));
        }
    }
    let mut seen = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        let kind = a
            .action
            .as_ref()
            .and_then(|x| x.type_.as_ref())
            .map(|t| t.as_str().to_ascii_lowercase())
            .ok_or_else(|| {
                ApiError::bad_parameter(format!(
                    "lifetimeActions[{i}].action.type is required (Rotate or Notify)."
                ))
            })?;
        if kind != "rotate" && kind != "notify" {
            return Err(ApiError::bad_parameter(format!(
                "lifetimeActions[{i}].action.type must be Rotate or Notify."
            )));
        }
        if seen.contains(&kind) {
            return Err(ApiError::bad_parameter(format!(
                "lifetimeActions may hold one {kind} action at most."
            )));
        }
        seen.push(kind.clone());
        let trigger = a.trigger.as_ref().ok_or_else(|| {
            ApiError::bad_parameter(format!("lifetimeActions[{i}].trigger is required."))
        })?;
        match (&trigger.time_after_create, &trigger.time_before_expiry) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(ApiError::bad_parameter(format!(
                    "lifetimeActions[{i}].trigger needs exactly one of timeAfterCreate and timeBeforeExpiry."
                )));
            }
            (Some(t), None) | (None, Some(t)) => {
                IsoDuration::parse(t)
                    .and_then(|d| d.checked_add_to(now()))
                    .map_err(|m| {
                        ApiError::bad_parameter(format!("lifetimeActions[{i}].trigger: {m}"))
                    })?;
            }
        }
        if kind == "notify" && trigger.time_before_expiry.is_none() {
            return Err(ApiError::bad_parameter(
                "A Notify action is triggered by timeBeforeExpiry.",
            ));
        }
    }
    Ok(())
}
