//! Backup and restore, rotation and rotation policies.

use crate::common::*;

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
