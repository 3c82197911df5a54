//! What an algorithm needs of a key: the one table of the crypto rules.
//!
//! Key types, the sizes and curves the engine makes and takes, and for every
//! algorithm the key it needs (type, size or curve) and the `key_ops` entries
//! it needs. The crypto engine checks keys against this table and nothing
//! else, and the emulator reads its sizes and curves from it.
//!
//! ```
//! use keyvault_keys_types::enums::{EncryptionAlgorithm, KeyCurveName, KeyOperation, SignatureAlgorithm};
//! use keyvault_keys_types::rules::{self, KeyNeed};
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

/// Whether an encryption algorithm is AES-GCM (a fresh IV and a tag).
pub fn is_aes_gcm(alg: &EncryptionAlgorithm) -> bool {
    use EncryptionAlgorithm::*;
    matches!(alg, A128Gcm | A192Gcm | A256Gcm)
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
}
