//! # keyvault-keys
//!
//! The idiomatic async client for Azure Key Vault keys: every method of
//! the Python `azure.keyvault.keys.aio.KeyClient`, lists as
//! `futures::Stream`s, typed errors, and a `CryptographyClient` that runs
//! public-key operations locally.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use keyvault_keys::{CreateKeyOptions, KeyClient, KeyClientOptions, TryStreamExt as _};
//! # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
//! # let (url, credential) = (emulator.vault_url().to_owned(), emulator.credential());
//! # let options = Some(KeyClientOptions { client_options: keyvault_keys::ClientOptions { http_client: Some(emulator.http_client()), ..Default::default() } });
//! // `url` is your vault's URL; `credential` any azure_core TokenCredential.
//! let client = KeyClient::new(&url, credential, options)?;
//! let key = client.create_rsa_key("my-key", Some(CreateKeyOptions { size: Some(2048), ..Default::default() })).await?;
//! let names: Vec<String> = client.list_properties_of_keys(None).map_ok(|k| k.name).try_collect().await?;
//! assert_eq!(names, ["my-key"]);
//! match client.get_key("missing", None).await {
//!     Err(e) if e.kind() == keyvault_keys::ErrorKind::ResourceNotFound => {}
//!     other => panic!("{other:?}"),
//! }
//! # Ok(()) }
//! ```
//!
//! Options follow the official Azure Rust crates: each method takes an
//! `Option<XxxOptions>` whose fields are the Python client's keywords, with
//! `Default` for the rest. Errors carry an [`ErrorKind`] to match on, and
//! the status, service code and request id where there was a response.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod error;
mod models;
mod options;
mod pager;

pub use client::{KeyClient, validate_key_name};
pub use error::{Error, ErrorKind, Result};
pub use models::*;
pub use options::*;
pub use pager::{Page, Pager};

/// The workspace README's code, compiled as a doctest (it must build with
/// only this crate and a credential crate).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// The cryptography crate, re-exported: `CryptographyClient`, algorithms, results.
pub use keyvault_crypto as crypto;
pub use keyvault_crypto::{
    AkpAlgorithm, CryptographyClient, CryptographyClientOptions, JsonWebKey, KeyCurveName,
    KeyExportEncryptionAlgorithm, KeyOperation, KeyType, KeyVaultKeyIdentifier, SecretBytes,
};
pub use keyvault_keys_protocol::enums::{DeletionRecoveryLevel, KeyRotationPolicyAction};
pub use keyvault_keys_protocol::reqwest::Method;
pub use keyvault_keys_protocol::{
    AsyncRawResponse, AsyncResponseBody, ClientOptions, RawRequest, RawResponse, RetryOptions,
};

// What the public signatures use, re-exported so a user's `Cargo.toml`
// needs only this crate (and a credential crate): no version to match.

/// The stream traits the `list_*` [`Pager`]s are used through (`try_next`,
/// `try_collect`, ...), from `futures`.
pub use futures::{Stream, StreamExt, TryStreamExt};
/// The `azure_core` crate this one is built on (its credentials and
/// errors), so its version always matches.
pub use keyvault_keys_protocol::azure_core;
/// The credential trait `KeyClient::new` takes (from `azure_core`); any
/// `azure_identity` credential implements it.
pub use keyvault_keys_protocol::azure_core::credentials::TokenCredential;
/// The HTTP client type of [`ClientOptions::http_client`] (reqwest's).
pub use keyvault_keys_protocol::reqwest::Client as HttpClient;
/// The time type of the models and options (from the `time` crate).
pub use time::OffsetDateTime;
