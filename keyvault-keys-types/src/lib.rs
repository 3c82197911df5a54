//! The ground floor of the Azure Key Vault keys SDK: what every layer
//! shares, with no I/O and no HTTP dependency.
//!
//! - [`types`]: the wire types, generated from `specs/keyvault-keys.yaml`
//!   by `cargo xtask codegen` (the protocol crate keeps only the generated
//!   `Client`);
//! - [`enums`]: the service's enums, one definition each;
//! - [`ApiVersion`] with [`DEFAULT_API_VERSION`] and the generated table of
//!   which version introduced each operation and member
//!   ([`api_versions`]);
//! - [`JsonWebKey`], key material with its secret members zeroized and
//!   redacted;
//! - [`KeyVaultKeyIdentifier`] and the one writer of a key identifier
//!   ([`key_id`]), and the one key-name rule ([`key_name`]);
//! - [`IsoDuration`](duration::IsoDuration), [`SecretString`],
//!   [`SecretBytes`] and base64url ([`b64`]);
//! - the rules every layer checks against: [`validity`] (enabled, nbf,
//!   exp) and [`rules`] (curves and their sizes, RSA and AES sizes and
//!   defaults, what each algorithm needs of a key).
//!
//! `keyvault-keys-protocol` stands on it with the pipeline, the crypto
//! engine stands on it alone, and the emulator on it and the engine.
//!
//! ```
//! use keyvault_keys_types::{KeyVaultKeyIdentifier, enums::KeyCurveName, key_name, rules};
//!
//! let id = KeyVaultKeyIdentifier::parse("https://myvault.vault.azure.net/keys/my-key/0a1b")?;
//! assert_eq!((id.name.as_str(), id.version.as_deref()), ("my-key", Some("0a1b")));
//! assert_eq!(id.to_string(), "https://myvault.vault.azure.net/keys/my-key/0a1b");
//! assert!(key_name::is_valid("my-key") && !key_name::is_valid("my_key"));
//! assert_eq!(rules::curve(&KeyCurveName::P384).map(|c| c.bits), Some(384));
//! # Ok::<(), keyvault_keys_types::InvalidKeyId>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[allow(missing_docs, clippy::all, clippy::pedantic, unused_qualifications)]
pub mod generated;

mod api_version;
mod bytes;
pub mod duration;
pub mod enums;
pub mod jwk;
mod key_id;
pub mod key_name;
pub mod rules;
pub mod secret;
mod serde_null;
pub mod validity;

pub use api_version::{ApiVersion, DEFAULT_API_VERSION, NotInApiVersion};
pub use bytes::{SecretBytes, b64};
pub use generated::{api_versions, types};
pub use jwk::{InvalidJwk, JsonWebKey};
pub use key_id::{InvalidKeyId, KeyVaultKeyIdentifier, key_id, write_key_id};
pub use secret::SecretString;

/// Entry points for fuzz targets: each takes arbitrary input and must not
/// panic.
#[cfg(any(test, fuzzing))]
#[doc(hidden)]
pub mod fuzzing {
    /// [`crate::KeyVaultKeyIdentifier::parse`] on any string.
    pub fn key_id(s: &str) {
        // The plain reader, when it answers, answers as the URL parser does.
        if let Some(plain) = crate::KeyVaultKeyIdentifier::parse_plain(s) {
            assert_eq!(
                crate::KeyVaultKeyIdentifier::parse_url(s).ok(),
                Some(plain),
                "the plain reader and the URL parser disagree on {s:?}"
            );
        }
        if let Ok(id) = crate::KeyVaultKeyIdentifier::parse(s) {
            // What it found must itself parse back to the same vault and name.
            let again = format!("{}/keys/{}", id.vault_url, id.name);
            let _ = crate::KeyVaultKeyIdentifier::parse(&again);
        }
    }
}
