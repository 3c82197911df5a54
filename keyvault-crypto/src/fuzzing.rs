//! Entry points for the fuzz targets in `fuzz/`: each runs one parser or
//! engine path on untrusted input. Not part of the API.

use crate::engine::{LocalKey, kw};
use crate::{
    DecryptParameters, EncryptParameters, EncryptionAlgorithm, JsonWebKey, KeyVaultKeyIdentifier,
    KeyWrapAlgorithm, SignatureAlgorithm,
};

/// Parses a key identifier.
pub fn key_id(s: &str) {
    let _ = KeyVaultKeyIdentifier::parse(s);
}

/// Reads a JWK, imports it into the engine and runs every operation with
/// every algorithm on it (most are refused; none may panic).
pub fn jwk_all_ops(json: &[u8]) {
    let Ok(jwk) = serde_json::from_slice::<JsonWebKey>(json) else {
        return;
    };
    let Ok(key) = LocalKey::from_jwk(&jwk) else {
        return;
    };
    for alg in EncryptionAlgorithm::KNOWN {
        let iv = if alg.as_str().contains("GCM") { 12 } else { 16 };
        let p =
            EncryptParameters::new(alg.clone(), b"fuzz plaintext".to_vec()).with_iv(vec![7; iv]);
        if let Ok(r) = key.encrypt(&p) {
            let _ = key.decrypt(&DecryptParameters::from_encrypt_result(&r));
        }
    }
    for alg in KeyWrapAlgorithm::KNOWN {
        if let Ok(r) = key.wrap_key(alg, &[0x42; 32]) {
            let _ = key.unwrap_key(alg, &r.encrypted_key);
        }
    }
    for alg in SignatureAlgorithm::KNOWN {
        let digest = alg.hash().map(|h| h.digest(b"fuzz")).unwrap_or_default();
        if let Ok(r) = key.sign(alg, &digest) {
            let _ = key.verify(alg, &digest, &r.signature);
        }
    }
}

/// AES key unwrap (RFC 3394) or with padding (RFC 5649) of arbitrary input.
pub fn kw_unwrap(kek: &[u8], data: &[u8], padded: bool) {
    let _ = if padded {
        kw::unwrap_pad(kek, data)
    } else {
        kw::unwrap(kek, data)
    };
}
