//! The digest a signature algorithm signs: its length checked, imported for
//! aws-lc-rs.

use aws_lc_rs::digest::Digest;

use crate::enums::{HashAlgorithm, SignatureAlgorithm};
use crate::error::{CryptoError, backend};

pub(super) fn check_digest_len(
    alg: &SignatureAlgorithm,
    digest: &[u8],
) -> Result<HashAlgorithm, CryptoError> {
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

pub(super) fn import_digest(
    alg: &SignatureAlgorithm,
    digest: &[u8],
) -> Result<Digest, CryptoError> {
    let hash = check_digest_len(alg, digest)?;
    Digest::import_less_safe(digest, crate::enums::aws_digest(hash))
        .map_err(backend("digest import"))
}
