//! Delete, recover, purge, backup and restore.

use super::*;

#[tokio::test]
async fn delete_recover_purge_backup_restore() {
    let (emu, c) = setup(EmulatorOptions::default()).await;
    c.create_rsa_key("k", None).await.expect("create");
    let backup = c.backup_key("k", None).await.expect("backup");
    let deleted = c.delete_key("k", fast()).await.expect("delete");
    assert_eq!(deleted.name(), "k");
    assert_eq!(
        deleted.recovery_id.as_deref(),
        Some(format!("{}/deletedkeys/k", emu.vault_url()).as_str())
    );
    assert!(
        deleted.key.is_some()
            && deleted.deleted_date.is_some()
            && deleted.scheduled_purge_date.is_some()
    );
    // Like Python's DeletedKey: the type and operations, and the recovery
    // level as the enum.
    assert_eq!(deleted.key_type(), Some(&KeyType::Rsa));
    assert!(deleted.key_operations().contains(&KeyOperation::Encrypt));
    assert!(
        deleted
            .properties
            .recovery_level
            .as_ref()
            .is_some_and(|l| l.is_known() && l.as_str().starts_with("Recoverable")),
        "{:?}",
        deleted.properties.recovery_level
    );
    assert_eq!(
        c.get_deleted_key("k", None)
            .await
            .expect("get deleted")
            .name(),
        "k"
    );
    let listed: Vec<DeletedKey> = c.list_deleted_keys(None).try_collect().await.expect("list");
    assert_eq!(listed.len(), 1);
    // A list item has no key material: no type, no operations.
    assert_eq!(listed[0].key_type(), None);
    assert!(listed[0].key_operations().is_empty());
    assert_eq!(
        c.create_rsa_key("k", None).await.expect_err("409").kind(),
        ErrorKind::ResourceExists
    );
    let recovered = c.recover_deleted_key("k", fast()).await.expect("recover");
    assert_eq!(recovered.name(), "k");
    c.get_key("k", None).await.expect("readable");
    // Without waiting
    c.delete_key(
        "k",
        Some(DeleteKeyOptions {
            poll: PollOptions {
                wait: false,
                ..Default::default()
            },
        }),
    )
    .await
    .expect("delete, no wait");
    c.purge_deleted_key("k", None).await.expect("purge");
    assert_eq!(
        c.get_deleted_key("k", None)
            .await
            .expect_err("purged")
            .kind(),
        ErrorKind::ResourceNotFound
    );
    assert_eq!(
        c.purge_deleted_key("k", None)
            .await
            .expect_err("again")
            .kind(),
        ErrorKind::ResourceNotFound
    );
    let restored = c.restore_key_backup(&backup, None).await.expect("restore");
    assert_eq!(restored.name(), "k");
    assert_eq!(
        c.restore_key_backup(&backup, None)
            .await
            .expect_err("exists")
            .kind(),
        ErrorKind::ResourceExists
    );
    let e = c
        .restore_key_backup(b"garbage", None)
        .await
        .expect_err("malformed");
    assert_eq!((e.kind(), e.status()), (ErrorKind::HttpResponse, Some(400)));
    emu.shutdown().await;
}
