//! Key types, curves, operations and algorithms.
//!
//! These are the ground floor's enums (`keyvault_keys_types::enums`),
//! the one definition every layer uses: each has a variant per value it
//! knows plus `UnknownValue(String)` for values from a newer service, parses
//! from and prints to the wire string, and round-trips unchanged. This
//! module adds the hashing the local engine does with them.

pub use keyvault_keys_types::enums::{
    AkpAlgorithm, EncryptionAlgorithm, HashAlgorithm, KeyCurveName, KeyExportEncryptionAlgorithm,
    KeyOperation, KeySecureWrapAlgorithm, KeyType, KeyWrapAlgorithm, SignatureAlgorithm,
};

/// Hashing with a [`HashAlgorithm`] (on aws-lc-rs).
pub trait HashDigest {
    /// Hashes `data`.
    fn digest(self, data: &[u8]) -> Vec<u8>;
}

impl HashDigest for HashAlgorithm {
    fn digest(self, data: &[u8]) -> Vec<u8> {
        aws_lc_rs::digest::digest(aws_digest(self), data)
            .as_ref()
            .to_vec()
    }
}

/// The aws-lc-rs algorithm of a hash.
pub(crate) fn aws_digest(hash: HashAlgorithm) -> &'static aws_lc_rs::digest::Algorithm {
    match hash {
        HashAlgorithm::Sha256 => &aws_lc_rs::digest::SHA256,
        HashAlgorithm::Sha384 => &aws_lc_rs::digest::SHA384,
        HashAlgorithm::Sha512 => &aws_lc_rs::digest::SHA512,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_have_the_hash_length() {
        for (h, len) in [
            (HashAlgorithm::Sha256, 32),
            (HashAlgorithm::Sha384, 48),
            (HashAlgorithm::Sha512, 64),
        ] {
            assert_eq!(h.digest(b"x").len(), len);
            assert_eq!(h.len(), len);
        }
        assert_ne!(
            HashAlgorithm::Sha256.digest(b"a"),
            HashAlgorithm::Sha256.digest(b"b")
        );
    }
}
