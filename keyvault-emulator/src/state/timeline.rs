//! What the clock makes happen, as the service does it: a soft-deleted key
//! whose retention ran out is purged; a key whose rotation policy says
//! `Rotate` gets a new version when its trigger comes (as `rotate` makes
//! one, once per trigger, in order); the current version's near expiry (a
//! `Notify` action's `timeBeforeExpiry`, 30 days by default) and expiry
//! publish `KeyNearExpiry` and `KeyExpired`.

use keyvault_crypto::{JsonWebKey, KeySpec};
use keyvault_keys_types::duration::IsoDuration;

use super::records::{KeyRecord, PendingKind, VersionRecord};
use super::rotation::{rotated_version, spec_of};
use super::rules::MAX_VERSIONS;
use super::{Change, EventKind, KeyEvent, Keys};
use crate::api_error::ApiResult;

/// Something due for a key at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Due {
    /// A deletion, recovery or purge under way completes.
    Complete,
    Purge,
    Rotate,
    NearExpiry,
    Expired,
}

fn duration(text: Option<&str>) -> Option<IsoDuration> {
    text.and_then(|t| IsoDuration::parse(t).ok())
}

/// `t` minus a duration (calendar months and years), if it fits.
fn before(t: i64, d: &IsoDuration) -> Option<i64> {
    IsoDuration {
        years: d.years.checked_neg()?,
        months: d.months.checked_neg()?,
        days: d.days.checked_neg()?,
        seconds: d.seconds.checked_neg()?,
    }
    .checked_add_to(t)
    .ok()
}

/// The policy's action of kind `kind` (`rotate` or `notify`, any case).
fn action<'a>(record: &'a KeyRecord, kind: &str) -> Option<&'a super::records::StoredTrigger> {
    record
        .rotation_policy
        .as_ref()?
        .lifetime_actions
        .iter()
        .find(|a| {
            a.action
                .as_ref()
                .and_then(|x| x.type_.as_ref())
                .is_some_and(|t| t.as_str().eq_ignore_ascii_case(kind))
        })
        .and_then(|a| a.trigger.as_ref())
}

/// When the automatic rotation of `record` is due, if its policy has one.
fn rotation_due(record: &KeyRecord, latest: &VersionRecord) -> Option<i64> {
    let trigger = action(record, "rotate")?;
    if let Some(after) = duration(trigger.time_after_create.as_deref()) {
        return after.checked_add_to(latest.created).ok();
    }
    let before_expiry = duration(trigger.time_before_expiry.as_deref())?;
    before(latest.exp?, &before_expiry)
}

/// When the near-expiry notice of the current version is due: the Notify
/// action's `timeBeforeExpiry`, else 30 days before `exp`.
fn near_expiry_due(record: &KeyRecord, latest: &VersionRecord) -> Option<i64> {
    let exp = latest.exp?;
    let notify = action(record, "notify")
        .and_then(|t| duration(t.time_before_expiry.as_deref()))
        .unwrap_or(IsoDuration {
            years: 0,
            months: 0,
            days: 30,
            seconds: 0,
        });
    before(exp, &notify).map(|t| t.max(latest.created))
}

fn ms(seconds: i64) -> i64 {
    seconds.saturating_mul(1000)
}

/// The earliest thing due for `record`, and when (Unix milliseconds).
fn next_due(record: &KeyRecord) -> Option<(i64, Due)> {
    if let Some(p) = &record.pending {
        return Some((p.until_ms, Due::Complete));
    }
    if let Some(d) = &record.deleted {
        return Some((ms(d.scheduled_purge_date), Due::Purge));
    }
    let latest = record.versions.last()?;
    let mut due: Vec<(i64, Due)> = Vec::new();
    if record.versions.len() < MAX_VERSIONS
        && let Some(t) = rotation_due(record, latest)
    {
        due.push((t, Due::Rotate));
    }
    if let Some(exp) = latest.exp.filter(|e| *e > latest.created) {
        if !latest.notified_near_expiry
            && let Some(t) = near_expiry_due(record, latest)
        {
            due.push((t, Due::NearExpiry));
        }
        if !latest.notified_expired {
            due.push((exp, Due::Expired));
        }
    }
    // Notices before a rotation at the same moment: they are about the
    // version the rotation replaces.
    due.into_iter()
        .map(|(t, d)| (ms(t), d))
        .min_by_key(|(t, d)| (*t, *d == Due::Rotate))
}

/// When anything is next due for `record`, in Unix milliseconds
/// (`i64::MAX` when nothing is).
pub(crate) fn due_time(record: &KeyRecord) -> i64 {
    next_due(record).map_or(i64::MAX, |(t, _)| t)
}

/// The most steps one key takes in one pass (a bound on the loop: each
/// rotation adds a version, and a key has at most [`MAX_VERSIONS`]).
const MAX_STEPS: usize = 2 * MAX_VERSIONS + 4;

impl Keys {
    /// The lowercased names of the keys with something due by `now_ms`.
    pub fn due_by(&self, now_ms: i64) -> Vec<String> {
        self.keys
            .iter()
            .filter(|(_, r)| due_time(r) <= now_ms)
            .map(|(lower, _)| lower.clone())
            .collect()
    }

    /// When anything is next due in the vault, in Unix milliseconds
    /// (`i64::MAX` when nothing is).
    pub fn next_due_time(&self) -> i64 {
        self.keys.values().map(due_time).min().unwrap_or(i64::MAX)
    }

    /// Plans everything due for the key `lower` up to `now_ms`, in time order,
    /// each at its own time: purges, rotations (with keys from `generate`),
    /// and the expiry notices. The change's events say what happened.
    pub fn plan_due(
        &self,
        lower: &str,
        now_ms: i64,
        generate: &mut dyn FnMut(&KeySpec) -> ApiResult<JsonWebKey>,
    ) -> ApiResult<Change<()>> {
        let mut record = self.keys.get(lower).cloned();
        let mut events = Vec::new();
        for _ in 0..MAX_STEPS {
            let Some(r) = record.as_mut() else { break };
            let Some((t_ms, due)) = next_due(r).filter(|(t, _)| *t <= now_ms) else {
                break;
            };
            let t = t_ms.div_euclid(1000);
            match due {
                Due::Complete => {
                    if r.pending.take().map(|p| p.kind) == Some(PendingKind::Purging) {
                        record = None;
                    }
                }
                Due::Purge => record = None,
                Due::Rotate => {
                    let jwk = generate(&spec_of(r.latest()?))?;
                    let v = rotated_version(r, jwk, t)?;
                    events.push(event(EventKind::NewVersionCreated, r, &v, t));
                    r.versions.push(v);
                }
                Due::NearExpiry | Due::Expired => {
                    let Some(v) = r.versions.last_mut() else {
                        break;
                    };
                    let kind = if due == Due::NearExpiry {
                        v.notified_near_expiry = true;
                        EventKind::NearExpiry
                    } else {
                        v.notified_expired = true;
                        EventKind::Expired
                    };
                    let v = v.clone();
                    events.push(event(kind, r, &v, t));
                }
            }
        }
        Ok(Change {
            lower: lower.to_owned(),
            record,
            answer: (),
            events,
        })
    }
}

fn event(kind: EventKind, record: &KeyRecord, v: &VersionRecord, time: i64) -> KeyEvent {
    KeyEvent {
        kind,
        name: record.name.clone(),
        version: v.version.clone(),
        nbf: v.nbf,
        exp: v.exp,
        time,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{apply, create, ctx, keys, len};
    use crate::Flavor;
    use keyvault_keys_types::types;
    use serde_json::json;

    const DAY: i64 = 86_400;

    fn generate(
        spec: &keyvault_crypto::KeySpec,
    ) -> crate::api_error::ApiResult<keyvault_crypto::JsonWebKey> {
        Ok(keyvault_crypto::generate(spec).expect("generate"))
    }

    #[test]
    fn rotations_fire_in_order_each_at_its_trigger_and_notices_once() {
        let mut k = keys(Flavor::Any);
        create(&mut k, "r", json!({"kty": "EC"})).expect("create");
        let policy: types::KeyRotationPolicy = serde_json::from_value(json!({
            "lifetimeActions": [{"trigger": {"timeAfterCreate": "P30D"}, "action": {"type": "Rotate"}}],
            "attributes": {"expiryTime": "P90D"}
        }))
        .expect("policy");
        let planned = k.update_policy(&ctx(), "r", policy);
        apply(&mut k, planned).expect("policy");
        let created = k.version_record("r", "").expect("v").1.created;
        // A year later: a rotation every 30 days from each version's creation.
        let now = (created + 365 * DAY) * 1000;
        assert_eq!(k.due_by(now), ["r"]);
        let planned = k.plan_due("r", now, &mut generate);
        let change = planned.as_ref().expect("plan");
        let rotations: Vec<i64> = change
            .events
            .iter()
            .filter(|e| e.kind == super::EventKind::NewVersionCreated)
            .map(|e| e.time)
            .collect();
        assert_eq!(rotations.len(), 12);
        for (i, t) in rotations.iter().enumerate() {
            assert_eq!(*t, created + (i as i64 + 1) * 30 * DAY);
        }
        apply(&mut k, planned).expect("apply");
        let versions = k.list_versions(&ctx(), "r");
        assert_eq!(versions.len(), 13);
        let (_, latest) = k.version_record("r", "").expect("latest");
        assert_eq!(latest.exp, Some(latest.created + 90 * DAY));
        assert!(k.due_by(now).is_empty(), "nothing due twice");
    }

    #[test]
    fn expiry_notices_and_the_end_of_retention() {
        let mut k = keys(Flavor::Any);
        let t0 = crate::state::now();
        create(
            &mut k,
            "e",
            json!({"kty": "EC", "attributes": {"exp": t0 + 60 * DAY}}),
        )
        .expect("create");
        let planned = k.plan_due("e", (t0 + 31 * DAY) * 1000, &mut generate);
        let events = planned.as_ref().expect("plan").events.clone();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, super::EventKind::NearExpiry);
        assert_eq!(events[0].time, t0 + 30 * DAY);
        apply(&mut k, planned).expect("apply");
        let planned = k.plan_due("e", (t0 + 61 * DAY) * 1000, &mut generate);
        let events = planned.as_ref().expect("plan").events.clone();
        assert_eq!(
            events.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [super::EventKind::Expired]
        );
        apply(&mut k, planned).expect("apply");
        // Deleted, then purged when the retention (90 days) ends.
        let planned = k.delete(&ctx(), "e");
        let deleted = apply(&mut k, planned).expect("delete");
        let purge_at = deleted.scheduled_purge_date.expect("purge date");
        assert!(k.due_by(purge_at * 1000 - 1).is_empty());
        let planned = k.plan_due("e", purge_at * 1000, &mut generate);
        apply(&mut k, planned).expect("purge");
        assert_eq!(len(&k), 0);
    }
}
