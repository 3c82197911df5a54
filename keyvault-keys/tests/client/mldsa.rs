//! ML-DSA (AKP keys) through the clients, against a recording server: the
//! create, sign and verify request shapes of the 2026-05-01-preview
//! examples, local verification with the key's `pub`, and the checks made
//! before any request.

use keyvault_keys::crypto::{
    AkpAlgorithm, CryptoError, MlDsaSignParameters, MlDsaVerifyParameters, b64, generate_akp,
};

use super::recorder::Recorder;
use super::*;

fn at(v: ApiVersion) -> KeyClientOptions {
    KeyClientOptions {
        client_options: keyvault_keys::ClientOptions {
            api_version: v,
            ..Default::default()
        },
    }
}

#[tokio::test]
async fn akp_keys_are_created_signed_remotely_and_verified_locally() {
    // The vault's key, made by the engine: the server signs with its seed.
    let jwk = generate_akp(&KeyType::Akp, &AkpAlgorithm::MlDsa65).expect("generate");
    let signer = keyvault_crypto::LocalKey::from_jwk(&jwk).expect("signer");
    let public = jwk.public_only();
    let message = b"to be signed by the vault".to_vec();
    let signature = signer
        .sign_ml_dsa(&MlDsaSignParameters::message(message.clone()))
        .expect("sign")
        .signature;
    let (pub_b64, sig_b64) = (
        b64::encode(public.pub_key.as_ref().expect("pub")),
        b64::encode(&signature),
    );
    let server = Recorder::start(move |url, path| {
        let kid = format!("{url}/keys/pq/v1");
        let json = match path {
            "/keys/pq/create" => serde_json::json!({
                "key": {"kid": kid, "kty": "AKP", "alg": "ML-DSA-65", "pub": pub_b64, "key_ops": ["sign", "verify"]},
                "attributes": {"enabled": true}
            }),
            "/keys/pq/v1/sign" => serde_json::json!({"kid": kid, "value": sig_b64}),
            "/keys/pq/v1/verify" => serde_json::json!({"value": true}),
            _ => serde_json::json!({}),
        };
        (200, json.to_string())
    })
    .await;
    let c = server.client(at(ApiVersion::V2026_07_01_PREVIEW));
    let key = c
        .create_akp_key("pq", AkpAlgorithm::MlDsa65, None)
        .await
        .expect("create");
    assert_eq!(key.key.kty, KeyType::Akp);
    assert_eq!(key.key.alg, Some(AkpAlgorithm::MlDsa65));
    assert_eq!(key.key.pub_key, public.pub_key);
    c.create_akp_key(
        "pq",
        AkpAlgorithm::MlDsa87,
        Some(CreateKeyOptions {
            hardware_protected: Some(true),
            ..Default::default()
        }),
    )
    .await
    .expect("create hsm");
    let seen = server.seen();
    assert_eq!(seen[0].path, "/keys/pq/create");
    assert_eq!(
        seen[0].body,
        serde_json::json!({"kty": "AKP", "alg": "ML-DSA-65"})
    );
    assert_eq!(
        seen[1].body,
        serde_json::json!({"kty": "AKP-HSM", "alg": "ML-DSA-87"})
    );

    // The key has no seed: signing goes to the vault, with no alg and the
    // message itself in value (the preview's example).
    let crypto = c.cryptography_client_for(&key).expect("crypto");
    let s = crypto
        .sign_ml_dsa(&MlDsaSignParameters::message(message.clone()), None)
        .await
        .expect("sign");
    assert_eq!(s.signature, signature);
    assert_eq!(s.algorithm.as_str(), "ML-DSA-65");
    assert_eq!(
        s.key_id.as_deref(),
        Some(format!("{}/keys/pq/v1", server.url).as_str())
    );
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        (seen[2].method.as_str(), seen[2].path.as_str()),
        ("POST", "/keys/pq/v1/sign")
    );
    assert_eq!(seen[2].query, "api-version=2026-07-01-preview");
    assert_eq!(
        seen[2].body,
        serde_json::json!({"value": b64::encode(&message)})
    );

    // Verified locally with pub: no request; a changed message fails.
    let ok = crypto
        .verify_ml_dsa(
            &MlDsaVerifyParameters::message(message.clone(), signature.clone()),
            None,
        )
        .await
        .expect("verify");
    assert!(ok.is_valid);
    let mut other = message.clone();
    other[0] ^= 1;
    assert!(
        !crypto
            .verify_ml_dsa(
                &MlDsaVerifyParameters::message(other, signature.clone()),
                None
            )
            .await
            .expect("verify")
            .is_valid
    );
    assert_eq!(server.seen().len(), 3, "local verification sends nothing");

    // Signing with a context or an external mu goes to the vault (the
    // client has no seed), in the examples' shapes.
    crypto
        .sign_ml_dsa(
            &MlDsaSignParameters::message(message.clone())
                .with_context(b"application-context-v1".to_vec()),
            None,
        )
        .await
        .expect("sign with context");
    crypto
        .sign_ml_dsa(&MlDsaSignParameters::external_mu(vec![9; 64]), None)
        .await
        .expect("sign mu");
    let seen = server.seen();
    assert_eq!(seen.len(), 5);
    assert_eq!(
        seen[3].body,
        serde_json::json!({"value": b64::encode(&message), "context": b64::encode(b"application-context-v1")})
    );
    assert_eq!(
        seen[4].body,
        serde_json::json!({"external_mu": b64::encode(&[9; 64])})
    );
    // Verifying with a context or a μ runs locally with pub: the signature
    // was made without a context, so with one it is invalid, and its own
    // μ (ml_dsa_mu) verifies it.
    let pk = public.pub_key.clone().expect("pub");
    let with_context = MlDsaVerifyParameters::message(message.clone(), signature.clone())
        .with_context(b"ctx".to_vec());
    let v = crypto
        .verify_ml_dsa(&with_context, None)
        .await
        .expect("verify with context");
    assert!(!v.is_valid);
    let mu = keyvault_keys::crypto::ml_dsa_mu(&pk, b"", &message).expect("mu");
    let v = crypto
        .verify_ml_dsa(
            &MlDsaVerifyParameters::external_mu(mu, signature.clone()),
            None,
        )
        .await
        .expect("verify mu");
    assert!(v.is_valid);
    assert_eq!(server.seen().len(), 5, "local verification sends nothing");
    // A client that cannot read the key (a GET without key material
    // stays remote) verifies in the vault, in the examples' shapes.
    let remote_only = keyvault_keys::crypto::CryptographyClient::with_client(
        c.protocol_client().clone(),
        &format!("{}/keys/pq/v1", server.url),
    )
    .expect("remote client");
    let v = remote_only
        .verify_ml_dsa(&with_context, None)
        .await
        .expect("verify with context");
    assert!(v.is_valid, "the server's answer");
    remote_only
        .verify_ml_dsa(
            &MlDsaVerifyParameters::external_mu(vec![9; 64], signature.clone()),
            None,
        )
        .await
        .expect("verify mu");
    let seen = server.seen();
    assert_eq!(seen.len(), 8, "{seen:?}");
    assert_eq!(
        (seen[5].method.as_str(), seen[5].path.as_str()),
        ("GET", "/keys/pq/v1")
    );
    assert_eq!(seen[6].path, "/keys/pq/v1/verify");
    assert_eq!(
        seen[6].body,
        serde_json::json!({"digest": b64::encode(&message), "value": b64::encode(&signature), "context": b64::encode(b"ctx")})
    );
    assert_eq!(
        seen[7].body,
        serde_json::json!({"external_mu": b64::encode(&[9; 64]), "value": b64::encode(&signature)})
    );

    // Malformed requests are refused before anything is sent.
    for p in [
        MlDsaSignParameters::message(message.clone()).with_context(vec![0; 256]),
        MlDsaSignParameters::external_mu(vec![0; 32]),
        MlDsaSignParameters::external_mu(vec![0; 64]).with_context(vec![1]),
    ] {
        assert!(matches!(
            crypto.sign_ml_dsa(&p, None).await,
            Err(CryptoError::InvalidInput(_))
        ));
    }
    assert_eq!(server.seen().len(), 8);
}

#[tokio::test]
async fn ml_dsa_members_are_refused_before_2026_05_01_preview() {
    let server = Recorder::start(|url, _| {
        let jwk = serde_json::json!({"kid": format!("{url}/keys/pq/v1"), "kty": "AKP"});
        (200, serde_json::json!({"key": jwk}).to_string())
    })
    .await;
    let c = server.client(at(ApiVersion::V2026_04_01));
    let e = c
        .create_akp_key("pq", AkpAlgorithm::MlDsa44, None)
        .await
        .expect_err("too old");
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert_eq!(
        e.to_string(),
        "'akp_algorithm' is not available in API version 2026-04-01; use 2026-05-01-preview or newer"
    );
    let crypto = c
        .get_cryptography_client(
            "pq",
            Some(GetCryptographyClientOptions {
                version: Some("v1".into()),
            }),
        )
        .expect("crypto");
    for (p, member) in [
        (
            MlDsaSignParameters::message(b"m".to_vec()).with_context(b"c".to_vec()),
            "context",
        ),
        (MlDsaSignParameters::external_mu(vec![0; 64]), "external_mu"),
    ] {
        match crypto.sign_ml_dsa(&p, None).await {
            Err(CryptoError::NotInApiVersion(e)) => assert_eq!(
                e.to_string(),
                format!(
                    "'{member}' is not available in API version 2026-04-01; use 2026-05-01-preview or newer"
                )
            ),
            other => panic!("{other:?}"),
        }
    }
    // Only the key fetch reached the server.
    assert!(
        server.seen().iter().all(|s| s.method == "GET"),
        "{:?}",
        server.seen()
    );
}

/// The private seed of the emulator's key `name` (from its state export,
/// an emulator feature: the service never returns an AKP private key).
async fn seed_of(emulator: &Emulator, name: &str) -> keyvault_crypto::JsonWebKey {
    let doc = emulator.export_state().await.expect("export");
    let key = doc["vaults"]
        .as_array()
        .expect("vaults")
        .iter()
        .flat_map(|v| v["keys"].as_array().cloned().unwrap_or_default())
        .find(|k| k["name"] == name)
        .expect("the key in the export");
    serde_json::from_value(key["versions"][0]["jwk"].clone()).expect("jwk")
}

/// Verifies in the emulator through the protocol layer (no alg member):
/// the message in `digest` with its `context`, or `external_mu`.
async fn verify_there(client: &KeyClient, name: &str, input: &MlDsaVerifyParameters) -> bool {
    let mut body = serde_json::json!({"value": b64::encode(&input.signature)});
    if let Some(m) = &input.message {
        body["digest"] = b64::encode(m).into();
    }
    if let Some(c) = &input.context {
        body["context"] = b64::encode(c).into();
    }
    if let Some(mu) = &input.external_mu {
        body["external_mu"] = b64::encode(mu).into();
    }
    let answer = client
        .send_request(
            RawRequest::new(Method::POST, format!("/keys/{name}//verify"))
                .with_json(&body)
                .expect("json"),
        )
        .await
        .expect("verify in the emulator");
    let verdict: serde_json::Value = answer.json().expect("json");
    verdict["value"].as_bool().expect("a verdict")
}

/// Against the emulator, for ML-DSA-44/65/87, with no context, with a
/// context, and with an external μ: signed in the emulator → verified
/// locally with the key's `pub`, and signed locally (with the key's seed,
/// taken from the emulator's state export) → verified in the emulator; a
/// changed message, another context or another μ does not verify.
#[tokio::test]
async fn ml_dsa_signs_remotely_and_verifies_locally_and_the_reverse() {
    let emulator = Emulator::start(EmulatorOptions::default())
        .await
        .expect("emulator");
    let client = KeyClient::new(
        emulator.vault_url(),
        emulator.credential(),
        Some(KeyClientOptions {
            client_options: keyvault_keys::ClientOptions {
                http_client: Some(emulator.http_client()),
                ..at(ApiVersion::from("2026-07-01-preview")).client_options
            },
        }),
    )
    .expect("client");
    let message = b"post-quantum hello".to_vec();
    let context = b"application-context-v1".to_vec();
    for alg in [
        AkpAlgorithm::MlDsa44,
        AkpAlgorithm::MlDsa65,
        AkpAlgorithm::MlDsa87,
    ] {
        let name = format!("pq-{}", alg.as_str().to_ascii_lowercase());
        let key = client
            .create_akp_key(&name, alg.clone(), None)
            .await
            .expect("create");
        assert_eq!(key.key.kty, CK::Akp, "{alg}");
        assert!(
            key.key.pub_key.is_some() && key.key.priv_seed.is_none(),
            "{alg}"
        );
        let pk = key.key.pub_key.clone().expect("pub");
        let mu = keyvault_crypto::ml_dsa_mu(&pk, &context, &message).expect("mu");
        let remote = client.cryptography_client_for(&key).expect("crypto");
        let public = keyvault_crypto::LocalKey::from_jwk(&key.key).expect("public key");
        let private = keyvault_crypto::LocalKey::from_jwk(&seed_of(&emulator, &name).await)
            .expect("the seed");
        let inputs = [
            ("no context", MlDsaSignParameters::message(message.clone())),
            (
                "a context",
                MlDsaSignParameters::message(message.clone()).with_context(context.clone()),
            ),
            (
                "an external mu",
                MlDsaSignParameters::external_mu(mu.clone()),
            ),
        ];
        for (what, p) in &inputs {
            let check = |signature: &[u8]| {
                let mut v = MlDsaVerifyParameters::message(Vec::new(), signature.to_vec());
                (v.message, v.context, v.external_mu) =
                    (p.message.clone(), p.context.clone(), p.external_mu.clone());
                v
            };
            // Signed in the emulator, verified here; a changed input fails.
            let signed = remote.sign_ml_dsa(p, None).await.expect("sign there");
            let v = check(&signed.signature);
            assert!(
                public.verify_ml_dsa(&v).expect("verify").is_valid,
                "{alg} {what}"
            );
            let mut changed = v.clone();
            match (&mut changed.external_mu, &mut changed.message) {
                (Some(mu), _) => mu[0] ^= 1,
                (None, Some(m)) => m[0] ^= 1,
                (None, None) => unreachable!(),
            }
            assert!(
                !public.verify_ml_dsa(&changed).expect("verify").is_valid,
                "{alg} {what}"
            );
            // The other forms of the same input verify it too: a μ is a
            // message with its context.
            if p.context.is_some() || p.external_mu.is_some() {
                let as_message =
                    MlDsaVerifyParameters::message(message.clone(), signed.signature.clone())
                        .with_context(context.clone());
                let as_mu =
                    MlDsaVerifyParameters::external_mu(mu.clone(), signed.signature.clone());
                assert!(
                    public.verify_ml_dsa(&as_message).expect("verify").is_valid,
                    "{alg} {what}"
                );
                assert!(
                    public.verify_ml_dsa(&as_mu).expect("verify").is_valid,
                    "{alg} {what}"
                );
                let other_context = as_message.clone().with_context(b"other".to_vec());
                assert!(
                    !public
                        .verify_ml_dsa(&other_context)
                        .expect("verify")
                        .is_valid
                );
            }
            // Signed here with the seed, verified in the emulator.
            let ours = private.sign_ml_dsa(p).expect("sign here");
            assert!(
                verify_there(&client, &name, &check(&ours.signature)).await,
                "{alg} {what}"
            );
            let mut changed = check(&ours.signature);
            changed.signature[0] ^= 1;
            assert!(
                !verify_there(&client, &name, &changed).await,
                "{alg} {what}"
            );
        }
    }
    emulator.shutdown().await;
}
