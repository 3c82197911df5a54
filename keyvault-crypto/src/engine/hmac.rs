//! HMAC (HS256, HS384, HS512), with each hash's key prepared once per key.

use std::sync::OnceLock;

use aws_lc_rs::hmac;

use crate::enums::SignatureAlgorithm;
use crate::error::{CryptoError, mismatch};
use keyvault_keys_types::SecretBytes;

/// The HMAC algorithm of `alg`, with the index of its slot in [`HmacKeys`].
pub(super) fn hmac_alg(alg: &SignatureAlgorithm) -> Result<(usize, hmac::Algorithm), CryptoError> {
    Ok(match alg {
        SignatureAlgorithm::Hs256 => (0, hmac::HMAC_SHA256),
        SignatureAlgorithm::Hs384 => (1, hmac::HMAC_SHA384),
        SignatureAlgorithm::Hs512 => (2, hmac::HMAC_SHA512),
        other => return Err(mismatch(other, "not an HMAC algorithm")),
    })
}

/// A symmetric key's HMAC keys, one per hash, each made on its first use
/// (aws-lc-rs clones a prepared key's state per signature instead of
/// hashing the key's pads again).
#[derive(Default)]
pub(super) struct HmacKeys([OnceLock<hmac::Key>; 3]);

impl HmacKeys {
    fn key(&self, alg: &SignatureAlgorithm, k: &SecretBytes) -> Result<&hmac::Key, CryptoError> {
        let (i, alg) = hmac_alg(alg)?;
        Ok(self.0[i].get_or_init(|| hmac::Key::new(alg, k.expose())))
    }

    /// The HMAC of `data` (a digest, as the service is sent, or a message).
    pub(super) fn sign(
        &self,
        alg: &SignatureAlgorithm,
        k: &SecretBytes,
        data: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        Ok(hmac::sign(self.key(alg, k)?, data).as_ref().to_vec())
    }

    /// Whether `tag` is the HMAC of `data` (compared in constant time).
    pub(super) fn verify(
        &self,
        alg: &SignatureAlgorithm,
        k: &SecretBytes,
        data: &[u8],
        tag: &[u8],
    ) -> Result<bool, CryptoError> {
        Ok(hmac::verify(self.key(alg, k)?, data, tag).is_ok())
    }
}
