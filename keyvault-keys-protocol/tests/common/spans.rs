//! A `tracing-subscriber` layer that keeps every span: its name, its
//! parent, and its fields as recorded (at creation and later).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tracing::Subscriber;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// A span as the layer saw it.
#[derive(Clone, Debug)]
pub struct SpanRecord {
    pub name: String,
    /// The index of the parent span in [`Spans::all`].
    pub parent: Option<usize>,
    pub fields: BTreeMap<String, String>,
    id: u64,
    closed: bool,
}

impl SpanRecord {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// The layer, and what it kept.
#[derive(Clone, Default)]
pub struct Spans(Arc<Mutex<Vec<SpanRecord>>>);

impl Spans {
    /// Captures the spans of this thread's code until the guard is dropped.
    ///
    /// One subscriber is installed for the whole process, and it hands each
    /// span to the capture of the thread that made it. A subscriber per
    /// capture (`tracing::subscriber::set_default`) lost whole captures
    /// now and then when tests ran in parallel: a callsite first reached
    /// on another thread while a capture's subscriber was being registered
    /// kept the interest computed without it, so its spans went nowhere
    /// (CI saw `no method span in []`). With one global subscriber that
    /// wants every span, and the interest cache rebuilt after it is in
    /// place, no callsite can be left out.
    pub fn capture() -> (Self, CaptureGuard) {
        use tracing_subscriber::layer::SubscriberExt as _;
        static INSTALLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        let installed = *INSTALLED.get_or_init(|| {
            tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Router))
                .is_ok()
        });
        assert!(
            installed,
            "another global subscriber is set in this test process"
        );
        tracing::callsite::rebuild_interest_cache();
        let spans = Spans::default();
        let previous = CURRENT.with(|c| c.replace(Some(spans.clone())));
        (spans, CaptureGuard { previous })
    }

    /// Every span, in the order they were opened.
    pub fn all(&self) -> Vec<SpanRecord> {
        self.0.lock().expect("lock").clone()
    }

    /// The SDK's spans (those with `az.namespace`), with their indices in
    /// [`Self::all`].
    pub fn sdk(&self) -> Vec<(usize, SpanRecord)> {
        self.all()
            .into_iter()
            .enumerate()
            .filter(|(_, s)| s.fields.contains_key("az.namespace"))
            .collect()
    }
}

struct Visitor<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Visitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

thread_local! {
    /// The capture of this thread, if one is running.
    static CURRENT: std::cell::RefCell<Option<Spans>> = const { std::cell::RefCell::new(None) };
}

/// Ends a capture when dropped (the thread's earlier capture, if any, is
/// the current one again).
pub struct CaptureGuard {
    previous: Option<Spans>,
}

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // `try_with`: nothing to restore once the thread is being torn down.
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
}

/// The process-wide layer: each span goes to the capture of the thread
/// that opened, recorded or closed it.
struct Router;

fn current() -> Option<Spans> {
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Router {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if let Some(spans) = current() {
            <Spans as tracing_subscriber::Layer<S>>::on_new_span(&spans, attrs, id, ctx);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(spans) = current() {
            <Spans as tracing_subscriber::Layer<S>>::on_record(&spans, id, values, ctx);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(spans) = current() {
            <Spans as tracing_subscriber::Layer<S>>::on_close(&spans, id, ctx);
        }
    }
}

fn open_index(spans: &[SpanRecord], id: u64) -> Option<usize> {
    spans.iter().rposition(|s| s.id == id && !s.closed)
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Spans {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let parent_id = match attrs.parent() {
            Some(p) => Some(p.into_u64()),
            None if attrs.is_contextual() => ctx.current_span().id().map(Id::into_u64),
            None => None,
        };
        let mut fields = BTreeMap::new();
        attrs.record(&mut Visitor(&mut fields));
        let mut spans = self.0.lock().expect("lock");
        let parent = parent_id.and_then(|p| open_index(&spans, p));
        spans.push(SpanRecord {
            name: attrs.metadata().name().to_owned(),
            parent,
            fields,
            id: id.into_u64(),
            closed: false,
        });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut spans = self.0.lock().expect("lock");
        if let Some(i) = open_index(&spans, id.into_u64()) {
            values.record(&mut Visitor(&mut spans[i].fields));
        }
    }

    fn on_close(&self, id: Id, _ctx: Context<'_, S>) {
        let mut spans = self.0.lock().expect("lock");
        if let Some(i) = open_index(&spans, id.into_u64()) {
            spans[i].closed = true;
        }
    }
}
