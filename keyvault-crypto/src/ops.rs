//! Operation parameters and results.
//!
//! The results are `#[non_exhaustive]` (a field added later breaks no one),
//! so code outside this crate builds them with their constructors — `new`
//! plus `with_*` setters, a model factory for tests and fakes — not with
//! struct literals.
//!
//! They serialise with serde (a user can store or forward them): fields in
//! snake_case, byte strings as unpadded base64url (as in [`JsonWebKey`]),
//! algorithms as their wire names, absent options as `null`. Decoding
//! accepts either base64 alphabet, padded or not.
//!
//! **Secrets.** Serialising a [`DecryptResult`] writes its plaintext and an
//! [`UnwrapResult`] its unwrapped key, as base64url: that is what
//! serialising them asks for, and the output is the caller's to protect.
//! It happens only through the explicit
//! [`b64::expose_secret`](crate::b64::expose_secret) field helper
//! ([`SecretBytes`] itself has no `Serialize`), never through `Debug`, which
//! stays redacted before and after a round trip.
//!
//! [`JsonWebKey`]: crate::JsonWebKey
//!
//! ```
//! use keyvault_crypto::{DecryptResult, EncryptionAlgorithm};
//!
//! let r = DecryptResult::new(EncryptionAlgorithm::RsaOaep256, b"hi".to_vec())
//!     .with_key_id("https://v.vault.azure.net/keys/k/1");
//! let json = serde_json::to_string(&r)?;
//! assert_eq!(
//!     json,
//!     r#"{"key_id":"https://v.vault.azure.net/keys/k/1","algorithm":"RSA-OAEP-256","plaintext":"aGk"}"#
//! );
//! let back: DecryptResult = serde_json::from_str(&json)?;
//! assert_eq!(back, r);
//! assert_eq!(format!("{:?}", back.plaintext), "<redacted 2 bytes>");
//! # Ok::<(), serde_json::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use crate::enums::{EncryptionAlgorithm, KeyWrapAlgorithm, SignatureAlgorithm};
use crate::secret::{SecretBytes, b64};

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

/// Sets `key_id`: the key version that did the operation.
macro_rules! with_key_id {
    () => {
        /// Sets the key version that did the operation.
        pub fn with_key_id(mut self, key_id: impl Into<String>) -> Self {
            self.key_id = Some(key_id.into());
            self
        }
    };
}

/// The result of `encrypt`.
///
/// ```
/// use keyvault_crypto::{EncryptResult, EncryptionAlgorithm};
/// let r = EncryptResult::new(EncryptionAlgorithm::A256Gcm, vec![1, 2, 3])
///     .with_key_id("https://v.vault.azure.net/keys/k/1")
///     .with_iv(vec![0; 12])
///     .with_tag(vec![9; 16])
///     .with_aad(b"context".to_vec());
/// assert_eq!(r.authentication_tag.as_deref(), Some(&[9; 16][..]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EncryptResult {
    /// The key version that encrypted (when known).
    #[serde(default)]
    pub key_id: Option<String>,
    /// The algorithm used.
    pub algorithm: EncryptionAlgorithm,
    /// The ciphertext.
    #[serde(with = "b64::bytes")]
    pub ciphertext: Vec<u8>,
    /// The IV used (AES).
    #[serde(default, with = "b64::opt")]
    pub iv: Option<Vec<u8>>,
    /// The authentication tag (AES-GCM).
    #[serde(default, with = "b64::opt")]
    pub authentication_tag: Option<Vec<u8>>,
    /// The additional authenticated data (AES-GCM).
    #[serde(default, with = "b64::opt")]
    pub additional_authenticated_data: Option<Vec<u8>>,
}

impl EncryptResult {
    /// A result with no key id, IV, tag or AAD (for tests and fakes; set
    /// the rest with the `with_*` methods).
    pub fn new(algorithm: EncryptionAlgorithm, ciphertext: impl Into<Vec<u8>>) -> Self {
        Self {
            key_id: None,
            algorithm,
            ciphertext: ciphertext.into(),
            iv: None,
            authentication_tag: None,
            additional_authenticated_data: None,
        }
    }
    with_key_id!();
    /// Sets the IV.
    pub fn with_iv(mut self, iv: impl Into<Vec<u8>>) -> Self {
        self.iv = Some(iv.into());
        self
    }
    /// Sets the authentication tag.
    pub fn with_tag(mut self, tag: impl Into<Vec<u8>>) -> Self {
        self.authentication_tag = Some(tag.into());
        self
    }
    /// Sets the additional authenticated data.
    pub fn with_aad(mut self, aad: impl Into<Vec<u8>>) -> Self {
        self.additional_authenticated_data = Some(aad.into());
        self
    }
}

/// The result of `decrypt`.
///
/// Serialising it **writes the plaintext** (as base64url, through the explicit
/// [`b64::expose_secret`](crate::b64::expose_secret) field helper): that is
/// what serialising it asks for, and the output is the caller's to protect.
/// `Debug` never shows it, before or after a round trip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DecryptResult {
    /// The key version that decrypted (when known).
    #[serde(default)]
    pub key_id: Option<String>,
    /// The algorithm used.
    pub algorithm: EncryptionAlgorithm,
    /// The plaintext (zeroized on drop, redacted in `Debug`; reads as a
    /// byte slice).
    #[serde(with = "b64::expose_secret")]
    pub plaintext: SecretBytes,
}

impl DecryptResult {
    /// A result with no key id (for tests and fakes).
    pub fn new(algorithm: EncryptionAlgorithm, plaintext: impl Into<SecretBytes>) -> Self {
        Self {
            key_id: None,
            algorithm,
            plaintext: plaintext.into(),
        }
    }
    with_key_id!();
}

/// The result of `wrap_key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WrapResult {
    /// The key version that wrapped (when known).
    #[serde(default)]
    pub key_id: Option<String>,
    /// The algorithm used.
    pub algorithm: KeyWrapAlgorithm,
    /// The wrapped key.
    #[serde(with = "b64::bytes")]
    pub encrypted_key: Vec<u8>,
}

impl WrapResult {
    /// A result with no key id (for tests and fakes).
    pub fn new(algorithm: KeyWrapAlgorithm, encrypted_key: impl Into<Vec<u8>>) -> Self {
        Self {
            key_id: None,
            algorithm,
            encrypted_key: encrypted_key.into(),
        }
    }
    with_key_id!();
}

/// The result of `unwrap_key`.
///
/// Serialising it **writes the unwrapped key** (as base64url, through the explicit
/// [`b64::expose_secret`](crate::b64::expose_secret) field helper): that is
/// what serialising it asks for, and the output is the caller's to protect.
/// `Debug` never shows it, before or after a round trip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UnwrapResult {
    /// The key version that unwrapped (when known).
    #[serde(default)]
    pub key_id: Option<String>,
    /// The algorithm used.
    pub algorithm: KeyWrapAlgorithm,
    /// The unwrapped key (zeroized on drop, redacted in `Debug`).
    #[serde(with = "b64::expose_secret")]
    pub key: SecretBytes,
}

impl UnwrapResult {
    /// A result with no key id (for tests and fakes).
    pub fn new(algorithm: KeyWrapAlgorithm, key: impl Into<SecretBytes>) -> Self {
        Self {
            key_id: None,
            algorithm,
            key: key.into(),
        }
    }
    with_key_id!();
}

/// The result of `sign`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SignResult {
    /// The key version that signed (when known).
    #[serde(default)]
    pub key_id: Option<String>,
    /// The algorithm used.
    pub algorithm: SignatureAlgorithm,
    /// The signature (raw r‖s for ECDSA).
    #[serde(with = "b64::bytes")]
    pub signature: Vec<u8>,
}

impl SignResult {
    /// A result with no key id (for tests and fakes).
    pub fn new(algorithm: SignatureAlgorithm, signature: impl Into<Vec<u8>>) -> Self {
        Self {
            key_id: None,
            algorithm,
            signature: signature.into(),
        }
    }
    with_key_id!();
}

/// The result of `verify`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VerifyResult {
    /// The key version that verified (when known).
    #[serde(default)]
    pub key_id: Option<String>,
    /// The algorithm used.
    pub algorithm: SignatureAlgorithm,
    /// Whether the signature is valid.
    pub is_valid: bool,
}

impl VerifyResult {
    /// A result with no key id (for tests and fakes).
    pub fn new(algorithm: SignatureAlgorithm, is_valid: bool) -> Self {
        Self {
            key_id: None,
            algorithm,
            is_valid,
        }
    }
    with_key_id!();
}
