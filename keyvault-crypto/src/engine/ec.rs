//! Elliptic curves: the key material from a JWK and the ECDSA algorithms of
//! each curve.

use aws_lc_rs::signature::{self, EcdsaKeyPair, UnparsedPublicKey};

use super::{Material, required, rules};
use crate::enums::KeyCurveName;
use crate::error::CryptoError;
use keyvault_keys_types::JsonWebKey;

pub(crate) fn ecdsa_algs(
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

pub(super) fn ec_material(jwk: &JsonWebKey) -> Result<Material, CryptoError> {
    let kty = jwk.kty.as_str();
    let curve = jwk
        .crv
        .clone()
        .ok_or_else(|| CryptoError::InvalidKey("an EC key needs the member crv".into()))?;
    let len = rules::curve(&curve)
        .map(|c| c.coordinate_len)
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
    // Parsed once (which checks the point is on the curve), kept for every
    // verification.
    let verifying = UnparsedPublicKey::new(verification, &point)
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
        verifying: Box::new(verifying),
        private,
    })
}
