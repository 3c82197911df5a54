//! The local engine: every algorithm round-trips, mismatches are refused
//! with a clear error, and the two anchor bugs cannot happen here.

use keyvault_crypto::*;

fn spec(kty: KeyType, size: Option<u32>, curve: Option<KeyCurveName>) -> KeySpec {
    KeySpec {
        kty,
        size,
        curve,
        public_exponent: None,
    }
}

fn rsa(bits: u32) -> JsonWebKey {
    generate(&spec(KeyType::Rsa, Some(bits), None)).expect("rsa")
}

fn oct(bits: u32) -> JsonWebKey {
    generate(&spec(KeyType::Oct, Some(bits), None)).expect("oct")
}

#[test]
fn rsa_encryption_and_wrapping_round_trip_with_the_public_key_alone() {
    let jwk = rsa(2048);
    let private = LocalKey::from_jwk(&jwk).expect("private");
    let public = LocalKey::from_jwk(&jwk.public_only()).expect("public");
    assert!(!public.has_private_key());
    for alg in [
        EncryptionAlgorithm::RsaOaep,
        EncryptionAlgorithm::RsaOaep256,
        EncryptionAlgorithm::Rsa15,
    ] {
        let ct = public
            .encrypt(&EncryptParameters::new(
                alg.clone(),
                b"secret message".to_vec(),
            ))
            .expect("encrypt");
        assert_eq!(ct.ciphertext.len(), 256);
        let pt = private
            .decrypt(&DecryptParameters::from_encrypt_result(&ct))
            .expect("decrypt");
        assert_eq!(pt.plaintext, b"secret message");
        assert!(matches!(
            public.decrypt(&DecryptParameters::from_encrypt_result(&ct)),
            Err(CryptoError::MissingPrivateKey { .. })
        ));
    }
    for alg in [
        KeyWrapAlgorithm::RsaOaep,
        KeyWrapAlgorithm::RsaOaep256,
        KeyWrapAlgorithm::Rsa15,
    ] {
        let w = public.wrap_key(&alg, &[9u8; 32]).expect("wrap");
        assert_eq!(
            private
                .unwrap_key(&alg, &w.encrypted_key)
                .expect("unwrap")
                .key
                .expose(),
            &[9u8; 32]
        );
    }
    // A tampered ciphertext fails the same way for every padding.
    let mut ct = public
        .encrypt(&EncryptParameters::new(
            EncryptionAlgorithm::Rsa15,
            b"x".to_vec(),
        ))
        .expect("encrypt");
    ct.ciphertext[10] ^= 0x55;
    assert!(matches!(
        private.decrypt(&DecryptParameters::from_encrypt_result(&ct)),
        Err(CryptoError::DecryptionFailed)
    ));
    // Too much plaintext is an input error that says the limit.
    let err = public
        .encrypt(&EncryptParameters::new(
            EncryptionAlgorithm::RsaOaep256,
            vec![0u8; 300],
        ))
        .expect_err("too long");
    assert!(err.to_string().contains("at most 190 bytes"), "{err}");
}

#[test]
fn rsa_signatures_for_every_algorithm() {
    let jwk = rsa(3072);
    let private = LocalKey::from_jwk(&jwk).expect("private");
    let public = LocalKey::from_jwk(&jwk.public_only()).expect("public");
    use SignatureAlgorithm::*;
    for alg in [Rs256, Rs384, Rs512, Ps256, Ps384, Ps512] {
        let digest = alg.hash().expect("hash").digest(b"data");
        let sig = private.sign(&alg, &digest).expect("sign");
        assert_eq!(sig.signature.len(), 384);
        assert!(
            public
                .verify(&alg, &digest, &sig.signature)
                .expect("verify")
                .is_valid,
            "{alg}"
        );
        let other = alg.hash().expect("hash").digest(b"other data");
        assert!(
            !public
                .verify(&alg, &other, &sig.signature)
                .expect("verify")
                .is_valid,
            "{alg}"
        );
        let short = public
            .verify(&alg, &digest[..20], &sig.signature)
            .expect_err("short digest");
        assert!(matches!(short, CryptoError::InvalidInput(_)), "{short}");
    }
}

/// Anchor bug (JS SDK): PS256 verification must use PSS, not PKCS#1 v1.5.
#[test]
fn pss_verification_uses_pss_padding() {
    let jwk = rsa(2048);
    let key = LocalKey::from_jwk(&jwk).expect("key");
    let digest = HashAlgorithm::Sha256.digest(b"pss");
    let pkcs1 = key
        .sign(&SignatureAlgorithm::Rs256, &digest)
        .expect("rs256");
    let pss = key
        .sign(&SignatureAlgorithm::Ps256, &digest)
        .expect("ps256");
    assert!(
        !key.verify(&SignatureAlgorithm::Ps256, &digest, &pkcs1.signature)
            .expect("verify")
            .is_valid,
        "a PKCS#1 v1.5 signature must not pass PS256"
    );
    assert!(
        !key.verify(&SignatureAlgorithm::Rs256, &digest, &pss.signature)
            .expect("verify")
            .is_valid
    );
    assert!(
        key.verify(&SignatureAlgorithm::Ps256, &digest, &pss.signature)
            .expect("verify")
            .is_valid
    );
    // PSS is randomised: two signatures differ, both verify.
    let pss2 = key
        .sign(&SignatureAlgorithm::Ps256, &digest)
        .expect("ps256");
    assert_ne!(pss.signature, pss2.signature);
}

#[test]
fn ecdsa_on_every_curve_with_raw_signatures() {
    for (curve, alg, len) in [
        (KeyCurveName::P256, SignatureAlgorithm::Es256, 64),
        (KeyCurveName::P256K, SignatureAlgorithm::Es256K, 64),
        (KeyCurveName::P384, SignatureAlgorithm::Es384, 96),
        (KeyCurveName::P521, SignatureAlgorithm::Es512, 132),
    ] {
        let jwk = generate(&spec(KeyType::Ec, None, Some(curve.clone()))).expect("ec");
        let private = LocalKey::from_jwk(&jwk).expect("private");
        let public = LocalKey::from_jwk(&jwk.public_only()).expect("public");
        let digest = alg.hash().expect("hash").digest(b"msg");
        let sig = private.sign(&alg, &digest).expect("sign");
        assert_eq!(sig.signature.len(), len, "{curve}");
        assert!(
            public
                .verify(&alg, &digest, &sig.signature)
                .expect("verify")
                .is_valid
        );
        let mut bad = sig.signature.clone();
        bad[3] ^= 1;
        assert!(!public.verify(&alg, &digest, &bad).expect("verify").is_valid);
        // An algorithm for another curve is refused with a message naming both.
        let wrong = if alg == SignatureAlgorithm::Es384 {
            SignatureAlgorithm::Es256
        } else {
            SignatureAlgorithm::Es384
        };
        let err = public
            .verify(
                &wrong,
                &wrong.hash().expect("hash").digest(b"m"),
                &sig.signature,
            )
            .expect_err("curve");
        assert!(
            matches!(err, CryptoError::AlgorithmMismatch { .. }),
            "{err}"
        );
        // EC keys do not encrypt.
        assert!(matches!(
            public.encrypt(&EncryptParameters::new(
                EncryptionAlgorithm::RsaOaep,
                b"x".to_vec()
            )),
            Err(CryptoError::AlgorithmMismatch { .. })
        ));
    }
}

#[test]
fn aes_gcm_cbc_and_cbcpad_for_every_size() {
    for bits in [128u32, 192, 256] {
        let key = LocalKey::from_jwk(&oct(bits)).expect("oct");
        let p = |s: &str| EncryptionAlgorithm::parse(&format!("A{bits}{s}"));
        // GCM with AAD; the IV is made when not given.
        let ct = key
            .encrypt(
                &EncryptParameters::new(p("GCM"), b"gcm text".to_vec()).with_aad(b"aad".to_vec()),
            )
            .expect("gcm");
        assert_eq!(ct.iv.as_ref().map(Vec::len), Some(12));
        assert_eq!(ct.authentication_tag.as_ref().map(Vec::len), Some(16));
        assert_eq!(
            key.decrypt(&DecryptParameters::from_encrypt_result(&ct))
                .expect("open")
                .plaintext,
            b"gcm text"
        );
        let mut wrong_aad = DecryptParameters::from_encrypt_result(&ct);
        wrong_aad.additional_authenticated_data = Some(b"other".to_vec());
        assert!(matches!(
            key.decrypt(&wrong_aad),
            Err(CryptoError::DecryptionFailed)
        ));
        // CBC without padding needs whole blocks.
        let ct = key
            .encrypt(&EncryptParameters::new(p("CBC"), vec![7u8; 32]).with_iv(vec![1u8; 16]))
            .expect("cbc");
        assert_eq!(ct.ciphertext.len(), 32);
        assert_eq!(
            key.decrypt(&DecryptParameters::from_encrypt_result(&ct))
                .expect("cbc dec")
                .plaintext,
            vec![7u8; 32]
        );
        assert!(matches!(
            key.encrypt(&EncryptParameters::new(p("CBC"), vec![7u8; 5])),
            Err(CryptoError::InvalidInput(_))
        ));
        // CBCPAD takes any length.
        let ct = key
            .encrypt(&EncryptParameters::new(p("CBCPAD"), vec![7u8; 5]))
            .expect("cbcpad");
        assert_eq!(ct.ciphertext.len(), 16);
        assert_eq!(
            key.decrypt(&DecryptParameters::from_encrypt_result(&ct))
                .expect("dec")
                .plaintext,
            vec![7u8; 5]
        );
        // An algorithm of another size is refused.
        let other = if bits == 128 { 256 } else { 128 };
        let err = key
            .encrypt(&EncryptParameters::new(
                EncryptionAlgorithm::parse(&format!("A{other}GCM")),
                b"x".to_vec(),
            ))
            .expect_err("size");
        assert!(
            err.to_string().contains(&format!("{other}-bit key")),
            "{err}"
        );
    }
}

#[test]
fn aes_key_wrap_every_variant() {
    for bits in [128u32, 192, 256] {
        let key = LocalKey::from_jwk(&oct(bits)).expect("oct");
        let kw = KeyWrapAlgorithm::parse(&format!("A{bits}KW"));
        let kwp = KeyWrapAlgorithm::parse(&format!("A{bits}KWPAD"));
        for alg in [kw, KeyWrapAlgorithm::CkmAesKeyWrap] {
            let w = key.wrap_key(&alg, &[5u8; 32]).expect("wrap");
            assert_eq!(w.encrypted_key.len(), 40);
            assert_eq!(
                key.unwrap_key(&alg, &w.encrypted_key)
                    .expect("unwrap")
                    .key
                    .expose(),
                &[5u8; 32]
            );
            assert!(matches!(
                key.wrap_key(&alg, &[5u8; 20]),
                Err(CryptoError::InvalidInput(_))
            ));
        }
        for alg in [kwp, KeyWrapAlgorithm::CkmAesKeyWrapPad] {
            for len in [1usize, 7, 8, 20, 33] {
                let w = key.wrap_key(&alg, &vec![3u8; len]).expect("wrap pad");
                assert_eq!(
                    key.unwrap_key(&alg, &w.encrypted_key)
                        .expect("unwrap")
                        .key
                        .expose(),
                    &vec![3u8; len][..]
                );
            }
            let mut w = key.wrap_key(&alg, &[3u8; 20]).expect("wrap").encrypted_key;
            w[0] ^= 1;
            assert!(matches!(
                key.unwrap_key(&alg, &w),
                Err(CryptoError::DecryptionFailed)
            ));
        }
    }
}

#[test]
fn hmac_signatures() {
    let key = LocalKey::from_jwk(&oct(256)).expect("oct");
    for alg in [
        SignatureAlgorithm::Hs256,
        SignatureAlgorithm::Hs384,
        SignatureAlgorithm::Hs512,
    ] {
        let d = alg.hash().expect("hash").digest(b"m");
        let s = key.sign(&alg, &d).expect("sign");
        assert!(key.verify(&alg, &d, &s.signature).expect("verify").is_valid);
        assert!(
            !key.verify(&alg, &d, &s.signature[1..])
                .expect("verify")
                .is_valid
        );
    }
}

/// Anchor bug (Python SDK): a symmetric key without `k` must never lead to a
/// locally invented key.
#[test]
fn a_symmetric_key_without_k_is_never_used_locally() {
    let mut jwk = JsonWebKey::new(KeyType::OctHsm);
    jwk.kid = Some("https://v.vault.azure.net/keys/k/1".into());
    let err = LocalKey::from_jwk(&jwk).expect_err("no material");
    assert!(matches!(err, CryptoError::InvalidKey(_)));
    assert!(err.to_string().contains("without k"), "{err}");
}

#[test]
fn key_ops_are_enforced() {
    let mut jwk = oct(128);
    jwk.key_ops = vec![KeyOperation::Encrypt];
    let key = LocalKey::from_jwk(&jwk).expect("oct");
    assert!(
        key.encrypt(&EncryptParameters::new(
            EncryptionAlgorithm::A128Gcm,
            b"x".to_vec()
        ))
        .is_ok()
    );
    let err = key
        .wrap_key(&KeyWrapAlgorithm::A128Kw, &[0u8; 16])
        .expect_err("not permitted");
    assert!(matches!(err, CryptoError::OperationNotPermitted { .. }));
    assert!(
        err.to_string().contains("wrapKey") && err.to_string().contains("encrypt"),
        "{err}"
    );
}

#[test]
fn rsa_private_components_export_and_import() {
    let jwk = rsa(2048);
    let text = serde_json::to_string(&jwk).expect("serialise");
    let back: JsonWebKey = serde_json::from_str(&text).expect("parse");
    assert_eq!(back, jwk);
    for m in ["\"d\"", "\"p\"", "\"q\"", "\"dp\"", "\"dq\"", "\"qi\""] {
        assert!(text.contains(m), "{m} missing");
    }
    assert!(!format!("{jwk:?}").contains(&keyvault_crypto::b64::encode(
        jwk.d.as_ref().expect("d").expose()
    )));
    // Inconsistent private members are refused.
    let mut broken = jwk.clone();
    broken.dp = broken.dq.clone();
    assert!(matches!(
        LocalKey::from_jwk(&broken),
        Err(CryptoError::InvalidKey(_))
    ));
    let mut partial = jwk.clone();
    partial.qi = None;
    let err = LocalKey::from_jwk(&partial).expect_err("partial");
    assert!(err.to_string().contains("qi"), "{err}");
    assert_eq!(jwk.key_size(), Some(2048));
}

#[test]
fn malformed_jwks_are_clear_errors() {
    let cases = [
        (
            r#"{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}"#,
            "coordinates are 32 bytes",
        ),
        (r#"{"kty":"RSA","e":"AQAB"}"#, "member n"),
        (r#"{"kty":"oct","k":"AAAA"}"#, "128, 192 or 256 bits"),
    ];
    for (text, needle) in cases {
        let jwk: JsonWebKey = serde_json::from_str(text).expect("parse");
        let err = LocalKey::from_jwk(&jwk).expect_err(text);
        assert!(err.to_string().contains(needle), "{text}: {err}");
    }
    assert!(serde_json::from_str::<JsonWebKey>(r#"{"kty":"oct","k":"!!"}"#).is_err());
    // A point not on the curve.
    let x = keyvault_crypto::b64::encode(&[1u8; 32]);
    let jwk: JsonWebKey = serde_json::from_str(&format!(
        r#"{{"kty":"EC","crv":"P-256","x":"{x}","y":"{x}"}}"#
    ))
    .expect("parse");
    assert!(
        LocalKey::from_jwk(&jwk)
            .expect_err("off curve")
            .to_string()
            .contains("not a point")
    );
    // Unsupported generation sizes.
    assert!(generate(&spec(KeyType::Rsa, Some(1024), None)).is_err());
    assert!(generate(&spec(KeyType::Oct, Some(100), None)).is_err());
}

/// Issue 8, item 8: a caller-chosen AES-GCM IV invites nonce reuse (two
/// messages under one key and IV reveal their XOR and the GHASH key). The
/// engine makes a fresh random 96-bit IV for every encryption and refuses a
/// chosen one.
#[test]
fn aes_gcm_makes_a_fresh_iv_every_time_and_refuses_a_chosen_one() {
    for bits in [128u32, 192, 256] {
        let key = LocalKey::from_jwk(&oct(bits)).expect("oct");
        let alg = EncryptionAlgorithm::parse(&format!("A{bits}GCM"));
        let p = EncryptParameters::new(alg.clone(), b"the same plaintext".to_vec());
        let a = key.encrypt(&p).expect("first");
        let b = key.encrypt(&p).expect("second");
        assert_eq!(a.iv.as_ref().map(Vec::len), Some(12));
        assert_eq!(b.iv.as_ref().map(Vec::len), Some(12));
        assert_ne!(a.iv, b.iv, "two encryptions used one IV");
        assert_ne!(a.ciphertext, b.ciphertext);
        for r in [&a, &b] {
            let d = key
                .decrypt(&DecryptParameters::from_encrypt_result(r))
                .expect("decrypt");
            assert_eq!(&*d.plaintext, b"the same plaintext");
        }
        let err = key
            .encrypt(&p.clone().with_iv(vec![0u8; 12]))
            .expect_err("a chosen GCM IV must be refused");
        assert!(matches!(err, CryptoError::InvalidInput(_)), "{err}");
        assert!(err.to_string().contains("IV"), "{err}");
    }
}

#[test]
fn prepared_keys_serve_every_algorithm_and_never_cross_over() {
    // The engine prepares verification and HMAC keys once per algorithm
    // and keeps them: each algorithm must still get its own.
    let jwk = rsa(2048);
    let private = LocalKey::from_jwk(&jwk).expect("private");
    let public = LocalKey::from_jwk(&jwk.public_only()).expect("public");
    let digest = HashAlgorithm::Sha256.digest(b"cached");
    let rs = private
        .sign(&SignatureAlgorithm::Rs256, &digest)
        .expect("rs256");
    let ps = private
        .sign(&SignatureAlgorithm::Ps256, &digest)
        .expect("ps256");
    for _ in 0..2 {
        let ok = |alg: &SignatureAlgorithm, sig: &[u8]| {
            public.verify(alg, &digest, sig).expect("verify").is_valid
        };
        assert!(ok(&SignatureAlgorithm::Rs256, &rs.signature));
        assert!(ok(&SignatureAlgorithm::Ps256, &ps.signature));
        assert!(!ok(&SignatureAlgorithm::Ps256, &rs.signature));
        assert!(!ok(&SignatureAlgorithm::Rs256, &ps.signature));
    }
    let key = LocalKey::from_jwk(&oct(256)).expect("oct");
    let h256 = key.sign(&SignatureAlgorithm::Hs256, b"m").expect("hs256");
    let h512 = key.sign(&SignatureAlgorithm::Hs512, b"m").expect("hs512");
    assert_eq!(
        (h256.signature.len(), h512.signature.len()),
        (32, 64),
        "each hash its own HMAC key"
    );
    for (alg, tag) in [
        (SignatureAlgorithm::Hs256, &h256.signature),
        (SignatureAlgorithm::Hs512, &h512.signature),
    ] {
        assert!(key.verify(&alg, b"m", tag).expect("verify").is_valid);
        assert!(!key.verify(&alg, b"n", tag).expect("verify").is_valid);
    }
    assert!(
        !key.verify(&SignatureAlgorithm::Hs384, b"m", &h256.signature)
            .expect("verify")
            .is_valid
    );
}

#[test]
fn the_rules_table_decides_what_a_key_takes() {
    // AES size, curve and key type all come from keyvault_crypto::rules.
    let key = LocalKey::from_jwk(&oct(192)).expect("oct");
    let err = key
        .encrypt(&EncryptParameters::new(
            EncryptionAlgorithm::A256Gcm,
            b"x".to_vec(),
        ))
        .expect_err("A256GCM on a 192-bit key");
    assert!(
        matches!(err, CryptoError::AlgorithmMismatch { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("256-bit"), "{err}");
    assert!(
        key.wrap_key(&KeyWrapAlgorithm::CkmAesKeyWrap, &[1u8; 16])
            .is_ok()
    );
    let ec = generate(&spec(KeyType::Ec, None, Some(KeyCurveName::P384))).expect("ec");
    let ec = LocalKey::from_jwk(&ec).expect("ec");
    let err = ec
        .sign(&SignatureAlgorithm::Es256, &[0u8; 32])
        .expect_err("ES256 on P-384");
    assert!(err.to_string().contains("P-256"), "{err}");
    let err = ec
        .encrypt(&EncryptParameters::new(
            EncryptionAlgorithm::RsaOaep,
            b"x".to_vec(),
        ))
        .expect_err("RSA-OAEP on EC");
    assert!(
        matches!(err, CryptoError::AlgorithmMismatch { .. }),
        "{err}"
    );
    // An algorithm the engine does not know is named as such, whatever the
    // key's operations.
    let mut restricted = oct(256);
    restricted.key_ops = vec![KeyOperation::Sign];
    let key = LocalKey::from_jwk(&restricted).expect("oct");
    let err = key
        .encrypt(&EncryptParameters::new(
            EncryptionAlgorithm::parse("A256-SOMETHING"),
            b"x".to_vec(),
        ))
        .expect_err("unknown");
    assert!(
        matches!(err, CryptoError::UnsupportedAlgorithm { .. }),
        "{err}"
    );
    assert_eq!(
        rules::key_wrap(&KeyWrapAlgorithm::A256KwPad).map(|r| r.operations),
        Some([KeyOperation::WrapKey, KeyOperation::UnwrapKey])
    );
}

/// Issue 19 §4: every result of a key carries its kid without a copy per
/// call: the key holds it once (`Arc<str>`), results share it, and it still
/// reads and serialises as a string.
#[test]
fn results_share_the_keys_kid_instead_of_copying_it() {
    use std::sync::Arc;
    const KID: &str = "https://v.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef";
    let mut jwk = oct(256);
    jwk.kid = Some(KID.to_owned());
    let key = LocalKey::from_jwk(&jwk).expect("key");
    let sealed = key
        .encrypt(&EncryptParameters::new(
            EncryptionAlgorithm::A256Gcm,
            b"x".to_vec(),
        ))
        .expect("encrypt");
    let opened = key
        .decrypt(&DecryptParameters::from_encrypt_result(&sealed))
        .expect("decrypt");
    let signed = key
        .sign(&SignatureAlgorithm::Hs256, &[0; 32])
        .expect("sign");
    let verified = key
        .verify(&SignatureAlgorithm::Hs256, &[0; 32], &signed.signature)
        .expect("verify");
    let wrapped = key
        .wrap_key(&KeyWrapAlgorithm::A256Kw, &[1; 32])
        .expect("wrap");
    let unwrapped = key
        .unwrap_key(&KeyWrapAlgorithm::A256Kw, &wrapped.encrypted_key)
        .expect("unwrap");
    let first: &Arc<str> = sealed.key_id.as_ref().expect("kid");
    assert_eq!(&**first, KID);
    for other in [
        &opened.key_id,
        &signed.key_id,
        &verified.key_id,
        &wrapped.key_id,
        &unwrapped.key_id,
    ] {
        assert!(
            Arc::ptr_eq(first, other.as_ref().expect("kid")),
            "a result copied the kid"
        );
    }
    assert_eq!(key.kid(), Some(first));
    // Still a string on the wire.
    let json = serde_json::to_value(&signed).expect("json");
    assert_eq!(json["key_id"], KID);
    let back: SignResult = serde_json::from_value(json).expect("back");
    assert_eq!(back, signed);
}
