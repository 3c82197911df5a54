//! Secure key release, emulated.
//!
//! The target attestation token is a JWT (`header.payload.signature`)
//! signed by an attestation authority the emulator trusts. Each trusted key
//! is bound to the authority it speaks for: `--trust-attestation-key
//! AUTHORITY=FILE` (a JWK or a JWKS `{"keys":[…]}`), or
//! [`crate::TrustedAttestationKey`] in [`crate::EmulatorOptions`]; a token
//! is accepted only when a key trusted for its `iss` signed it, it carries
//! a numeric `exp` in the future, and its `nbf` (when present, numeric) has
//! passed. The token's claims are checked against the key's release policy (`anyOf` /
//! `allOf` of `{authority, allOf|anyOf: [{claim, equals}]}`, where
//! `authority` must equal the token's `iss`). The key is wrapped for the
//! token's runtime key (the first RSA key in `x-ms-runtime.keys`) with
//! `CKM_RSA_AES_KEY_WRAP` or `RSA_AES_KEY_WRAP_256/384`, and returned in a
//! JWS signed by the emulator's release-signing key (RS256).
//!
//! Tests make tokens with [`sign_token`].

use keyvault_crypto::{
    HashDigest as _, JsonWebKey, KeyExportEncryptionAlgorithm, LocalKey, SignatureAlgorithm, b64,
};
use keyvault_keys_types::types;
use serde_json::{Value, json};

use crate::TrustedAttestationKey;
use crate::api_error::{ApiError, ApiResult};
use crate::state::{Ctx, VersionRecord};

/// Signs `claims` as a compact JWT with `key` (RS256 for RSA keys, ES256/
/// ES384/ES512 for EC keys by curve). This is how a test plays the
/// attestation authority.
pub fn sign_token(key: &JsonWebKey, claims: &Value) -> Result<String, String> {
    let alg = if key.kty.is_rsa() {
        SignatureAlgorithm::Rs256
    } else {
        key.crv
            .as_ref()
            .and_then(keyvault_keys_types::rules::curve)
            .map(|c| c.signature)
            .ok_or("the key has no usable curve")?
    };
    sign_jws(
        key,
        &alg,
        &json!({"alg": alg.as_str(), "typ": "JWT"}),
        claims,
    )
}

fn sign_jws(
    key: &JsonWebKey,
    alg: &SignatureAlgorithm,
    header: &Value,
    payload: &Value,
) -> Result<String, String> {
    let signing_input = format!(
        "{}.{}",
        b64::encode(header.to_string().as_bytes()),
        b64::encode(payload.to_string().as_bytes())
    );
    let hash = alg.hash().ok_or("no hash")?;
    let local = LocalKey::from_jwk(key).map_err(|e| e.to_string())?;
    let sig = local
        .sign(alg, &hash.digest(signing_input.as_bytes()))
        .map_err(|e| e.to_string())?;
    Ok(format!("{signing_input}.{}", b64::encode(&sig.signature)))
}

fn same_authority(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// A numeric date claim (JSON integer or float seconds); `Err` when the
/// claim is there but not a number.
fn date_claim(claims: &Value, name: &str) -> Result<Option<f64>, String> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| format!("the attestation token's {name} is not a number of seconds")),
    }
}

/// Verifies a JWS against the keys trusted for the issuer it names;
/// requires a numeric `exp` in the future and honours `nbf`. Returns its claims.
pub fn verify_jws(
    token: &str,
    trusted: &[TrustedAttestationKey],
    now: i64,
) -> Result<Value, String> {
    let parts: Vec<&str> = token.split('.').collect();
    let [h, p, s] = parts.as_slice() else {
        return Err("the attestation token is not a compact JWT (header.payload.signature)".into());
    };
    let header: Value =
        serde_json::from_slice(&b64::decode(h)?).map_err(|e| format!("token header: {e}"))?;
    let claims: Value =
        serde_json::from_slice(&b64::decode(p)?).map_err(|e| format!("token payload: {e}"))?;
    let sig = b64::decode(s)?;
    let alg = SignatureAlgorithm::parse(
        header["alg"]
            .as_str()
            .ok_or("the token header has no alg")?,
    );
    let hash = alg
        .hash()
        .ok_or_else(|| format!("token algorithm {alg} is not supported"))?;
    let digest = hash.digest(format!("{h}.{p}").as_bytes());
    let iss = claims["iss"].as_str().unwrap_or("");
    let trusted_ok = trusted.iter().any(|t| {
        same_authority(&t.authority, iss)
            && LocalKey::from_jwk(&t.key.public_only())
                .and_then(|l| l.verify(&alg, &digest, &sig))
                .map(|r| r.is_valid)
                .unwrap_or(false)
    });
    if !trusted_ok {
        return Err(
            "the attestation token is not signed by a key trusted for the authority it names (iss)"
                .into(),
        );
    }
    let t = now as f64;
    match date_claim(&claims, "exp")? {
        None => return Err("the attestation token has no exp".into()),
        Some(exp) if t >= exp => return Err("the attestation token has expired".into()),
        Some(_) => {}
    }
    if date_claim(&claims, "nbf")?.is_some_and(|nbf| t < nbf) {
        return Err("the attestation token is not valid yet (nbf)".into());
    }
    Ok(claims)
}

fn claim<'a>(claims: &'a Value, name: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(name) {
        return Some(v);
    }
    name.split('.').try_fold(claims, |v, part| v.get(part))
}

fn conditions_hold(list: &Value, all: bool, claims: &Value) -> Result<bool, String> {
    let items = list
        .as_array()
        .ok_or("a policy's anyOf/allOf must be an array")?;
    let mut results = Vec::with_capacity(items.len());
    for c in items {
        results.push(condition_holds(c, claims)?);
    }
    Ok(if all {
        results.iter().all(|r| *r)
    } else {
        results.iter().any(|r| *r)
    })
}

fn condition_holds(c: &Value, claims: &Value) -> Result<bool, String> {
    if let Some(list) = c.get("allOf") {
        return conditions_hold(list, true, claims);
    }
    if let Some(list) = c.get("anyOf") {
        return conditions_hold(list, false, claims);
    }
    let name = c["claim"]
        .as_str()
        .ok_or("a policy condition needs claim and equals")?;
    let want = c
        .get("equals")
        .ok_or("a policy condition needs claim and equals")?;
    Ok(match (claim(claims, name), want) {
        (Some(Value::String(got)), Value::String(w)) => got == w,
        (Some(Value::Bool(got)), Value::String(w)) => got.to_string() == w.to_ascii_lowercase(),
        (Some(got), w) => got == w,
        (None, _) => false,
    })
}

fn authority_matches(block: &Value, iss: &str) -> bool {
    block["authority"]
        .as_str()
        .is_some_and(|a| same_authority(a, iss))
}

fn block_holds(block: &Value, claims: &Value, iss: &str) -> Result<bool, String> {
    if !authority_matches(block, iss) {
        return Ok(false);
    }
    if let Some(list) = block.get("allOf") {
        return conditions_hold(list, true, claims);
    }
    if let Some(list) = block.get("anyOf") {
        return conditions_hold(list, false, claims);
    }
    Ok(true)
}

/// Whether the token's claims satisfy the policy document.
pub fn policy_allows(policy: &Value, claims: &Value) -> Result<bool, String> {
    let iss = claims["iss"].as_str().unwrap_or("");
    let (blocks, all) = match (policy.get("anyOf"), policy.get("allOf")) {
        (Some(b), _) => (b, false),
        (None, Some(b)) => (b, true),
        _ => return Err("the release policy has neither anyOf nor allOf".into()),
    };
    let blocks = blocks
        .as_array()
        .ok_or("the release policy's anyOf/allOf must be an array")?;
    let mut results = Vec::new();
    for b in blocks {
        results.push(block_holds(b, claims, iss)?);
    }
    Ok(if all {
        results.iter().all(|r| *r)
    } else {
        results.iter().any(|r| *r)
    })
}

pub(crate) struct ReleaseInput<'a> {
    pub(crate) ctx: &'a Ctx,
    pub(crate) version: &'a VersionRecord,
    pub(crate) bundle: types::KeyBundle,
    pub(crate) params: types::KeyReleaseParameters,
    /// The target token's claims, from [`verify_target`].
    pub(crate) claims: Value,
    pub(crate) signing_key: &'a JsonWebKey,
}

/// Verifies a release's target attestation token, before anything else:
/// the service answers a token it cannot verify with 403 `Forbidden`
/// (inner `AccessDenied`) even when the key does not exist.
pub(crate) fn verify_target(
    params: &types::KeyReleaseParameters,
    trusted: &[TrustedAttestationKey],
    now: i64,
) -> ApiResult<Value> {
    let target = params.target.to_string();
    if target.is_empty() {
        return Err(ApiError::bad_parameter(
            "The target attestation token is empty.",
        ));
    }
    verify_jws(&target, trusted, now).map_err(|m| {
        ApiError::forbidden(
            format!("Target environment attestation statement cannot be verified: {m}."),
            "AccessDenied",
        )
    })
}

pub(crate) fn release(input: ReleaseInput<'_>) -> ApiResult<types::KeyReleaseResult> {
    let v = input.version;
    if v.exportable != Some(true) {
        return Err(ApiError::bad_parameter(
            "The key is not exportable; only keys created or imported with exportable: true and a release policy can be released.",
        ));
    }
    let policy_data = v
        .release_policy
        .as_ref()
        .and_then(|p| p.data.as_deref())
        .ok_or_else(|| ApiError::bad_parameter("The key has no release policy."))?;
    if !v.enabled {
        return Err(ApiError::forbidden(
            "Operation release is not allowed on a disabled key.",
            "KeyDisabled",
        ));
    }
    let policy: Value = b64::decode(policy_data)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| {
            ApiError::bad_parameter("The key's release policy is not a JSON document.")
        })?;
    let claims = input.claims;
    if !policy_allows(&policy, &claims).map_err(ApiError::bad_parameter)? {
        return Err(ApiError::forbidden(
            "The target's attestation claims do not satisfy the key's release policy.",
            "ReleasePolicyNotSatisfied",
        ));
    }
    let runtime: JsonWebKey = claims["x-ms-runtime"]["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| serde_json::from_value::<JsonWebKey>(k.clone()).ok())
        .find(|k| k.kty.is_rsa())
        .ok_or_else(|| ApiError::bad_parameter("The attestation token has no RSA key in x-ms-runtime.keys to wrap the released key for."))?;
    let enc = input
        .params
        .enc
        .clone()
        .unwrap_or(KeyExportEncryptionAlgorithm::CkmRsaAesKeyWrap);
    if !enc.is_known() {
        return Err(ApiError::bad_parameter(format!(
            "Unknown key export algorithm {enc}; use CKM_RSA_AES_KEY_WRAP, RSA_AES_KEY_WRAP_256 or RSA_AES_KEY_WRAP_384."
        )));
    }
    let local = LocalKey::from_jwk(&v.jwk).map_err(|e| ApiError::bad_parameter(e.to_string()))?;
    let material = local
        .private_key_der()
        .map_err(|e| ApiError::bad_parameter(e.to_string()))?;
    let wrapped = keyvault_crypto::rsa_aes_key_wrap(&runtime, &enc, material.expose())
        .map_err(|e| ApiError::bad_parameter(format!("wrapping for the target failed: {e}")))?;
    let kid = input
        .bundle
        .key
        .as_ref()
        .and_then(|k| k.kid.clone())
        .unwrap_or_default();
    let mut bundle =
        serde_json::to_value(&input.bundle).map_err(|e| ApiError::bad_parameter(e.to_string()))?;
    bundle["key"]["key_hsm"] = Value::String(b64::encode(&wrapped));
    let payload = json!({
        "request": {"api-version": input.ctx.api_version, "enc": enc.as_str(), "kid": kid, "nonce": input.params.nonce},
        "response": {"key": bundle},
        "iat": input.ctx.now,
        "x-ms-emulated": true,
    });
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": format!("{}/emulator/release-signing-key", input.ctx.base())});
    let jws = sign_jws(
        input.signing_key,
        &SignatureAlgorithm::Rs256,
        &header,
        &payload,
    )
    .map_err(ApiError::bad_parameter)?;
    Ok(types::KeyReleaseResult {
        value: Some(jws.into()),
        extra: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_evaluation() {
        let policy = json!({"version": "1.0.0", "anyOf": [{"authority": "https://attest.example/", "allOf": [
            {"claim": "x-ms-attestation-type", "equals": "sevsnpvm"},
            {"anyOf": [{"claim": "x-ms-compliance-status", "equals": "azure-compliant-cvm"}, {"claim": "debug", "equals": false}]}
        ]}]});
        let good = json!({"iss": "https://attest.example", "x-ms-attestation-type": "sevsnpvm", "debug": false});
        assert_eq!(policy_allows(&policy, &good), Ok(true));
        let wrong_type = json!({"iss": "https://attest.example", "x-ms-attestation-type": "tdx", "debug": false});
        assert_eq!(policy_allows(&policy, &wrong_type), Ok(false));
        let wrong_authority = json!({"iss": "https://other.example", "x-ms-attestation-type": "sevsnpvm", "debug": false});
        assert_eq!(policy_allows(&policy, &wrong_authority), Ok(false));
        let nested = json!({"iss": "https://attest.example", "x-ms-attestation-type": "sevsnpvm", "x-ms-compliance-status": "azure-compliant-cvm"});
        assert_eq!(policy_allows(&policy, &nested), Ok(true));
        assert!(policy_allows(&json!({"version": "1.0.0"}), &good).is_err());
    }
}
