//! Issue 19 §5 at the emulator: a span per `KeyClient` method
//! (`KeyClient.get_key`, kind internal, `az.namespace`), a `client` span
//! per HTTP exchange as its child, `error.type` on failure, the resend
//! count on retries; for a success, a 404 and a retried request.

use super::*;
use crate::capture::{SpanRecord, Spans};

/// The one method span, and its children; every SDK span is one of them.
fn method_and_exchanges(spans: &Spans, method: &str) -> (SpanRecord, Vec<SpanRecord>) {
    let sdk = spans.sdk();
    let methods: Vec<_> = sdk.iter().filter(|(_, s)| s.parent.is_none()).collect();
    assert_eq!(methods.len(), 1, "one method span: {sdk:#?}");
    let (index, root) = methods[0].clone();
    assert_eq!(root.name, method);
    assert_eq!(root.field("otel.kind"), Some("internal"));
    assert_eq!(root.field("az.namespace"), Some("Microsoft.KeyVault"));
    let children: Vec<SpanRecord> = sdk
        .into_iter()
        .filter(|(i, _)| *i != index)
        .map(|(_, s)| s)
        .collect();
    for c in &children {
        assert_eq!(c.parent, Some(index), "{c:#?}");
        assert_eq!(c.field("otel.kind"), Some("client"));
        assert_eq!(c.field("az.namespace"), Some("Microsoft.KeyVault"));
        assert!(c.field("az.client_request_id").is_some());
        assert!(
            c.field("url.full")
                .is_some_and(|u| u.ends_with("?api-version=2025-07-01"))
        );
        // The vault's host: 127.0.0.1, or the host name a test gave its
        // emulator.
        let host = c.field("server.address").expect("server.address");
        assert!(host == "127.0.0.1" || host.ends_with(".vault.localhost"));
        assert!(
            c.field("url.full")
                .is_some_and(|u| u.starts_with(&format!("https://{host}:")))
        );
    }
    (root, children)
}

async fn client_for(emulator: &Emulator, retries: u32) -> KeyClient {
    KeyClient::new(
        emulator.vault_url(),
        emulator.credential(),
        Some(KeyClientOptions {
            client_options: keyvault_keys::ClientOptions {
                http_client: Some(emulator.http_client()),
                retry: keyvault_keys_protocol::RetryOptions {
                    max_retries: retries,
                    initial_delay: std::time::Duration::from_millis(1),
                    max_delay: std::time::Duration::from_millis(5),
                    ..Default::default()
                },
                ..Default::default()
            },
        }),
    )
    .expect("client")
}

#[tokio::test]
async fn a_success_and_a_404_are_method_spans_over_their_exchanges() {
    let (emulator, setup_client) = setup(EmulatorOptions::default()).await;
    setup_client
        .create_ec_key("traced", None)
        .await
        .expect("create");
    let client = client_for(&emulator, 3).await;

    let (spans, guard) = Spans::capture();
    client.get_key("traced", None).await.expect("get");
    drop(guard);
    let (root, children) = method_and_exchanges(&spans, "KeyClient.get_key");
    assert_eq!(root.field("error.type"), None);
    assert_eq!(root.field("otel.status_code"), None);
    // The vault's challenge was verified by the setup client: one exchange.
    assert_eq!(children.len(), 1, "{children:#?}");
    let get = &children[0];
    assert_eq!(get.name, "GET");
    assert_eq!(get.field("http.request.method"), Some("GET"));
    assert_eq!(get.field("http.response.status_code"), Some("200"));
    assert_eq!(get.field("http.request.resend_count"), None);
    assert_eq!(
        get.field("server.port"),
        Some(emulator.addr().port().to_string().as_str())
    );
    assert!(get.field("az.service_request_id").is_some());
    assert_eq!(get.field("error.type"), None);

    let (spans, guard) = Spans::capture();
    let err = client.get_key("missing", None).await.expect_err("404");
    drop(guard);
    assert_eq!(err.status(), Some(404));
    let (root, children) = method_and_exchanges(&spans, "KeyClient.get_key");
    assert_eq!(root.field("error.type"), Some("404"));
    assert_eq!(
        root.field("otel.status_code"),
        None,
        "a 4xx is the caller's to judge"
    );
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].field("http.response.status_code"), Some("404"));
    assert_eq!(children[0].field("error.type"), Some("404"));
    assert_eq!(children[0].field("otel.status_code"), Some("ERROR"));

    // A method that calls another (create_ec_key → create_key) is one span.
    let (spans, guard) = Spans::capture();
    client
        .create_ec_key("traced-2", None)
        .await
        .expect("create");
    drop(guard);
    let (_, children) = method_and_exchanges(&spans, "KeyClient.create_ec_key");
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].name, "POST");
}

#[tokio::test]
async fn a_retried_request_has_an_exchange_span_per_attempt() {
    // Every authenticated request is throttled (429 or 503, Retry-After ≤ 50 ms).
    let emulator = Emulator::start(EmulatorOptions {
        faults: Some(keyvault_emulator::Faults {
            throttle: 1.0,
            seed: Some(19),
            ..Default::default()
        }),
        // A host no other test of this process uses: the client remembers
        // verified challenges per origin for the whole process, and an
        // emulator on a port an earlier one had would skip the probe this
        // test counts.
        hostnames: vec!["spans-retry.vault.localhost".to_owned()],
        ..Default::default()
    })
    .await
    .expect("emulator");
    let client = client_for(&emulator, 2).await;
    let (spans, guard) = Spans::capture();
    let err = client.get_key("k", None).await.expect_err("throttled");
    drop(guard);
    let status = err.status().expect("a status");
    assert!(status == 429 || status == 503, "{err:?}");
    let (root, children) = method_and_exchanges(&spans, "KeyClient.get_key");
    assert_eq!(root.field("error.type"), Some(status.to_string().as_str()));
    // The probe (401), then the request and its two retries.
    assert_eq!(children.len(), 4, "{children:#?}");
    assert_eq!(children[0].field("http.response.status_code"), Some("401"));
    assert_eq!(children[0].field("http.request.resend_count"), None);
    for (n, c) in children.iter().enumerate().skip(1) {
        assert_eq!(
            c.field("http.request.resend_count"),
            Some(n.to_string().as_str())
        );
        assert!(
            matches!(c.field("error.type"), Some("429" | "503")),
            "{c:#?}"
        );
    }
    assert_eq!(
        children[3].field("http.response.status_code"),
        Some(status.to_string().as_str())
    );
}

#[tokio::test]
async fn cryptography_client_methods_have_their_spans_local_or_remote() {
    let (_emulator, client) = setup(EmulatorOptions::default()).await;
    let key = client
        .create_rsa_key("traced-rsa", None)
        .await
        .expect("create");
    let crypto = client.cryptography_client_for(&key).expect("crypto client");

    // Encrypting with the public key runs locally: a span without exchanges.
    let (spans, guard) = Spans::capture();
    let sealed = crypto
        .encrypt(
            &EncryptParameters::new(EncryptionAlgorithm::RsaOaep256, b"traced".to_vec()),
            None,
        )
        .await
        .expect("encrypt");
    drop(guard);
    let (_, children) = method_and_exchanges(&spans, "CryptographyClient.encrypt");
    assert!(children.is_empty(), "{children:#?}");

    // Decrypting needs the private key: in the vault, one exchange.
    let (spans, guard) = Spans::capture();
    crypto
        .decrypt(&DecryptParameters::from_encrypt_result(&sealed), None)
        .await
        .expect("decrypt");
    drop(guard);
    let (root, children) = method_and_exchanges(&spans, "CryptographyClient.decrypt");
    assert_eq!(root.field("error.type"), None);
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].name, "POST");
    assert_eq!(children[0].field("http.response.status_code"), Some("200"));
}
