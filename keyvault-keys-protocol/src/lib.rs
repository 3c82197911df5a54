//! # keyvault-keys-protocol
//!
//! The low-level layer of the Azure Key Vault keys SDK: one generated method
//! per REST operation of api-version 2025-07-01, and the Key Vault pipeline
//! every call goes through.
//!
//! - [`generated`]: produced by `cargo xtask codegen` from `specs/` with
//!   progenitor; [`types`] holds the wire models, [`enums`] the service's
//!   extensible enums as string newtypes.
//! - The pipeline ([`Pipeline`], configured by [`ClientOptions`]):
//!   `api-version` as a query pair, `x-ms-client-request-id`, bearer tokens
//!   only over TLS, challenge-based authentication with any
//!   [`azure_core::credentials::TokenCredential`] (with verification of the
//!   challenge's resource), retries with the service's `Retry-After`, and a
//!   `tracing` span per operation.
//! - [`Client::pages`] / [`Client::items`]: nextLink paging as streams.
//! - [`Client::send_request`]: raw calls through the same pipeline.
//! - [`Error`]: every failure, with status, service code, message,
//!   `x-ms-request-id` and raw body for error responses.
//!
//! Most applications want the `keyvault-keys` crate instead; this one is for
//! raw access and for the layers above.
//!
//! ```no_run
//! use std::sync::Arc;
//! use keyvault_keys_protocol::{Client, ClientOptions, call, types, enums};
//!
//! # async fn run(credential: Arc<dyn azure_core::credentials::TokenCredential>) -> Result<(), keyvault_keys_protocol::Error> {
//! let client = Client::with_credential("https://myvault.vault.azure.net", credential, ClientOptions::default())?;
//! // Request bodies are the generated types; `Default` fills what is optional.
//! let body = types::KeyUpdateParameters {
//!     tags: [("env".to_owned(), "prod".to_owned())].into(),
//!     ..Default::default()
//! };
//! let key = call(client.update_key("my-key", "", &body)).await?;
//! println!("updated {:?}", key.key.and_then(|k| k.kid));
//! assert!(enums::JsonWebKeyType::EC.is_known());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[allow(missing_docs, clippy::all, clippy::pedantic, unused_qualifications)]
pub mod generated;

mod challenge;
pub mod duration;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod options;
mod paging;
mod pipeline;
mod raw;
mod retry;

pub use challenge::{Challenge, verify_resource};
pub use error::{Error, GeneratedError, HttpError, call, call_with_response};
pub use generated::{ByteStream, Client, ResponseValue, enums, types};
pub use options::{ClientOptions, DEFAULT_API_VERSION, RetryOptions};
pub use paging::Page;
pub use pipeline::{CLIENT_REQUEST_ID, ChallengeClaims, ChallengeTenant, Pipeline};
pub use raw::{RawRequest, RawResponse};

pub use azure_core;
pub use progenitor_client;
pub use reqwest;

/// Retry-After parsing and backoff, exposed for tests and tools.
pub mod retry_policy {
    pub use crate::retry::{backoff, is_retryable_status, server_delay};
}
