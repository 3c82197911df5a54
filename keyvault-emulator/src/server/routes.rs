//! Routing: a method and a path to the vault operation that answers them,
//! and the lists' paging.

use bytes::Bytes;
use hyper::{Method, StatusCode};
use keyvault_crypto::b64;
use keyvault_keys_protocol::types;

use super::crypto_ops::{CipherOp, cipher, random_bytes, release, sign, verify};
use super::{Answer, Shared, generate, json_answer, method_not_allowed, parse_body, vault};
use crate::api_error::{ApiError, ApiResult};
use crate::state::Ctx;

/// What a request does with a key version (`/keys/{name}/{version}/{action}`,
/// the action in any letter case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum VersionAction {
    Attestation,
    Cipher(CipherOp),
    Sign,
    Verify,
    Release,
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
            _ => return None,
        })
    }
}

pub(super) fn dispatch(
    shared: &Shared,
    ctx: &Ctx,
    method: &Method,
    segs: &[&str],
    query: &[(String, String)],
    body: &Bytes,
) -> ApiResult<Answer> {
    let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
    let l: Vec<&str> = lower.iter().map(String::as_str).collect();
    match l.as_slice() {
        ["keys"] | ["keys", ""] => match *method {
            Method::GET => {
                let (max, after) = paging(query, AFTER)?;
                let (items, next) = vault(shared).read().list_keys(ctx, after.as_deref(), max);
                json_answer(&types::KeyListResult {
                    value: items,
                    next_link: next.map(|n| next_link(ctx, "/keys", AFTER, &n, max)),
                    extra: Default::default(),
                })
            }
            _ => Err(method_not_allowed(method)),
        },
        ["keys", "restore"] => match *method {
            Method::POST => {
                let p = parse_body(body)?;
                json_answer(&vault(shared).write(|k| k.restore(ctx, p))?)
            }
            _ => Err(method_not_allowed(method)),
        },
        ["keys", _] => {
            let name = segs[1];
            match *method {
                Method::PUT => {
                    let p: types::KeyImportParameters = parse_body(body)?;
                    let p = crate::byok::resolve(vault(shared), name, p)?;
                    json_answer(&vault(shared).write(|k| k.import(ctx, name, p))?)
                }
                Method::DELETE => json_answer(&vault(shared).write(|k| k.delete(ctx, name))?),
                Method::GET => json_answer(&vault(shared).read().get(ctx, name, "")?),
                Method::PATCH => {
                    let p = parse_body(body)?;
                    json_answer(&vault(shared).write(|k| k.update(ctx, name, "", p))?)
                }
                _ => Err(method_not_allowed(method)),
            }
        }
        ["keys", _, "create"] => post(method, || {
            let p: types::KeyCreateParameters = parse_body(body)?;
            let spec = vault(shared).read().create_spec(segs[1], &p)?;
            let jwk = generate(shared, &spec)?;
            json_answer(&vault(shared).write(|k| k.create(ctx, segs[1], p, &spec, jwk))?)
        }),
        ["keys", _, "rotate"] => post(method, || {
            let spec = vault(shared).read().rotate_spec(segs[1])?;
            let jwk = generate(shared, &spec)?;
            json_answer(&vault(shared).write(|k| k.rotate(ctx, segs[1], jwk))?)
        }),
        ["keys", _, "backup"] => post(method, || {
            // Copied out under the read lock; serialised and sealed after it.
            let (record, key) = vault(shared).read().backup_source(segs[1])?;
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
                let items = vault(shared).read().list_versions(ctx, segs[1])?;
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
                json_answer(&types::KeyListResult {
                    value: items.into_iter().skip(offset).take(max).collect(),
                    next_link: next,
                    extra: Default::default(),
                })
            }
            _ => Err(method_not_allowed(method)),
        },
        ["keys", _, "rotationpolicy"] => match *method {
            Method::GET => json_answer(&vault(shared).read().get_policy(ctx, segs[1])?),
            Method::PUT => {
                let p = parse_body(body)?;
                json_answer(&vault(shared).write(|k| k.update_policy(ctx, segs[1], p))?)
            }
            _ => Err(method_not_allowed(method)),
        },
        ["keys", _, _] => {
            let (name, version) = (segs[1], segs[2]);
            match *method {
                Method::GET => json_answer(&vault(shared).read().get(ctx, name, version)?),
                Method::PATCH => {
                    let p = parse_body(body)?;
                    json_answer(&vault(shared).write(|k| k.update(ctx, name, version, p))?)
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
                    json_answer(&vault(shared).read().attestation(ctx, name, version)?)
                }
                (VersionAction::Cipher(op), Method::POST) => {
                    cipher(shared, ctx, name, version, op, body)
                }
                (VersionAction::Sign, Method::POST) => sign(shared, ctx, name, version, body),
                (VersionAction::Verify, Method::POST) => verify(shared, ctx, name, version, body),
                (VersionAction::Release, Method::POST) => release(shared, ctx, name, version, body),
                _ => Err(method_not_allowed(method)),
            }
        }
        ["deletedkeys"] | ["deletedkeys", ""] => match *method {
            Method::GET => {
                let (max, after) = paging(query, AFTER)?;
                let (items, next) = vault(shared)
                    .read()
                    .list_deleted(ctx, after.as_deref(), max);
                json_answer(&types::DeletedKeyListResult {
                    value: items,
                    next_link: next.map(|n| next_link(ctx, "/deletedkeys", AFTER, &n, max)),
                    extra: Default::default(),
                })
            }
            _ => Err(method_not_allowed(method)),
        },
        ["deletedkeys", _] | ["deletedkeys", _, ""] => match *method {
            Method::GET => json_answer(&vault(shared).read().get_deleted(ctx, segs[1])?),
            Method::DELETE => {
                vault(shared).write(|k| k.purge(segs[1]))?;
                Ok((StatusCode::NO_CONTENT, None))
            }
            _ => Err(method_not_allowed(method)),
        },
        ["deletedkeys", _, "recover"] => post(method, || {
            json_answer(&vault(shared).write(|k| k.recover(ctx, segs[1]))?)
        }),
        ["rng"] => post(method, || random_bytes(shared, body)),
        _ => Err(not_found_route(segs)),
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
