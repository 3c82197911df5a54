//! Random bytes from the HSM (Managed HSM; the emulator serves them too).
#[path = "common/mod.rs"]
mod common;

#[tokio::main]
async fn main() -> Result<(), common::AnyError> {
    let vault = common::connect().await?;
    match vault.client.get_random_bytes(16, None).await {
        // The bytes are `SecretBytes`: `Debug` shows only their length, and
        // printing them takes an explicit `expose()`.
        Ok(bytes) => println!(
            "16 random bytes: {} (Debug shows {bytes:?})",
            bytes
                .expose()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ),
        Err(e) => println!("random bytes are not available here: {e}"),
    }
    // count < 1 is refused before any request
    assert!(vault.client.get_random_bytes(0, None).await.is_err());
    vault.close().await;
    Ok(())
}
