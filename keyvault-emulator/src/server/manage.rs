//! The management API, under `/_emulator/` on the service's listener (key
//! names have no `_`, so it never collides with a key): vaults, the clock,
//! events and the whole state, JSON in and out, for tests in any language.
//! It needs a token with every permission; a refusal changes nothing and
//! names the field at fault.

use bytes::Bytes;
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::estate::VaultOptions;
use super::{Answer, Shared, generate, json_answer, method_not_allowed};
use crate::access::Access;
use crate::api_error::{ApiError, ApiResult};
use crate::state::{Ctx, Vault};

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_parameter(message)
}

fn body_of<'a, T: Deserialize<'a>>(body: &'a Bytes, what: &str) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| bad(format!("The {what} body is not valid: {e}")))
}

/// A vault as the management API shows it.
pub(super) fn vault_json(v: &Vault) -> Value {
    json!({
        "name": v.name,
        "url": v.url,
        "flavor": match v.settings.flavor {
            crate::Flavor::ManagedHsm => "managed-hsm",
            crate::Flavor::Vault => "vault",
            crate::Flavor::Any => "any",
        },
        "retentionDays": v.settings.retention_days,
        "purgeProtection": v.settings.purge_protection,
        "maxApiVersion": v.settings.max_api_version.as_str(),
    })
}

/// `{"advance": "P30D"}` or `{"set": "2027-01-01T00:00:00Z"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockMove {
    advance: Option<String>,
    set: Option<String>,
}

pub(super) fn handle(
    shared: &Shared,
    ctx: &Ctx,
    method: &Method,
    segs: &[&str],
    query: &[(String, String)],
    body: &Bytes,
) -> ApiResult<Answer> {
    if ctx.access != Access::Full {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "The emulator's management API needs a token with every permission.",
        ));
    }
    match segs {
        ["_emulator", "vaults"] => match *method {
            Method::GET => {
                let list: Vec<Value> = shared.estate.all().iter().map(|v| vault_json(v)).collect();
                json_answer(&json!({ "value": list }))
            }
            Method::POST => {
                let options: VaultOptions = body_of(body, "vault")?;
                let v = shared.estate.add(options).map_err(bad)?;
                let (_, bytes) = json_answer(&vault_json(&v))?;
                Ok((StatusCode::CREATED, bytes))
            }
            _ => Err(method_not_allowed(method)),
        },
        ["_emulator", "vaults", name] => match *method {
            Method::GET => match shared.estate.by_name(name) {
                Some(v) => json_answer(&vault_json(&v)),
                None => Err(no_vault(name)),
            },
            Method::DELETE => {
                if shared.estate.remove(name).map_err(bad)? {
                    Ok((StatusCode::NO_CONTENT, None))
                } else {
                    Err(no_vault(name))
                }
            }
            _ => Err(method_not_allowed(method)),
        },
        ["_emulator", "clock"] => match *method {
            Method::GET => json_answer(&clock_json(shared, None)),
            Method::POST => {
                let m: ClockMove = body_of(body, "clock")?;
                let now = match (m.advance, m.set) {
                    (Some(d), None) => {
                        let d = keyvault_keys_types::duration::IsoDuration::parse(&d)
                            .map_err(|e| bad(format!("advance: {e}")))?;
                        let now = shared.clock.now();
                        let to = d
                            .checked_add_to(now)
                            .map_err(|e| bad(format!("advance: {e}")))?;
                        shared
                            .clock
                            .set(to.max(now))
                            .map_err(|e| bad(format!("advance: {e}")))?
                    }
                    (None, Some(t)) => {
                        let t = time::OffsetDateTime::parse(
                            &t,
                            &time::format_description::well_known::Rfc3339,
                        )
                        .map_err(|e| bad(format!("set: {t:?} is not an RFC 3339 time ({e})")))?;
                        shared
                            .clock
                            .set(t.unix_timestamp())
                            .map_err(|e| bad(format!("set: {e}")))?
                    }
                    _ => {
                        return Err(bad(
                            "The clock body has exactly one of advance (an ISO 8601 duration such as P30D) and set (an RFC 3339 time).",
                        ));
                    }
                };
                let ran = run_due_everywhere(shared, now.saturating_mul(1000))?;
                json_answer(&clock_json(shared, Some(ran)))
            }
            _ => Err(method_not_allowed(method)),
        },
        ["_emulator", "events"] => match *method {
            Method::GET => {
                let since = query
                    .iter()
                    .find(|(k, _)| k == "since")
                    .map(|(_, v)| v.as_str());
                json_answer(&json!({ "value": shared.events.since(since) }))
            }
            _ => Err(method_not_allowed(method)),
        },
        ["_emulator", "state"] => match *method {
            Method::GET => json_answer(&crate::state_doc::export(shared)?),
            Method::PUT => {
                crate::state_doc::import(shared, body)?;
                json_answer(&crate::state_doc::export_summary(shared))
            }
            _ => Err(method_not_allowed(method)),
        },
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!(
                "No management operation at /{}; see /_emulator/vaults, /_emulator/clock, /_emulator/events and /_emulator/state.",
                segs.join("/")
            ),
        )),
    }
}

fn no_vault(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "VaultNotFound",
        format!("No vault is named {name:?}."),
    )
}

/// Runs what is due by `now_ms` in every vault; how many keys it touched.
pub(crate) fn run_due_everywhere(shared: &Shared, now_ms: i64) -> ApiResult<usize> {
    let mut ran = 0;
    for v in shared.estate.all() {
        ran += v.run_due(now_ms, &mut |spec| generate(shared, spec))?;
    }
    Ok(ran)
}

fn clock_json(shared: &Shared, ran: Option<usize>) -> Value {
    let now = shared.clock.now();
    let text = time::OffsetDateTime::from_unix_timestamp(now)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default();
    let mut v = json!({
        "now": text,
        "unix": now,
        "offsetSeconds": shared.clock.offset_seconds(),
    });
    if let Some(ran) = ran {
        v["keysChanged"] = json!(ran);
    }
    v
}
