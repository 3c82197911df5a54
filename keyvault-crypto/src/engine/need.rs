//! A key the engine holds, checked against the rules table's need.

use keyvault_keys_types::rules::KeyNeed;

use crate::enums::KeyCurveName;
use crate::error::{CryptoError, mismatch};

/// The key the engine holds, as far as the rules care.
pub(super) enum Held<'a> {
    Rsa,
    Ec(&'a KeyCurveName),
    Oct { bytes: usize },
}

/// Checks a held key against what the algorithm needs (the table is
/// [`rules`](keyvault_keys_types::rules)). `Ok(false)`: the key is of another
/// type (the caller words that error).
pub(super) fn fits(need: &KeyNeed, algorithm: &str, held: &Held<'_>) -> Result<bool, CryptoError> {
    match (need, held) {
        (KeyNeed::Rsa, Held::Rsa) => Ok(true),
        (KeyNeed::Curve(need), Held::Ec(curve)) if need == *curve => Ok(true),
        (KeyNeed::Curve(need), Held::Ec(curve)) => Err(mismatch(
            algorithm,
            format!("it needs a {need} key, and this key is on {curve}"),
        )),
        (KeyNeed::Oct { bits: None }, Held::Oct { .. }) => Ok(true),
        (KeyNeed::Oct { bits: Some(bits) }, Held::Oct { bytes }) if *bits as usize == bytes * 8 => {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::{EncryptionAlgorithm, KeyWrapAlgorithm, SignatureAlgorithm};
    use keyvault_keys_types::rules::{encryption, key_wrap, signature};

    #[test]
    fn sizes_and_curves_are_checked() {
        let gcm = encryption(&EncryptionAlgorithm::A128Gcm).expect("rule");
        assert!(fits(&gcm.key, "A128GCM", &Held::Oct { bytes: 16 }).expect("fits"));
        assert!(fits(&gcm.key, "A128GCM", &Held::Oct { bytes: 32 }).is_err());
        assert!(!fits(&gcm.key, "A128GCM", &Held::Rsa).expect("other type"));
        let es = signature(&SignatureAlgorithm::Es256).expect("rule");
        assert!(fits(&es.key, "ES256", &Held::Ec(&KeyCurveName::P384)).is_err());
        let ckm = key_wrap(&KeyWrapAlgorithm::CkmAesKeyWrap).expect("rule");
        assert!(fits(&ckm.key, "CKM", &Held::Oct { bytes: 24 }).expect("any size"));
    }
}
