//! What an algorithm needs of a key: the one table of the crypto rules.
//!
//! Key types, the sizes and curves the engine makes and takes, and for every
//! algorithm the key it needs (type, size or curve) and the `key_ops` entries
//! it needs. The engine checks keys against this table and nothing else;
//! other crates can consult it too.
//!
//! ```
//! use keyvault_crypto::rules::{self, KeyNeed};
//! use keyvault_crypto::{EncryptionAlgorithm, KeyCurveName, KeyOperation, SignatureAlgorithm};
//!
//! let gcm = rules::encryption(&EncryptionAlgorithm::A256Gcm).expect("known");
//! assert_eq!(gcm.key, KeyNeed::Oct { bits: Some(256) });
//! assert_eq!(gcm.operations, [KeyOperation::Encrypt, KeyOperation::Decrypt]);
//! let es384 = rules::signature(&SignatureAlgorithm::Es384).expect("known");
//! assert_eq!(es384.key, KeyNeed::Curve(KeyCurveName::P384));
//! assert_eq!(rules::curve(&KeyCurveName::P521).map(|c| c.bits), Some(521));
//! ```

use crate::enums::{
    EncryptionAlgorithm, KeyCurveName, KeyOperation, KeyType, KeyWrapAlgorithm, SignatureAlgorithm,
};
use crate::error::{CryptoError, mismatch};

/// The RSA modulus sizes (bits) keys are generated with, and a BYOK
/// key-exchange key may have.
pub const RSA_KEY_SIZES: [u32; 3] = [2048, 3072, 4096];
/// The RSA modulus size (bits) a key gets when none is asked for.
pub const DEFAULT_RSA_KEY_SIZE: u32 = 2048;
/// The RSA modulus sizes (bits) signature verification takes (aws-lc-rs's
/// `RSA_*_2048_8192_*` parameters).
pub const RSA_VERIFY_BITS: std::ops::RangeInclusive<usize> = 2048..=8192;
/// The only RSA public exponent keys are generated with.
pub const RSA_PUBLIC_EXPONENT: u32 = 65537;
/// The AES key sizes (bits) of oct keys.
pub const AES_KEY_SIZES: [u32; 3] = [128, 192, 256];
/// The AES key size (bits) an oct key gets when none is asked for.
pub const DEFAULT_AES_KEY_SIZE: u32 = 256;
/// The curve an EC key gets when none is asked for.
pub const DEFAULT_CURVE: KeyCurveName = KeyCurveName::P256;

/// What the engine knows of a curve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurveRule {
    /// The curve's size in bits (a key's `key_size`).
    pub bits: u32,
    /// The length of one coordinate (and of the private scalar) in bytes.
    pub coordinate_len: usize,
    /// The one signature algorithm a key on the curve takes.
    pub signature: SignatureAlgorithm,
}

/// The rule for a curve; `None` for a curve the engine does not know.
pub fn curve(c: &KeyCurveName) -> Option<CurveRule> {
    let (bits, coordinate_len, signature) = match c {
        KeyCurveName::P256 => (256, 32, SignatureAlgorithm::Es256),
        KeyCurveName::P256K => (256, 32, SignatureAlgorithm::Es256K),
        KeyCurveName::P384 => (384, 48, SignatureAlgorithm::Es384),
        KeyCurveName::P521 => (521, 66, SignatureAlgorithm::Es512),
        KeyCurveName::UnknownValue(_) => return None,
    };
    Some(CurveRule {
        bits,
        coordinate_len,
        signature,
    })
}

/// The key an algorithm needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyNeed {
    /// An RSA (or RSA-HSM) key of any size the backend takes.
    Rsa,
    /// An EC (or EC-HSM) key on this curve.
    Curve(KeyCurveName),
    /// An oct (or oct-HSM) key of exactly `bits` bits, or of any AES size
    /// when `None`.
    Oct {
        /// The AES key size the algorithm names, if it names one.
        bits: Option<u32>,
    },
}

/// What an algorithm needs of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlgorithmRule {
    /// The key it needs.
    pub key: KeyNeed,
    /// The `key_ops` entries it needs: the forward operation (encrypt,
    /// wrapKey, sign) and the reverse one (decrypt, unwrapKey, verify).
    pub operations: [KeyOperation; 2],
}

fn rule(key: KeyNeed, forward: KeyOperation, reverse: KeyOperation) -> AlgorithmRule {
    AlgorithmRule {
        key,
        operations: [forward, reverse],
    }
}

fn aes(bits: u32) -> KeyNeed {
    KeyNeed::Oct { bits: Some(bits) }
}

/// The rule for an encryption algorithm; `None` when the engine does not
/// know it.
pub fn encryption(alg: &EncryptionAlgorithm) -> Option<AlgorithmRule> {
    use EncryptionAlgorithm::*;
    let key = match alg {
        RsaOaep | RsaOaep256 | Rsa15 => KeyNeed::Rsa,
        A128Gcm | A128Cbc | A128CbcPad => aes(128),
        A192Gcm | A192Cbc | A192CbcPad => aes(192),
        A256Gcm | A256Cbc | A256CbcPad => aes(256),
        _ => return None,
    };
    Some(rule(key, KeyOperation::Encrypt, KeyOperation::Decrypt))
}

/// The rule for a key-wrap algorithm; `None` when the engine does not know
/// it.
pub fn key_wrap(alg: &KeyWrapAlgorithm) -> Option<AlgorithmRule> {
    use KeyWrapAlgorithm::*;
    let key = match alg {
        RsaOaep | RsaOaep256 | Rsa15 => KeyNeed::Rsa,
        A128Kw | A128KwPad => aes(128),
        A192Kw | A192KwPad => aes(192),
        A256Kw | A256KwPad => aes(256),
        CkmAesKeyWrap | CkmAesKeyWrapPad => KeyNeed::Oct { bits: None },
        _ => return None,
    };
    Some(rule(key, KeyOperation::WrapKey, KeyOperation::UnwrapKey))
}

/// The rule for a signature algorithm; `None` when the engine does not know
/// it.
pub fn signature(alg: &SignatureAlgorithm) -> Option<AlgorithmRule> {
    use SignatureAlgorithm::*;
    let key = match alg {
        Rs256 | Rs384 | Rs512 | Ps256 | Ps384 | Ps512 => KeyNeed::Rsa,
        Es256 => KeyNeed::Curve(KeyCurveName::P256),
        Es256K => KeyNeed::Curve(KeyCurveName::P256K),
        Es384 => KeyNeed::Curve(KeyCurveName::P384),
        Es512 => KeyNeed::Curve(KeyCurveName::P521),
        Hs256 | Hs384 | Hs512 => KeyNeed::Oct { bits: None },
        _ => return None,
    };
    Some(rule(key, KeyOperation::Sign, KeyOperation::Verify))
}

/// The algorithms a key type takes, in words (for error messages).
pub fn algorithms_for(kty: &KeyType) -> &'static str {
    match kty {
        k if k.is_rsa() => {
            "RSA keys take RSA-OAEP, RSA-OAEP-256, RSA1_5 (encrypt, wrap) and RS*/PS* (sign)"
        }
        k if k.is_ec() => {
            "EC keys take ES256, ES256K, ES384 or ES512 matching their curve (sign only)"
        }
        k if k.is_oct() => {
            "oct keys take A*GCM, A*CBC, A*CBCPAD (encrypt), A*KW, A*KWPAD, CKM_AES_KEY_WRAP(_PAD) (wrap) and HS* (sign)"
        }
        k if k.is_akp() => {
            "AKP keys take no algorithm name: they sign and verify ML-DSA of their parameter set (sign_ml_dsa, verify_ml_dsa)"
        }
        _ => "unknown key type",
    }
}

/// The key the engine holds, as far as the rules care.
pub(super) enum Held<'a> {
    Rsa,
    Ec(&'a KeyCurveName),
    Oct { bytes: usize },
}

impl KeyNeed {
    /// Checks a held key against the need. `Ok(false)`: the key is of
    /// another type (the caller words that error).
    pub(super) fn check(&self, algorithm: &str, held: &Held<'_>) -> Result<bool, CryptoError> {
        match (self, held) {
            (KeyNeed::Rsa, Held::Rsa) => Ok(true),
            (KeyNeed::Curve(need), Held::Ec(curve)) if need == *curve => Ok(true),
            (KeyNeed::Curve(need), Held::Ec(curve)) => Err(mismatch(
                algorithm,
                format!("it needs a {need} key, and this key is on {curve}"),
            )),
            (KeyNeed::Oct { bits: None }, Held::Oct { .. }) => Ok(true),
            (KeyNeed::Oct { bits: Some(bits) }, Held::Oct { bytes })
                if *bits as usize == bytes * 8 =>
            {
                Ok(true)
            }
            (KeyNeed::Oct { bits: Some(bits) }, Held::Oct { bytes }) => Err(mismatch(
                algorithm,
                format!(
                    "it needs a {bits}-bit key, and this key has {} bits",
                    bytes * 8
                ),
            )),
            _ => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_algorithm_has_a_rule_and_every_curve_its_signature() {
        // One wire type names both families (the spec has one schema):
        // every known value is an encryption or a key-wrap algorithm.
        for a in EncryptionAlgorithm::KNOWN {
            assert!(encryption(a).is_some() || key_wrap(a).is_some(), "{a}");
        }
        for a in SignatureAlgorithm::KNOWN {
            // RSNULL is a wire value the engine does not run.
            assert_eq!(signature(a).is_some(), a.hash().is_some(), "{a}");
        }
        for c in KeyCurveName::KNOWN {
            let r = curve(c).expect("known curve");
            assert_eq!(
                signature(&r.signature).map(|s| s.key),
                Some(KeyNeed::Curve(c.clone()))
            );
        }
    }

    #[test]
    fn the_enums_curve_helpers_agree_with_the_table() {
        // enums.rs still answers some of these questions itself; until it
        // asks this table, the two must not disagree.
        for c in KeyCurveName::KNOWN {
            let r = curve(c).expect("known curve");
            assert_eq!(c.coordinate_len(), Some(r.coordinate_len), "{c}");
            assert_eq!(c.signature_algorithm(), Some(r.signature.clone()), "{c}");
            assert_eq!(r.signature.curve().as_ref(), Some(c), "{c}");
        }
        assert!(curve(&KeyCurveName::UnknownValue("P-192".into())).is_none());
    }

    #[test]
    fn sizes_and_curves_are_checked() {
        let gcm = encryption(&EncryptionAlgorithm::A128Gcm).expect("rule");
        assert!(
            gcm.key
                .check("A128GCM", &Held::Oct { bytes: 16 })
                .expect("fits")
        );
        assert!(gcm.key.check("A128GCM", &Held::Oct { bytes: 32 }).is_err());
        assert!(!gcm.key.check("A128GCM", &Held::Rsa).expect("other type"));
        let es = signature(&SignatureAlgorithm::Es256).expect("rule");
        assert!(
            es.key
                .check("ES256", &Held::Ec(&KeyCurveName::P384))
                .is_err()
        );
        let ckm = key_wrap(&KeyWrapAlgorithm::CkmAesKeyWrap).expect("rule");
        assert!(
            ckm.key
                .check("CKM", &Held::Oct { bytes: 24 })
                .expect("any size")
        );
    }
}
