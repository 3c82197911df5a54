//! # keyvault-crypto
//!
//! Key material and cryptography for Azure Key Vault keys.
//!
//! - [`JsonWebKey`] and the key vocabulary ([`KeyType`], [`KeyCurveName`],
//!   [`KeyOperation`]) and algorithms ([`EncryptionAlgorithm`],
//!   [`KeyWrapAlgorithm`], [`SignatureAlgorithm`]): the protocol crate's
//!   enums, one definition for every layer;
//! - the local engine ([`LocalKey`], [`generate`]): every algorithm the
//!   service offers, in-process, on aws-lc-rs. The emulator uses the same
//!   engine;
//! - [`byok`]: the key transfer blob for bring-your-own-key import;
//! - [`validity`]: when a key may be used (enabled, `nbf`, `exp`), for the
//!   local operations and the emulator alike.
//!
//! Secrets (private key members, plaintexts, unwrapped keys) are
//! [`SecretBytes`]: zeroized when dropped and redacted in `Debug`.
//!
//! The operation results ([`EncryptResult`], [`DecryptResult`],
//! [`WrapResult`], [`UnwrapResult`], [`SignResult`], [`VerifyResult`]) are
//! `#[non_exhaustive]`: outside this crate they are built with `new` and
//! `with_*` (for tests and fakes). They serialise with serde, byte strings
//! as base64url; a [`DecryptResult`]'s plaintext and an [`UnwrapResult`]'s
//! key are written too (explicitly, through [`b64::expose_secret`]).
//!
//! ```
//! use keyvault_crypto::{generate, KeySpec, KeyType, KeyCurveName, LocalKey, SignatureAlgorithm, HashAlgorithm, HashDigest};
//!
//! let jwk = generate(&KeySpec { kty: KeyType::Ec, size: None, curve: Some(KeyCurveName::P256), public_exponent: None })?;
//! let key = LocalKey::from_jwk(&jwk)?;
//! let digest = HashAlgorithm::Sha256.digest(b"hello");
//! let signed = key.sign(&SignatureAlgorithm::Es256, &digest)?;
//! let public = LocalKey::from_jwk(&jwk.public_only())?;
//! assert!(public.verify(&SignatureAlgorithm::Es256, &digest, &signed.signature)?.is_valid);
//! # Ok::<(), keyvault_crypto::CryptoError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod byok;
#[cfg(feature = "remote")]
mod client;
pub mod engine;
mod enums;
mod error;
// Entry points of the fuzz targets: compiled for `cargo fuzz` (which sets
// `--cfg fuzzing`) and the unit tests only.
#[cfg(any(test, fuzzing))]
#[doc(hidden)]
pub mod fuzzing;
mod ops;
#[cfg(feature = "remote")]
mod options;
#[cfg(feature = "remote")]
mod secure;

// The ground floor's validity rule, named here as it always was.
pub use keyvault_keys_types::validity;

#[cfg(feature = "remote")]
pub use client::{CryptographyClient, KeyUsage};
pub use engine::{
    KeySpec, LocalKey, generate, generate_akp, random_bytes, rsa_aes_key_unwrap, rsa_aes_key_wrap,
    rules,
};
pub use enums::{
    AkpAlgorithm, EncryptionAlgorithm, HashAlgorithm, HashDigest, KeyCurveName,
    KeyExportEncryptionAlgorithm, KeyOperation, KeySecureWrapAlgorithm, KeyType, KeyWrapAlgorithm,
    SignatureAlgorithm,
};
pub use error::CryptoError;
pub use keyvault_keys_types::{ApiVersion, InvalidKeyId, KeyVaultKeyIdentifier, NotInApiVersion};
pub use keyvault_keys_types::{InvalidJwk, JsonWebKey};
pub use keyvault_keys_types::{SecretBytes, b64};
pub use ops::{
    DecryptParameters, DecryptResult, EncryptParameters, EncryptResult, MlDsaSignParameters,
    MlDsaVerifyParameters, SignResult, UnwrapResult, VerifyResult, WrapResult, ml_dsa_mu,
};
#[cfg(feature = "remote")]
pub use options::{
    CryptographyClientOptions, DecryptOptions, EncryptOptions, MlDsaSignOptions,
    MlDsaVerifyOptions, SecureUnwrapKeyOptions, SecureWrapKeyOptions, SignDataOptions, SignOptions,
    UnwrapKeyOptions, VerifyDataOptions, VerifyOptions, WrapKeyOptions,
};
#[cfg(feature = "remote")]
pub use secure::{SecureUnwrapResult, SecureWrapResult};
