//! The main flow, end to end: create, read, update, list, use, rotate,
//! back up, delete, recover, purge and restore a key.
//!
//! Runs against the embedded emulator, or against your vault when
//! `AZURE_KEYVAULT_URL` is set (signed in with `az login` or `azd auth login`).
#[path = "common/mod.rs"]
mod common;

use keyvault_keys::TryStreamExt as _;
use keyvault_keys::crypto::{
    DecryptParameters, EncryptParameters, EncryptionAlgorithm, SignatureAlgorithm,
};
use keyvault_keys::{
    CreateKeyOptions, KeyRotationLifetimeAction, KeyRotationPolicy, KeyRotationPolicyAction,
    UpdateKeyPropertiesOptions,
};

fn step(text: impl AsRef<str>) {
    println!("  ✓ {}", text.as_ref());
}

#[tokio::main]
async fn main() -> Result<(), common::AnyError> {
    let vault = common::connect().await?;
    let client = &vault.client;
    println!(
        "Azure Key Vault keys quickstart, against {}\n",
        vault.describe()
    );
    let name = common::unique("quickstart");

    let key = client
        .create_rsa_key(
            &name,
            Some(CreateKeyOptions {
                size: Some(2048),
                ..Default::default()
            }),
        )
        .await?;
    step(format!(
        "created RSA key '{}' ({} bits), version {}",
        key.name(),
        key.key.key_size().unwrap_or(0),
        common::short(key.properties.version.as_deref())
    ));

    let fetched = client.get_key(&name, None).await?;
    step(format!(
        "read it back: {} operations permitted",
        fetched.key_operations().len()
    ));

    let updated = client
        .update_key_properties(
            &name,
            Some(UpdateKeyPropertiesOptions {
                tags: Some([("stage".to_owned(), "quickstart".to_owned())].into()),
                ..Default::default()
            }),
        )
        .await?;
    step(format!(
        "tagged it: {}",
        common::tags(&updated.properties.tags)
    ));

    let names: Vec<String> = client
        .list_properties_of_keys(None)
        .map_ok(|k| k.name)
        .try_collect()
        .await?;
    step(format!(
        "listed the vault: {} key(s), ours among them: {}",
        names.len(),
        names.contains(&name)
    ));

    let crypto = client.cryptography_client_for(&key)?;
    let encrypted = crypto
        .encrypt(
            &EncryptParameters::new(EncryptionAlgorithm::RsaOaep256, b"hello, vault".to_vec()),
            None,
        )
        .await?;
    let decrypted = crypto
        .decrypt(&DecryptParameters::from_encrypt_result(&encrypted), None)
        .await?;
    step(format!(
        "encrypted locally, decrypted in the vault: \"{}\"",
        String::from_utf8_lossy(&decrypted.plaintext)
    ));
    let signature = crypto
        .sign_data(&SignatureAlgorithm::Rs256, b"quickstart", None)
        .await?;
    let verified = crypto
        .verify_data(
            &SignatureAlgorithm::Rs256,
            b"quickstart",
            &signature.signature,
            None,
        )
        .await?;
    step(format!(
        "signed in the vault, verified locally: {}",
        if verified.is_valid {
            "valid"
        } else {
            "INVALID"
        }
    ));

    let policy = KeyRotationPolicy::new(vec![
        KeyRotationLifetimeAction::new(KeyRotationPolicyAction::Rotate).after_create("P90D"),
    ])
    .with_expires_in("P1Y");
    client
        .update_key_rotation_policy(&name, &policy, None)
        .await?;
    let rotated = client.rotate_key(&name, None).await?;
    step(format!(
        "set a rotation policy (rotate after 90 days) and rotated: new version {}",
        common::short(rotated.properties.version.as_deref())
    ));

    let backup = client.backup_key(&name, None).await?;
    step(format!("backed it up: {} bytes", backup.len()));

    let deleted = client.delete_key(&name, None).await?;
    step(format!(
        "deleted it; recoverable until {}",
        common::when(deleted.scheduled_purge_date)
    ));
    client.recover_deleted_key(&name, None).await?;
    step("recovered it");

    client.delete_key(&name, None).await?;
    client.purge_deleted_key(&name, None).await?;
    step("deleted and purged it");
    let restored = client.restore_key_backup(&backup, None).await?;
    let versions: Vec<_> = client
        .list_properties_of_key_versions(&name, None)
        .try_collect()
        .await?;
    step(format!(
        "restored it from the backup: {} with {} version(s)",
        restored.name(),
        versions.len()
    ));

    client.delete_key(&name, None).await?;
    client.purge_deleted_key(&name, None).await?;
    step("cleaned up");
    println!("\nDone.");
    vault.close().await;
    Ok(())
}
