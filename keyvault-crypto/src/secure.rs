//! Secure wrap and secure unwrap (api-version 2026-01-01-preview and later,
//! stable in 2026-04-01): the results, and the remote calls.
//!
//! Secure wrap has a Managed HSM make a fresh 256-bit AES key inside its
//! trusted execution environment and return it wrapped with the client's
//! key; secure unwrap returns that AES key, but only to a caller whose
//! Microsoft Azure Attestation token satisfies the key's release policy.
//! Both run only in the service (there is nothing to do locally).

use serde::{Deserialize, Serialize};

use keyvault_keys_protocol::{call, types};

use crate::client::CryptographyClient;
use crate::enums::KeySecureWrapAlgorithm;
use crate::error::CryptoError;
use crate::options::{SecureUnwrapKeyOptions, SecureWrapKeyOptions};
use keyvault_keys_types::{SecretBytes, b64};

/// The result of [`CryptographyClient::secure_wrap_key`]: a fresh AES key,
/// wrapped.
///
/// ```
/// use keyvault_crypto::{KeySecureWrapAlgorithm, SecureWrapResult};
/// let r = SecureWrapResult::new(KeySecureWrapAlgorithm::RsaOaep256, vec![1, 2])
///     .with_key_id("https://v.managedhsm.azure.net/keys/k/1");
/// assert_eq!(r.encrypted_key, [1, 2]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SecureWrapResult {
    /// The key version that wrapped (the service's `kid`).
    #[serde(default)]
    pub key_id: Option<String>,
    /// The algorithm used.
    pub algorithm: KeySecureWrapAlgorithm,
    /// The wrapped AES key.
    #[serde(with = "b64::bytes")]
    pub encrypted_key: Vec<u8>,
}

impl SecureWrapResult {
    /// A result with no key id (for tests and fakes).
    pub fn new(algorithm: KeySecureWrapAlgorithm, encrypted_key: Vec<u8>) -> Self {
        Self {
            key_id: None,
            algorithm,
            encrypted_key,
        }
    }

    /// Sets the key version that did the operation.
    pub fn with_key_id(mut self, key_id: impl Into<String>) -> Self {
        self.key_id = Some(key_id.into());
        self
    }
}

/// The result of [`CryptographyClient::secure_unwrap_key`]: the AES key
/// itself.
///
/// The key is [`SecretBytes`]: zeroized when dropped, redacted in `Debug`.
/// Serialising the result **writes the key** (as base64url, through the
/// explicit [`b64::expose_secret`](crate::b64::expose_secret) field helper),
/// as for an [`UnwrapResult`](crate::UnwrapResult).
///
/// ```
/// use keyvault_crypto::{KeySecureWrapAlgorithm, SecureUnwrapResult};
/// let r = SecureUnwrapResult::new(KeySecureWrapAlgorithm::RsaOaep256, vec![7; 32]);
/// assert_eq!(format!("{:?}", r.key), "<redacted 32 bytes>");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SecureUnwrapResult {
    /// The key version that unwrapped (the service's `kid`).
    #[serde(default)]
    pub key_id: Option<String>,
    /// The algorithm used.
    pub algorithm: KeySecureWrapAlgorithm,
    /// The unwrapped AES key (zeroized on drop, redacted in `Debug`).
    #[serde(with = "b64::expose_secret")]
    pub key: SecretBytes,
}

impl SecureUnwrapResult {
    /// A result with no key id (for tests and fakes).
    pub fn new(algorithm: KeySecureWrapAlgorithm, key: impl Into<SecretBytes>) -> Self {
        Self {
            key_id: None,
            algorithm,
            key: key.into(),
        }
    }

    /// Sets the key version that did the operation.
    pub fn with_key_id(mut self, key_id: impl Into<String>) -> Self {
        self.key_id = Some(key_id.into());
        self
    }
}

impl CryptographyClient {
    /// Has the Managed HSM make a fresh 256-bit AES key inside its trusted
    /// execution environment and return it wrapped with this client's key
    /// (`POST /keys/{name}/{version}/securewrapkey`). Python's
    /// `secure_wrap_key`. Remote only; needs the `keys/wrapKey` permission
    /// and api-version 2026-01-01-preview or later (an older known version
    /// is refused before any request).
    ///
    /// ```no_run
    /// # async fn f(crypto: keyvault_crypto::CryptographyClient) -> Result<(), keyvault_crypto::CryptoError> {
    /// use keyvault_crypto::KeySecureWrapAlgorithm;
    /// let wrapped = crypto.secure_wrap_key(&KeySecureWrapAlgorithm::RsaOaep256, None).await?;
    /// println!("{} bytes", wrapped.encrypted_key.len());
    /// # Ok(()) }
    /// ```
    pub async fn secure_wrap_key(
        &self,
        algorithm: &KeySecureWrapAlgorithm,
        options: Option<SecureWrapKeyOptions>,
    ) -> Result<SecureWrapResult, CryptoError> {
        let SecureWrapKeyOptions {} = options.unwrap_or_default();
        let remote = self.remote_for("secure_wrap_key", "securewrapkey")?;
        let body = types::SecureKeyWrapOperationParameters {
            alg: algorithm.clone(),
            extra: Default::default(),
        };
        let (name, version) = self.name_and_version();
        let r = call(remote.securewrapkey(name, version, &body)).await?;
        Ok(SecureWrapResult {
            key_id: Some(r.kid.clone()),
            algorithm: r.alg.clone(),
            encrypted_key: decode(r.value.expose_secret())?,
        })
    }

    /// Unwraps a key made by [`secure_wrap_key`](Self::secure_wrap_key)
    /// for the environment that `target_attestation_token` (a Microsoft
    /// Azure Attestation token) attests, when it satisfies the key's release
    /// policy (`POST /keys/{name}/{version}/secureunwrapkey`). Python's
    /// `secure_unwrap_key`. Remote only; needs the `keys/unwrapKey`
    /// permission and api-version 2026-01-01-preview or later.
    ///
    /// ```no_run
    /// # async fn f(crypto: keyvault_crypto::CryptographyClient, wrapped: Vec<u8>, token: &str) -> Result<(), keyvault_crypto::CryptoError> {
    /// use keyvault_crypto::KeySecureWrapAlgorithm;
    /// let unwrapped = crypto
    ///     .secure_unwrap_key(&KeySecureWrapAlgorithm::RsaOaep256, &wrapped, token, None)
    ///     .await?;
    /// assert_eq!(unwrapped.key.len(), 32);
    /// # Ok(()) }
    /// ```
    pub async fn secure_unwrap_key(
        &self,
        algorithm: &KeySecureWrapAlgorithm,
        encrypted_key: &[u8],
        target_attestation_token: &str,
        options: Option<SecureUnwrapKeyOptions>,
    ) -> Result<SecureUnwrapResult, CryptoError> {
        let SecureUnwrapKeyOptions {} = options.unwrap_or_default();
        let remote = self.remote_for("secure_unwrap_key", "secureunwrapkey")?;
        // The wire requires a non-empty token (`minLength: 1`): an empty one
        // cannot be sent at all.
        let target = target_attestation_token.parse().map_err(|_| {
            CryptoError::InvalidInput(
                "target_attestation_token is empty: secure unwrap needs the attestation token of the receiving environment".into(),
            )
        })?;
        let body = types::SecureKeyUnWrapOperationParameters {
            application_trusted_issuer: None,
            alg: algorithm.clone(),
            value: b64::encode(encrypted_key),
            target,
            extra: Default::default(),
        };
        let (name, version) = self.name_and_version();
        let r = call(remote.secureunwrapkey(name, version, &body)).await?;
        Ok(SecureUnwrapResult {
            key_id: Some(r.kid.clone()),
            algorithm: r.alg.clone(),
            // The service's text is a `SecretString` (wiped when dropped).
            key: SecretBytes::new(decode(r.value.expose_secret())?),
        })
    }
}

fn decode(s: &str) -> Result<Vec<u8>, CryptoError> {
    b64::decode(s)
        .map_err(|e| CryptoError::InvalidResponse(format!("the result is not base64url: {e}")))
}
