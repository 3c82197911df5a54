//! Issue 8, item 12: when the initial key fetch of a `CryptographyClient`
//! fails for a reason that says nothing about the key (5xx, a 404 that is
//! not the service's `KeyNotFound`, a time-out), the operation runs in the
//! vault and the fetch is tried again on a later call, as the Python client
//! does. Authorization failures (401) and `KeyNotFound` surface; 403 keeps
//! the client remote for good.
//!
//! The emulator cannot be made to fail `get_key` alone, so a tiny scripted
//! HTTPS server plays the vault: it answers the challenge, then `GET` of
//! the key as the test says, and `POST .../encrypt` with a fixed result.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use keyvault_crypto::*;
use keyvault_emulator::StaticTokenCredential;
use keyvault_keys_protocol::{Client, ClientOptions, RetryOptions};

const VERSION: &str = "0123456789abcdef0123456789abcdef";
const REMOTE_CIPHERTEXT: &[u8] = b"made by the vault";

/// How the server answers `GET /keys/k/{VERSION}`.
#[derive(Clone)]
enum Get {
    /// The key bundle.
    Key,
    /// This status with this JSON body.
    Status(u16, &'static str),
    /// Nothing for this long (longer than the client's time-out).
    Hang(Duration),
}

struct Vault {
    get: Mutex<Get>,
    gets: AtomicUsize,
    posts: AtomicUsize,
    bundle: String,
}

struct Server {
    url: String,
    ca_pem: String,
    vault: Arc<Vault>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn challenge(authority: &str) -> String {
    format!(
        r#"Bearer authorization="https://login.microsoftonline.com/{}", resource="{}""#,
        keyvault_emulator::EMULATOR_TENANT,
        keyvault_emulator::challenge_resource(authority)
    )
}

fn response(status: u16, body: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-ms-request-id", "fetch-fallback")
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("response")
}

async fn answer(
    vault: Arc<Vault>,
    authority: String,
    req: Request<hyper::body::Incoming>,
) -> Response<Full<Bytes>> {
    let authorised = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    let (method, path) = (
        req.method().as_str().to_owned(),
        req.uri().path().to_owned(),
    );
    let _ = req.into_body().collect().await;
    if !authorised {
        return Response::builder()
            .status(401)
            .header("www-authenticate", challenge(&authority))
            .body(Full::new(Bytes::new()))
            .expect("response");
    }
    match (method.as_str(), path.as_str()) {
        ("GET", p) if p == format!("/keys/k/{VERSION}") => {
            vault.gets.fetch_add(1, Ordering::SeqCst);
            let get = vault.get.lock().expect("lock").clone();
            match get {
                Get::Key => response(200, &vault.bundle),
                Get::Status(401, body) => {
                    let mut r = response(401, body);
                    r.headers_mut().insert(
                        "www-authenticate",
                        challenge(&authority).parse().expect("header"),
                    );
                    r
                }
                Get::Status(status, body) => response(status, body),
                Get::Hang(d) => {
                    tokio::time::sleep(d).await;
                    response(200, &vault.bundle)
                }
            }
        }
        ("POST", p) if p == format!("/keys/k/{VERSION}/encrypt") => {
            vault.posts.fetch_add(1, Ordering::SeqCst);
            let body = serde_json::json!({
                "kid": format!("https://{authority}/keys/k/{VERSION}"),
                "value": b64::encode(REMOTE_CIPHERTEXT),
            });
            response(200, &body.to_string())
        }
        _ => response(
            400,
            r#"{"error":{"code":"BadParameter","message":"unexpected"}}"#,
        ),
    }
}

fn tls() -> (rustls::ServerConfig, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("ca key")).expect("ca");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("leaf params");
    leaf.is_ca = IsCa::ExplicitNoCa;
    let leaf = leaf.signed_by(&leaf_key, &ca).expect("leaf");
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(vec![leaf.der().clone()], key)
    .expect("cert");
    (config, ca.pem())
}

impl Server {
    async fn start(public_key: &JsonWebKey) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let authority = format!("127.0.0.1:{}", listener.local_addr().expect("addr").port());
        let url = format!("https://{authority}");
        let mut jwk = public_key.clone();
        jwk.kid = Some(format!("{url}/keys/k/{VERSION}"));
        let bundle = serde_json::json!({
            "key": serde_json::to_value(&jwk).expect("jwk"),
            "attributes": {"enabled": true, "created": 1_700_000_000, "updated": 1_700_000_000},
        })
        .to_string();
        let vault = Arc::new(Vault {
            get: Mutex::new(Get::Key),
            gets: AtomicUsize::new(0),
            posts: AtomicUsize::new(0),
            bundle,
        });
        let (config, ca_pem) = tls();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let v = vault.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (acceptor, vault, authority) = (acceptor.clone(), v.clone(), authority.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |req| {
                        let (vault, authority) = (vault.clone(), authority.clone());
                        async move { Ok::<_, Infallible>(answer(vault, authority, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Self {
            url,
            ca_pem,
            vault,
            task,
        }
    }

    fn set_get(&self, get: Get) {
        *self.vault.get.lock().expect("lock") = get;
    }
    fn gets(&self) -> usize {
        self.vault.gets.load(Ordering::SeqCst)
    }
    fn posts(&self) -> usize {
        self.vault.posts.load(Ordering::SeqCst)
    }

    fn crypto_client(&self) -> CryptographyClient {
        let http = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(self.ca_pem.as_bytes()).expect("ca")])
            .timeout(Duration::from_millis(500))
            .build()
            .expect("http client");
        let options = ClientOptions {
            http_client: Some(http),
            retry: RetryOptions {
                initial_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(5),
                max_retries: 1,
                ..Default::default()
            },
            ..Default::default()
        };
        let client = Client::with_credential(
            &self.url,
            Arc::new(StaticTokenCredential::new("token")),
            options,
        )
        .expect("client");
        CryptographyClient::with_client(client, &format!("{}/keys/k/{VERSION}", self.url))
            .expect("crypto client")
    }
}

fn rsa() -> JsonWebKey {
    generate(&KeySpec {
        kty: KeyType::Rsa,
        size: Some(2048),
        curve: None,
        public_exponent: None,
    })
    .expect("rsa")
    .public_only()
}

fn params() -> EncryptParameters {
    EncryptParameters::new(EncryptionAlgorithm::RsaOaep256, b"fallback".to_vec())
}

/// A fault of the fetch: the operation goes to the vault; the next call
/// fetches again and, the key now readable, runs locally.
async fn falls_back_then_fetches_again(fault: Get) {
    let server = Server::start(&rsa()).await;
    let crypto = server.crypto_client();
    server.set_get(fault);
    let first = crypto
        .encrypt(&params(), None)
        .await
        .expect("falls back to the vault");
    assert_eq!(first.ciphertext, REMOTE_CIPHERTEXT, "the vault encrypted");
    assert_eq!(server.posts(), 1);
    let gets = server.gets();
    assert!(gets >= 1);

    server.set_get(Get::Key);
    let second = crypto.encrypt(&params(), None).await.expect("local");
    assert_eq!(server.gets(), gets + 1, "the fetch is tried again");
    assert_eq!(server.posts(), 1, "and the operation then runs locally");
    assert_eq!(second.ciphertext.len(), 256);

    crypto.encrypt(&params(), None).await.expect("local again");
    assert_eq!(server.gets(), gets + 1, "a fetched key is kept");
    assert_eq!(server.posts(), 1);
}

#[tokio::test]
async fn a_5xx_on_the_key_fetch_falls_back_to_the_vault_and_retries_later() {
    falls_back_then_fetches_again(Get::Status(
        500,
        r#"{"error":{"code":"InternalServerError","message":"try later"}}"#,
    ))
    .await;
    falls_back_then_fetches_again(Get::Status(502, "")).await;
}

#[tokio::test]
async fn a_404_that_is_not_key_not_found_falls_back_to_the_vault() {
    falls_back_then_fetches_again(Get::Status(404, "<html>not here</html>")).await;
}

#[tokio::test]
async fn a_timed_out_key_fetch_falls_back_to_the_vault() {
    falls_back_then_fetches_again(Get::Hang(Duration::from_secs(3))).await;
}

#[tokio::test]
async fn key_not_found_and_unauthorized_surface_without_a_remote_attempt() {
    for (status, body, code) in [
        (
            404,
            r#"{"error":{"code":"KeyNotFound","message":"A key with (name/id) k was not found in this key vault."}}"#,
            404u16,
        ),
        (
            401,
            r#"{"error":{"code":"Unauthorized","message":"AKV10032: Invalid issuer."}}"#,
            401,
        ),
    ] {
        let server = Server::start(&rsa()).await;
        let crypto = server.crypto_client();
        server.set_get(Get::Status(status, body));
        let err = crypto.encrypt(&params(), None).await.expect_err("surfaces");
        match &err {
            CryptoError::Service(e) => {
                assert_eq!(e.status().map(|s| s.as_u16()), Some(code), "{err}")
            }
            other => panic!("expected the service's error, got {other}"),
        }
        assert_eq!(server.posts(), 0, "no remote attempt after {status}");
    }
}

#[tokio::test]
async fn forbidden_keeps_the_client_remote_without_fetching_again() {
    let server = Server::start(&rsa()).await;
    let crypto = server.crypto_client();
    server.set_get(Get::Status(
        403,
        r#"{"error":{"code":"Forbidden","message":"no keys/get permission"}}"#,
    ));
    let r = crypto.encrypt(&params(), None).await.expect("remote");
    assert_eq!(r.ciphertext, REMOTE_CIPHERTEXT);
    let gets = server.gets();
    server.set_get(Get::Key);
    let r = crypto.encrypt(&params(), None).await.expect("remote");
    assert_eq!(r.ciphertext, REMOTE_CIPHERTEXT);
    assert_eq!(server.gets(), gets, "403 is not retried");
    assert_eq!(server.posts(), 2);
}

/// Calls that were waiting while a fetch failed do not each fetch again in
/// turn (each fetch may take a time-out): they go to the vault at once; a
/// later call fetches again.
#[tokio::test]
async fn concurrent_calls_during_an_outage_share_one_failed_fetch() {
    let server = Server::start(&rsa()).await;
    let crypto = server.crypto_client();
    // Warm the challenge so every call below is an authorised request.
    server.set_get(Get::Status(
        403,
        r#"{"error":{"code":"Forbidden","message":"x"}}"#,
    ));
    let warm = server.crypto_client();
    warm.encrypt(&params(), None).await.expect("warm");
    let (gets0, posts0) = (server.gets(), server.posts());
    server.set_get(Get::Hang(Duration::from_secs(3)));
    let calls = (0..4).map(|_| {
        let c = crypto.clone();
        tokio::spawn(async move { c.encrypt(&params(), None).await })
    });
    for call in calls.collect::<Vec<_>>() {
        let r = call.await.expect("join").expect("falls back");
        assert_eq!(r.ciphertext, REMOTE_CIPHERTEXT);
    }
    // One fetch: one attempt and one retry (max_retries = 1).
    assert!(
        server.gets() - gets0 <= 2,
        "{} fetch attempts for 4 concurrent calls",
        server.gets() - gets0
    );
    assert_eq!(server.posts() - posts0, 4);
    server.set_get(Get::Key);
    crypto.encrypt(&params(), None).await.expect("local");
    assert_eq!(
        server.posts() - posts0,
        4,
        "a later call fetched and ran locally"
    );
}
