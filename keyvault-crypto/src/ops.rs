//! Operation parameters and results.
//!
//! The results are `#[non_exhaustive]` (a field added later breaks no one),
//! so code outside this crate builds them with their constructors — `new`
//! plus `with_*` setters, a model factory for tests and fakes — not with
//! struct literals.
//!
//! **The key id** is an `Arc<str>`: the key (or client) holds it once and
//! every result shares it, so a result costs no copy of it; it reads as a
//! `&str` (`r.key_id.as_deref()`) and serialises as a string.
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

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::enums::{EncryptionAlgorithm, KeyWrapAlgorithm, SignatureAlgorithm};
use crate::error::CryptoError;
use keyvault_keys_types::{SecretBytes, b64};

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
        /// Sets the key version that did the operation (a `&str`, a
        /// `String`, or an `Arc<str>` shared with other results).
        pub fn with_key_id(mut self, key_id: impl Into<Arc<str>>) -> Self {
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
    pub key_id: Option<Arc<str>>,
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
    pub key_id: Option<Arc<str>>,
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
    pub key_id: Option<Arc<str>>,
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
    pub key_id: Option<Arc<str>>,
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
    pub key_id: Option<Arc<str>>,
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
    pub key_id: Option<Arc<str>>,
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

/// The longest ML-DSA context string (FIPS 204, section 5.2: 255 bytes).
pub const ML_DSA_MAX_CONTEXT_LEN: usize = 255;
/// The length of ML-DSA's message representative μ (FIPS 204, section 6.2).
pub const ML_DSA_MU_LEN: usize = 64;

/// Computes ML-DSA's message representative μ for `message` with the
/// context string `context`, under the public key `public_key` (the JWK's
/// `pub`): μ = SHAKE256(SHAKE256(pk, 64) ‖ 0 ‖ |ctx| ‖ ctx ‖ M, 64), FIPS
/// 204 algorithm 2 with §6.2's external μ.
///
/// This is what [`MlDsaSignParameters::external_mu`] takes: a caller with
/// a large message computes μ where the message is and sends the vault 64
/// bytes. Errors with [`CryptoError::InvalidInput`] for a context over 255
/// bytes, or a public key of none of the three parameter sets' lengths.
///
/// ```
/// use keyvault_crypto::{AkpAlgorithm, KeyType, LocalKey, MlDsaSignParameters,
///     MlDsaVerifyParameters, generate_akp, ml_dsa_mu};
/// let jwk = generate_akp(&KeyType::Akp, &AkpAlgorithm::MlDsa44)?;
/// let key = LocalKey::from_jwk(&jwk)?;
/// let public = jwk.pub_key.as_deref().unwrap_or_default();
/// let mu = ml_dsa_mu(public, b"context", b"a large message")?;
/// let signed = key.sign_ml_dsa(&MlDsaSignParameters::external_mu(mu))?;
/// // The signature is an ordinary one of the message with its context.
/// let check = MlDsaVerifyParameters::message(b"a large message".to_vec(), signed.signature)
///     .with_context(b"context".to_vec());
/// assert!(key.verify_ml_dsa(&check)?.is_valid);
/// # Ok::<(), keyvault_crypto::CryptoError>(())
/// ```
pub fn ml_dsa_mu(
    public_key: &[u8],
    context: &[u8],
    message: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    use shake::{ExtendableOutput as _, Shake256, Update as _, XofReader as _};
    // The parameter sets' public key lengths, from the one enum.
    let lengths: Vec<usize> = crate::AkpAlgorithm::SPEC_VALUES
        .iter()
        .filter_map(|v| crate::AkpAlgorithm::parse(v).public_key_len())
        .collect();
    if !lengths.contains(&public_key.len()) {
        let mut lengths: Vec<String> = lengths.iter().map(usize::to_string).collect();
        let last = lengths.pop().unwrap_or_default();
        return Err(CryptoError::InvalidInput(format!(
            "an ML-DSA public key is {} or {last} bytes (one per parameter set), not {}",
            lengths.join(", "),
            public_key.len()
        )));
    }
    let Ok(context_len) = u8::try_from(context.len()) else {
        return Err(CryptoError::InvalidInput(format!(
            "an ML-DSA context is at most {ML_DSA_MAX_CONTEXT_LEN} bytes (FIPS 204, 5.2), not {}",
            context.len()
        )));
    };
    let mut tr = [0u8; 64];
    let mut h = Shake256::default();
    h.update(public_key);
    h.finalize_xof().read(&mut tr);
    let mut h = Shake256::default();
    h.update(&tr);
    h.update(&[0, context_len]);
    h.update(context);
    h.update(message);
    let mut mu = vec![0u8; ML_DSA_MU_LEN];
    h.finalize_xof().read(&mut mu);
    Ok(mu)
}

/// What an ML-DSA (AKP key) signature covers: a message, with an optional
/// context string, or a μ the caller computed.
///
/// Key Vault's ML-DSA is *pure* ML-DSA (FIPS 204 algorithm 2, no pre-hash):
/// the request's `value` (sign) or `digest` (verify) carries the whole
/// message, not a hash of it, and no `alg` is sent — the key's parameter
/// set decides. That is what the 2026-05-01 and 2026-07-01 previews'
/// examples send, and what the official .NET client does
/// (`MLDsaSignOptions`); the spec itself says nothing on it. With
/// `external_mu` the request carries neither `value` nor `context`.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MlDsaSignParameters {
    /// The message (exclusive with `external_mu`).
    pub message: Option<Vec<u8>>,
    /// The context string ctx, 0 to 255 bytes (not with `external_mu`).
    pub context: Option<Vec<u8>>,
    /// A precomputed μ = SHAKE256(SHAKE256(pk, 64) ‖ 0 ‖ |ctx| ‖ ctx ‖ M, 64),
    /// exactly 64 bytes (exclusive with `message` and `context`).
    pub external_mu: Option<Vec<u8>>,
}

impl std::fmt::Debug for MlDsaSignParameters {
    /// Lengths only: a message to sign may be confidential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MlDsaSignParameters")
            .field("message_len", &self.message.as_ref().map(Vec::len))
            .field("context_len", &self.context.as_ref().map(Vec::len))
            .field("external_mu_len", &self.external_mu.as_ref().map(Vec::len))
            .finish()
    }
}

impl MlDsaSignParameters {
    /// Signs `message` (pure ML-DSA, empty context).
    pub fn message(message: impl Into<Vec<u8>>) -> Self {
        Self {
            message: Some(message.into()),
            context: None,
            external_mu: None,
        }
    }

    /// Signs a precomputed 64-byte μ (FIPS 204 external-μ mode).
    pub fn external_mu(mu: impl Into<Vec<u8>>) -> Self {
        Self {
            message: None,
            context: None,
            external_mu: Some(mu.into()),
        }
    }

    /// Sets the context string (0 to 255 bytes).
    pub fn with_context(mut self, context: impl Into<Vec<u8>>) -> Self {
        self.context = Some(context.into());
        self
    }

    /// Checks the shape the service requires, before anything is sent:
    /// exactly one of message and μ, μ of 64 bytes, a context of at most
    /// 255 bytes and none with μ.
    pub fn validate(&self) -> Result<(), CryptoError> {
        check_ml_dsa_input(
            self.message.is_some(),
            self.context.as_deref(),
            self.external_mu.as_deref(),
        )
    }
}

/// An ML-DSA signature to check, over a message (with its context) or a μ
/// (see [`MlDsaSignParameters`]; the message goes in the request's
/// `digest`).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MlDsaVerifyParameters {
    /// The message that was signed (exclusive with `external_mu`).
    pub message: Option<Vec<u8>>,
    /// The context string it was signed with, 0 to 255 bytes.
    pub context: Option<Vec<u8>>,
    /// The 64-byte μ that was signed (exclusive with `message`, `context`).
    pub external_mu: Option<Vec<u8>>,
    /// The signature.
    pub signature: Vec<u8>,
}

impl std::fmt::Debug for MlDsaVerifyParameters {
    /// Lengths only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MlDsaVerifyParameters")
            .field("message_len", &self.message.as_ref().map(Vec::len))
            .field("context_len", &self.context.as_ref().map(Vec::len))
            .field("external_mu_len", &self.external_mu.as_ref().map(Vec::len))
            .field("signature_len", &self.signature.len())
            .finish()
    }
}

impl MlDsaVerifyParameters {
    /// Checks `signature` over `message` (empty context).
    pub fn message(message: impl Into<Vec<u8>>, signature: impl Into<Vec<u8>>) -> Self {
        Self {
            message: Some(message.into()),
            context: None,
            external_mu: None,
            signature: signature.into(),
        }
    }

    /// Checks `signature` over a 64-byte μ.
    pub fn external_mu(mu: impl Into<Vec<u8>>, signature: impl Into<Vec<u8>>) -> Self {
        Self {
            message: None,
            context: None,
            external_mu: Some(mu.into()),
            signature: signature.into(),
        }
    }

    /// Sets the context string (0 to 255 bytes).
    pub fn with_context(mut self, context: impl Into<Vec<u8>>) -> Self {
        self.context = Some(context.into());
        self
    }

    /// The same checks as [`MlDsaSignParameters::validate`].
    pub fn validate(&self) -> Result<(), CryptoError> {
        check_ml_dsa_input(
            self.message.is_some(),
            self.context.as_deref(),
            self.external_mu.as_deref(),
        )
    }
}

fn check_ml_dsa_input(
    message: bool,
    context: Option<&[u8]>,
    mu: Option<&[u8]>,
) -> Result<(), CryptoError> {
    let bad = |m: String| Err(CryptoError::InvalidInput(m));
    match (message, mu) {
        (true, Some(_)) => return bad("ML-DSA takes a message or an external mu, not both".into()),
        (false, None) => return bad("ML-DSA needs a message or an external mu".into()),
        _ => {}
    }
    if let Some(mu) = mu {
        if mu.len() != ML_DSA_MU_LEN {
            return bad(format!(
                "an ML-DSA external mu is {ML_DSA_MU_LEN} bytes (FIPS 204, 6.2), not {}",
                mu.len()
            ));
        }
        if context.is_some() {
            return bad(
                "an ML-DSA context cannot go with an external mu (mu already includes it)".into(),
            );
        }
    }
    if let Some(ctx) = context
        && ctx.len() > ML_DSA_MAX_CONTEXT_LEN
    {
        return bad(format!(
            "an ML-DSA context is at most {ML_DSA_MAX_CONTEXT_LEN} bytes (FIPS 204, 5.2), not {}",
            ctx.len()
        ));
    }
    Ok(())
}
