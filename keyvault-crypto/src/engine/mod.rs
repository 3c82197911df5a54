//! The local engine: every Key Vault algorithm in-process, on aws-lc-rs.
//!
//! [`LocalKey`] is built from a [`JsonWebKey`] and runs the operations its
//! material allows: public-key operations with a public key, everything with
//! the private (or symmetric) key. The emulator uses this same engine.

mod aes_cbc;
mod aes_gcm;
mod aes_kw;
mod digest;
mod ec;
mod export;
mod generate;
mod hmac;
pub mod kw;
mod mldsa;
mod need;
mod rsa;
/// The one table of the crypto rules (in `keyvault-keys-types`).
pub use keyvault_keys_types::rules;

pub(crate) use aes_kw::aes_kw_unwrap;
pub use export::{rsa_aes_key_unwrap, rsa_aes_key_wrap};
pub use generate::{KeySpec, fill_rsa_from_pkcs8, generate};
pub use mldsa::{ML_DSA_SEED_LEN, generate_akp};

use std::sync::Arc;

use aws_lc_rs::aead::LessSafeKey;
use aws_lc_rs::signature::{EcdsaKeyPair, ParsedPublicKey};

use aes_cbc::{cbc_decrypt, cbc_encrypt};
use aes_gcm::{gcm_key, gcm_open, gcm_seal};
use aes_kw::aes_kw_wrap;
use digest::import_digest;
use ec::ec_material;
pub(crate) use ec::ecdsa_algs;
use hmac::HmacKeys;
use mldsa::{MlDsa, ml_dsa_material};
use need::{Held, fits};
use rsa::{
    RsaPrivate, RsaPublic, rsa_decrypt, rsa_encoding, rsa_encrypt, rsa_material, wrap_as_encryption,
};
use rules::AlgorithmRule;

use crate::enums::{
    EncryptionAlgorithm, KeyCurveName, KeyOperation, KeyWrapAlgorithm, SignatureAlgorithm,
};
use crate::error::{CryptoError, backend, mismatch};
use crate::ops::*;
use keyvault_keys_types::JsonWebKey;
use keyvault_keys_types::SecretBytes;

/// Fills a fresh buffer with random bytes.
pub fn random_bytes(len: usize) -> Result<Vec<u8>, CryptoError> {
    let mut b = vec![0u8; len];
    aws_lc_rs::rand::fill(&mut b).map_err(backend("random bytes"))?;
    Ok(b)
}

enum Material {
    Rsa {
        public: Box<RsaPublic>,
        modulus_bits: usize,
        private: Option<RsaPrivate>,
    },
    Ec {
        curve: KeyCurveName,
        verifying: Box<ParsedPublicKey>,
        private: Option<EcdsaKeyPair>,
    },
    Oct(SecretBytes, Box<OctKeys>),
    MlDsa(Box<MlDsa>),
}

/// What a symmetric key's operations prepare from it once: the AES-GCM key
/// schedule (at once) and the HMAC keys (on first use).
struct OctKeys {
    gcm: LessSafeKey,
    hmac: HmacKeys,
}

/// A key the engine can use, built from a JWK.
pub struct LocalKey {
    jwk: JsonWebKey,
    /// The JWK's `kid`, held once and shared by every result.
    kid: Option<Arc<str>>,
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
                if !rules::AES_KEY_SIZES
                    .iter()
                    .any(|bits| *bits as usize == key.len() * 8)
                {
                    return Err(CryptoError::InvalidKey(format!(
                        "an oct key is 128, 192 or 256 bits, not {} bits",
                        key.len() * 8
                    )));
                }
                // The AES-GCM key schedule is built once, not per operation.
                let keys = OctKeys {
                    gcm: gcm_key(key)?,
                    hmac: HmacKeys::default(),
                };
                Material::Oct(key.clone(), Box::new(keys))
            }
            k if k.is_akp() => Material::MlDsa(Box::new(ml_dsa_material(jwk)?)),
            other => {
                return Err(CryptoError::UnsupportedAlgorithm {
                    algorithm: format!("key type {other}"),
                    context: "by the local engine".into(),
                });
            }
        };
        Ok(Self {
            kid: jwk.kid.as_deref().map(Arc::from),
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
            Material::MlDsa(m) => m.has_private_key(),
        }
    }

    /// The JWK's `kid`, as every result of this key carries it: one
    /// shared string, cloned per result without a copy.
    pub fn kid(&self) -> Option<&Arc<str>> {
        self.kid.as_ref()
    }

    /// Checks the key against the algorithm's rule ([`rules`]): its
    /// `key_ops` allow the operation (the rule's forward one, or its
    /// `reverse`), and it is the type, size or curve the algorithm needs.
    fn allow(
        &self,
        algorithm: &str,
        rule: Option<AlgorithmRule>,
        reverse: bool,
    ) -> Result<(), CryptoError> {
        let Some(rule) = rule else {
            return Err(self.alg_mismatch(algorithm));
        };
        self.permit(&rule.operations[usize::from(reverse)])?;
        let held = match &self.material {
            Material::Rsa { .. } => Held::Rsa,
            Material::Ec { curve, .. } => Held::Ec(curve),
            Material::Oct(k, _) => Held::Oct { bytes: k.len() },
            // ML-DSA has its own methods (`sign_ml_dsa`, `verify_ml_dsa`).
            Material::MlDsa(_) => return Err(self.alg_mismatch(algorithm)),
        };
        if fits(&rule.key, algorithm, &held)? {
            Ok(())
        } else {
            Err(self.alg_mismatch(algorithm))
        }
    }

    fn permit(&self, op: &KeyOperation) -> Result<(), CryptoError> {
        if self.jwk.permits(op) {
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
        self.allow(p.algorithm.as_str(), rules::encryption(&p.algorithm), false)?;
        use EncryptionAlgorithm::*;
        let (ciphertext, iv, tag) = match (&p.algorithm, &self.material) {
            (RsaOaep | RsaOaep256 | Rsa15, Material::Rsa { public, .. }) => {
                (rsa_encrypt(public, &p.algorithm, &p.plaintext)?, None, None)
            }
            (A128Gcm | A192Gcm | A256Gcm, Material::Oct(_, keys)) => {
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
                    &keys.gcm,
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
            key_id: self.kid.clone(),
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
        self.allow(p.algorithm.as_str(), rules::encryption(&p.algorithm), true)?;
        use EncryptionAlgorithm::*;
        let plaintext = match (&p.algorithm, &self.material) {
            (RsaOaep | RsaOaep256 | Rsa15, Material::Rsa { private, .. }) => {
                let private = private
                    .as_ref()
                    .ok_or_else(|| CryptoError::MissingPrivateKey {
                        operation: "decrypt".into(),
                    })?;
                rsa_decrypt(private, &p.algorithm, &p.ciphertext)?
            }
            (A128Gcm | A192Gcm | A256Gcm, Material::Oct(_, keys)) => {
                let iv = p.iv.as_deref().ok_or_else(|| {
                    CryptoError::InvalidInput("AES-GCM decryption needs the IV".into())
                })?;
                let tag = p.authentication_tag.as_deref().ok_or_else(|| {
                    CryptoError::InvalidInput(
                        "AES-GCM decryption needs the authentication tag".into(),
                    )
                })?;
                gcm_open(
                    &keys.gcm,
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
                let iv = p.iv.as_deref().ok_or_else(|| {
                    CryptoError::InvalidInput("AES-CBC decryption needs the IV".into())
                })?;
                let padded = matches!(p.algorithm, A128CbcPad | A192CbcPad | A256CbcPad);
                cbc_decrypt(k, iv, &p.ciphertext, padded)?
            }
            (alg, _) => return Err(self.alg_mismatch(alg.as_str())),
        };
        Ok(DecryptResult {
            key_id: self.kid.clone(),
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
        self.allow(algorithm.as_str(), rules::key_wrap(algorithm), false)?;
        use KeyWrapAlgorithm::*;
        let encrypted_key = match (algorithm, &self.material) {
            (RsaOaep | RsaOaep256 | Rsa15, Material::Rsa { public, .. }) => {
                rsa_encrypt(public, &wrap_as_encryption(algorithm), key)?
            }
            (A128Kw | A192Kw | A256Kw | CkmAesKeyWrap, Material::Oct(k, _)) => {
                aes_kw_wrap(k, key, false)?
            }
            (A128KwPad | A192KwPad | A256KwPad | CkmAesKeyWrapPad, Material::Oct(k, _)) => {
                aes_kw_wrap(k, key, true)?
            }
            (alg, _) => return Err(self.alg_mismatch(alg.as_str())),
        };
        Ok(WrapResult {
            key_id: self.kid.clone(),
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
        self.allow(algorithm.as_str(), rules::key_wrap(algorithm), true)?;
        use KeyWrapAlgorithm::*;
        let key: SecretBytes = match (algorithm, &self.material) {
            (RsaOaep | RsaOaep256 | Rsa15, Material::Rsa { private, .. }) => {
                let private = private
                    .as_ref()
                    .ok_or_else(|| CryptoError::MissingPrivateKey {
                        operation: "unwrapKey".into(),
                    })?;
                rsa_decrypt(private, &wrap_as_encryption(algorithm), encrypted_key)?
            }
            (A128Kw | A192Kw | A256Kw | CkmAesKeyWrap, Material::Oct(k, _)) => {
                aes_kw_unwrap(k, encrypted_key, false)?
            }
            (A128KwPad | A192KwPad | A256KwPad | CkmAesKeyWrapPad, Material::Oct(k, _)) => {
                aes_kw_unwrap(k, encrypted_key, true)?
            }
            (alg, _) => return Err(self.alg_mismatch(alg.as_str())),
        };
        Ok(UnwrapResult {
            key_id: self.kid.clone(),
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
        self.allow(algorithm.as_str(), rules::signature(algorithm), false)?;
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
            (Es256 | Es256K | Es384 | Es512, Material::Ec { private, .. }) => {
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
            (Hs256 | Hs384 | Hs512, Material::Oct(k, keys)) => {
                keys.hmac.sign(algorithm, k, digest)?
            }
            (alg, _) => return Err(self.alg_mismatch(alg.as_str())),
        };
        Ok(SignResult {
            key_id: self.kid.clone(),
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
        self.allow(algorithm.as_str(), rules::signature(algorithm), true)?;
        use SignatureAlgorithm::*;
        let is_valid = match (algorithm, &self.material) {
            (Rs256 | Rs384 | Rs512 | Ps256 | Ps384 | Ps512, Material::Rsa { public, .. }) => {
                public.verify(algorithm, &import_digest(algorithm, digest)?, signature)?
            }
            (Es256 | Es256K | Es384 | Es512, Material::Ec { verifying, .. }) => verifying
                .verify_digest_sig(&import_digest(algorithm, digest)?, signature)
                .is_ok(),
            (Hs256 | Hs384 | Hs512, Material::Oct(k, keys)) => {
                keys.hmac.verify(algorithm, k, digest, signature)?
            }
            (alg, _) => return Err(self.alg_mismatch(alg.as_str())),
        };
        Ok(VerifyResult {
            key_id: self.kid.clone(),
            algorithm: algorithm.clone(),
            is_valid,
        })
    }

    /// Signs with an AKP (ML-DSA) key (hedged, so two signatures of one
    /// input differ; both verify): ML-DSA.Sign over the message with its
    /// context string (empty when none is given), or over an external μ
    /// (FIPS 204 §5.2, §6.2).
    ///
    /// The result's `algorithm` is the key's parameter set (`ML-DSA-65`,
    /// …) as a [`SignatureAlgorithm::UnknownValue`]: the service's
    /// signature algorithms name none for ML-DSA.
    pub fn sign_ml_dsa(&self, p: &MlDsaSignParameters) -> Result<SignResult, CryptoError> {
        p.validate()?;
        let m = self.ml_dsa("sign")?;
        self.permit(&KeyOperation::Sign)?;
        let input = ml_dsa_input(
            p.message.as_deref(),
            p.context.as_deref(),
            p.external_mu.as_deref(),
        )?;
        Ok(SignResult {
            key_id: self.kid.clone(),
            algorithm: SignatureAlgorithm::parse(m.algorithm.as_str()),
            signature: m.sign(input)?,
        })
    }

    /// Verifies an ML-DSA signature with the public key `pub` (a message
    /// with its context, or an external μ, as [`LocalKey::sign_ml_dsa`]).
    /// A signature of the wrong length is simply invalid.
    pub fn verify_ml_dsa(&self, p: &MlDsaVerifyParameters) -> Result<VerifyResult, CryptoError> {
        p.validate()?;
        let m = self.ml_dsa("verify")?;
        self.permit(&KeyOperation::Verify)?;
        let input = ml_dsa_input(
            p.message.as_deref(),
            p.context.as_deref(),
            p.external_mu.as_deref(),
        )?;
        Ok(VerifyResult {
            key_id: self.kid.clone(),
            algorithm: SignatureAlgorithm::parse(m.algorithm.as_str()),
            is_valid: m.verify(input, &p.signature),
        })
    }

    /// Whether the engine can run ML-DSA requests itself: whenever the key
    /// is an AKP key (a message with or without a context, or an external
    /// μ).
    pub fn can_ml_dsa_locally(&self) -> bool {
        matches!(self.material, Material::MlDsa(_))
    }

    fn ml_dsa(&self, operation: &str) -> Result<&MlDsa, CryptoError> {
        match &self.material {
            Material::MlDsa(m) => Ok(m),
            _ => Err(mismatch(
                "ML-DSA",
                format!(
                    "{operation}_ml_dsa needs an AKP key, not a {} key",
                    self.jwk.kty
                ),
            )),
        }
    }

    /// The RSA modulus size in bits, if this is an RSA key.
    pub fn rsa_modulus_bits(&self) -> Option<usize> {
        match &self.material {
            Material::Rsa { modulus_bits, .. } => Some(*modulus_bits),
            _ => None,
        }
    }

    fn alg_mismatch(&self, algorithm: &str) -> CryptoError {
        let fits = rules::algorithms_for(&self.jwk.kty);
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

/// What the engine signs or verifies (the shape was validated before).
fn ml_dsa_input<'a>(
    message: Option<&'a [u8]>,
    context: Option<&'a [u8]>,
    external_mu: Option<&'a [u8]>,
) -> Result<mldsa::Input<'a>, CryptoError> {
    match (message, external_mu) {
        (Some(message), None) => Ok(mldsa::Input::Message {
            message,
            context: context.unwrap_or_default(),
        }),
        (None, Some(mu)) => Ok(mldsa::Input::Mu(mu)),
        _ => Err(CryptoError::InvalidInput(
            "an ML-DSA request takes a message or an external mu, one of them".into(),
        )),
    }
}
