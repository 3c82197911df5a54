//! Every operation of the emulator, in-process over HTTPS with our protocol
//! client: the happy path and the service's errors.

use std::num::NonZeroU32;

use keyvault_crypto::{HashAlgorithm, JsonWebKey, KeySpec, KeyType, LocalKey, b64};
use keyvault_emulator::{Emulator, EmulatorOptions, Flavor};
use keyvault_keys_protocol::reqwest::{Method, StatusCode};
use keyvault_keys_protocol::{Client, Error, RawRequest, call, enums, types};
use serde_json::{Value, json};

async fn start(options: EmulatorOptions) -> (Emulator, Client) {
    let emulator = Emulator::start(options).await.expect("start");
    let client = Client::with_credential(
        emulator.vault_url(),
        emulator.credential(),
        emulator.client_options(),
    )
    .expect("client");
    (emulator, client)
}

fn create(kty: &str, extra: Value) -> types::KeyCreateParameters {
    let mut v = json!({"kty": kty});
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    serde_json::from_value(v).expect("create parameters")
}

fn status_and_code(e: &Error) -> (u16, String, String) {
    let h = e
        .http()
        .unwrap_or_else(|| panic!("not an HTTP error: {e:?}"));
    (
        h.status.as_u16(),
        h.code.clone().unwrap_or_default(),
        h.message.clone().unwrap_or_default(),
    )
}

fn version_of(bundle: &types::KeyBundle) -> String {
    let kid = bundle
        .key
        .as_ref()
        .and_then(|k| k.kid.clone())
        .expect("kid");
    kid.rsplit('/').next().expect("version").to_owned()
}

#[tokio::test]
async fn create_every_key_type_with_sizes_curves_and_defaults() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    let rsa = call(c.create_key(
        "rsa",
        &create("RSA", json!({"key_size": 3072, "tags": {"t": "1"}})),
    ))
    .await
    .expect("rsa");
    let key = rsa.key.as_ref().expect("key");
    assert_eq!(
        b64::decode(key.n.as_deref().expect("n")).expect("n").len(),
        384
    );
    assert_eq!(
        key.key_ops,
        [
            "encrypt",
            "decrypt",
            "sign",
            "verify",
            "wrapKey",
            "unwrapKey"
        ]
    );
    assert!(
        key.d.is_none() && key.p.is_none(),
        "private material is never returned"
    );
    let kid = key.kid.clone().expect("kid");
    assert!(
        kid.starts_with(&format!("{}/keys/rsa/", emu.vault_url())),
        "{kid}"
    );
    let version = version_of(&rsa);
    assert_eq!(version.len(), 32);
    assert!(version.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(rsa.tags.get("t").map(String::as_str), Some("1"));
    let attrs = rsa.attributes.as_ref().expect("attributes");
    assert_eq!(attrs.enabled, Some(true));
    assert_eq!(attrs.recoverable_days, Some(90));
    assert_eq!(
        attrs.recovery_level.as_ref().map(|l| l.as_str()),
        Some("Recoverable+Purgeable")
    );
    assert!(attrs.created.is_some() && attrs.hsm_platform.is_none());

    for (crv, len) in [("P-256", 32), ("P-256K", 32), ("P-384", 48), ("P-521", 66)] {
        let ec = call(c.create_key(
            &format!("ec{len}{}", crv.len()),
            &create("EC-HSM", json!({"crv": crv})),
        ))
        .await
        .expect("ec");
        let k = ec.key.expect("key");
        assert_eq!(
            b64::decode(k.x.as_deref().expect("x")).expect("x").len(),
            len
        );
        assert_eq!(k.key_ops, ["sign", "verify"]);
        assert_eq!(
            ec.attributes.and_then(|a| a.hsm_platform).as_deref(),
            Some("2")
        );
    }
    for bits in [128, 192, 256] {
        let oct = call(c.create_key(
            &format!("oct{bits}"),
            &create("oct-HSM", json!({"key_size": bits})),
        ))
        .await
        .expect("oct");
        assert!(
            oct.key.expect("key").k.is_none(),
            "symmetric keys never leave"
        );
    }
    let ops = call(c.create_key("ops", &create("RSA", json!({"key_ops": ["sign"]}))))
        .await
        .expect("ops");
    assert_eq!(ops.key.expect("key").key_ops, ["sign"]);

    for (name, body, needle) in [
        (
            "bad-size",
            create("RSA", json!({"key_size": 1024})),
            "2048, 3072 or 4096",
        ),
        (
            "bad-oct",
            create("oct", json!({"key_size": 64})),
            "128, 192 or 256",
        ),
        ("bad-curve", create("EC", json!({"crv": "P-999"})), "P-256"),
        ("bad-kty", create("ML-DSA", json!({})), "Unknown key type"),
        (
            "bad-exp",
            create("RSA", json!({"public_exponent": 3})),
            "65537",
        ),
        (
            "bad-export",
            create("RSA", json!({"attributes": {"exportable": true}})),
            "release policy",
        ),
        ("bad_name", create("RSA", json!({})), "invalid name"),
    ] {
        let err = call(c.create_key(name, &body)).await.expect_err(name);
        let (status, code, message) = status_and_code(&err);
        assert_eq!((status, code.as_str()), (400, "BadParameter"), "{name}");
        assert!(message.contains(needle), "{name}: {message}");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn get_update_and_not_found() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    let v1 = call(c.create_key("k", &create("EC", json!({}))))
        .await
        .expect("v1");
    let v2 = call(c.create_key("K", &create("EC", json!({}))))
        .await
        .expect("v2: names are case-insensitive");
    assert!(
        v2.key
            .as_ref()
            .and_then(|k| k.kid.clone())
            .expect("kid")
            .contains("/keys/k/"),
        "the name keeps its first spelling"
    );
    let latest = call(c.get_key("k", "")).await.expect("latest");
    assert_eq!(version_of(&latest), version_of(&v2));
    let first = call(c.get_key("k", &version_of(&v1))).await.expect("v1");
    assert_eq!(
        first.key.and_then(|k| k.x),
        v1.key.as_ref().and_then(|k| k.x.clone())
    );

    let body: types::KeyUpdateParameters = serde_json::from_value(json!({"attributes": {"enabled": false, "exp": 4102444800_i64}, "tags": {"a": "b"}, "key_ops": ["verify"]})).expect("update");
    let updated = call(c.update_key("k", &version_of(&v1), &body))
        .await
        .expect("update v1");
    assert_eq!(
        updated.attributes.as_ref().and_then(|a| a.enabled),
        Some(false)
    );
    assert_eq!(
        updated.attributes.as_ref().and_then(|a| a.exp),
        Some(4102444800)
    );
    assert_eq!(updated.tags.get("a").map(String::as_str), Some("b"));
    assert_eq!(
        updated.key.as_ref().map(|k| k.key_ops.clone()),
        Some(vec!["verify".to_owned()])
    );
    assert_eq!(
        call(c.get_key("k", ""))
            .await
            .expect("latest")
            .attributes
            .and_then(|a| a.enabled),
        Some(true),
        "latest untouched"
    );

    let err = call(c.get_key("missing", "")).await.expect_err("404");
    let (status, code, message) = status_and_code(&err);
    assert_eq!((status, code.as_str()), (404, "KeyNotFound"));
    assert!(
        message.starts_with("A key with (name/id) missing was not found in this key vault."),
        "{message}"
    );
    let err = call(c.get_key("k", "0123456789abcdef0123456789abcdef"))
        .await
        .expect_err("404 version");
    assert!(
        status_and_code(&err)
            .2
            .contains("(name/id) k/0123456789abcdef0123456789abcdef")
    );
    let err = call(c.update_key("missing", "", &types::KeyUpdateParameters::default()))
        .await
        .expect_err("404");
    assert_eq!(status_and_code(&err).0, 404);
    emu.shutdown().await;
}

#[tokio::test]
async fn delete_recover_purge_and_conflicts() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    call(c.create_key("gone", &create("RSA", json!({}))))
        .await
        .expect("create");
    let deleted = call(c.delete_key("gone")).await.expect("delete");
    assert_eq!(
        deleted.recovery_id.as_deref(),
        Some(format!("{}/deletedkeys/gone", emu.vault_url()).as_str())
    );
    let (d, p) = (
        deleted.deleted_date.expect("deletedDate"),
        deleted.scheduled_purge_date.expect("scheduledPurgeDate"),
    );
    assert_eq!(p - d, 90 * 86_400);
    assert_eq!(
        status_and_code(&call(c.get_key("gone", "")).await.expect_err("gone")).0,
        404
    );
    assert_eq!(
        status_and_code(&call(c.delete_key("gone")).await.expect_err("double delete")).1,
        "KeyNotFound"
    );
    let got = call(c.get_deleted_key("gone")).await.expect("get deleted");
    assert_eq!(got.recovery_id, deleted.recovery_id);
    let list = call(c.get_deleted_keys(None)).await.expect("list deleted");
    assert_eq!(list.value.len(), 1);
    assert_eq!(
        list.value[0].kid.as_deref(),
        Some(format!("{}/keys/gone", emu.vault_url()).as_str())
    );

    let err = call(c.create_key("gone", &create("RSA", json!({}))))
        .await
        .expect_err("409");
    let h = err.http().expect("http");
    assert_eq!(h.status, StatusCode::CONFLICT);
    assert_eq!(h.code.as_deref(), Some("Conflict"));
    assert_eq!(
        h.inner_code.as_deref(),
        Some("ObjectIsDeletedButRecoverable")
    );
    assert!(
        h.message
            .as_deref()
            .is_some_and(|m| m.contains("deleted but recoverable state"))
    );

    let recovered = call(c.recover_deleted_key("gone")).await.expect("recover");
    assert!(recovered.key.is_some());
    call(c.get_key("gone", "")).await.expect("readable again");
    assert_eq!(
        status_and_code(
            &call(c.recover_deleted_key("gone"))
                .await
                .expect_err("not deleted")
        )
        .2,
        "Deleted Key not found: gone"
    );

    call(c.delete_key("gone")).await.expect("delete again");
    let purged = c.purge_deleted_key("gone").await.expect("purge");
    assert_eq!(purged.status(), StatusCode::NO_CONTENT);
    let err = call(c.get_deleted_key("gone")).await.expect_err("purged");
    assert_eq!(
        status_and_code(&err),
        (
            404,
            "KeyNotFound".into(),
            "Deleted Key not found: gone".into()
        )
    );
    assert!(c.purge_deleted_key("gone").await.is_err());
    call(c.create_key("gone", &create("RSA", json!({}))))
        .await
        .expect("name free after purge");
    emu.shutdown().await;
}

#[tokio::test]
async fn lists_page_with_maxresults_and_absolute_next_links() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    for i in 0..7 {
        call(c.create_key(&format!("key-{i}"), &create("EC", json!({}))))
            .await
            .expect("create");
    }
    for _ in 0..4 {
        call(c.create_key("key-0", &create("EC", json!({}))))
            .await
            .expect("version");
    }
    let first = call(c.get_keys(NonZeroU32::new(3))).await.expect("page");
    assert_eq!(first.value.len(), 3);
    let next = first.next_link.clone().expect("nextLink");
    assert!(
        next.starts_with(&format!("{}/keys?", emu.vault_url())),
        "{next}"
    );
    assert!(next.contains("maxresults=3"));
    assert!(
        first.value[0]
            .kid
            .as_deref()
            .is_some_and(|k| k.ends_with("/keys/key-0")),
        "list kids carry no version"
    );
    let c2 = c.clone();
    let all: Vec<types::KeyItem> =
        futures_collect(c.items(async move { c2.get_keys(NonZeroU32::new(3)).await })).await;
    assert_eq!(all.len(), 7);
    let c3 = c.clone();
    let versions: Vec<types::KeyItem> = futures_collect(
        c.items(async move { c3.get_key_versions("key-0", NonZeroU32::new(2)).await }),
    )
    .await;
    assert_eq!(versions.len(), 5);
    assert!(versions.iter().all(|v| {
        v.kid
            .as_deref()
            .is_some_and(|k| k.split('/').next_back().is_some_and(|s| s.len() == 32))
    }));
    for bad in ["0", "26", "x"] {
        let r = c
            .send_request(RawRequest::new(
                Method::GET,
                format!("/keys?maxresults={bad}"),
            ))
            .await
            .expect("raw");
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "maxresults={bad}");
    }
    assert_eq!(
        status_and_code(
            &call(c.get_key_versions("nope", None))
                .await
                .expect_err("404")
        )
        .0,
        404
    );
    emu.shutdown().await;
}

async fn futures_collect<T>(
    s: impl futures_util_stream::Stream<Item = Result<T, Error>>,
) -> Vec<T> {
    use futures_util_stream::StreamExt as _;
    let mut out = Vec::new();
    let mut s = Box::pin(s);
    while let Some(item) = s.next().await {
        out.push(item.expect("item"));
    }
    out
}

mod futures_util_stream {
    pub use futures::stream::{Stream, StreamExt};
}

#[tokio::test]
async fn backup_and_restore() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    let v1 = call(c.create_key("b", &create("RSA", json!({"tags": {"x": "y"}}))))
        .await
        .expect("create");
    call(c.create_key("b", &create("RSA", json!({}))))
        .await
        .expect("v2");
    let policy: types::KeyRotationPolicy = serde_json::from_value(
        json!({"lifetimeActions": [], "attributes": {"expiryTime": "P60D"}}),
    )
    .expect("policy");
    call(c.update_key_rotation_policy("b", &policy))
        .await
        .expect("policy");
    let blob = call(c.backup_key("b"))
        .await
        .expect("backup")
        .value
        .expect("value");
    let restore = types::KeyRestoreParameters {
        value: blob.clone(),
        extra: Default::default(),
    };
    let err = call(c.restore_key(&restore)).await.expect_err("exists");
    assert_eq!(status_and_code(&err).0, 409);
    call(c.delete_key("b")).await.expect("delete");
    assert_eq!(
        status_and_code(&call(c.restore_key(&restore)).await.expect_err("deleted")).0,
        409
    );
    c.purge_deleted_key("b").await.expect("purge");
    let restored = call(c.restore_key(&restore)).await.expect("restore");
    assert!(
        restored
            .key
            .and_then(|k| k.kid)
            .is_some_and(|k| k.contains("/keys/b/"))
    );
    let versions = call(c.get_key_versions("b", None)).await.expect("versions");
    assert_eq!(versions.value.len(), 2);
    let old = call(c.get_key("b", &version_of(&v1)))
        .await
        .expect("old version");
    assert_eq!(old.key.and_then(|k| k.n), v1.key.and_then(|k| k.n));
    let p = call(c.get_key_rotation_policy("b"))
        .await
        .expect("policy restored");
    assert_eq!(
        p.attributes.and_then(|a| a.expiry_time).as_deref(),
        Some("P60D")
    );
    // Tampered and malformed blobs
    let mut bytes = b64::decode(&blob).expect("blob");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    for bad in [
        b64::encode(&bytes),
        "bm90IGEgYmFja3Vw".to_owned(),
        "!!".to_owned(),
    ] {
        let err = call(c.restore_key(&types::KeyRestoreParameters {
            value: bad,
            extra: Default::default(),
        }))
        .await
        .expect_err("malformed");
        let (status, code, _) = status_and_code(&err);
        assert_eq!((status, code.as_str()), (400, "Malformed backup blob"));
    }
    assert_eq!(
        status_and_code(&call(c.backup_key("nope")).await.expect_err("404")).0,
        404
    );
    emu.shutdown().await;
}

fn rsa_import_jwk() -> types::JsonWebKey {
    let jwk = keyvault_crypto::generate(&KeySpec {
        kty: KeyType::Rsa,
        size: Some(2048),
        curve: None,
        public_exponent: None,
    })
    .expect("gen");
    jwk.to_protocol()
}

#[tokio::test]
async fn import_rsa_ec_oct_and_reject_public_only() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    let rsa = rsa_import_jwk();
    let imported = call(c.import_key(
        "imp-rsa",
        &types::KeyImportParameters {
            key: rsa.clone(),
            hsm: Some(true),
            ..Default::default()
        },
    ))
    .await
    .expect("import");
    let k = imported.key.expect("key");
    assert_eq!(k.kty.as_ref().map(|t| t.as_str()), Some("RSA-HSM"));
    assert_eq!(k.n, rsa.n);
    assert!(k.d.is_none() && k.p.is_none() && k.q.is_none() && k.dp.is_none() && k.qi.is_none());
    let ec = keyvault_crypto::generate(&KeySpec {
        kty: KeyType::Ec,
        size: None,
        curve: Some(keyvault_crypto::KeyCurveName::P384),
        public_exponent: None,
    })
    .expect("ec");
    call(c.import_key(
        "imp-ec",
        &types::KeyImportParameters {
            key: ec.to_protocol(),
            ..Default::default()
        },
    ))
    .await
    .expect("ec import");
    let oct = keyvault_crypto::generate(&KeySpec {
        kty: KeyType::Oct,
        size: Some(128),
        curve: None,
        public_exponent: None,
    })
    .expect("oct");
    let o = call(c.import_key(
        "imp-oct",
        &types::KeyImportParameters {
            key: oct.to_protocol(),
            ..Default::default()
        },
    ))
    .await
    .expect("oct import");
    assert!(o.key.expect("key").k.is_none());
    let public_only = types::KeyImportParameters {
        key: ec.public_only().to_protocol(),
        ..Default::default()
    };
    let err = call(c.import_key("imp-pub", &public_only))
        .await
        .expect_err("no private");
    assert!(status_and_code(&err).2.contains("no private key material"));
    let mut broken = rsa.clone();
    broken.dp = broken.dq.clone();
    let err = call(c.import_key(
        "imp-bad",
        &types::KeyImportParameters {
            key: broken,
            ..Default::default()
        },
    ))
    .await
    .expect_err("inconsistent");
    assert_eq!(status_and_code(&err).0, 400);
    emu.shutdown().await;
}

#[tokio::test]
async fn rotate_and_rotation_policy() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    let v1 = call(c.create_key(
        "rot",
        &create(
            "RSA",
            json!({"key_size": 3072, "key_ops": ["sign", "verify"]}),
        ),
    ))
    .await
    .expect("create");
    let default = call(c.get_key_rotation_policy("rot"))
        .await
        .expect("default policy");
    assert_eq!(
        default.id.as_deref(),
        Some(format!("{}/keys/rot/rotationpolicy", emu.vault_url()).as_str())
    );
    assert_eq!(default.lifetime_actions.len(), 1);
    assert_eq!(
        default.lifetime_actions[0]
            .action
            .as_ref()
            .and_then(|a| a.type_.clone()),
        Some(enums::KeyRotationPolicyAction::NOTIFY)
    );
    let policy: types::KeyRotationPolicy = serde_json::from_value(json!({
        "lifetimeActions": [{"trigger": {"timeAfterCreate": "P90D"}, "action": {"type": "rotate"}}],
        "attributes": {"expiryTime": "P1Y"}
    }))
    .expect("policy");
    let set = call(c.update_key_rotation_policy("rot", &policy))
        .await
        .expect("set");
    assert_eq!(
        set.lifetime_actions[0]
            .action
            .as_ref()
            .and_then(|a| a.type_.clone()),
        Some(enums::KeyRotationPolicyAction::ROTATE),
        "canonical spelling"
    );
    assert!(set.attributes.as_ref().and_then(|a| a.created).is_some());
    let v2 = call(c.rotate_key("rot")).await.expect("rotate");
    assert_ne!(version_of(&v2), version_of(&v1));
    let k2 = v2.key.as_ref().expect("key");
    assert_eq!(
        b64::decode(k2.n.as_deref().expect("n")).expect("n").len(),
        384,
        "same size"
    );
    assert_eq!(k2.key_ops, ["sign", "verify"], "same operations");
    let attrs = v2.attributes.expect("attributes");
    let (created, exp) = (
        attrs.created.expect("created"),
        attrs.exp.expect("exp from expiryTime"),
    );
    assert!(
        (365 * 86_400..=366 * 86_400).contains(&(exp - created)),
        "{}",
        exp - created
    );
    for (bad, needle) in [
        (
            json!({"lifetimeActions": [], "attributes": {"expiryTime": "ninety days"}}),
            "ISO 8601",
        ),
        (
            json!({"lifetimeActions": [], "attributes": {"expiryTime": "P7D"}}),
            "28 days",
        ),
        (
            json!({"lifetimeActions": [{"trigger": {"timeAfterCreate": "P1D", "timeBeforeExpiry": "P1D"}, "action": {"type": "Rotate"}}]}),
            "exactly one",
        ),
        (
            json!({"lifetimeActions": [{"trigger": {"timeAfterCreate": "P1D"}, "action": {"type": "Explode"}}]}),
            "Rotate or Notify",
        ),
    ] {
        let p: types::KeyRotationPolicy = serde_json::from_value(bad).expect("policy");
        let err = call(c.update_key_rotation_policy("rot", &p))
            .await
            .expect_err("invalid policy");
        let (status, _, message) = status_and_code(&err);
        assert_eq!(status, 400);
        assert!(message.contains(needle), "{message}");
    }
    assert_eq!(
        status_and_code(&call(c.rotate_key("nope")).await.expect_err("404")).0,
        404
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn random_bytes_and_flavors() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    for n in [1u32, 64, 128] {
        let count = NonZeroU32::new(n).expect("nonzero");
        let r = call(c.get_random_bytes(&types::GetRandomBytesRequest {
            count,
            extra: Default::default(),
        }))
        .await
        .expect("rng");
        assert_eq!(
            b64::decode(r.value.expose_secret()).expect("b64").len(),
            n as usize
        );
    }
    for n in [0, 129, -1] {
        let req = RawRequest::new(Method::POST, "/rng")
            .with_json(&json!({"count": n}))
            .expect("json");
        let r = c.send_request(req).await.expect("raw");
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "count {n}");
    }
    emu.shutdown().await;

    let (emu, c) = start(EmulatorOptions {
        flavor: Flavor::Vault,
        ..Default::default()
    })
    .await;
    let four = NonZeroU32::new(4).expect("nonzero");
    assert!(
        call(c.get_random_bytes(&types::GetRandomBytesRequest {
            count: four,
            extra: Default::default()
        }))
        .await
        .is_err()
    );
    assert_eq!(
        status_and_code(
            &call(c.create_key("o", &create("oct", json!({}))))
                .await
                .expect_err("oct on a vault")
        )
        .0,
        400
    );
    call(c.create_key("r", &create("RSA-HSM", json!({}))))
        .await
        .expect("premium vault RSA-HSM");
    emu.shutdown().await;

    let (emu, c) = start(EmulatorOptions {
        flavor: Flavor::ManagedHsm,
        ..Default::default()
    })
    .await;
    assert_eq!(
        status_and_code(
            &call(c.create_key("r", &create("RSA", json!({}))))
                .await
                .expect_err("soft key on MHSM")
        )
        .0,
        400
    );
    call(c.create_key("o", &create("oct-HSM", json!({}))))
        .await
        .expect("oct-HSM");
    emu.shutdown().await;
}

#[tokio::test]
async fn key_attestation_is_emulated_for_hsm_keys() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    call(c.create_key("hsm", &create("RSA-HSM", json!({}))))
        .await
        .expect("create");
    call(c.create_key("soft", &create("RSA", json!({}))))
        .await
        .expect("create");
    let a = call(c.get_key_attestation("hsm", ""))
        .await
        .expect("attestation");
    let att = a
        .attributes
        .and_then(|a| a.attestation)
        .expect("attestation");
    let text = String::from_utf8(
        b64::decode(att.public_key_attestation.as_deref().expect("blob")).expect("b64"),
    )
    .expect("utf8");
    assert!(text.starts_with("EMULATED"), "{text}");
    assert_eq!(
        status_and_code(
            &call(c.get_key_attestation("soft", ""))
                .await
                .expect_err("soft")
        )
        .0,
        400
    );
    emu.shutdown().await;
}

/// Signs `(name, version)`'s encrypt etc. through the emulator for every algorithm.
#[tokio::test]
async fn cryptography_for_every_algorithm_and_the_usage_checks() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    call(c.create_key("rsa", &create("RSA", json!({}))))
        .await
        .expect("rsa");
    call(c.create_key("aes", &create("oct-HSM", json!({"key_size": 256}))))
        .await
        .expect("aes");
    call(c.create_key("aes192", &create("oct-HSM", json!({"key_size": 192}))))
        .await
        .expect("aes");
    let op = |alg: &str, value: &[u8]| -> types::KeyOperationsParameters {
        serde_json::from_value(json!({"alg": alg, "value": b64::encode(value)})).expect("params")
    };
    for alg in ["RSA-OAEP", "RSA-OAEP-256", "RSA1_5"] {
        let e = call(c.encrypt("rsa", "", &op(alg, b"hello")))
            .await
            .expect("encrypt");
        assert!(
            e.kid
                .as_deref()
                .is_some_and(|k| k.starts_with(&format!("{}/keys/rsa/", emu.vault_url())))
        );
        let d = call(c.decrypt(
            "rsa",
            "",
            &op(
                alg,
                &b64::decode(e.value.as_ref().map(|v| v.expose_secret()).expect("ct")).expect("ct"),
            ),
        ))
        .await
        .expect("decrypt");
        assert_eq!(
            b64::decode(d.value.as_ref().map(|v| v.expose_secret()).expect("pt")).expect("pt"),
            b"hello"
        );
        let w = call(c.wrap_key("rsa", "", &op(alg, &[1u8; 32])))
            .await
            .expect("wrap");
        let u = call(c.unwrap_key(
            "rsa",
            "",
            &op(
                alg,
                &b64::decode(w.value.as_ref().map(|v| v.expose_secret()).expect("w")).expect("w"),
            ),
        ))
        .await
        .expect("unwrap");
        assert_eq!(
            b64::decode(u.value.as_ref().map(|v| v.expose_secret()).expect("k")).expect("k"),
            [1u8; 32]
        );
    }
    for alg in ["A256GCM", "A256CBC", "A256CBCPAD"] {
        let mut p = op(alg, &[7u8; 32]);
        p.aad = alg.ends_with("GCM").then(|| b64::encode(b"aad"));
        let e = call(c.encrypt("aes", "", &p)).await.expect("encrypt");
        let mut d = op(
            alg,
            &b64::decode(e.value.as_ref().map(|v| v.expose_secret()).expect("ct")).expect("ct"),
        );
        d.iv = e.iv.clone();
        d.tag = e.tag.clone();
        d.aad = e.aad.clone();
        let out = call(c.decrypt("aes", "", &d)).await.expect("decrypt");
        assert_eq!(
            b64::decode(out.value.as_ref().map(|v| v.expose_secret()).expect("pt")).expect("pt"),
            [7u8; 32],
            "{alg}"
        );
    }
    for (key, alg) in [
        ("aes", "A256KW"),
        ("aes", "A256KWPAD"),
        ("aes", "CKM_AES_KEY_WRAP"),
        ("aes", "CKM_AES_KEY_WRAP_PAD"),
        ("aes192", "A192KW"),
        ("aes192", "A192KWPAD"),
    ] {
        let w = call(c.wrap_key(key, "", &op(alg, &[3u8; 24])))
            .await
            .expect("wrap");
        let u = call(c.unwrap_key(
            key,
            "",
            &op(
                alg,
                &b64::decode(w.value.as_ref().map(|v| v.expose_secret()).expect("w")).expect("w"),
            ),
        ))
        .await
        .expect("unwrap");
        assert_eq!(
            b64::decode(u.value.as_ref().map(|v| v.expose_secret()).expect("k")).expect("k"),
            [3u8; 24],
            "{alg}"
        );
    }
    // sign/verify for every RSA algorithm; ECDSA per curve
    for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] {
        let hash = keyvault_crypto::SignatureAlgorithm::parse(alg)
            .hash()
            .expect("hash");
        let digest = hash.digest(b"data");
        let s: types::KeySignParameters =
            serde_json::from_value(json!({"alg": alg, "value": b64::encode(&digest)}))
                .expect("sign");
        let sig = call(c.sign("rsa", "", &s))
            .await
            .expect("sign")
            .value
            .expect("sig");
        let v: types::KeyVerifyParameters = serde_json::from_value(
            json!({"alg": alg, "digest": b64::encode(&digest), "value": sig}),
        )
        .expect("verify");
        assert_eq!(
            call(c.verify("rsa", "", &v)).await.expect("verify").value,
            Some(true),
            "{alg}"
        );
    }
    // Algorithm that does not fit, and a digest of the wrong length: 400 with a message.
    let err = call(c.encrypt("rsa", "", &op("A256GCM", b"x")))
        .await
        .expect_err("mismatch");
    assert!(
        status_and_code(&err).2.contains("cannot"),
        "{:?}",
        status_and_code(&err)
    );
    let s: types::KeySignParameters =
        serde_json::from_value(json!({"alg": "RS256", "value": b64::encode(&[0u8; 20])}))
            .expect("sign");
    assert!(
        status_and_code(&call(c.sign("rsa", "", &s)).await.expect_err("digest"))
            .2
            .contains("32-byte digest")
    );

    // Decrypt failures read the same whatever the cause.
    let bad_padding = call(c.decrypt("rsa", "", &op("RSA1_5", &[5u8; 256])))
        .await
        .expect_err("padding");
    let bad_length = call(c.decrypt("rsa", "", &op("RSA-OAEP", &[5u8; 17])))
        .await
        .expect_err("length");
    let mut gcm = op("A256GCM", &[1u8; 16]);
    gcm.iv = Some(b64::encode(&[0u8; 12]));
    gcm.tag = Some(b64::encode(&[0u8; 16]));
    let bad_tag = call(c.decrypt("aes", "", &gcm)).await.expect_err("tag");
    let bad_unwrap = call(c.unwrap_key("aes", "", &op("A256KW", &[9u8; 40])))
        .await
        .expect_err("unwrap");
    let answers: Vec<(u16, String, String)> = [&bad_padding, &bad_length, &bad_tag, &bad_unwrap]
        .iter()
        .map(|e| status_and_code(e))
        .collect();
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");

    // Usage checks: key_ops, disabled, not yet valid, expired: 403 Forbidden.
    call(c.create_key("signonly", &create("RSA", json!({"key_ops": ["sign"]}))))
        .await
        .expect("create");
    let err = call(c.encrypt("signonly", "", &op("RSA-OAEP", b"x")))
        .await
        .expect_err("key_ops");
    assert_eq!(
        (status_and_code(&err).0, status_and_code(&err).1.as_str()),
        (403, "Forbidden")
    );
    let future = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    let past = time::OffsetDateTime::now_utc().unix_timestamp() - 3600;
    for (name, attrs, inner) in [
        ("disabled", json!({"enabled": false}), "KeyDisabled"),
        ("notyet", json!({"nbf": future}), "KeyNotYetValid"),
        ("expired", json!({"exp": past}), "KeyExpired"),
    ] {
        call(c.create_key(name, &create("RSA", json!({"attributes": attrs}))))
            .await
            .expect("create");
        let err = call(c.encrypt(name, "", &op("RSA-OAEP", b"x")))
            .await
            .expect_err(name);
        let h = err.http().expect("http");
        assert_eq!(
            (
                h.status.as_u16(),
                h.code.as_deref(),
                h.inner_code.as_deref()
            ),
            (403, Some("Forbidden"), Some(inner))
        );
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn release_with_a_trusted_attestation_token() {
    let authority = keyvault_crypto::generate(&KeySpec {
        kty: KeyType::Ec,
        size: None,
        curve: Some(keyvault_crypto::KeyCurveName::P256),
        public_exponent: None,
    })
    .expect("authority key");
    let runtime = keyvault_crypto::generate(&KeySpec {
        kty: KeyType::Rsa,
        size: Some(2048),
        curve: None,
        public_exponent: None,
    })
    .expect("runtime key");
    let options = EmulatorOptions {
        trusted_attestation_keys: vec![authority.public_only()],
        ..Default::default()
    };
    let (emu, c) = start(options).await;
    let policy = json!({"version": "1.0.0", "anyOf": [{"authority": "https://attest.test", "allOf": [{"claim": "x-ms-attestation-type", "equals": "sevsnpvm"}]}]});
    let release_policy =
        json!({"data": b64::encode(policy.to_string().as_bytes()), "immutable": false});
    let created = call(c.create_key(
        "exp",
        &create(
            "RSA-HSM",
            json!({"attributes": {"exportable": true}, "release_policy": release_policy}),
        ),
    ))
    .await
    .expect("exportable key");
    assert_eq!(
        created.attributes.as_ref().and_then(|a| a.exportable),
        Some(true)
    );
    let mut runtime_public = serde_json::to_value(runtime.public_only()).expect("jwk");
    runtime_public["kid"] = json!("TpmEphemeralEncryptionKey");
    let claims = json!({"iss": "https://attest.test", "x-ms-attestation-type": "sevsnpvm", "x-ms-runtime": {"keys": [runtime_public]}, "exp": 4102444800_i64});
    let token = keyvault_emulator::release::sign_token(&authority, &claims).expect("token");
    let params: types::KeyReleaseParameters = serde_json::from_value(
        json!({"target": token, "enc": "RSA_AES_KEY_WRAP_256", "nonce": "n-1"}),
    )
    .expect("params");
    let jws = call(c.release("exp", "", &params))
        .await
        .expect("release")
        .value
        .expect("jws");

    // The JWS verifies with the emulator's release key, and the wrapped key unwraps to the key.
    let parts: Vec<&str> = jws.expose_secret().split('.').collect();
    assert_eq!(parts.len(), 3);
    let signer = LocalKey::from_jwk(&emu.release_signing_key()).expect("signer");
    let digest = HashAlgorithm::Sha256.digest(format!("{}.{}", parts[0], parts[1]).as_bytes());
    assert!(
        signer
            .verify(
                &keyvault_crypto::SignatureAlgorithm::Rs256,
                &digest,
                &b64::decode(parts[2]).expect("sig")
            )
            .expect("verify")
            .is_valid
    );
    let payload: Value =
        serde_json::from_slice(&b64::decode(parts[1]).expect("payload")).expect("json");
    assert_eq!(payload["request"]["nonce"], "n-1");
    assert_eq!(payload["request"]["enc"], "RSA_AES_KEY_WRAP_256");
    let wrapped = b64::decode(
        payload["response"]["key"]["key"]["key_hsm"]
            .as_str()
            .expect("key_hsm"),
    )
    .expect("b64");
    let pkcs8 = keyvault_crypto::rsa_aes_key_unwrap(
        &runtime,
        &keyvault_crypto::KeyExportEncryptionAlgorithm::RsaAesKeyWrap256,
        &wrapped,
    )
    .expect("unwrap");
    let mut released = JsonWebKey::new(KeyType::Rsa);
    keyvault_crypto::engine::fill_rsa_from_pkcs8(&mut released, pkcs8.expose()).expect("pkcs8");
    assert_eq!(
        released.n.as_deref().map(b64::encode),
        created.key.as_ref().and_then(|k| k.n.clone()),
        "the released key is the vault's key"
    );

    // Claims that do not satisfy the policy; a token from an untrusted authority; a non-exportable key.
    let wrong = keyvault_emulator::release::sign_token(&authority, &json!({"iss": "https://attest.test", "x-ms-attestation-type": "tdx", "x-ms-runtime": {"keys": [runtime.public_only()]}})).expect("token");
    let p: types::KeyReleaseParameters =
        serde_json::from_value(json!({"target": wrong})).expect("params");
    assert_eq!(
        status_and_code(&call(c.release("exp", "", &p)).await.expect_err("policy")).0,
        403
    );
    let stranger = keyvault_crypto::generate(&KeySpec {
        kty: KeyType::Ec,
        size: None,
        curve: None,
        public_exponent: None,
    })
    .expect("key");
    let untrusted = keyvault_emulator::release::sign_token(&stranger, &claims).expect("token");
    let p: types::KeyReleaseParameters =
        serde_json::from_value(json!({"target": untrusted})).expect("params");
    assert!(
        status_and_code(&call(c.release("exp", "", &p)).await.expect_err("untrusted"))
            .2
            .contains("trusted")
    );
    call(c.create_key("plain", &create("RSA", json!({}))))
        .await
        .expect("plain");
    let p: types::KeyReleaseParameters =
        serde_json::from_value(json!({"target": token})).expect("params");
    assert!(
        status_and_code(
            &call(c.release("plain", "", &p))
                .await
                .expect_err("not exportable")
        )
        .2
        .contains("not exportable")
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn wire_details() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    call(c.create_key("w", &create("EC", json!({}))))
        .await
        .expect("create");
    let mut req = RawRequest::new(Method::GET, "/keys/w?api%2Dversion=7.3");
    req.headers
        .insert("x-ms-client-request-id", "my-id-1".parse().expect("header"));
    let r = c.send_request(req).await.expect("raw");
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        r.headers
            .get("x-ms-client-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("my-id-1")
    );
    assert!(r.headers.get("x-ms-request-id").is_some());
    assert!(r.headers.get("x-ms-keyvault-service-version").is_some());
    // Any api-version is accepted; literal segments win over a version.
    let r = c
        .send_request(RawRequest::new(
            Method::GET,
            "/keys/w/versions?api-version=2099-01-01-preview",
        ))
        .await
        .expect("raw");
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("\"value\""));
    // Malformed JSON, wrong types, oversized bodies: 400 BadParameter, never a 500.
    for body in [&b"{not json"[..], br#"{"kty": 5}"#, br#"[]"#] {
        let mut req = RawRequest::new(Method::POST, "/keys/x/create");
        req.body = Some(body.to_vec().into());
        let r = c.send_request(req).await.expect("raw");
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(body)
        );
        let v: Value = r.json().expect("json");
        assert_eq!(v["error"]["code"], "BadParameter");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("not valid")),
            "{v}"
        );
    }
    let mut req = RawRequest::new(Method::POST, "/keys/x/create");
    req.body = Some(vec![b' '; keyvault_emulator::MAX_BODY + 10].into());
    let r = c.send_request(req).await.expect("raw");
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("larger than"));
    let r = c
        .send_request(RawRequest::new(Method::GET, "/certificates/x"))
        .await
        .expect("raw");
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    emu.shutdown().await;
}

#[tokio::test]
async fn the_challenge_names_the_host_minus_its_first_label_and_a_token_can_be_required() {
    let options = EmulatorOptions {
        token: Some("sekret".into()),
        hostnames: vec!["myvault.localhost".into()],
        ..Default::default()
    };
    let emu = Emulator::start(options).await.expect("start");
    assert!(emu.vault_url().starts_with("https://myvault.localhost:"));
    let http = emu.http_client();
    let r = http
        .get(format!("{}/keys?api-version=7.6", emu.vault_url()))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let challenge = r
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .expect("challenge")
        .to_owned();
    assert!(
        challenge.contains(&format!(
            r#"resource="https://localhost:{}""#,
            emu.addr().port()
        )),
        "{challenge}"
    );
    assert!(challenge.contains(r#"authorization="https://login.microsoftonline.com/"#));
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "Unauthorized");
    let r = http
        .get(format!("{}/keys", emu.vault_url()))
        .bearer_auth("wrong")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http
        .get(format!("{}/keys", emu.vault_url()))
        .bearer_auth("sekret")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    // Our client with verification on: vault myvault.localhost under resource localhost.
    let c = Client::with_credential(emu.vault_url(), emu.credential(), emu.client_options())
        .expect("client");
    call(c.get_keys(None)).await.expect("verified challenge");
    emu.shutdown().await;
}

#[tokio::test]
async fn sqlite_store_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let options = EmulatorOptions {
        data_dir: Some(dir.path().join("data")),
        ..Default::default()
    };
    let (emu, c) = start(options.clone()).await;
    let k = call(c.create_key("durable", &create("RSA", json!({"tags": {"keep": "me"}}))))
        .await
        .expect("create");
    call(c.create_key("gone", &create("EC", json!({}))))
        .await
        .expect("create");
    call(c.delete_key("gone")).await.expect("delete");
    let blob = call(c.backup_key("durable"))
        .await
        .expect("backup")
        .value
        .expect("blob");
    emu.shutdown().await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("data/keyvault.db"))
            .expect("db")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    let (emu, c) = start(options).await;
    let again = call(c.get_key("durable", "")).await.expect("after restart");
    assert_eq!(
        again.key.as_ref().and_then(|k| k.n.clone()),
        k.key.as_ref().and_then(|k| k.n.clone())
    );
    assert_eq!(again.tags.get("keep").map(String::as_str), Some("me"));
    call(c.get_deleted_key("gone"))
        .await
        .expect("deleted state kept");
    // The backup key persists too: a backup from before the restart restores.
    call(c.delete_key("durable")).await.expect("delete");
    c.purge_deleted_key("durable").await.expect("purge");
    call(c.restore_key(&types::KeyRestoreParameters {
        value: blob,
        extra: Default::default(),
    }))
    .await
    .expect("restore old backup");
    // And the private key still works.
    let p: types::KeyOperationsParameters =
        serde_json::from_value(json!({"alg": "RSA-OAEP", "value": b64::encode(b"x")})).expect("p");
    let e = call(c.encrypt("durable", "", &p)).await.expect("encrypt");
    let d: types::KeyOperationsParameters =
        serde_json::from_value(json!({"alg": "RSA-OAEP", "value": e.value})).expect("d");
    assert_eq!(
        call(c.decrypt("durable", "", &d))
            .await
            .expect("decrypt")
            .value
            .as_ref()
            .map(|v| v.expose_secret()),
        Some("eA")
    );
    emu.shutdown().await;
}
