//! Every call our `KeyClient` makes for the benchmark, in one file (its
//! method signatures are the part that changes).

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::TryStreamExt as _;
use keyvault_keys::crypto::{CryptographyClient, SignatureAlgorithm};
use keyvault_keys::{CreateKeyOptions, KeyClient, KeyClientOptions, UpdateKeyPropertiesOptions};
use keyvault_keys_protocol::reqwest;

/// Our client and, for `sign`, one cryptography client for the key.
pub struct Calls {
    client: KeyClient,
    crypto: Option<CryptographyClient>,
}

/// Our client for `url`, trusting only the PEM file `ca`.
pub fn calls(url: &str, ca: &str, op: &str, key: &str) -> Result<Calls, String> {
    let pem = std::fs::read(ca).map_err(|e| format!("reading {ca}: {e}"))?;
    let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| e.to_string())?;
    let http = reqwest::Client::builder()
        .tls_certs_only([cert])
        .build()
        .map_err(|e| e.to_string())?;
    let options = KeyClientOptions {
        client_options: keyvault_keys::ClientOptions {
            http_client: Some(http),
            ..Default::default()
        },
    };
    let credential = Arc::new(keyvault_emulator::StaticTokenCredential::new("bench-token"));
    let client = KeyClient::new(url, credential, Some(options)).map_err(|e| e.to_string())?;
    let crypto = match op {
        "sign" => Some(
            client
                .get_cryptography_client(key, None)
                .map_err(|e| e.to_string())?,
        ),
        _ => None,
    };
    Ok(Calls { client, crypto })
}

/// One call of `op` on `key`; returns how many items it got.
pub async fn call(calls: &Calls, op: &str, key: &str, i: u64) -> Result<u64, String> {
    let e = |e: keyvault_keys::Error| e.to_string();
    let client = &calls.client;
    match op {
        "get" => client.get_key(key, None).await.map(|_| 1).map_err(e),
        "update" => {
            let options = UpdateKeyPropertiesOptions {
                tags: Some(BTreeMap::from([("n".to_owned(), (i % 1000).to_string())])),
                ..Default::default()
            };
            client
                .update_key_properties(key, Some(options))
                .await
                .map(|_| 1)
                .map_err(e)
        }
        "create" => client
            .create_ec_key(&format!("{key}-{i}"), None)
            .await
            .map(|_| 1)
            .map_err(e),
        "create-rsa" => client
            .create_rsa_key(
                key,
                Some(CreateKeyOptions {
                    size: Some(2048),
                    ..Default::default()
                }),
            )
            .await
            .map(|_| 1)
            .map_err(e),
        "sign" => {
            let crypto = calls.crypto.as_ref().ok_or("no cryptography client")?;
            crypto
                .sign(&SignatureAlgorithm::Rs256, &[7u8; 32], None)
                .await
                .map(|_| 1)
                .map_err(|e| e.to_string())
        }
        "list" => {
            let mut pager = client.list_properties_of_keys(None);
            let mut n = 0u64;
            while let Some(_key) = pager.try_next().await.map_err(e)? {
                n += 1;
            }
            Ok(n)
        }
        other => Err(format!("unknown op {other:?}")),
    }
}
