//! AES key wrap (A*KW, CKM_AES_KEY_WRAP) and key wrap with padding
//! (A*KWPAD, CKM_AES_KEY_WRAP_PAD): aws-lc-rs for 128 and 256 bits, [`kw`]
//! for 192.

use aws_lc_rs::key_wrap::{self, KeyEncryptionKey, KeyWrap as _, KeyWrapPadded as _};
use zeroize::Zeroizing;

use super::kw;
use crate::error::{CryptoError, backend};
use keyvault_keys_types::SecretBytes;

/// aws-lc-rs's key-wrap cipher for the key's size; `None` for 192 bits,
/// which goes through [`kw`].
pub(super) fn aws_kw_cipher(k: &SecretBytes) -> Option<&'static key_wrap::AesBlockCipher> {
    match k.len() {
        16 => Some(&key_wrap::AES_128),
        32 => Some(&key_wrap::AES_256),
        _ => None,
    }
}

pub(super) fn aes_kw_wrap(
    k: &SecretBytes,
    key: &[u8],
    padded: bool,
) -> Result<Vec<u8>, CryptoError> {
    let Some(cipher) = aws_kw_cipher(k) else {
        return if padded {
            kw::wrap_pad(k.expose(), key)
        } else {
            kw::wrap(k.expose(), key)
        };
    };
    if !padded && (key.len() < 16 || !key.len().is_multiple_of(8)) {
        return Err(CryptoError::InvalidInput(format!(
            "AES key wrap (RFC 3394) takes a key of at least 16 bytes in multiples of 8, not {} bytes; use a KWPAD algorithm for other lengths",
            key.len()
        )));
    }
    if padded && key.is_empty() {
        return Err(CryptoError::InvalidInput(
            "AES key wrap with padding takes 1 byte or more".into(),
        ));
    }
    let kek = KeyEncryptionKey::new(cipher, k.expose()).map_err(backend("AES key wrap key"))?;
    let mut out = vec![0u8; key.len() + 16];
    let n = if padded {
        kek.wrap_with_padding(key, &mut out)
            .map_err(backend("AES key wrap"))?
            .len()
    } else {
        kek.wrap(key, &mut out)
            .map_err(backend("AES key wrap"))?
            .len()
    };
    out.truncate(n);
    Ok(out)
}

pub(crate) fn aes_kw_unwrap(
    k: &SecretBytes,
    wrapped: &[u8],
    padded: bool,
) -> Result<SecretBytes, CryptoError> {
    let Some(cipher) = aws_kw_cipher(k) else {
        return if padded {
            kw::unwrap_pad(k.expose(), wrapped)
        } else {
            kw::unwrap(k.expose(), wrapped)
        };
    };
    let min = if padded { 16 } else { 24 };
    if wrapped.len() < min || !wrapped.len().is_multiple_of(8) {
        return Err(CryptoError::DecryptionFailed);
    }
    let kek = KeyEncryptionKey::new(cipher, k.expose()).map_err(backend("AES key wrap key"))?;
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let n = if padded {
        kek.unwrap_with_padding(wrapped, &mut out)
            .map_err(|_| CryptoError::DecryptionFailed)?
            .len()
    } else {
        kek.unwrap(wrapped, &mut out)
            .map_err(|_| CryptoError::DecryptionFailed)?
            .len()
    };
    out.truncate(n);
    Ok(SecretBytes::from(out))
}
