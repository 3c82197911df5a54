//! The one routing decision of a service request: its path parsed once
//! into a [`Route`]. The handler ([`super::routes::dispatch`]), the
//! operation an access policy checks ([`Route::op`]), the api-version that
//! introduced it ([`Route::introduced_by`]) and whether it is a cheap read
//! answered inline ([`Route::reads_one_version`]) are all read from it, each
//! an exhaustive match: a new route cannot be added without deciding each.

use hyper::Method;

use super::crypto_ops::CipherOp;
use crate::access::Op;
use crate::api_error::ApiResult;
use crate::versions::Since;

/// What a request does with a key version (`/keys/{name}/{version}/{action}`,
/// the action in any letter case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum VersionAction {
    Attestation,
    Cipher(CipherOp),
    Sign,
    Verify,
    Release,
    SecureWrap,
    SecureUnwrap,
}

impl VersionAction {
    /// The action a lowercased path segment names.
    fn parse(lowercased: &str) -> Option<Self> {
        Some(match lowercased {
            "attestation" => Self::Attestation,
            "encrypt" => Self::Cipher(CipherOp::Encrypt),
            "decrypt" => Self::Cipher(CipherOp::Decrypt),
            "wrapkey" => Self::Cipher(CipherOp::WrapKey),
            "unwrapkey" => Self::Cipher(CipherOp::UnwrapKey),
            "sign" => Self::Sign,
            "verify" => Self::Verify,
            "release" => Self::Release,
            "securewrapkey" => Self::SecureWrap,
            "secureunwrapkey" => Self::SecureUnwrap,
            _ => return None,
        })
    }
}

/// A service path, typed. The key name is the path's second segment and
/// the version its third ([`Route::name`], [`Route::version`]); fixed words
/// match in any letter case, as the service's do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Route {
    /// `/keys`
    Keys,
    /// `/keys/restore`
    Restore,
    /// `/keys/{name}`
    Key,
    /// `/keys/{name}/create`
    Create,
    /// `/keys/{name}/rotate`
    Rotate,
    /// `/keys/{name}/backup`
    Backup,
    /// `/keys/{name}/versions`
    Versions,
    /// `/keys/{name}/rotationpolicy`
    RotationPolicy,
    /// `/keys/{name}/{version}`
    Version,
    /// `/keys/{name}/{version}/{action}`
    Action(VersionAction),
    /// `/deletedkeys`
    DeletedKeys,
    /// `/deletedkeys/{name}`
    DeletedKey,
    /// `/deletedkeys/{name}/recover`
    Recover,
    /// `/rng`
    Rng,
    /// No keys operation: a 404 once the checks before routing passed.
    Unknown,
}

impl Route {
    /// Parses the decoded path segments. A key name (the segment after
    /// `keys` or `deletedkeys`) that is not 1 to 127 letters, digits and
    /// dashes is refused whatever the operation, as the service does.
    pub(super) fn parse(segs: &[&str]) -> ApiResult<Self> {
        let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
        let l: Vec<&str> = lower.iter().map(String::as_str).collect();
        match l.as_slice() {
            [_] | [_, ""] => {}
            ["keys" | "deletedkeys", ..] => crate::state::valid_name(segs[1])?,
            _ => {}
        }
        Ok(match l.as_slice() {
            ["keys"] | ["keys", ""] => Route::Keys,
            ["keys", "restore"] => Route::Restore,
            ["keys", _] => Route::Key,
            ["keys", _, "create"] => Route::Create,
            ["keys", _, "rotate"] => Route::Rotate,
            ["keys", _, "backup"] => Route::Backup,
            ["keys", _, "versions"] => Route::Versions,
            ["keys", _, "rotationpolicy"] => Route::RotationPolicy,
            ["keys", _, _] => Route::Version,
            ["keys", _, _, action] => {
                VersionAction::parse(action).map_or(Route::Unknown, Route::Action)
            }
            ["deletedkeys"] | ["deletedkeys", ""] => Route::DeletedKeys,
            ["deletedkeys", _] | ["deletedkeys", _, ""] => Route::DeletedKey,
            ["deletedkeys", _, "recover"] => Route::Recover,
            ["rng"] => Route::Rng,
            _ => Route::Unknown,
        })
    }

    /// The key the route names, if it names one.
    pub(super) fn name<'a>(&self, segs: &[&'a str]) -> Option<&'a str> {
        use Route::*;
        match self {
            Key | Create | Rotate | Backup | Versions | RotationPolicy | Version | Action(_)
            | DeletedKey | Recover => segs.get(1).copied(),
            Keys | Restore | DeletedKeys | Rng | Unknown => None,
        }
    }

    /// The version the route names (`""`: the latest).
    pub(super) fn version<'a>(&self, segs: &[&'a str]) -> &'a str {
        match self {
            Route::Version | Route::Action(_) => segs.get(2).copied().unwrap_or(""),
            _ => "",
        }
    }

    /// The api-version that introduced the operation, for those that came
    /// after the first versions (see [`Since`]). `/keys/{name}/release`
    /// (a version named `release`) counts as a release, as it always has.
    pub(super) fn introduced_by(&self, segs: &[&str]) -> Option<Since> {
        use Route::*;
        match self {
            Rng => Some(Since::RandomBytes),
            Rotate | RotationPolicy => Some(Since::Rotation),
            Action(VersionAction::Release) => Some(Since::Release),
            Version if self.version(segs).eq_ignore_ascii_case("release") => Some(Since::Release),
            Action(VersionAction::Attestation) => Some(Since::Attestation),
            Action(VersionAction::SecureWrap | VersionAction::SecureUnwrap) => {
                Some(Since::SecureWrap)
            }
            Action(VersionAction::Cipher(_) | VersionAction::Sign | VersionAction::Verify)
            | Keys
            | Restore
            | Key
            | Create
            | Backup
            | Versions
            | Version
            | DeletedKeys
            | DeletedKey
            | Recover
            | Unknown => None,
        }
    }

    /// The key operation an access policy checks for the request; `None`
    /// for random bytes (no key permission covers it), a method the route
    /// does not take, and an unknown path.
    pub(super) fn op(&self, method: &Method) -> Option<Op> {
        use Route::*;
        let (get, post) = (*method == Method::GET, *method == Method::POST);
        let (put, patch, delete) = (
            *method == Method::PUT,
            *method == Method::PATCH,
            *method == Method::DELETE,
        );
        Some(match self {
            Keys | Versions | DeletedKeys if get => Op::List,
            Restore if post => Op::Restore,
            Key if put => Op::Import,
            Key if delete => Op::Delete,
            Key | Version | DeletedKey if get => Op::Get,
            Key | Version if patch => Op::Update,
            Create if post => Op::Create,
            Rotate if post => Op::Rotate,
            Backup if post => Op::Backup,
            RotationPolicy if get => Op::GetRotationPolicy,
            RotationPolicy if put => Op::SetRotationPolicy,
            Action(VersionAction::Attestation) if get => Op::Get,
            Action(a) if post => match a {
                VersionAction::Cipher(CipherOp::Encrypt) => Op::Encrypt,
                VersionAction::Cipher(CipherOp::Decrypt) => Op::Decrypt,
                VersionAction::Cipher(CipherOp::WrapKey) | VersionAction::SecureWrap => Op::WrapKey,
                VersionAction::Cipher(CipherOp::UnwrapKey) | VersionAction::SecureUnwrap => {
                    Op::UnwrapKey
                }
                VersionAction::Sign => Op::Sign,
                VersionAction::Verify => Op::Verify,
                VersionAction::Release => Op::Release,
                VersionAction::Attestation => return None,
            },
            DeletedKey if delete => Op::Purge,
            Recover if post => Op::Recover,
            Keys | Restore | Key | Create | Rotate | Backup | Versions | RotationPolicy
            | Version | Action(_) | DeletedKeys | DeletedKey | Recover | Rng | Unknown => {
                return None;
            }
        })
    }

    /// Whether the request reads one key version (`GET /keys/{name}`,
    /// `/keys/{name}/` or `/keys/{name}/{version}`): no write, no key
    /// generation, no list, so it may be answered inline.
    pub(super) fn reads_one_version(&self, method: &Method) -> bool {
        use Route::*;
        match self {
            Key | Version => *method == Method::GET,
            Keys | Restore | Create | Rotate | Backup | Versions | RotationPolicy | Action(_)
            | DeletedKeys | DeletedKey | Recover | Rng | Unknown => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(path: &str) -> ApiResult<Route> {
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        Route::parse(&segs)
    }

    #[test]
    fn paths_parse_to_their_routes_in_any_case() {
        assert_eq!(route("/keys").ok(), Some(Route::Keys));
        assert_eq!(route("/KEYS/").ok(), Some(Route::Keys));
        assert_eq!(route("/keys/Restore").ok(), Some(Route::Restore));
        assert_eq!(route("/keys/k").ok(), Some(Route::Key));
        assert_eq!(route("/keys/k/").ok(), Some(Route::Version));
        assert_eq!(route("/keys/k/ROTATE").ok(), Some(Route::Rotate));
        assert_eq!(route("/keys/k/0a1b").ok(), Some(Route::Version));
        assert_eq!(
            route("/keys/k/v/Encrypt").ok(),
            Some(Route::Action(VersionAction::Cipher(CipherOp::Encrypt)))
        );
        assert_eq!(route("/keys/k/v/frobnicate").ok(), Some(Route::Unknown));
        assert_eq!(route("/deletedkeys/k/").ok(), Some(Route::DeletedKey));
        assert_eq!(route("/deletedkeys/k/recover").ok(), Some(Route::Recover));
        assert_eq!(route("/rng").ok(), Some(Route::Rng));
        assert_eq!(route("/secrets/s").ok(), Some(Route::Unknown));
        assert!(route("/keys/a_b").is_err());
        assert!(route("/deletedkeys/a.b/recover").is_err());
    }

    #[test]
    fn only_gets_of_one_version_are_inline_reads() {
        let inline = |m: Method, p: &str| route(p).is_ok_and(|r| r.reads_one_version(&m));
        assert!(inline(Method::GET, "/keys/k"));
        assert!(inline(Method::GET, "/keys/k/"));
        assert!(inline(Method::GET, "/keys/k/0a1b"));
        assert!(!inline(Method::GET, "/keys/k/versions"));
        assert!(!inline(Method::GET, "/keys/k/rotationpolicy"));
        assert!(!inline(Method::GET, "/keys"));
        assert!(!inline(Method::PATCH, "/keys/k/0a1b"));
        assert!(!inline(Method::GET, "/keys/k/v/attestation"));
    }

    #[test]
    fn operations_names_and_versions_come_from_the_route() {
        let segs = ["keys", "My-Key", "0A1B", "sign"];
        let r = Route::parse(&segs).expect("route");
        assert_eq!(r.name(&segs), Some("My-Key"));
        assert_eq!(r.version(&segs), "0A1B");
        assert_eq!(r.op(&Method::POST), Some(Op::Sign));
        assert_eq!(r.op(&Method::GET), None);
        let segs = ["keys", "k", "release"];
        let r = Route::parse(&segs).expect("route");
        assert_eq!(r.introduced_by(&segs), Some(Since::Release));
        assert_eq!(Route::Rng.op(&Method::POST), None);
        assert_eq!(Route::Keys.op(&Method::GET), Some(Op::List));
    }
}
