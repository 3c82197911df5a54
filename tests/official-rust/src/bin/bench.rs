//! The official Rust crate's load generator for `cargo xtask bench`: the
//! same command line and JSON line as ours (the harness is shared by path),
//! trusting only the emulator's CA with one reqwest client, and with the
//! challenge-resource check off (the vault is 127.0.0.1, which has no parent
//! domain), as the interop binary does.
#![forbid(unsafe_code)]

#[path = "../../../src/bin/bench-client/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::http::{ClientOptions, Transport};
use azure_core::time::{Duration, OffsetDateTime};
use azure_security_keyvault_keys::models::{
    CreateKeyParameters, CurveName, KeyType, SignParameters, SignatureAlgorithm,
    UpdateKeyPropertiesParameters,
};
use azure_security_keyvault_keys::{KeyClient, KeyClientOptions};
use futures::TryStreamExt as _;

#[derive(Debug)]
struct StaticToken;

#[async_trait::async_trait]
impl TokenCredential for StaticToken {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            Secret::new("bench-token"),
            OffsetDateTime::now_utc() + Duration::hours(1),
        ))
    }
}

fn client(url: &str, ca: &str) -> Result<KeyClient, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let pem = std::fs::read(ca).map_err(|e| format!("reading {ca}: {e}"))?;
    let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| e.to_string())?;
    let http = reqwest::Client::builder()
        .tls_certs_only([cert])
        .build()
        .map_err(|e| e.to_string())?;
    let mut options = KeyClientOptions {
        client_options: ClientOptions {
            transport: Some(Transport::new(Arc::new(http))),
            ..Default::default()
        },
        ..Default::default()
    };
    options.verify_challenge_resource = Some(false);
    KeyClient::new(url, Arc::new(StaticToken), Some(options)).map_err(|e| e.to_string())
}

async fn call(client: &KeyClient, op: &str, key: &str, i: u64) -> Result<u64, String> {
    let e = |e: azure_core::Error| e.to_string();
    match op {
        "get" => {
            let r = client.get_key(key, None).await.map_err(e)?;
            r.into_model().map(|_| 1).map_err(e)
        }
        "update" => {
            let body = UpdateKeyPropertiesParameters {
                tags: Some(HashMap::from([("n".into(), (i % 1000).to_string())])),
                ..Default::default()
            };
            let r = client
                .update_key_properties(key, body.try_into().map_err(e)?, None)
                .await
                .map_err(e)?;
            r.into_model().map(|_| 1).map_err(e)
        }
        "create" => {
            let body = CreateKeyParameters {
                kty: Some(KeyType::Ec),
                curve: Some(CurveName::P256),
                ..Default::default()
            };
            let r = client
                .create_key(&format!("{key}-{i}"), body.try_into().map_err(e)?, None)
                .await
                .map_err(e)?;
            r.into_model().map(|_| 1).map_err(e)
        }
        "sign" => {
            let body = SignParameters {
                algorithm: Some(SignatureAlgorithm::Rs256),
                value: Some(vec![7u8; 32]),
            };
            let r = client
                .sign(key, body.try_into().map_err(e)?, None)
                .await
                .map_err(e)?;
            r.into_model().map(|_| 1).map_err(e)
        }
        "list" => {
            let mut pager = client.list_key_properties(None).map_err(e)?;
            let mut n = 0u64;
            while pager.try_next().await.map_err(e)?.is_some() {
                n += 1;
            }
            Ok(n)
        }
        other => Err(format!("unknown op {other:?}")),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match harness::parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let client = match client(&args.url, &args.ca) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("official bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = harness::drive(&args, |i| call(&client, &args.op, &args.key, i)).await;
    println!(
        "{}",
        harness::json_line(
            "azure_security_keyvault_keys (official Rust)",
            &args,
            &outcome
        )
    );
    ExitCode::SUCCESS
}
