//! A recording HTTPS server for what the emulator cannot answer yet (secure
//! wrap and unwrap, external keys): it answers the challenge, records every
//! authorised request (method, path, query, JSON body) and answers each with
//! the JSON the test scripted for its path suffix.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use keyvault_emulator::StaticTokenCredential;
use keyvault_keys::{KeyClient, KeyClientOptions};

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: serde_json::Value,
}

pub struct Recorder {
    pub url: String,
    ca_pem: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Script = Arc<dyn Fn(&str) -> (u16, String) + Send + Sync>;

fn challenge(authority: &str) -> String {
    format!(
        r#"Bearer authorization="https://login.microsoftonline.com/{}", resource="{}""#,
        keyvault_emulator::EMULATOR_TENANT,
        keyvault_emulator::challenge_resource(authority)
    )
}

async fn answer(
    script: Script,
    seen: Arc<Mutex<Vec<Seen>>>,
    authority: String,
    req: Request<hyper::body::Incoming>,
) -> Response<Full<Bytes>> {
    let authorised = req.headers().contains_key("authorization");
    let (method, path, query) = (
        req.method().as_str().to_owned(),
        req.uri().path().to_owned(),
        req.uri().query().unwrap_or_default().to_owned(),
    );
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if !authorised {
        return Response::builder()
            .status(401)
            .header("www-authenticate", challenge(&authority))
            .body(Full::new(Bytes::new()))
            .expect("response");
    }
    seen.lock().expect("lock").push(Seen {
        method,
        path: path.clone(),
        query,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    });
    let (status, json) = script(&path);
    Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-ms-request-id", "recorder")
        .body(Full::new(Bytes::from(json)))
        .expect("response")
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

impl Recorder {
    /// A server answering each path with `script(path)` (the URL is passed
    /// in so answers can name the server's own key ids).
    pub async fn start(
        script: impl Fn(&str, &str) -> (u16, String) + Send + Sync + 'static,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let authority = format!("127.0.0.1:{}", listener.local_addr().expect("addr").port());
        let url = format!("https://{authority}");
        let u = url.clone();
        let script: Script = Arc::new(move |path| script(&u, path));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (config, ca_pem) = tls();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let s = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (acceptor, seen, authority, script) = (
                    acceptor.clone(),
                    s.clone(),
                    authority.clone(),
                    script.clone(),
                );
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |req| {
                        let (script, seen, authority) =
                            (script.clone(), seen.clone(), authority.clone());
                        async move { Ok::<_, Infallible>(answer(script, seen, authority, req).await) }
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
            seen,
            task,
        }
    }

    /// Every authorised request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    /// A `KeyClient` for this server with `options` (its HTTP client
    /// trusts the server's CA).
    pub fn client(&self, options: KeyClientOptions) -> KeyClient {
        let http = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(self.ca_pem.as_bytes()).expect("ca")])
            .build()
            .expect("http client");
        KeyClient::new(
            &self.url,
            Arc::new(StaticTokenCredential::new("token")),
            Some(KeyClientOptions {
                client_options: keyvault_keys::ClientOptions {
                    http_client: Some(http),
                    ..options.client_options
                },
            }),
        )
        .expect("client")
    }
}
