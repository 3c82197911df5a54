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

use crate::models::{KeyReleasePolicy, KeyRotationLifetimeAction};

/// How to build a [`KeyClient`](crate::KeyClient): the pipeline's
/// settings are the protocol client's own
/// [`ClientOptions`](keyvault_keys_protocol::ClientOptions) (the Azure SDK
/// for Rust's shape and field name), one definition for every client of
/// the SDK, so a pipeline setting added there is here too.
///
/// `client_options.api_version` (default [`ApiVersion::DEFAULT`],
/// 2025-07-01) is a constant such as [`ApiVersion::V2026_04_01`] or any
/// string (`"7.6".into()`). The client refuses, before any request, a
/// method or an option that a known version does not have, with
/// [`ErrorKind::Validation`](crate::ErrorKind::Validation); a string that is
/// not a known version is sent unchecked and the service answers.
///
/// ```
/// use keyvault_keys::{ApiVersion, ClientOptions, KeyClientOptions};
/// let options = KeyClientOptions {
///     client_options: ClientOptions { api_version: ApiVersion::V7_6, ..Default::default() },
///     ..Default::default()
/// };
/// assert!(options.client_options.verify_challenge_resource);
/// ```
#[derive(Clone, Debug, Default)]
pub struct KeyClientOptions {
    /// The pipeline's settings: api-version, retries, HTTP client, time-out,
    /// size and page limits, challenge verification, user agent.
    pub client_options: keyvault_keys_protocol::ClientOptions,
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

/// Options of `list_properties_of_keys`.
#[derive(Clone, Debug, Default)]
pub struct ListPropertiesOfKeysOptions {
    /// Items per page (the service allows 1 to 25 and defaults to 25).
    pub max_page_size: Option<u32>,
    /// Resume from a page's continuation token.
    pub continuation_token: Option<String>,
}

/// Options of `list_properties_of_key_versions`.
#[derive(Clone, Debug, Default)]
pub struct ListPropertiesOfKeyVersionsOptions {
    /// Items per page (the service allows 1 to 25 and defaults to 25).
    pub max_page_size: Option<u32>,
    /// Resume from a page's continuation token.
    pub continuation_token: Option<String>,
}

/// Options of `list_deleted_keys`.
#[derive(Clone, Debug, Default)]
pub struct ListDeletedKeysOptions {
    /// Items per page (the service allows 1 to 25 and defaults to 25).
    pub max_page_size: Option<u32>,
    /// Resume from a page's continuation token.
    pub continuation_token: Option<String>,
}

/// How `delete_key` and `recover_deleted_key` wait for their operation
/// (the poller's settings, as `DeleteKeyOptions::poll` and
/// `RecoverDeletedKeyOptions::poll`).
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

/// Options of `delete_key`.
#[derive(Clone, Debug, Default)]
pub struct DeleteKeyOptions {
    /// How to wait for the deletion to complete.
    pub poll: PollOptions,
}

/// Options of `recover_deleted_key`.
#[derive(Clone, Debug, Default)]
pub struct RecoverDeletedKeyOptions {
    /// How to wait for the recovery to complete.
    pub poll: PollOptions,
}

impl From<PollOptions> for DeleteKeyOptions {
    fn from(poll: PollOptions) -> Self {
        Self { poll }
    }
}

impl From<PollOptions> for RecoverDeletedKeyOptions {
    fn from(poll: PollOptions) -> Self {
        Self { poll }
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
    use crate::models::ApiVersion;

    /// The default api-version is the protocol crate's one constant.
    #[test]
    fn the_default_api_version_is_the_protocol_crates() {
        assert_eq!(
            KeyClientOptions::default().client_options.api_version,
            keyvault_keys_protocol::DEFAULT_API_VERSION
        );
        assert_eq!(
            ApiVersion::from(keyvault_keys_protocol::DEFAULT_API_VERSION),
            ApiVersion::default()
        );
    }
}
