//! Bring your own key (BYOK): the key transfer blob that imports a private
//! key into an HSM-protected vault key, as Microsoft's published *Bring your
//! own key specification* describes it.
//!
//! 1. Create a key-exchange key (KEK) in the vault: an `RSA-HSM` key of
//!    2048, 3072 or 4096 bits whose only operation is `import`.
//! 2. Fetch its public part, and build the blob here with
//!    [`transfer_blob`] (or a ready import JWK with [`import_jwk`]).
//! 3. Import with `kty` `RSA-HSM`/`EC-HSM`/`oct-HSM` and the blob as
//!    `key_hsm`.
//!
//! The blob is UTF-8 JSON:
//! `{"schema_version":"1.0.0","header":{"kid":"<KEK kid>","alg":"dir","enc":"CKM_RSA_AES_KEY_WRAP"},"ciphertext":"<base64url>","generator":"keyvault-crypto <version>"}`
//! where the ciphertext is `CKM_RSA_AES_KEY_WRAP` of the target key: a fresh
//! 256-bit AES key encrypted with RSA-OAEP (SHA-1, MGF1 with SHA-1) under
//! the KEK, followed by the target wrapped with that AES key by AES key wrap
//! with padding (RFC 5649). The target is its PKCS#8 DER (RSA, EC) or its
//! raw bytes (oct).
//!
//! ```
//! use keyvault_crypto::{byok, generate, KeyOperation, KeySpec, KeyType};
//! let spec = |kty, size| KeySpec { kty, size, curve: None, public_exponent: None };
//! // The KEK as the vault would give it (here generated locally).
//! let mut kek = generate(&spec(KeyType::RsaHsm, Some(2048)))?;
//! kek.kid = Some("https://myvault.vault.azure.net/keys/kek/0123456789abcdef0123456789abcdef".into());
//! kek.key_ops = vec![KeyOperation::Import];
//! let target = generate(&spec(KeyType::Oct, Some(256)))?;
//! let import = byok::import_jwk(&kek.public_only(), &target)?;
//! assert_eq!(import.kty, KeyType::OctHsm);
//! // The vault's side (and the emulator's):
//! let (kid, unwrapped) = byok::unwrap_transfer_blob(&kek, import.t.as_deref().unwrap_or_default())?;
//! assert_eq!(Some(kid), kek.kid);
//! assert_eq!(unwrapped.k, target.k);
//! # Ok::<(), keyvault_crypto::CryptoError>(())
//! ```

use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _};
use serde::{Deserialize, Serialize};

use crate::engine::{LocalKey, fill_rsa_from_pkcs8, rsa_aes_key_unwrap, rsa_aes_key_wrap};
use crate::error::CryptoError;
use crate::{JsonWebKey, KeyCurveName, KeyExportEncryptionAlgorithm, KeyOperation, KeyType};
use keyvault_keys_types::{SecretBytes, b64};

/// The only `schema_version` defined.
pub const SCHEMA_VERSION: &str = "1.0.0";
/// The header's `alg`.
pub const ALG: &str = "dir";
/// The header's `enc`.
pub const ENC: &str = "CKM_RSA_AES_KEY_WRAP";
/// What this crate writes as `generator`.
pub const GENERATOR: &str = concat!("keyvault-crypto ", env!("CARGO_PKG_VERSION"));
/// The largest transfer blob [`unwrap_transfer_blob`] reads (an RSA-4096
/// target under an RSA-4096 KEK takes about 4 KiB).
pub const MAX_TRANSFER_BLOB: usize = 64 * 1024;

#[derive(Serialize, Deserialize)]
struct Header {
    kid: String,
    alg: String,
    enc: String,
}

#[derive(Serialize, Deserialize)]
struct Blob {
    schema_version: String,
    header: Header,
    ciphertext: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    generator: Option<String>,
}

fn invalid(why: impl Into<String>) -> CryptoError {
    CryptoError::InvalidInput(why.into())
}

/// Checks that `kek` is a key-exchange key: RSA, 2048/3072/4096 bits, a
/// `kid`, and `import` among its operations. Returns its kid.
fn check_kek(kek: &JsonWebKey) -> Result<String, CryptoError> {
    if !kek.kty.is_rsa() {
        return Err(invalid(format!(
            "a BYOK key-exchange key is an RSA-HSM key, not {}",
            kek.kty
        )));
    }
    let kid = kek.kid.clone().filter(|k| !k.is_empty()).ok_or_else(|| {
        invalid("the key-exchange key has no kid (use the key the vault returned)")
    })?;
    match kek.key_size() {
        Some(b) if crate::rules::RSA_KEY_SIZES.contains(&(b as u32)) => {}
        other => {
            return Err(invalid(format!(
                "a BYOK key-exchange key is 2048, 3072 or 4096 bits, not {}",
                other.map_or_else(|| "unknown".to_owned(), |b| b.to_string())
            )));
        }
    }
    if !kek.key_ops.contains(&KeyOperation::Import) {
        return Err(invalid(
            "the key-exchange key's key_ops must be [\"import\"]: create it with the import operation only",
        ));
    }
    Ok(kid)
}

/// Builds the `key_hsm` transfer blob that imports `target` (an RSA, EC or
/// oct JWK with its private part) under the key-exchange key `kek` (its
/// public part, as the vault returns it).
pub fn transfer_blob(kek: &JsonWebKey, target: &JsonWebKey) -> Result<Vec<u8>, CryptoError> {
    let kid = check_kek(kek)?;
    if !target.has_private_key() {
        return Err(invalid(
            "the BYOK target key needs its private part (d for RSA and EC, k for oct)",
        ));
    }
    let material = LocalKey::from_jwk(target)?.private_key_der()?;
    let ciphertext = rsa_aes_key_wrap(
        &kek.public_only(),
        &KeyExportEncryptionAlgorithm::CkmRsaAesKeyWrap,
        material.expose(),
    )?;
    let blob = Blob {
        schema_version: SCHEMA_VERSION.to_owned(),
        header: Header {
            kid,
            alg: ALG.to_owned(),
            enc: ENC.to_owned(),
        },
        ciphertext: b64::encode(&ciphertext),
        generator: Some(GENERATOR.to_owned()),
    };
    serde_json::to_vec(&blob).map_err(|e| CryptoError::Backend(format!("transfer blob: {e}")))
}

/// The JWK to import for `target`: its `-HSM` key type, its `key_ops` and
/// curve, and the transfer blob as `key_hsm` (no private member).
pub fn import_jwk(kek: &JsonWebKey, target: &JsonWebKey) -> Result<JsonWebKey, CryptoError> {
    let kty = match &target.kty {
        k if k.is_rsa() => KeyType::RsaHsm,
        k if k.is_ec() => KeyType::EcHsm,
        k if k.is_oct() => KeyType::OctHsm,
        other => {
            return Err(invalid(format!(
                "BYOK imports RSA, EC or oct keys, not {other}"
            )));
        }
    };
    let mut jwk = JsonWebKey::new(kty);
    jwk.key_ops = target.key_ops.clone();
    jwk.crv = target.crv.clone();
    jwk.t = Some(transfer_blob(kek, target)?);
    Ok(jwk)
}

/// The key-exchange key a transfer blob names (its header's `kid`), read
/// and checked as [`unwrap_transfer_blob`] does, so a vault can find the
/// KEK before unwrapping.
pub fn transfer_blob_kek_kid(key_hsm: &[u8]) -> Result<String, CryptoError> {
    read_blob(key_hsm).map(|b| b.header.kid)
}

/// Reads a transfer blob (bounded) and checks its schema and header.
fn read_blob(key_hsm: &[u8]) -> Result<Blob, CryptoError> {
    if key_hsm.len() > MAX_TRANSFER_BLOB {
        return Err(invalid(format!(
            "the transfer blob has {} bytes; at most {MAX_TRANSFER_BLOB} are read",
            key_hsm.len()
        )));
    }
    let blob: Blob = serde_json::from_slice(key_hsm)
        .map_err(|e| invalid(format!("the transfer blob is not the BYOK JSON: {e}")))?;
    if blob.schema_version != SCHEMA_VERSION {
        return Err(invalid(format!(
            "transfer blob schema_version {:?} is not supported (only {SCHEMA_VERSION})",
            blob.schema_version
        )));
    }
    if blob.header.alg != ALG || blob.header.enc != ENC {
        return Err(invalid(format!(
            "the transfer blob's header must say alg {ALG:?} and enc {ENC:?}, not {:?} and {:?}",
            blob.header.alg, blob.header.enc
        )));
    }
    if blob.header.kid.is_empty() {
        return Err(invalid("the transfer blob's header has no kid"));
    }
    Ok(blob)
}

/// The vault's side: reads a transfer blob (bounded, checked), unwraps it
/// with the key-exchange key's private part, and returns the KEK `kid` the
/// blob names and the target as a JWK with its private part (`kty` `RSA`,
/// `EC` or `oct`; no `kid`, no `key_ops`). Any input gives a result or an
/// error, never a panic; a wrong KEK or a tampered blob is
/// [`CryptoError::DecryptionFailed`].
pub fn unwrap_transfer_blob(
    kek_private: &JsonWebKey,
    key_hsm: &[u8],
) -> Result<(String, JsonWebKey), CryptoError> {
    let blob = read_blob(key_hsm)?;
    if !kek_private.kty.is_rsa() {
        return Err(invalid("a BYOK key-exchange key is an RSA key"));
    }
    let ciphertext = b64::decode(&blob.ciphertext)
        .map_err(|e| invalid(format!("the transfer blob's ciphertext: {e}")))?;
    let material = rsa_aes_key_unwrap(
        kek_private,
        &KeyExportEncryptionAlgorithm::CkmRsaAesKeyWrap,
        &ciphertext,
    )?;
    let target = target_from_material(&material)?;
    Ok((blob.header.kid, target))
}

/// A JWK from unwrapped target material: PKCS#8 RSA or EC, or a raw AES key.
fn target_from_material(material: &SecretBytes) -> Result<JsonWebKey, CryptoError> {
    let bytes = material.expose();
    if matches!(bytes.len(), 16 | 24 | 32) {
        let mut jwk = JsonWebKey::new(KeyType::Oct);
        jwk.k = Some(material.clone());
        return Ok(jwk);
    }
    let mut rsa = JsonWebKey::new(KeyType::Rsa);
    if fill_rsa_from_pkcs8(&mut rsa, bytes).is_ok() {
        LocalKey::from_jwk(&rsa)?;
        return Ok(rsa);
    }
    for curve in [
        KeyCurveName::P256,
        KeyCurveName::P384,
        KeyCurveName::P521,
        KeyCurveName::P256K,
    ] {
        let (alg, _) = crate::engine::ecdsa_algs(&curve)?;
        let Ok(pair) = EcdsaKeyPair::from_pkcs8(alg, bytes) else {
            continue;
        };
        let len = crate::rules::curve(&curve).map_or(32, |c| c.coordinate_len);
        let point = pair.public_key().as_ref();
        if point.len() != 1 + 2 * len {
            return Err(invalid("the EC target's public point is not uncompressed"));
        }
        let d: aws_lc_rs::encoding::EcPrivateKeyBin =
            aws_lc_rs::encoding::AsBigEndian::as_be_bytes(&pair.private_key())
                .map_err(|_| CryptoError::Backend("EC key encoding".into()))?;
        let mut jwk = JsonWebKey::new(KeyType::Ec);
        jwk.crv = Some(curve);
        jwk.x = Some(point[1..1 + len].to_vec());
        jwk.y = Some(point[1 + len..].to_vec());
        jwk.d = Some(SecretBytes::from_slice(d.as_ref()));
        LocalKey::from_jwk(&jwk)?;
        return Ok(jwk);
    }
    Err(invalid(
        "the unwrapped target is neither a PKCS#8 RSA or EC private key nor a 128/192/256-bit AES key",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KeySpec, generate};

    fn make_kek(bits: u32) -> JsonWebKey {
        let mut k = generate(&KeySpec {
            kty: KeyType::RsaHsm,
            size: Some(bits),
            curve: None,
            public_exponent: None,
        })
        .expect("kek");
        k.kid = Some(format!(
            "https://myvault.vault.azure.net/keys/kek{bits}/0123456789abcdef0123456789abcdef"
        ));
        k.key_ops = vec![KeyOperation::Import];
        k
    }

    fn target(kty: KeyType, size: Option<u32>, curve: Option<KeyCurveName>) -> JsonWebKey {
        generate(&KeySpec {
            kty,
            size,
            curve,
            public_exponent: None,
        })
        .expect("target")
    }

    #[test]
    fn round_trips_rsa_ec_and_oct() {
        let kek = make_kek(2048);
        for t in [
            target(KeyType::Rsa, Some(2048), None),
            target(KeyType::Ec, None, Some(KeyCurveName::P256)),
            target(KeyType::Ec, None, Some(KeyCurveName::P521)),
            target(KeyType::Oct, Some(256), None),
        ] {
            let blob = transfer_blob(&kek.public_only(), &t).expect("blob");
            let json: serde_json::Value = serde_json::from_slice(&blob).expect("json");
            assert_eq!(json["schema_version"], "1.0.0");
            assert_eq!(
                json["header"]["kid"],
                kek.kid.clone().expect("kid").as_str()
            );
            assert_eq!(json["header"]["alg"], "dir");
            assert_eq!(json["header"]["enc"], "CKM_RSA_AES_KEY_WRAP");
            assert_eq!(json["generator"], GENERATOR);
            let (kid, back) = unwrap_transfer_blob(&kek, &blob).expect("unwrap");
            assert_eq!(Some(kid), kek.kid);
            assert_eq!(back.kty.as_str(), t.kty.as_str());
            for (a, b) in [
                (&back.d, &t.d),
                (&back.k, &t.k),
                (&back.p, &t.p),
                (&back.qi, &t.qi),
            ] {
                assert_eq!(a, b);
            }
            assert_eq!(
                (&back.n, &back.x, &back.y, &back.crv),
                (&t.n, &t.x, &t.y, &t.crv)
            );
        }
    }

    #[test]
    fn the_aes_key_is_encrypted_with_oaep_sha1_for_the_kek() {
        // CKM_RSA_AES_KEY_WRAP: the first modulus-length bytes are RSA-OAEP
        // (SHA-1) of a 256-bit AES key; the rest is RFC 5649 under that key.
        let kek = make_kek(3072);
        let t = target(KeyType::Oct, Some(128), None);
        let blob = transfer_blob(&kek.public_only(), &t).expect("blob");
        let json: serde_json::Value = serde_json::from_slice(&blob).expect("json");
        let ct = b64::decode(json["ciphertext"].as_str().expect("ct")).expect("b64");
        assert_eq!(ct.len(), 384 + 24);
        let mut unrestricted = kek.clone();
        unrestricted.key_ops.clear();
        let rsa = LocalKey::from_jwk(&unrestricted).expect("kek");
        let aes = rsa
            .decrypt(&crate::DecryptParameters::new(
                crate::EncryptionAlgorithm::RsaOaep,
                ct[..384].to_vec(),
            ))
            .expect("RSA-OAEP with SHA-1");
        assert_eq!(aes.plaintext.len(), 32);
        let inner = crate::engine::kw::unwrap_pad(&aes.plaintext, &ct[384..]).expect("kwp");
        assert_eq!(Some(&inner), t.k.as_ref());
    }

    #[test]
    fn a_wrong_kek_or_a_bad_blob_fails_cleanly() {
        let kek = make_kek(2048);
        let other = make_kek(2048);
        let t = target(KeyType::Oct, Some(256), None);
        let blob = transfer_blob(&kek.public_only(), &t).expect("blob");
        assert!(matches!(
            unwrap_transfer_blob(&other, &blob),
            Err(CryptoError::DecryptionFailed)
        ));
        // Tampered ciphertext.
        let mut json: serde_json::Value = serde_json::from_slice(&blob).expect("json");
        let mut ct = b64::decode(json["ciphertext"].as_str().expect("ct")).expect("b64");
        let last = ct.len() - 1;
        ct[last] ^= 1;
        json["ciphertext"] = b64::encode(&ct).into();
        assert!(matches!(
            unwrap_transfer_blob(&kek, &serde_json::to_vec(&json).expect("json")),
            Err(CryptoError::DecryptionFailed)
        ));
        // Wrong header values.
        for (field, value) in [("alg", "RSA-OAEP"), ("enc", "CKM_RSA_AES_KEY_WRAP_PAD")] {
            let mut j: serde_json::Value = serde_json::from_slice(&blob).expect("json");
            j["header"][field] = value.into();
            let err = unwrap_transfer_blob(&kek, &serde_json::to_vec(&j).expect("json"))
                .expect_err("header");
            assert!(matches!(err, CryptoError::InvalidInput(_)), "{err}");
        }
        let mut j: serde_json::Value = serde_json::from_slice(&blob).expect("json");
        j["schema_version"] = "2.0.0".into();
        assert!(unwrap_transfer_blob(&kek, &serde_json::to_vec(&j).expect("json")).is_err());
        // Garbage of every kind.
        let big = vec![b'{'; MAX_TRANSFER_BLOB + 1];
        let deep = "[".repeat(10_000);
        for garbage in [
            &b""[..],
            b"null",
            b"{}",
            b"\xff\xfe\x00",
            br#"{"schema_version":"1.0.0","header":{"kid":"","alg":"dir","enc":"CKM_RSA_AES_KEY_WRAP"},"ciphertext":""}"#,
            br#"{"schema_version":"1.0.0","header":{"kid":"k","alg":"dir","enc":"CKM_RSA_AES_KEY_WRAP"},"ciphertext":"!!"}"#,
            br#"{"schema_version":"1.0.0","header":{"kid":"k","alg":"dir","enc":"CKM_RSA_AES_KEY_WRAP"},"ciphertext":"AAAA"}"#,
            &big,
            deep.as_bytes(),
        ] {
            assert!(unwrap_transfer_blob(&kek, garbage).is_err());
        }
        // A public KEK cannot unwrap; a non-RSA one is refused.
        assert!(unwrap_transfer_blob(&kek.public_only(), &blob).is_err());
        assert!(unwrap_transfer_blob(&t, &blob).is_err());
    }

    #[test]
    fn the_builder_checks_the_kek_and_the_target() {
        let good = make_kek(2048);
        let t = target(KeyType::Rsa, Some(2048), None);
        let mut no_import = good.public_only();
        no_import.key_ops = vec![KeyOperation::Encrypt];
        let mut no_kid = good.public_only();
        no_kid.kid = None;
        for bad in [no_import, no_kid, t.public_only()] {
            assert!(matches!(
                transfer_blob(&bad, &t),
                Err(CryptoError::InvalidInput(_))
            ));
        }
        assert!(matches!(
            transfer_blob(&good.public_only(), &t.public_only()),
            Err(CryptoError::InvalidInput(_))
        ));
        let import = import_jwk(&good.public_only(), &t).expect("import");
        assert_eq!(import.kty, KeyType::RsaHsm);
        assert!(import.d.is_none() && import.t.is_some());
    }
}
