//! Client settings.

use std::time::Duration;

pub use keyvault_keys_types::DEFAULT_API_VERSION;

/// Settings of a [`Client`](crate::Client) and its pipeline.
///
/// ```
/// use keyvault_keys_protocol::{ClientOptions, RetryOptions};
/// let options = ClientOptions {
///     api_version: "7.6".into(),
///     retry: RetryOptions { max_retries: 5, ..Default::default() },
///     ..Default::default()
/// };
/// assert!(options.verify_challenge_resource);
/// ```
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// The `api-version` query value sent on every request: a known
    /// version ([`ApiVersion::V7_6`](crate::ApiVersion::V7_6), ...) or any
    /// string (`"7.6".into()`), sent as it is. Default
    /// [`DEFAULT_API_VERSION`]. The generated methods send whatever it
    /// says; `KeyClient` and `CryptographyClient` refuse a method or option
    /// a known version lacks (see [`ApiVersion`](crate::ApiVersion)).
    pub api_version: crate::ApiVersion,
    /// Check that the resource in the service's authentication challenge
    /// belongs to the vault: the vault's host must be a subdomain of the
    /// resource's host, or the resource must be the vault's own origin.
    /// The scope or resource must be a plain URL (no whitespace, userinfo,
    /// query or fragment; path `/.default` for a scope, none for a
    /// resource), and the scope requested is rebuilt from it
    /// (`{origin}/.default`, see
    /// [`Challenge::verified_scope`](crate::Challenge::verified_scope)).
    /// Default `true`. Turn it off only for a service you trust whose
    /// challenge names an unrelated resource.
    pub verify_challenge_resource: bool,
    /// Retry settings.
    pub retry: RetryOptions,
    /// Allow plain `http://` to a loopback address (127.0.0.0/8, `::1`,
    /// `localhost`). Bearer tokens are otherwise only ever sent over HTTPS.
    /// For tests; default `false`.
    pub allow_insecure_loopback: bool,
    /// The HTTP client to send with (for example one that trusts a test CA).
    /// Clients built from one `ClientOptions` share its connections. Default:
    /// a client with rustls and the platform's trust store.
    pub http_client: Option<reqwest::Client>,
    /// Time allowed for one attempt, connection included. Default 60 s.
    /// Used only when `http_client` is `None`.
    pub timeout: Duration,
    /// Appended to the `User-Agent` header (for example an application id).
    pub user_agent_suffix: Option<String>,
    /// The longest response body read, in bytes: success bodies, error
    /// bodies, list pages and `send_request` bodies alike. Reading stops at
    /// the limit (a declared `Content-Length` above it is refused before
    /// reading) and the call fails with
    /// [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge).
    ///
    /// Default [`DEFAULT_MAX_RESPONSE_SIZE`] (16 MiB). The service's largest
    /// answers are key backups, which hold every version of a key; Key Vault
    /// backs up at most 500 versions of an object, and even 500 versions of
    /// an RSA-4096 HSM key come to a few MiB of base64url. A page of a list
    /// holds at most 25 items. 16 MiB leaves room for that while bounding
    /// what a hostile or broken server can make the client hold.
    pub max_response_size: usize,
    /// The most pages one listing reads (the first page included); the
    /// next one ends it with
    /// [`Error::TooManyPages`](crate::Error::TooManyPages). `None` reads
    /// every page.
    ///
    /// Every nextLink is checked against the links already followed in the
    /// listing (a loop ends with
    /// [`Error::RepeatedNextLink`](crate::Error::RepeatedNextLink)), but a
    /// hostile or broken server can hand out an endless series of distinct
    /// links; this bounds it. Default [`DEFAULT_MAX_PAGES`] (100,000): a
    /// page holds up to 25 items, so that is 2.5 million keys or versions,
    /// far more than a vault holds, while a runaway listing still ends.
    pub max_pages: Option<usize>,
}

/// The default [`ClientOptions::max_pages`]: 100,000 pages.
pub const DEFAULT_MAX_PAGES: usize = 100_000;

/// The default [`ClientOptions::max_response_size`]: 16 MiB.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 16 * 1024 * 1024;

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            api_version: crate::ApiVersion::DEFAULT,
            verify_challenge_resource: true,
            retry: RetryOptions::default(),
            allow_insecure_loopback: false,
            http_client: None,
            timeout: Duration::from_secs(60),
            user_agent_suffix: None,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            max_pages: Some(DEFAULT_MAX_PAGES),
        }
    }
}

/// How failed attempts are retried.
///
/// What is retried depends on what the operation does (see
/// [`retry_policy`](crate::retry_policy)): reads, the key operations and
/// writes that set a state are retried after statuses 408, 429, 500, 502,
/// 503, 504, connection errors, time-outs and lost answers; writes that add
/// something or cannot be repeated (create, import, rotate, restore,
/// recover, purge) only after 408, 429, 503 with a Retry-After, or a
/// failure to connect, and otherwise end with
/// [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown).
///
/// The delay is the server's (`retry-after-ms`, `x-ms-retry-after-ms`,
/// `Retry-After` in seconds or as an HTTP date) when it gives one, else
/// exponential backoff from `initial_delay`, capped at `max_delay`, with
/// ±20 % jitter.
#[derive(Clone, Debug)]
pub struct RetryOptions {
    /// Retries after the first attempt (so `max_retries + 1` attempts at most).
    /// Default 3.
    pub max_retries: u32,
    /// The first backoff delay. Default 800 ms.
    pub initial_delay: Duration,
    /// The longest backoff delay. Default 60 s.
    pub max_delay: Duration,
    /// The longest server-requested delay honoured; a longer one ends the
    /// retries and returns the response. Default 5 minutes.
    pub max_retry_after: Duration,
}

impl Default for RetryOptions {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl RetryOptions {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use progenitor_client::ClientInfo as _;

    use super::*;

    /// The constant is the version the generated client was made from.
    #[test]
    fn the_default_api_version_is_the_specs() {
        // The spec describes the newest stable version it knows; the
        // default may be older, never newer.
        assert_eq!(crate::Client::api_version(), "2026-04-01");
        assert_eq!(ClientOptions::default().api_version, DEFAULT_API_VERSION);
        assert_eq!(
            crate::ApiVersion::DEFAULT.has(crate::Client::api_version()),
            Some(false)
        );
    }
}
