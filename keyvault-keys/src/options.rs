//! Options: one struct per method, each with `Default`.
//!
//! The style follows the official Azure Rust crates (`Option<XxxOptions>`
//! as the last argument, `..Default::default()` for the rest), so users of
//! those crates find it familiar, and each keyword of the Python client is a
//! field with the same name.

use std::collections::BTreeMap;
use std::time::Duration;

use keyvault_crypto::{AkpAlgorithm, KeyCurveName, KeyExportEncryptionAlgorithm, KeyOperation};
use time::OffsetDateTime;

use crate::models::{ApiVersion, KeyReleasePolicy, KeyRotationLifetimeAction};

/// How to build a [`KeyClient`](crate::KeyClient).
#[derive(Clone, Debug)]
pub struct KeyClientOptions {
    /// The service api-version (default [`ApiVersion::DEFAULT`],
    /// 2025-07-01): a constant such as [`ApiVersion::V2026_04_01`] or any
    /// string (`"7.6".into()`). The client refuses, before any request, a
    /// method or an option that a known version does not have, with
    /// [`ErrorKind::Validation`](crate::ErrorKind::Validation); a string
    /// that is not a known version is sent unchecked and the service
    /// answers.
    pub api_version: ApiVersion,
    /// Verify that the authentication challenge's resource belongs to the
    /// vault (default true). Local vaults (`https://localhost:PORT`) pass
    /// with it on, since a resource equal to the vault's origin is accepted.
    pub verify_challenge_resource: bool,
    /// Retry settings.
    pub retry: keyvault_keys_protocol::RetryOptions,
    /// A custom HTTP client (for example one that trusts a test CA).
    pub http_client: Option<keyvault_keys_protocol::reqwest::Client>,
    /// Allow plain http to a loopback address (tests only).
    pub allow_insecure_loopback: bool,
    /// The longest response body read, in bytes (default 16 MiB, see
    /// [`keyvault_keys_protocol::ClientOptions::max_response_size`]); a
    /// longer one fails with [`ErrorKind::InvalidResponse`](crate::ErrorKind::InvalidResponse).
    pub max_response_size: usize,
    /// The most pages one listing reads before it fails with
    /// [`ErrorKind::InvalidResponse`](crate::ErrorKind::InvalidResponse)
    /// (default 100,000, see
    /// [`keyvault_keys_protocol::ClientOptions::max_pages`]; `None`: no limit).
    /// A service whose nextLinks never end cannot keep a listing going forever.
    pub max_pages: Option<usize>,
    /// Time allowed for one attempt, connection included (default 60 s; see
    /// [`keyvault_keys_protocol::ClientOptions::timeout`]). Used only when
    /// `http_client` is `None`.
    pub timeout: Duration,
    /// Appended to the `User-Agent` header (for example an application id).
    pub user_agent_suffix: Option<String>,
}

impl Default for KeyClientOptions {
    fn default() -> Self {
        Self {
            api_version: ApiVersion::default(),
            verify_challenge_resource: true,
            retry: Default::default(),
            http_client: None,
            allow_insecure_loopback: false,
            max_response_size: keyvault_keys_protocol::DEFAULT_MAX_RESPONSE_SIZE,
            max_pages: Some(keyvault_keys_protocol::DEFAULT_MAX_PAGES),
            timeout: keyvault_keys_protocol::ClientOptions::default().timeout,
            user_agent_suffix: None,
        }
    }
}

impl KeyClientOptions {
    /// Every setting, passed through: the literal names each field (no
    /// `..Default::default()`), so a setting added to the pipeline does not
    /// compile until it is passed through here too.
    pub(crate) fn to_protocol(&self) -> keyvault_keys_protocol::ClientOptions {
        keyvault_keys_protocol::ClientOptions {
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

/// Options of `create_key`, `create_rsa_key`, `create_ec_key`,
/// `create_oct_key` and `create_akp_key`.
#[derive(Clone, Debug, Default)]
pub struct CreateKeyOptions {
    /// Key size in bits (RSA 2048, 3072 or 4096; oct 128, 192 or 256; the
    /// service checks it).
    pub size: Option<u32>,
    /// The curve of an EC key (default P-256).
    pub curve: Option<KeyCurveName>,
    /// The RSA public exponent (Managed HSM).
    pub public_exponent: Option<u32>,
    /// Create the key in an HSM (RSA-HSM, EC-HSM, oct-HSM, AKP-HSM).
    pub hardware_protected: Option<bool>,
    /// The ML-DSA parameter set of an AKP key, sent as `alg`
    /// (2026-05-01-preview on; `create_akp_key` sets it from its argument).
    pub akp_algorithm: Option<AkpAlgorithm>,
    /// Permitted operations.
    pub key_operations: Option<Vec<KeyOperation>>,
    /// Whether the key is enabled.
    pub enabled: Option<bool>,
    /// Tags.
    pub tags: Option<BTreeMap<String, String>>,
    /// Not usable before.
    pub not_before: Option<OffsetDateTime>,
    /// Not usable from.
    pub expires_on: Option<OffsetDateTime>,
    /// Whether the private key can be released (needs a release policy).
    pub exportable: Option<bool>,
    /// The release policy.
    pub release_policy: Option<KeyReleasePolicy>,
}

/// Options of `create_external_key` (Python's keywords).
#[derive(Clone, Debug, Default)]
pub struct CreateExternalKeyOptions {
    /// Whether the key is enabled.
    pub enabled: Option<bool>,
    /// Tags.
    pub tags: Option<BTreeMap<String, String>>,
    /// Not usable before.
    pub not_before: Option<OffsetDateTime>,
    /// Not usable from.
    pub expires_on: Option<OffsetDateTime>,
    /// The release policy.
    pub release_policy: Option<KeyReleasePolicy>,
}

/// Options of `get_key`.
#[derive(Clone, Debug, Default)]
pub struct GetKeyOptions {
    /// The version to get (default: the latest).
    pub version: Option<String>,
}

/// Options of `get_key_attestation`.
#[derive(Clone, Debug, Default)]
pub struct GetKeyAttestationOptions {
    /// The version whose attestation to get (default: the latest).
    pub version: Option<String>,
}

/// Options of `get_deleted_key` (none yet; the struct keeps the signature
/// stable when one is added).
#[derive(Clone, Debug, Default)]
pub struct GetDeletedKeyOptions {}

/// Options of `purge_deleted_key` (none yet).
#[derive(Clone, Debug, Default)]
pub struct PurgeDeletedKeyOptions {}

/// Options of `backup_key` (none yet).
#[derive(Clone, Debug, Default)]
pub struct BackupKeyOptions {}

/// Options of `restore_key_backup` (none yet).
#[derive(Clone, Debug, Default)]
pub struct RestoreKeyBackupOptions {}

/// Options of `rotate_key` (none yet).
#[derive(Clone, Debug, Default)]
pub struct RotateKeyOptions {}

/// Options of `get_key_rotation_policy` (none yet).
#[derive(Clone, Debug, Default)]
pub struct GetKeyRotationPolicyOptions {}

/// Options of `get_random_bytes` (none yet).
#[derive(Clone, Debug, Default)]
pub struct GetRandomBytesOptions {}

/// Options of `get_cryptography_client`.
#[derive(Clone, Debug, Default)]
pub struct GetCryptographyClientOptions {
    /// The key version to use (default: the latest). Python's `key_version`.
    pub version: Option<String>,
}

/// Options of `import_key`.
#[derive(Clone, Debug, Default)]
pub struct ImportKeyOptions {
    /// Keep the key in an HSM.
    pub hardware_protected: Option<bool>,
    /// Whether the key is enabled.
    pub enabled: Option<bool>,
    /// Tags.
    pub tags: Option<BTreeMap<String, String>>,
    /// Not usable before.
    pub not_before: Option<OffsetDateTime>,
    /// Not usable from.
    pub expires_on: Option<OffsetDateTime>,
    /// Whether the private key can be released.
    pub exportable: Option<bool>,
    /// The release policy.
    pub release_policy: Option<KeyReleasePolicy>,
}

/// Options of `update_key_properties`.
#[derive(Clone, Debug, Default)]
pub struct UpdateKeyPropertiesOptions {
    /// The version to update (default: the latest).
    pub version: Option<String>,
    /// Permitted operations.
    pub key_operations: Option<Vec<KeyOperation>>,
    /// Whether the key is enabled.
    pub enabled: Option<bool>,
    /// Tags (replace the key's tags).
    pub tags: Option<BTreeMap<String, String>>,
    /// Not usable before.
    pub not_before: Option<OffsetDateTime>,
    /// Not usable from.
    pub expires_on: Option<OffsetDateTime>,
    /// The release policy.
    pub release_policy: Option<KeyReleasePolicy>,
}

/// Options of the `list_*` methods.
#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    /// Items per page (the service allows 1 to 25 and defaults to 25).
    pub max_page_size: Option<u32>,
    /// Resume from a page's continuation token.
    pub continuation_token: Option<String>,
}

/// Options of `delete_key` and `recover_deleted_key`.
#[derive(Clone, Debug)]
pub struct PollOptions {
    /// Wait until the operation completes (default true), as the Python aio
    /// client does.
    pub wait: bool,
    /// The longest time between polls (default 2 s, as the Python and .NET
    /// pollers wait).
    pub poll_interval: Duration,
    /// The first poll is immediate; the time before the second (default
    /// 200 ms), doubling after each poll up to `poll_interval`.
    pub initial_interval: Duration,
    /// Give up waiting after this long (default 5 minutes).
    pub timeout: Duration,
}

impl Default for PollOptions {
    fn default() -> Self {
        Self {
            wait: true,
            poll_interval: Duration::from_secs(2),
            initial_interval: Duration::from_millis(200),
            timeout: Duration::from_secs(300),
        }
    }
}

/// Options of `release_key`.
#[derive(Clone, Debug, Default)]
pub struct ReleaseKeyOptions {
    /// The version to release (default: the latest).
    pub version: Option<String>,
    /// How to wrap the released key.
    pub algorithm: Option<KeyExportEncryptionAlgorithm>,
    /// A nonce, echoed in the result.
    pub nonce: Option<String>,
}

/// Options of `update_key_rotation_policy`.
#[derive(Clone, Debug, Default)]
pub struct UpdateKeyRotationPolicyOptions {
    /// Replaces the policy's lifetime actions.
    pub lifetime_actions: Option<Vec<KeyRotationLifetimeAction>>,
    /// Replaces the policy's expiry (ISO 8601 duration, e.g. `P90D`).
    pub expires_in: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default api-version is the protocol crate's one constant.
    #[test]
    fn the_default_api_version_is_the_protocol_crates() {
        assert_eq!(
            KeyClientOptions::default().to_protocol().api_version,
            keyvault_keys_protocol::DEFAULT_API_VERSION
        );
        assert_eq!(
            ApiVersion::from(keyvault_keys_protocol::DEFAULT_API_VERSION),
            ApiVersion::default()
        );
    }

    #[test]
    fn the_response_size_limit_is_passed_through() {
        assert_eq!(
            KeyClientOptions::default().to_protocol().max_response_size,
            keyvault_keys_protocol::DEFAULT_MAX_RESPONSE_SIZE
        );
        let options = KeyClientOptions {
            max_response_size: 1234,
            ..Default::default()
        };
        assert_eq!(options.to_protocol().max_response_size, 1234);
    }

    #[test]
    fn the_timeout_and_user_agent_suffix_are_passed_through() {
        let defaults = keyvault_keys_protocol::ClientOptions::default();
        assert_eq!(
            KeyClientOptions::default().to_protocol().timeout,
            defaults.timeout
        );
        let options = KeyClientOptions {
            timeout: Duration::from_secs(7),
            user_agent_suffix: Some("my-app/1.0".into()),
            ..Default::default()
        };
        let p = options.to_protocol();
        assert_eq!(p.timeout, Duration::from_secs(7));
        assert_eq!(p.user_agent_suffix.as_deref(), Some("my-app/1.0"));
    }

    #[test]
    fn the_page_limit_is_passed_through() {
        assert_eq!(
            KeyClientOptions::default().to_protocol().max_pages,
            Some(keyvault_keys_protocol::DEFAULT_MAX_PAGES)
        );
        let options = KeyClientOptions {
            max_pages: Some(3),
            ..Default::default()
        };
        assert_eq!(options.to_protocol().max_pages, Some(3));
    }
}
