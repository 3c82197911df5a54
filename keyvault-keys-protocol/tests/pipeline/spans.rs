//! Issue 19 §5: the spans follow the Azure SDK distributed-tracing
//! conventions and the OpenTelemetry HTTP client conventions. A generated
//! method called directly has a method span named after the protocol
//! client's method (in `otel.name`), with a `client` span per HTTP exchange
//! as its child.

use super::*;
use crate::spans::{SpanRecord, Spans};

/// The method span and its children, checking what every one carries.
fn tree(spans: &Spans) -> (SpanRecord, Vec<SpanRecord>) {
    let sdk = spans.sdk();
    let (root_index, root) = sdk
        .iter()
        .find(|(_, s)| s.name == "keyvault.operation")
        .cloned()
        .unwrap_or_else(|| panic!("no method span in {sdk:#?}"));
    assert_eq!(root.field("otel.kind"), Some("internal"));
    assert_eq!(root.field("az.namespace"), Some("Microsoft.KeyVault"));
    let children: Vec<SpanRecord> = sdk
        .iter()
        .filter(|(i, _)| *i != root_index)
        .map(|(_, s)| s.clone())
        .collect();
    for c in &children {
        assert_eq!(
            c.parent,
            Some(root_index),
            "not a child of the method span: {c:#?}"
        );
        assert_eq!(c.field("otel.kind"), Some("client"), "{c:#?}");
        assert_eq!(c.field("az.namespace"), Some("Microsoft.KeyVault"));
    }
    for s in spans.all() {
        for v in s.fields.values() {
            assert!(!v.contains("token-"), "a token reached a span: {s:#?}");
        }
    }
    (root, children)
}

fn check_exchange(s: &SpanRecord, port: u16, status: &str, resend: Option<&str>) {
    assert_eq!(s.name, "GET");
    assert_eq!(s.field("http.request.method"), Some("GET"));
    assert_eq!(s.field("server.address"), Some(VAULT_HOST));
    assert_eq!(s.field("server.port"), Some(port.to_string().as_str()));
    assert_eq!(
        s.field("url.full"),
        Some(format!("https://{VAULT_HOST}:{port}/keys/k/?api-version=2025-07-01").as_str())
    );
    assert_eq!(s.field("http.response.status_code"), Some(status));
    assert_eq!(s.field("http.request.resend_count"), resend, "{s:#?}");
    assert!(
        s.field("az.client_request_id").is_some_and(uuid_like),
        "{s:#?}"
    );
    let failed = status.starts_with('4') || status.starts_with('5');
    assert_eq!(s.field("error.type"), failed.then_some(status), "{s:#?}");
    assert_eq!(
        s.field("otel.status_code"),
        failed.then_some("ERROR"),
        "{s:#?}"
    );
}

#[tokio::test]
async fn a_success_is_a_method_span_with_a_client_span_per_exchange() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, p| json(200, key_bundle(p, "k")),
    )
    .await;
    let port = server.addr.port();
    let (spans, _guard) = Spans::capture();
    call(server.client(RecordingCredential::new()).get_key("k", ""))
        .await
        .expect("get");
    let (root, children) = tree(&spans);
    assert_eq!(root.field("otel.name"), Some("Client.get_key"));
    assert_eq!(root.field("error.type"), None);
    assert_eq!(root.field("otel.status_code"), None);
    assert_eq!(
        children.len(),
        2,
        "the probe and the request: {children:#?}"
    );
    // The probe, answered by the challenge, then the request sent again.
    check_exchange(&children[0], port, "401", None);
    assert_eq!(children[0].field("az.service_request_id"), None);
    check_exchange(&children[1], port, "200", Some("1"));
    assert_eq!(children[1].field("az.service_request_id"), Some("req-200"));
    assert_eq!(
        children[0].field("az.client_request_id"),
        children[1].field("az.client_request_id"),
        "one client request id for the operation"
    );
}

#[tokio::test]
async fn a_404_is_the_method_spans_error_type() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, _| {
            json(
                404,
                serde_json::json!({"error": {"code": "KeyNotFound", "message": "no such key"}}),
            )
        },
    )
    .await;
    let port = server.addr.port();
    let (spans, _guard) = Spans::capture();
    let err = call(server.client(RecordingCredential::new()).get_key("k", ""))
        .await
        .expect_err("404");
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
    let (root, children) = tree(&spans);
    assert_eq!(root.field("error.type"), Some("404"));
    assert_eq!(
        root.field("otel.status_code"),
        None,
        "a 4xx is the caller's to judge"
    );
    assert_eq!(children.len(), 2);
    check_exchange(&children[1], port, "404", Some("1"));
    assert_eq!(children[1].field("az.service_request_id"), Some("req-404"));
}

#[tokio::test]
async fn a_retried_request_counts_its_resends() {
    let server = scripted(vec![(503, vec![("retry-after-ms", "1".to_owned())])]).await;
    let port = server.addr.port();
    let (spans, _guard) = Spans::capture();
    call(server.client(RecordingCredential::new()).get_key("k", ""))
        .await
        .expect("get after a retry");
    let (root, children) = tree(&spans);
    assert_eq!(root.field("error.type"), None);
    assert_eq!(children.len(), 3, "probe, 503, 200: {children:#?}");
    check_exchange(&children[0], port, "401", None);
    check_exchange(&children[1], port, "503", Some("1"));
    check_exchange(&children[2], port, "200", Some("2"));

    // A transport failure names its kind; the method span fails with it.
    drop(_guard);
    let (spans, _guard) = Spans::capture();
    let server = open_server(|_, _, _| drop_connection()).await;
    let options = ClientOptions {
        retry: RetryOptions::none(),
        ..server.options()
    };
    let client = Client::with_credential(&server.vault_url(), RecordingCredential::new(), options)
        .expect("client");
    call(client.get_key("k", "")).await.expect_err("dropped");
    let (root, children) = tree(&spans);
    assert_eq!(root.field("error.type"), Some("Transport"));
    assert_eq!(root.field("otel.status_code"), Some("ERROR"));
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].field("error.type"), Some("Transport"));
    assert_eq!(children[0].field("http.response.status_code"), None);
}
