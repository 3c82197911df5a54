//! ML-DSA (AKP keys) in the local engine: keys, JWKs, sign and verify, the
//! limits of what aws-lc-rs offers, and Wycheproof's FIPS 204 vectors.

use keyvault_crypto::{
    AkpAlgorithm, CryptoError, CryptographyClient, JsonWebKey, KeyOperation, KeyType, LocalKey,
    MlDsaSignParameters, MlDsaVerifyParameters, generate_akp,
};

const SETS: [AkpAlgorithm; 3] = [
    AkpAlgorithm::MlDsa44,
    AkpAlgorithm::MlDsa65,
    AkpAlgorithm::MlDsa87,
];

#[test]
fn each_parameter_set_signs_and_verifies_and_refuses_what_was_changed() {
    for alg in SETS {
        let jwk = generate_akp(&KeyType::Akp, &alg).expect("generate");
        assert_eq!(jwk.alg.as_ref(), Some(&alg));
        assert_eq!(jwk.pub_key.as_ref().map(Vec::len), alg.public_key_len());
        assert_eq!(jwk.priv_seed.as_ref().map(|s| s.len()), Some(32));
        let key = LocalKey::from_jwk(&jwk).expect("key");
        assert!(key.has_private_key());
        let msg = b"post-quantum message".to_vec();
        let a = key
            .sign_ml_dsa(&MlDsaSignParameters::message(msg.clone()))
            .expect("sign");
        assert_eq!(Some(a.signature.len()), alg.signature_len(), "{alg}");
        assert_eq!(a.algorithm.as_str(), alg.as_str());
        // Hedged signing: a second signature differs, and both verify.
        let b = key
            .sign_ml_dsa(&MlDsaSignParameters::message(msg.clone()))
            .expect("sign");
        assert_ne!(a.signature, b.signature);
        // The public part alone verifies.
        let public = LocalKey::from_jwk(&jwk.public_only()).expect("public");
        assert!(!public.has_private_key());
        for sig in [&a.signature, &b.signature] {
            let ok = public
                .verify_ml_dsa(&MlDsaVerifyParameters::message(msg.clone(), sig.clone()))
                .expect("verify");
            assert!(ok.is_valid, "{alg}");
        }
        let mut tampered = a.signature.clone();
        tampered[10] ^= 1;
        let mut other_msg = msg.clone();
        other_msg[0] ^= 1;
        for (m, s) in [
            (msg.clone(), tampered),
            (other_msg, a.signature.clone()),
            (msg.clone(), a.signature[..a.signature.len() - 1].to_vec()),
            (msg.clone(), Vec::new()),
        ] {
            assert!(
                !public
                    .verify_ml_dsa(&MlDsaVerifyParameters::message(m, s))
                    .expect("verify")
                    .is_valid,
                "{alg}"
            );
        }
        // Another key's signature does not verify.
        let other =
            LocalKey::from_jwk(&generate_akp(&KeyType::AkpHsm, &alg).expect("gen")).expect("other");
        assert!(
            !other
                .verify_ml_dsa(&MlDsaVerifyParameters::message(msg, a.signature))
                .expect("verify")
                .is_valid
        );
    }
}

#[test]
fn the_jwk_carries_alg_pub_and_priv_and_never_shows_the_seed() {
    let jwk = generate_akp(&KeyType::Akp, &AkpAlgorithm::MlDsa44).expect("generate");
    let seed = keyvault_crypto::b64::encode(jwk.priv_seed.as_ref().expect("seed").expose());
    let json = serde_json::to_value(&jwk).expect("json");
    assert_eq!(json["kty"], "AKP");
    assert_eq!(json["alg"], "ML-DSA-44");
    assert_eq!(json["priv"], seed.as_str());
    assert!(json["pub"].as_str().is_some_and(|p| p.len() > 1700));
    let back: JsonWebKey = serde_json::from_value(json).expect("back");
    assert_eq!(back, jwk);
    assert!(!format!("{jwk:?}").contains(&seed));
    // The wire form has alg and pub, never the seed.
    let wire = serde_json::to_string(&jwk.to_protocol()).expect("wire");
    assert!(wire.contains("\"alg\":\"ML-DSA-44\"") && wire.contains("\"pub\":"));
    assert!(!wire.contains(&seed) && !wire.contains("priv"));
    let from_wire = JsonWebKey::from_protocol(&jwk.to_protocol()).expect("from wire");
    assert_eq!(from_wire, jwk.public_only());
    assert!(!from_wire.has_private_key());
}

#[test]
fn bad_akp_jwks_are_refused() {
    let jwk = generate_akp(&KeyType::Akp, &AkpAlgorithm::MlDsa65).expect("generate");
    let other = generate_akp(&KeyType::Akp, &AkpAlgorithm::MlDsa65).expect("generate");
    let invalid = |j: &JsonWebKey, needle: &str| match LocalKey::from_jwk(j) {
        Err(CryptoError::InvalidKey(m)) => assert!(m.contains(needle), "{m}"),
        other => panic!("{other:?}"),
    };
    invalid(
        &JsonWebKey {
            alg: None,
            ..jwk.clone()
        },
        "alg",
    );
    invalid(
        &JsonWebKey {
            pub_key: other.pub_key.clone(),
            ..jwk.clone()
        },
        "not the public key of its priv",
    );
    invalid(
        &JsonWebKey {
            alg: Some(AkpAlgorithm::MlDsa87),
            priv_seed: None,
            ..jwk.clone()
        },
        "public key is 2592 bytes",
    );
    invalid(
        &JsonWebKey {
            pub_key: None,
            priv_seed: None,
            ..jwk.clone()
        },
        "pub",
    );
    invalid(
        &JsonWebKey {
            priv_seed: Some(keyvault_crypto::SecretBytes::new(vec![1; 31])),
            pub_key: None,
            ..jwk.clone()
        },
        "32-byte seed",
    );
    assert!(matches!(
        LocalKey::from_jwk(&JsonWebKey {
            alg: Some(AkpAlgorithm::UnknownValue("ML-DSA-99".into())),
            ..jwk.clone()
        }),
        Err(CryptoError::UnsupportedAlgorithm { .. })
    ));
    // An AKP key needs its parameter set: KeySpec has none.
    assert!(matches!(
        keyvault_crypto::generate(&keyvault_crypto::KeySpec {
            kty: KeyType::Akp,
            size: None,
            curve: None,
            public_exponent: None,
        }),
        Err(CryptoError::InvalidInput(m)) if m.contains("generate_akp")
    ));
    assert!(generate_akp(&KeyType::Ec, &AkpAlgorithm::MlDsa44).is_err());
}

#[test]
fn context_and_external_mu_are_checked_signed_and_verified_locally() {
    let jwk = generate_akp(&KeyType::Akp, &AkpAlgorithm::MlDsa44).expect("generate");
    let key = LocalKey::from_jwk(&jwk).expect("key");
    let input = |r: Result<keyvault_crypto::SignResult, CryptoError>, needle: &str| match r {
        Err(CryptoError::InvalidInput(m)) => assert!(m.contains(needle), "{m}"),
        other => panic!("{other:?}"),
    };
    input(
        key.sign_ml_dsa(&MlDsaSignParameters::message(b"m".to_vec()).with_context(vec![0; 256])),
        "at most 255 bytes",
    );
    input(
        key.sign_ml_dsa(&MlDsaSignParameters::external_mu(vec![0; 63])),
        "64 bytes",
    );
    input(
        key.sign_ml_dsa(&MlDsaSignParameters::external_mu(vec![0; 65])),
        "64 bytes",
    );
    input(
        key.sign_ml_dsa(&MlDsaSignParameters::external_mu(vec![0; 64]).with_context(vec![1])),
        "cannot go with an external mu",
    );
    let mut both = MlDsaSignParameters::message(b"m".to_vec());
    both.external_mu = Some(vec![0; 64]);
    input(key.sign_ml_dsa(&both), "not both");
    let mut neither = MlDsaSignParameters::message(b"m".to_vec());
    neither.message = None;
    input(key.sign_ml_dsa(&neither), "needs a message");
    // A context and a μ are signed and verified locally too (on the
    // `ml-dsa` crate; aws-lc-rs has no interface for them).
    let public_key = jwk.pub_key.clone().expect("pub");
    let verify = |p: MlDsaVerifyParameters| key.verify_ml_dsa(&p).expect("verify").is_valid;
    let ctx = vec![7u8; 255];
    let s = key
        .sign_ml_dsa(&MlDsaSignParameters::message(b"m".to_vec()).with_context(ctx.clone()))
        .expect("sign with context");
    let with = |c: &[u8]| {
        MlDsaVerifyParameters::message(b"m".to_vec(), s.signature.clone()).with_context(c.to_vec())
    };
    assert!(verify(with(&ctx)));
    assert!(!verify(with(b"other")), "another context");
    assert!(!verify(with(b"")), "no context");
    let mu = keyvault_crypto::ml_dsa_mu(&public_key, &ctx, b"m").expect("mu");
    assert!(verify(MlDsaVerifyParameters::external_mu(
        mu.clone(),
        s.signature.clone()
    )));
    // A μ signed is a signature of its message and context.
    let by_mu = key
        .sign_ml_dsa(&MlDsaSignParameters::external_mu(mu.clone()))
        .expect("sign mu");
    assert!(verify(
        MlDsaVerifyParameters::message(b"m".to_vec(), by_mu.signature.clone())
            .with_context(ctx.clone())
    ));
    assert!(verify(MlDsaVerifyParameters::external_mu(
        mu.clone(),
        by_mu.signature.clone()
    )));
    let mut other_mu = mu.clone();
    other_mu[0] ^= 1;
    assert!(!verify(MlDsaVerifyParameters::external_mu(
        other_mu,
        by_mu.signature.clone()
    )));
    // The empty context on either engine is the same: aws-lc-rs's
    // signature verifies through μ (the `ml-dsa` path) and the reverse.
    let plain = key
        .sign_ml_dsa(&MlDsaSignParameters::message(b"m".to_vec()))
        .expect("sign");
    let mu0 = keyvault_crypto::ml_dsa_mu(&public_key, b"", b"m").expect("mu");
    assert!(verify(MlDsaVerifyParameters::external_mu(
        mu0.clone(),
        plain.signature
    )));
    let by_mu0 = key
        .sign_ml_dsa(&MlDsaSignParameters::external_mu(mu0))
        .expect("sign mu");
    assert!(verify(MlDsaVerifyParameters::message(
        b"m".to_vec(),
        by_mu0.signature
    )));
    // Two signatures of one input differ (hedged), both with a context and
    // with a μ.
    let again = key
        .sign_ml_dsa(&MlDsaSignParameters::message(b"m".to_vec()).with_context(ctx.clone()))
        .expect("sign");
    assert_ne!(again.signature, s.signature);
    let again = key
        .sign_ml_dsa(&MlDsaSignParameters::external_mu(mu))
        .expect("sign");
    assert_ne!(again.signature, by_mu.signature);
    assert!(matches!(
        keyvault_crypto::ml_dsa_mu(&public_key, &[0; 256], b"m"),
        Err(CryptoError::InvalidInput(m)) if m.contains("at most 255")
    ));
    // A public key of no parameter set's length gives no μ (it could never
    // verify).
    assert!(matches!(
        keyvault_crypto::ml_dsa_mu(&public_key[1..], b"", b"m"),
        Err(CryptoError::InvalidInput(m)) if m.contains("1312, 1952 or 2592")
    ));
    // An empty context is the plain case and runs locally.
    let s = key
        .sign_ml_dsa(&MlDsaSignParameters::message(b"m".to_vec()).with_context(Vec::new()))
        .expect("empty context");
    assert!(
        key.verify_ml_dsa(&MlDsaVerifyParameters::message(b"m".to_vec(), s.signature))
            .expect("verify")
            .is_valid
    );
    // key_ops are honoured.
    let verify_only = LocalKey::from_jwk(&JsonWebKey {
        key_ops: vec![KeyOperation::Verify],
        ..jwk.clone()
    })
    .expect("key");
    assert!(matches!(
        verify_only.sign_ml_dsa(&MlDsaSignParameters::message(b"m".to_vec())),
        Err(CryptoError::OperationNotPermitted { .. })
    ));
    // A public key cannot sign; an RSA key cannot do ML-DSA at all.
    let public = LocalKey::from_jwk(&jwk.public_only()).expect("public");
    assert!(matches!(
        public.sign_ml_dsa(&MlDsaSignParameters::message(b"m".to_vec())),
        Err(CryptoError::MissingPrivateKey { .. })
    ));
    let rsa = LocalKey::from_jwk(
        &keyvault_crypto::generate(&keyvault_crypto::KeySpec {
            kty: KeyType::Rsa,
            size: Some(2048),
            curve: None,
            public_exponent: None,
        })
        .expect("rsa"),
    )
    .expect("rsa");
    assert!(matches!(
        rsa.sign_ml_dsa(&MlDsaSignParameters::message(b"m".to_vec())),
        Err(CryptoError::AlgorithmMismatch { .. })
    ));
    // Nor does an AKP key take a classic algorithm.
    assert!(
        key.sign(&keyvault_crypto::SignatureAlgorithm::Es256, &[0; 32])
            .is_err()
    );
}

#[tokio::test]
async fn a_local_only_client_signs_and_verifies_with_and_without_a_context() {
    let jwk = generate_akp(&KeyType::Akp, &AkpAlgorithm::MlDsa65).expect("generate");
    let c = CryptographyClient::from_jwk(jwk.clone()).expect("client");
    let s = c
        .sign_ml_dsa(&MlDsaSignParameters::message(b"hello".to_vec()), None)
        .await
        .expect("sign");
    let public = CryptographyClient::from_jwk(jwk.public_only()).expect("public");
    assert!(
        public
            .verify_ml_dsa(
                &MlDsaVerifyParameters::message(b"hello".to_vec(), s.signature.clone()),
                None
            )
            .await
            .expect("verify")
            .is_valid
    );
    match public
        .sign_ml_dsa(&MlDsaSignParameters::message(b"hello".to_vec()), None)
        .await
    {
        Err(CryptoError::LocalUnavailable { reason, .. }) => {
            assert!(reason.contains("private seed"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    // A context is verified locally too: the signature was made without
    // one, so with one it is invalid.
    let with_context = |signature: Vec<u8>| {
        MlDsaVerifyParameters::message(b"hello".to_vec(), signature).with_context(b"ctx".to_vec())
    };
    let v = public
        .verify_ml_dsa(&with_context(s.signature), None)
        .await
        .expect("verify with a context, locally");
    assert!(!v.is_valid);
    let s = c
        .sign_ml_dsa(
            &MlDsaSignParameters::message(b"hello".to_vec()).with_context(b"ctx".to_vec()),
            None,
        )
        .await
        .expect("sign with a context, locally");
    let v = public
        .verify_ml_dsa(&with_context(s.signature), None)
        .await
        .expect("verify");
    assert!(v.is_valid);
}

/// Wycheproof's ML-DSA vectors (FIPS 204). Verify: every test, with its
/// context string, must give Wycheproof's answer. Sign (seeded sets): the
/// key derived from `privateSeed` must have the set's public key; each
/// expected signature must verify over its message and context and over
/// its μ (the one given, or the one `ml_dsa_mu` computes, which must equal
/// a given one); a context the set refuses is refused. The engine signs
/// hedged, so its own signatures cannot equal the vectors': each is
/// checked to verify instead.
#[test]
fn wycheproof_ml_dsa() {
    use wycheproof::TestResult;
    let alg_of = |name: &str| match name {
        n if n.contains("44") => AkpAlgorithm::MlDsa44,
        n if n.contains("65") => AkpAlgorithm::MlDsa65,
        _ => AkpAlgorithm::MlDsa87,
    };
    let (mut checked, mut skipped) = (0usize, 0usize);
    {
        use wycheproof::mldsa_verify::{TestName, TestSet};
        for name in [
            TestName::MlDsa44Verify,
            TestName::MlDsa65Verify,
            TestName::MlDsa87Verify,
        ] {
            let alg = alg_of(&format!("{name:?}"));
            let set = TestSet::load(name).expect("load");
            for g in &set.test_groups {
                let mut jwk = JsonWebKey::new(KeyType::Akp);
                jwk.alg = Some(alg.clone());
                jwk.pub_key = Some(g.pubkey.to_vec());
                let key = LocalKey::from_jwk(&jwk);
                for tc in &g.tests {
                    let mut p = MlDsaVerifyParameters::message(tc.msg.to_vec(), tc.sig.to_vec());
                    p.context = tc.ctx.as_ref().map(|c| c.to_vec());
                    // A context over 255 bytes is refused (an error): invalid.
                    let valid = key
                        .as_ref()
                        .is_ok_and(|k| k.verify_ml_dsa(&p).is_ok_and(|r| r.is_valid));
                    match tc.result {
                        TestResult::Valid => assert!(valid, "{name:?} tc {}", tc.tc_id),
                        TestResult::Invalid => assert!(!valid, "{name:?} tc {}", tc.tc_id),
                        TestResult::Acceptable => {}
                    }
                    checked += 1;
                }
            }
        }
    }
    let mut keys = 0usize;
    {
        use wycheproof::mldsa_sign::{TestName, TestSet};
        for name in [
            TestName::MlDsa44SignSeed,
            TestName::MlDsa65SignSeed,
            TestName::MlDsa87SignSeed,
        ] {
            let alg = alg_of(&format!("{name:?}"));
            let set = TestSet::load(name).expect("load");
            for g in &set.test_groups {
                let (Some(seed), Some(pubkey)) = (&g.privseed, &g.pubkey) else {
                    continue;
                };
                let mut jwk = JsonWebKey::new(KeyType::Akp);
                jwk.alg = Some(alg.clone());
                jwk.priv_seed = Some(keyvault_crypto::SecretBytes::from_slice(seed));
                let Ok(key) = LocalKey::from_jwk(&jwk) else {
                    // Only seeds of the wrong length are refused.
                    assert_ne!(seed.len(), 32, "{name:?}");
                    continue;
                };
                // Known answer: the seed gives the set's public key.
                jwk.pub_key = Some(pubkey.to_vec());
                LocalKey::from_jwk(&jwk).expect("the seed's public key is the vector's");
                keys += 1;
                for tc in &g.tests {
                    let context = tc.ctx.as_ref().map(|c| c.to_vec()).unwrap_or_default();
                    if tc.result != TestResult::Valid {
                        // What the sign sets refuse is a context over 255
                        // bytes (or a bad key, refused above): so do we.
                        if let Some(msg) = &tc.msg
                            && context.len() > 255
                        {
                            let p = MlDsaSignParameters::message(msg.to_vec())
                                .with_context(context.clone());
                            assert!(
                                matches!(key.sign_ml_dsa(&p), Err(CryptoError::InvalidInput(_))),
                                "{name:?} tc {}",
                                tc.tc_id
                            );
                            checked += 1;
                        } else {
                            skipped += 1;
                        }
                        continue;
                    }
                    // The vector's signature verifies: over the message and
                    // its context, or over its μ; and the μ computed here
                    // (ml_dsa_mu) of a message is one the signature covers.
                    let by_message = tc.msg.as_ref().map(|msg| {
                        let mu = keyvault_crypto::ml_dsa_mu(pubkey, &context, msg).expect("mu");
                        (
                            MlDsaVerifyParameters::message(msg.to_vec(), tc.sig.to_vec())
                                .with_context(context.clone()),
                            mu,
                        )
                    });
                    let mu = match (&by_message, &tc.mu) {
                        (Some((p, mu)), _) => {
                            assert!(
                                key.verify_ml_dsa(p).expect("verify").is_valid,
                                "{name:?} tc {}",
                                tc.tc_id
                            );
                            mu.clone()
                        }
                        (None, Some(mu)) => mu.to_vec(),
                        (None, None) => {
                            skipped += 1;
                            continue;
                        }
                    };
                    assert!(
                        key.verify_ml_dsa(&MlDsaVerifyParameters::external_mu(
                            mu.clone(),
                            tc.sig.to_vec()
                        ))
                        .expect("verify mu")
                        .is_valid,
                        "{name:?} tc {} (mu)",
                        tc.tc_id
                    );
                    if let Some(given) = &tc.mu {
                        assert_eq!(&mu[..], &given[..], "{name:?} tc {}", tc.tc_id);
                    }
                    // And this key signs the same input verifiably.
                    let ours = key
                        .sign_ml_dsa(&MlDsaSignParameters::external_mu(mu.clone()))
                        .expect("sign mu");
                    assert!(
                        key.verify_ml_dsa(&MlDsaVerifyParameters::external_mu(mu, ours.signature))
                            .expect("verify")
                            .is_valid
                    );
                    checked += 1;
                }
            }
        }
    }
    println!(
        "wycheproof ML-DSA: {checked} checked, {keys} seeded keys, {skipped} skipped (context or not valid)"
    );
    assert!(checked > 100 && keys >= 3, "{checked} {keys}");
}
