//! The checks before a cryptographic operation.

use super::records::VersionRecord;
use super::{Keys, now};
use crate::api_error::{ApiError, ApiResult};

impl Keys {
    // ------------------------------------------------------- crypto helpers

    /// The key version for a cryptographic operation, after the checks the
    /// service makes: enabled, nbf/exp, and `key_ops`.
    pub fn check_usable(
        &self,
        name: &str,
        version: &str,
        op: &str,
    ) -> ApiResult<(&str, &VersionRecord)> {
        let record = self.live(name)?;
        let v = Self::version(record, name, version)?;
        if !v.enabled {
            return Err(ApiError::forbidden(
                format!("Operation {op} is not allowed on a disabled key."),
                "KeyDisabled",
            ));
        }
        let now = now();
        if let Some(nbf) = v.nbf
            && now < nbf
        {
            return Err(ApiError::forbidden(
                format!("Operation {op} is not allowed before the key's activation time (nbf)."),
                "KeyNotYetValid",
            ));
        }
        if let Some(exp) = v.exp
            && now >= exp
        {
            return Err(ApiError::forbidden(
                format!("Operation {op} is not allowed on an expired key (exp)."),
                "KeyExpired",
            ));
        }
        if !v.key_ops.iter().any(|o| o == op) {
            return Err(ApiError::forbidden(
                format!(
                    "Operation {op} is not permitted on this key; its key_ops are [{}].",
                    v.key_ops.join(", ")
                ),
                "KeyOperationForbidden",
            ));
        }
        Ok((&record.name, v))
    }

}
