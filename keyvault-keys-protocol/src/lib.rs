//! # keyvault-keys-protocol
//!
//! The low-level layer of the Azure Key Vault keys SDK: one generated method
//! per REST operation of api-version 2026-04-01 (each marked with the version
//! that introduced it, [`generated::api_versions`]), and the Key Vault
//! pipeline every call goes through.
//!
//! - [`generated`]: produced by `cargo xtask codegen` from `specs/` with
//!   progenitor; [`types`] holds the wire models.
//! - [`enums`]: the service's enums, hand-written and used by the generated
//!   models and every layer above; each keeps values it does not know.
//! - The pipeline ([`Pipeline`], configured by [`ClientOptions`]):
//!   `api-version` as a query pair, `x-ms-client-request-id`, bearer tokens
//!   only over TLS, challenge-based authentication with any
//!   [`azure_core::credentials::TokenCredential`] (with verification of the
//!   challenge's scope), retries by what each operation does (a create or
//!   a purge is never repeated after the service may have acted; see
//!   [`retry_policy`]), the service's `Retry-After`, a response-size limit,
//!   and `tracing` spans by the Azure SDK and OpenTelemetry conventions
//!   (see [`instrumentation`]).
//! - [`Client::pages`] / [`Client::items`]: nextLink paging as streams.
//! - [`Client::send_request`]: raw calls through the same pipeline;
//!   [`Client::send_request_streaming`] with the body as a stream.
//! - [`Error`]: every failure, with status, service code, message,
//!   `x-ms-request-id` and raw body for error responses, and the source
//!   chain of credential and transport failures. Every generated method
//!   returns it directly; [`call`] keeps only the response's value.
//! - [`SecretString`]: the type the generator gives every wire member that
//!   can carry secret material (private key members, plaintext, random
//!   bytes, released keys): redacted in `Debug`, zeroized on drop.
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
//!     tags: Some([("env".to_owned(), "prod".to_owned())].into()),
//!     ..Default::default()
//! };
//! let key = call(client.update_key("my-key", "", &body)).await?;
//! println!("updated {:?}", key.key.and_then(|k| k.kid));
//! assert!(enums::KeyType::Ec.is_known());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[allow(missing_docs, clippy::all, clippy::pedantic, unused_qualifications)]
pub mod generated;

mod call;
mod challenge;
mod error;
mod http_error;
pub mod instrumentation;
mod options;
pub(crate) mod paging;
mod pipeline;
mod raw;
mod retry;

// The ground floor: wire types, enums, durations, secrets and api-versions
// are `keyvault-keys-types`', named here as they always were.
pub use call::call;
pub use challenge::{Challenge, verify_resource};
pub use error::{Error, HttpError, JsonFault};
pub use generated::{ByteStream, Client, ResponseValue, types};
pub use keyvault_keys_types::{ApiVersion, NotInApiVersion, duration, enums, secret};
pub use options::{
    ClientOptions, DEFAULT_API_VERSION, DEFAULT_MAX_PAGES, DEFAULT_MAX_RESPONSE_SIZE, RetryOptions,
};
pub use paging::Page;
pub use pipeline::{CLIENT_REQUEST_ID, ChallengeClaims, ChallengeTenant, Pipeline};
pub use raw::{AsyncRawResponse, AsyncResponseBody, RawRequest, RawResponse};
pub use secret::SecretString;

/// What the exported macros name; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use tracing;
}

pub use azure_core;
pub use progenitor_client;
pub use reqwest;

pub mod retry_policy {
    //! Retry rules: operation classes, Retry-After parsing and backoff.
    //!
    //! azure-core retries 408, 429, 500, 502, 503, 504 and transport failures
    //! for every method. That is sound for reads and for writes that set a
    //! state, but not for a write that adds something: a create whose answer
    //! was lost may have created a version, and repeating it creates another.
    //! So each operation has an [`OperationClass`]:
    //!
    //! - [`OperationClass::Repeatable`]: reads (get, list, backup,
    //!   attestation), the key operations (encrypt, decrypt, sign, verify, wrap,
    //!   unwrap, release, random bytes, secure wrap and unwrap: computations
    //!   with the vault's key that change nothing; a repeated secure wrap
    //!   makes another fresh key and stores neither), and writes that set a state (PATCH update, PUT
    //!   rotation policy). Retried after every retryable fault.
    //! - [`OperationClass::Unrepeatable`]: create, import and rotate (each adds
    //!   a version), restore, recover and purge (a repeat fails, reporting an
    //!   error for an operation that succeeded). Retried only when the service
    //!   certainly did not act: 408, 429, 503 carrying a Retry-After, or a
    //!   failure to connect (nothing was sent). After any other fault (the
    //!   connection broke after the request was sent, a time-out, 500, 502, 504,
    //!   503 without Retry-After) the call ends with
    //!   [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown), which keeps
    //!   the cause (and the answer's status, body and request id).
    //! - [`OperationClass::DeleteKey`]: `DELETE /keys/{name}` sets a state
    //!   ("deleted"), so it is retried like a repeatable operation, but a repeat
    //!   answers 404. When a retry that follows an attempt whose outcome is
    //!   unknown is answered 404, the pipeline reads the deleted key
    //!   (`GET /deletedkeys/{name}`) and, when it is there, returns that as the
    //!   delete's answer, as the delete poller would conclude.
    //!
    //! Every request (generated methods, `send_request`, nextLinks) is
    //! classed by its method and path, one table ([`classify_request`]).
    pub use crate::retry::{
        MAX_SERVER_DELAY, OperationClass, backoff, certainly_not_performed, classify_request,
        failed_before_sending, is_retryable_status, parse_retry_after, server_delay,
    };
}

/// Entry points for fuzz targets: each takes arbitrary input and returns a
/// `Result` or an `Option`; none of them may panic.
#[cfg(any(test, fuzzing))]
#[doc(hidden)]
pub mod fuzzing {
    use std::time::Duration;

    use reqwest::header::HeaderMap;

    /// Parses a `WWW-Authenticate` value and verifies it for the vault at
    /// `vault_url` as the pipeline does (https only): the scope a token
    /// would be requested for, or why the challenge is refused.
    pub fn challenge(header: &str, vault_url: &str) -> Result<String, String> {
        let vault = url::Url::parse(vault_url).map_err(|e| e.to_string())?;
        let c = crate::Challenge::parse(header).ok_or("no Bearer challenge")?;
        c.verified_scope(&vault, false)
    }

    /// The delay the three Retry-After forms ask for (bounded), or `None`.
    pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
        crate::retry::parse_retry_after(headers, std::time::SystemTime::now())
    }

    /// An error response's body read as the pipeline reads it.
    pub fn error_body(status: u16, body: &[u8]) -> Result<crate::HttpError, String> {
        let status = reqwest::StatusCode::from_u16(status).map_err(|e| e.to_string())?;
        Ok(crate::HttpError::from_parts(
            status,
            HeaderMap::new(),
            bytes::Bytes::copy_from_slice(body),
        ))
    }

    /// A list page's body read as the pager reads it (keys, then deleted
    /// keys): the nextLink it would follow, checked against the vault's
    /// origin, or why the page is refused.
    pub fn page_body(body: &[u8], vault_url: &str) -> Result<Option<String>, crate::Error> {
        crate::paging::page_body(body, vault_url)
    }
}

#[cfg(test)]
mod fuzzing_smoke {
    use rand::Rng as _;

    /// A quick stand-in for the fuzz targets: arbitrary input never panics.
    #[test]
    fn the_fuzzing_entry_points_take_arbitrary_input() {
        let mut rng = rand::rng();
        let vault = "https://myvault.vault.azure.net";
        let alphabet = b"Bearer resource=scope\"authorization_uri,= \\https://vault.azure.net:443/.default\x00\xff{}[]nextLink:value";
        for _ in 0..20_000 {
            let len = rng.random_range(0..80);
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.random_bool(0.8) {
                        alphabet[rng.random_range(0..alphabet.len())]
                    } else {
                        rng.random()
                    }
                })
                .collect();
            let text = String::from_utf8_lossy(&bytes);
            let _ = super::fuzzing::challenge(&text, vault);
            let _ = super::fuzzing::challenge(&format!("Bearer {text}"), vault);
            let _ = super::fuzzing::error_body(rng.random(), &bytes);
            let _ = super::fuzzing::page_body(&bytes, vault);
            let mut headers = reqwest::header::HeaderMap::new();
            for name in ["retry-after-ms", "x-ms-retry-after-ms", "retry-after"] {
                if let Ok(v) = reqwest::header::HeaderValue::from_bytes(&bytes) {
                    headers.insert(name, v);
                }
                let _ = super::fuzzing::retry_after(&headers);
            }
        }
        let page =
            br#"{"value": [], "nextLink": "https://myvault.vault.azure.net/keys?$skiptoken=x"}"#;
        assert!(super::fuzzing::page_body(page, vault).is_ok_and(|l| l.is_some()));
        let foreign = br#"{"value": [], "nextLink": "https://evil.example/keys"}"#;
        assert!(matches!(
            super::fuzzing::page_body(foreign, vault),
            Err(crate::Error::ForeignNextLink { .. })
        ));
        assert_eq!(
            super::fuzzing::challenge(r#"Bearer resource="https://vault.azure.net""#, vault),
            Ok("https://vault.azure.net/.default".to_owned())
        );
    }
}
