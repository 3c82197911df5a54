//! RSA: the key material from a JWK, RSA-OAEP / RSA1_5 encryption and the
//! RS*/PS* signature encodings.

use aws_lc_rs::digest::Digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    KeyPair as RsaKeyPair, KeyPairComponents, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256,
    OaepPrivateDecryptingKey, OaepPublicEncryptingKey, Pkcs1PrivateDecryptingKey,
    Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey, PublicKeyComponents,
};
use aws_lc_rs::signature::{self, ParsedPublicKey};
use std::sync::OnceLock;
use zeroize::Zeroizing;

use super::{Material, required};
use crate::enums::{EncryptionAlgorithm, KeyWrapAlgorithm, SignatureAlgorithm};
use crate::error::{CryptoError, backend, mismatch};
use keyvault_keys_types::JsonWebKey;
use keyvault_keys_types::SecretBytes;
use keyvault_keys_types::jwk::strip_leading_zeros;

/// An RSA public key, parsed once for every use: encryption keys for
/// RSA-OAEP and RSA1_5, and a verification key per signature algorithm
/// (parsed on its first use).
pub(super) struct RsaPublic {
    spki: Vec<u8>,
    pub(super) oaep: OaepPublicEncryptingKey,
    pkcs1: Pkcs1PublicEncryptingKey,
    verifying: [OnceLock<ParsedPublicKey>; 6],
}

/// An RSA private key, parsed once for every use.
pub(super) struct RsaPrivate {
    pub(super) pair: RsaKeyPair,
    pub(super) oaep: OaepPrivateDecryptingKey,
    pkcs1: Pkcs1PrivateDecryptingKey,
}

impl RsaPublic {
    /// Verifies `signature` over `digest` with the algorithm's parameters.
    pub(super) fn verify(
        &self,
        alg: &SignatureAlgorithm,
        digest: &Digest,
        signature: &[u8],
    ) -> Result<bool, CryptoError> {
        let (i, params) = rsa_params(alg)?;
        let cell = &self.verifying[i];
        let key = match cell.get() {
            Some(k) => k,
            None => {
                // A key aws-lc-rs will not parse (say, under 2048 bits)
                // verifies nothing.
                let Ok(parsed) = ParsedPublicKey::new(params, &self.spki) else {
                    return Ok(false);
                };
                cell.get_or_init(|| parsed)
            }
        };
        Ok(key.verify_digest_sig(digest, signature).is_ok())
    }
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
    let public = RsaPublic {
        oaep: OaepPublicEncryptingKey::new(encrypting.clone()).map_err(backend("RSA-OAEP key"))?,
        pkcs1: Pkcs1PublicEncryptingKey::new(encrypting).map_err(backend("RSA1_5 key"))?,
        spki,
        verifying: Default::default(),
    };
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
            Some(RsaPrivate {
                pair,
                oaep: OaepPrivateDecryptingKey::new(decrypting.clone())
                    .map_err(backend("RSA-OAEP key"))?,
                pkcs1: Pkcs1PrivateDecryptingKey::new(decrypting).map_err(backend("RSA1_5 key"))?,
            })
        }
    };
    Ok(Material::Rsa {
        public: Box::new(public),
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
    key: &RsaPublic,
    alg: &EncryptionAlgorithm,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let size = key.oaep.key_size_bytes();
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
            let n = key
                .pkcs1
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
            let max = key.oaep.max_plaintext_size(oaep);
            if plaintext.len() > max {
                return Err(too_long(max));
            }
            let n = key
                .oaep
                .encrypt(oaep, plaintext, &mut out, None)
                .map_err(backend("RSA-OAEP encryption"))?
                .len();
            out.truncate(n);
        }
    }
    Ok(out)
}

pub(super) fn rsa_decrypt(
    key: &RsaPrivate,
    alg: &EncryptionAlgorithm,
    ciphertext: &[u8],
) -> Result<SecretBytes, CryptoError> {
    let size = key.oaep.key_size_bytes();
    if ciphertext.len() != size {
        return Err(CryptoError::DecryptionFailed);
    }
    let mut out = Zeroizing::new(vec![0u8; size]);
    let n = match alg {
        EncryptionAlgorithm::Rsa15 => key
            .pkcs1
            .decrypt(ciphertext, &mut out)
            .map_err(|_| CryptoError::DecryptionFailed)?
            .len(),
        _ => {
            let oaep = if *alg == EncryptionAlgorithm::RsaOaep {
                &OAEP_SHA1_MGF1SHA1
            } else {
                &OAEP_SHA256_MGF1SHA256
            };
            key.oaep
                .decrypt(oaep, ciphertext, &mut out, None)
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

/// The verification parameters of an RSA signature algorithm, with the
/// index of its slot in [`RsaPublic`]'s parsed keys.
fn rsa_params(
    alg: &SignatureAlgorithm,
) -> Result<(usize, &'static signature::RsaParameters), CryptoError> {
    use SignatureAlgorithm::*;
    Ok(match alg {
        Rs256 => (0, &signature::RSA_PKCS1_2048_8192_SHA256),
        Rs384 => (1, &signature::RSA_PKCS1_2048_8192_SHA384),
        Rs512 => (2, &signature::RSA_PKCS1_2048_8192_SHA512),
        Ps256 => (3, &signature::RSA_PSS_2048_8192_SHA256),
        Ps384 => (4, &signature::RSA_PSS_2048_8192_SHA384),
        Ps512 => (5, &signature::RSA_PSS_2048_8192_SHA512),
        other => return Err(mismatch(other, "not an RSA signature algorithm")),
    })
}
