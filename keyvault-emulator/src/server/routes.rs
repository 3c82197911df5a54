//! Routing: a method and a path to the vault operation that answers them,
//! and the lists' paging.

use bytes::Bytes;
use hyper::{Method, StatusCode};
use keyvault_crypto::b64;
use keyvault_keys_types::types;

use super::crypto_ops::{cipher, random_bytes, release, sign, verify};
use super::route::{Route, VersionAction};
use super::{Answer, Shared, generate, json_answer, method_not_allowed, parse_body};
use crate::access::{self, Access};
use crate::api_error::{ApiError, ApiResult};
use crate::state::{Ctx, Vault};
use crate::versions::{self, Since};

/// Answers a service request whose path was parsed into `route` (an
/// error there, such as a malformed key name, is answered first).
#[allow(clippy::too_many_arguments)]
pub(super) fn dispatch(
    shared: &Shared,
    v: &Vault,
    ctx: &Ctx,
    method: &Method,
    route: ApiResult<Route>,
    segs: &[&str],
    query: &[(String, String)],
    body: &Bytes,
) -> ApiResult<Answer> {
    let route = route?;
    if let Some(since) = route.introduced_by(segs) {
        versions::require(ctx.version, since)?;
    }
    check_access(v, ctx, method, route, segs)?;
    let name = route.name(segs).unwrap_or_default();
    let req = Req {
        shared,
        v,
        ctx,
        method,
        name,
        version: route.version(segs),
        query,
        body,
    };
    match route {
        Route::Keys => req.list_keys(),
        Route::Restore => post(method, || {
            let p = parse_body(body)?;
            json_answer(&v.write(|k| k.restore(ctx, p))?)
        }),
        Route::Key => req.key(),
        Route::Create => post(method, || req.create()),
        Route::Rotate => post(method, || {
            let spec = v.read().rotate_spec(name)?;
            let jwk = generate(shared, &spec)?;
            json_answer(&v.write(|k| k.rotate(ctx, name, jwk))?)
        }),
        Route::Backup => post(method, || {
            // Copied out under the read lock; serialised and sealed after it.
            let (record, key) = v.read().backup_source(name)?;
            json_answer(&crate::state::seal_backup(&record, &key)?)
        }),
        Route::Versions => req.list_versions(),
        Route::RotationPolicy => match *method {
            Method::GET => json_answer(&v.read().get_policy(ctx, name)?),
            Method::PUT => {
                let p = parse_body(body)?;
                json_answer(&v.write(|k| k.update_policy(ctx, name, p))?)
            }
            _ => Err(method_not_allowed(method)),
        },
        Route::Version => match *method {
            Method::GET => json_answer(&v.read().get(ctx, name, req.version)?),
            Method::PATCH => {
                let p = parse_body(body)?;
                json_answer(&v.write(|k| k.update(ctx, name, req.version, p))?)
            }
            _ => Err(method_not_allowed(method)),
        },
        Route::Action(action) => req.action(action),
        Route::DeletedKeys => req.list_deleted(),
        Route::DeletedKey => match *method {
            Method::GET => json_answer(&v.read().get_deleted(ctx, name)?),
            Method::DELETE => {
                v.write(|k| k.purge(ctx, name))?;
                Ok((StatusCode::NO_CONTENT, None))
            }
            _ => Err(method_not_allowed(method)),
        },
        Route::Recover => post(method, || json_answer(&v.write(|k| k.recover(ctx, name))?)),
        Route::Rng => post(method, || random_bytes(v, body)),
        Route::Unknown => Err(not_found_route(segs)),
    }
}

/// One request's parts, for the handlers of the longer routes.
struct Req<'a> {
    shared: &'a Shared,
    v: &'a Vault,
    ctx: &'a Ctx,
    method: &'a Method,
    name: &'a str,
    version: &'a str,
    query: &'a [(String, String)],
    body: &'a Bytes,
}

impl Req<'_> {
    /// `GET /keys`.
    fn list_keys(&self) -> ApiResult<Answer> {
        if *self.method != Method::GET {
            return Err(method_not_allowed(self.method));
        }
        let (max, after) = paging(self.query, AFTER)?;
        let (items, next) = self.v.read().list_keys(self.ctx, after.as_deref(), max);
        json_answer(&Page {
            value: items,
            next_link: next.map(|n| next_link(self.ctx, "/keys", AFTER, &n, max)),
        })
    }

    /// `GET /deletedkeys`.
    fn list_deleted(&self) -> ApiResult<Answer> {
        if *self.method != Method::GET {
            return Err(method_not_allowed(self.method));
        }
        let (max, after) = paging(self.query, AFTER)?;
        let (items, next) = self.v.read().list_deleted(self.ctx, after.as_deref(), max);
        json_answer(&Page {
            value: items,
            next_link: next.map(|n| next_link(self.ctx, "/deletedkeys", AFTER, &n, max)),
        })
    }

    /// `GET /keys/{name}/versions`. A key has at most MAX_VERSIONS (500)
    /// versions; an offset into their creation order is enough here.
    fn list_versions(&self) -> ApiResult<Answer> {
        if *self.method != Method::GET {
            return Err(method_not_allowed(self.method));
        }
        let (max, offset) = paging(self.query, OFFSET)?;
        let offset = match offset {
            None => 0usize,
            Some(o) => o
                .parse()
                .map_err(|_| ApiError::bad_parameter("The $skiptoken is not valid."))?,
        };
        let items = self.v.read().list_versions(self.ctx, self.name);
        let total = items.len();
        let end = offset.saturating_add(max).min(total);
        let next = (end < total).then(|| {
            next_link(
                self.ctx,
                &format!("/keys/{}/versions", self.name),
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

    /// `/keys/{name}`: import (PUT), delete, get the latest version, update it.
    fn key(&self) -> ApiResult<Answer> {
        let (v, ctx, name) = (self.v, self.ctx, self.name);
        match *self.method {
            Method::PUT => {
                let p: types::KeyImportParameters = parse_body(self.body)?;
                let p = crate::byok::resolve(v, ctx.now, name, p)?;
                json_answer(&v.write(|k| k.import(ctx, name, p))?)
            }
            Method::DELETE => json_answer(&v.write(|k| k.delete(ctx, name))?),
            Method::GET => json_answer(&v.read().get(ctx, name, "")?),
            Method::PATCH => {
                let p = parse_body(self.body)?;
                json_answer(&v.write(|k| k.update(ctx, name, "", p))?)
            }
            _ => Err(method_not_allowed(self.method)),
        }
    }

    /// `POST /keys/{name}/create`.
    fn create(&self) -> ApiResult<Answer> {
        let p = create_parameters(self.body)?;
        if p.kty.is_akp() {
            versions::require(self.ctx.version, Since::Akp)?;
        }
        let spec = self.v.read().create_spec(self.name, &p)?;
        let jwk = generate(self.shared, &spec)?;
        json_answer(
            &self
                .v
                .write(|k| k.create(self.ctx, self.name, p, &spec, jwk))?,
        )
    }

    /// `/keys/{name}/{version}/{action}`.
    fn action(&self, action: VersionAction) -> ApiResult<Answer> {
        let (shared, v, ctx, body) = (self.shared, self.v, self.ctx, self.body);
        let (name, version) = (self.name, self.version);
        match (action, self.method.clone()) {
            (VersionAction::Attestation, Method::GET) => {
                json_answer(&v.read().attestation(ctx, name, version)?)
            }
            (VersionAction::Cipher(op), Method::POST) => cipher(v, ctx, name, version, op, body),
            (VersionAction::Sign, Method::POST) => sign(v, ctx, name, version, body),
            (VersionAction::Verify, Method::POST) => verify(v, ctx, name, version, body),
            (VersionAction::Release, Method::POST) => release(shared, v, ctx, name, version, body),
            (VersionAction::SecureWrap, Method::POST) => {
                super::secure_ops::secure_wrap(v, ctx, name, version, body)
            }
            (VersionAction::SecureUnwrap, Method::POST) => {
                super::secure_ops::secure_unwrap(shared, v, ctx, name, version, body)
            }
            _ => Err(method_not_allowed(self.method)),
        }
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

/// Refuses a caller whose token may not do what the request does, before
/// anything is read or changed (the service's 403s; see [`crate::access`]).
fn check_access(
    v: &Vault,
    ctx: &Ctx,
    method: &Method,
    route: Route,
    segs: &[&str],
) -> ApiResult<()> {
    if ctx.access == Access::Full {
        return Ok(());
    }
    let Some(op) = route.op(method) else {
        return Ok(());
    };
    let name = route.name(segs);
    // The third segment, as the service reads it here (also for
    // `/keys/{name}/create`: a version no key has).
    let version = segs.get(2).copied().unwrap_or("");
    access::check(&ctx.access, ctx.caller, op, ctx.vault_name(), name, || {
        name.and_then(|n| v.read().kty(n, version))
            .is_some_and(|k| k.is_rsa() || k.is_ec())
    })
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
