//! Key export: the private key as PKCS#8, and the RSA-AES key wrap a
//! release uses to hand key material to its target.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256};
use zeroize::Zeroizing;

use super::aes_kw::{aes_kw_unwrap, aes_kw_wrap};
use super::{LocalKey, Material, random_bytes};
use crate::error::{CryptoError, backend, mismatch};
use keyvault_keys_types::JsonWebKey;
use keyvault_keys_types::SecretBytes;

impl LocalKey {
    /// The private key as PKCS#8 DER (RSA and EC), or the raw key (oct).
    /// This is what a release wraps for its target.
    pub fn private_key_der(&self) -> Result<SecretBytes, CryptoError> {
        match &self.material {
            Material::Rsa {
                private: Some(p), ..
            } => Ok(SecretBytes::from_slice(
                p.pair
                    .as_der()
                    .map_err(backend("RSA key encoding"))?
                    .as_ref(),
            )),
            Material::Ec {
                private: Some(p), ..
            } => Ok(SecretBytes::from_slice(
                p.to_pkcs8v1().map_err(backend("EC key encoding"))?.as_ref(),
            )),
            Material::Oct(k, _) => Ok(k.clone()),
            _ => Err(CryptoError::MissingPrivateKey {
                operation: "export".into(),
            }),
        }
    }
}

pub(super) fn export_oaep(
    alg: &crate::KeyExportEncryptionAlgorithm,
) -> Result<&'static aws_lc_rs::rsa::OaepAlgorithm, CryptoError> {
    use crate::KeyExportEncryptionAlgorithm::*;
    Ok(match alg {
        CkmRsaAesKeyWrap => &OAEP_SHA1_MGF1SHA1,
        RsaAesKeyWrap256 => &OAEP_SHA256_MGF1SHA256,
        RsaAesKeyWrap384 => &aws_lc_rs::rsa::OAEP_SHA384_MGF1SHA384,
        UnknownValue(a) => {
            return Err(CryptoError::UnsupportedAlgorithm {
                algorithm: a.clone(),
                context: "for key export".into(),
            });
        }
    })
}

/// Wraps key material for a target RSA key the way Key Vault's release
/// does: a fresh AES-256 key, RSA-OAEP-encrypted under `wrapping` (SHA-1,
/// SHA-256 or SHA-384 as `alg` says), followed by the material wrapped with
/// that AES key by AES key wrap with padding (RFC 5649).
pub fn rsa_aes_key_wrap(
    wrapping: &JsonWebKey,
    alg: &crate::KeyExportEncryptionAlgorithm,
    material: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let oaep = export_oaep(alg)?;
    let key = LocalKey::from_jwk(&wrapping.public_only())?;
    let Material::Rsa { public, .. } = &key.material else {
        return Err(mismatch(alg, "the wrapping key must be an RSA key"));
    };
    let aes = SecretBytes::new(random_bytes(32)?);
    let k = &public.oaep;
    let mut out = vec![0u8; k.ciphertext_size()];
    let n = k
        .encrypt(oaep, aes.expose(), &mut out, None)
        .map_err(backend("RSA-OAEP encryption"))?
        .len();
    out.truncate(n);
    out.extend_from_slice(&aes_kw_wrap(&aes, material, true)?);
    Ok(out)
}

/// Undoes [`rsa_aes_key_wrap`] with the target's private key.
pub fn rsa_aes_key_unwrap(
    unwrapping: &JsonWebKey,
    alg: &crate::KeyExportEncryptionAlgorithm,
    blob: &[u8],
) -> Result<SecretBytes, CryptoError> {
    let oaep = export_oaep(alg)?;
    let key = LocalKey::from_jwk(unwrapping)?;
    let Material::Rsa {
        private: Some(private),
        ..
    } = &key.material
    else {
        return Err(CryptoError::MissingPrivateKey {
            operation: "unwrap an exported key".into(),
        });
    };
    let size = private.oaep.key_size_bytes();
    if blob.len() <= size {
        return Err(CryptoError::DecryptionFailed);
    }
    let k = &private.oaep;
    let mut aes = Zeroizing::new(vec![0u8; size]);
    let n = k
        .decrypt(oaep, &blob[..size], &mut aes, None)
        .map_err(|_| CryptoError::DecryptionFailed)?
        .len();
    aes.truncate(n);
    let aes = SecretBytes::from(aes);
    if aes.len() != 32 {
        return Err(CryptoError::DecryptionFailed);
    }
    aes_kw_unwrap(&aes, &blob[size..], true)
}
