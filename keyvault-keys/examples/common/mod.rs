//! What every example shares: a `KeyClient` for the embedded emulator
//! (started in-process) or, when `AZURE_KEYVAULT_URL` is set, for that vault
//! with azure_identity's `DeveloperToolsCredential` (Azure CLI / azd login).
#![allow(dead_code)]

use keyvault_emulator::{Emulator, EmulatorOptions};
use keyvault_keys::{KeyClient, KeyClientOptions};

pub type AnyError = Box<dyn std::error::Error + Send + Sync>;

/// A client and, when embedded, the emulator behind it.
pub struct Vault {
    pub client: KeyClient,
    pub emulator: Option<Emulator>,
}

impl Vault {
    /// "the embedded emulator at …" or "the vault at …".
    pub fn describe(&self) -> String {
        match &self.emulator {
            Some(e) => format!("the embedded emulator at {}", e.vault_url()),
            None => format!("the vault at {}", self.client.vault_url()),
        }
    }

    /// Stops the embedded emulator, if any.
    pub async fn close(self) {
        if let Some(e) = self.emulator {
            e.shutdown().await;
        }
    }
}

pub async fn connect() -> Result<Vault, AnyError> {
    connect_with(EmulatorOptions::default()).await
}

pub async fn connect_with(options: EmulatorOptions) -> Result<Vault, AnyError> {
    match std::env::var("AZURE_KEYVAULT_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let credential = azure_identity::DeveloperToolsCredential::new(None)?;
            Ok(Vault {
                client: KeyClient::new(url.trim(), credential, None)?,
                emulator: None,
            })
        }
        _ => {
            let emulator = Emulator::start(options).await?;
            let options = KeyClientOptions {
                client_options: keyvault_keys::ClientOptions {
                    http_client: Some(emulator.http_client()),
                    ..Default::default()
                },
            };
            let client =
                KeyClient::new(emulator.vault_url(), emulator.credential(), Some(options))?;
            Ok(Vault {
                client,
                emulator: Some(emulator),
            })
        }
    }
}

/// A key name unlikely to collide in a shared vault.
pub fn unique(prefix: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{n:08x}")
}

/// The first characters of a version, for printing.
pub fn short(v: Option<&str>) -> String {
    v.map(|v| format!("{}…", &v[..v.len().min(8)]))
        .unwrap_or_else(|| "(none)".into())
}

/// A time for people: `2027-02-28 14:05 UTC`, or `not set`.
pub fn when(t: Option<keyvault_keys::OffsetDateTime>) -> String {
    let Some(t) = t else {
        return "not set".into();
    };
    // The service's times are whole seconds; this shows them in UTC.
    match keyvault_keys::OffsetDateTime::from_unix_timestamp(t.unix_timestamp()) {
        Ok(u) => format!(
            "{}-{:02}-{:02} {:02}:{:02} UTC",
            u.year(),
            u8::from(u.month()),
            u.day(),
            u.hour(),
            u.minute()
        ),
        Err(_) => t.to_string(),
    }
}

/// `yes`, `no` or `not set`.
pub fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "not set",
    }
}

/// `a=1, b=2`, or `none`.
pub fn tags(tags: &std::collections::BTreeMap<String, String>) -> String {
    if tags.is_empty() {
        return "none".into();
    }
    tags.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The value, or `not set`.
pub fn or_unset(v: Option<impl std::fmt::Display>) -> String {
    v.map_or_else(|| "not set".into(), |v| v.to_string())
}
