//! Options of [`CryptographyClient`](crate::CryptographyClient): how to
//! build it, and one struct per operation.
//!
//! The style follows the official Azure Rust crates: each method takes an
//! `Option<XxxOptions>` as its last argument, so adding an option later
//! breaks no caller (`..Default::default()` fills the rest).

use keyvault_keys_protocol::ClientOptions;

/// How to build a [`CryptographyClient`](crate::CryptographyClient) with
/// [`CryptographyClient::new`](crate::CryptographyClient::new): the
/// pipeline's settings, which are the protocol client's own
/// [`ClientOptions`] (one definition, so a pipeline setting added there is
/// here too).
///
/// ```
/// use keyvault_crypto::CryptographyClientOptions;
/// use keyvault_crypto::ApiVersion;
/// let options = CryptographyClientOptions { api_version: ApiVersion::V7_6, ..Default::default() };
/// assert!(options.verify_challenge_resource);
/// ```
pub type CryptographyClientOptions = ClientOptions;

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
    SecureWrapKeyOptions => "secure_wrap_key",
    SecureUnwrapKeyOptions => "secure_unwrap_key",
    MlDsaSignOptions => "sign_ml_dsa",
    MlDsaVerifyOptions => "verify_ml_dsa",
}
