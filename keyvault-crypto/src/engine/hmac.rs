//! HMAC (HS256, HS384, HS512).

use crate::enums::SignatureAlgorithm;
use crate::error::{CryptoError, mismatch};

pub(super) fn hmac_alg(
    alg: &SignatureAlgorithm,
) -> Result<aws_lc_rs::hmac::Algorithm, CryptoError> {
    Ok(match alg {
        SignatureAlgorithm::Hs256 => aws_lc_rs::hmac::HMAC_SHA256,
        SignatureAlgorithm::Hs384 => aws_lc_rs::hmac::HMAC_SHA384,
        SignatureAlgorithm::Hs512 => aws_lc_rs::hmac::HMAC_SHA512,
        other => return Err(mismatch(other, "not an HMAC algorithm")),
    })
}
