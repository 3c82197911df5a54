//! The checks before a cryptographic operation.

use keyvault_crypto::KeyOperation;
use keyvault_crypto::validity::Refusal;

use super::Keys;
use super::records::VersionRecord;
use crate::api_error::{ApiError, ApiResult};

impl Keys {
    /// The key version for a cryptographic operation, after the checks the
    /// service makes: the validity rule ([`keyvault_crypto::validity`]:
    /// enabled, and nbf/exp for the operations they limit), then `key_ops`.
    pub fn check_usable(
        &self,
        name: &str,
        version: &str,
        op: &KeyOperation,
        now: i64,
    ) -> ApiResult<(&str, &VersionRecord)> {
        let record = self.live(name)?;
        let v = Self::version(record, name, version)?;
        refuse_external(v)?;
        v.validity().check(op, now).map_err(|r| refused(op, r))?;
        if !v.key_ops.contains(op) {
            let ops: Vec<&str> = v.key_ops.iter().map(KeyOperation::as_str).collect();
            return Err(ApiError::forbidden(
                format!(
                    "Operation {op} is not permitted on this key; its key_ops are [{}].",
                    ops.join(", ")
                ),
                "KeyOperationForbidden",
            ));
        }
        Ok((&record.name, v))
    }
}

/// An external key's material is in the external key manager, which the
/// emulator does not model: its cryptographic operations are refused
/// (400, the service's error shape; a documented difference).
pub(crate) fn refuse_external(v: &VersionRecord) -> ApiResult<()> {
    match &v.external_key {
        Some(id) => Err(ApiError::bad_parameter(format!(
            "The key is an external key ({id}); its material is held by the external key manager, which this emulator does not model, so it runs no cryptographic operation."
        ))),
        None => Ok(()),
    }
}

/// The service's answer when the validity rule refuses `op`.
pub(crate) fn refused(op: &KeyOperation, r: Refusal<i64>) -> ApiError {
    let message = match r {
        Refusal::Disabled => format!("Operation {op} is not allowed on a disabled key."),
        Refusal::NotYetValid(_) => {
            format!("Operation {op} is not allowed before the key's activation time (nbf).")
        }
        Refusal::Expired(_) => format!("Operation {op} is not allowed on an expired key (exp)."),
    };
    ApiError::forbidden(message, r.code())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{create, keys};
    use crate::Flavor;
    use keyvault_crypto::KeyOperation;
    use serde_json::json;

    fn inner(
        r: Result<(&str, &super::VersionRecord), crate::api_error::ApiError>,
    ) -> Option<&'static str> {
        r.err().and_then(|e| e.inner)
    }

    #[test]
    fn outside_its_window_a_key_still_decrypts_unwraps_and_verifies() {
        let mut k = keys(Flavor::Any);
        let now = crate::state::now();
        create(
            &mut k,
            "expired",
            json!({"kty": "oct-HSM", "attributes": {"exp": now - 60}}),
        )
        .expect("create");
        create(
            &mut k,
            "early",
            json!({"kty": "oct-HSM", "attributes": {"nbf": now + 3600}}),
        )
        .expect("create");
        create(
            &mut k,
            "ec",
            json!({"kty": "EC", "attributes": {"exp": now - 60}}),
        )
        .expect("create");
        for (name, code) in [("expired", "KeyExpired"), ("early", "KeyNotYetValid")] {
            for op in [KeyOperation::Encrypt, KeyOperation::WrapKey] {
                assert_eq!(
                    inner(k.check_usable(name, "", &op, crate::state::now())),
                    Some(code),
                    "{name} {op}"
                );
            }
            for op in [KeyOperation::Decrypt, KeyOperation::UnwrapKey] {
                assert!(
                    k.check_usable(name, "", &op, crate::state::now()).is_ok(),
                    "{name} {op}"
                );
            }
        }
        assert_eq!(
            inner(k.check_usable("ec", "", &KeyOperation::Sign, crate::state::now())),
            Some("KeyExpired")
        );
        assert!(
            k.check_usable("ec", "", &KeyOperation::Verify, crate::state::now())
                .is_ok()
        );
    }

    #[test]
    fn a_disabled_key_refuses_everything_and_key_ops_are_enforced() {
        let mut k = keys(Flavor::Any);
        create(
            &mut k,
            "off",
            json!({"kty": "EC", "attributes": {"enabled": false}}),
        )
        .expect("create");
        create(&mut k, "signer", json!({"kty": "EC", "key_ops": ["sign"]})).expect("create");
        for op in [KeyOperation::Sign, KeyOperation::Verify] {
            assert_eq!(
                inner(k.check_usable("off", "", &op, crate::state::now())),
                Some("KeyDisabled")
            );
        }
        assert!(
            k.check_usable("signer", "", &KeyOperation::Sign, crate::state::now())
                .is_ok()
        );
        assert_eq!(
            inner(k.check_usable("signer", "", &KeyOperation::Verify, crate::state::now())),
            Some("KeyOperationForbidden")
        );
        let missing = k
            .check_usable("nope", "", &KeyOperation::Sign, crate::state::now())
            .err()
            .map(|e| e.code);
        assert_eq!(missing, Some("KeyNotFound"));
    }
}
