//! Entry points for the fuzz targets (not a public API: hidden, and may
//! change). Each takes arbitrary bytes and must never panic, except where a
//! differential check finds two implementations disagreeing: that is a
//! defect the fuzzer is meant to report.

use crate::engine::{self, LocalKey, kw};
use crate::{
    DecryptParameters, EncryptParameters, EncryptionAlgorithm, HashDigest as _, JsonWebKey,
    KeyWrapAlgorithm, SecretBytes, SignatureAlgorithm,
};

/// AES key wrap (RFC 3394, `padded == false`) or key wrap with padding
/// (RFC 5649) unwrap of `data` under `kek`, any key length. For 128- and
/// 256-bit keys the crate's own RFC implementation is also checked against
/// aws-lc-rs's: they must agree.
pub fn kw_unwrap(kek: &[u8], data: &[u8], padded: bool) {
    let ours = if padded {
        kw::unwrap_pad(kek, data)
    } else {
        kw::unwrap(kek, data)
    };
    let engine = engine::aes_kw_unwrap(&SecretBytes::from_slice(kek), data, padded);
    if matches!(kek.len(), 16 | 24 | 32) {
        match (&ours, &engine) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "KW implementations disagree"),
            (Err(_), Err(_)) => {}
            _ => panic!(
                "KW implementations disagree: ours ok={}, engine ok={}",
                ours.is_ok(),
                engine.is_ok()
            ),
        }
    }
    // Wrapping what came out must give the input back (the wrap is
    // deterministic).
    if let Ok(plain) = ours {
        let again = if padded {
            kw::wrap_pad(kek, plain.expose())
        } else {
            kw::wrap(kek, plain.expose())
        };
        assert_eq!(again.ok().as_deref(), Some(data), "unwrap/wrap round trip");
    }
}

/// Parses `json` as a JWK, imports it into the engine, and runs every
/// operation the key allows with small fixed inputs.
pub fn jwk_all_ops(json: &[u8]) {
    let Ok(jwk) = serde_json::from_slice::<JsonWebKey>(json) else {
        return;
    };
    let _ = jwk.key_size();
    let _ = serde_json::to_vec(&jwk);
    let _ = jwk.to_protocol();
    let _ = format!("{jwk:?}");
    let Ok(key) = LocalKey::from_jwk(&jwk) else {
        return;
    };
    let _ = LocalKey::from_jwk(&jwk.public_only());
    let _ = key.private_key_der();
    let _ = key.rsa_modulus_bits();
    for alg in EncryptionAlgorithm::KNOWN {
        for plaintext in [&b""[..], b"fuzz", &[0x42u8; 32]] {
            let Ok(e) = key.encrypt(&EncryptParameters::new(alg.clone(), plaintext.to_vec()))
            else {
                continue;
            };
            let d = DecryptParameters::from_encrypt_result(&e);
            if let Ok(d) = key.decrypt(&d) {
                assert_eq!(d.plaintext.expose(), plaintext, "{alg} round trip");
            }
            let mut tampered = DecryptParameters::from_encrypt_result(&e);
            if let Some(b) = tampered.ciphertext.first_mut() {
                *b ^= 1;
            }
            let _ = key.decrypt(&tampered);
        }
        let _ = key.decrypt(
            &DecryptParameters::new(alg.clone(), vec![7u8; 32])
                .with_iv(vec![0u8; 12])
                .with_tag(vec![0u8; 16]),
        );
    }
    for alg in KeyWrapAlgorithm::KNOWN {
        for cek in [&[1u8; 16][..], &[2u8; 20], &[3u8; 32]] {
            let Ok(w) = key.wrap_key(alg, cek) else {
                continue;
            };
            if let Ok(u) = key.unwrap_key(alg, &w.encrypted_key) {
                assert_eq!(u.key.expose(), cek, "{alg} round trip");
            }
        }
        let _ = key.unwrap_key(alg, &[9u8; 40]);
    }
    for alg in SignatureAlgorithm::KNOWN {
        let digest = alg.hash().map_or(vec![5u8; 32], |h| h.digest(b"fuzz"));
        if let Ok(s) = key.sign(alg, &digest) {
            // RSA verification takes 2048..=8192-bit moduli only.
            let checkable = key
                .rsa_modulus_bits()
                .is_none_or(|b| engine::rules::RSA_VERIFY_BITS.contains(&b));
            // (key_ops may allow sign without verify.)
            if let (true, Ok(v)) = (checkable, key.verify(alg, &digest, &s.signature)) {
                assert!(v.is_valid, "{alg} sign then verify");
            }
        }
        let _ = key.verify(alg, &digest, &[0u8; 64]);
        let _ = key.verify(alg, &digest[..digest.len() / 2], &[]);
    }
}

/// [`KeyVaultKeyIdentifier::parse`] on any string (the check lives with
/// the parser, in `keyvault-keys-types`).
#[cfg(fuzzing)]
pub use keyvault_keys_types::fuzzing::key_id;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nasty_inputs_do_not_panic() {
        for kek in [
            &[][..],
            &[1u8; 15],
            &[1u8; 16],
            &[2u8; 24],
            &[3u8; 32],
            &[4u8; 33],
        ] {
            for data in [
                &[][..],
                &[0u8; 8],
                &[0u8; 15],
                &[0u8; 16],
                &[0xA6u8; 24],
                &[0xffu8; 40],
                &[0u8; 7],
            ] {
                kw_unwrap(kek, data, false);
                kw_unwrap(kek, data, true);
            }
        }
        // Real wraps, both kinds, every key size: unwrap succeeds and agrees.
        for len in [16usize, 24, 32] {
            let kek = vec![0x5au8; len];
            for n in [1usize, 7, 8, 9, 16, 20, 33] {
                let w = kw::wrap_pad(&kek, &vec![3u8; n]).expect("wrap pad");
                kw_unwrap(&kek, &w, true);
            }
            let w = kw::wrap(&kek, &[3u8; 24]).expect("wrap");
            kw_unwrap(&kek, &w, false);
        }
        // Pseudo-random inputs (xorshift, fixed seed): keys of every length
        // around the valid ones, data of every length up to 64 bytes.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..3000 {
            let kek: Vec<u8> = (0..[16, 24, 32, 0, 31][next() as usize % 5])
                .map(|_| next() as u8)
                .collect();
            let data: Vec<u8> = (0..next() % 65).map(|_| next() as u8).collect();
            kw_unwrap(&kek, &data, next() % 2 == 0);
        }
        for json in [
            &b""[..],
            b"{}",
            b"null",
            br#"{"kty":"oct","k":"AAECAwQFBgcICQoLDA0ODw"}"#,
            br#"{"kty":"oct","k":""}"#,
            br#"{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQ"}"#,
            br#"{"kty":"RSA","n":"","e":""}"#,
            br#"{"kty":"EC","crv":"P-256","x":"","y":""}"#,
            br#"{"kty":"EC","crv":"P-999","x":"AA","y":"AA","d":"AA"}"#,
            br#"{"kty":"oct-HSM","key_ops":["bogus"]}"#,
            br#"{"kty":"oct","k":"AAECAwQFBgcICQoLDA0ODw","key_ops":["sign"]}"#,
            b"\xff\xfe",
        ] {
            jwk_all_ops(json);
        }
        for kty in ["RSA", "EC", "oct"] {
            let jwk = crate::generate(&crate::KeySpec {
                kty: crate::KeyType::parse(kty),
                size: None,
                curve: None,
                public_exponent: None,
            })
            .expect("generate");
            jwk_all_ops(&serde_json::to_vec(&jwk).expect("json"));
            jwk_all_ops(&serde_json::to_vec(&jwk.public_only()).expect("json"));
        }
        for s in ["", "https://h/keys/k", "https://h:443/keys/k/v", "\u{0}"] {
            let _ = keyvault_keys_types::KeyVaultKeyIdentifier::parse(s);
        }
    }
}
