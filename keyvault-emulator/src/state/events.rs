//! The Event Grid events the service publishes for keys, recorded with the
//! emulator's time: `Microsoft.KeyVault.KeyNewVersionCreated`,
//! `KeyNearExpiry` and `KeyExpired`, in the Event Grid schema.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use serde_json::{Value, json};

/// The most events kept (the oldest are dropped first).
pub const MAX_EVENTS: usize = 10_000;

/// What happened to a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A version was created (create, import, rotate, automatic rotation).
    NewVersionCreated,
    /// The current version's expiry is near (a Notify action's
    /// `timeBeforeExpiry`, 30 days by default).
    NearExpiry,
    /// The current version expired.
    Expired,
}

impl EventKind {
    /// The Event Grid event type.
    pub fn event_type(self) -> &'static str {
        match self {
            EventKind::NewVersionCreated => "Microsoft.KeyVault.KeyNewVersionCreated",
            EventKind::NearExpiry => "Microsoft.KeyVault.KeyNearExpiry",
            EventKind::Expired => "Microsoft.KeyVault.KeyExpired",
        }
    }
}

/// An event a change publishes once it is committed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyEvent {
    pub kind: EventKind,
    /// The key's name.
    pub name: String,
    pub version: String,
    pub nbf: Option<i64>,
    pub exp: Option<i64>,
    /// When it happened (emulated Unix seconds).
    pub time: i64,
}

impl KeyEvent {
    /// The event in the Event Grid schema, for the vault `vault` at `url`.
    pub fn to_event_grid(&self, vault: &str, url: &str) -> Value {
        let event_time = time::OffsetDateTime::from_unix_timestamp(self.time)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
        json!({
            "id": uuid::Uuid::new_v4().to_string(),
            "topic": format!(
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/keyvault-emulator/providers/Microsoft.KeyVault/vaults/{vault}"
            ),
            "subject": self.name,
            "eventType": self.kind.event_type(),
            "eventTime": event_time,
            "data": {
                "Id": keyvault_keys_types::key_id(url, &self.name, Some(&self.version)),
                "VaultName": vault,
                "ObjectType": "Key",
                "ObjectName": self.name,
                "Version": self.version,
                "NBF": self.nbf,
                "EXP": self.exp,
            },
            "dataVersion": "1",
            "metadataVersion": "1",
        })
    }
}

/// The events recorded so far (every vault's), oldest first, bounded.
#[derive(Default)]
pub struct EventLog {
    events: Mutex<VecDeque<Value>>,
    /// Where new events go as they are recorded (the webhook task), if
    /// anywhere.
    sink: Mutex<Option<tokio::sync::mpsc::UnboundedSender<Vec<Value>>>>,
}

impl EventLog {
    /// Sends every batch of new events to `sink` too.
    pub fn set_sink(&self, sink: tokio::sync::mpsc::UnboundedSender<Vec<Value>>) {
        *self.sink.lock().unwrap_or_else(PoisonError::into_inner) = Some(sink);
    }

    /// Records events (in the order given).
    pub fn record(&self, batch: Vec<Value>) {
        if batch.is_empty() {
            return;
        }
        {
            let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
            for e in &batch {
                if events.len() == MAX_EVENTS {
                    events.pop_front();
                }
                events.push_back(e.clone());
            }
        }
        if let Some(sink) = self
            .sink
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            let _ = sink.send(batch);
        }
    }

    /// The events after the one whose id is `since` (all when `None`, or
    /// when that event is no longer kept).
    pub fn since(&self, since: Option<&str>) -> Vec<Value> {
        let events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        let start = since
            .and_then(|id| events.iter().position(|e| e["id"] == id))
            .map_or(0, |i| i + 1);
        events.iter().skip(start).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_have_the_event_grid_shape_and_are_listed_after_an_id() {
        let e = KeyEvent {
            kind: EventKind::NearExpiry,
            name: "k".into(),
            version: "abc".into(),
            nbf: None,
            exp: Some(1_800_000_000),
            time: 1_797_408_000,
        };
        let v = e.to_event_grid("myvault", "https://myvault.vault.localhost:8443");
        assert_eq!(v["eventType"], "Microsoft.KeyVault.KeyNearExpiry");
        assert_eq!(v["subject"], "k");
        assert_eq!(
            v["data"]["Id"],
            "https://myvault.vault.localhost:8443/keys/k/abc"
        );
        assert_eq!(v["data"]["EXP"], 1_800_000_000_i64);
        assert_eq!(v["data"]["NBF"], Value::Null);
        assert_eq!(v["eventTime"], "2026-12-16T08:00:00Z");
        let log = EventLog::default();
        let (a, b) = (v.clone(), e.to_event_grid("myvault", "u"));
        log.record(vec![a.clone(), b.clone()]);
        assert_eq!(log.since(None).len(), 2);
        assert_eq!(log.since(a["id"].as_str()), vec![b]);
        assert_eq!(log.since(Some("unknown")).len(), 2);
    }
}
