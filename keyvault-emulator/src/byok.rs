//! Bring your own key (BYOK) import, as the service's BYOK specification
//! describes it: the caller creates a key-exchange key (KEK) in the vault
//! (`kty: RSA-HSM`, `key_ops: ["import"]`), wraps its key for the KEK, and
//! imports `{"key": {"kty": "RSA-HSM"|"EC-HSM"|"oct-HSM", "key_hsm": …}}`
//! where `key_hsm` is the base64url of the transfer blob:
//!
//! ```json
//! {"schema_version": "1.0.0",
//!  "header": {"kid": "<the KEK's kid>", "alg": "dir", "enc": "CKM_RSA_AES_KEY_WRAP"},
//!  "ciphertext": "<base64url>", "generator": "…"}
//! ```
//!
//! `ciphertext` is RSA-OAEP (SHA-1) of an ephemeral AES-256 key followed by
//! AES key wrap with padding (RFC 5649) of the target key: PKCS#8 DER for
//! RSA and EC keys, the raw bytes for oct keys.

use keyvault_crypto::{
    JsonWebKey, KeyCurveName, KeyExportEncryptionAlgorithm, KeyType, SecretBytes, b64,
};
use keyvault_keys_protocol::types;
use serde_json::Value;

use crate::api_error::{ApiError, ApiResult};
use crate::state::{Keys, now};

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::bad_parameter(m)
}

/// A BYOK import (a key with `key_hsm` and no private members) becomes an
/// ordinary import of the unwrapped key; any other import passes unchanged.
pub fn resolve(
    keys: &Keys,
    name: &str,
    mut p: types::KeyImportParameters,
) -> ApiResult<types::KeyImportParameters> {
    let Some(key_hsm) = p.key.key_hsm.clone() else {
        return Ok(p);
    };
    if p.key.d.is_some() || p.key.k.is_some() {
        return Err(bad(
            "A key to import has either key_hsm (BYOK) or its private members, not both.",
        ));
    }
    let kty = KeyType::parse(p.key.kty.as_ref().map(|k| k.as_str()).unwrap_or(""));
    if !matches!(kty, KeyType::RsaHsm | KeyType::EcHsm | KeyType::OctHsm) {
        return Err(bad(format!(
            "A BYOK import (key_hsm) needs kty RSA-HSM, EC-HSM or oct-HSM, not {kty}."
        )));
    }
    let blob_bytes =
        b64::decode(key_hsm.expose_secret()).map_err(|e| bad(format!("key_hsm: {e}")))?;
    let blob: Value = serde_json::from_slice(&blob_bytes)
        .map_err(|e| bad(format!("key_hsm is not a BYOK transfer blob (JSON): {e}")))?;
    let header = &blob["header"];
    if blob["schema_version"].as_str() != Some("1.0.0") {
        return Err(bad("key_hsm: schema_version must be 1.0.0."));
    }
    if header["alg"].as_str() != Some("dir")
        || header["enc"].as_str() != Some("CKM_RSA_AES_KEY_WRAP")
    {
        return Err(bad(
            "key_hsm: the header must say alg dir and enc CKM_RSA_AES_KEY_WRAP.",
        ));
    }
    let kid = header["kid"]
        .as_str()
        .ok_or_else(|| bad("key_hsm: the header has no kid of the key exchange key."))?;
    let ciphertext = blob["ciphertext"]
        .as_str()
        .ok_or_else(|| bad("key_hsm: the blob has no ciphertext."))
        .and_then(|c| b64::decode(c).map_err(|e| bad(format!("key_hsm ciphertext: {e}"))))?;
    let kek = kek(keys, kid)?;
    let material = keyvault_crypto::rsa_aes_key_unwrap(
        &kek,
        &KeyExportEncryptionAlgorithm::CkmRsaAesKeyWrap,
        &ciphertext,
    )
    .map_err(|_| {
        bad("key_hsm: the ciphertext does not unwrap with the key exchange key it names.")
    })?;
    let mut jwk = JsonWebKey::new(kty.clone());
    match kty {
        KeyType::RsaHsm => {
            keyvault_crypto::engine::fill_rsa_from_pkcs8(&mut jwk, material.expose())
                .map_err(|e| bad(format!("key_hsm: the wrapped RSA key is not PKCS#8: {e}")))?
        }
        KeyType::EcHsm => fill_ec_from_pkcs8(&mut jwk, material.expose())?,
        _ => {
            if ![16, 24, 32].contains(&material.len()) {
                return Err(bad("key_hsm: a wrapped oct key is 128, 192 or 256 bits."));
            }
            jwk.k = Some(SecretBytes::from_slice(material.expose()));
        }
    }
    let key_ops = std::mem::take(&mut p.key.key_ops);
    p.key = jwk.to_protocol();
    p.key.key_ops = key_ops;
    tracing::debug!(name, kek = kid, "BYOK import unwrapped");
    Ok(p)
}

/// The KEK a blob names: a live RSA key of this vault with `import` in its
/// key_ops, enabled and inside its validity window.
fn kek(keys: &Keys, kid: &str) -> ApiResult<JsonWebKey> {
    let path = url::Url::parse(kid)
        .map(|u| u.path().to_owned())
        .map_err(|_| bad(format!("key_hsm: the KEK kid {kid:?} is not a URL.")))?;
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (name, version) = match parts.as_slice() {
        ["keys", name, version] => (*name, *version),
        ["keys", name] => (*name, ""),
        _ => {
            return Err(bad(format!(
                "key_hsm: the KEK kid {kid:?} does not name a key of this vault."
            )));
        }
    };
    let (_, v) = keys.version_record(name, version).map_err(|_| {
        bad(format!(
            "key_hsm: the key exchange key {kid} does not exist in this vault."
        ))
    })?;
    if !v.jwk.kty.is_rsa() {
        return Err(bad("key_hsm: the key exchange key must be an RSA-HSM key."));
    }
    if !v.key_ops.iter().any(|o| o == "import") {
        return Err(bad(
            "key_hsm: the key exchange key must have the import operation (key_ops [\"import\"]).",
        ));
    }
    let t = now();
    if !v.enabled || v.exp.is_some_and(|e| t >= e) || v.nbf.is_some_and(|n| t < n) {
        return Err(bad(
            "key_hsm: the key exchange key is disabled, expired or not yet valid.",
        ));
    }
    Ok(v.jwk)
}

/// Fills an EC JWK (crv, x, y, d) from PKCS#8, trying each curve.
fn fill_ec_from_pkcs8(jwk: &mut JsonWebKey, der: &[u8]) -> ApiResult<()> {
    use aws_lc_rs::signature::{self, KeyPair as _};
    let curves: [(
        KeyCurveName,
        &'static signature::EcdsaSigningAlgorithm,
        usize,
    ); 4] = [
        (
            KeyCurveName::P256,
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            32,
        ),
        (
            KeyCurveName::P384,
            &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            48,
        ),
        (
            KeyCurveName::P521,
            &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
            66,
        ),
        (
            KeyCurveName::P256K,
            &signature::ECDSA_P256K1_SHA256_FIXED_SIGNING,
            32,
        ),
    ];
    for (crv, alg, len) in curves {
        let Ok(pair) = signature::EcdsaKeyPair::from_pkcs8(alg, der) else {
            continue;
        };
        let point = pair.public_key().as_ref();
        if point.len() != 1 + 2 * len {
            continue;
        }
        let d: aws_lc_rs::encoding::EcPrivateKeyBin =
            aws_lc_rs::encoding::AsBigEndian::as_be_bytes(&pair.private_key())
                .map_err(|_| bad("key_hsm: the wrapped EC key cannot be read."))?;
        jwk.x = Some(point[1..1 + len].to_vec());
        jwk.y = Some(point[1 + len..].to_vec());
        jwk.d = Some(SecretBytes::from_slice(d.as_ref()));
        jwk.crv = Some(crv);
        return Ok(());
    }
    Err(bad(
        "key_hsm: the wrapped EC key is not PKCS#8 on P-256, P-384, P-521 or P-256K.",
    ))
}
