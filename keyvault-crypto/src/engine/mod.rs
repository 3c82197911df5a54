//! The local engine: every Key Vault algorithm in-process, on aws-lc-rs.
//!
//! [`LocalKey`] is built from a [`JsonWebKey`] and runs the operations its
//! material allows: public-key operations with a public key, everything with
//! the private (or symmetric) key. The emulator uses this same engine.

pub mod kw;

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{
    self, DecryptionContext, EncryptionContext, PaddedBlockDecryptingKey, PaddedBlockEncryptingKey,
    UnboundCipherKey,
};
use aws_lc_rs::digest::Digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::key_wrap::{self, KeyEncryptionKey, KeyWrap as _, KeyWrapPadded as _};
use aws_lc_rs::rsa::{
    KeyPair as RsaKeyPair, KeyPairComponents, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256,
    OaepPrivateDecryptingKey, OaepPublicEncryptingKey, Pkcs1PrivateDecryptingKey,
    Pkcs1PublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey, PublicKeyComponents,
};
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _, UnparsedPublicKey};

use crate::enums::{
    EncryptionAlgorithm, HashAlgorithm, KeyCurveName, KeyOperation, KeyType, KeyWrapAlgorithm,
    SignatureAlgorithm,
};
use crate::error::{CryptoError, backend, mismatch};
use crate::jwk::{JsonWebKey, strip_leading_zeros};
use crate::ops::*;
use crate::secret::SecretBytes;
use zeroize::Zeroizing;

/// Fills a fresh buffer with random bytes.
pub fn random_bytes(len: usize) -> Result<Vec<u8>, CryptoError> {
    let mut b = vec![0u8; len];
    aws_lc_rs::rand::fill(&mut b).map_err(backend("random bytes"))?;
    Ok(b)
}

struct RsaPrivate {
    pair: RsaKeyPair,
    decrypting: PrivateDecryptingKey,
}

enum Material {
    Rsa {
        spki: Vec<u8>,
        encrypting: PublicEncryptingKey,
        modulus_bits: usize,
        private: Option<RsaPrivate>,
    },
    Ec {
        curve: KeyCurveName,
        point: Vec<u8>,
        private: Option<EcdsaKeyPair>,
    },
    Oct(SecretBytes, Box<LessSafeKey>),
}

/// A key the engine can use, built from a JWK.
pub struct LocalKey {
    jwk: JsonWebKey,
    material: Material,
}

impl std::fmt::Debug for LocalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalKey")
            .field("kid", &self.jwk.kid)
            .field("kty", &self.jwk.kty)
            .field("has_private_key", &self.has_private_key())
            .finish()
    }
}

fn required<'a>(v: &'a Option<Vec<u8>>, name: &str, kty: &str) -> Result<&'a [u8], CryptoError> {
    v.as_deref()
        .filter(|b| !b.is_empty())
        .ok_or_else(|| CryptoError::InvalidKey(format!("an {kty} key needs the member {name}")))
}

fn ecdsa_algs(
    curve: &KeyCurveName,
) -> Result<
    (
        &'static signature::EcdsaSigningAlgorithm,
        &'static signature::EcdsaVerificationAlgorithm,
    ),
    CryptoError,
> {
    Ok(match curve {
        KeyCurveName::P256 => (
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &signature::ECDSA_P256_SHA256_FIXED,
        ),
        KeyCurveName::P256K => (
            &signature::ECDSA_P256K1_SHA256_FIXED_SIGNING,
            &signature::ECDSA_P256K1_SHA256_FIXED,
        ),
        KeyCurveName::P384 => (
            &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            &signature::ECDSA_P384_SHA384_FIXED,
        ),
        KeyCurveName::P521 => (
            &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
            &signature::ECDSA_P521_SHA512_FIXED,
        ),
        KeyCurveName::UnknownValue(c) => {
            return Err(CryptoError::UnsupportedAlgorithm {
                algorithm: format!("curve {c}"),
                context: "by the local engine".into(),
            });
        }
    })
}

impl LocalKey {
    /// Checks the JWK and prepares its material.
    pub fn from_jwk(jwk: &JsonWebKey) -> Result<Self, CryptoError> {
        let material = match &jwk.kty {
            k if k.is_rsa() => rsa_material(jwk)?,
            k if k.is_ec() => ec_material(jwk)?,
            k if k.is_oct() => {
                let key = jwk.k.as_ref().ok_or_else(|| {
                    CryptoError::InvalidKey(
                        "an oct key without k has no material to use locally (the service keeps it); use the vault".into(),
                    )
                })?;
                if ![16, 24, 32].contains(&key.len()) {
                    return Err(CryptoError::InvalidKey(format!(
                        "an oct key is 128, 192 or 256 bits, not {} bits",
                        key.len() * 8
                    )));
                }
                // The AES-GCM key schedule is built once, not per operation.
                Material::Oct(key.clone(), Box::new(gcm_key(key)?))
            }
            other => {
                return Err(CryptoError::UnsupportedAlgorithm {
                    algorithm: format!("key type {other}"),
                    context: "by the local engine".into(),
                });
            }
        };
        Ok(Self {
            jwk: jwk.clone(),
            material,
        })
    }

    /// The JWK the key was built from.
    pub fn jwk(&self) -> &JsonWebKey {
        &self.jwk
    }

    /// Whether the key can do private-key (or symmetric) operations.
    pub fn has_private_key(&self) -> bool {
        match &self.material {
            Material::Rsa { private, .. } => private.is_some(),
            Material::Ec { private, .. } => private.is_some(),
            Material::Oct(..) => true,
        }
    }

    fn kid(&self) -> Option<String> {
        self.jwk.kid.clone()
    }

    fn permit(&self, op: KeyOperation) -> Result<(), CryptoError> {
        if self.jwk.permits(&op) {
            Ok(())
        } else {
            Err(CryptoError::OperationNotPermitted {
                operation: op.to_string(),
                allowed: self
                    .jwk
                    .key_ops
                    .iter()
                    .map(|o| o.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
        }
    }

    /// Encrypts (RSA with the public key; AES with the symmetric key).
    pub fn encrypt(&self, p: &EncryptParameters) -> Result<EncryptResult, CryptoError> {
        self.permit(KeyOperation::Encrypt)?;
        use EncryptionAlgorithm::*;
        let (ciphertext, iv, tag) = match (&p.algorithm, &self.material) {
            (RsaOaep | RsaOaep256 | Rsa15, Material::Rsa { encrypting, .. }) => (
                rsa_encrypt(encrypting, &p.algorithm, &p.plaintext)?,
                None,
                None,
            ),
            (A128Gcm | A192Gcm | A256Gcm, Material::Oct(k, gcm)) => {
                check_aes_len(&p.algorithm, k)?;
                // A fresh random 96-bit IV every time: an IV used twice with
                // one key gives away the XOR of the plaintexts and the GHASH
                // key. A chosen IV only for known-answer/interop tests.
                let iv = match (&p.iv, p.gcm_iv_for_interop_tests) {
                    (None, _) => random_bytes(12)?,
                    (Some(iv), true) => iv.clone(),
                    (Some(_), false) => {
                        return Err(CryptoError::InvalidInput(
                            "AES-GCM makes a fresh random 96-bit IV for every encryption and takes none from the caller: an IV used twice with one key breaks GCM's confidentiality and authenticity; leave iv unset (with_gcm_iv_for_interop_tests is for known-answer tests only)".into(),
                        ));
                    }
                };
                let (ct, tag) = gcm_seal(
                    gcm,
                    &iv,
                    p.additional_authenticated_data.as_deref(),
                    &p.plaintext,
                )?;
                (ct, Some(iv), Some(tag))
            }
            (
                A128Cbc | A192Cbc | A256Cbc | A128CbcPad | A192CbcPad | A256CbcPad,
                Material::Oct(k, _),
            ) => {
                check_aes_len(&p.algorithm, k)?;
                let iv = match &p.iv {
                    Some(iv) => iv.clone(),
                    None => random_bytes(16)?,
                };
                let padded = matches!(p.algorithm, A128CbcPad | A192CbcPad | A256CbcPad);
                (cbc_encrypt(k, &iv, &p.plaintext, padded)?, Some(iv), None)
            }
            (alg, _) => return Err(self.alg_mismatch(alg.as_str())),
        };
        Ok(EncryptResult {
            key_id: self.kid(),
            algorithm: p.algorithm.clone(),
            ciphertext,
            iv,
            authentication_tag: tag,
            additional_authenticated_data: p.additional_authenticated_data.clone(),
        })
    }

    /// Decrypts. Every failure is [`CryptoError::DecryptionFailed`], whatever
    /// the cause, once the inputs have the right shape. The plaintext is
    /// [`SecretBytes`] (zeroized on drop); no other copy of it is left.
    pub fn decrypt(&self, p: &DecryptParameters) -> Result<DecryptResult, CryptoError> {
        self.permit(KeyOperation::Decrypt)?;
        use EncryptionAlgorithm::*;
        let plaintext = match (&p.algorithm, &self.material) {
            (RsaOaep | RsaOaep256 | Rsa15, Material::Rsa { private, .. }) => {
                let private = private
                    .as_ref()
                    .ok_or_else(|| CryptoError::MissingPrivateKey {
                        operation: "decrypt".into(),
                    })?;
                rsa_decrypt(&private.decrypting, &p.algorithm, &p.ciphertext)?
            }
            (A128Gcm | A192Gcm | A256Gcm, Material::Oct(k, gcm)) => {
                check_aes_len(&p.algorithm, k)?;
                let iv = p.iv.as_deref().ok_or_else(|| {
                    CryptoError::InvalidInput("AES-GCM decryption needs the IV".into())
                })?;
                let tag = p.authentication_tag.as_deref().ok_or_else(|| {
                    CryptoError::InvalidInput(
                        "AES-GCM decryption needs the authentication tag".into(),
                    )
                })?;
                gcm_open(
                    gcm,
                    iv,
                    p.additional_authenticated_data.as_deref(),
                    &p.ciphertext,
                    tag,
                )?
            }
            (
                A128Cbc | A192Cbc | A256Cbc | A128CbcPad | A192CbcPad | A256CbcPad,
                Material::Oct(k, _),
            ) => {
                check_aes_len(&p.algorithm, k)?;
                let iv = p.iv.as_deref().ok_or_else(|| {
                    CryptoError::InvalidInput("AES-CBC decryption needs the IV".into())
                })?;
                let padded = matches!(p.algorithm, A128CbcPad | A192CbcPad | A256CbcPad);
                cbc_decrypt(k, iv, &p.ciphertext, padded)?
            }
            (alg, _) => return Err(self.alg_mismatch(alg.as_str())),
        };
        Ok(DecryptResult {
            key_id: self.kid(),
            algorithm: p.algorithm.clone(),
            plaintext,
        })
    }

    /// Wraps (encrypts) a key.
    pub fn wrap_key(
        &self,
        algorithm: &KeyWrapAlgorithm,
        key: &[u8],
    ) -> Result<WrapResult, CryptoError> {
        self.permit(KeyOperation::WrapKey)?;
        use KeyWrapAlgorithm::*;
        let encrypted_key = match (algorithm, &self.material) {
            (RsaOaep | RsaOaep256 | Rsa15, Material::Rsa { encrypting, .. }) => {
                rsa_encrypt(encrypting, &wrap_as_encryption(algorithm), key)?
            }
            (A128Kw | A192Kw | A256Kw | CkmAesKeyWrap, Material::Oct(k, _)) => {
                check_kw_len(algorithm, k)?;
                aes_kw_wrap(k, key, false)?
            }
            (A128KwPad | A192KwPad | A256KwPad | CkmAesKeyWrapPad, Material::Oct(k, _)) => {
                check_kw_len(algorithm, k)?;
                aes_kw_wrap(k, key, true)?
            }
            (alg, _) => return Err(self.alg_mismatch(alg.as_str())),
        };
        Ok(WrapResult {
            key_id: self.kid(),
            algorithm: algorithm.clone(),
            encrypted_key,
        })
    }

    /// Unwraps (decrypts) a key. Failures are [`CryptoError::DecryptionFailed`].
    pub fn unwrap_key(
        &self,
        algorithm: &KeyWrapAlgorithm,
        encrypted_key: &[u8],
    ) -> Result<UnwrapResult, CryptoError> {
        self.permit(KeyOperation::UnwrapKey)?;
        use KeyWrapAlgorithm::*;
        let key: SecretBytes = match (algorithm, &self.material) {
            (RsaOaep | RsaOaep256 | Rsa15, Material::Rsa { private, .. }) => {
                let private = private
                    .as_ref()
                    .ok_or_else(|| CryptoError::MissingPrivateKey {
                        operation: "unwrapKey".into(),
                    })?;
                rsa_decrypt(
                    &private.decrypting,
                    &wrap_as_encryption(algorithm),
                    encrypted_key,
                )?
            }
            (A128Kw | A192Kw | A256Kw | CkmAesKeyWrap, Material::Oct(k, _)) => {
                check_kw_len(algorithm, k)?;
                aes_kw_unwrap(k, encrypted_key, false)?
            }
            (A128KwPad | A192KwPad | A256KwPad | CkmAesKeyWrapPad, Material::Oct(k, _)) => {
                check_kw_len(algorithm, k)?;
                aes_kw_unwrap(k, encrypted_key, true)?
            }
            (alg, _) => return Err(self.alg_mismatch(alg.as_str())),
        };
        Ok(UnwrapResult {
            key_id: self.kid(),
            algorithm: algorithm.clone(),
            key,
        })
    }

    /// Signs a digest (its length must be the algorithm's hash length).
    pub fn sign(
        &self,
        algorithm: &SignatureAlgorithm,
        digest: &[u8],
    ) -> Result<SignResult, CryptoError> {
        self.permit(KeyOperation::Sign)?;
        use SignatureAlgorithm::*;
        let signature = match (algorithm, &self.material) {
            (Rs256 | Rs384 | Rs512 | Ps256 | Ps384 | Ps512, Material::Rsa { private, .. }) => {
                let private = private
                    .as_ref()
                    .ok_or_else(|| CryptoError::MissingPrivateKey {
                        operation: "sign".into(),
                    })?;
                let digest = import_digest(algorithm, digest)?;
                let mut sig = vec![0u8; private.pair.public_modulus_len()];
                private
                    .pair
                    .sign_digest(rsa_encoding(algorithm)?, &digest, &mut sig)
                    .map_err(backend("RSA signing"))?;
                sig
            }
            (Es256 | Es256K | Es384 | Es512, Material::Ec { curve, private, .. }) => {
                self.check_curve(algorithm, curve)?;
                let pair = private
                    .as_ref()
                    .ok_or_else(|| CryptoError::MissingPrivateKey {
                        operation: "sign".into(),
                    })?;
                let digest = import_digest(algorithm, digest)?;
                pair.sign_digest(&digest)
                    .map_err(backend("ECDSA signing"))?
                    .as_ref()
                    .to_vec()
            }
            // HMAC is defined over any bytes: a digest (as the service is
            // sent) or a message.
            (Hs256 | Hs384 | Hs512, Material::Oct(k, _)) => {
                let key = aws_lc_rs::hmac::Key::new(hmac_alg(algorithm)?, k.expose());
                aws_lc_rs::hmac::sign(&key, digest).as_ref().to_vec()
            }
            (alg, _) => return Err(self.alg_mismatch(alg.as_str())),
        };
        Ok(SignResult {
            key_id: self.kid(),
            algorithm: algorithm.clone(),
            signature,
        })
    }

    /// Verifies a signature over a digest.
    pub fn verify(
        &self,
        algorithm: &SignatureAlgorithm,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<VerifyResult, CryptoError> {
        self.permit(KeyOperation::Verify)?;
        use SignatureAlgorithm::*;
        let is_valid = match (algorithm, &self.material) {
            (Rs256 | Rs384 | Rs512 | Ps256 | Ps384 | Ps512, Material::Rsa { spki, .. }) => {
                let digest = import_digest(algorithm, digest)?;
                UnparsedPublicKey::new(rsa_params(algorithm)?, spki)
                    .verify_digest(&digest, signature)
                    .is_ok()
            }
            (Es256 | Es256K | Es384 | Es512, Material::Ec { curve, point, .. }) => {
                self.check_curve(algorithm, curve)?;
                let digest = import_digest(algorithm, digest)?;
                let (_, verification) = ecdsa_algs(curve)?;
                UnparsedPublicKey::new(verification, point)
                    .verify_digest(&digest, signature)
                    .is_ok()
            }
            (Hs256 | Hs384 | Hs512, Material::Oct(k, _)) => {
                let key = aws_lc_rs::hmac::Key::new(hmac_alg(algorithm)?, k.expose());
                aws_lc_rs::hmac::verify(&key, digest, signature).is_ok()
            }
            (alg, _) => return Err(self.alg_mismatch(alg.as_str())),
        };
        Ok(VerifyResult {
            key_id: self.kid(),
            algorithm: algorithm.clone(),
            is_valid,
        })
    }

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

    /// The RSA modulus size in bits, if this is an RSA key.
    pub fn rsa_modulus_bits(&self) -> Option<usize> {
        match &self.material {
            Material::Rsa { modulus_bits, .. } => Some(*modulus_bits),
            _ => None,
        }
    }

    fn check_curve(
        &self,
        algorithm: &SignatureAlgorithm,
        curve: &KeyCurveName,
    ) -> Result<(), CryptoError> {
        match algorithm.curve() {
            Some(c) if &c == curve => Ok(()),
            Some(c) => Err(mismatch(
                algorithm,
                format!("it needs a {c} key, and this key is on {curve}"),
            )),
            None => Err(self.alg_mismatch(algorithm.as_str())),
        }
    }

    fn alg_mismatch(&self, algorithm: &str) -> CryptoError {
        let fits = match &self.jwk.kty {
            k if k.is_rsa() => {
                "RSA keys take RSA-OAEP, RSA-OAEP-256, RSA1_5 (encrypt, wrap) and RS*/PS* (sign)"
            }
            k if k.is_ec() => {
                "EC keys take ES256, ES256K, ES384 or ES512 matching their curve (sign only)"
            }
            k if k.is_oct() => {
                "oct keys take A*GCM, A*CBC, A*CBCPAD (encrypt), A*KW, A*KWPAD, CKM_AES_KEY_WRAP(_PAD) (wrap) and HS* (sign)"
            }
            _ => "unknown key type",
        };
        let known = !matches!(
            (
                EncryptionAlgorithm::parse(algorithm).is_known(),
                KeyWrapAlgorithm::parse(algorithm).is_known(),
                SignatureAlgorithm::parse(algorithm).is_known()
            ),
            (false, false, false)
        );
        if known {
            mismatch(
                algorithm,
                format!("a {} key cannot use it; {fits}", self.jwk.kty),
            )
        } else {
            CryptoError::UnsupportedAlgorithm {
                algorithm: algorithm.to_owned(),
                context: format!("by the local engine for a {} key", self.jwk.kty),
            }
        }
    }
}

fn rsa_material(jwk: &JsonWebKey) -> Result<Material, CryptoError> {
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

fn ec_material(jwk: &JsonWebKey) -> Result<Material, CryptoError> {
    let kty = jwk.kty.as_str();
    let curve = jwk
        .crv
        .clone()
        .ok_or_else(|| CryptoError::InvalidKey("an EC key needs the member crv".into()))?;
    let len = curve
        .coordinate_len()
        .ok_or_else(|| CryptoError::UnsupportedAlgorithm {
            algorithm: format!("curve {curve}"),
            context: "by the local engine".into(),
        })?;
    let x = required(&jwk.x, "x", kty)?;
    let y = required(&jwk.y, "y", kty)?;
    if x.len() != len || y.len() != len {
        return Err(CryptoError::InvalidKey(format!(
            "{curve} coordinates are {len} bytes; x has {} and y has {}",
            x.len(),
            y.len()
        )));
    }
    let mut point = Vec::with_capacity(1 + 2 * len);
    point.push(0x04);
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    let (signing, verification) = ecdsa_algs(&curve)?;
    // Check the point is on the curve: parse it once.
    let _ = UnparsedPublicKey::new(verification, &point)
        .parse()
        .map_err(|_| CryptoError::InvalidKey(format!("x and y are not a point on {curve}")))?;
    let private = match &jwk.d {
        None => None,
        Some(d) => {
            if d.len() != len {
                return Err(CryptoError::InvalidKey(format!(
                    "a {curve} private key d is {len} bytes, not {}",
                    d.len()
                )));
            }
            Some(
                EcdsaKeyPair::from_private_key_and_public_key(signing, d.expose(), &point)
                    .map_err(|_| {
                        CryptoError::InvalidKey(format!("d does not match x and y on {curve}"))
                    })?,
            )
        }
    };
    Ok(Material::Ec {
        curve,
        point,
        private,
    })
}

fn wrap_as_encryption(alg: &KeyWrapAlgorithm) -> EncryptionAlgorithm {
    match alg {
        KeyWrapAlgorithm::RsaOaep => EncryptionAlgorithm::RsaOaep,
        KeyWrapAlgorithm::RsaOaep256 => EncryptionAlgorithm::RsaOaep256,
        _ => EncryptionAlgorithm::Rsa15,
    }
}

fn rsa_encrypt(
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

fn rsa_decrypt(
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

fn aes_bits(alg: &str) -> Option<usize> {
    if alg.starts_with("A128") {
        Some(128)
    } else if alg.starts_with("A192") {
        Some(192)
    } else if alg.starts_with("A256") {
        Some(256)
    } else {
        None
    }
}

fn check_aes_len(alg: &EncryptionAlgorithm, k: &SecretBytes) -> Result<(), CryptoError> {
    match aes_bits(alg.as_str()) {
        Some(bits) if bits == k.len() * 8 => Ok(()),
        Some(bits) => Err(mismatch(
            alg,
            format!(
                "it needs a {bits}-bit key, and this key has {} bits",
                k.len() * 8
            ),
        )),
        None => Err(mismatch(alg, "not an AES algorithm")),
    }
}

fn check_kw_len(alg: &KeyWrapAlgorithm, k: &SecretBytes) -> Result<(), CryptoError> {
    match aes_bits(alg.as_str()) {
        Some(bits) if bits != k.len() * 8 => Err(mismatch(
            alg,
            format!(
                "it needs a {bits}-bit key, and this key has {} bits",
                k.len() * 8
            ),
        )),
        _ => Ok(()),
    }
}

fn gcm_alg(k: &SecretBytes) -> Result<&'static aead::Algorithm, CryptoError> {
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

fn gcm_key(k: &SecretBytes) -> Result<LessSafeKey, CryptoError> {
    Ok(LessSafeKey::new(
        UnboundKey::new(gcm_alg(k)?, k.expose()).map_err(backend("AES-GCM key"))?,
    ))
}

fn gcm_nonce(iv: &[u8]) -> Result<Nonce, CryptoError> {
    Nonce::try_assume_unique_for_key(iv).map_err(|_| {
        CryptoError::InvalidInput(format!("an AES-GCM IV is 12 bytes, not {}", iv.len()))
    })
}

fn gcm_seal(
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

fn gcm_open(
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

fn aes_cipher(k: &SecretBytes) -> Result<UnboundCipherKey, CryptoError> {
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

fn cbc_iv(iv: &[u8]) -> Result<[u8; 16], CryptoError> {
    iv.try_into().map_err(|_| {
        CryptoError::InvalidInput(format!("an AES-CBC IV is 16 bytes, not {}", iv.len()))
    })
}

fn cbc_encrypt(
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

fn cbc_decrypt(
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

/// aws-lc-rs's key-wrap cipher for the key's size; `None` for 192 bits,
/// which goes through [`kw`].
fn aws_kw_cipher(k: &SecretBytes) -> Option<&'static key_wrap::AesBlockCipher> {
    match k.len() {
        16 => Some(&key_wrap::AES_128),
        32 => Some(&key_wrap::AES_256),
        _ => None,
    }
}

fn aes_kw_wrap(k: &SecretBytes, key: &[u8], padded: bool) -> Result<Vec<u8>, CryptoError> {
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

fn check_digest_len(alg: &SignatureAlgorithm, digest: &[u8]) -> Result<HashAlgorithm, CryptoError> {
    let hash = alg
        .hash()
        .ok_or_else(|| CryptoError::UnsupportedAlgorithm {
            algorithm: alg.to_string(),
            context: "by the local engine".into(),
        })?;
    if digest.len() != hash.len() {
        return Err(CryptoError::InvalidInput(format!(
            "{alg} signs a {}-byte digest, not {} bytes; hash the data first (or use sign_data)",
            hash.len(),
            digest.len()
        )));
    }
    Ok(hash)
}

fn import_digest(alg: &SignatureAlgorithm, digest: &[u8]) -> Result<Digest, CryptoError> {
    let hash = check_digest_len(alg, digest)?;
    Digest::import_less_safe(digest, crate::enums::aws_digest(hash))
        .map_err(backend("digest import"))
}

fn rsa_encoding(
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

fn rsa_params(alg: &SignatureAlgorithm) -> Result<&'static signature::RsaParameters, CryptoError> {
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

fn hmac_alg(alg: &SignatureAlgorithm) -> Result<aws_lc_rs::hmac::Algorithm, CryptoError> {
    Ok(match alg {
        SignatureAlgorithm::Hs256 => aws_lc_rs::hmac::HMAC_SHA256,
        SignatureAlgorithm::Hs384 => aws_lc_rs::hmac::HMAC_SHA384,
        SignatureAlgorithm::Hs512 => aws_lc_rs::hmac::HMAC_SHA512,
        other => return Err(mismatch(other, "not an HMAC algorithm")),
    })
}

fn export_oaep(
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
    let Material::Rsa { encrypting, .. } = &key.material else {
        return Err(mismatch(alg, "the wrapping key must be an RSA key"));
    };
    let aes = SecretBytes::new(random_bytes(32)?);
    let k = OaepPublicEncryptingKey::new(encrypting.clone()).map_err(backend("RSA-OAEP key"))?;
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
    let size = private.decrypting.key_size_bytes();
    if blob.len() <= size {
        return Err(CryptoError::DecryptionFailed);
    }
    let k = OaepPrivateDecryptingKey::new(private.decrypting.clone())
        .map_err(|_| CryptoError::DecryptionFailed)?;
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
            let size = match spec.size.unwrap_or(2048) {
                2048 => aws_lc_rs::rsa::KeySize::Rsa2048,
                3072 => aws_lc_rs::rsa::KeySize::Rsa3072,
                4096 => aws_lc_rs::rsa::KeySize::Rsa4096,
                other => {
                    return Err(CryptoError::InvalidInput(format!(
                        "RSA keys are 2048, 3072 or 4096 bits, not {other}"
                    )));
                }
            };
            if let Some(e) = spec.public_exponent
                && e != 65537
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
            let curve = spec.curve.clone().unwrap_or(KeyCurveName::P256);
            let (signing, _) = ecdsa_algs(&curve)?;
            let pair = EcdsaKeyPair::generate(signing).map_err(backend("EC key generation"))?;
            let point = pair.public_key().as_ref();
            let len = curve.coordinate_len().unwrap_or(32);
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
            let bits = spec.size.unwrap_or(256);
            if ![128, 192, 256].contains(&bits) {
                return Err(CryptoError::InvalidInput(format!(
                    "oct keys are 128, 192 or 256 bits, not {bits}"
                )));
            }
            jwk.k = Some(SecretBytes::new(random_bytes(bits as usize / 8)?));
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
