//! The validity rule: whether a key version may be used for an operation
//! now, from its `enabled`, `nbf` (not before) and `exp` (expires)
//! attributes.
//!
//! - A disabled key refuses every operation.
//! - Before `nbf` or from `exp` on, a key refuses the operations that
//!   protect new data: encrypt, wrapKey and sign (and serving as the key
//!   exchange key of an import). It still decrypts, unwraps and verifies,
//!   so data protected while the key was valid can be recovered, and a key
//!   can be tried before it goes live.
//!
//! This is the service's documented behaviour ("Date-time controlled
//! operations" in Microsoft's *About keys* page) and the Python client's
//! (`raise_if_time_invalid`). The one rule serves both
//! `keyvault_crypto::CryptographyClient`'s local operations and the emulator.
//!
//! ```
//! use keyvault_keys_types::{enums::KeyOperation, validity::{Refusal, Validity}};
//! let expired = Validity { enabled: Some(true), not_before: None, expires: Some(100) };
//! assert_eq!(expired.check(&KeyOperation::Sign, 100), Err(Refusal::Expired(100)));
//! assert_eq!(expired.check(&KeyOperation::Verify, 100), Ok(()));
//! ```

use crate::enums::KeyOperation;

/// Whether the validity window (`nbf`/`exp`) limits `op`: encrypt, wrapKey,
/// sign and import do; decrypt, unwrapKey, verify and export do not.
pub fn window_limits(op: &KeyOperation) -> bool {
    matches!(
        op,
        KeyOperation::Encrypt | KeyOperation::WrapKey | KeyOperation::Sign | KeyOperation::Import
    )
}

/// What a key version's usability depends on. `T` is the time type: Unix
/// seconds (`i64`, as on the wire) or an `OffsetDateTime`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Validity<T> {
    /// `Some(false)` when the key is disabled; `None` means enabled.
    pub enabled: Option<bool>,
    /// Not usable (for the window-limited operations) before this instant.
    pub not_before: Option<T>,
    /// Not usable (for the window-limited operations) from this instant.
    pub expires: Option<T>,
}

/// Why the rule refuses an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal<T> {
    /// The key is disabled.
    Disabled,
    /// The key is not valid before this instant (`nbf`).
    NotYetValid(T),
    /// The key expired at this instant (`exp`).
    Expired(T),
}

impl<T> Refusal<T> {
    /// The service's inner error code for the refusal (`KeyDisabled`,
    /// `KeyNotYetValid`, `KeyExpired`).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Disabled => "KeyDisabled",
            Refusal::NotYetValid(_) => "KeyNotYetValid",
            Refusal::Expired(_) => "KeyExpired",
        }
    }
}

impl<T: PartialOrd + Copy> Validity<T> {
    /// Applies the rule to `op` at the instant `now`: disabled refuses
    /// everything; the window refuses only what [`window_limits`] names.
    /// A key is valid from `nbf` on, and expired from `exp` on.
    pub fn check(&self, op: &KeyOperation, now: T) -> Result<(), Refusal<T>> {
        if self.enabled == Some(false) {
            return Err(Refusal::Disabled);
        }
        if !window_limits(op) {
            return Ok(());
        }
        if let Some(nbf) = self.not_before
            && now < nbf
        {
            return Err(Refusal::NotYetValid(nbf));
        }
        if let Some(exp) = self.expires
            && now >= exp
        {
            return Err(Refusal::Expired(exp));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [KeyOperation; 8] = [
        KeyOperation::Encrypt,
        KeyOperation::Decrypt,
        KeyOperation::Sign,
        KeyOperation::Verify,
        KeyOperation::WrapKey,
        KeyOperation::UnwrapKey,
        KeyOperation::Import,
        KeyOperation::Export,
    ];

    fn window(not_before: Option<i64>, expires: Option<i64>) -> Validity<i64> {
        Validity {
            enabled: Some(true),
            not_before,
            expires,
        }
    }

    #[test]
    fn a_disabled_key_refuses_every_operation() {
        let v = Validity {
            enabled: Some(false),
            not_before: None,
            expires: None,
        };
        for op in &ALL {
            assert_eq!(v.check(op, 0), Err(Refusal::Disabled), "{op}");
        }
        assert_eq!(Refusal::<i64>::Disabled.code(), "KeyDisabled");
    }

    #[test]
    fn enabled_unset_means_enabled() {
        let v = Validity::<i64>::default();
        for op in &ALL {
            assert_eq!(v.check(op, 0), Ok(()), "{op}");
        }
    }

    #[test]
    fn the_window_limits_encrypt_wrap_sign_and_import_only() {
        let limited: Vec<&KeyOperation> = ALL.iter().filter(|o| window_limits(o)).collect();
        assert_eq!(
            limited,
            [
                &KeyOperation::Encrypt,
                &KeyOperation::Sign,
                &KeyOperation::WrapKey,
                &KeyOperation::Import
            ]
        );
        let expired = window(None, Some(10));
        let early = window(Some(10), None);
        for op in &ALL {
            let (e, n) = (expired.check(op, 20), early.check(op, 5));
            if window_limits(op) {
                assert_eq!(e, Err(Refusal::Expired(10)), "{op}");
                assert_eq!(n, Err(Refusal::NotYetValid(10)), "{op}");
            } else {
                assert_eq!((e, n), (Ok(()), Ok(())), "{op}");
            }
        }
        assert!(!window_limits(&KeyOperation::UnknownValue("purge".into())));
    }

    #[test]
    fn the_window_is_closed_at_nbf_and_open_at_exp() {
        let v = window(Some(10), Some(20));
        let sign = KeyOperation::Sign;
        assert_eq!(v.check(&sign, 9), Err(Refusal::NotYetValid(10)));
        assert_eq!(v.check(&sign, 10), Ok(()));
        assert_eq!(v.check(&sign, 19), Ok(()));
        assert_eq!(v.check(&sign, 20), Err(Refusal::Expired(20)));
        assert_eq!(Refusal::NotYetValid(1).code(), "KeyNotYetValid");
        assert_eq!(Refusal::Expired(1).code(), "KeyExpired");
    }

    #[test]
    fn works_with_offset_date_time() {
        let t = time::OffsetDateTime::UNIX_EPOCH;
        let v = Validity {
            enabled: None,
            not_before: None,
            expires: Some(t),
        };
        assert_eq!(v.check(&KeyOperation::Encrypt, t), Err(Refusal::Expired(t)));
        assert_eq!(v.check(&KeyOperation::Decrypt, t), Ok(()));
    }
}
