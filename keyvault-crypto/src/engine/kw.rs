//! AES key wrap (RFC 3394) and key wrap with padding (RFC 5649) over one
//! AES block operation, for the key size aws-lc-rs's safe key-wrap API does
//! not offer (192 bits). 128 and 256 bits use aws-lc-rs's own.
//!
//! Every working buffer that holds key material (the semiblocks, the AES
//! block, the padded input) is zeroized when dropped, on every path, and
//! unwrapped keys are returned as [`SecretBytes`].

use aws_lc_rs::cipher::{
    AES_128, AES_192, AES_256, DecryptingKey, DecryptionContext, EncryptingKey, UnboundCipherKey,
};

use zeroize::Zeroizing;

use crate::error::CryptoError;
use keyvault_keys_types::SecretBytes;

const DEFAULT_IV: [u8; 8] = [0xA6; 8];
const KWP_PREFIX: [u8; 4] = [0xA6, 0x59, 0x59, 0xA6];

fn cipher(key: &[u8]) -> Result<&'static aws_lc_rs::cipher::Algorithm, CryptoError> {
    Ok(match key.len() {
        16 => &AES_128,
        24 => &AES_192,
        32 => &AES_256,
        n => {
            return Err(CryptoError::InvalidKey(format!(
                "an AES key is 16, 24 or 32 bytes, not {n}"
            )));
        }
    })
}

struct Block {
    enc: EncryptingKey,
    dec: DecryptingKey,
}

impl Block {
    fn new(key: &[u8]) -> Result<Self, CryptoError> {
        let alg = cipher(key)?;
        let bad = |_| CryptoError::Backend("AES key setup".into());
        Ok(Self {
            enc: EncryptingKey::ecb(UnboundCipherKey::new(alg, key).map_err(bad)?).map_err(bad)?,
            dec: DecryptingKey::ecb(UnboundCipherKey::new(alg, key).map_err(bad)?).map_err(bad)?,
        })
    }
    fn encrypt(&self, block: &mut [u8; 16]) -> Result<(), CryptoError> {
        self.enc
            .encrypt(block)
            .map(|_| ())
            .map_err(|_| CryptoError::Backend("AES block".into()))
    }
    fn decrypt(&self, block: &mut [u8; 16]) -> Result<(), CryptoError> {
        self.dec
            .decrypt(block, DecryptionContext::None)
            .map(|_| ())
            .map_err(|_| CryptoError::Backend("AES block".into()))
    }
}

/// RFC 3394 §2.2.1 with the given IV over `n` ≥ 1 semiblocks.
fn wrap_core(block: &Block, iv: [u8; 8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let n = plaintext.len() / 8;
    let mut a = Zeroizing::new(iv);
    let mut r = semiblocks(plaintext);
    let mut b = Zeroizing::new([0u8; 16]);
    for j in 0..6u64 {
        for (i, ri) in r.iter_mut().enumerate() {
            b[..8].copy_from_slice(&*a);
            b[8..].copy_from_slice(ri);
            block.encrypt(&mut b)?;
            let t = (n as u64) * j + (i as u64 + 1);
            a.copy_from_slice(&b[..8]);
            for (x, y) in a.iter_mut().zip(t.to_be_bytes()) {
                *x ^= y;
            }
            ri.copy_from_slice(&b[8..]);
        }
    }
    let mut out = Vec::with_capacity(8 * (n + 1));
    out.extend_from_slice(&*a);
    r.iter().for_each(|s| out.extend_from_slice(s));
    Ok(out)
}

/// `bytes` (a multiple of 8 long) as 64-bit semiblocks, zeroized on drop.
fn semiblocks(bytes: &[u8]) -> Zeroizing<Vec<[u8; 8]>> {
    Zeroizing::new(
        bytes
            .chunks_exact(8)
            .map(|c| {
                let mut s = [0u8; 8];
                s.copy_from_slice(c);
                s
            })
            .collect(),
    )
}

/// RFC 3394 §2.2.2: returns (A, P). `ciphertext` is at least 16 bytes, a
/// multiple of 8 (the callers check).
fn unwrap_core(
    block: &Block,
    ciphertext: &[u8],
) -> Result<([u8; 8], Zeroizing<Vec<u8>>), CryptoError> {
    if ciphertext.len() < 16 || !ciphertext.len().is_multiple_of(8) {
        return Err(CryptoError::DecryptionFailed);
    }
    let n = ciphertext.len() / 8 - 1;
    let mut a = [0u8; 8];
    a.copy_from_slice(&ciphertext[..8]);
    let mut r = semiblocks(&ciphertext[8..]);
    let mut b = Zeroizing::new([0u8; 16]);
    for j in (0..6u64).rev() {
        for i in (0..n).rev() {
            let t = (n as u64) * j + (i as u64 + 1);
            for (x, y) in a.iter_mut().zip(t.to_be_bytes()) {
                *x ^= y;
            }
            b[..8].copy_from_slice(&a);
            b[8..].copy_from_slice(&r[i]);
            block.decrypt(&mut b)?;
            a.copy_from_slice(&b[..8]);
            r[i].copy_from_slice(&b[8..]);
        }
    }
    let mut p = Zeroizing::new(Vec::with_capacity(8 * n));
    r.iter().for_each(|s| p.extend_from_slice(s));
    Ok((a, p))
}

/// RFC 3394 wrap: the key must be a multiple of 8 bytes, at least 16.
pub fn wrap(kek: &[u8], key: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if key.len() < 16 || !key.len().is_multiple_of(8) {
        return Err(CryptoError::InvalidInput(format!(
            "AES key wrap (RFC 3394) takes a key of at least 16 bytes in multiples of 8, not {} bytes; use a KWPAD algorithm for other lengths",
            key.len()
        )));
    }
    wrap_core(&Block::new(kek)?, DEFAULT_IV, key)
}

/// RFC 3394 unwrap.
pub fn unwrap(kek: &[u8], wrapped: &[u8]) -> Result<SecretBytes, CryptoError> {
    if wrapped.len() < 24 || !wrapped.len().is_multiple_of(8) {
        return Err(CryptoError::DecryptionFailed);
    }
    let (a, p) = unwrap_core(&Block::new(kek)?, wrapped)?;
    if aws_lc_rs::constant_time::verify_slices_are_equal(&a, &DEFAULT_IV).is_err() {
        return Err(CryptoError::DecryptionFailed);
    }
    Ok(SecretBytes::from(p))
}

/// RFC 5649 wrap with padding: any key length from 1 byte.
pub fn wrap_pad(kek: &[u8], key: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if key.is_empty() || key.len() > u32::MAX as usize {
        return Err(CryptoError::InvalidInput(
            "AES key wrap with padding takes 1 byte or more".into(),
        ));
    }
    let block = Block::new(kek)?;
    let mut aiv = [0u8; 8];
    aiv[..4].copy_from_slice(&KWP_PREFIX);
    aiv[4..].copy_from_slice(&(key.len() as u32).to_be_bytes());
    let padded_len = key.len().div_ceil(8) * 8;
    let mut padded = Zeroizing::new(Vec::with_capacity(padded_len));
    padded.extend_from_slice(key);
    padded.resize(padded_len, 0);
    if padded_len == 8 {
        let mut b = Zeroizing::new([0u8; 16]);
        b[..8].copy_from_slice(&aiv);
        b[8..].copy_from_slice(&padded);
        block.encrypt(&mut b)?;
        return Ok(b.to_vec());
    }
    wrap_core(&block, aiv, &padded)
}

/// RFC 5649 unwrap with padding.
pub fn unwrap_pad(kek: &[u8], wrapped: &[u8]) -> Result<SecretBytes, CryptoError> {
    if wrapped.len() < 16 || !wrapped.len().is_multiple_of(8) {
        return Err(CryptoError::DecryptionFailed);
    }
    let block = Block::new(kek)?;
    let (a, mut p) = if wrapped.len() == 16 {
        let mut b = Zeroizing::new([0u8; 16]);
        b.copy_from_slice(wrapped);
        block.decrypt(&mut b)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        (a, Zeroizing::new(b[8..].to_vec()))
    } else {
        unwrap_core(&block, wrapped)?
    };
    let prefix_ok = aws_lc_rs::constant_time::verify_slices_are_equal(&a[..4], &KWP_PREFIX).is_ok();
    let mli = u32::from_be_bytes([a[4], a[5], a[6], a[7]]) as usize;
    let len_ok = mli <= p.len() && mli + 8 > p.len() && mli > 0;
    let pad_ok = len_ok && p[mli..].iter().all(|b| *b == 0);
    if !(prefix_ok && len_ok && pad_ok) {
        return Err(CryptoError::DecryptionFailed);
    }
    p.truncate(mli);
    Ok(SecretBytes::from(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    #[test]
    fn rfc3394_section_4_2_wraps_128_bits_with_a_192_bit_kek() {
        let kek = hex("000102030405060708090A0B0C0D0E0F1011121314151617");
        let key = hex("00112233445566778899AABBCCDDEEFF");
        let wrapped = wrap(&kek, &key).expect("wrap");
        assert_eq!(
            wrapped,
            hex("96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D")
        );
        assert_eq!(unwrap(&kek, &wrapped).expect("unwrap"), key);
    }

    #[test]
    fn rfc5649_section_6_vectors_with_a_192_bit_kek() {
        let kek = hex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");
        let key = hex("c37b7e6492584340bed12207808941155068f738");
        let wrapped = wrap_pad(&kek, &key).expect("wrap");
        assert_eq!(
            wrapped,
            hex("138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a")
        );
        assert_eq!(unwrap_pad(&kek, &wrapped).expect("unwrap"), key);
        let key = hex("466f7250617369");
        let wrapped = wrap_pad(&kek, &key).expect("wrap");
        assert_eq!(wrapped, hex("afbeb0f07dfbf5419200f2ccb50bb24f"));
        assert_eq!(unwrap_pad(&kek, &wrapped).expect("unwrap"), key);
    }

    #[test]
    fn tampering_is_detected() {
        let kek = [7u8; 24];
        let mut w = wrap(&kek, &[1u8; 32]).expect("wrap");
        w[5] ^= 1;
        assert!(matches!(
            unwrap(&kek, &w),
            Err(CryptoError::DecryptionFailed)
        ));
        let mut w = wrap_pad(&kek, &[1u8; 20]).expect("wrap");
        w[20] ^= 1;
        assert!(matches!(
            unwrap_pad(&kek, &w),
            Err(CryptoError::DecryptionFailed)
        ));
        assert!(wrap(&kek, &[1u8; 12]).is_err());
    }
}
