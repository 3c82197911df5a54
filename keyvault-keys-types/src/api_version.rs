//! Service api-versions: [`ApiVersion`], and the check of a method or an
//! option against the version that introduced it.
//!
//! Which version introduced each operation and each request member is the
//! generated table [`generated::api_versions`](crate::generated::api_versions),
//! read from `x-introduced-in` in `specs/keyvault-keys.yaml`.

use std::borrow::Cow;

use crate::generated::api_versions::{KNOWN, OPERATIONS, REQUEST_MEMBERS};

/// The default api-version: the one place the SDK names it. Moving the
/// default is this one line (the spec, `info.version`, may describe a newer
/// version: its operations and members carry the version that introduced
/// them, and the clients refuse what the configured version lacks).
pub const DEFAULT_API_VERSION: &str = "2025-07-01";

/// A service api-version: one of the known versions (the constants, oldest
/// [`ApiVersion::V2015_06_01`] to newest [`ApiVersion::V2026_07_01_PREVIEW`]),
/// or any other string, which is sent as it is.
///
/// The clients check each method and option against the version that
/// introduced it ([`ApiVersion::check_operation`],
/// [`ApiVersion::check_member`]) and refuse, before any request, what the
/// configured version lacks. A string that is not a known version is not
/// checked at all: the service answers it (a version it does not recognise
/// is a 400 `BadParameter`), since a newer service may well know it.
///
/// ```
/// use keyvault_keys_types::ApiVersion;
/// assert_eq!(ApiVersion::default(), ApiVersion::V2025_07_01);
/// assert_eq!(ApiVersion::from("7.3"), ApiVersion::V7_3);
/// assert!(ApiVersion::V2026_04_01.is_known());
/// assert!(!ApiVersion::new("2099-01-01").is_known());
/// let refused = ApiVersion::V2025_07_01
///     .check_operation("secure_wrap_key", "securewrapkey")
///     .unwrap_err();
/// assert_eq!(
///     refused.to_string(),
///     "'secure_wrap_key' is not available in API version 2025-07-01; use 2026-01-01-preview or newer"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ApiVersion(Cow<'static, str>);

macro_rules! versions {
    ($($name:ident = $v:literal),+ $(,)?) => {
        impl ApiVersion {
            $(
                #[doc = concat!("`", $v, "`")]
                pub const $name: ApiVersion = ApiVersion(Cow::Borrowed($v));
            )+
            /// Every known version, oldest first (the spec's
            /// `info.x-api-versions`; a test checks they agree).
            pub const ALL: &'static [ApiVersion] = &[$(ApiVersion::$name),+];
        }
    };
}

versions! {
    V2015_06_01 = "2015-06-01",
    V2016_10_01 = "2016-10-01",
    V7_0_PREVIEW = "7.0-preview",
    V7_0 = "7.0",
    V7_1_PREVIEW = "7.1-preview",
    V7_1 = "7.1",
    V7_2_PREVIEW = "7.2-preview",
    V7_2 = "7.2",
    V7_3_PREVIEW = "7.3-preview",
    V7_3 = "7.3",
    V7_4_PREVIEW_1 = "7.4-preview.1",
    V7_4 = "7.4",
    V7_5_PREVIEW_1 = "7.5-preview.1",
    V7_5 = "7.5",
    V7_6_PREVIEW_1 = "7.6-preview.1",
    V7_6_PREVIEW_2 = "7.6-preview.2",
    V7_6 = "7.6",
    V2025_06_01_PREVIEW = "2025-06-01-preview",
    V2025_07_01 = "2025-07-01",
    V2026_01_01_PREVIEW = "2026-01-01-preview",
    V2026_03_01_PREVIEW = "2026-03-01-preview",
    V2026_04_01 = "2026-04-01",
    V2026_05_01_PREVIEW = "2026-05-01-preview",
    V2026_07_01_PREVIEW = "2026-07-01-preview",
}

impl ApiVersion {
    /// The default: [`DEFAULT_API_VERSION`] (2025-07-01).
    pub const DEFAULT: ApiVersion = ApiVersion(Cow::Borrowed(DEFAULT_API_VERSION));

    /// Any version string, sent as it is.
    pub fn new(version: impl Into<String>) -> Self {
        let version = version.into();
        // A known version keeps its static spelling (no allocation).
        match Self::ALL.iter().find(|v| v.as_str() == version) {
            Some(known) => known.clone(),
            None => Self(Cow::Owned(version)),
        }
    }

    /// The `api-version` query value.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Where this version stands among the known ones (letter case aside,
    /// as the service compares them); `None` for another string.
    fn rank(&self) -> Option<usize> {
        rank(self.as_str())
    }

    /// Whether this is one of the known versions.
    pub fn is_known(&self) -> bool {
        self.rank().is_some()
    }

    /// Whether this is a known preview version (`false` for a stable one
    /// and for a string that is not a known version).
    pub fn is_preview(&self) -> bool {
        self.rank().is_some_and(|i| !KNOWN[i].1)
    }

    /// Whether this version has what `introduced_in` introduced: `None`
    /// when either is not a known version (nothing is known about it).
    pub fn has(&self, introduced_in: &str) -> Option<bool> {
        Some(self.rank()? >= rank(introduced_in)?)
    }

    /// The version that introduced an operation, by its operationId in the
    /// spec (`RotateKey`, `securewrapkey`).
    pub fn operation_introduced_in(operation_id: &str) -> Option<&'static str> {
        OPERATIONS
            .iter()
            .find(|(id, _)| *id == operation_id)
            .map(|(_, v)| *v)
    }

    /// The version that introduced a member of a request schema, by the
    /// schema's name and the member's wire name
    /// (`KeyAttributes`, `exportable`).
    pub fn member_introduced_in(schema: &str, member: &str) -> Option<&'static str> {
        REQUEST_MEMBERS
            .iter()
            .find(|(s, m, _)| *s == schema && *m == member)
            .map(|(_, _, v)| *v)
    }

    /// Refuses the method `method` (named as the caller knows it, for the
    /// message), which sends the operation `operation_id`, when this
    /// version is known and older than the one that introduced it.
    pub fn check_operation(&self, method: &str, operation_id: &str) -> Result<(), NotInApiVersion> {
        self.check(method, Self::operation_introduced_in(operation_id))
    }

    /// Refuses the option `option` (named as the caller knows it, for the
    /// message), sent as the member `member` of the request schema
    /// `schema`, when this version is known and older than the one that
    /// introduced it.
    pub fn check_member(
        &self,
        option: &str,
        schema: &str,
        member: &str,
    ) -> Result<(), NotInApiVersion> {
        self.check(option, Self::member_introduced_in(schema, member))
    }

    fn check(
        &self,
        name: &str,
        introduced_in: Option<&'static str>,
    ) -> Result<(), NotInApiVersion> {
        match introduced_in {
            Some(since) if self.has(since) == Some(false) => Err(NotInApiVersion {
                name: name.to_owned(),
                api_version: self.as_str().to_owned(),
                introduced_in: since,
            }),
            _ => Ok(()),
        }
    }
}

fn rank(version: &str) -> Option<usize> {
    // The exact spelling first (what the constants and the generated
    // table hold): every call checks its method this way.
    KNOWN.iter().position(|(v, _)| *v == version).or_else(|| {
        KNOWN
            .iter()
            .position(|(v, _)| v.eq_ignore_ascii_case(version))
    })
}

impl Default for ApiVersion {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for ApiVersion {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for ApiVersion {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for ApiVersion {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl std::str::FromStr for ApiVersion {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

impl PartialEq<str> for ApiVersion {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ApiVersion {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A method or option the configured api-version does not have, refused
/// before any request. The message is the Python client's:
/// `'secure_wrap_key' is not available in API version 2025-07-01; use
/// 2026-01-01-preview or newer`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{name}' is not available in API version {api_version}; use {introduced_in} or newer")]
pub struct NotInApiVersion {
    /// The method or option, as the caller named it.
    pub name: String,
    /// The client's api-version.
    pub api_version: String,
    /// The version that introduced it.
    pub introduced_in: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_constants_are_the_specs_versions_in_order() {
        let ours: Vec<&str> = ApiVersion::ALL.iter().map(ApiVersion::as_str).collect();
        let spec: Vec<&str> = KNOWN.iter().map(|(v, _)| *v).collect();
        assert_eq!(ours, spec);
        assert!(ApiVersion::DEFAULT.is_known());
        assert!(ApiVersion::V2026_01_01_PREVIEW.is_preview());
        assert!(!ApiVersion::V2026_04_01.is_preview());
        assert!(!ApiVersion::new("x").is_preview());
        for (_, since) in OPERATIONS {
            assert!(rank(since).is_some(), "{since}");
        }
    }

    #[test]
    fn versions_compare_by_when_they_appeared() {
        assert_eq!(ApiVersion::V7_2.has("7.3-preview"), Some(false));
        assert_eq!(ApiVersion::V7_3.has("7.3-preview"), Some(true));
        assert_eq!(
            ApiVersion::V2025_07_01.has("2026-01-01-preview"),
            Some(false)
        );
        assert_eq!(
            ApiVersion::V2026_04_01.has("2026-01-01-preview"),
            Some(true)
        );
        assert_eq!(
            ApiVersion::new("7.6-PREVIEW.2").has("7.6-preview.2"),
            Some(true)
        );
        assert_eq!(ApiVersion::new("2099-01-01").has("7.0"), None);
        assert_eq!(ApiVersion::V7_0.has("9.9"), None);
    }

    #[test]
    fn a_known_older_version_refuses_and_an_unknown_string_is_not_checked() {
        let e = ApiVersion::V7_2
            .check_operation("rotate_key", "RotateKey")
            .expect_err("7.2 has no rotation");
        assert_eq!(
            e.to_string(),
            "'rotate_key' is not available in API version 7.2; use 7.3-preview or newer"
        );
        let e = ApiVersion::V7_2
            .check_member("exportable", "KeyAttributes", "exportable")
            .expect_err("7.2 has no exportable");
        assert_eq!(
            e.to_string(),
            "'exportable' is not available in API version 7.2; use 7.3-preview or newer"
        );
        assert!(
            ApiVersion::V7_3
                .check_operation("rotate_key", "RotateKey")
                .is_ok()
        );
        assert!(
            ApiVersion::new("2099-01-01")
                .check_operation("secure_wrap_key", "securewrapkey")
                .is_ok()
        );
        // An operation the table does not know is not checked either.
        assert!(
            ApiVersion::V7_0
                .check_operation("x", "NoSuchOperation")
                .is_ok()
        );
    }

    #[test]
    fn strings_round_trip_and_known_ones_equal_the_constants() {
        assert_eq!(ApiVersion::from("7.6"), ApiVersion::V7_6);
        assert_eq!(ApiVersion::from("7.6".to_owned()).as_str(), "7.6");
        assert_eq!(ApiVersion::new("7.6 preview&x").as_str(), "7.6 preview&x");
        assert_eq!(ApiVersion::V2026_04_01.to_string(), "2026-04-01");
        assert_eq!(ApiVersion::default(), DEFAULT_API_VERSION);
    }
}
