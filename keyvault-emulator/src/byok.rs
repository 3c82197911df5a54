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
//! RSA and EC keys, the raw bytes for oct keys. Reading and unwrapping the
//! blob is `keyvault_crypto::byok`'s (the code that builds blobs for
//! clients); this module finds the KEK and applies the vault's rules.

use keyvault_crypto::{JsonWebKey, KeyOperation, KeyType, b64};
use keyvault_keys_types::types;

use crate::api_error::{ApiError, ApiResult};
use crate::state::{Keys, Vault};

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::bad_parameter(m)
}

/// A BYOK import (a key with `key_hsm` and no private members) becomes an
/// ordinary import of the unwrapped key; any other import passes unchanged.
/// The vault is read-locked only to copy the key exchange key out, never
/// during the RSA unwrap (a long-held read lock stalls the writers queued
/// behind it, and the readers behind them).
pub fn resolve(
    vault: &Vault,
    now: i64,
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
    let kty = p
        .key
        .kty
        .clone()
        .unwrap_or(KeyType::UnknownValue(String::new()));
    if !matches!(kty, KeyType::RsaHsm | KeyType::EcHsm | KeyType::OctHsm) {
        return Err(bad(format!(
            "A BYOK import (key_hsm) needs kty RSA-HSM, EC-HSM or oct-HSM, not {kty}."
        )));
    }
    let blob = b64::decode(key_hsm.expose_secret()).map_err(|e| bad(format!("key_hsm: {e}")))?;
    // The blob format is keyvault_crypto::byok's (the same code builds blobs
    // for clients): read the KEK it names, then unwrap with that KEK.
    let kid = keyvault_crypto::byok::transfer_blob_kek_kid(&blob)
        .map_err(|e| bad(format!("key_hsm is not a BYOK transfer blob: {e}")))?;
    let kek = kek(&vault.read(), &kid, now)?;
    let (_, target) = keyvault_crypto::byok::unwrap_transfer_blob(&kek, &blob).map_err(|_| {
        bad("key_hsm: the ciphertext does not unwrap with the key exchange key it names.")
    })?;
    let fits = match kty {
        KeyType::RsaHsm => target.kty.is_rsa(),
        KeyType::EcHsm => target.kty.is_ec(),
        _ => target.kty.is_oct(),
    };
    if !fits {
        return Err(bad(format!(
            "key_hsm: the wrapped key is {}, not the {kty} key the request names.",
            target.kty
        )));
    }
    let mut jwk = target;
    jwk.kty = kty;
    let key_ops = std::mem::take(&mut p.key.key_ops);
    p.key = jwk.to_protocol();
    p.key.key_ops = key_ops;
    tracing::debug!(name, kek = %kid, "BYOK import unwrapped");
    Ok(p)
}

/// The KEK a blob names: a live RSA key of this vault with `import` in its
/// key_ops, enabled and inside its validity window.
fn kek(keys: &Keys, kid: &str, now: i64) -> ApiResult<JsonWebKey> {
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
    if !v.key_ops.contains(&KeyOperation::Import) {
        return Err(bad(
            "key_hsm: the key exchange key must have the import operation (key_ops [\"import\"]).",
        ));
    }
    if v.validity().check(&KeyOperation::Import, now).is_err() {
        return Err(bad(
            "key_hsm: the key exchange key is disabled, expired or not yet valid.",
        ));
    }
    Ok(v.jwk)
}
