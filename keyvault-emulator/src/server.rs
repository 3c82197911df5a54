//! HTTP: the challenge, routing, wire details (headers, status codes, error
//! bodies), body limits, and the handlers that call the vault.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use keyvault_crypto::{CryptoError, DecryptParameters, EncryptParameters, JsonWebKey, b64};
use keyvault_keys_protocol::types;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api_error::{ApiError, ApiResult};
use crate::faults::{Fault, Injector};
use crate::state::{Ctx, Vault};
use crate::{Flavor, TrustedAttestationKey};

/// The largest request body accepted.
pub const MAX_BODY: usize = 1024 * 1024;
/// The tenant named in the challenge.
pub const EMULATOR_TENANT: &str = "00000000-0000-4000-8000-00000000e4a1";
/// Sent as `x-ms-keyvault-service-version`.
pub const SERVICE_VERSION: &str = "1.9.0-keyvault-emulator";
const DEFAULT_API_VERSION: &str = "2025-07-01";

pub struct Shared {
    pub vault: Vault,
    pub token: Option<String>,
    pub trusted: Vec<TrustedAttestationKey>,
    pub signing_key: JsonWebKey,
    pub body_read_timeout: Duration,
    pub faults: Option<Injector>,
    /// Fuzzing only: one generated key per key spec, reused, so a fuzz run
    /// measures the request handling rather than RSA key generation. `None`
    /// (a fresh key every time) everywhere else.
    pub key_memo: Option<KeyMemo>,
}

/// Generated keys by key spec (see [`Shared::key_memo`]).
pub type KeyMemo = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, JsonWebKey>>>;

impl Shared {
    /// The state a server (or the fuzzing harness) serves from.
    pub fn new(options: &crate::EmulatorOptions) -> Result<Self, crate::StartError> {
        let err = |e: String| crate::StartError(e);
        let store = match &options.data_dir {
            Some(dir) => crate::store::Store::sqlite(dir),
            None => crate::store::Store::memory(),
        }
        .map_err(err)?;
        let vault = Vault::open(store, options.flavor).map_err(err)?;
        let signing_key = keyvault_crypto::generate(&keyvault_crypto::KeySpec {
            kty: keyvault_crypto::KeyType::Rsa,
            size: Some(2048),
            curve: None,
            public_exponent: None,
        })
        .map_err(|e| err(e.to_string()))?;
        Ok(Self {
            vault,
            token: options.token.clone(),
            trusted: options.trusted_attestation_keys.clone(),
            signing_key,
            body_read_timeout: options.limits.body_read_timeout,
            faults: options.faults.clone().map(Injector::new),
            key_memo: None,
        })
    }
}

/// What to do with a request: answer it, or drop its connection without
/// an answer (fault injection).
pub enum Outcome {
    Answer(Response<Full<Bytes>>),
    Drop,
}

/// What the handler answers: a status and an optional JSON body.
type Answer = (StatusCode, Option<Value>);

fn json_answer<T: Serialize>(v: &T) -> ApiResult<Answer> {
    serde_json::to_value(v)
        .map(|v| (StatusCode::OK, Some(v)))
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                e.to_string(),
            )
        })
}

/// The challenge resource for a request's `Host`: the host minus its first
/// DNS label, port kept (`vault.localhost:8443` → `https://localhost:8443`);
/// the request's own origin when there is no label to drop (an IP address,
/// or a single-label name such as `localhost`).
pub fn challenge_resource(authority: &str) -> String {
    let (host, port) = split_authority(authority);
    let is_ip = host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[');
    let parent = if is_ip {
        None
    } else {
        host.split_once('.')
            .map(|(_, rest)| rest)
            .filter(|r| !r.is_empty())
    };
    let h = parent.unwrap_or(host);
    match port {
        Some(p) => format!("https://{h}:{p}"),
        None => format!("https://{h}"),
    }
}

fn split_authority(authority: &str) -> (&str, Option<&str>) {
    if let Some(rest) = authority.strip_prefix('[') {
        // [::1]:8443
        if let Some((h, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':');
            return (&authority[..h.len() + 2], port);
        }
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => (h, Some(p)),
        _ => (authority, None),
    }
}

fn www_authenticate(authority: &str) -> String {
    format!(
        r#"Bearer authorization="https://login.microsoftonline.com/{EMULATOR_TENANT}", resource="{}""#,
        challenge_resource(authority)
    )
}

fn authorised<B>(req: &Request<B>, token: Option<&str>) -> bool {
    let Some(value) = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.splitn(2, ' ');
    let (Some(scheme), Some(t)) = (parts.next(), parts.next()) else {
        return false;
    };
    let t = t.trim();
    // The comparison takes the same time wherever the tokens differ.
    scheme.eq_ignore_ascii_case("bearer")
        && !t.is_empty()
        && token.is_none_or(|want| {
            aws_lc_rs::constant_time::verify_slices_are_equal(want.as_bytes(), t.as_bytes()).is_ok()
        })
}

fn finish(
    mut resp: Response<Full<Bytes>>,
    request_id: &str,
    client_request_id: Option<&HeaderValue>,
) -> Response<Full<Bytes>> {
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-ms-request-id", v);
    }
    if let Some(c) = client_request_id {
        h.insert("x-ms-client-request-id", c.clone());
    }
    h.insert(
        "x-ms-keyvault-service-version",
        HeaderValue::from_static(SERVICE_VERSION),
    );
    h.insert("cache-control", HeaderValue::from_static("no-cache"));
    resp
}

fn json_response(status: StatusCode, body: Option<&Value>) -> Response<Full<Bytes>> {
    let mut b = Response::builder().status(status);
    let bytes = match body {
        Some(v) => {
            b = b.header(CONTENT_TYPE, "application/json; charset=utf-8");
            Bytes::from(v.to_string())
        }
        None => Bytes::new(),
    };
    b.body(Full::new(bytes))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

/// Serves one request. Never panics on input; every failure is an error
/// body. The handler runs on the blocking pool (it may generate keys or
/// wait for a commit); a panic in it answers 500 and changes nothing.
pub async fn serve<B>(shared: Arc<Shared>, req: Request<B>) -> Outcome
where
    B: hyper::body::Body<Data = Bytes> + Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = req.headers().get("x-ms-client-request-id").cloned();
    let authority = req
        .headers()
        .get(hyper::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".to_owned());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();

    if !authorised(&req, shared.token.as_deref()) {
        let err = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "AKV10000: Request is missing a Bearer or PoP token.",
        );
        let mut resp = json_response(err.status, Some(&err.body()));
        if let Ok(v) = HeaderValue::from_str(&www_authenticate(&authority)) {
            resp.headers_mut()
                .insert(hyper::header::WWW_AUTHENTICATE, v);
        }
        tracing::debug!(%method, %path, "401 challenge");
        return Outcome::Answer(finish(resp, &request_id, client_request_id.as_ref()));
    }

    let fault = match &shared.faults {
        Some(f) => f.decide().await,
        None => Fault::None,
    };
    match fault {
        Fault::Throttle(resp) => {
            tracing::info!(%method, %path, status = resp.status().as_u16(), "fault: throttled");
            return Outcome::Answer(finish(resp, &request_id, client_request_id.as_ref()));
        }
        Fault::ResetBefore => {
            tracing::info!(%method, %path, "fault: connection dropped before the operation");
            return Outcome::Drop;
        }
        Fault::ResetAfter | Fault::None => {}
    }

    let read = tokio::time::timeout(
        shared.body_read_timeout,
        Limited::new(req.into_body(), MAX_BODY).collect(),
    )
    .await;
    let body = match read {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(_)) => {
            let err = ApiError::bad_parameter(format!(
                "The request body is larger than {MAX_BODY} bytes, or could not be read."
            ));
            return Outcome::Answer(finish(
                json_response(err.status, Some(&err.body())),
                &request_id,
                client_request_id.as_ref(),
            ));
        }
        Err(_) => {
            let err = ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "RequestTimeout",
                format!(
                    "The request body did not arrive within {} ms.",
                    shared.body_read_timeout.as_millis()
                ),
            );
            let mut resp = json_response(err.status, Some(&err.body()));
            resp.headers_mut()
                .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
            return Outcome::Answer(finish(resp, &request_id, client_request_id.as_ref()));
        }
    };
    let api_version = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("api-version"))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| DEFAULT_API_VERSION.to_owned());
    let ctx = Ctx {
        authority,
        api_version,
    };
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(|s| {
            url::form_urlencoded::parse(s.as_bytes())
                .map(|(k, v)| {
                    if v.is_empty() {
                        k.into_owned()
                    } else {
                        format!("{k}={v}")
                    }
                })
                .collect::<String>()
        })
        .collect();
    let handler = {
        let (method, shared) = (method.clone(), shared.clone());
        tokio::task::spawn_blocking(move || {
            let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
            dispatch(&shared, &ctx, &method, &segs, &query, &body)
        })
    };
    let result = handler.await.unwrap_or_else(|_| {
        // The vault's records are swapped whole after their commit, so a
        // panic cannot leave them half-changed or any lock unusable.
        tracing::error!(%method, %path, "the handler panicked");
        Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "An internal error interrupted the request.",
        ))
    });
    if matches!(fault, Fault::ResetAfter) {
        tracing::info!(%method, %path, "fault: connection dropped after the operation");
        return Outcome::Drop;
    }
    let resp = match result {
        Ok((status, body)) => json_response(status, body.as_ref()),
        Err(e) => {
            tracing::debug!(%method, %path, status = e.status.as_u16(), code = e.code, "error");
            json_response(e.status, Some(&e.body()))
        }
    };
    tracing::info!(%method, %path, status = resp.status().as_u16(), "request");
    Outcome::Answer(finish(resp, &request_id, client_request_id.as_ref()))
}

fn parse_body<T: DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    if body.is_empty() {
        return Err(ApiError::bad_parameter("The request body is required."));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_parameter(format!("The request body is not valid: {e}")))
}

/// Generates a key (CPU-heavy for RSA; the caller is on the blocking pool
/// and holds no lock).
fn generate(shared: &Shared, spec: &keyvault_crypto::KeySpec) -> ApiResult<JsonWebKey> {
    let fresh =
        || keyvault_crypto::generate(spec).map_err(|e| ApiError::bad_parameter(e.to_string()));
    let Some(memo) = &shared.key_memo else {
        return fresh();
    };
    let id = format!("{spec:?}");
    if let Some(jwk) = memo.lock().unwrap_or_else(|e| e.into_inner()).get(&id) {
        return Ok(jwk.clone());
    }
    let jwk = fresh()?;
    memo.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, jwk.clone());
    Ok(jwk)
}

fn vault(shared: &Shared) -> &Vault {
    &shared.vault
}

fn method_not_allowed(method: &Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "BadParameter",
        format!("Method {method} is not allowed on this path."),
    )
}

fn dispatch(
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
                    let p = crate::byok::resolve(&vault(shared).read(), name, p)?;
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
            json_answer(&vault(shared).read().backup(segs[1])?)
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
        ["keys", _, _, op] => {
            let (name, version) = (segs[1], segs[2]);
            match (method.clone(), *op) {
                (Method::GET, "attestation") => {
                    json_answer(&vault(shared).read().attestation(ctx, name, version)?)
                }
                (Method::POST, "encrypt" | "decrypt" | "wrapkey" | "unwrapkey") => {
                    crypto_op(shared, ctx, name, version, op, body)
                }
                (Method::POST, "sign") => sign(shared, ctx, name, version, body),
                (Method::POST, "verify") => verify(shared, ctx, name, version, body),
                (Method::POST, "release") => release(shared, ctx, name, version, body),
                (
                    _,
                    "attestation" | "encrypt" | "decrypt" | "wrapkey" | "unwrapkey" | "sign"
                    | "verify" | "release",
                ) => Err(method_not_allowed(method)),
                _ => Err(not_found_route(segs)),
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

fn not_found_route(segs: &[&str]) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("No keys operation at /{}.", segs.join("/")),
    )
}

fn post(method: &Method, f: impl FnOnce() -> ApiResult<Answer>) -> ApiResult<Answer> {
    if *method == Method::POST {
        f()
    } else {
        Err(method_not_allowed(method))
    }
}

/// Continuation tokens of the key lists: the lowercased name of the last key
/// of the page (a position, so a page is a range scan and changes between
/// pages neither skip nor repeat a key).
const AFTER: &str = "after:";
/// Continuation tokens of a key's versions: an offset into creation order.
const OFFSET: &str = "offset:";

/// `maxresults` (1–25, default 25) and the decoded `$skiptoken` of a list
/// request, whose token must carry `kind`.
fn paging(query: &[(String, String)], kind: &str) -> ApiResult<(usize, Option<String>)> {
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
fn next_link(ctx: &Ctx, path: &str, kind: &str, position: &str, max: usize) -> String {
    let token = b64::encode(format!("{kind}{position}").as_bytes());
    // The api-version is the caller's text: escaped, so it adds no pairs.
    let api_version: String =
        url::form_urlencoded::byte_serialize(ctx.api_version.as_bytes()).collect();
    format!(
        "{}{path}?api-version={api_version}&$skiptoken={token}&maxresults={max}",
        ctx.base(),
    )
}

fn decode_field(name: &str, v: Option<&str>) -> ApiResult<Option<Vec<u8>>> {
    v.map(|s| {
        b64::decode(s).map_err(|e| ApiError::bad_parameter(format!("{name} is not base64url: {e}")))
    })
    .transpose()
}

fn result_kid(ctx: &Ctx, name_version: &str) -> String {
    format!("{}/keys/{name_version}", ctx.base())
}

/// Errors of decrypt and unwrap that depend on the ciphertext all read the
/// same, so a caller cannot tell padding from tag from key failures.
fn crypto_error(e: CryptoError, secret_dependent: bool) -> ApiError {
    match e {
        CryptoError::OperationNotPermitted { .. } => {
            ApiError::forbidden(e.to_string(), "KeyOperationForbidden")
        }
        CryptoError::AlgorithmMismatch { .. } | CryptoError::UnsupportedAlgorithm { .. } => {
            ApiError::bad_parameter(e.to_string())
        }
        _ if secret_dependent => ApiError::bad_parameter(
            "Decryption failed: the ciphertext, IV, tag or additional data does not fit this key.",
        ),
        other => ApiError::bad_parameter(other.to_string()),
    }
}

fn crypto_op(
    shared: &Shared,
    ctx: &Ctx,
    name: &str,
    version: &str,
    op: &str,
    body: &Bytes,
) -> ApiResult<Answer> {
    let p: types::KeyOperationsParameters = parse_body(body)?;
    let wire_op = match op {
        "wrapkey" => "wrapKey",
        "unwrapkey" => "unwrapKey",
        other => other,
    };
    let value = decode_field("value", Some(p.value.expose_secret()))?.unwrap_or_default();
    let iv = decode_field("iv", p.iv.as_deref())?;
    let aad = decode_field("aad", p.aad.as_deref())?;
    let tag = decode_field("tag", p.tag.as_deref())?;
    let alg = p.alg.as_str().to_owned();
    if vault(shared).read().flavor() == Flavor::Vault
        && (alg.starts_with("CKM_") || alg.contains("KWPAD"))
    {
        return Err(ApiError::not_supported(format!(
            "Algorithm {alg} is available on a Managed HSM only."
        )));
    }
    let (name_version, key) = vault(shared).usable_key(name, version, wire_op)?;
    let kid = Some(result_kid(ctx, &name_version));
    let result = match op {
        "encrypt" => {
            let mut params = EncryptParameters::new(p.alg.clone(), value);
            params.additional_authenticated_data = aad;
            // The service makes the GCM IV itself; a CBC IV may be given.
            if !alg.contains("GCM") {
                params.iv = iv;
            }
            let r = key.encrypt(&params).map_err(|e| crypto_error(e, false))?;
            types::KeyOperationResult {
                kid,
                value: Some(b64::encode(&r.ciphertext).into()),
                iv: r.iv.as_deref().map(b64::encode),
                tag: r.authentication_tag.as_deref().map(b64::encode),
                aad: r.additional_authenticated_data.as_deref().map(b64::encode),
                extra: Default::default(),
            }
        }
        "decrypt" => {
            let mut params = DecryptParameters::new(p.alg.clone(), value);
            params.iv = iv;
            params.additional_authenticated_data = aad;
            params.authentication_tag = tag;
            let r = key.decrypt(&params).map_err(|e| crypto_error(e, true))?;
            types::KeyOperationResult {
                kid,
                value: Some(b64::encode(&r.plaintext).into()),
                iv: None,
                tag: None,
                aad: None,
                extra: Default::default(),
            }
        }
        "wrapkey" => {
            let r = key
                .wrap_key(&p.alg, &value)
                .map_err(|e| crypto_error(e, false))?;
            types::KeyOperationResult {
                kid,
                value: Some(b64::encode(&r.encrypted_key).into()),
                iv: None,
                tag: None,
                aad: None,
                extra: Default::default(),
            }
        }
        _ => {
            let r = key
                .unwrap_key(&p.alg, &value)
                .map_err(|e| crypto_error(e, true))?;
            types::KeyOperationResult {
                kid,
                value: Some(b64::encode(r.key.expose()).into()),
                iv: None,
                tag: None,
                aad: None,
                extra: Default::default(),
            }
        }
    };
    json_answer(&result)
}

fn sign(shared: &Shared, ctx: &Ctx, name: &str, version: &str, body: &Bytes) -> ApiResult<Answer> {
    let p: types::KeySignParameters = parse_body(body)?;
    let digest = decode_field("value", Some(&p.value))?.unwrap_or_default();
    let (name_version, key) = vault(shared).usable_key(name, version, "sign")?;
    let r = key
        .sign(&p.alg, &digest)
        .map_err(|e| crypto_error(e, false))?;
    json_answer(&types::KeyOperationResult {
        kid: Some(result_kid(ctx, &name_version)),
        value: Some(b64::encode(&r.signature).into()),
        iv: None,
        tag: None,
        aad: None,
        extra: Default::default(),
    })
}

fn verify(
    shared: &Shared,
    _ctx: &Ctx,
    name: &str,
    version: &str,
    body: &Bytes,
) -> ApiResult<Answer> {
    let p: types::KeyVerifyParameters = parse_body(body)?;
    let digest = decode_field("digest", Some(&p.digest))?.unwrap_or_default();
    let signature = decode_field("value", Some(&p.value))?.unwrap_or_default();
    let (_, key) = vault(shared).usable_key(name, version, "verify")?;
    let r = key
        .verify(&p.alg, &digest, &signature)
        .map_err(|e| crypto_error(e, false))?;
    json_answer(&types::KeyVerifyResult {
        value: Some(r.is_valid),
        extra: Default::default(),
    })
}

fn random_bytes(shared: &Shared, body: &Bytes) -> ApiResult<Answer> {
    if vault(shared).read().flavor() == Flavor::Vault {
        return Err(ApiError::not_supported(
            "Random bytes are available from a Managed HSM only.",
        ));
    }
    let p: Value = parse_body(body)?;
    let count = p["count"]
        .as_i64()
        .ok_or_else(|| ApiError::bad_parameter("count is required and must be an integer."))?;
    if !(1..=128).contains(&count) {
        return Err(ApiError::bad_parameter(format!(
            "count must be from 1 to 128, not {count}."
        )));
    }
    let bytes = keyvault_crypto::random_bytes(count as usize)
        .map_err(|e| ApiError::bad_parameter(e.to_string()))?;
    json_answer(&types::RandomBytes {
        value: b64::encode(&bytes).into(),
        extra: Default::default(),
    })
}

fn release(
    shared: &Shared,
    ctx: &Ctx,
    name: &str,
    version: &str,
    body: &Bytes,
) -> ApiResult<Answer> {
    let params: types::KeyReleaseParameters = parse_body(body)?;
    let (record, bundle) = {
        let keys = vault(shared).read();
        let (stored_name, record) = keys.version_record(name, version)?;
        let bundle = keys.bundle(ctx, &stored_name, &record);
        (record, bundle)
    };
    let result = crate::release::release(crate::release::ReleaseInput {
        ctx,
        version: &record,
        bundle,
        params,
        trusted: &shared.trusted,
        signing_key: &shared.signing_key,
    })?;
    json_answer(&result)
}

#[cfg(test)]
mod tests {
    use super::challenge_resource;

    #[test]
    fn resource_drops_the_first_label_and_keeps_the_port() {
        assert_eq!(
            challenge_resource("vault.localhost:8443"),
            "https://localhost:8443"
        );
        assert_eq!(
            challenge_resource("myvault.vault.azure.net"),
            "https://vault.azure.net"
        );
        assert_eq!(
            challenge_resource("localhost:8443"),
            "https://localhost:8443"
        );
        assert_eq!(
            challenge_resource("127.0.0.1:8443"),
            "https://127.0.0.1:8443"
        );
        assert_eq!(challenge_resource("[::1]:8443"), "https://[::1]:8443");
    }
}
