//! AES-CBC with and without PKCS#7 padding (A*CBC, A*CBCPAD).

use aws_lc_rs::cipher::{
    self, DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey, PaddedBlockEncryptingKey,
    UnboundCipherKey,
};
use zeroize::Zeroizing;

use crate::error::{CryptoError, backend};
use keyvault_keys_types::SecretBytes;

pub(super) fn aes_cipher(k: &SecretBytes) -> Result<UnboundCipherKey, CryptoError> {
    let alg = match k.len() {
        16 => &cipher::AES_128,
        24 => &cipher::AES_192,
        32 => &cipher::AES_256,
        n => {
            return Err(CryptoError::InvalidKey(format!(
                "an AES key is 16, 24 or 32 bytes, not {n}"
            )));
        }
    };
    UnboundCipherKey::new(alg, k.expose()).map_err(backend("AES key"))
}

pub(super) fn cbc_iv(iv: &[u8]) -> Result<[u8; 16], CryptoError> {
    iv.try_into().map_err(|_| {
        CryptoError::InvalidInput(format!("an AES-CBC IV is 16 bytes, not {}", iv.len()))
    })
}

pub(super) fn cbc_encrypt(
    k: &SecretBytes,
    iv: &[u8],
    plaintext: &[u8],
    padded: bool,
) -> Result<Vec<u8>, CryptoError> {
    let iv = cbc_iv(iv)?;
    let context = EncryptionContext::Iv128(iv.into());
    // Zeroized if encryption fails; ciphertext once it succeeds. Room for
    // the padding block up front, so no reallocation leaves a copy behind.
    let mut in_out = Zeroizing::new(Vec::with_capacity(plaintext.len() + 16));
    in_out.extend_from_slice(plaintext);
    if padded {
        let key =
            PaddedBlockEncryptingKey::cbc_pkcs7(aes_cipher(k)?).map_err(backend("AES-CBC key"))?;
        key.less_safe_encrypt(&mut *in_out, context)
            .map_err(backend("AES-CBC encryption"))?;
    } else {
        if !plaintext.len().is_multiple_of(16) {
            return Err(CryptoError::InvalidInput(format!(
                "AES-CBC without padding takes a multiple of 16 bytes, not {}; use the CBCPAD algorithm",
                plaintext.len()
            )));
        }
        let key = cipher::EncryptingKey::cbc(aes_cipher(k)?).map_err(backend("AES-CBC key"))?;
        key.less_safe_encrypt(&mut in_out, context)
            .map_err(backend("AES-CBC encryption"))?;
    }
    Ok(std::mem::take(&mut *in_out))
}

pub(super) fn cbc_decrypt(
    k: &SecretBytes,
    iv: &[u8],
    ciphertext: &[u8],
    padded: bool,
) -> Result<SecretBytes, CryptoError> {
    let iv = cbc_iv(iv)?;
    if !ciphertext.len().is_multiple_of(16) || (padded && ciphertext.is_empty()) {
        return Err(CryptoError::DecryptionFailed);
    }
    let context = DecryptionContext::Iv128(iv.into());
    let mut in_out = Zeroizing::new(ciphertext.to_vec());
    let n = if padded {
        let key =
            PaddedBlockDecryptingKey::cbc_pkcs7(aes_cipher(k)?).map_err(backend("AES-CBC key"))?;
        key.decrypt(&mut in_out, context)
            .map_err(|_| CryptoError::DecryptionFailed)?
            .len()
    } else {
        let key = cipher::DecryptingKey::cbc(aes_cipher(k)?).map_err(backend("AES-CBC key"))?;
        key.decrypt(&mut in_out, context)
            .map_err(|_| CryptoError::DecryptionFailed)?
            .len()
    };
    in_out.truncate(n);
    Ok(SecretBytes::from(in_out))
}
