//! Errors of the local engine and of the cryptography client.

/// What went wrong, with a message that says what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The algorithm does not fit the key (type, size or curve).
    #[error("{algorithm} cannot be used with this key: {reason}")]
    AlgorithmMismatch {
        /// The algorithm asked for.
        algorithm: String,
        /// Why it does not fit.
        reason: String,
    },
    /// The algorithm is not supported (locally, or at all).
    #[error("algorithm {algorithm} is not supported {context}")]
    UnsupportedAlgorithm {
        /// The algorithm asked for.
        algorithm: String,
        /// Where it is not supported.
        context: String,
    },
    /// The key's `key_ops` do not allow the operation.
    #[error("the key does not permit {operation}: its key_ops are [{allowed}]")]
    OperationNotPermitted {
        /// The operation asked for.
        operation: String,
        /// The key's permitted operations.
        allowed: String,
    },
    /// The key is not valid now (disabled, not yet valid, or expired).
    #[error("the key cannot be used now: {0}")]
    KeyNotValid(String),
    /// The operation needs the private key, which this key does not hold.
    #[error("{operation} needs the private key, and this key has only its public part")]
    MissingPrivateKey {
        /// The operation asked for.
        operation: String,
    },
    /// The JWK is malformed or inconsistent.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// An input (digest, IV, tag, plaintext) has the wrong shape.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Decryption or unwrapping failed. Deliberately without detail: the
    /// cause (padding, tag, wrong key) must not be distinguishable.
    #[error("decryption failed")]
    DecryptionFailed,
    /// The operation cannot run locally (for example a key without its
    /// material, held in an HSM) and the client has no vault to ask.
    #[error("cannot run {operation} locally: {reason}")]
    LocalUnavailable {
        /// The operation asked for.
        operation: String,
        /// Why not.
        reason: String,
    },
    /// The vault refused or failed the remote operation (with the
    /// `remote` feature, which brings the HTTP client).
    #[cfg(feature = "remote")]
    #[error(transparent)]
    Service(#[from] keyvault_keys_protocol::Error),
    /// The client's api-version does not have the method or an option
    /// asked for; nothing was sent (`'secure_wrap_key' is not available in
    /// API version 2025-07-01; use 2026-01-01-preview or newer`).
    #[error(transparent)]
    NotInApiVersion(#[from] keyvault_keys_types::NotInApiVersion),
    /// The vault's answer to a remote operation is not what the API
    /// describes (a result without a value, a value that is not base64url).
    #[error("the service's answer is not what the API describes: {0}")]
    InvalidResponse(String),
    /// The cryptographic backend failed unexpectedly.
    #[error("cryptographic backend error: {0}")]
    Backend(String),
}

pub(crate) fn mismatch(
    algorithm: impl std::fmt::Display,
    reason: impl Into<String>,
) -> CryptoError {
    CryptoError::AlgorithmMismatch {
        algorithm: algorithm.to_string(),
        reason: reason.into(),
    }
}

pub(crate) fn backend(what: &str) -> impl Fn(aws_lc_rs::error::Unspecified) -> CryptoError + '_ {
    move |_| CryptoError::Backend(what.to_owned())
}

/// `error.type` of a `CryptographyClient` method's span: the status of the
/// service's answer, else the variant's name.
#[cfg(feature = "remote")]
impl keyvault_keys_protocol::instrumentation::TracedError for CryptoError {
    fn status_code(&self) -> Option<u16> {
        match self {
            CryptoError::Service(e) => e.status_code(),
            _ => None,
        }
    }
    fn error_type(&self) -> &'static str {
        match self {
            CryptoError::AlgorithmMismatch { .. } => "AlgorithmMismatch",
            CryptoError::UnsupportedAlgorithm { .. } => "UnsupportedAlgorithm",
            CryptoError::OperationNotPermitted { .. } => "OperationNotPermitted",
            CryptoError::KeyNotValid(_) => "KeyNotValid",
            CryptoError::MissingPrivateKey { .. } => "MissingPrivateKey",
            CryptoError::InvalidKey(_) => "InvalidKey",
            CryptoError::InvalidInput(_) => "InvalidInput",
            CryptoError::DecryptionFailed => "DecryptionFailed",
            CryptoError::LocalUnavailable { .. } => "LocalUnavailable",
            CryptoError::Service(e) => e.error_type(),
            CryptoError::InvalidResponse(_) => "InvalidResponse",
            CryptoError::NotInApiVersion(_) => "NotInApiVersion",
            CryptoError::Backend(_) => "Backend",
        }
    }
}

/// A string that is not a key identifier is the caller's input.
impl From<keyvault_keys_types::InvalidKeyId> for CryptoError {
    fn from(e: keyvault_keys_types::InvalidKeyId) -> Self {
        CryptoError::InvalidInput(e.to_string())
    }
}

/// A key from the wire that is not a key.
impl From<keyvault_keys_types::InvalidJwk> for CryptoError {
    fn from(e: keyvault_keys_types::InvalidJwk) -> Self {
        CryptoError::InvalidKey(e.0)
    }
}
