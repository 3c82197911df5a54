//! The cryptographic operations: encrypt, decrypt, wrap, unwrap, sign,
//! verify, release and random bytes.

use bytes::Bytes;
use keyvault_crypto::{
    CryptoError, DecryptParameters, EncryptParameters, EncryptionAlgorithm, KeyOperation,
    KeyWrapAlgorithm, b64,
};
use keyvault_keys_types::types;
use serde_json::Value;

use super::{Answer, Shared, json_answer, parse_body};
use crate::Flavor;
use crate::api_error::{ApiError, ApiResult};
use crate::state::{Ctx, Vault, hsm_only_algorithm};

pub(super) fn decode_field(name: &str, v: Option<&str>) -> ApiResult<Option<Vec<u8>>> {
    v.map(|s| {
        b64::decode(s).map_err(|e| ApiError::bad_parameter(format!("{name} is not base64url: {e}")))
    })
    .transpose()
}

pub(super) fn result_kid(ctx: &Ctx, name_version: &str) -> String {
    format!("{}/keys/{name_version}", ctx.base())
}

/// Errors of decrypt and unwrap that depend on the ciphertext all read the
/// same, so a caller cannot tell padding from tag from key failures.
pub(super) fn crypto_error(e: CryptoError, secret_dependent: bool) -> ApiError {
    match e {
        CryptoError::OperationNotPermitted { .. } => {
            ApiError::forbidden(e.to_string(), "KeyOperationForbidden")
        }
        CryptoError::AlgorithmMismatch { .. } | CryptoError::UnsupportedAlgorithm { .. } => {
            ApiError::bad_parameter(e.to_string())
        }
        _ if secret_dependent => ApiError::bad_parameter(
            "Decryption failed: the ciphertext, IV, tag or additional data does not fit this key.",
        ),
        other => ApiError::bad_parameter(other.to_string()),
    }
}

/// The operations whose body is `KeyOperationsParameters`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CipherOp {
    Encrypt,
    Decrypt,
    WrapKey,
    UnwrapKey,
}

impl CipherOp {
    /// The key operation (`key_ops` entry) it needs.
    fn key_operation(self) -> KeyOperation {
        match self {
            CipherOp::Encrypt => KeyOperation::Encrypt,
            CipherOp::Decrypt => KeyOperation::Decrypt,
            CipherOp::WrapKey => KeyOperation::WrapKey,
            CipherOp::UnwrapKey => KeyOperation::UnwrapKey,
        }
    }
}

/// A decoded `KeyOperationsParameters` body.
struct CipherInput {
    alg: String,
    value: Vec<u8>,
    iv: Option<Vec<u8>>,
    aad: Option<Vec<u8>>,
    tag: Option<Vec<u8>>,
}

fn cipher_input(body: &Bytes) -> ApiResult<CipherInput> {
    let p: types::KeyOperationsParameters = parse_body(body)?;
    Ok(CipherInput {
        value: decode_field("value", Some(p.value.expose_secret()))?.unwrap_or_default(),
        iv: decode_field("iv", p.iv.as_deref())?,
        aad: decode_field("aad", p.aad.as_deref())?,
        tag: decode_field("tag", p.tag.as_deref())?,
        alg: p.alg.as_str().to_owned(),
    })
}

/// A result carrying only `kid` and `value`.
fn value_result(kid: Option<String>, value: &[u8]) -> types::KeyOperationResult {
    types::KeyOperationResult {
        kid,
        value: Some(b64::encode(value).into()),
        iv: None,
        tag: None,
        aad: None,
        extra: Default::default(),
    }
}

/// Encrypt, decrypt, wrapKey or unwrapKey with a vault key.
pub(super) fn cipher(
    v: &Vault,
    ctx: &Ctx,
    name: &str,
    version: &str,
    op: CipherOp,
    body: &Bytes,
) -> ApiResult<Answer> {
    let input = cipher_input(body)?;
    if v.read().flavor() == Flavor::Vault
        && hsm_only_algorithm(&KeyWrapAlgorithm::parse(&input.alg))
    {
        return Err(ApiError::not_supported(format!(
            "Algorithm {} is available on a Managed HSM only.",
            input.alg
        )));
    }
    let (name_version, key) = v.usable_key(name, version, &op.key_operation(), ctx.now)?;
    let kid = Some(result_kid(ctx, &name_version));
    let result = match op {
        CipherOp::Encrypt => {
            let alg = EncryptionAlgorithm::parse(&input.alg);
            // The service makes the GCM IV itself; a CBC IV may be given.
            let gcm = matches!(
                alg,
                EncryptionAlgorithm::A128Gcm
                    | EncryptionAlgorithm::A192Gcm
                    | EncryptionAlgorithm::A256Gcm
            );
            let mut params = EncryptParameters::new(alg, input.value);
            params.additional_authenticated_data = input.aad;
            if !gcm {
                params.iv = input.iv;
            }
            let r = key.encrypt(&params).map_err(|e| crypto_error(e, false))?;
            types::KeyOperationResult {
                iv: r.iv.as_deref().map(b64::encode),
                tag: r.authentication_tag.as_deref().map(b64::encode),
                aad: r.additional_authenticated_data.as_deref().map(b64::encode),
                ..value_result(kid, &r.ciphertext)
            }
        }
        CipherOp::Decrypt => {
            let alg = EncryptionAlgorithm::parse(&input.alg);
            let mut params = DecryptParameters::new(alg, input.value);
            params.iv = input.iv;
            params.additional_authenticated_data = input.aad;
            params.authentication_tag = input.tag;
            let r = key.decrypt(&params).map_err(|e| crypto_error(e, true))?;
            value_result(kid, &r.plaintext)
        }
        CipherOp::WrapKey => {
            let r = key
                .wrap_key(&KeyWrapAlgorithm::parse(&input.alg), &input.value)
                .map_err(|e| crypto_error(e, false))?;
            value_result(kid, &r.encrypted_key)
        }
        CipherOp::UnwrapKey => {
            let r = key
                .unwrap_key(&KeyWrapAlgorithm::parse(&input.alg), &input.value)
                .map_err(|e| crypto_error(e, true))?;
            value_result(kid, r.key.expose())
        }
    };
    json_answer(&result)
}

pub(super) fn sign(
    v: &Vault,
    ctx: &Ctx,
    name: &str,
    version: &str,
    body: &Bytes,
) -> ApiResult<Answer> {
    if is_akp(v, name, version) {
        return ml_dsa(v, ctx, name, version, body, true);
    }
    let p: types::KeySignParameters = parse_body(body)?;
    let digest = decode_field("value", Some(&p.value))?.unwrap_or_default();
    let (name_version, key) = v.usable_key(name, version, &KeyOperation::Sign, ctx.now)?;
    let r = key
        .sign(&p.alg, &digest)
        .map_err(|e| crypto_error(e, false))?;
    json_answer(&types::KeyOperationResult {
        kid: Some(result_kid(ctx, &name_version)),
        value: Some(b64::encode(&r.signature).into()),
        iv: None,
        tag: None,
        aad: None,
        extra: Default::default(),
    })
}

pub(super) fn verify(
    v: &Vault,
    ctx: &Ctx,
    name: &str,
    version: &str,
    body: &Bytes,
) -> ApiResult<Answer> {
    if is_akp(v, name, version) {
        return ml_dsa(v, ctx, name, version, body, false);
    }
    let p: types::KeyVerifyParameters = parse_body(body)?;
    let digest = decode_field("digest", Some(&p.digest))?.unwrap_or_default();
    let signature = decode_field("value", Some(&p.value))?.unwrap_or_default();
    let (_, key) = v.usable_key(name, version, &KeyOperation::Verify, ctx.now)?;
    let r = key
        .verify(&p.alg, &digest, &signature)
        .map_err(|e| crypto_error(e, false))?;
    json_answer(&types::KeyVerifyResult {
        value: Some(r.is_valid),
        extra: Default::default(),
    })
}

/// Whether the version names an ML-DSA (AKP) key.
fn is_akp(v: &Vault, name: &str, version: &str) -> bool {
    v.read().kty(name, version).is_some_and(|k| k.is_akp())
}

/// Sign or verify with an ML-DSA key (2026-05-01-preview on): no `alg`
/// (the key's parameter set decides); `value` (sign) or `digest` (verify)
/// is the whole message, pure ML-DSA, with its `context` (0–255 bytes);
/// or `external_mu` (64 bytes) instead of both, as the preview's examples
/// send them.
fn ml_dsa(
    v: &Vault,
    ctx: &Ctx,
    name: &str,
    version: &str,
    body: &Bytes,
    signing: bool,
) -> ApiResult<Answer> {
    let p: Value = parse_body(body)?;
    // Absent or null is absent; anything else must be a base64url string
    // (`"context": 5` is not "no context").
    let field = |n: &str| match p.get(n) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => decode_field(n, Some(s)),
        Some(_) => Err(ApiError::bad_parameter(format!(
            "{n} must be a base64url string."
        ))),
    };
    let (op, message_member) = if signing {
        (KeyOperation::Sign, "value")
    } else {
        (KeyOperation::Verify, "digest")
    };
    let (name_version, key) = v.usable_key(name, version, &op, ctx.now)?;
    let message = field(message_member)?;
    let context = field("context")?;
    let external_mu = field("external_mu")?;
    if signing {
        let mut params = keyvault_crypto::MlDsaSignParameters::message(Vec::new());
        (params.message, params.context, params.external_mu) = (message, context, external_mu);
        let r = key
            .sign_ml_dsa(&params)
            .map_err(|e| crypto_error(e, false))?;
        return json_answer(&value_result(
            Some(result_kid(ctx, &name_version)),
            &r.signature,
        ));
    }
    let signature = field("value")?.unwrap_or_default();
    let mut params = keyvault_crypto::MlDsaVerifyParameters::message(Vec::new(), signature);
    (params.message, params.context, params.external_mu) = (message, context, external_mu);
    let r = key
        .verify_ml_dsa(&params)
        .map_err(|e| crypto_error(e, false))?;
    json_answer(&types::KeyVerifyResult {
        value: Some(r.is_valid),
        extra: Default::default(),
    })
}

pub(super) fn random_bytes(v: &Vault, body: &Bytes) -> ApiResult<Answer> {
    if v.read().flavor() == Flavor::Vault {
        return Err(ApiError::not_supported(
            "Random bytes are available from a Managed HSM only.",
        ));
    }
    let p: Value = parse_body(body)?;
    let count = p["count"]
        .as_i64()
        .ok_or_else(|| ApiError::bad_parameter("count is required and must be an integer."))?;
    if !(1..=128).contains(&count) {
        return Err(ApiError::bad_parameter(format!(
            "count must be from 1 to 128, not {count}."
        )));
    }
    let bytes = keyvault_crypto::random_bytes(count as usize)
        .map_err(|e| ApiError::bad_parameter(e.to_string()))?;
    json_answer(&types::RandomBytes {
        value: b64::encode(&bytes).into(),
        extra: Default::default(),
    })
}

pub(super) fn release(
    shared: &Shared,
    v: &Vault,
    ctx: &Ctx,
    name: &str,
    version: &str,
    body: &Bytes,
) -> ApiResult<Answer> {
    let params: types::KeyReleaseParameters = parse_body(body)?;
    let claims = crate::release::verify_target(&params, &shared.trusted, ctx.now)?;
    let (record, bundle) = {
        let keys = v.read();
        let (stored_name, record) = keys.version_record(name, version)?;
        let bundle = keys.bundle(ctx, &stored_name, &record);
        (record, bundle)
    };
    let result = crate::release::release(crate::release::ReleaseInput {
        ctx,
        version: &record,
        bundle,
        params,
        claims,
        signing_key: &shared.signing_key,
    })?;
    json_answer(&result)
}
