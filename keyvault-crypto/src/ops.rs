//! Operation parameters and results.

use crate::enums::{EncryptionAlgorithm, KeyWrapAlgorithm, SignatureAlgorithm};
use crate::secret::SecretBytes;

/// What to encrypt, and how.
#[derive(Clone, Debug)]
pub struct EncryptParameters {
    /// The algorithm.
    pub algorithm: EncryptionAlgorithm,
    /// The plaintext.
    pub plaintext: Vec<u8>,
    /// The IV for AES-CBC (16 bytes) or AES-GCM (12 bytes). When `None`, a
    /// random one is made and returned in the result. (The service makes
    /// the GCM IV itself; a given GCM IV is used only locally.)
    pub iv: Option<Vec<u8>>,
    /// Additional authenticated data (AES-GCM).
    pub additional_authenticated_data: Option<Vec<u8>>,
}

impl EncryptParameters {
    /// Parameters with no IV and no AAD.
    pub fn new(algorithm: EncryptionAlgorithm, plaintext: impl Into<Vec<u8>>) -> Self {
        Self {
            algorithm,
            plaintext: plaintext.into(),
            iv: None,
            additional_authenticated_data: None,
        }
    }
    /// Sets the IV.
    pub fn with_iv(mut self, iv: impl Into<Vec<u8>>) -> Self {
        self.iv = Some(iv.into());
        self
    }
    /// Sets the additional authenticated data.
    pub fn with_aad(mut self, aad: impl Into<Vec<u8>>) -> Self {
        self.additional_authenticated_data = Some(aad.into());
        self
    }
}

/// What to decrypt, and how.
#[derive(Clone, Debug)]
pub struct DecryptParameters {
    /// The algorithm.
    pub algorithm: EncryptionAlgorithm,
    /// The ciphertext.
    pub ciphertext: Vec<u8>,
    /// The IV (AES).
    pub iv: Option<Vec<u8>>,
    /// Additional authenticated data (AES-GCM).
    pub additional_authenticated_data: Option<Vec<u8>>,
    /// The authentication tag (AES-GCM).
    pub authentication_tag: Option<Vec<u8>>,
}

impl DecryptParameters {
    /// Parameters with no IV, AAD or tag (RSA).
    pub fn new(algorithm: EncryptionAlgorithm, ciphertext: impl Into<Vec<u8>>) -> Self {
        Self {
            algorithm,
            ciphertext: ciphertext.into(),
            iv: None,
            additional_authenticated_data: None,
            authentication_tag: None,
        }
    }
    /// Sets the IV.
    pub fn with_iv(mut self, iv: impl Into<Vec<u8>>) -> Self {
        self.iv = Some(iv.into());
        self
    }
    /// Sets the additional authenticated data.
    pub fn with_aad(mut self, aad: impl Into<Vec<u8>>) -> Self {
        self.additional_authenticated_data = Some(aad.into());
        self
    }
    /// Sets the authentication tag.
    pub fn with_tag(mut self, tag: impl Into<Vec<u8>>) -> Self {
        self.authentication_tag = Some(tag.into());
        self
    }
    /// Decrypt parameters for the output of an encryption.
    pub fn from_encrypt_result(r: &EncryptResult) -> Self {
        Self {
            algorithm: r.algorithm.clone(),
            ciphertext: r.ciphertext.clone(),
            iv: r.iv.clone(),
            additional_authenticated_data: r.additional_authenticated_data.clone(),
            authentication_tag: r.authentication_tag.clone(),
        }
    }
}

/// The result of `encrypt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptResult {
    /// The key version that encrypted (when known).
    pub key_id: Option<String>,
    /// The algorithm used.
    pub algorithm: EncryptionAlgorithm,
    /// The ciphertext.
    pub ciphertext: Vec<u8>,
    /// The IV used (AES).
    pub iv: Option<Vec<u8>>,
    /// The authentication tag (AES-GCM).
    pub authentication_tag: Option<Vec<u8>>,
    /// The additional authenticated data (AES-GCM).
    pub additional_authenticated_data: Option<Vec<u8>>,
}

/// The result of `decrypt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecryptResult {
    /// The key version that decrypted (when known).
    pub key_id: Option<String>,
    /// The algorithm used.
    pub algorithm: EncryptionAlgorithm,
    /// The plaintext.
    pub plaintext: Vec<u8>,
}

/// The result of `wrap_key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrapResult {
    /// The key version that wrapped (when known).
    pub key_id: Option<String>,
    /// The algorithm used.
    pub algorithm: KeyWrapAlgorithm,
    /// The wrapped key.
    pub encrypted_key: Vec<u8>,
}

/// The result of `unwrap_key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnwrapResult {
    /// The key version that unwrapped (when known).
    pub key_id: Option<String>,
    /// The algorithm used.
    pub algorithm: KeyWrapAlgorithm,
    /// The unwrapped key (zeroized on drop, redacted in `Debug`).
    pub key: SecretBytes,
}

/// The result of `sign`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignResult {
    /// The key version that signed (when known).
    pub key_id: Option<String>,
    /// The algorithm used.
    pub algorithm: SignatureAlgorithm,
    /// The signature (raw r‖s for ECDSA).
    pub signature: Vec<u8>,
}

/// The result of `verify`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyResult {
    /// The key version that verified (when known).
    pub key_id: Option<String>,
    /// The algorithm used.
    pub algorithm: SignatureAlgorithm,
    /// Whether the signature is valid.
    pub is_valid: bool,
}
