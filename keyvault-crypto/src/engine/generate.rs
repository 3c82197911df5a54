//! Key generation (RSA, EC, oct) and filling an RSA JWK from PKCS#8.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _};

use super::ec::ecdsa_algs;
use super::{random_bytes, rules};
use crate::enums::{KeyCurveName, KeyType};
use crate::error::{CryptoError, backend};
use keyvault_keys_types::JsonWebKey;
use keyvault_keys_types::SecretBytes;

/// What key to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySpec {
    /// The key type (an `-HSM` type generates the same material).
    pub kty: KeyType,
    /// RSA modulus bits (2048, 3072, 4096) or AES bits (128, 192, 256).
    pub size: Option<u32>,
    /// The curve of an EC key.
    pub curve: Option<KeyCurveName>,
    /// The RSA public exponent (only 65537 is supported).
    pub public_exponent: Option<u32>,
}

/// Generates a key with its private material.
pub fn generate(spec: &KeySpec) -> Result<JsonWebKey, CryptoError> {
    let mut jwk = JsonWebKey::new(spec.kty.clone());
    match &spec.kty {
        k if k.is_rsa() => {
            let size = match spec.size.unwrap_or(rules::DEFAULT_RSA_KEY_SIZE) {
                2048 => aws_lc_rs::rsa::KeySize::Rsa2048,
                3072 => aws_lc_rs::rsa::KeySize::Rsa3072,
                4096 => aws_lc_rs::rsa::KeySize::Rsa4096,
                // (the arms above are rules::RSA_KEY_SIZES)
                other => {
                    return Err(CryptoError::InvalidInput(format!(
                        "RSA keys are 2048, 3072 or 4096 bits, not {other}"
                    )));
                }
            };
            if let Some(e) = spec.public_exponent
                && e != rules::RSA_PUBLIC_EXPONENT
            {
                return Err(CryptoError::InvalidInput(format!(
                    "only the public exponent 65537 is supported, not {e}"
                )));
            }
            let pair = RsaKeyPair::generate(size).map_err(backend("RSA key generation"))?;
            let pkcs8 = pair.as_der().map_err(backend("RSA key encoding"))?;
            fill_rsa_from_pkcs8(&mut jwk, pkcs8.as_ref())?;
        }
        k if k.is_ec() => {
            let curve = spec.curve.clone().unwrap_or(rules::DEFAULT_CURVE);
            let (signing, _) = ecdsa_algs(&curve)?;
            let pair = EcdsaKeyPair::generate(signing).map_err(backend("EC key generation"))?;
            let point = pair.public_key().as_ref();
            let len = rules::curve(&curve).map_or(32, |c| c.coordinate_len);
            if point.len() != 1 + 2 * len {
                return Err(CryptoError::Backend(
                    "unexpected EC public key encoding".into(),
                ));
            }
            jwk.x = Some(point[1..1 + len].to_vec());
            jwk.y = Some(point[1 + len..].to_vec());
            let d: aws_lc_rs::encoding::EcPrivateKeyBin =
                aws_lc_rs::encoding::AsBigEndian::as_be_bytes(&pair.private_key())
                    .map_err(backend("EC key encoding"))?;
            jwk.d = Some(SecretBytes::from_slice(d.as_ref()));
            jwk.crv = Some(curve);
        }
        k if k.is_oct() => {
            let bits = spec.size.unwrap_or(rules::DEFAULT_AES_KEY_SIZE);
            if !rules::AES_KEY_SIZES.contains(&bits) {
                return Err(CryptoError::InvalidInput(format!(
                    "oct keys are 128, 192 or 256 bits, not {bits}"
                )));
            }
            jwk.k = Some(SecretBytes::new(random_bytes(bits as usize / 8)?));
        }
        k if k.is_akp() => {
            return Err(CryptoError::InvalidInput(
                "an AKP key needs its parameter set: use generate_akp".into(),
            ));
        }
        other => {
            return Err(CryptoError::UnsupportedAlgorithm {
                algorithm: format!("key type {other}"),
                context: "for key generation".into(),
            });
        }
    }
    Ok(jwk)
}

/// Fills an RSA JWK's members from a PKCS#8 private key.
pub fn fill_rsa_from_pkcs8(jwk: &mut JsonWebKey, pkcs8_der: &[u8]) -> Result<(), CryptoError> {
    use pkcs8::der::Decode as _;
    let info = pkcs8::PrivateKeyInfo::from_der(pkcs8_der)
        .map_err(|e| CryptoError::InvalidKey(format!("PKCS#8: {e}")))?;
    let key = pkcs1::RsaPrivateKey::from_der(info.private_key)
        .map_err(|e| CryptoError::InvalidKey(format!("PKCS#1: {e}")))?;
    jwk.n = Some(key.modulus.as_bytes().to_vec());
    jwk.e = Some(key.public_exponent.as_bytes().to_vec());
    jwk.d = Some(SecretBytes::from_slice(key.private_exponent.as_bytes()));
    jwk.p = Some(SecretBytes::from_slice(key.prime1.as_bytes()));
    jwk.q = Some(SecretBytes::from_slice(key.prime2.as_bytes()));
    jwk.dp = Some(SecretBytes::from_slice(key.exponent1.as_bytes()));
    jwk.dq = Some(SecretBytes::from_slice(key.exponent2.as_bytes()));
    jwk.qi = Some(SecretBytes::from_slice(key.coefficient.as_bytes()));
    Ok(())
}
