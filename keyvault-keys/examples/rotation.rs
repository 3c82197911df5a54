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

    let policy = KeyRotationPolicy::new(vec![
        KeyRotationLifetimeAction::new(KeyRotationPolicyAction::Rotate).after_create("P90D"),
    ]);
    // The keyword overrides of the Python client: expires_in and lifetime_actions.
    let options = UpdateKeyRotationPolicyOptions {
        expires_in: Some("P1Y".into()),
        ..Default::default()
    };
    let updated = client
        .update_key_rotation_policy(&name, &policy, Some(options))
        .await?;
    println!(
        "policy: new versions live {}; actions: {}",
        common::or_unset(updated.expires_in.as_ref()),
        updated
            .lifetime_actions
            .iter()
            .map(|a| format!(
                "{} {}",
                a.action.as_str(),
                match (&a.time_after_create, &a.time_before_expiry) {
                    (Some(d), _) => format!("{d} after creation"),
                    (None, Some(d)) => format!("{d} before expiry"),
                    (None, None) => "(no trigger)".into(),
                }
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let current = client.get_key_rotation_policy(&name, None).await?;
    println!(
        "read back: {} action(s), updated {}",
        current.lifetime_actions.len(),
        common::when(current.updated_on)
    );

    let rotated = client.rotate_key(&name, None).await?;
    println!(
        "rotated {}: version {} → {}, expires {}",
        rotated.name(),
        common::short(key.properties.version.as_deref()),
        common::short(rotated.properties.version.as_deref()),
        common::when(rotated.properties.expires_on)
    );
    vault.close().await;
    Ok(())
}
