//! Routing: a method and a path to the vault operation that answers them,
//! and the lists' paging.

use bytes::Bytes;
use hyper::{Method, StatusCode};
use keyvault_crypto::b64;
use keyvault_keys_protocol::types;

use super::crypto_ops::{CipherOp, cipher, random_bytes, release, sign, verify};
use super::{Answer, Shared, generate, json_answer, method_not_allowed, parse_body};
use crate::access::{self, Access, Op};
use crate::api_error::{ApiError, ApiResult};
use crate::state::{Ctx, Vault};
use crate::versions::{self, Since};

/// What a request does with a key version (`/keys/{name}/{version}/{action}`,
/// the action in any letter case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum VersionAction {
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

pub(super) fn dispatch(
    shared: &Shared,
    v: &Vault,
    ctx: &Ctx,
    method: &Method,
    segs: &[&str],
    query: &[(String, String)],
    body: &Bytes,
) -> ApiResult<Answer> {
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let l: Vec<&str> = lower.iter().map(String::as_str).collect();
    check_name(&l, segs)?;
    if let Some(since) = introduced_by(&l) {
        versions::require(ctx.version, since)?;
    }
    check_access(v, ctx, method, &l, segs)?;
    match l.as_slice() {
        ["keys"] | ["keys", ""] => match *method {
            Method::GET => {
                let (max, after) = paging(query, AFTER)?;
                let (items, next) = v.read().list_keys(ctx, after.as_deref(), max);
                json_answer(&Page {
                    value: items,
                    next_link: next.map(|n| next_link(ctx, "/keys", AFTER, &n, max)),
                })
            }
            _ => Err(method_not_allowed(method)),
        },
        ["keys", "restore"] => match *method {
            Method::POST => {
                let p = parse_body(body)?;
                json_answer(&v.write(|k| k.restore(ctx, p))?)
            }
            _ => Err(method_not_allowed(method)),
        },
        ["keys", _] => {
            let name = segs[1];
            match *method {
                Method::PUT => {
                    let p: types::KeyImportParameters = parse_body(body)?;
                    let p = crate::byok::resolve(v, ctx.now, name, p)?;
                    json_answer(&v.write(|k| k.import(ctx, name, p))?)
                }
                Method::DELETE => json_answer(&v.write(|k| k.delete(ctx, name))?),
                Method::GET => json_answer(&v.read().get(ctx, name, "")?),
                Method::PATCH => {
                    let p = parse_body(body)?;
                    json_answer(&v.write(|k| k.update(ctx, name, "", p))?)
                }
                _ => Err(method_not_allowed(method)),
            }
        }
        ["keys", _, "create"] => post(method, || {
            let p = create_parameters(body)?;
            if p.kty.is_akp() {
                versions::require(ctx.version, Since::Akp)?;
            }
            let spec = v.read().create_spec(segs[1], &p)?;
            let jwk = generate(shared, &spec)?;
            json_answer(&v.write(|k| k.create(ctx, segs[1], p, &spec, jwk))?)
        }),
        ["keys", _, "rotate"] => post(method, || {
            let spec = v.read().rotate_spec(segs[1])?;
            let jwk = generate(shared, &spec)?;
            json_answer(&v.write(|k| k.rotate(ctx, segs[1], jwk))?)
        }),
        ["keys", _, "backup"] => post(method, || {
            // Copied out under the read lock; serialised and sealed after it.
            let (record, key) = v.read().backup_source(segs[1])?;
            json_answer(&crate::state::seal_backup(&record, &key)?)
        }),
        ["keys", _, "versions"] => match *method {
            Method::GET => {
                // A key has at most MAX_VERSIONS (500) versions; an
                // offset into their creation order is enough here.
                let (max, offset) = paging(query, OFFSET)?;
                let offset = match offset {
                    None => 0usize,
                    Some(o) => o
                        .parse()
                        .map_err(|_| ApiError::bad_parameter("The $skiptoken is not valid."))?,
                };
                let items = v.read().list_versions(ctx, segs[1]);
                let total = items.len();
                let end = offset.saturating_add(max).min(total);
                let next = (end < total).then(|| {
                    next_link(
                        ctx,
                        &format!("/keys/{}/versions", segs[1]),
                        OFFSET,
                        &end.to_string(),
                        max,
                    )
                });
                json_answer(&Page {
                    value: items.into_iter().skip(offset).take(max).collect(),
                    next_link: next,
                })
            }
            _ => Err(method_not_allowed(method)),
        },
        ["keys", _, "rotationpolicy"] => match *method {
            Method::GET => json_answer(&v.read().get_policy(ctx, segs[1])?),
            Method::PUT => {
                let p = parse_body(body)?;
                json_answer(&v.write(|k| k.update_policy(ctx, segs[1], p))?)
            }
            _ => Err(method_not_allowed(method)),
        },
        ["keys", _, _] => {
            let (name, version) = (segs[1], segs[2]);
            match *method {
                Method::GET => json_answer(&v.read().get(ctx, name, version)?),
                Method::PATCH => {
                    let p = parse_body(body)?;
                    json_answer(&v.write(|k| k.update(ctx, name, version, p))?)
                }
                _ => Err(method_not_allowed(method)),
            }
        }
        ["keys", _, _, action] => {
            let (name, version) = (segs[1], segs[2]);
            let Some(action) = VersionAction::parse(action) else {
                return Err(not_found_route(segs));
            };
            match (action, method.clone()) {
                (VersionAction::Attestation, Method::GET) => {
                    json_answer(&v.read().attestation(ctx, name, version)?)
                }
                (VersionAction::Cipher(op), Method::POST) => {
                    cipher(v, ctx, name, version, op, body)
                }
                (VersionAction::Sign, Method::POST) => sign(v, ctx, name, version, body),
                (VersionAction::Verify, Method::POST) => verify(v, ctx, name, version, body),
                (VersionAction::Release, Method::POST) => {
                    release(shared, v, ctx, name, version, body)
                }
                (VersionAction::SecureWrap, Method::POST) => {
                    super::secure_ops::secure_wrap(v, ctx, name, version, body)
                }
                (VersionAction::SecureUnwrap, Method::POST) => {
                    super::secure_ops::secure_unwrap(shared, v, ctx, name, version, body)
                }
                _ => Err(method_not_allowed(method)),
            }
        }
        ["deletedkeys"] | ["deletedkeys", ""] => match *method {
            Method::GET => {
                let (max, after) = paging(query, AFTER)?;
                let (items, next) = v.read().list_deleted(ctx, after.as_deref(), max);
                json_answer(&Page {
                    value: items,
                    next_link: next.map(|n| next_link(ctx, "/deletedkeys", AFTER, &n, max)),
                })
            }
            _ => Err(method_not_allowed(method)),
        },
        ["deletedkeys", _] | ["deletedkeys", _, ""] => match *method {
            Method::GET => json_answer(&v.read().get_deleted(ctx, segs[1])?),
            Method::DELETE => {
                v.write(|k| k.purge(ctx, segs[1]))?;
                Ok((StatusCode::NO_CONTENT, None))
            }
            _ => Err(method_not_allowed(method)),
        },
        ["deletedkeys", _, "recover"] => post(method, || {
            json_answer(&v.write(|k| k.recover(ctx, segs[1]))?)
        }),
        ["rng"] => post(method, || random_bytes(v, body)),
        _ => Err(not_found_route(segs)),
    }
}

/// A create request's parameters. An external key (`attributes.external_key`,
/// 2026-01-01-preview and later) comes without `kty`: its material stays in
/// the external key manager; the emulator stands it in with an `oct-HSM`
/// key it never uses.
fn create_parameters(body: &Bytes) -> ApiResult<types::KeyCreateParameters> {
    let mut raw: serde_json::Value = parse_body(body)?;
    let external = raw
        .pointer("/attributes/external_key")
        .is_some_and(|e| !e.is_null());
    if external {
        if raw.get("kty").is_some_and(|k| !k.is_null()) {
            return Err(ApiError::bad_parameter(
                "An external key takes no kty: its key material is held by the external key manager.",
            ));
        }
        raw["kty"] = serde_json::json!("oct-HSM");
    }
    serde_json::from_value(raw)
        .map_err(|e| ApiError::bad_parameter(format!("The request body is not valid: {e}")))
}

/// A list page as the service writes it: `value` always (empty when there
/// is nothing), and `nextLink` always (`null` on the last page).
#[derive(serde::Serialize)]
struct Page<T> {
    value: Vec<T>,
    #[serde(rename = "nextLink")]
    next_link: Option<String>,
}

/// Refuses a key name (the segment after `keys` or `deletedkeys`) that is
/// not 1 to 127 letters, digits and dashes, whatever the operation, as the
/// service does. `lower` is `segs` lowercased.
fn check_name(lower: &[&str], segs: &[&str]) -> ApiResult<()> {
    match lower {
        // The lists (`/keys`, `/keys/`, `/deletedkeys/`).
        [_] | [_, ""] => Ok(()),
        ["keys" | "deletedkeys", ..] => crate::state::valid_name(segs[1]),
        _ => Ok(()),
    }
}

/// Refuses a caller whose token may not do what the request does, before
/// anything is read or changed (the service's 403s; see [`crate::access`]).
fn check_access(
    v: &Vault,
    ctx: &Ctx,
    method: &Method,
    lower: &[&str],
    segs: &[&str],
) -> ApiResult<()> {
    if ctx.access == Access::Full {
        return Ok(());
    }
    let Some(op) = Op::of(method, lower) else {
        return Ok(());
    };
    let name = match lower {
        ["keys", "restore"] | [_] | [_, ""] => None,
        [_, _, ..] => Some(segs[1]),
        _ => None,
    };
    let version = segs.get(2).copied().unwrap_or("");
    access::check(&ctx.access, ctx.caller, op, ctx.vault_name(), name, || {
        name.and_then(|n| v.read().kty(n, version))
            .is_some_and(|k| k.is_rsa() || k.is_ec())
    })
}

/// The api-version that introduced the operation a path names, for those
/// that came after the first versions (see [`versions::Since`]).
fn introduced_by(lower: &[&str]) -> Option<Since> {
    match lower {
        ["rng"] => Some(Since::RandomBytes),
        ["keys", _, "rotate" | "rotationpolicy"] => Some(Since::Rotation),
        ["keys", _, "release"] | ["keys", _, _, "release"] => Some(Since::Release),
        ["keys", _, _, "attestation"] => Some(Since::Attestation),
        ["keys", _, _, "securewrapkey" | "secureunwrapkey"] => Some(Since::SecureWrap),
        _ => None,
    }
}

pub(super) fn not_found_route(segs: &[&str]) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("No keys operation at /{}.", segs.join("/")),
    )
}

pub(super) fn post(method: &Method, f: impl FnOnce() -> ApiResult<Answer>) -> ApiResult<Answer> {
    if *method == Method::POST {
        f()
    } else {
        Err(method_not_allowed(method))
    }
}

/// Continuation tokens of the key lists: the lowercased name of the last key
/// of the page (a position, so a page is a range scan and changes between
/// pages neither skip nor repeat a key).
pub(super) const AFTER: &str = "after:";
/// Continuation tokens of a key's versions: an offset into creation order.
pub(super) const OFFSET: &str = "offset:";

/// `maxresults` (1–25, default 25) and the decoded `$skiptoken` of a list
/// request, whose token must carry `kind`.
pub(super) fn paging(query: &[(String, String)], kind: &str) -> ApiResult<(usize, Option<String>)> {
    let get = |k: &str| {
        query
            .iter()
            .find(|(q, _)| q.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    };
    let max = match get("maxresults") {
        None | Some("") => 25usize,
        Some(s) => match s.parse::<usize>() {
            Ok(n @ 1..=25) => n,
            _ => {
                return Err(ApiError::bad_parameter(format!(
                    "maxresults must be an integer from 1 to 25, not {s:?}."
                )));
            }
        },
    };
    let token = match get("$skiptoken") {
        None | Some("") => None,
        Some(t) => Some(
            b64::decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.strip_prefix(kind).map(str::to_owned))
                .ok_or_else(|| ApiError::bad_parameter("The $skiptoken is not valid."))?,
        ),
    };
    Ok((max, token))
}

/// An absolute nextLink on the request's host carrying `kind` + `position`.
pub(super) fn next_link(ctx: &Ctx, path: &str, kind: &str, position: &str, max: usize) -> String {
    let token = b64::encode(format!("{kind}{position}").as_bytes());
    // The api-version is the caller's text: escaped, so it adds no pairs.
    let api_version: String =
        url::form_urlencoded::byte_serialize(ctx.api_version.as_bytes()).collect();
    format!(
        "{}{path}?api-version={api_version}&$skiptoken={token}&maxresults={max}",
        ctx.base(),
    )
}
