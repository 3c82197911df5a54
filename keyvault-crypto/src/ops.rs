//! Operation parameters and results.

use crate::enums::{EncryptionAlgorithm, KeyWrapAlgorithm, SignatureAlgorithm};
use crate::secret::SecretBytes;

/// What to encrypt, and how.
///
/// **IVs.** AES-GCM always gets a fresh random 96-bit IV, made by the engine
/// (or by the service): an IV used twice with one key reveals the XOR of the
/// two plaintexts and lets anyone forge tags, so a caller-chosen GCM IV is
/// refused ([`CryptoError::InvalidInput`](crate::CryptoError::InvalidInput)).
/// The one exception, [`Self::with_gcm_iv_for_interop_tests`], exists for
/// known-answer and interoperability tests. AES-CBC takes a given IV (it must
/// be unpredictable) or makes a random one when `iv` is `None`.
///
/// The plaintext is [`SecretBytes`]: zeroized when dropped, redacted in
/// `Debug`.
#[derive(Clone, Debug)]
pub struct EncryptParameters {
    /// The algorithm.
    pub algorithm: EncryptionAlgorithm,
    /// The plaintext.
    pub plaintext: SecretBytes,
    /// The IV for AES-CBC (16 bytes). When `None`, a random one is made and
    /// returned in the result. Must be `None` for AES-GCM (see above).
    pub iv: Option<Vec<u8>>,
    /// Additional authenticated data (AES-GCM).
    pub additional_authenticated_data: Option<Vec<u8>>,
    /// When `true`, `iv` is used as the AES-GCM IV. **For known-answer and
    /// interoperability tests only**: never reuse an IV with a key. Set it
    /// with [`Self::with_gcm_iv_for_interop_tests`].
    pub gcm_iv_for_interop_tests: bool,
}

impl EncryptParameters {
    /// Parameters with no IV and no AAD.
    pub fn new(algorithm: EncryptionAlgorithm, plaintext: impl Into<Vec<u8>>) -> Self {
        Self {
            algorithm,
            plaintext: SecretBytes::new(plaintext.into()),
            iv: None,
            additional_authenticated_data: None,
            gcm_iv_for_interop_tests: false,
        }
    }
    /// Sets the AES-CBC IV (16 unpredictable bytes). AES-GCM refuses it.
    pub fn with_iv(mut self, iv: impl Into<Vec<u8>>) -> Self {
        self.iv = Some(iv.into());
        self
    }
    /// Sets the AES-GCM IV. **For known-answer and interoperability tests
    /// only**: an IV must never be used twice with one key, and without this
    /// call the engine makes a fresh random one every time. Locally only:
    /// the service makes its own GCM IV.
    pub fn with_gcm_iv_for_interop_tests(mut self, iv: impl Into<Vec<u8>>) -> Self {
        self.iv = Some(iv.into());
        self.gcm_iv_for_interop_tests = true;
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
    /// The plaintext (zeroized on drop, redacted in `Debug`; reads as a
    /// byte slice).
    pub plaintext: SecretBytes,
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
