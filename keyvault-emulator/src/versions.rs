//! The api-versions of the keys data plane, in the order they appeared, and
//! the one table of what each version introduced: the answers leave out
//! members a request's version does not have, and the router refuses
//! operations it does not have.
//!
//! Which version introduced what comes from Microsoft's published
//! specifications of each version (`keys.json` of every stable and preview
//! folder of the public REST API specifications).

use crate::api_error::ApiError;

/// A known api-version: its position in [`KNOWN`] (so versions compare by
/// when they appeared).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion(u8);

/// Every api-version the service has answered, stable and preview, oldest
/// first; `true` marks a stable version. Clients still send old ones, so
/// all are known. The one list, generated from `specs/` (`x-introduced-in`).
pub use keyvault_keys_types::api_versions::KNOWN;

impl ApiVersion {
    /// The known version `text` names (letter case aside).
    pub fn parse(text: &str) -> Option<Self> {
        KNOWN
            .iter()
            .position(|(v, _)| v.eq_ignore_ascii_case(text))
            .and_then(|i| u8::try_from(i).ok())
            .map(Self)
    }

    /// The newest version known.
    pub fn newest() -> Self {
        Self((KNOWN.len() - 1) as u8)
    }

    /// The version's name, as the service spells it.
    pub fn as_str(self) -> &'static str {
        KNOWN[usize::from(self.0)].0
    }

    fn is_stable(self) -> bool {
        KNOWN[usize::from(self.0)].1
    }

    /// The newest stable version not newer than `self`.
    pub fn latest_stable_up_to(self) -> Self {
        (0..=self.0)
            .rev()
            .map(Self)
            .find(|v| v.is_stable())
            .unwrap_or(self)
    }

    /// Whether this version has what `since` introduced.
    pub fn has(self, since: Since) -> bool {
        self >= since.version()
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What appeared after the first versions, and the version that brought it:
/// the one table the answers and the refusals read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Since {
    /// `attributes.recoverableDays`.
    RecoverableDays,
    /// `POST /rng` (random bytes from a Managed HSM).
    RandomBytes,
    /// Secure key release: `POST .../release`, `attributes.exportable`,
    /// `release_policy`.
    Release,
    /// `POST /keys/{name}/rotate` and `/keys/{name}/rotationpolicy`.
    Rotation,
    /// `attributes.hsmPlatform`.
    HsmPlatform,
    /// `GET /keys/{name}/{version}/attestation`.
    Attestation,
    /// Secure wrap and unwrap, external keys, `attributes.key_size`.
    SecureWrap,
    /// ML-DSA (`AKP`, `AKP-HSM`) keys.
    Akp,
}

impl Since {
    /// The version that introduced it, read from the one table generated
    /// from the spec's `x-introduced-in` (`keyvault_keys_types::api_versions`):
    /// by the operation, or the request member, that stands for it.
    pub fn version(self) -> ApiVersion {
        use keyvault_keys_types::api_versions::{OPERATIONS, REQUEST_MEMBERS};
        enum Key {
            Op(&'static str),
            Member(&'static str, &'static str),
        }
        let key = match self {
            Since::RecoverableDays => Key::Member("KeyAttributes", "recoverableDays"),
            Since::RandomBytes => Key::Op("GetRandomBytes"),
            Since::Release => Key::Op("release"),
            Since::Rotation => Key::Op("RotateKey"),
            Since::HsmPlatform => Key::Member("KeyAttributes", "hsmPlatform"),
            Since::Attestation => Key::Op("GetKeyAttestation"),
            Since::SecureWrap => Key::Op("securewrapkey"),
            Since::Akp => Key::Member("KeyCreateParameters", "alg"),
        };
        let name = match key {
            Key::Op(op) => OPERATIONS.iter().find(|(o, _)| *o == op).map(|(_, v)| *v),
            Key::Member(schema, member) => REQUEST_MEMBERS
                .iter()
                .find(|(s, m, _)| *s == schema && *m == member)
                .map(|(_, _, v)| *v),
        };
        // Every key above is in the table (a unit test reads each); were
        // one missing, the feature is refused below the newest version
        // rather than let through at every version.
        name.and_then(ApiVersion::parse)
            .unwrap_or_else(ApiVersion::newest)
    }

    /// The operation's name in a refusal.
    fn operation(self) -> &'static str {
        match self {
            Since::RandomBytes => "get random bytes",
            Since::Release => "release",
            Since::Rotation => "rotation",
            Since::Attestation => "get key attestation",
            Since::SecureWrap => "secure wrap, secure unwrap and external keys",
            Since::Akp => "ML-DSA (AKP) keys",
            Since::RecoverableDays => "recoverableDays",
            Since::HsmPlatform => "hsmPlatform",
        }
    }
}

/// The api-version of a request, checked as the service checks it: a
/// version the vault does not recognise (unknown, or newer than the vault's
/// `max`) is refused with the service's message, naming the newest stable
/// version the vault supports. A request without an api-version is refused
/// the same way (the service's exact words there are not known; this is
/// the emulator's choice).
pub fn check(text: Option<&str>, max: ApiVersion) -> Result<ApiVersion, ApiError> {
    let latest = max.latest_stable_up_to();
    match text.map(|t| (t, ApiVersion::parse(t))) {
        Some((_, Some(v))) if v <= max => Ok(v),
        Some((t, _)) => Err(ApiError::bad_parameter(format!(
            "The specified version ({t}) is not recognized. Consider using the latest supported version ({latest})."
        ))),
        None => Err(ApiError::bad_parameter(format!(
            "The api-version query parameter is required. Consider using the latest supported version ({latest})."
        ))),
    }
}

/// Refuses an operation the request's version does not have: 400
/// `BadParameter` naming the version that introduced it (the service's
/// exact answer is not known; this is the emulator's choice).
pub fn require(version: ApiVersion, since: Since) -> Result<(), ApiError> {
    if version.has(since) {
        Ok(())
    } else {
        Err(ApiError::bad_parameter(format!(
            "The operation '{}' is not supported in api-version {version}; it was introduced in api-version {}.",
            since.operation(),
            since.version()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_when_they_appeared() {
        let v = |s| ApiVersion::parse(s).expect(s);
        assert!(v("2016-10-01") < v("7.0"));
        assert!(v("7.3-preview") < v("7.3"));
        assert!(v("7.6") < v("2025-07-01"));
        assert!(v("2026-03-01-preview") < v("2026-04-01"));
        assert_eq!(v("7.6-PREVIEW.2").as_str(), "7.6-preview.2");
        assert!(ApiVersion::parse("7.7").is_none());
        assert_eq!(
            v("2026-07-01-preview").latest_stable_up_to().as_str(),
            "2026-04-01"
        );
        assert_eq!(v("7.1").latest_stable_up_to().as_str(), "7.1");
        for (name, _) in KNOWN {
            assert_eq!(v(name).as_str(), *name);
        }
        assert!(KNOWN.len() < usize::from(u8::MAX));
    }

    /// Each feature's version comes from the generated table; these are
    /// the versions the service's history gives them.
    #[test]
    fn each_feature_has_the_version_that_introduced_it() {
        for (since, name) in [
            (Since::RecoverableDays, "7.1"),
            (Since::RandomBytes, "7.3-preview"),
            (Since::Release, "7.3-preview"),
            (Since::Rotation, "7.3-preview"),
            (Since::HsmPlatform, "7.5-preview.1"),
            (Since::Attestation, "7.6-preview.2"),
            (Since::SecureWrap, "2026-01-01-preview"),
            (Since::Akp, "2026-05-01-preview"),
        ] {
            assert_eq!(since.version().as_str(), name, "{since:?}");
        }
    }

    #[test]
    fn unknown_and_too_new_versions_are_refused_with_the_services_words() {
        let newest = ApiVersion::newest();
        let e = check(Some("2099-01-01"), newest).expect_err("unknown");
        assert_eq!(
            e.message,
            "The specified version (2099-01-01) is not recognized. Consider using the latest supported version (2026-04-01)."
        );
        let stack = ApiVersion::parse("7.1").expect("7.1");
        let e = check(Some("7.3"), stack).expect_err("too new");
        assert!(
            e.message.ends_with("latest supported version (7.1)."),
            "{}",
            e.message
        );
        assert!(check(Some("7.0"), stack).is_ok());
        assert!(check(None, newest).is_err());
        assert!(require(ApiVersion::parse("7.2").expect("7.2"), Since::Rotation).is_err());
        assert!(require(ApiVersion::parse("7.2").expect("7.2"), Since::RandomBytes).is_err());
        assert!(require(ApiVersion::parse("7.3").expect("7.3"), Since::Rotation).is_ok());
    }
}
