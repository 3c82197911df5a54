//! The P1 cases: for each operation, the engine call and the least bare
//! aws-lc-rs code that produces the same owned output from the same inputs
//! (a digest's bytes in, an owned signature out; a plaintext slice in, an
//! owned ciphertext with a fresh random IV out; ...). Keys are parsed once,
//! outside the timing, on both sides.
//!
//! Both sides keep the engine's security rules where they cost time: a
//! fresh random GCM IV per encryption, and decrypted plaintexts and
//! unwrapped keys zeroized when dropped (the `zeroize` crate's volatile
//! byte writes: about 16 µs for 64 KiB, which is most of a 64 KiB AES-GCM
//! decryption).

use std::hint::black_box;

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, RandomizedNonceKey, UnboundKey};
use aws_lc_rs::digest::{self, Digest};
use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::key_wrap::{self, KeyEncryptionKey, KeyWrap as _, KeyWrapPadded as _};
use aws_lc_rs::rsa::{
    self, OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey,
    PublicEncryptingKey,
};
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, ParsedPublicKey};
use aws_lc_rs::{hmac, rand};
use keyvault_crypto::*;

use crate::Case;
use crate::openssl::Query;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn err(e: impl std::fmt::Debug) -> Box<dyn std::error::Error> {
    format!("{e:?}").into()
}

/// A new key with a vault key's kid (every result carries it).
fn key(kty: KeyType, size: Option<u32>, curve: Option<KeyCurveName>) -> Res<JsonWebKey> {
    let mut jwk = generate(&KeySpec {
        kty,
        size,
        curve,
        public_exponent: None,
    })?;
    jwk.kid = Some(
        "https://bench-vault.vault.azure.net/keys/bench-key/0123456789abcdef0123456789abcdef"
            .into(),
    );
    Ok(jwk)
}

fn case(
    name: String,
    engine: impl FnMut() -> bool + 'static,
    bare: impl FnMut() -> bool + 'static,
    openssl: Option<Query>,
) -> Case {
    Case {
        name,
        engine: Box::new(engine),
        bare: Box::new(bare),
        openssl,
    }
}

/// Every P1 case, in report order.
pub fn all() -> Res<Vec<Case>> {
    let mut cases = Vec::new();
    for bits in [2048, 3072] {
        rsa(&mut cases, bits)?;
    }
    ecdsa(&mut cases, KeyCurveName::P256)?;
    ecdsa(&mut cases, KeyCurveName::P384)?;
    let aes = key(KeyType::Oct, Some(256), None)?;
    for bytes in [64, 1024, 64 * 1024] {
        gcm(&mut cases, &aes, bytes)?;
    }
    key_wrap(&mut cases, &aes, false)?;
    key_wrap(&mut cases, &aes, true)?;
    hs256(&mut cases, &aes)?;
    Ok(cases)
}

fn rsa(cases: &mut Vec<Case>, bits: u32) -> Res<()> {
    let jwk = key(KeyType::Rsa, Some(bits), None)?;
    let private = std::rc::Rc::new(LocalKey::from_jwk(&jwk)?);
    let public = std::rc::Rc::new(LocalKey::from_jwk(&jwk.public_only())?);
    let der = private.private_key_der()?;
    let pair = std::rc::Rc::new(rsa::KeyPair::from_pkcs8(der.expose()).map_err(err)?);
    let spki: PublicKeyX509Der = pair.public_key().as_der().map_err(err)?;
    let spki = spki.as_ref().to_vec();
    let digest = HashAlgorithm::Sha256.digest(b"benchmark");
    let schemes: [(
        &str,
        SignatureAlgorithm,
        &'static dyn signature::RsaEncoding,
        _,
    ); 2] = [
        (
            "RS256",
            SignatureAlgorithm::Rs256,
            &signature::RSA_PKCS1_SHA256,
            &signature::RSA_PKCS1_2048_8192_SHA256,
        ),
        (
            "PS256",
            SignatureAlgorithm::Ps256,
            &signature::RSA_PSS_SHA256,
            &signature::RSA_PSS_2048_8192_SHA256,
        ),
    ];
    for (label, alg, encoding, params) in schemes {
        let pkcs1 = label == "RS256";
        let (key, a, d, p) = (private.clone(), alg.clone(), digest.clone(), pair.clone());
        let bd = digest.clone();
        cases.push(case(
            format!("RSA-{bits} {label} sign"),
            move || black_box(key.sign(&a, &d)).is_ok(),
            move || {
                let Ok(dg) = Digest::import_less_safe(&bd, &digest::SHA256) else {
                    return false;
                };
                let mut sig = vec![0u8; p.public_modulus_len()];
                black_box(p.sign_digest(encoding, &dg, &mut sig)).is_ok()
            },
            pkcs1.then_some(Query::Rsa {
                bits,
                verify: false,
            }),
        ));
        let sig = private.sign(&alg, &digest)?.signature;
        let parsed = ParsedPublicKey::new(params, &spki).map_err(err)?;
        let (key, a, d, s) = (public.clone(), alg.clone(), digest.clone(), sig.clone());
        let bd = digest.clone();
        cases.push(case(
            format!("RSA-{bits} {label} verify"),
            move || matches!(black_box(key.verify(&a, &d, &s)), Ok(r) if r.is_valid),
            move || {
                let Ok(dg) = Digest::import_less_safe(&bd, &digest::SHA256) else {
                    return false;
                };
                black_box(parsed.verify_digest_sig(&dg, &sig)).is_ok()
            },
            pkcs1.then_some(Query::Rsa { bits, verify: true }),
        ));
    }
    let plaintext = vec![1u8; 32];
    let oaep_pub = OaepPublicEncryptingKey::new(PublicEncryptingKey::from_der(&spki).map_err(err)?)
        .map_err(err)?;
    let params = EncryptParameters::new(EncryptionAlgorithm::RsaOaep256, plaintext.clone());
    let key = public.clone();
    cases.push(case(
        format!("RSA-{bits} OAEP-256 encrypt"),
        move || black_box(key.encrypt(&params)).is_ok(),
        move || {
            let mut out = vec![0u8; oaep_pub.ciphertext_size()];
            black_box(oaep_pub.encrypt(&rsa::OAEP_SHA256_MGF1SHA256, &plaintext, &mut out, None))
                .is_ok()
        },
        None,
    ));
    let ct = public.encrypt(&EncryptParameters::new(
        EncryptionAlgorithm::RsaOaep256,
        vec![1u8; 32],
    ))?;
    let oaep_priv =
        OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(der.expose()).map_err(err)?)
            .map_err(err)?;
    let params = DecryptParameters::from_encrypt_result(&ct);
    let key = private.clone();
    cases.push(case(
        format!("RSA-{bits} OAEP-256 decrypt"),
        move || black_box(key.decrypt(&params)).is_ok(),
        move || {
            let mut out = zeroize::Zeroizing::new(vec![0u8; oaep_priv.min_output_size()]);
            black_box(oaep_priv.decrypt(
                &rsa::OAEP_SHA256_MGF1SHA256,
                &ct.ciphertext,
                &mut out,
                None,
            ))
            .is_ok()
        },
        None,
    ));
    Ok(())
}

fn ecdsa(cases: &mut Vec<Case>, curve: KeyCurveName) -> Res<()> {
    let (label, alg, bits, signing, verification, hash) = match curve {
        KeyCurveName::P384 => (
            "ES384",
            SignatureAlgorithm::Es384,
            384,
            &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            &signature::ECDSA_P384_SHA384_FIXED,
            HashAlgorithm::Sha384,
        ),
        _ => (
            "ES256",
            SignatureAlgorithm::Es256,
            256,
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &signature::ECDSA_P256_SHA256_FIXED,
            HashAlgorithm::Sha256,
        ),
    };
    let aws_hash = if bits == 384 {
        &digest::SHA384
    } else {
        &digest::SHA256
    };
    let jwk = key(KeyType::Ec, None, Some(curve))?;
    let private = LocalKey::from_jwk(&jwk)?;
    let public = LocalKey::from_jwk(&jwk.public_only())?;
    let der = private.private_key_der()?;
    let pair = EcdsaKeyPair::from_pkcs8(signing, der.expose()).map_err(err)?;
    let parsed = ParsedPublicKey::new(verification, pair.public_key().as_ref()).map_err(err)?;
    let digest = hash.digest(b"benchmark");
    let sig = private.sign(&alg, &digest)?.signature;
    let (a, d, bd) = (alg.clone(), digest.clone(), digest.clone());
    cases.push(case(
        format!("{label} sign"),
        move || black_box(private.sign(&a, &d)).is_ok(),
        move || {
            let Ok(dg) = Digest::import_less_safe(&bd, aws_hash) else {
                return false;
            };
            matches!(black_box(pair.sign_digest(&dg)), Ok(s) if !s.as_ref().to_vec().is_empty())
        },
        Some(Query::Ecdsa {
            bits,
            verify: false,
        }),
    ));
    let (d, s) = (digest.clone(), sig.clone());
    cases.push(case(
        format!("{label} verify"),
        move || matches!(black_box(public.verify(&alg, &d, &s)), Ok(r) if r.is_valid),
        move || {
            let Ok(dg) = Digest::import_less_safe(&digest, aws_hash) else {
                return false;
            };
            black_box(parsed.verify_digest_sig(&dg, &sig)).is_ok()
        },
        Some(Query::Ecdsa { bits, verify: true }),
    ));
    Ok(())
}

fn size_label(bytes: usize) -> String {
    if bytes >= 1024 {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} B")
    }
}

fn gcm(cases: &mut Vec<Case>, jwk: &JsonWebKey, bytes: usize) -> Res<()> {
    let key = std::rc::Rc::new(LocalKey::from_jwk(jwk)?);
    let k = jwk.k.as_ref().ok_or("no k")?;
    let mut plaintext = vec![0u8; bytes];
    rand::fill(&mut plaintext).map_err(err)?;
    // Both sides make a fresh random 96-bit IV per encryption, as every
    // real caller must.
    let sealing = RandomizedNonceKey::new(&aead::AES_256_GCM, k.expose()).map_err(err)?;
    let params = EncryptParameters::new(EncryptionAlgorithm::A256Gcm, plaintext.clone());
    let engine = key.clone();
    cases.push(case(
        format!("AES-256-GCM encrypt {}", size_label(bytes)),
        move || black_box(engine.encrypt(&params)).is_ok(),
        move || {
            let mut in_out = plaintext.clone();
            black_box(sealing.seal_in_place_separate_tag(Aad::empty(), &mut in_out)).is_ok()
        },
        Some(Query::Aes256Gcm { bytes }),
    ));
    let mut sample = vec![0u8; bytes];
    rand::fill(&mut sample).map_err(err)?;
    let sealed = key.encrypt(&EncryptParameters::new(
        EncryptionAlgorithm::A256Gcm,
        sample,
    ))?;
    let opening = LessSafeKey::new(UnboundKey::new(&aead::AES_256_GCM, k.expose()).map_err(err)?);
    let params = DecryptParameters::from_encrypt_result(&sealed);
    cases.push(case(
        format!("AES-256-GCM decrypt {}", size_label(bytes)),
        move || black_box(key.decrypt(&params)).is_ok(),
        move || {
            let (Some(iv), Some(tag)) = (&sealed.iv, &sealed.authentication_tag) else {
                return false;
            };
            let Ok(nonce) = Nonce::try_assume_unique_for_key(iv) else {
                return false;
            };
            let mut in_out =
                zeroize::Zeroizing::new(Vec::with_capacity(sealed.ciphertext.len() + tag.len()));
            in_out.extend_from_slice(&sealed.ciphertext);
            in_out.extend_from_slice(tag);
            match opening.open_in_place(nonce, Aad::empty(), &mut in_out) {
                Ok(pt) => {
                    let n = pt.len();
                    in_out.truncate(n);
                    black_box(in_out);
                    true
                }
                Err(_) => false,
            }
        },
        None,
    ));
    Ok(())
}

fn key_wrap(cases: &mut Vec<Case>, jwk: &JsonWebKey, padded: bool) -> Res<()> {
    let key = std::rc::Rc::new(LocalKey::from_jwk(jwk)?);
    let k = jwk.k.clone().ok_or("no k")?;
    let (label, alg) = if padded {
        ("A256KWPAD", KeyWrapAlgorithm::A256KwPad)
    } else {
        ("A256KW", KeyWrapAlgorithm::A256Kw)
    };
    let cek = [3u8; 32];
    let (engine, a, kek) = (key.clone(), alg.clone(), k.clone());
    cases.push(case(
        format!("{label} wrap 32 B key"),
        move || black_box(engine.wrap_key(&a, &cek)).is_ok(),
        move || {
            // aws-lc-rs's key-wrap key is consumed by each wrap.
            let Ok(kek) = KeyEncryptionKey::new(&key_wrap::AES_256, kek.expose()) else {
                return false;
            };
            let mut out = vec![0u8; cek.len() + 16];
            let n = if padded {
                kek.wrap_with_padding(&cek, &mut out).map(|o| o.len())
            } else {
                kek.wrap(&cek, &mut out).map(|o| o.len())
            };
            match n {
                Ok(n) => {
                    out.truncate(n);
                    black_box(out);
                    true
                }
                Err(_) => false,
            }
        },
        None,
    ));
    let wrapped = key.wrap_key(&alg, &cek)?.encrypted_key;
    let w = wrapped.clone();
    cases.push(case(
        format!("{label} unwrap 32 B key"),
        move || black_box(key.unwrap_key(&alg, &w)).is_ok(),
        move || {
            let Ok(kek) = KeyEncryptionKey::new(&key_wrap::AES_256, k.expose()) else {
                return false;
            };
            let mut out = zeroize::Zeroizing::new(vec![0u8; wrapped.len()]);
            let n = if padded {
                kek.unwrap_with_padding(&wrapped, &mut out).map(|o| o.len())
            } else {
                kek.unwrap(&wrapped, &mut out).map(|o| o.len())
            };
            match n {
                Ok(n) => {
                    out.truncate(n);
                    black_box(out);
                    true
                }
                Err(_) => false,
            }
        },
        None,
    ));
    Ok(())
}

fn hs256(cases: &mut Vec<Case>, jwk: &JsonWebKey) -> Res<()> {
    let key = std::rc::Rc::new(LocalKey::from_jwk(jwk)?);
    let k = jwk.k.as_ref().ok_or("no k")?;
    let bare = std::rc::Rc::new(hmac::Key::new(hmac::HMAC_SHA256, k.expose()));
    let digest = HashAlgorithm::Sha256.digest(b"benchmark");
    let tag = key.sign(&SignatureAlgorithm::Hs256, &digest)?.signature;
    let (engine, b, d, bd) = (key.clone(), bare.clone(), digest.clone(), digest.clone());
    cases.push(case(
        "HS256 sign".into(),
        move || black_box(engine.sign(&SignatureAlgorithm::Hs256, &d)).is_ok(),
        move || !black_box(hmac::sign(&b, &bd).as_ref().to_vec()).is_empty(),
        Some(Query::HmacSha256 { bytes: 32 }),
    ));
    let t = tag.clone();
    let d = digest.clone();
    cases.push(case(
        "HS256 verify".into(),
        move || {
            matches!(black_box(key.verify(&SignatureAlgorithm::Hs256, &d, &t)), Ok(r) if r.is_valid)
        },
        move || black_box(hmac::verify(&bare, &digest, &tag)).is_ok(),
        None,
    ));
    Ok(())
}
