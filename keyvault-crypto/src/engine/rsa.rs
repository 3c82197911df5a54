//! RSA: the key material from a JWK, RSA-OAEP / RSA1_5 encryption and the
//! RS*/PS* signature encodings.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    KeyPair as RsaKeyPair, KeyPairComponents, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256,
    OaepPrivateDecryptingKey, OaepPublicEncryptingKey, Pkcs1PrivateDecryptingKey,
    Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey, PublicKeyComponents,
};
use aws_lc_rs::signature;
use zeroize::Zeroizing;

use super::{Material, required};
use crate::enums::{EncryptionAlgorithm, KeyWrapAlgorithm, SignatureAlgorithm};
use crate::error::{CryptoError, backend, mismatch};
use crate::jwk::{JsonWebKey, strip_leading_zeros};
use crate::secret::SecretBytes;

pub(super) struct RsaPrivate {
    pub(super) pair: RsaKeyPair,
    pub(super) decrypting: PrivateDecryptingKey,
}

pub(super) fn rsa_material(jwk: &JsonWebKey) -> Result<Material, CryptoError> {
    let kty = jwk.kty.as_str();
    let n = strip_leading_zeros(required(&jwk.n, "n", kty)?).to_vec();
    let e = strip_leading_zeros(required(&jwk.e, "e", kty)?).to_vec();
    if n.is_empty() || e.is_empty() {
        return Err(CryptoError::InvalidKey(
            "the RSA modulus and exponent must not be zero".into(),
        ));
    }
    let modulus_bits = n.len() * 8 - n[0].leading_zeros() as usize;
    let public = PublicKeyComponents {
        n: n.as_slice(),
        e: e.as_slice(),
    };
    let spki = public
        .as_der()
        .map_err(|_| CryptoError::InvalidKey("n and e do not form an RSA public key".into()))?
        .as_ref()
        .to_vec();
    let encrypting = PublicEncryptingKey::from_der(&spki).map_err(|_| {
        CryptoError::InvalidKey(format!(
            "the RSA public key is not usable ({modulus_bits}-bit modulus)"
        ))
    })?;
    let private = match &jwk.d {
        None => None,
        Some(d) => {
            let part = |v: &Option<SecretBytes>, name: &str| -> Result<SecretBytes, CryptoError> {
                v.clone().ok_or_else(|| {
                    CryptoError::InvalidKey(format!(
                        "the RSA key has d but not {name}; a private RSA JWK needs p, q, dp, dq and qi too"
                    ))
                })
            };
            let (p, q, dp, dq, qi) = (
                part(&jwk.p, "p")?,
                part(&jwk.q, "q")?,
                part(&jwk.dp, "dp")?,
                part(&jwk.dq, "dq")?,
                part(&jwk.qi, "qi")?,
            );
            let components = KeyPairComponents {
                public_key: PublicKeyComponents {
                    n: n.as_slice(),
                    e: e.as_slice(),
                },
                d: d.expose(),
                p: p.expose(),
                q: q.expose(),
                dP: dp.expose(),
                dQ: dq.expose(),
                qInv: qi.expose(),
            };
            let pair = RsaKeyPair::from_components(&components).map_err(|_| {
                CryptoError::InvalidKey(
                    "the RSA private members do not match each other or n and e".into(),
                )
            })?;
            let pkcs8 = pair.as_der().map_err(backend("RSA key encoding"))?;
            let decrypting = PrivateDecryptingKey::from_pkcs8(pkcs8.as_ref()).map_err(|_| {
                CryptoError::InvalidKey("the RSA private key is not usable for decryption".into())
            })?;
            Some(RsaPrivate { pair, decrypting })
        }
    };
    Ok(Material::Rsa {
        spki,
        encrypting,
        modulus_bits,
        private,
    })
}

pub(super) fn wrap_as_encryption(alg: &KeyWrapAlgorithm) -> EncryptionAlgorithm {
    match alg {
        KeyWrapAlgorithm::RsaOaep => EncryptionAlgorithm::RsaOaep,
        KeyWrapAlgorithm::RsaOaep256 => EncryptionAlgorithm::RsaOaep256,
        _ => EncryptionAlgorithm::Rsa15,
    }
}

pub(super) fn rsa_encrypt(
    key: &PublicEncryptingKey,
    alg: &EncryptionAlgorithm,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let size = key.key_size_bytes();
    let mut out = vec![0u8; size];
    let too_long = |max: usize| {
        CryptoError::InvalidInput(format!(
            "{alg} with a {}-bit key encrypts at most {max} bytes; this plaintext has {}",
            size * 8,
            plaintext.len()
        ))
    };
    match alg {
        EncryptionAlgorithm::Rsa15 => {
            let max = size.saturating_sub(11);
            if plaintext.len() > max {
                return Err(too_long(max));
            }
            let k = Pkcs1PublicEncryptingKey::new(key.clone()).map_err(backend("RSA1_5 key"))?;
            let n = k
                .encrypt(plaintext, &mut out)
                .map_err(backend("RSA1_5 encryption"))?
                .len();
            out.truncate(n);
        }
        _ => {
            let oaep = if *alg == EncryptionAlgorithm::RsaOaep {
                &OAEP_SHA1_MGF1SHA1
            } else {
                &OAEP_SHA256_MGF1SHA256
            };
            let k = OaepPublicEncryptingKey::new(key.clone()).map_err(backend("RSA-OAEP key"))?;
            let max = k.max_plaintext_size(oaep);
            if plaintext.len() > max {
                return Err(too_long(max));
            }
            let n = k
                .encrypt(oaep, plaintext, &mut out, None)
                .map_err(backend("RSA-OAEP encryption"))?
                .len();
            out.truncate(n);
        }
    }
    Ok(out)
}

pub(super) fn rsa_decrypt(
    key: &PrivateDecryptingKey,
    alg: &EncryptionAlgorithm,
    ciphertext: &[u8],
) -> Result<SecretBytes, CryptoError> {
    if ciphertext.len() != key.key_size_bytes() {
        return Err(CryptoError::DecryptionFailed);
    }
    let mut out = Zeroizing::new(vec![0u8; key.key_size_bytes()]);
    let n = match alg {
        EncryptionAlgorithm::Rsa15 => {
            let k = Pkcs1PrivateDecryptingKey::new(key.clone())
                .map_err(|_| CryptoError::DecryptionFailed)?;
            k.decrypt(ciphertext, &mut out)
                .map_err(|_| CryptoError::DecryptionFailed)?
                .len()
        }
        _ => {
            let oaep = if *alg == EncryptionAlgorithm::RsaOaep {
                &OAEP_SHA1_MGF1SHA1
            } else {
                &OAEP_SHA256_MGF1SHA256
            };
            let k = OaepPrivateDecryptingKey::new(key.clone())
                .map_err(|_| CryptoError::DecryptionFailed)?;
            k.decrypt(oaep, ciphertext, &mut out, None)
                .map_err(|_| CryptoError::DecryptionFailed)?
                .len()
        }
    };
    out.truncate(n);
    Ok(SecretBytes::from(out))
}

pub(super) fn rsa_encoding(
    alg: &SignatureAlgorithm,
) -> Result<&'static dyn aws_lc_rs::signature::RsaEncoding, CryptoError> {
    use SignatureAlgorithm::*;
    Ok(match alg {
        Rs256 => &signature::RSA_PKCS1_SHA256,
        Rs384 => &signature::RSA_PKCS1_SHA384,
        Rs512 => &signature::RSA_PKCS1_SHA512,
        Ps256 => &signature::RSA_PSS_SHA256,
        Ps384 => &signature::RSA_PSS_SHA384,
        Ps512 => &signature::RSA_PSS_SHA512,
        other => return Err(mismatch(other, "not an RSA signature algorithm")),
    })
}

pub(super) fn rsa_params(
    alg: &SignatureAlgorithm,
) -> Result<&'static signature::RsaParameters, CryptoError> {
    use SignatureAlgorithm::*;
    Ok(match alg {
        Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
        Ps384 => &signature::RSA_PSS_2048_8192_SHA384,
        Ps512 => &signature::RSA_PSS_2048_8192_SHA512,
        other => return Err(mismatch(other, "not an RSA signature algorithm")),
    })
}
