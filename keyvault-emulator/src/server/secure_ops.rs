//! Secure wrap and secure unwrap (api-version 2026-01-01-preview and
//! 2026-04-01): a Managed HSM makes a fresh 256-bit AES key inside its
//! trusted environment and returns it wrapped by a vault key; secure unwrap
//! returns that AES key to a caller whose attestation token (verified as
//! release verifies it) satisfies the key's release policy.
//!
//! The emulator's choices where the service's documentation is silent:
//! the key needs `wrapKey` or `secureWrapKey` (unwrap: `unwrapKey` or
//! `secureUnwrapKey`) among its operations and a release policy; the AES
//! key is generated per call and never stored; the unwrapped key is
//! returned as it is (base64url), not further protected for the target.

use bytes::Bytes;
use keyvault_crypto::{KeyOperation, KeyWrapAlgorithm, LocalKey, b64};
use keyvault_keys_types::types;
use serde_json::Value;

use super::crypto_ops::crypto_error;
use super::{Answer, Shared, json_answer, parse_body};
use crate::Flavor;
use crate::api_error::{ApiError, ApiResult};
use crate::state::{Ctx, Vault, VersionRecord};

/// The key version for a secure operation: a Managed HSM's (or the `any`
/// flavor's), usable now, with one of `ops` and a release policy.
fn secure_key(
    v: &Vault,
    ctx: &Ctx,
    name: &str,
    version: &str,
    ops: [KeyOperation; 2],
) -> ApiResult<(String, VersionRecord)> {
    if v.settings.flavor == Flavor::Vault {
        return Err(ApiError::not_supported(
            "Secure wrap and secure unwrap are available on a Managed HSM only.",
        ));
    }
    let (stored, record) = v.read().version_record(name, version)?;
    crate::state::refuse_external(&record)?;
    record
        .validity()
        .check(&ops[0], ctx.now)
        .map_err(|r| crate::state::refused(&ops[0], r))?;
    if !ops.iter().any(|op| record.key_ops.contains(op)) {
        return Err(ApiError::forbidden(
            format!(
                "Operation {} is not permitted on this key; it needs {} or {} among its key_ops.",
                ops[1], ops[0], ops[1]
            ),
            "KeyOperationForbidden",
        ));
    }
    if record
        .release_policy
        .as_ref()
        .and_then(|p| p.data.as_ref())
        .is_none()
    {
        return Err(ApiError::bad_parameter(
            "The key has no release policy; secure wrap and secure unwrap need one.",
        ));
    }
    Ok((format!("{stored}/{}", record.version), record))
}

fn result(
    ctx: &Ctx,
    name_version: &str,
    alg: keyvault_keys_types::enums::KeySecureWrapAlgorithm,
    value: &[u8],
) -> ApiResult<Answer> {
    json_answer(&types::SecureKeyOperationResult {
        kid: super::crypto_ops::result_kid(ctx, name_version),
        alg,
        value: b64::encode(value).into(),
        extra: Default::default(),
    })
}

/// `POST /keys/{name}/{version}/securewrapkey`.
pub(super) fn secure_wrap(
    v: &Vault,
    ctx: &Ctx,
    name: &str,
    version: &str,
    body: &Bytes,
) -> ApiResult<Answer> {
    let p: types::SecureKeyWrapOperationParameters = parse_body(body)?;
    let (name_version, record) = secure_key(
        v,
        ctx,
        name,
        version,
        [KeyOperation::WrapKey, KeyOperation::SecureWrapKey],
    )?;
    let key =
        LocalKey::from_jwk(&record.jwk).map_err(|e| ApiError::bad_parameter(e.to_string()))?;
    // A fresh AES-256 key, made here and never stored.
    let aes = zeroize::Zeroizing::new(
        keyvault_crypto::random_bytes(32).map_err(|e| ApiError::bad_parameter(e.to_string()))?,
    );
    let wrapped = key
        .wrap_key(&KeyWrapAlgorithm::parse(p.alg.as_str()), &aes)
        .map_err(|e| crypto_error(e, false))?;
    result(ctx, &name_version, p.alg, &wrapped.encrypted_key)
}

/// `POST /keys/{name}/{version}/secureunwrapkey`: the target token is
/// verified first (403 `AccessDenied` when it cannot be), as release does.
pub(super) fn secure_unwrap(
    shared: &Shared,
    v: &Vault,
    ctx: &Ctx,
    name: &str,
    version: &str,
    body: &Bytes,
) -> ApiResult<Answer> {
    let p: types::SecureKeyUnWrapOperationParameters = parse_body(body)?;
    let target = types::KeyReleaseParameters {
        target: p
            .target
            .to_string()
            .try_into()
            .map_err(|_| ApiError::bad_parameter("The target attestation token is empty."))?,
        enc: None,
        nonce: None,
        extra: Default::default(),
    };
    let claims = crate::release::verify_target(&target, &shared.trusted, ctx.now)?;
    let (name_version, record) = secure_key(
        v,
        ctx,
        name,
        version,
        [KeyOperation::UnwrapKey, KeyOperation::SecureUnwrapKey],
    )?;
    let policy: Value = record
        .release_policy
        .as_ref()
        .and_then(|p| p.data.as_deref())
        .and_then(|d| b64::decode(d).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| {
            ApiError::bad_parameter("The key's release policy is not a JSON document.")
        })?;
    if !crate::release::policy_allows(&policy, &claims).map_err(ApiError::bad_parameter)? {
        return Err(ApiError::forbidden(
            "The target's attestation claims do not satisfy the key's release policy.",
            "AccessDenied",
        ));
    }
    let wrapped = b64::decode(&p.value)
        .map_err(|e| ApiError::bad_parameter(format!("value is not base64url: {e}")))?;
    let key =
        LocalKey::from_jwk(&record.jwk).map_err(|e| ApiError::bad_parameter(e.to_string()))?;
    let unwrapped = key
        .unwrap_key(&KeyWrapAlgorithm::parse(p.alg.as_str()), &wrapped)
        .map_err(|e| crypto_error(e, true))?;
    result(ctx, &name_version, p.alg, unwrapped.key.expose())
}
