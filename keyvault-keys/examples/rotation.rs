//! Set a rotation policy, read it back, and rotate a key.
#[path = "common/mod.rs"]
mod common;

use keyvault_keys::{
    KeyRotationLifetimeAction, KeyRotationPolicy, KeyRotationPolicyAction,
    UpdateKeyRotationPolicyOptions,
};

#[tokio::main]
async fn main() -> Result<(), common::AnyError> {
    let vault = common::connect().await?;
    let client = &vault.client;
    let name = common::unique("rotate-key");
    let key = client.create_rsa_key(&name, None).await?;

    let policy = KeyRotationPolicy {
        lifetime_actions: vec![
            KeyRotationLifetimeAction::new(KeyRotationPolicyAction::Rotate).after_create("P90D"),
        ],
        ..Default::default()
    };
    // The keyword overrides of the Python client: expires_in and lifetime_actions.
    let options = UpdateKeyRotationPolicyOptions {
        expires_in: Some("P1Y".into()),
        ..Default::default()
    };
    let updated = client
        .update_key_rotation_policy(&name, &policy, Some(options))
        .await?;
    println!(
        "policy: expires_in={:?} actions={:?}",
        updated.expires_in, updated.lifetime_actions
    );
    let current = client.get_key_rotation_policy(&name).await?;
    println!(
        "read back: {} action(s), updated {:?}",
        current.lifetime_actions.len(),
        current.updated_on
    );

    let rotated = client.rotate_key(&name).await?;
    println!(
        "rotated {}: version {} → {}, expires {:?}",
        rotated.name(),
        common::short(key.properties.version.as_deref()),
        common::short(rotated.properties.version.as_deref()),
        rotated.properties.expires_on
    );
    vault.close().await;
    Ok(())
}
