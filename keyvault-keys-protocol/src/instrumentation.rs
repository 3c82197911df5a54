//! Distributed tracing as the Azure SDKs and OpenTelemetry tools expect it.
//!
//! Every call makes `tracing` spans that follow the Azure SDK
//! distributed-tracing conventions and the OpenTelemetry HTTP client
//! semantic conventions, with the field names `tracing-opentelemetry`
//! understands (`otel.name`, `otel.kind`, `otel.status_code`):
//!
//! - **a span per public method**, named `<Client>.<method>`
//!   (`KeyClient.get_key`, made by the layer that knows the name with
//!   [`public_api_span!`](crate::public_api_span) and [`in_public_api`]), of
//!   kind `internal` as in the official SDKs (the HTTP spans below are the
//!   `client` ones, so a tool counts one dependency call per request), with
//!   `az.namespace = "Microsoft.KeyVault"`, and on failure `error.type`
//!   (the status code, `"404"`, or the error's kind, `"Transport"`) and
//!   `otel.status_code = "ERROR"` (not for a 4xx: the caller's to judge).
//!   A generated method called directly has the same span, named after the
//!   protocol [`Client`](crate::Client)'s method (`Client.get_key`,
//!   `Client.nextLink` for a continuation page), in `otel.name` (its
//!   `tracing` name is `keyvault.operation`);
//! - **a span per HTTP exchange**, its child, named after the method
//!   (`GET`), of kind `client`: `http.request.method`, `url.full`,
//!   `server.address`, `server.port`, `az.namespace`,
//!   `az.client_request_id` (the same on every attempt),
//!   `http.request.resend_count` (from the second exchange of an operation
//!   on: a retry, or the request sent after the challenge probe),
//!   `http.response.status_code`, `az.service_request_id`
//!   (`x-ms-request-id`), and `error.type` for a 4xx or 5xx status or a
//!   transport failure.
//!
//! `url.full` is the request's URL without userinfo, and with the values of
//! query parameters other than `api-version` and `maxresults` replaced by
//! `REDACTED` (a continuation token stays out of traces). No header value
//! but the client request id is recorded, so no token can reach a span.
//!
//! When no subscriber wants the spans, nothing is formatted or allocated
//! for them: field values are recorded only on enabled spans.

use std::future::Future;

use tracing::Span;

/// The `az.namespace` of every span: the Azure resource provider.
pub const AZ_NAMESPACE: &str = "Microsoft.KeyVault";

tokio::task_local! {
    /// Set while a public method's span is open around the call.
    static IN_PUBLIC_API: ();
}

/// An error as `error.type` names it.
pub trait TracedError {
    /// The HTTP status of the service's answer, when the error is one.
    fn status_code(&self) -> Option<u16>;
    /// A short, low-cardinality name of what failed (`"Transport"`,
    /// `"Validation"`), for errors that are not a service answer.
    fn error_type(&self) -> &'static str;
}

impl TracedError for crate::Error {
    fn status_code(&self) -> Option<u16> {
        self.status().map(|s| s.as_u16())
    }
    fn error_type(&self) -> &'static str {
        use crate::Error as E;
        match self {
            E::Http(_) => "Http",
            E::Credential(_) => "Credential",
            E::InsecureTransport(_) => "InsecureTransport",
            E::Challenge(_) => "Challenge",
            E::ForeignOrigin { .. } => "ForeignOrigin",
            E::ForeignNextLink { .. } => "ForeignNextLink",
            E::InvalidRequest(_) => "InvalidRequest",
            E::Transport(_) => "Transport",
            E::OutcomeUnknown { .. } => "OutcomeUnknown",
            E::ResponseTooLarge { .. } => "ResponseTooLarge",
            E::RepeatedNextLink { .. } => "RepeatedNextLink",
            E::TooManyPages { .. } => "TooManyPages",
            E::InvalidResponse { .. } => "InvalidResponse",
        }
    }
}

/// Opens the span of a public method: `public_api_span!("KeyClient.get_key")`.
/// Run the method's future in it with [`in_public_api`].
#[macro_export]
macro_rules! public_api_span {
    ($name:literal) => {
        $crate::__private::tracing::info_span!(
            target: "keyvault",
            $name,
            otel.kind = "internal",
            az.namespace = $crate::instrumentation::AZ_NAMESPACE,
            "error.type" = $crate::__private::tracing::field::Empty,
            otel.status_code = $crate::__private::tracing::field::Empty,
        )
    };
}

/// Runs a public method's future inside its span, made by `span` with
/// [`public_api_span!`](crate::public_api_span), records `error.type` when
/// it fails, and tells the pipeline the method's span is open, so that the
/// HTTP exchanges are its direct children.
///
/// Inside another public method (`create_rsa_key` calls `create_key`) no
/// second span is made: the outermost method names the call, as the
/// official SDKs do. When no subscriber wants the span, this costs the
/// callsite's interest check and nothing else.
///
/// The future is wrapped, not copied into another state machine: the
/// method's future is as large as its body's (a deep call chain of
/// futures can overflow a thread's stack otherwise).
pub fn in_public_api<T, E, F>(
    span: impl FnOnce() -> Span,
    future: F,
) -> impl Future<Output = Result<T, E>>
where
    F: Future<Output = Result<T, E>>,
    E: TracedError,
{
    use futures::FutureExt as _;
    if inside_public_api() {
        return future.left_future();
    }
    let span = span();
    if span.is_disabled() {
        return future.left_future();
    }
    RecordFailure {
        inner: IN_PUBLIC_API.scope((), tracing::Instrument::instrument(future, span.clone())),
        span,
    }
    .right_future()
}

pin_project_lite::pin_project! {
    /// Records a failure on the method's span (not `FutureExt::map`, which
    /// writes its whole state over when it completes).
    struct RecordFailure<F> {
        #[pin]
        inner: F,
        span: Span,
    }
}

impl<T, E: TracedError, F: Future<Output = Result<T, E>>> Future for RecordFailure<F> {
    type Output = Result<T, E>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = self.project();
        let result = std::task::ready!(this.inner.poll(cx));
        if let Err(e) = &result {
            record_failure(this.span, e.status_code(), e.error_type());
        }
        std::task::Poll::Ready(result)
    }
}

/// Whether the future being polled runs inside a public method's span.
pub(crate) fn inside_public_api() -> bool {
    IN_PUBLIC_API.try_with(|_| ()).is_ok()
}

/// Records `error.type` (the status, else `kind`) and, but for a 4xx, the
/// error status.
pub(crate) fn record_failure(span: &Span, status: Option<u16>, kind: &str) {
    match status {
        Some(s) => span.record("error.type", s.to_string()),
        None => span.record("error.type", kind),
    };
    if !status.is_some_and(|s| (400..500).contains(&s)) {
        span.record("otel.status_code", "ERROR");
    }
}

/// `url.full` for a span: no userinfo, and query values other than the
/// api-version and page size replaced by `REDACTED`.
pub(crate) fn url_full(url: &url::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let keep =
                    k.eq_ignore_ascii_case("api-version") || k.eq_ignore_ascii_case("maxresults");
                (
                    k.into_owned(),
                    if keep {
                        v.into_owned()
                    } else {
                        "REDACTED".to_owned()
                    },
                )
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.set_fragment(None);
    shown.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_full_keeps_no_userinfo_and_no_query_value_but_the_version_and_page_size() {
        let url = url::Url::parse(
            "https://u:p@v.vault.azure.net/keys?api-version=2025-07-01&maxresults=5&$skiptoken=c2VjcmV0&sig=abc#f",
        )
        .expect("url");
        assert_eq!(
            url_full(&url),
            "https://v.vault.azure.net/keys?api-version=2025-07-01&maxresults=5&%24skiptoken=REDACTED&sig=REDACTED"
        );
        let plain = url::Url::parse("https://v.vault.azure.net:8443/keys/k/").expect("url");
        assert_eq!(url_full(&plain), "https://v.vault.azure.net:8443/keys/k/");
    }
}
