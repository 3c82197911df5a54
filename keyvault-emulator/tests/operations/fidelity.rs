//! The service's answers where the emulator once differed from them (the
//! fidelity issue's numbered defects): each test failed before its fix.

use crate::common::*;

/// One request at an explicit api-version (`None`: no api-version at all).
pub async fn at_version(
    emu: &Emulator,
    method: Method,
    path: &str,
    api_version: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let url = match api_version {
        Some(v) => {
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{}{path}{sep}api-version={v}", emu.vault_url())
        }
        None => format!("{}{path}", emu.vault_url()),
    };
    let mut req = emu
        .http_client()
        .request(method, url)
        .bearer_auth(keyvault_emulator::DEFAULT_TOKEN);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let r = req.send().await.expect("send");
    let status = r.status().as_u16();
    let bytes = r.bytes().await.expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn error_of(v: &Value) -> (&str, &str, Option<&str>) {
    (
        v["error"]["code"].as_str().unwrap_or(""),
        v["error"]["message"].as_str().unwrap_or(""),
        v["error"]["innererror"]["code"].as_str(),
    )
}

/// Defect 1: a Managed HSM creates and imports `RSA`, `EC` and `oct` as
/// their `-HSM` types, and they work as those.
#[tokio::test]
async fn a_managed_hsm_takes_the_plain_key_types_and_answers_with_the_hsm_type() {
    let emu = Emulator::start(EmulatorOptions {
        flavor: Flavor::ManagedHsm,
        ..Default::default()
    })
    .await
    .expect("start");
    for (kty, want) in [("RSA", "RSA-HSM"), ("EC", "EC-HSM"), ("oct", "oct-HSM")] {
        let name = format!("plain-{}", kty.to_ascii_lowercase());
        let (s, v, _) = raw(
            &emu,
            Method::POST,
            &format!("/keys/{name}/create"),
            Some(json!({"kty": kty})),
        )
        .await
        .expect("create");
        assert_eq!(s, 200, "{kty}: {v}");
        assert_eq!(v["key"]["kty"], want, "{v}");
    }
    let (s, v, _) = raw(
        &emu,
        Method::PUT,
        "/keys/imported-rsa",
        Some(json!({"key": rsa_import_jwk()})),
    )
    .await
    .expect("import");
    assert_eq!((s, v["key"]["kty"].as_str()), (200, Some("RSA-HSM")), "{v}");
    // The oct key encrypts and decrypts, the RSA key wraps and unwraps.
    let (s, sealed, _) = raw(
        &emu,
        Method::POST,
        "/keys/plain-oct//encrypt",
        Some(json!({"alg": "A256GCM", "value": "aGVsbG8"})),
    )
    .await
    .expect("encrypt");
    assert_eq!(s, 200, "{sealed}");
    let (s, opened, _) = raw(
        &emu,
        Method::POST,
        "/keys/plain-oct//decrypt",
        Some(json!({"alg": "A256GCM", "value": sealed["value"], "iv": sealed["iv"], "tag": sealed["tag"]})),
    )
    .await
    .expect("decrypt");
    assert_eq!(
        (s, opened["value"].as_str()),
        (200, Some("aGVsbG8")),
        "{opened}"
    );
    let (s, wrapped, _) = raw(
        &emu,
        Method::POST,
        "/keys/plain-rsa//wrapkey",
        Some(json!({"alg": "RSA-OAEP-256", "value": "aGVsbG8"})),
    )
    .await
    .expect("wrap");
    assert_eq!(s, 200, "{wrapped}");
    emu.shutdown().await;
}

/// Defects 2 and 8: an empty page is `{"value": [], "nextLink": null}`, and
/// the last page of a list says `nextLink: null`.
#[tokio::test]
async fn an_empty_page_and_the_last_page_say_value_and_a_null_next_link() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    for path in ["/keys", "/deletedkeys"] {
        let (s, v, _) = raw(&emu, Method::GET, path, None).await.expect("list");
        assert_eq!(s, 200);
        assert_eq!(v, json!({"value": [], "nextLink": null}), "{path}");
    }
    call(c.create_key("one", &create("EC", json!({}))))
        .await
        .expect("create");
    for path in ["/keys", "/keys/one/versions"] {
        let (_, v, _) = raw(&emu, Method::GET, path, None).await.expect("list");
        assert_eq!(v["value"].as_array().map(Vec::len), Some(1), "{v}");
        assert_eq!(v.get("nextLink"), Some(&Value::Null), "{path}: {v}");
    }
    emu.shutdown().await;
}

/// Defect 3: the versions of a key that does not exist are an empty list.
#[tokio::test]
async fn the_versions_of_a_missing_key_are_an_empty_list() {
    let emu = Emulator::start(EmulatorOptions::default())
        .await
        .expect("start");
    let (s, v, _) = raw(&emu, Method::GET, "/keys/never-made/versions", None)
        .await
        .expect("versions");
    assert_eq!((s, v), (200, json!({"value": [], "nextLink": null})));
    emu.shutdown().await;
}

/// Defect 5: a release policy on a key that is not exportable is refused on
/// create, import and update, with the service's message.
#[tokio::test]
async fn a_release_policy_on_a_non_exportable_key_is_refused() {
    let emu = Emulator::start(EmulatorOptions::default())
        .await
        .expect("start");
    let policy = json!({"data": b64::encode(br#"{"anyOf":[],"version":"1.0.0"}"#)});
    const NON_EXPORTABLE: &str = "AKV.SKR.1005: Non-exportable keys must not have release policy.";
    for (method, path, body) in [
        (
            Method::POST,
            "/keys/rp-create/create",
            json!({"kty": "RSA-HSM", "release_policy": policy}),
        ),
        (
            Method::POST,
            "/keys/rp-create2/create",
            json!({"kty": "RSA-HSM", "release_policy": policy, "attributes": {"exportable": false}}),
        ),
        (
            Method::PUT,
            "/keys/rp-import",
            json!({"key": rsa_import_jwk(), "release_policy": policy}),
        ),
    ] {
        let (s, v, _) = raw(&emu, method, path, Some(body)).await.expect("send");
        assert_eq!(s, 400, "{path}: {v}");
        assert_eq!(
            error_of(&v),
            ("BadParameter", NON_EXPORTABLE, None),
            "{path}"
        );
    }
    let (s, _, _) = raw(
        &emu,
        Method::POST,
        "/keys/plain/create",
        Some(json!({"kty": "RSA-HSM"})),
    )
    .await
    .expect("create");
    assert_eq!(s, 200);
    let (s, v, _) = raw(
        &emu,
        Method::PATCH,
        "/keys/plain",
        Some(json!({"release_policy": policy})),
    )
    .await
    .expect("update");
    assert_eq!(s, 400, "{v}");
    assert_eq!(error_of(&v).1, NON_EXPORTABLE);
    let (_, v, _) = raw(&emu, Method::GET, "/keys/plain", None)
        .await
        .expect("get");
    assert!(v.get("release_policy").is_none(), "{v}");
    // The other direction keeps the service's message too.
    let (s, v, _) = raw(
        &emu,
        Method::POST,
        "/keys/exp/create",
        Some(json!({"kty": "RSA-HSM", "attributes": {"exportable": true}})),
    )
    .await
    .expect("create");
    assert_eq!(s, 400, "{v}");
    assert_eq!(
        error_of(&v).1,
        "AKV.SKR.1004: Exportable keys must have release policy."
    );
    emu.shutdown().await;
}

/// Defect 7: a target attestation token that cannot be verified is refused
/// with 403 (inner `AccessDenied`) before the key is looked up.
#[tokio::test]
async fn release_checks_the_target_before_the_key() {
    let emu = Emulator::start(EmulatorOptions::default())
        .await
        .expect("start");
    for path in [
        "/keys/no-such-key//release",
        "/keys/no-such-key/0123/release",
    ] {
        let (s, v, _) = raw(
            &emu,
            Method::POST,
            path,
            Some(json!({"target": "not.a.token"})),
        )
        .await
        .expect("release");
        assert_eq!(s, 403, "{path}: {v}");
        let (code, _, inner) = error_of(&v);
        assert_eq!((code, inner), ("Forbidden", Some("AccessDenied")), "{v}");
    }
    emu.shutdown().await;
}

/// Defect 8: RSA members in minimal big-endian form, and a release
/// policy's `immutable` present when false.
#[tokio::test]
async fn rsa_members_are_minimal_and_immutable_is_always_said() {
    let emu = Emulator::start(EmulatorOptions::default())
        .await
        .expect("start");
    let mut jwk = serde_json::to_value(rsa_import_jwk()).expect("jwk");
    let n = b64::decode(jwk["n"].as_str().expect("n")).expect("n bytes");
    let mut padded = vec![0u8];
    padded.extend_from_slice(&n);
    jwk["n"] = json!(b64::encode(&padded));
    jwk["e"] = json!(b64::encode(&[0, 1, 0, 1]));
    let (s, v, _) = raw(&emu, Method::PUT, "/keys/padded", Some(json!({"key": jwk})))
        .await
        .expect("import");
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["key"]["n"].as_str(), Some(b64::encode(&n).as_str()));
    assert_eq!(v["key"]["e"], "AQAB");
    for kty in ["RSA", "RSA-HSM"] {
        let (_, v, _) = raw(
            &emu,
            Method::POST,
            &format!("/keys/made-{kty}/create"),
            Some(json!({"kty": kty})),
        )
        .await
        .expect("create");
        assert_eq!(v["key"]["e"], "AQAB", "{kty}");
        let n = b64::decode(v["key"]["n"].as_str().expect("n")).expect("n");
        assert_ne!(n.first(), Some(&0), "{kty}");
    }
    let policy = json!({"data": b64::encode(br#"{"anyOf":[],"version":"1.0.0"}"#)});
    let (s, v, _) = raw(
        &emu,
        Method::POST,
        "/keys/exportable/create",
        Some(
            json!({"kty": "RSA-HSM", "attributes": {"exportable": true}, "release_policy": policy}),
        ),
    )
    .await
    .expect("create");
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["release_policy"]["immutable"], json!(false), "{v}");
    emu.shutdown().await;
}

/// Defect 9: path segments are percent-decoded as path segments (`+` is a
/// plus, `&` is no separator), and a name outside `[0-9a-zA-Z-]{1,127}` is
/// refused.
#[tokio::test]
async fn path_segments_decode_as_path_segments_and_bad_names_are_refused() {
    let emu = Emulator::start(EmulatorOptions::default())
        .await
        .expect("start");
    for bad in ["a&b", "a+b", "a%20b", "a_b", "a%2Fb"] {
        let (s, v, _) = raw(
            &emu,
            Method::POST,
            &format!("/keys/{bad}/create"),
            Some(json!({"kty": "EC"})),
        )
        .await
        .expect("create");
        assert_eq!(s, 400, "{bad}: {v}");
        assert_eq!(error_of(&v).0, "BadParameter", "{bad}");
        let (s, _, _) = raw(&emu, Method::GET, &format!("/keys/{bad}"), None)
            .await
            .expect("get");
        assert_eq!(s, 400, "{bad}");
    }
    let (_, v, _) = raw(&emu, Method::GET, "/keys", None).await.expect("list");
    assert_eq!(v["value"], json!([]), "nothing was created: {v}");
    // An escaped dash is a dash.
    let (s, v, _) = raw(
        &emu,
        Method::POST,
        "/keys/a%2Db/create",
        Some(json!({"kty": "EC"})),
    )
    .await
    .expect("create");
    assert_eq!(s, 200, "{v}");
    assert!(
        v["key"]["kid"]
            .as_str()
            .is_some_and(|k| k.contains("/keys/a-b/"))
    );
    emu.shutdown().await;
}

/// Defect 4: a policy set without a Notify action gets the service's
/// (notify 30 days before expiry), and the service's limits hold.
#[tokio::test]
async fn rotation_policies_are_kept_as_the_service_keeps_them() {
    let emu = Emulator::start(EmulatorOptions::default())
        .await
        .expect("start");
    let (s, _, _) = raw(
        &emu,
        Method::POST,
        "/keys/r/create",
        Some(json!({"kty": "EC"})),
    )
    .await
    .expect("create");
    assert_eq!(s, 200);
    let rotate_only = json!({
        "lifetimeActions": [{"trigger": {"timeAfterCreate": "P30D"}, "action": {"type": "rotate"}}],
        "attributes": {"expiryTime": "P90D"}
    });
    let (s, v, _) = raw(
        &emu,
        Method::PUT,
        "/keys/r/rotationpolicy",
        Some(rotate_only),
    )
    .await
    .expect("set");
    assert_eq!(s, 200, "{v}");
    let notify = json!({"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "Notify"}});
    let actions = v["lifetimeActions"].as_array().cloned().unwrap_or_default();
    assert_eq!(actions.len(), 2, "{v}");
    assert!(actions.contains(&notify), "{v}");
    let (_, stored, _) = raw(&emu, Method::GET, "/keys/r/rotationpolicy", None)
        .await
        .expect("get");
    assert_eq!(stored["lifetimeActions"], v["lifetimeActions"]);
    // A Notify action of its own is kept as given.
    let own = json!({
        "lifetimeActions": [{"trigger": {"timeBeforeExpiry": "P10D"}, "action": {"type": "Notify"}}],
        "attributes": {"expiryTime": "P90D"}
    });
    let (_, v, _) = raw(&emu, Method::PUT, "/keys/r/rotationpolicy", Some(own))
        .await
        .expect("set");
    assert_eq!(
        v["lifetimeActions"].as_array().map(Vec::len),
        Some(1),
        "{v}"
    );
    // The service's limits: expiry at least 28 days; a rotation at least 7
    // days after creation and at least 7 days before expiry.
    for (policy, needle) in [
        (
            json!({"lifetimeActions": [], "attributes": {"expiryTime": "P27D"}}),
            "expiryTime",
        ),
        (
            json!({"lifetimeActions": [{"trigger": {"timeAfterCreate": "P6D"}, "action": {"type": "Rotate"}}]}),
            "7 days",
        ),
        (
            json!({"lifetimeActions": [{"trigger": {"timeBeforeExpiry": "P6D"}, "action": {"type": "Rotate"}}], "attributes": {"expiryTime": "P90D"}}),
            "7 days",
        ),
        (
            json!({"lifetimeActions": [{"trigger": {"timeAfterCreate": "P85D"}, "action": {"type": "Rotate"}}], "attributes": {"expiryTime": "P90D"}}),
            "7 days",
        ),
        (
            json!({"lifetimeActions": [{"trigger": {"timeBeforeExpiry": "P85D"}, "action": {"type": "Rotate"}}], "attributes": {"expiryTime": "P90D"}}),
            "7 days",
        ),
    ] {
        let (s, v, _) = raw(
            &emu,
            Method::PUT,
            "/keys/r/rotationpolicy",
            Some(policy.clone()),
        )
        .await
        .expect("set");
        assert_eq!(s, 400, "{policy}: {v}");
        let (code, message, _) = error_of(&v);
        assert_eq!(code, "BadParameter");
        assert!(message.contains(needle), "{policy}: {message}");
    }
    let (_, after, _) = raw(&emu, Method::GET, "/keys/r/rotationpolicy", None)
        .await
        .expect("get");
    assert_eq!(
        after["lifetimeActions"].as_array().map(Vec::len),
        Some(1),
        "refusals changed nothing"
    );
    emu.shutdown().await;
}

/// Defect 6: a key vault creates RSA keys with 65537 whatever
/// `public_exponent` says; a Managed HSM honours it.
#[tokio::test]
async fn public_exponent_is_ignored_by_a_vault_and_honoured_by_a_managed_hsm() {
    for (flavor, requested, want) in [
        (Flavor::Vault, 3, "AQAB"),
        (Flavor::Any, 3, "AQAB"),
        (Flavor::ManagedHsm, 17, "EQ"),
        (Flavor::ManagedHsm, 65537, "AQAB"),
    ] {
        let emu = Emulator::start(EmulatorOptions {
            flavor,
            ..Default::default()
        })
        .await
        .expect("start");
        let (s, v, _) = raw(
            &emu,
            Method::POST,
            "/keys/e/create",
            Some(json!({"kty": "RSA", "key_size": 2048, "public_exponent": requested})),
        )
        .await
        .expect("create");
        assert_eq!(s, 200, "{flavor:?} {requested}: {v}");
        assert_eq!(v["key"]["e"], want, "{flavor:?} {requested}");
        // The key signs, and its signature verifies.
        let digest = b64::encode(&[7u8; 32]);
        let (s, signed, _) = raw(
            &emu,
            Method::POST,
            "/keys/e//sign",
            Some(json!({"alg": "RS256", "value": digest})),
        )
        .await
        .expect("sign");
        assert_eq!(s, 200, "{signed}");
        let (_, verified, _) = raw(
            &emu,
            Method::POST,
            "/keys/e//verify",
            Some(json!({"alg": "RS256", "digest": digest, "value": signed["value"]})),
        )
        .await
        .expect("verify");
        assert_eq!(verified["value"], true, "{flavor:?} {requested}");
        emu.shutdown().await;
    }
    let emu = Emulator::start(EmulatorOptions {
        flavor: Flavor::ManagedHsm,
        ..Default::default()
    })
    .await
    .expect("start");
    for bad in [4, 1, -3] {
        let (s, v, _) = raw(
            &emu,
            Method::POST,
            "/keys/bad-e/create",
            Some(json!({"kty": "RSA", "public_exponent": bad})),
        )
        .await
        .expect("create");
        assert_eq!((s, error_of(&v).0), (400, "BadParameter"), "{bad}: {v}");
    }
    emu.shutdown().await;
}

/// ML-DSA keys (2026-05-01-preview on) rotate, back up and restore like
/// any other, and sign after each; older api-versions refuse them.
#[tokio::test]
async fn ml_dsa_keys_rotate_back_up_and_restore() {
    let emu = Emulator::start(EmulatorOptions {
        flavor: Flavor::ManagedHsm,
        ..Default::default()
    })
    .await
    .expect("start");
    let v = Some("2026-07-01-preview");
    let (s, e) = at_version(
        &emu,
        Method::POST,
        "/keys/pq/create",
        Some("2026-04-01"),
        Some(json!({"kty": "AKP", "alg": "ML-DSA-44"})),
    )
    .await;
    assert_eq!(s, 400, "{e}");
    let (s, made) = at_version(
        &emu,
        Method::POST,
        "/keys/pq/create",
        v,
        Some(json!({"kty": "AKP", "alg": "ML-DSA-44"})),
    )
    .await;
    assert_eq!(s, 200, "{made}");
    assert_eq!(made["key"]["kty"], "AKP-HSM", "a Managed HSM");
    assert_eq!(made["key"]["alg"], "ML-DSA-44");
    assert!(made["key"].get("priv").is_none(), "{made}");
    let (s, rotated) = at_version(&emu, Method::POST, "/keys/pq/rotate", v, None).await;
    assert_eq!(s, 200, "{rotated}");
    assert_eq!(rotated["key"]["alg"], "ML-DSA-44");
    assert_ne!(rotated["key"]["pub"], made["key"]["pub"]);
    assert_eq!(
        at_version(
            &emu,
            Method::POST,
            "/keys/pq//sign",
            v,
            Some(json!({"value": b64::encode(b"m")})),
        )
        .await
        .0,
        200
    );
    let (_, backup) = at_version(&emu, Method::POST, "/keys/pq/backup", v, None).await;
    at_version(&emu, Method::DELETE, "/keys/pq", v, None).await;
    assert_eq!(
        at_version(&emu, Method::DELETE, "/deletedkeys/pq", v, None)
            .await
            .0,
        204
    );
    let (s, restored) = at_version(
        &emu,
        Method::POST,
        "/keys/restore",
        v,
        Some(json!({"value": backup["value"]})),
    )
    .await;
    assert_eq!(s, 200, "{restored}");
    assert_eq!(restored["key"]["pub"], rotated["key"]["pub"]);
    assert_eq!(
        at_version(
            &emu,
            Method::POST,
            "/keys/pq//sign",
            v,
            Some(json!({"value": b64::encode(b"m")})),
        )
        .await
        .0,
        200
    );
    emu.shutdown().await;
}

/// ML-DSA sign and verify take the preview's `context` (0–255 bytes) or
/// `external_mu` (64 bytes, alone), in the examples' shapes; a malformed
/// one is 400 BadParameter and changes nothing.
#[tokio::test]
async fn ml_dsa_takes_a_context_or_an_external_mu() {
    let emu = Emulator::start(EmulatorOptions::default())
        .await
        .expect("start");
    let v = Some("2026-07-01-preview");
    let (s, made) = at_version(
        &emu,
        Method::POST,
        "/keys/pq/create",
        v,
        Some(json!({"kty": "AKP", "alg": "ML-DSA-65"})),
    )
    .await;
    assert_eq!(s, 200, "{made}");
    let public = b64::decode(made["key"]["pub"].as_str().expect("pub")).expect("b64");
    let (m, ctx) = (
        b64::encode(b"message"),
        b64::encode(b"application-context-v1"),
    );
    let (s, signed) = at_version(
        &emu,
        Method::POST,
        "/keys/pq//sign",
        v,
        Some(json!({"value": m, "context": ctx})),
    )
    .await;
    assert_eq!(s, 200, "{signed}");
    assert!(
        signed["kid"]
            .as_str()
            .is_some_and(|k| k.contains("/keys/pq/"))
    );
    let sig = signed["value"].clone();
    let verify =
        |body: serde_json::Value| at_version(&emu, Method::POST, "/keys/pq//verify", v, Some(body));
    let verdict = |(s, b): (u16, serde_json::Value)| {
        assert_eq!(s, 200, "{b}");
        b["value"].as_bool().expect("a verdict")
    };
    assert!(verdict(
        verify(json!({"digest": m, "value": sig, "context": ctx})).await
    ));
    assert!(
        !verdict(verify(json!({"digest": m, "value": sig})).await),
        "without the context"
    );
    assert!(
        !verdict(
            verify(json!({"digest": m, "value": sig, "context": b64::encode(b"other")})).await
        ),
        "another context"
    );
    // The same signature covers μ of the message and context.
    let mu =
        keyvault_crypto::ml_dsa_mu(&public, b"application-context-v1", b"message").expect("mu");
    assert!(verdict(
        verify(json!({"external_mu": b64::encode(&mu), "value": sig})).await
    ));
    let (s, by_mu) = at_version(
        &emu,
        Method::POST,
        "/keys/pq//sign",
        v,
        Some(json!({"external_mu": b64::encode(&mu)})),
    )
    .await;
    assert_eq!(s, 200, "{by_mu}");
    assert!(verdict(
        verify(json!({"digest": m, "value": by_mu["value"], "context": ctx})).await
    ));
    for bad in [
        json!({"value": m, "context": b64::encode(&[0u8; 256])}),
        json!({"external_mu": b64::encode(&[0u8; 63])}),
        json!({"external_mu": b64::encode(&mu), "context": ctx}),
        json!({"external_mu": b64::encode(&mu), "value": m}),
        // A member that is there but not a string is not "absent".
        json!({"value": m, "context": 5}),
        json!({"external_mu": {}}),
        json!({"value": [1, 2]}),
    ] {
        let (s, e) = at_version(&emu, Method::POST, "/keys/pq//sign", v, Some(bad.clone())).await;
        assert_eq!((s, error_of(&e).0), (400, "BadParameter"), "{bad}: {e}");
    }
    emu.shutdown().await;
}
