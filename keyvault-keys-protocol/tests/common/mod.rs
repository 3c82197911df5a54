//! A scripted HTTPS server and a recording credential for pipeline tests.
//!
//! The server runs in the test process on 127.0.0.1 with a fresh CA and leaf
//! certificate (rcgen); each test scripts its answers with a closure and
//! reads back every request it received.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{HeaderMap, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use keyvault_keys_protocol::azure_core::credentials::{
    AccessToken, Secret, TokenCredential, TokenRequestOptions,
};
use keyvault_keys_protocol::{ChallengeClaims, ChallengeTenant, Client, ClientOptions};
use tokio::net::TcpListener;

/// The host name tests use for the vault; the test client resolves it to
/// the server's address, the certificate names it.
pub const VAULT_HOST: &str = "myvault.localhost";

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .into_owned()
            .collect()
    }
    pub fn query_value(&self, key: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

pub type Handler = dyn Fn(&Seen, usize, &ServerInfo) -> Response<Full<Bytes>> + Send + Sync;

/// What a handler knows about the server.
#[derive(Clone, Debug)]
pub struct ServerInfo {
    pub port: u16,
}

/// A listener on 127.0.0.1 at a port no earlier server of this test process
/// had.
///
/// The client remembers verified challenges per vault origin for the whole
/// process, so a server on a port an earlier test used would have its
/// challenge probe skipped, and a test that counts the probe would fail by
/// chance (CI saw it once). Ports the OS hands out again are held until a
/// new one comes, then released.
pub async fn fresh_listener() -> TcpListener {
    static USED: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let mut held = Vec::new();
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mut used = USED.lock().expect("ports");
        if !used.contains(&port) {
            used.push(port);
            return listener;
        }
        drop(used);
        held.push(listener);
        assert!(held.len() < 1000, "no fresh port after 1000 binds");
    }
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub ca_pem: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn tls_config() -> (rustls::ServerConfig, String) {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "pipeline test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("ca");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let mut leaf_params = CertificateParams::new(vec![
        "localhost".to_owned(),
        VAULT_HOST.to_owned(),
        "other.localhost".to_owned(),
        "127.0.0.1".to_owned(),
    ])
    .expect("leaf params");
    leaf_params.is_ca = IsCa::ExplicitNoCa;
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let leaf = leaf_params.signed_by(&leaf_key, &ca).expect("leaf");
    let chain = vec![leaf.der().clone()];
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        leaf_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("server cert");
    (config, ca.pem())
}

/// Marks a scripted answer: drop the connection instead of answering (the
/// handler has already "acted").
#[derive(Clone, Copy, Debug)]
struct DropConnection;

/// Marks a scripted answer: send `len` bytes of a streamed body instead of
/// the given one, counting what was produced.
#[derive(Clone, Debug)]
struct Streamed {
    len: u64,
    declare_length: bool,
    produced: Arc<AtomicU64>,
}

/// Instead of answering, the server drops the connection.
pub fn drop_connection() -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    r.extensions_mut().insert(DropConnection);
    r
}

/// A 200 whose body is `len` bytes of JSON-ish filler streamed in 64 KiB
/// chunks (with a `Content-Length` when `declare_length`); `produced`
/// counts the bytes the server generated.
pub fn streamed(
    status: u16,
    len: u64,
    declare_length: bool,
    produced: Arc<AtomicU64>,
) -> Response<Full<Bytes>> {
    let mut r = Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-ms-request-id", "req-streamed")
        .body(Full::new(Bytes::new()))
        .expect("response");
    r.extensions_mut().insert(Streamed {
        len,
        declare_length,
        produced,
    });
    r
}

/// Marks a scripted answer: declare `declared` bytes, send `sent`, then
/// break the connection.
#[derive(Clone, Debug)]
struct Truncated {
    declared: u64,
    sent: Bytes,
}

/// An answer with `Content-Length: declared` whose body stops after `sent`
/// and whose connection is then broken: the client cannot read it whole.
pub fn truncated(status: u16, declared: u64, sent: &'static [u8]) -> Response<Full<Bytes>> {
    let mut r = Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-ms-request-id", "req-truncated")
        .body(Full::new(Bytes::new()))
        .expect("response");
    r.extensions_mut().insert(Truncated {
        declared,
        sent: Bytes::from_static(sent),
    });
    r
}

type ServedBody = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

fn deliver(r: Response<Full<Bytes>>) -> Result<Response<ServedBody>, std::io::Error> {
    if r.extensions().get::<DropConnection>().is_some() {
        // hyper closes the connection without answering when the service fails.
        return Err(std::io::Error::other("scripted: drop the connection"));
    }
    if let Some(t) = r.extensions().get::<Truncated>().cloned() {
        let (mut parts, _) = r.into_parts();
        parts.headers.insert(
            "content-length",
            t.declared.to_string().parse().expect("length"),
        );
        // The first part is flushed (headers and `sent`) before the body
        // fails, which breaks the connection.
        let frames = futures::stream::unfold(Some(t.sent), |sent| async move {
            match sent {
                Some(bytes) => Some((Ok(hyper::body::Frame::data(bytes)), None)),
                None => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    let e = std::io::Error::other("scripted: the body stops here");
                    Some((Err(e), None))
                }
            }
        });
        return Ok(Response::from_parts(
            parts,
            http_body_util::StreamBody::new(frames).boxed(),
        ));
    }
    let streamed = r.extensions().get::<Streamed>().cloned();
    let (mut parts, body) = r.into_parts();
    let Some(st) = streamed else {
        return Ok(Response::from_parts(
            parts,
            body.map_err(|e: Infallible| match e {}).boxed(),
        ));
    };
    if st.declare_length {
        parts.headers.insert(
            "content-length",
            st.len.to_string().parse().expect("length"),
        );
    }
    const CHUNK: u64 = 64 * 1024;
    let chunk = Bytes::from(vec![b' '; CHUNK as usize]);
    let stream = futures::stream::unfold(0u64, move |sent| {
        let chunk = chunk.clone();
        let produced = st.produced.clone();
        async move {
            if sent >= st.len {
                return None;
            }
            let n = CHUNK.min(st.len - sent);
            produced.fetch_add(n, Ordering::SeqCst);
            let frame = hyper::body::Frame::data(chunk.slice(..n as usize));
            Some((Ok::<_, std::io::Error>(frame), sent + n))
        }
    });
    Ok(Response::from_parts(
        parts,
        http_body_util::StreamBody::new(stream).boxed(),
    ))
}

impl TestServer {
    pub async fn start(
        handler: impl Fn(&Seen, usize, &ServerInfo) -> Response<Full<Bytes>> + Send + Sync + 'static,
    ) -> Self {
        let handler: Arc<Handler> = Arc::new(handler);
        let (config, ca_pem) = tls_config();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = fresh_listener().await;
        let addr = listener.local_addr().expect("addr");
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let counter = Arc::new(AtomicUsize::new(0));
        let info = ServerInfo { port: addr.port() };
        let seen2 = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let handler = handler.clone();
                let seen = seen2.clone();
                let counter = counter.clone();
                let info = info.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = service_fn(move |req: Request<Incoming>| {
                        let handler = handler.clone();
                        let seen = seen.clone();
                        let counter = counter.clone();
                        let info = info.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let s = Seen {
                                method: parts.method.to_string(),
                                path: parts.uri.path().to_owned(),
                                query: parts.uri.query().unwrap_or("").to_owned(),
                                headers: parts.headers,
                                body,
                            };
                            let n = counter.fetch_add(1, Ordering::SeqCst);
                            seen.lock().expect("lock").push(s.clone());
                            deliver(handler(&s, n, &info))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            ca_pem,
            seen,
            task,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    /// `https://myvault.localhost:PORT`
    pub fn vault_url(&self) -> String {
        format!("https://{VAULT_HOST}:{}", self.addr.port())
    }

    /// `https://127.0.0.1:PORT`
    pub fn ip_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    /// An HTTP client that trusts the server's CA and resolves the test
    /// host names to it.
    pub fn http_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .tls_certs_only([
                reqwest::Certificate::from_pem(self.ca_pem.as_bytes()).expect("ca pem")
            ])
            .resolve(VAULT_HOST, self.addr)
            .resolve("other.localhost", self.addr)
            .resolve("localhost", self.addr)
            .build()
            .expect("client")
    }

    pub fn options(&self) -> ClientOptions {
        ClientOptions {
            http_client: Some(self.http_client()),
            retry: keyvault_keys_protocol::RetryOptions {
                initial_delay: std::time::Duration::from_millis(1),
                max_delay: std::time::Duration::from_millis(5),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    pub fn client(&self, credential: Arc<RecordingCredential>) -> Client {
        Client::with_credential(&self.vault_url(), credential, self.options()).expect("client")
    }
}

/// The challenge the real service sends, with the resource given.
pub fn challenge(resource: &str) -> String {
    format!(
        r#"Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="{resource}""#
    )
}

pub fn json(status: u16, body: serde_json::Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-ms-request-id", format!("req-{status}"))
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("response")
}

pub fn raw(status: u16, content_type: &str, body: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-ms-request-id", format!("req-{status}"))
        .body(Full::new(Bytes::from(body.to_owned())))
        .expect("response")
}

pub fn unauthorized(www_authenticate: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::UNAUTHORIZED)
        .header("www-authenticate", www_authenticate)
        .header("content-type", "application/json; charset=utf-8")
        .body(Full::new(Bytes::from(
            r#"{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}}"#,
        )))
        .expect("response")
}

/// True when the request carries a bearer token.
pub fn authorised(s: &Seen) -> bool {
    s.header("authorization")
        .is_some_and(|a| a.starts_with("Bearer "))
}

/// A key bundle as the service returns it.
pub fn key_bundle(port: u16, name: &str) -> serde_json::Value {
    serde_json::json!({
        "key": {
            "kid": format!("https://{VAULT_HOST}:{port}/keys/{name}/0123456789abcdef0123456789abcdef"),
            "kty": "EC", "crv": "P-256", "key_ops": ["sign", "verify"],
            "x": "Fz8fbykDWmWokMXfF2Vf26WKFCl7MDEgHINahqhaw1w",
            "y": "RrjAIF2NYP_BVmrUnuQbeae0ZEox_51K229TxYfY77s"
        },
        "attributes": {"enabled": true, "created": 1700000000, "updated": 1700000000,
                       "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90}
    })
}

/// A credential that hands out `token-1`, `token-2`, … and records what it
/// was asked for.
#[derive(Debug, Default)]
pub struct RecordingCredential {
    pub calls: Mutex<Vec<TokenCall>>,
    /// Lifetime of the tokens it issues, in seconds (default 3600).
    pub lifetime_secs: Mutex<Option<i64>>,
    /// Fail every call with this message.
    pub fail_with: Mutex<Option<String>>,
    /// The expiry of the tokens it issues (overrides `lifetime_secs`).
    pub expires_on: Mutex<Option<time::OffsetDateTime>>,
}

#[derive(Debug, Clone)]
pub struct TokenCall {
    pub scopes: Vec<String>,
    pub tenant: Option<String>,
    pub claims: Option<String>,
}

impl RecordingCredential {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }
    pub fn calls(&self) -> Vec<TokenCall> {
        self.calls.lock().expect("lock").clone()
    }
}

#[async_trait::async_trait]
impl TokenCredential for RecordingCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        options: Option<TokenRequestOptions<'_>>,
    ) -> keyvault_keys_protocol::azure_core::Result<AccessToken> {
        if let Some(msg) = self.fail_with.lock().expect("lock").clone() {
            return Err(keyvault_keys_protocol::azure_core::Error::with_message(
                keyvault_keys_protocol::azure_core::error::ErrorKind::Credential,
                msg,
            ));
        }
        let ctx = options.as_ref().map(|o| &o.method_options.context);
        let call = TokenCall {
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            tenant: ctx
                .and_then(|c| c.value::<ChallengeTenant>())
                .map(|t| t.0.clone()),
            claims: ctx
                .and_then(|c| c.value::<ChallengeClaims>())
                .map(|t| t.0.clone()),
        };
        let n = {
            let mut calls = self.calls.lock().expect("lock");
            calls.push(call);
            calls.len()
        };
        let lifetime = self.lifetime_secs.lock().expect("lock").unwrap_or(3600);
        let expires_on =
            self.expires_on.lock().expect("lock").unwrap_or_else(|| {
                time::OffsetDateTime::now_utc() + time::Duration::seconds(lifetime)
            });
        Ok(AccessToken::new(
            Secret::new(format!("token-{n}")),
            expires_on,
        ))
    }
}
