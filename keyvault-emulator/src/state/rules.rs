//! The service's rules in one place: key names, key sizes and curves,
//! default key operations, tag limits, versions per key, exportability,
//! rotation-policy durations, and which key types each flavor accepts.

use std::collections::BTreeMap;

use keyvault_crypto::{KeyCurveName, KeyOperation, KeyType, KeyWrapAlgorithm};
use keyvault_keys_types::duration::IsoDuration;
use keyvault_keys_types::rules::{
    AES_KEY_SIZES, DEFAULT_AES_KEY_SIZE, DEFAULT_CURVE, DEFAULT_RSA_KEY_SIZE, RSA_KEY_SIZES,
};
use keyvault_keys_types::{key_name, rules, types};

use super::{Keys, now};
use crate::Flavor;
use crate::api_error::{ApiError, ApiResult};

pub(crate) fn valid_name(name: &str) -> ApiResult<()> {
    if key_name::is_valid(name) {
        Ok(())
    } else {
        // The service's words for the one rule (`keyvault_keys_types::key_name`).
        Err(ApiError::bad_parameter(format!(
            "The request URI contains an invalid name: {name}"
        )))
    }
}

/// The service's tag limits: at most 15 tags per key version, names up to
/// 512 characters and values up to 256.
pub const MAX_TAGS: usize = 15;
pub(super) const MAX_TAG_NAME: usize = 512;
pub(super) const MAX_TAG_VALUE: usize = 256;
/// The most versions a key keeps here (the most the service can back up);
/// without a bound, rotating a key in a loop grows memory and disk forever.
pub const MAX_VERSIONS: usize = 500;

pub(super) fn check_tags(tags: &BTreeMap<String, String>) -> ApiResult<()> {
    if tags.len() > MAX_TAGS {
        return Err(ApiError::bad_parameter(format!(
            "A key has at most {MAX_TAGS} tags, not {}.",
            tags.len()
        )));
    }
    for (name, value) in tags {
        if name.chars().count() > MAX_TAG_NAME || value.chars().count() > MAX_TAG_VALUE {
            return Err(ApiError::bad_parameter(format!(
                "Tag names are at most {MAX_TAG_NAME} characters and values at most {MAX_TAG_VALUE}."
            )));
        }
    }
    Ok(())
}

/// Checks an RSA key size (created or imported) against the sizes of the
/// one table (`keyvault_keys_types::rules::RSA_KEY_SIZES`).
pub(super) fn check_rsa_size(bits: impl TryInto<u32> + std::fmt::Display + Copy) -> ApiResult<u32> {
    match bits.try_into() {
        Ok(b) if RSA_KEY_SIZES.contains(&b) => Ok(b),
        _ => Err(ApiError::bad_parameter(format!(
            "Invalid RSA key size {bits}; use 2048, 3072 or 4096."
        ))),
    }
}

pub(super) fn new_version() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Whether a key vault (not a Managed HSM) refuses the algorithm: AES key
/// wrap with padding and the PKCS#11 (`CKM_`) names are Managed HSM only.
pub fn hsm_only_algorithm(alg: &KeyWrapAlgorithm) -> bool {
    use KeyWrapAlgorithm::*;
    matches!(
        alg,
        A128KwPad | A192KwPad | A256KwPad | CkmAesKeyWrap | CkmAesKeyWrapPad
    )
}

/// The operations a key permits when its create or import request names
/// none: what its type can do.
pub(super) fn default_ops(kty: &KeyType) -> Vec<KeyOperation> {
    use KeyOperation::*;
    if kty.is_rsa() {
        vec![Encrypt, Decrypt, Sign, Verify, WrapKey, UnwrapKey]
    } else if kty.is_ec() || kty.is_akp() {
        vec![Sign, Verify]
    } else {
        vec![Encrypt, Decrypt, WrapKey, UnwrapKey]
    }
}

impl Keys {
    pub(super) fn check_kty_for_flavor(&self, kty: &KeyType) -> ApiResult<()> {
        match self.settings.flavor {
            Flavor::Vault if kty.is_oct() => Err(ApiError::not_supported(format!(
                "Key type {kty} is not supported by a key vault; symmetric keys need a Managed HSM."
            ))),
            _ if !kty.is_known() => {
                Err(ApiError::bad_parameter(format!("Unknown key type: {kty}")))
            }
            _ => Ok(()),
        }
    }

    /// The public exponent to generate an RSA key with: a key vault always
    /// creates 65537 and ignores `public_exponent` (a recorded request for
    /// 3 got 200 and `e` = `AQAB`); a Managed HSM honours it (the official
    /// Python live tests create e = 17 there and check it). An exponent
    /// must be odd and at least 3.
    pub(super) fn public_exponent(
        &self,
        kty: &KeyType,
        requested: Option<i32>,
    ) -> ApiResult<Option<u32>> {
        match requested {
            Some(e) if kty.is_rsa() && self.settings.flavor == Flavor::ManagedHsm => {
                match u32::try_from(e) {
                    Ok(e) if e >= 3 && e % 2 == 1 => Ok((e != 65537).then_some(e)),
                    _ => Err(ApiError::bad_parameter(format!(
                        "Invalid public exponent {e}: an RSA public exponent is an odd number of at least 3, such as 65537."
                    ))),
                }
            }
            _ => Ok(None),
        }
    }

    /// The key type a create or import of `kty` stores: a Managed HSM
    /// keeps every key in its HSM, so it takes `RSA`, `EC` and `oct` and
    /// answers with `RSA-HSM`, `EC-HSM` and `oct-HSM`, as the service does.
    pub(super) fn stored_kty(&self, kty: KeyType) -> KeyType {
        match (self.settings.flavor, kty) {
            (Flavor::ManagedHsm, KeyType::Rsa) => KeyType::RsaHsm,
            (Flavor::ManagedHsm, KeyType::Ec) => KeyType::EcHsm,
            (Flavor::ManagedHsm, KeyType::Oct) => KeyType::OctHsm,
            (Flavor::ManagedHsm, KeyType::Akp) => KeyType::AkpHsm,
            (_, other) => other,
        }
    }
}

/// An ML-DSA parameter set as the emulator's key spec carries it (the
/// spec's `size`: 44, 65 or 87), and back.
pub fn akp_size(alg: &keyvault_keys_types::enums::AkpAlgorithm) -> Option<u32> {
    use keyvault_keys_types::enums::AkpAlgorithm::*;
    match alg {
        MlDsa44 => Some(44),
        MlDsa65 => Some(65),
        MlDsa87 => Some(87),
        _ => None,
    }
}

/// The parameter set an AKP key spec's size names.
pub fn akp_algorithm(size: Option<u32>) -> Option<keyvault_keys_types::enums::AkpAlgorithm> {
    use keyvault_keys_types::enums::AkpAlgorithm::*;
    match size {
        Some(44) => Some(MlDsa44),
        Some(65) => Some(MlDsa65),
        Some(87) => Some(MlDsa87),
        _ => None,
    }
}

/// Exportability and the release policy go together, both ways, with the
/// service's messages.
/// `has_policy`: a release policy with data is given or kept.
pub(super) fn check_exportable(exportable: Option<bool>, has_policy: bool) -> ApiResult<()> {
    match (exportable == Some(true), has_policy) {
        (true, false) => Err(ApiError::bad_parameter(
            "AKV.SKR.1004: Exportable keys must have release policy.",
        )),
        (false, true) => Err(ApiError::bad_parameter(
            "AKV.SKR.1005: Non-exportable keys must not have release policy.",
        )),
        _ => Ok(()),
    }
}

pub(super) fn validate_size(
    kty: &KeyType,
    size: Option<i32>,
    curve: Option<&KeyCurveName>,
) -> ApiResult<Option<u32>> {
    if kty.is_rsa() {
        if curve.is_some() {
            return Err(ApiError::bad_parameter(
                "An RSA key takes key_size, not crv.",
            ));
        }
        return match size {
            None => Ok(Some(DEFAULT_RSA_KEY_SIZE)),
            Some(s) => check_rsa_size(s).map(Some),
        };
    }
    if kty.is_ec() {
        if let Some(c) = curve
            && !c.is_known()
        {
            return Err(ApiError::bad_parameter(format!(
                "Invalid curve {c}; use P-256, P-256K, P-384 or P-521."
            )));
        }
        if let Some(s) = size {
            let expected = rules::curve(curve.unwrap_or(&DEFAULT_CURVE)).map(|c| c.bits);
            if u32::try_from(s).ok() != expected {
                return Err(ApiError::bad_parameter(format!(
                    "key_size {s} does not fit the curve; omit it for EC keys."
                )));
            }
        }
        return Ok(None);
    }
    if kty.is_akp() {
        // The parameter set (`alg`) says the size; the emulator keeps it in
        // the spec's size as 44, 65 or 87 (see `akp_size`).
        return match size {
            None => Ok(None),
            Some(s) => Err(ApiError::bad_parameter(format!(
                "key_size {s} does not apply to an AKP key; its alg (ML-DSA-44, ML-DSA-65 or ML-DSA-87) says its size."
            ))),
        };
    }
    if kty.is_oct() {
        return match size.map(u32::try_from) {
            None => Ok(Some(DEFAULT_AES_KEY_SIZE)),
            Some(Ok(s)) if AES_KEY_SIZES.contains(&s) => Ok(Some(s)),
            Some(_) => Err(ApiError::bad_parameter(format!(
                "Invalid oct key size {}; use 128, 192 or 256.",
                size.unwrap_or_default()
            ))),
        };
    }
    Err(ApiError::bad_parameter(format!("Unknown key type: {kty}")))
}

/// The expiry a rotation policy's `expiryTime` gives a version made at `now`.
pub(super) fn expiry_from(expiry_time: &str, now: i64) -> ApiResult<i64> {
    IsoDuration::parse(expiry_time)
        .and_then(|d| d.checked_add_to(now))
        .map_err(|m| ApiError::bad_parameter(format!("attributes.expiryTime: {m}")))
}

/// The shortest time a rotation may come after a version's creation, and
/// before its expiry, in days (the service's limits).
const MIN_ROTATION_DAYS: i64 = 7;

pub(super) fn validate_policy(
    actions: &[types::LifetimeActions],
    expiry: Option<&str>,
) -> ApiResult<()> {
    let mut expiry_days = None;
    if let Some(e) = expiry {
        let d = IsoDuration::parse(e)
            .map_err(|m| ApiError::bad_parameter(format!("attributes.expiryTime: {m}")))?;
        // A version made now must get an expiry date the calendar can hold.
        expiry_from(e, now())?;
        if d.approx_days() < 28 {
            return Err(ApiError::bad_parameter(format!(
                "attributes.expiryTime {e} is too short; the minimum is 28 days (P28D)."
            )));
        }
        expiry_days = Some(d.approx_days());
    }
    let mut seen = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        let kind = a
            .action
            .as_ref()
            .and_then(|x| x.type_.as_ref())
            .map(|t| t.as_str().to_ascii_lowercase())
            .ok_or_else(|| {
                ApiError::bad_parameter(format!(
                    "lifetimeActions[{i}].action.type is required (Rotate or Notify)."
                ))
            })?;
        if kind != "rotate" && kind != "notify" {
            return Err(ApiError::bad_parameter(format!(
                "lifetimeActions[{i}].action.type must be Rotate or Notify."
            )));
        }
        if seen.contains(&kind) {
            return Err(ApiError::bad_parameter(format!(
                "lifetimeActions may hold one {kind} action at most."
            )));
        }
        seen.push(kind.clone());
        let trigger = a.trigger.as_ref().ok_or_else(|| {
            ApiError::bad_parameter(format!("lifetimeActions[{i}].trigger is required."))
        })?;
        match (&trigger.time_after_create, &trigger.time_before_expiry) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(ApiError::bad_parameter(format!(
                    "lifetimeActions[{i}].trigger needs exactly one of timeAfterCreate and timeBeforeExpiry."
                )));
            }
            (Some(t), None) | (None, Some(t)) => {
                IsoDuration::parse(t)
                    .and_then(|d| d.checked_add_to(now()))
                    .map_err(|m| {
                        ApiError::bad_parameter(format!("lifetimeActions[{i}].trigger: {m}"))
                    })?;
            }
        }
        if kind == "notify" && trigger.time_before_expiry.is_none() {
            return Err(ApiError::bad_parameter(
                "A Notify action is triggered by timeBeforeExpiry.",
            ));
        }
        if kind == "rotate" {
            check_rotation_trigger(i, trigger, expiry_days)?;
        }
    }
    Ok(())
}

/// A rotation comes at least 7 days after a version's creation and at
/// least 7 days before its expiry (when the policy sets one).
fn check_rotation_trigger(
    i: usize,
    trigger: &types::LifetimeActionsTrigger,
    expiry_days: Option<i64>,
) -> ApiResult<()> {
    let days = |t: &str| IsoDuration::parse(t).map(|d| d.approx_days()).unwrap_or(0);
    let (member, value, after_create) =
        match (&trigger.time_after_create, &trigger.time_before_expiry) {
            (Some(t), _) => ("timeAfterCreate", t, true),
            (_, Some(t)) => ("timeBeforeExpiry", t, false),
            _ => return Ok(()),
        };
    let d = days(value);
    if d < MIN_ROTATION_DAYS {
        return Err(ApiError::bad_parameter(format!(
            "lifetimeActions[{i}].trigger.{member} {value} is too short: a rotation comes at least 7 days after creation and at least 7 days before expiry (P7D)."
        )));
    }
    if let Some(e) = expiry_days
        && d > e - MIN_ROTATION_DAYS
    {
        let when = if after_create {
            "before expiry"
        } else {
            "after creation"
        };
        return Err(ApiError::bad_parameter(format!(
            "lifetimeActions[{i}].trigger.{member} {value} leaves less than 7 days {when} with attributes.expiryTime of {e} days: a rotation comes at least 7 days after creation and at least 7 days before expiry."
        )));
    }
    Ok(())
}

/// The lifetime actions the service keeps for a policy: those given, and
/// a Notify action 30 days before expiry when none was given.
pub(super) fn with_default_notify(
    mut actions: Vec<types::LifetimeActions>,
) -> Vec<types::LifetimeActions> {
    let notifies = actions.iter().any(|a| {
        a.action
            .as_ref()
            .and_then(|x| x.type_.as_ref())
            .is_some_and(|t| t.as_str().eq_ignore_ascii_case("notify"))
    });
    if !notifies {
        actions.push(default_notify());
    }
    actions
}

/// The service's Notify action: 30 days before expiry.
pub(super) fn default_notify() -> types::LifetimeActions {
    types::LifetimeActions {
        trigger: Some(types::LifetimeActionsTrigger {
            time_before_expiry: Some("P30D".into()),
            time_after_create: None,
            extra: Default::default(),
        }),
        action: Some(types::LifetimeActionsType {
            type_: Some(keyvault_keys_types::enums::KeyRotationPolicyAction::Notify),
            extra: Default::default(),
        }),
        extra: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_1_to_127_letters_digits_and_dashes() {
        assert!(valid_name("a-Z-9").is_ok());
        assert!(valid_name(&"k".repeat(127)).is_ok());
        for bad in ["", "a_b", "a.b", "a b", "ä", &"k".repeat(128)] {
            assert!(valid_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tags_are_bounded_in_number_and_length() {
        let tags = |n: usize| -> BTreeMap<String, String> {
            (0..n).map(|i| (format!("t{i}"), "v".into())).collect()
        };
        assert!(check_tags(&tags(MAX_TAGS)).is_ok());
        assert!(check_tags(&tags(MAX_TAGS + 1)).is_err());
        let long_name = BTreeMap::from([("n".repeat(MAX_TAG_NAME + 1), String::new())]);
        let long_value = BTreeMap::from([("n".into(), "é".repeat(MAX_TAG_VALUE + 1))]);
        let at_limit = BTreeMap::from([("n".repeat(MAX_TAG_NAME), "é".repeat(MAX_TAG_VALUE))]);
        assert!(check_tags(&long_name).is_err());
        assert!(check_tags(&long_value).is_err());
        assert!(check_tags(&at_limit).is_ok());
    }

    #[test]
    fn sizes_and_curves_fit_the_key_type() {
        let (rsa, ec, oct) = (KeyType::Rsa, KeyType::Ec, KeyType::OctHsm);
        assert_eq!(validate_size(&rsa, None, None).ok(), Some(Some(2048)));
        assert_eq!(validate_size(&rsa, Some(4096), None).ok(), Some(Some(4096)));
        assert!(validate_size(&rsa, Some(1024), None).is_err());
        assert!(validate_size(&rsa, None, Some(&KeyCurveName::P256)).is_err());
        assert_eq!(validate_size(&ec, None, None).ok(), Some(None));
        assert!(validate_size(&ec, Some(384), Some(&KeyCurveName::P384)).is_ok());
        assert!(validate_size(&ec, Some(256), Some(&KeyCurveName::P521)).is_err());
        assert!(validate_size(&ec, None, Some(&KeyCurveName::parse("P-192"))).is_err());
        assert_eq!(validate_size(&oct, None, None).ok(), Some(Some(256)));
        assert!(validate_size(&oct, Some(64), None).is_err());
        assert!(validate_size(&KeyType::parse("DSA"), None, None).is_err());
        assert_eq!(check_rsa_size(3072_usize).ok(), Some(3072));
        assert!(check_rsa_size(usize::MAX).is_err());
    }

    #[test]
    fn default_ops_follow_the_key_type() {
        assert_eq!(
            default_ops(&KeyType::Ec),
            [KeyOperation::Sign, KeyOperation::Verify]
        );
        assert_eq!(default_ops(&KeyType::RsaHsm).len(), 6);
        assert!(!default_ops(&KeyType::Oct).contains(&KeyOperation::Sign));
    }

    #[test]
    fn padded_and_pkcs11_wraps_are_managed_hsm_only() {
        for alg in ["A256KWPAD", "CKM_AES_KEY_WRAP", "CKM_AES_KEY_WRAP_PAD"] {
            assert!(hsm_only_algorithm(&KeyWrapAlgorithm::parse(alg)), "{alg}");
        }
        for alg in ["A256KW", "RSA-OAEP", "A256GCM"] {
            assert!(!hsm_only_algorithm(&KeyWrapAlgorithm::parse(alg)), "{alg}");
        }
    }

    #[test]
    fn an_exportable_key_needs_a_release_policy() {
        assert!(check_exportable(Some(true), false).is_err());
        assert!(check_exportable(Some(true), true).is_ok());
        assert!(check_exportable(Some(false), false).is_ok());
        assert!(check_exportable(None, true).is_err());
    }

    fn action(kind: &str, trigger: serde_json::Value) -> types::LifetimeActions {
        serde_json::from_value(serde_json::json!({"action": {"type": kind}, "trigger": trigger}))
            .expect("action")
    }

    #[test]
    fn rotation_policies_follow_the_service_rules() {
        let rotate = action("Rotate", serde_json::json!({"timeAfterCreate": "P90D"}));
        let notify = action("notify", serde_json::json!({"timeBeforeExpiry": "P30D"}));
        assert!(validate_policy(&[rotate.clone(), notify.clone()], Some("P1Y")).is_ok());
        // One of each kind, exactly one trigger, Notify before expiry only.
        assert!(validate_policy(&[rotate.clone(), rotate.clone()], None).is_err());
        let both = action(
            "Rotate",
            serde_json::json!({"timeAfterCreate": "P1D", "timeBeforeExpiry": "P1D"}),
        );
        assert!(validate_policy(&[both], None).is_err());
        let early_notify = action("Notify", serde_json::json!({"timeAfterCreate": "P1D"}));
        assert!(validate_policy(&[early_notify], None).is_err());
        assert!(
            validate_policy(
                &[action(
                    "Delete",
                    serde_json::json!({"timeAfterCreate": "P1D"})
                )],
                None
            )
            .is_err()
        );
        // The expiry is at least 28 days and must fit the calendar.
        assert!(validate_policy(&[], Some("P27D")).is_err());
        assert!(validate_policy(&[], Some("P28D")).is_ok());
        assert!(validate_policy(&[], Some("P99999999Y")).is_err());
        assert_eq!(expiry_from("P1D", 0).ok(), Some(86_400));
    }
}
