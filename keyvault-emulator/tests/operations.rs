//! Every operation of the emulator, in-process over HTTPS with our protocol
//! client: the happy path and the service's errors.

use std::num::NonZeroU32;

use keyvault_crypto::{
    HashAlgorithm, HashDigest as _, JsonWebKey, KeySpec, KeyType, LocalKey, b64,
};
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
        Some(enums::KeyRotationPolicyAction::Notify)
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
        Some(enums::KeyRotationPolicyAction::Rotate),
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
        trusted_attestation_keys: vec![keyvault_emulator::TrustedAttestationKey::new(
            "https://attest.test",
            authority.public_only(),
        )],
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

// ----------------------------------------------------------------------
// Issue 9: an emulator that one request cannot knock over.
// ----------------------------------------------------------------------

/// One request sent with the emulator's own HTTP client (no retries, so a
/// 500 is seen as it was answered); the status, the JSON body (or Null), and
/// the headers. `Err` when the connection failed.
async fn raw(
    emu: &Emulator,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<
    (
        u16,
        Value,
        keyvault_keys_protocol::reqwest::header::HeaderMap,
    ),
    String,
> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut req = emu
        .http_client()
        .request(
            method,
            format!("{}{path}{sep}api-version=2025-07-01", emu.vault_url()),
        )
        .bearer_auth(keyvault_emulator::DEFAULT_TOKEN);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let r = req.send().await.map_err(|e| format!("{e:?}"))?;
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.map_err(|e| format!("{e:?}"))?;
    let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok((status, v, headers))
}

async fn status(emu: &Emulator, method: Method, path: &str, body: Option<Value>) -> u16 {
    raw(emu, method, path, body).await.map(|r| r.0).unwrap_or(0)
}

#[tokio::test]
async fn an_out_of_range_duration_is_refused_and_never_breaks_the_vault() {
    let (emu, _c) = start(EmulatorOptions::default()).await;
    assert_eq!(
        status(
            &emu,
            Method::POST,
            "/keys/k/create",
            Some(json!({"kty": "EC"}))
        )
        .await,
        200
    );
    // The sequence from the issue: a policy whose expiry is past year 9999, then rotate.
    let huge = raw(
        &emu,
        Method::PUT,
        "/keys/k/rotationpolicy",
        Some(json!({"lifetimeActions": [], "attributes": {"expiryTime": "P99999999D"}})),
    )
    .await;
    let rotated = raw(&emu, Method::POST, "/keys/k/rotate", None).await;
    // A number that overflows i64 arithmetic while parsing.
    let weeks = raw(
        &emu,
        Method::PUT,
        "/keys/k/rotationpolicy",
        Some(json!({"lifetimeActions": [], "attributes": {"expiryTime": "P9223372036854775807W"}})),
    )
    .await;
    let trigger = raw(&emu, Method::PUT, "/keys/k/rotationpolicy", Some(json!({"lifetimeActions": [{"trigger": {"timeAfterCreate": "P9223372036854775807W"}, "action": {"type": "Rotate"}}]}))).await;
    // The vault still answers: a later request is served normally.
    assert_eq!(status(&emu, Method::GET, "/keys/k", None).await, 200);
    assert_eq!(status(&emu, Method::GET, "/keys", None).await, 200);
    for (what, r) in [("P99999999D", &huge), ("P9223372036854775807W", &weeks)] {
        let (s, body, _) = r.as_ref().expect("an answer");
        assert_eq!(*s, 400, "{what}: {body}");
        assert_eq!(body["error"]["code"], "BadParameter");
        let m = body["error"]["message"].as_str().unwrap_or("");
        assert!(m.contains("expiryTime"), "{what}: {m}");
    }
    let (s, body, _) = trigger.expect("an answer");
    assert_eq!(s, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("lifetimeActions[0]"),
        "{body}"
    );
    // Rotate ran without the refused policy: a new version, no panic.
    assert_eq!(rotated.expect("an answer").0, 200);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_refused_update_changes_nothing() {
    let (emu, _c) = start(EmulatorOptions::default()).await;
    let create = json!({"kty": "RSA", "tags": {"a": "1"}});
    assert_eq!(
        status(&emu, Method::POST, "/keys/k/create", Some(create)).await,
        200
    );
    // exportable without a release policy is refused; nothing else in the request may stick.
    let refused = raw(
        &emu,
        Method::PATCH,
        "/keys/k",
        Some(json!({"attributes": {"exportable": true, "enabled": false, "exp": 4102444800_i64}, "tags": {"b": "2"}, "key_ops": ["sign"]})),
    )
    .await
    .expect("answer");
    assert_eq!(refused.0, 400, "{}", refused.1);
    let (s, got, _) = raw(&emu, Method::GET, "/keys/k", None).await.expect("get");
    assert_eq!(s, 200);
    assert_eq!(got["attributes"]["exportable"], false, "{got}");
    assert_eq!(got["attributes"]["enabled"], true, "{got}");
    assert!(got["attributes"].get("exp").is_none(), "{got}");
    assert_eq!(got["tags"], json!({"a": "1"}));
    assert_eq!(got["key"]["key_ops"].as_array().map(Vec::len), Some(6));
    emu.shutdown().await;
}

async fn versions(emu: &Emulator, name: &str) -> usize {
    let (s, v, _) = raw(emu, Method::GET, &format!("/keys/{name}/versions"), None)
        .await
        .expect("versions");
    assert_eq!(s, 200, "{v}");
    v["value"].as_array().map(Vec::len).unwrap_or(0)
}

/// What the vault holds, as its answers show it.
async fn observe(emu: &Emulator) -> Value {
    let mut out = serde_json::Map::new();
    for name in ["k", "gone", "new", "restored"] {
        let (s, v, _) = raw(emu, Method::GET, &format!("/keys/{name}"), None)
            .await
            .expect("get");
        let (ds, _, _) = raw(emu, Method::GET, &format!("/deletedkeys/{name}"), None)
            .await
            .expect("get deleted");
        let n = if s == 200 {
            versions(emu, name).await
        } else {
            0
        };
        out.insert(
            name.to_owned(),
            json!({"live": s, "deleted": ds, "versions": n, "tags": v["tags"], "enabled": v["attributes"]["enabled"]}),
        );
    }
    let (_, p, _) = raw(emu, Method::GET, "/keys/k/rotationpolicy", None)
        .await
        .expect("policy");
    out.insert("policy".into(), p["attributes"].clone());
    Value::Object(out)
}

#[tokio::test]
async fn a_failed_commit_changes_nothing_in_memory_or_on_disk() {
    let dir = tempfile::tempdir().expect("tmp");
    let options = EmulatorOptions {
        data_dir: Some(dir.path().join("data")),
        ..Default::default()
    };
    let (emu, _c) = start(options.clone()).await;
    for name in ["k", "gone", "restored"] {
        let b = json!({"kty": "EC", "tags": {"t": "0"}});
        assert_eq!(
            status(&emu, Method::POST, &format!("/keys/{name}/create"), Some(b)).await,
            200
        );
    }
    assert_eq!(status(&emu, Method::DELETE, "/keys/gone", None).await, 200);
    let (_, blob, _) = raw(&emu, Method::POST, "/keys/restored/backup", None)
        .await
        .expect("backup");
    assert_eq!(
        status(&emu, Method::DELETE, "/keys/restored", None).await,
        200
    );
    assert_eq!(
        status(&emu, Method::DELETE, "/deletedkeys/restored", None).await,
        204
    );
    let before = observe(&emu).await;

    let policy = json!({"lifetimeActions": [], "attributes": {"expiryTime": "P90D"}});
    let writes: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::POST, "/keys/k/create", Some(json!({"kty": "EC"}))),
        (Method::POST, "/keys/new/create", Some(json!({"kty": "EC"}))),
        (
            Method::PUT,
            "/keys/k",
            Some(json!({"key": {"kty": "oct", "k": b64::encode(&[7u8; 32])}})),
        ),
        (
            Method::PATCH,
            "/keys/k",
            Some(json!({"tags": {"t": "1"}, "attributes": {"enabled": false}})),
        ),
        (Method::PUT, "/keys/k/rotationpolicy", Some(policy)),
        (Method::POST, "/keys/k/rotate", None),
        (Method::DELETE, "/keys/k", None),
        (Method::DELETE, "/deletedkeys/gone", None),
        (Method::POST, "/deletedkeys/gone/recover", None),
        (
            Method::POST,
            "/keys/restore",
            Some(json!({"value": blob["value"]})),
        ),
    ];
    for (method, path, body) in writes {
        emu.fail_next_commits(1);
        let r = raw(&emu, method.clone(), path, body).await.expect("answer");
        assert_eq!(r.0, 500, "{method} {path}: {}", r.1);
        emu.fail_next_commits(0);
        assert_eq!(
            observe(&emu).await,
            before,
            "memory after a failed {method} {path}"
        );
    }
    emu.shutdown().await;
    let (emu, _c) = start(options.clone()).await;
    assert_eq!(observe(&emu).await, before, "disk after the failed writes");
    // A purge that did commit stays purged.
    assert_eq!(
        status(&emu, Method::DELETE, "/deletedkeys/gone", None).await,
        204
    );
    emu.shutdown().await;
    let (emu, _c) = start(options).await;
    assert_eq!(
        status(&emu, Method::GET, "/deletedkeys/gone", None).await,
        404
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_do_not_wait_for_a_key_generation() {
    let (emu, _c) = start(EmulatorOptions::default()).await;
    assert_eq!(
        status(
            &emu,
            Method::POST,
            "/keys/other/create",
            Some(json!({"kty": "EC"}))
        )
        .await,
        200
    );
    let emu = std::sync::Arc::new(emu);
    let e = emu.clone();
    let started = std::time::Instant::now();
    let create = tokio::spawn(async move {
        for i in 0..2 {
            let s = status(
                &e,
                Method::POST,
                &format!("/keys/big{i}/create"),
                Some(json!({"kty": "RSA", "key_size": 4096})),
            )
            .await;
            assert_eq!(s, 200);
        }
        started.elapsed()
    });
    let mut slowest = std::time::Duration::ZERO;
    let mut during = 0;
    while !create.is_finished() {
        let t = std::time::Instant::now();
        assert_eq!(status(&emu, Method::GET, "/keys/other", None).await, 200);
        slowest = slowest.max(t.elapsed());
        if !create.is_finished() {
            during += 1;
        }
    }
    let create_took = create.await.expect("create task");
    assert!(
        during >= 2,
        "{during} reads finished while the keys were generated"
    );
    assert!(
        slowest * 3 < create_took,
        "the slowest read took {slowest:?}, the two generations {create_took:?}"
    );
    if let Ok(emu) = std::sync::Arc::try_unwrap(emu) {
        emu.shutdown().await;
    }
}

fn tls_connector(emu: &Emulator) -> tokio_rustls::TlsConnector {
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(emu.ca_pem().as_bytes()) {
        roots.add(cert.expect("pem")).expect("root");
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
}

/// Reads until the peer closes; `true` when it closed within `within`.
async fn closed_within<R: tokio::io::AsyncRead + Unpin>(
    r: &mut R,
    within: std::time::Duration,
) -> (bool, Vec<u8>) {
    use tokio::io::AsyncReadExt as _;
    let mut got = Vec::new();
    let r = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match r.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    (r.is_ok(), got)
}

#[tokio::test]
async fn silent_and_slow_connections_are_cut_off_and_others_are_served() {
    use tokio::io::AsyncWriteExt as _;
    let limits = keyvault_emulator::ConnectionLimits {
        tls_handshake_timeout: std::time::Duration::from_millis(500),
        header_read_timeout: std::time::Duration::from_millis(500),
        body_read_timeout: std::time::Duration::from_millis(500),
        write_timeout: std::time::Duration::from_millis(500),
        max_connections: 64,
    };
    let (emu, _c) = start(EmulatorOptions {
        limits,
        ..Default::default()
    })
    .await;
    let bound = std::time::Duration::from_secs(8);
    // 1. A TCP connection that never starts TLS.
    let mut silent = tokio::net::TcpStream::connect(emu.addr())
        .await
        .expect("tcp");
    // 2. TLS, then no request.
    let tcp = tokio::net::TcpStream::connect(emu.addr())
        .await
        .expect("tcp");
    let server_name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let mut idle = tls_connector(&emu)
        .connect(server_name.clone(), tcp)
        .await
        .expect("tls");
    // 3. TLS, headers, then a body that trickles.
    let tcp = tokio::net::TcpStream::connect(emu.addr())
        .await
        .expect("tcp");
    let mut slow = tls_connector(&emu)
        .connect(server_name, tcp)
        .await
        .expect("tls");
    slow.write_all(
        format!(
            "POST /keys/s/create?api-version=7.6 HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{{",
            keyvault_emulator::DEFAULT_TOKEN
        )
        .as_bytes(),
    )
    .await
    .expect("write");
    slow.flush().await.expect("flush");
    let (mut slow_read, mut slow_write) = tokio::io::split(slow);
    let drip = tokio::spawn(async move {
        for _ in 0..100 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            if slow_write.write_all(b" ").await.is_err() || slow_write.flush().await.is_err() {
                break;
            }
        }
    });
    // Others are served meanwhile.
    assert_eq!(status(&emu, Method::GET, "/keys", None).await, 200);
    let (closed, _) = closed_within(&mut silent, bound).await;
    assert!(
        closed,
        "a TCP connection without a TLS handshake stays open"
    );
    let (closed, _) = closed_within(&mut idle, bound).await;
    assert!(closed, "a TLS connection without a request stays open");
    let (closed, answer) = closed_within(&mut slow_read, bound).await;
    assert!(closed, "a request whose body trickles stays open");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    drip.abort();
    assert_eq!(status(&emu, Method::GET, "/keys", None).await, 200);
    emu.shutdown().await;
}

#[tokio::test]
async fn release_refuses_tokens_it_should_not_trust() {
    let ec = || {
        keyvault_crypto::generate(&KeySpec {
            kty: KeyType::Ec,
            size: None,
            curve: Some(keyvault_crypto::KeyCurveName::P256),
            public_exponent: None,
        })
        .expect("key")
    };
    let (good, other) = (ec(), ec());
    let runtime = keyvault_crypto::generate(&KeySpec {
        kty: KeyType::Rsa,
        size: Some(2048),
        curve: None,
        public_exponent: None,
    })
    .expect("runtime key");
    let options = EmulatorOptions {
        trusted_attestation_keys: vec![
            keyvault_emulator::TrustedAttestationKey::new(
                "https://attest.test",
                good.public_only(),
            ),
            keyvault_emulator::TrustedAttestationKey::new(
                "https://other.test",
                other.public_only(),
            ),
        ],
        ..Default::default()
    };
    let (emu, _c) = start(options).await;
    let policy = json!({"version": "1.0.0", "anyOf": [{"authority": "https://attest.test", "allOf": [{"claim": "x-ms-attestation-type", "equals": "sevsnpvm"}]}]});
    let body = json!({"kty": "RSA-HSM", "attributes": {"exportable": true}, "release_policy": {"data": b64::encode(policy.to_string().as_bytes())}});
    assert_eq!(
        status(&emu, Method::POST, "/keys/r/create", Some(body)).await,
        200
    );
    let claims = |extra: Value| {
        let mut c = json!({"iss": "https://attest.test", "x-ms-attestation-type": "sevsnpvm", "x-ms-runtime": {"keys": [runtime.public_only()]}});
        if let (Some(o), Some(e)) = (c.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        c
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let cases = [
        (
            "a trusted key for another authority",
            &other,
            claims(json!({"exp": now + 3600})),
        ),
        (
            "exp as a string",
            &good,
            claims(json!({"exp": (now + 3600).to_string()})),
        ),
        ("no exp", &good, claims(json!({}))),
        (
            "exp 1.7e9 (past, as a float)",
            &good,
            claims(json!({"exp": 1.7e9})),
        ),
        (
            "nbf in the future (a float)",
            &good,
            claims(json!({"exp": now + 7200, "nbf": (now + 3600) as f64 + 0.5})),
        ),
        (
            "nbf as a string",
            &good,
            claims(json!({"exp": now + 7200, "nbf": "0"})),
        ),
    ];
    for (what, key, c) in cases {
        let token = keyvault_emulator::release::sign_token(key, &c).expect("token");
        let (s, body, _) = raw(
            &emu,
            Method::POST,
            "/keys/r//release",
            Some(json!({"target": token})),
        )
        .await
        .expect("answer");
        assert_eq!(s, 403, "{what}: {body}");
        assert_eq!(body["error"]["code"], "Forbidden", "{what}");
    }
    // Accepted: the bound key, a numeric exp (a float too) in the future, nbf in the past.
    for exp in [json!(now + 3600), json!((now + 3600) as f64 + 0.25)] {
        let token = keyvault_emulator::release::sign_token(
            &good,
            &claims(json!({"exp": exp, "nbf": now - 60})),
        )
        .expect("token");
        let (s, body, _) = raw(
            &emu,
            Method::POST,
            "/keys/r//release",
            Some(json!({"target": token})),
        )
        .await
        .expect("answer");
        assert_eq!(s, 200, "{body}");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn any_token_on_a_non_loopback_address_needs_an_explicit_opt_in() {
    let open = EmulatorOptions {
        listen: std::net::SocketAddr::from(([0, 0, 0, 0], 0)),
        ..Default::default()
    };
    let err = Emulator::start(open.clone())
        .await
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("--token") && err.contains("--insecure-any-token"),
        "{err}"
    );
    let emu = Emulator::start(EmulatorOptions {
        token: Some("s3cret".into()),
        ..open.clone()
    })
    .await
    .expect("with a token");
    emu.shutdown().await;
    let emu = Emulator::start(EmulatorOptions {
        insecure_any_token: true,
        ..open
    })
    .await
    .expect("opted in");
    emu.shutdown().await;
    // On loopback any token is still fine; with a token only that one (same length, one byte off, refused).
    let emu = Emulator::start(EmulatorOptions {
        token: Some("s3cret".into()),
        ..Default::default()
    })
    .await
    .expect("start");
    for (t, want) in [
        ("s3cret", 200),
        ("s3cres", 401),
        ("s3cre", 401),
        ("s3crett", 401),
    ] {
        let r = emu
            .http_client()
            .get(format!("{}/keys", emu.vault_url()))
            .bearer_auth(t)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status().as_u16(), want, "{t}");
    }
    emu.shutdown().await;
}

/// Starts the binary; returns the child and the lines it printed (URL, CA).
fn spawn_binary(args: &[&str]) -> (std::process::Child, String, String) {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_keyvault-emulator"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let url = lines.next().and_then(Result::ok).unwrap_or_default();
    let ca = lines.next().and_then(Result::ok).unwrap_or_default();
    (child, url, ca)
}

#[test]
fn the_binary_refuses_any_token_on_a_public_address() {
    use std::io::Read as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_keyvault-emulator"))
        .args(["--listen", "0.0.0.0:0"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut err = String::new();
    let _ = child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err);
    let status = status.expect("the emulator started serving any token on 0.0.0.0");
    assert!(!status.success());
    assert!(
        err.contains("--token") && err.contains("--insecure-any-token"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn the_ca_file_never_follows_a_planted_symlink() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("tmp");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").expect("victim");
    // An explicit --ca-out that someone replaced by a symlink.
    let planted = dir.path().join("ca.pem");
    std::os::unix::fs::symlink(&victim, &planted).expect("symlink");
    let out = planted.to_string_lossy().into_owned();
    let (mut child, url, ca) = spawn_binary(&["--listen", "127.0.0.1:0", "--ca-out", &out]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(url.starts_with("KEYVAULT_URL=https://"), "{url}");
    assert_eq!(ca, format!("KEYVAULT_CA={out}"));
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "precious"
    );
    let meta = std::fs::symlink_metadata(&planted).expect("ca");
    assert!(
        meta.file_type().is_file(),
        "the symlink was replaced by a file"
    );
    assert!(
        std::fs::read_to_string(&planted)
            .expect("ca")
            .contains("BEGIN CERTIFICATE")
    );

    // The default place: the old guessable name is planted for the port the emulator will use.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let guessable = std::env::temp_dir().join(format!("keyvault-emulator-{port}-ca.pem"));
    let _ = std::fs::remove_file(&guessable);
    std::os::unix::fs::symlink(&victim, &guessable).expect("symlink");
    let listen = format!("127.0.0.1:{port}");
    let (mut child, url, ca) = spawn_binary(&["--listen", &listen]);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&guessable);
    assert!(url.starts_with("KEYVAULT_URL=https://"), "{url}");
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "precious"
    );
    let path = std::path::PathBuf::from(ca.trim_start_matches("KEYVAULT_CA="));
    let meta = std::fs::symlink_metadata(&path).expect("ca file");
    assert!(meta.file_type().is_file());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let parent = path.parent().expect("parent");
    assert_eq!(
        std::fs::metadata(parent).expect("dir").permissions().mode() & 0o777,
        0o700
    );
    if parent != std::env::temp_dir() {
        let _ = std::fs::remove_dir_all(parent);
    }
}

#[tokio::test]
async fn injected_faults_follow_their_rates_and_a_reset_after_really_ran() {
    let faults = keyvault_emulator::Faults {
        throttle: 0.25,
        reset: 0.1,
        latency: Some(std::time::Duration::from_millis(3)),
        seed: Some(7),
    };
    let (emu, _c) = start(EmulatorOptions {
        faults: Some(faults),
        ..Default::default()
    })
    .await;
    let (mut acked, mut unknown, mut throttled) = (0u64, 0u64, 0u64);
    let mut forms = std::collections::BTreeSet::new();
    for _ in 0..200 {
        match raw(
            &emu,
            Method::POST,
            "/keys/f/create",
            Some(json!({"kty": "EC"})),
        )
        .await
        {
            Ok((200, _, _)) => acked += 1,
            Ok((s @ (429 | 503), body, headers)) => {
                throttled += 1;
                assert!(body["error"]["code"].is_string(), "{s}: {body}");
                let form = ["retry-after", "retry-after-ms", "x-ms-retry-after-ms"]
                    .into_iter()
                    .find(|h| headers.contains_key(*h))
                    .expect("a Retry-After form");
                let delay: u64 = headers[form]
                    .to_str()
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .expect("a number");
                assert!(delay <= 50, "{form}: {delay}");
                if form == "retry-after" {
                    assert_eq!(delay, 0);
                }
                forms.insert(form);
            }
            Ok((s, body, _)) => panic!("unexpected {s}: {body}"),
            Err(_) => unknown += 1,
        }
    }
    let stats = emu.fault_stats();
    assert_eq!(stats.requests, 200, "{stats:?}");
    assert_eq!(stats.throttled, throttled, "{stats:?}");
    assert_eq!(stats.reset_before + stats.reset_after, unknown, "{stats:?}");
    assert!((30..=70).contains(&throttled), "{stats:?}");
    assert!((8..=36).contains(&unknown), "{stats:?}");
    assert!(stats.reset_before > 0 && stats.reset_after > 0, "{stats:?}");
    assert_eq!(forms.len(), 3, "{forms:?}");
    // Count the versions (reads are safe to repeat through the faults):
    // every acknowledged create and every reset-after made one, nothing else did.
    let mut versions = 0u64;
    let mut next = Some("/keys/f/versions?maxresults=25".to_owned());
    while let Some(path) = next.take() {
        let page = loop {
            if let Ok((200, v, _)) = raw(&emu, Method::GET, &path, None).await {
                break v;
            }
        };
        versions += page["value"]
            .as_array()
            .map(|a| a.len() as u64)
            .unwrap_or(0);
        next = page["nextLink"]
            .as_str()
            .map(|l| l.trim_start_matches(emu.vault_url()).to_owned());
    }
    assert_eq!(
        versions,
        acked + stats.reset_after,
        "{stats:?}, {acked} acknowledged"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn byok_import_with_a_key_exchange_key() {
    use keyvault_crypto::KeyExportEncryptionAlgorithm;
    let (emu, _c) = start(EmulatorOptions::default()).await;
    let (s, kek, _) = raw(
        &emu,
        Method::POST,
        "/keys/kek/create",
        Some(json!({"kty": "RSA-HSM", "key_size": 2048, "key_ops": ["import"]})),
    )
    .await
    .expect("kek");
    assert_eq!(s, 200, "{kek}");
    let kek_kid = kek["key"]["kid"].as_str().expect("kid").to_owned();
    let kek_public: types::JsonWebKey = serde_json::from_value(kek["key"].clone()).expect("jwk");
    let kek_public = JsonWebKey::from_protocol(&kek_public).expect("kek jwk");
    let blob = |kid: &str, material: &[u8]| {
        let ct = keyvault_crypto::rsa_aes_key_wrap(
            &kek_public,
            &KeyExportEncryptionAlgorithm::CkmRsaAesKeyWrap,
            material,
        )
        .expect("wrap");
        let transfer = json!({"schema_version": "1.0.0", "header": {"kid": kid, "alg": "dir", "enc": "CKM_RSA_AES_KEY_WRAP"}, "ciphertext": b64::encode(&ct), "generator": "keyvault-emulator tests"});
        b64::encode(transfer.to_string().as_bytes())
    };
    let make = |kty: KeyType, size: Option<u32>, curve: Option<keyvault_crypto::KeyCurveName>| {
        keyvault_crypto::generate(&KeySpec {
            kty,
            size,
            curve,
            public_exponent: None,
        })
        .expect("generate")
    };

    // RSA: import, then sign in the vault and verify locally with the original.
    let rsa = make(KeyType::Rsa, Some(2048), None);
    let der = LocalKey::from_jwk(&rsa)
        .expect("rsa")
        .private_key_der()
        .expect("der");
    let body = json!({"key": {"kty": "RSA-HSM", "key_hsm": blob(&kek_kid, der.expose()), "key_ops": ["sign", "verify"]}});
    let (s, imported, _) = raw(&emu, Method::PUT, "/keys/byok-rsa", Some(body))
        .await
        .expect("import");
    assert_eq!(s, 200, "{imported}");
    assert_eq!(imported["key"]["kty"], "RSA-HSM");
    assert_eq!(
        imported["key"]["n"].as_str(),
        rsa.n.as_deref().map(b64::encode).as_deref()
    );
    assert!(imported["key"].get("key_hsm").is_none() && imported["key"].get("d").is_none());
    let digest = HashAlgorithm::Sha256.digest(b"bring your own key");
    let (s, sig, _) = raw(
        &emu,
        Method::POST,
        "/keys/byok-rsa//sign",
        Some(json!({"alg": "RS256", "value": b64::encode(&digest)})),
    )
    .await
    .expect("sign");
    assert_eq!(s, 200, "{sig}");
    let signature = b64::decode(sig["value"].as_str().expect("sig")).expect("b64");
    assert!(
        LocalKey::from_jwk(&rsa.public_only())
            .expect("public")
            .verify(
                &keyvault_crypto::SignatureAlgorithm::Rs256,
                &digest,
                &signature
            )
            .expect("verify")
            .is_valid
    );

    // EC and oct.
    let ec = make(KeyType::Ec, None, Some(keyvault_crypto::KeyCurveName::P384));
    let der = LocalKey::from_jwk(&ec)
        .expect("ec")
        .private_key_der()
        .expect("der");
    let body = json!({"key": {"kty": "EC-HSM", "key_hsm": blob(&kek_kid, der.expose())}});
    let (s, imported, _) = raw(&emu, Method::PUT, "/keys/byok-ec", Some(body))
        .await
        .expect("import");
    assert_eq!(s, 200, "{imported}");
    assert_eq!(imported["key"]["crv"], "P-384");
    assert_eq!(
        imported["key"]["x"].as_str(),
        ec.x.as_deref().map(b64::encode).as_deref()
    );
    let aes = [9u8; 32];
    let body = json!({"key": {"kty": "oct-HSM", "key_hsm": blob(&kek_kid, &aes)}});
    let (s, imported, _) = raw(&emu, Method::PUT, "/keys/byok-oct", Some(body))
        .await
        .expect("import");
    assert_eq!(s, 200, "{imported}");
    let (s, enc, _) = raw(
        &emu,
        Method::POST,
        "/keys/byok-oct//encrypt",
        Some(json!({"alg": "A256GCM", "value": b64::encode(b"hello")})),
    )
    .await
    .expect("encrypt");
    assert_eq!(s, 200, "{enc}");
    let mut local = JsonWebKey::new(KeyType::Oct);
    local.k = Some(keyvault_crypto::SecretBytes::from_slice(&aes));
    let plain = LocalKey::from_jwk(&local)
        .expect("oct")
        .decrypt(
            &keyvault_crypto::DecryptParameters::new(
                keyvault_crypto::EncryptionAlgorithm::A256Gcm,
                b64::decode(enc["value"].as_str().expect("ct")).expect("b64"),
            )
            .with_iv(b64::decode(enc["iv"].as_str().expect("iv")).expect("b64"))
            .with_tag(b64::decode(enc["tag"].as_str().expect("tag")).expect("b64")),
        )
        .expect("decrypt");
    assert_eq!(plain.plaintext, b"hello");

    // Refusals: 400 BadParameter with a clear message, and nothing imported.
    assert_eq!(
        status(
            &emu,
            Method::POST,
            "/keys/plain/create",
            Some(json!({"kty": "RSA-HSM"}))
        )
        .await,
        200
    );
    let (_, plain_kek, _) = raw(&emu, Method::GET, "/keys/plain", None)
        .await
        .expect("get");
    let plain_kid = plain_kek["key"]["kid"].as_str().expect("kid").to_owned();
    assert_eq!(
        status(
            &emu,
            Method::POST,
            "/keys/old/create",
            Some(json!({"kty": "RSA-HSM", "key_ops": ["import"], "attributes": {"exp": 1}}))
        )
        .await,
        200
    );
    let (_, old_kek, _) = raw(&emu, Method::GET, "/keys/old", None)
        .await
        .expect("get");
    let old_kid = old_kek["key"]["kid"].as_str().expect("kid").to_owned();
    let missing_kid = format!(
        "{}/keys/nokek/0123456789abcdef0123456789abcdef",
        emu.vault_url()
    );
    let garbage = b64::encode(b"not json");
    for (what, key, needle) in [
        (
            "a KEK without import",
            json!({"kty": "oct-HSM", "key_hsm": blob(&plain_kid, &aes)}),
            "import",
        ),
        (
            "a KEK that does not exist",
            json!({"kty": "oct-HSM", "key_hsm": blob(&missing_kid, &aes)}),
            "does not exist",
        ),
        (
            "an expired KEK",
            json!({"kty": "oct-HSM", "key_hsm": blob(&old_kid, &aes)}),
            "expired",
        ),
        (
            "not a transfer blob",
            json!({"kty": "oct-HSM", "key_hsm": garbage}),
            "transfer blob",
        ),
        (
            "a non-HSM kty",
            json!({"kty": "oct", "key_hsm": blob(&kek_kid, &aes)}),
            "oct-HSM",
        ),
    ] {
        let (s, body, _) = raw(
            &emu,
            Method::PUT,
            "/keys/refused",
            Some(json!({"key": key})),
        )
        .await
        .expect("answer");
        assert_eq!(s, 400, "{what}: {body}");
        assert_eq!(body["error"]["code"], "BadParameter", "{what}");
        let m = body["error"]["message"].as_str().unwrap_or("");
        assert!(m.contains(needle), "{what}: {m}");
    }
    assert_eq!(status(&emu, Method::GET, "/keys/refused", None).await, 404);
    emu.shutdown().await;
}

#[tokio::test]
async fn the_connection_cap_holds_excess_clients_until_a_slot_frees() {
    let limits = keyvault_emulator::ConnectionLimits {
        tls_handshake_timeout: std::time::Duration::from_secs(1),
        header_read_timeout: std::time::Duration::from_secs(1),
        body_read_timeout: std::time::Duration::from_secs(1),
        write_timeout: std::time::Duration::from_secs(1),
        max_connections: 1,
    };
    let (emu, _c) = start(EmulatorOptions {
        limits,
        ..Default::default()
    })
    .await;
    let emu = std::sync::Arc::new(emu);
    // The only slot: a TLS connection that sends no request.
    let tcp = tokio::net::TcpStream::connect(emu.addr())
        .await
        .expect("tcp");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let mut idle = tls_connector(&emu).connect(name, tcp).await.expect("tls");
    let e = emu.clone();
    let waiting = tokio::spawn(async move {
        let s = status(&e, Method::GET, "/keys", None).await;
        (s, std::time::Instant::now())
    });
    let (closed, _) = closed_within(&mut idle, std::time::Duration::from_secs(8)).await;
    let idle_closed_at = std::time::Instant::now();
    assert!(closed, "the idle connection was not cut off");
    let (s, served_at) = waiting.await.expect("task");
    assert_eq!(s, 200, "the waiting client is served once the slot frees");
    assert!(
        served_at >= idle_closed_at,
        "the second client was served while the only slot was taken"
    );
    if let Ok(emu) = std::sync::Arc::try_unwrap(emu) {
        emu.shutdown().await;
    }
}

#[test]
fn the_binary_binds_each_trusted_attestation_key_to_an_authority() {
    let dir = tempfile::tempdir().expect("tmp");
    let key = keyvault_crypto::generate(&KeySpec {
        kty: KeyType::Ec,
        size: None,
        curve: None,
        public_exponent: None,
    })
    .expect("key");
    let file = dir.path().join("jwks.json");
    std::fs::write(
        &file,
        json!({"keys": [serde_json::to_value(key.public_only()).expect("jwk")]}).to_string(),
    )
    .expect("write");
    let file = file.to_string_lossy().into_owned();
    // A bare FILE is refused with the form it needs.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keyvault-emulator"))
        .args(["--listen", "127.0.0.1:0", "--trust-attestation-key", &file])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("AUTHORITY=FILE"), "{err}");
    // AUTHORITY=FILE starts.
    let ca = dir.path().join("ca.pem").to_string_lossy().into_owned();
    let bound = format!("https://attest.test={file}");
    let (mut child, url, _) = spawn_binary(&[
        "--listen",
        "127.0.0.1:0",
        "--ca-out",
        &ca,
        "--trust-attestation-key",
        &bound,
    ]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(url.starts_with("KEYVAULT_URL=https://"), "{url}");
}

#[tokio::test]
async fn a_list_continues_after_the_last_name_seen_when_keys_change_between_pages() {
    // The continuation token names a position (the last key of the page), not
    // an offset: a key deleted or added before that position between two
    // pages neither skips nor repeats a key (an offset token did both), and a
    // page costs O(page size + log n) (issue 11 P4: every page used to build
    // and sort the whole list).
    let (emu, _client) = start(EmulatorOptions::default()).await;
    for i in 0..30 {
        let (s, _, _) = raw(
            &emu,
            Method::POST,
            &format!("/keys/page-{i:02}/create"),
            Some(json!({"kty": "EC"})),
        )
        .await
        .expect("create");
        assert_eq!(s, 200);
    }
    let names = |v: &Value| -> Vec<String> {
        v["value"]
            .as_array()
            .expect("value")
            .iter()
            .map(|i| {
                let kid = i["kid"].as_str().expect("kid");
                kid.rsplit('/').next().unwrap_or_default().to_owned()
            })
            .collect()
    };
    let (s, first, _) = raw(&emu, Method::GET, "/keys?maxresults=10", None)
        .await
        .expect("first page");
    assert_eq!(s, 200);
    let expected: Vec<String> = (0..10).map(|i| format!("page-{i:02}")).collect();
    assert_eq!(names(&first), expected);
    // Between the pages: two keys already listed go away, one is added
    // before the position reached.
    for gone in ["/keys/page-00", "/keys/page-01"] {
        let (s, _, _) = raw(&emu, Method::DELETE, gone, None).await.expect("delete");
        assert_eq!(s, 200);
    }
    let (s, _, _) = raw(
        &emu,
        Method::POST,
        "/keys/page-00a/create",
        Some(json!({"kty": "EC"})),
    )
    .await
    .expect("create");
    assert_eq!(s, 200);
    let next = first["nextLink"]
        .as_str()
        .expect("nextLink")
        .trim_start_matches(emu.vault_url())
        .to_owned();
    let (s, second, _) = raw(&emu, Method::GET, &next, None).await.expect("second");
    assert_eq!(s, 200);
    let expected: Vec<String> = (10..20).map(|i| format!("page-{i:02}")).collect();
    assert_eq!(names(&second), expected, "no key skipped or repeated");
    // A token that is not one of ours is a 400, not a panic or a silent restart.
    let (s, body, _) = raw(&emu, Method::GET, "/keys?$skiptoken=bm9wZQ", None)
        .await
        .expect("bad token");
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (400, Some("BadParameter"))
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn tags_and_versions_are_bounded_and_a_refusal_changes_nothing() {
    // A review found that nothing bounded a key's data: ~1 MB of tags copied
    // into every rotated version grows memory and disk without limit. The
    // service's limits hold: at most 15 tags, names up to 512 characters,
    // values up to 256; and a key keeps at most 500 versions (the most the
    // service can back up).
    let (emu, _client) = start(EmulatorOptions::default()).await;
    let many: serde_json::Map<String, Value> =
        (0..16).map(|i| (format!("t{i}"), json!("v"))).collect();
    let long_value = json!({"t": "v".repeat(257)});
    let long_name = json!({ "n".repeat(513): "v" });
    for tags in [Value::Object(many), long_value, long_name] {
        let (s, body, _) = raw(
            &emu,
            Method::POST,
            "/keys/tagged/create",
            Some(json!({"kty": "EC", "tags": tags})),
        )
        .await
        .expect("create");
        assert_eq!(
            (s, body["error"]["code"].as_str()),
            (400, Some("BadParameter")),
            "{body}"
        );
    }
    let (s, _, _) = raw(&emu, Method::GET, "/keys/tagged", None)
        .await
        .expect("get");
    assert_eq!(s, 404, "a refused create made nothing");
    let (s, _, _) = raw(
        &emu,
        Method::POST,
        "/keys/tagged/create",
        Some(json!({"kty": "EC", "tags": {"a": "1"}})),
    )
    .await
    .expect("create");
    assert_eq!(s, 200);
    let too_many: serde_json::Map<String, Value> =
        (0..16).map(|i| (format!("t{i}"), json!("v"))).collect();
    let (s, _, _) = raw(
        &emu,
        Method::PATCH,
        "/keys/tagged",
        Some(json!({"tags": too_many})),
    )
    .await
    .expect("update");
    assert_eq!(s, 400);
    let (_, key, _) = raw(&emu, Method::GET, "/keys/tagged", None)
        .await
        .expect("get");
    assert_eq!(
        key["tags"],
        json!({"a": "1"}),
        "a refused update changed nothing"
    );
    // Versions: 500 in all, then a refusal.
    for _ in 1..500 {
        let (s, _, _) = raw(&emu, Method::POST, "/keys/tagged/rotate", None)
            .await
            .expect("rotate");
        assert_eq!(s, 200);
    }
    let (s, body, _) = raw(&emu, Method::POST, "/keys/tagged/rotate", None)
        .await
        .expect("rotate");
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (400, Some("BadParameter")),
        "{body}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_its_answers_is_cut_off() {
    // A review found that a connection pipelining requests without reading
    // the answers held its slot forever: hyper stops reading once its writes
    // block, so no read time-out ever starts. A write that makes no progress
    // for write_timeout now closes the connection.
    use tokio::io::AsyncWriteExt as _;
    let limits = keyvault_emulator::ConnectionLimits {
        write_timeout: std::time::Duration::from_millis(500),
        ..Default::default()
    };
    let (emu, _c) = start(EmulatorOptions {
        limits,
        ..Default::default()
    })
    .await;
    // A small receive window, so the server's writes block quickly.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("rcvbuf");
    let tcp = socket.connect(emu.addr()).await.expect("tcp");
    let server_name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let stream = tls_connector(&emu)
        .connect(server_name, tcp)
        .await
        .expect("tls");
    let (mut reader, mut writer) = tokio::io::split(stream);
    let request = format!(
        "GET /keys?api-version=7.6&maxresults=25 HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {}\r\n\r\n",
        keyvault_emulator::DEFAULT_TOKEN
    );
    // Pipeline requests, never reading (they queue in the socket buffers).
    let pipeliner = tokio::spawn(async move {
        for _ in 0..20_000 {
            match tokio::time::timeout(
                std::time::Duration::from_secs(3),
                writer.write_all(request.as_bytes()),
            )
            .await
            {
                Ok(Ok(())) => {}
                _ => break,
            }
        }
    });
    for i in 0..40 {
        let (s, _, _) = raw(
            &emu,
            Method::POST,
            &format!("/keys/big-{i}/create"),
            Some(json!({"kty": "EC", "tags": {"pad": "p".repeat(250)}})),
        )
        .await
        .expect("create");
        assert_eq!(s, 200);
    }
    let _ = pipeliner.await;
    // Read nothing for longer than the write time-out (the requests are
    // queued on the connection, the answers blocked behind a full window).
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    // The server must have given up on the connection: reading what it sent
    // ends (EOF or reset) instead of waiting forever.
    let (closed, _) = closed_within(&mut reader, std::time::Duration::from_secs(10)).await;
    assert!(
        closed,
        "a connection that never reads its answers stays open"
    );
    assert_eq!(status(&emu, Method::GET, "/keys", None).await, 200);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_data_dir_in_use_by_another_emulator_is_refused() {
    // Two emulators on one --data-dir would each keep their own copy in
    // memory and overwrite each other's rows: updates silently lost. The
    // second one must refuse to start, saying why; once the first has
    // stopped, the folder can be used again.
    let dir = tempfile::tempdir().expect("tmp");
    let options = EmulatorOptions {
        data_dir: Some(dir.path().join("data")),
        ..Default::default()
    };
    let (first, _c) = start(options.clone()).await;
    let second = Emulator::start(options.clone()).await;
    let e = second.expect_err("a second emulator on the same folder");
    assert!(e.to_string().contains("in use"), "{e}");
    first.shutdown().await;
    let (again, c) = start(options).await;
    call(c.get_keys(None))
        .await
        .expect("serves after the first stopped");
    again.shutdown().await;
}

#[tokio::test]
async fn a_next_link_carries_the_api_version_escaped() {
    // The api-version is echoed into nextLink: a value with `&` must not add
    // query parameters of its own (review finding).
    let (emu, _client) = start(EmulatorOptions::default()).await;
    for i in 0..2 {
        let (s, _, _) = raw(
            &emu,
            Method::POST,
            &format!("/keys/esc-{i}/create"),
            Some(json!({"kty": "EC"})),
        )
        .await
        .expect("create");
        assert_eq!(s, 200);
    }
    let url = format!(
        "{}/keys?api-version=7.6%26maxresults%3D25&maxresults=1",
        emu.vault_url()
    );
    let page: Value = emu
        .http_client()
        .get(url)
        .bearer_auth(keyvault_emulator::DEFAULT_TOKEN)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let next = url::Url::parse(page["nextLink"].as_str().expect("nextLink")).expect("url");
    let pairs: Vec<(String, String)> = next.query_pairs().into_owned().collect();
    assert_eq!(
        pairs.iter().filter(|(k, _)| k == "maxresults").count(),
        1,
        "{next}"
    );
    assert!(
        pairs.contains(&("api-version".to_owned(), "7.6&maxresults=25".to_owned())),
        "{next}"
    );
    emu.shutdown().await;
}
