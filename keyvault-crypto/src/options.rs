//! Options of [`CryptographyClient`](crate::CryptographyClient): how to
//! build it, and one struct per operation.
//!
//! The style follows the official Azure Rust crates: each method takes an
//! `Option<XxxOptions>` as its last argument, so adding an option later
//! breaks no caller (`..Default::default()` fills the rest).

use std::time::Duration;

use keyvault_keys_protocol::{ClientOptions, RetryOptions};

/// How to build a [`CryptographyClient`](crate::CryptographyClient) with
/// [`CryptographyClient::new`](crate::CryptographyClient::new): the
/// pipeline's settings, as in `KeyClientOptions`.
///
/// ```
/// use keyvault_crypto::CryptographyClientOptions;
/// let options = CryptographyClientOptions { api_version: "7.6".into(), ..Default::default() };
/// assert!(options.verify_challenge_resource);
/// ```
#[derive(Clone, Debug)]
pub struct CryptographyClientOptions {
    /// The service API version (default `2025-07-01`; any string works).
    pub api_version: String,
    /// Verify that the authentication challenge's resource belongs to the
    /// vault (default true).
    pub verify_challenge_resource: bool,
    /// Retry settings.
    pub retry: RetryOptions,
    /// A custom HTTP client (for example one that trusts a test CA).
    pub http_client: Option<keyvault_keys_protocol::reqwest::Client>,
    /// Allow plain http to a loopback address (tests only).
    pub allow_insecure_loopback: bool,
    /// Time allowed for one attempt, connection included (default 60 s).
    /// Used only when `http_client` is `None`.
    pub timeout: Duration,
    /// Appended to the `User-Agent` header (for example an application id).
    pub user_agent_suffix: Option<String>,
    /// The longest response body read, in bytes (default 16 MiB).
    pub max_response_size: usize,
    /// The most pages one listing reads (default 100,000; `None`: no limit).
    pub max_pages: Option<usize>,
}

impl Default for CryptographyClientOptions {
    fn default() -> Self {
        let ClientOptions {
            api_version,
            verify_challenge_resource,
            retry,
            allow_insecure_loopback,
            http_client,
            timeout,
            user_agent_suffix,
            max_response_size,
            max_pages,
        } = ClientOptions::default();
        Self {
            api_version,
            verify_challenge_resource,
            retry,
            http_client,
            allow_insecure_loopback,
            timeout,
            user_agent_suffix,
            max_response_size,
            max_pages,
        }
    }
}

impl CryptographyClientOptions {
    /// Every setting, passed through (the literal names each field, so a
    /// pipeline setting added later does not compile until it is here too).
    pub(crate) fn to_protocol(&self) -> ClientOptions {
        ClientOptions {
            api_version: self.api_version.clone(),
            verify_challenge_resource: self.verify_challenge_resource,
            retry: self.retry.clone(),
            allow_insecure_loopback: self.allow_insecure_loopback,
            http_client: self.http_client.clone(),
            timeout: self.timeout,
            user_agent_suffix: self.user_agent_suffix.clone(),
            max_response_size: self.max_response_size,
            max_pages: self.max_pages,
        }
    }
}

macro_rules! operation_options {
    ($($name:ident => $method:literal),* $(,)?) => {$(
        #[doc = concat!("Options of `CryptographyClient::", $method, "` (none yet; the struct keeps the signature stable when one is added).")]
        #[derive(Clone, Debug, Default)]
        pub struct $name {}
    )*};
}

operation_options! {
    EncryptOptions => "encrypt",
    DecryptOptions => "decrypt",
    WrapKeyOptions => "wrap_key",
    UnwrapKeyOptions => "unwrap_key",
    SignOptions => "sign",
    VerifyOptions => "verify",
    SignDataOptions => "sign_data",
    VerifyDataOptions => "verify_data",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pipeline_setting_is_passed_through() {
        let options = CryptographyClientOptions {
            api_version: "7.6".into(),
            verify_challenge_resource: false,
            allow_insecure_loopback: true,
            timeout: Duration::from_secs(9),
            user_agent_suffix: Some("app/2".into()),
            max_response_size: 1234,
            max_pages: Some(5),
            ..Default::default()
        };
        let p = options.to_protocol();
        assert_eq!(p.api_version, "7.6");
        assert!(!p.verify_challenge_resource);
        assert!(p.allow_insecure_loopback);
        assert_eq!(p.timeout, Duration::from_secs(9));
        assert_eq!(p.user_agent_suffix.as_deref(), Some("app/2"));
        assert_eq!(p.max_response_size, 1234);
        assert_eq!(p.max_pages, Some(5));
        let d = CryptographyClientOptions::default().to_protocol();
        assert_eq!(d.api_version, ClientOptions::default().api_version);
        assert_eq!(d.timeout, ClientOptions::default().timeout);
    }
}
