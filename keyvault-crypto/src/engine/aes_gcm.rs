//! AES-GCM (A128GCM, A192GCM, A256GCM): seal and open with a prepared key.

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use zeroize::Zeroizing;

use crate::error::{CryptoError, backend};
use keyvault_keys_types::SecretBytes;

pub(super) fn gcm_alg(k: &SecretBytes) -> Result<&'static aead::Algorithm, CryptoError> {
    Ok(match k.len() {
        16 => &aead::AES_128_GCM,
        24 => &aead::AES_192_GCM,
        32 => &aead::AES_256_GCM,
        n => {
            return Err(CryptoError::InvalidKey(format!(
                "an AES key is 16, 24 or 32 bytes, not {n}"
            )));
        }
    })
}

pub(super) fn gcm_key(k: &SecretBytes) -> Result<LessSafeKey, CryptoError> {
    Ok(LessSafeKey::new(
        UnboundKey::new(gcm_alg(k)?, k.expose()).map_err(backend("AES-GCM key"))?,
    ))
}

pub(super) fn gcm_nonce(iv: &[u8]) -> Result<Nonce, CryptoError> {
    Nonce::try_assume_unique_for_key(iv).map_err(|_| {
        CryptoError::InvalidInput(format!("an AES-GCM IV is 12 bytes, not {}", iv.len()))
    })
}

pub(super) fn gcm_seal(
    key: &LessSafeKey,
    iv: &[u8],
    aad: Option<&[u8]>,
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
    // Zeroized if sealing fails half-way; ciphertext once it succeeds.
    let mut in_out = Zeroizing::new(plaintext.to_vec());
    let tag = key
        .seal_in_place_separate_tag(
            gcm_nonce(iv)?,
            Aad::from(aad.unwrap_or_default()),
            &mut in_out,
        )
        .map_err(backend("AES-GCM encryption"))?;
    Ok((std::mem::take(&mut *in_out), tag.as_ref().to_vec()))
}

pub(super) fn gcm_open(
    key: &LessSafeKey,
    iv: &[u8],
    aad: Option<&[u8]>,
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<SecretBytes, CryptoError> {
    if tag.len() != 16 {
        return Err(CryptoError::InvalidInput(format!(
            "an AES-GCM tag is 16 bytes, not {}",
            tag.len()
        )));
    }
    let nonce = gcm_nonce(iv)?;
    let mut in_out = Zeroizing::new(Vec::with_capacity(ciphertext.len() + tag.len()));
    in_out.extend_from_slice(ciphertext);
    in_out.extend_from_slice(tag);
    let n = key
        .open_in_place(nonce, Aad::from(aad.unwrap_or_default()), &mut in_out)
        .map_err(|_| CryptoError::DecryptionFailed)?
        .len();
    in_out.truncate(n);
    Ok(SecretBytes::from(in_out))
}
