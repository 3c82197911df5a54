//! The official Azure SDK for Rust (`azure_security_keyvault_keys`) against the
//! emulator binary over HTTPS. Run by `tests/tests/interop_official_rust.rs`.
//!
//! Environment:
//! - `KEYVAULT_URL`: the vault URL the emulator printed;
//! - `KEYVAULT_CA`: the emulator's CA file (PEM), the only trusted root;
//! - `KEYVAULT_TOKEN`: the bearer token (default `emulator-token`);
//! - `KEYVAULT_DEFAULT_SETTINGS=1`: keep the client's default challenge-resource
//!   verification (the vault must then be named by a host such as
//!   `vault.localhost`); otherwise it is disabled, as 127.0.0.1 has no parent domain.
//!
//! Prints `ok N - …` per check and `official-rust: all N checks passed`; exits 1
//! on the first failure.
#![forbid(unsafe_code)]

use std::collections::{HashMap, HashSet};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::http::{ClientOptions, StatusCode, Transport};
use azure_core::time::{Duration, OffsetDateTime};
use azure_security_keyvault_keys::models::{
    CreateKeyParameters, CurveName, EncryptionAlgorithm, KeyAttributes, KeyClientGetKeyOptions,
    KeyClientListKeyPropertiesOptions, KeyClientSignOptions, KeyClientUpdateKeyPropertiesOptions,
    KeyOperationParameters, KeyType, SignParameters, SignatureAlgorithm,
    UpdateKeyPropertiesParameters, VerifyParameters,
};
use azure_security_keyvault_keys::{KeyClient, KeyClientOptions, ResourceExt};
use futures::TryStreamExt as _;

type Result<T> = std::result::Result<T, String>;

/// Hands out the emulator's token and counts the requests for one.
#[derive(Debug)]
struct StaticToken {
    token: String,
    calls: AtomicUsize,
}

#[async_trait::async_trait]
impl TokenCredential for StaticToken {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(AccessToken::new(
            Secret::new(self.token.clone()),
            OffsetDateTime::now_utc() + Duration::hours(1),
        ))
    }
}

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!("{}: {}", stringify!($cond), format!($($msg)+)));
        }
    };
}

/// `what: error: its source: …`, the whole chain (azure_core's outer
/// message alone can be as vague as "non-transport error").
fn err(what: &str) -> impl FnOnce(azure_core::Error) -> String + '_ {
    move |e| {
        let mut text = format!("{what}: {e}");
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(&format!(": {s}"));
            source = s.source();
        }
        text
    }
}

fn status_of(e: &azure_core::Error) -> Option<StatusCode> {
    e.http_status()
}

fn error_code(e: &azure_core::Error) -> Option<String> {
    match e.kind() {
        azure_core::error::ErrorKind::HttpResponse { error_code, .. } => error_code.clone(),
        _ => None,
    }
}

struct Run {
    client: KeyClient,
    vault_url: String,
    prefix: String,
    checks: usize,
}

impl Run {
    fn ok(&mut self, what: &str) {
        self.checks += 1;
        println!("ok {} - {what}", self.checks);
    }

    async fn create(
        &self,
        name: &str,
        params: CreateKeyParameters,
    ) -> Result<azure_security_keyvault_keys::models::Key> {
        self.client
            .create_key(name, params.try_into().map_err(err("body"))?, None)
            .await
            .map_err(err("create_key"))?
            .into_model()
            .map_err(err("create_key body"))
    }
}

fn ec_p256() -> CreateKeyParameters {
    CreateKeyParameters {
        kty: Some(KeyType::Ec),
        curve: Some(CurveName::P256),
        ..Default::default()
    }
}

async fn run(run: &mut Run, credential: &StaticToken) -> Result<()> {
    let p = run.prefix.clone();
    let vault = run.vault_url.clone();

    // create
    let rsa = run
        .create(
            &format!("{p}-rsa"),
            CreateKeyParameters {
                kty: Some(KeyType::Rsa),
                key_size: Some(2048),
                tags: Some(HashMap::from([("purpose".into(), "interop".into())])),
                ..Default::default()
            },
        )
        .await?;
    let rsa_id = rsa.resource_id().map_err(err("rsa id"))?;
    ensure!(rsa_id.name == format!("{p}-rsa"), "{rsa_id:?}");
    ensure!(
        rsa_id.vault_url.trim_end_matches('/') == vault,
        "{rsa_id:?} vs {vault}"
    );
    let rsa_version = rsa_id.version.clone().ok_or("no version in the kid")?;
    let jwk = rsa.key.as_ref().ok_or("no key")?;
    ensure!(jwk.kty == Some(KeyType::Rsa), "{:?}", jwk.kty);
    ensure!(jwk.n.as_ref().map(Vec::len) == Some(256), "modulus length");
    ensure!(
        rsa.tags
            .as_ref()
            .and_then(|t| t.get("purpose"))
            .map(String::as_str)
            == Some("interop"),
        "{:?}",
        rsa.tags
    );
    let ec = run.create(&format!("{p}-ec"), ec_p256()).await?;
    let ec_jwk = ec.key.as_ref().ok_or("no key")?;
    ensure!(ec_jwk.crv == Some(CurveName::P256), "{:?}", ec_jwk.crv);
    ensure!(ec_jwk.x.as_ref().map(Vec::len) == Some(32), "x length");
    let ec_version = ec
        .resource_id()
        .map_err(err("ec id"))?
        .version
        .ok_or("no version")?;
    let oct = run
        .create(
            &format!("{p}-oct"),
            CreateKeyParameters {
                kty: Some(KeyType::OctHsm),
                key_size: Some(256),
                ..Default::default()
            },
        )
        .await?;
    ensure!(
        oct.key.as_ref().is_some_and(|k| k.k.is_none()),
        "symmetric material must never be returned"
    );
    run.ok("create RSA-2048, EC P-256 and oct-HSM keys");

    // get
    let got = run
        .client
        .get_key(&format!("{p}-rsa"), None)
        .await
        .map_err(err("get_key"))?
        .into_model()
        .map_err(err("get_key body"))?;
    ensure!(
        got.key.as_ref().and_then(|k| k.kid.clone()) == jwk.kid,
        "latest version's kid"
    );
    let named = run
        .client
        .get_key(
            &format!("{p}-rsa"),
            Some(KeyClientGetKeyOptions {
                key_version: Some(rsa_version.clone()),
                ..Default::default()
            }),
        )
        .await
        .map_err(err("get_key version"))?
        .into_model()
        .map_err(err("get_key body"))?;
    ensure!(
        named.key.as_ref().and_then(|k| k.n.clone()) == jwk.n,
        "same modulus"
    );
    match run.client.get_key(&format!("{p}-missing"), None).await {
        Ok(_) => return Err("a missing key was found".into()),
        Err(e) => {
            ensure!(status_of(&e) == Some(StatusCode::NotFound), "{e}");
            ensure!(error_code(&e).as_deref() == Some("KeyNotFound"), "{e}");
        }
    }
    run.ok("get the latest and a named version; a missing key is 404 KeyNotFound");

    // list (27 keys, pages of 10 over nextLink) and versions
    let names: Vec<String> = (0..27).map(|i| format!("{p}-l{i:02}")).collect();
    for n in &names {
        run.create(n, ec_p256()).await?;
    }
    let mut listed = HashSet::new();
    let mut pager = run
        .client
        .list_key_properties(Some(KeyClientListKeyPropertiesOptions {
            maxresults: Some(10),
            ..Default::default()
        }))
        .map_err(err("list_key_properties"))?;
    while let Some(props) = pager.try_next().await.map_err(err("list page"))? {
        listed.insert(props.resource_id().map_err(err("listed id"))?.name);
    }
    for n in &names {
        ensure!(listed.contains(n), "paging over nextLink must return {n}");
    }
    let mut pages = run
        .client
        .list_key_properties(Some(KeyClientListKeyPropertiesOptions {
            maxresults: Some(10),
            ..Default::default()
        }))
        .map_err(err("list_key_properties"))?
        .into_pages();
    let mut page_sizes = Vec::new();
    while let Some(page) = pages.try_next().await.map_err(err("page"))? {
        let page = page.into_model().map_err(err("page body"))?;
        page_sizes.push(page.value.len());
    }
    ensure!(
        page_sizes.len() >= 3 && page_sizes.iter().all(|n| *n <= 10),
        "{page_sizes:?}"
    );
    run.create(&names[0], ec_p256()).await?;
    run.create(&names[0], ec_p256()).await?;
    let versions: Vec<_> = run
        .client
        .list_key_properties_versions(&names[0], None)
        .map_err(err("list versions"))?
        .try_collect()
        .await
        .map_err(err("list versions page"))?;
    let distinct: HashSet<_> = versions.iter().filter_map(|v| v.kid.clone()).collect();
    ensure!(versions.len() == 3 && distinct.len() == 3, "{versions:?}");
    run.ok("list keys over several pages of 10 and list versions");

    // update
    let nbf = OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp() - 60)
        .map_err(|e| e.to_string())?;
    let update = UpdateKeyPropertiesParameters {
        key_attributes: Some(KeyAttributes {
            enabled: Some(false),
            not_before: Some(nbf),
            ..Default::default()
        }),
        tags: Some(HashMap::from([("a".into(), "b".into())])),
        ..Default::default()
    };
    let updated = run
        .client
        .update_key_properties(
            &format!("{p}-ec"),
            update.try_into().map_err(err("body"))?,
            Some(KeyClientUpdateKeyPropertiesOptions {
                key_version: Some(ec_version.clone()),
                ..Default::default()
            }),
        )
        .await
        .map_err(err("update_key_properties"))?
        .into_model()
        .map_err(err("update body"))?;
    let attrs = updated.attributes.as_ref().ok_or("no attributes")?;
    ensure!(attrs.enabled == Some(false), "{attrs:?}");
    ensure!(attrs.not_before == Some(nbf), "{attrs:?}");
    ensure!(
        updated.tags == Some(HashMap::from([("a".into(), "b".into())])),
        "{:?}",
        updated.tags
    );
    let again = run
        .client
        .get_key(&format!("{p}-ec"), None)
        .await
        .map_err(err("get_key"))?
        .into_model()
        .map_err(err("get body"))?;
    ensure!(
        again.attributes.as_ref().and_then(|a| a.enabled) == Some(false),
        "the update is stored"
    );
    let enable = UpdateKeyPropertiesParameters {
        key_attributes: Some(KeyAttributes {
            enabled: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    };
    run.client
        .update_key_properties(
            &format!("{p}-ec"),
            enable.try_into().map_err(err("body"))?,
            None,
        )
        .await
        .map_err(err("re-enable"))?;
    run.ok("update attributes and tags");

    // delete and recover
    let name = format!("{p}-rsa");
    let deleted = run
        .client
        .delete_key(&name, None)
        .await
        .map_err(err("delete_key"))?
        .into_model()
        .map_err(err("delete body"))?;
    let recovery_id = deleted.recovery_id.clone().unwrap_or_default();
    ensure!(
        recovery_id == format!("{vault}/deletedkeys/{name}"),
        "{recovery_id}"
    );
    ensure!(deleted.deleted_date.is_some(), "{deleted:?}");
    match run.client.get_key(&name, None).await {
        Ok(_) => return Err("a deleted key is still readable".into()),
        Err(e) => ensure!(status_of(&e) == Some(StatusCode::NotFound), "{e}"),
    }
    let got_deleted = run
        .client
        .get_deleted_key(&name, None)
        .await
        .map_err(err("get_deleted_key"))?
        .into_model()
        .map_err(err("deleted body"))?;
    ensure!(
        got_deleted.key.as_ref().and_then(|k| k.kid.clone()) == jwk.kid,
        "deleted kid"
    );
    let deleted_names: HashSet<String> = run
        .client
        .list_deleted_key_properties(None)
        .map_err(err("list deleted"))?
        .try_collect::<Vec<_>>()
        .await
        .map_err(err("list deleted page"))?
        .iter()
        .filter_map(|d| {
            d.kid
                .as_deref()
                .and_then(|k| k.rsplit('/').next())
                .map(str::to_owned)
        })
        .collect();
    ensure!(deleted_names.contains(&name), "{deleted_names:?}");
    let recovered = run
        .client
        .recover_deleted_key(&name, None)
        .await
        .map_err(err("recover_deleted_key"))?
        .into_model()
        .map_err(err("recover body"))?;
    ensure!(
        recovered.key.as_ref().and_then(|k| k.kid.clone()) == jwk.kid,
        "recovered kid"
    );
    let back = run
        .client
        .get_key(&name, None)
        .await
        .map_err(err("get recovered"))?
        .into_model()
        .map_err(err("body"))?;
    ensure!(
        back.resource_id().map_err(err("id"))?.version == Some(rsa_version.clone()),
        "same version"
    );
    run.ok("delete, read the deleted key, list deleted keys, recover, get it again");

    // delete and purge
    let oct_name = format!("{p}-oct");
    run.client
        .delete_key(&oct_name, None)
        .await
        .map_err(err("delete oct"))?;
    run.client
        .purge_deleted_key(&oct_name, None)
        .await
        .map_err(err("purge_deleted_key"))?;
    match run.client.get_deleted_key(&oct_name, None).await {
        Ok(_) => return Err("a purged key is still there".into()),
        Err(e) => ensure!(status_of(&e) == Some(StatusCode::NotFound), "{e}"),
    }
    run.ok("delete and purge");

    // encrypt / decrypt RSA-OAEP-256
    let plaintext: Vec<u8> = (0u8..48)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    let enc = run
        .client
        .encrypt(
            &name,
            KeyOperationParameters {
                algorithm: Some(EncryptionAlgorithm::RsaOaep256),
                value: Some(plaintext.clone()),
                ..Default::default()
            }
            .try_into()
            .map_err(err("body"))?,
            None,
        )
        .await
        .map_err(err("encrypt"))?
        .into_model()
        .map_err(err("encrypt body"))?;
    let ciphertext = enc.result.clone().ok_or("no ciphertext")?;
    ensure!(ciphertext.len() == 256, "{}", ciphertext.len());
    ensure!(enc.kid == jwk.kid, "{:?}", enc.kid);
    let dec = run
        .client
        .decrypt(
            &name,
            &rsa_version,
            KeyOperationParameters {
                algorithm: Some(EncryptionAlgorithm::RsaOaep256),
                value: Some(ciphertext),
                ..Default::default()
            }
            .try_into()
            .map_err(err("body"))?,
            None,
        )
        .await
        .map_err(err("decrypt"))?
        .into_model()
        .map_err(err("decrypt body"))?;
    ensure!(dec.result == Some(plaintext), "round trip");
    run.ok("RSA-OAEP-256 encrypt then decrypt");

    // sign / verify ES256
    let digest: Vec<u8> = (0u8..32).collect();
    let signed = run
        .client
        .sign(
            &format!("{p}-ec"),
            SignParameters {
                algorithm: Some(SignatureAlgorithm::Es256),
                value: Some(digest.clone()),
            }
            .try_into()
            .map_err(err("body"))?,
            Some(KeyClientSignOptions {
                key_version: Some(ec_version.clone()),
                ..Default::default()
            }),
        )
        .await
        .map_err(err("sign"))?
        .into_model()
        .map_err(err("sign body"))?;
    let signature = signed.result.clone().ok_or("no signature")?;
    ensure!(
        signature.len() == 64,
        "JWS signatures are r||s: {}",
        signature.len()
    );
    let verify = |signature: Vec<u8>| {
        let params = VerifyParameters {
            algorithm: Some(SignatureAlgorithm::Es256),
            digest: Some(digest.clone()),
            signature: Some(signature),
        };
        let client = &run.client;
        let name = format!("{p}-ec");
        let version = ec_version.clone();
        async move {
            client
                .verify(
                    &name,
                    &version,
                    params.try_into().map_err(err("body"))?,
                    None,
                )
                .await
                .map_err(err("verify"))?
                .into_model()
                .map_err(err("verify body"))
                .map(|r| r.value)
        }
    };
    ensure!(
        verify(signature.clone()).await? == Some(true),
        "the signature verifies"
    );
    let mut tampered = signature;
    tampered[5] ^= 1;
    ensure!(
        verify(tampered).await? == Some(false),
        "a tampered signature does not"
    );
    run.ok("ES256 sign then verify (and a tampered signature fails)");

    let calls = credential.calls.load(Ordering::SeqCst);
    ensure!(calls >= 1, "the credential was asked for a token: {calls}");
    run.ok("the credential was asked for a token");
    Ok(())
}

fn env(name: &str) -> Result<String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

async fn main_inner() -> Result<usize> {
    let vault_url = env("KEYVAULT_URL")?.trim_end_matches('/').to_owned();
    let ca = std::fs::read(env("KEYVAULT_CA")?).map_err(|e| format!("reading KEYVAULT_CA: {e}"))?;
    let token = std::env::var("KEYVAULT_TOKEN").unwrap_or_else(|_| "emulator-token".into());
    let default_settings = std::env::var("KEYVAULT_DEFAULT_SETTINGS").as_deref() == Ok("1");

    // azure_core's transport is a reqwest::Client; one that trusts the
    // emulator's CA only (ring as rustls's provider keeps the build small).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca = reqwest::Certificate::from_pem(&ca).map_err(|e| format!("KEYVAULT_CA: {e}"))?;
    let http = reqwest::Client::builder()
        .tls_certs_only([ca])
        .build()
        .map_err(|e| format!("reqwest client: {e}"))?;
    let credential = Arc::new(StaticToken {
        token,
        calls: AtomicUsize::new(0),
    });
    let mut options = KeyClientOptions {
        client_options: ClientOptions {
            transport: Some(Transport::new(Arc::new(http))),
            ..Default::default()
        },
        ..Default::default()
    };
    if !default_settings {
        options.verify_challenge_resource = Some(false);
    }
    let client = KeyClient::new(&vault_url, credential.clone(), Some(options))
        .map_err(err("KeyClient::new"))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut r = Run {
        client,
        vault_url,
        prefix: format!(
            "rs-{:012x}",
            (nanos ^ u128::from(std::process::id())) & 0xffff_ffff_ffff
        ),
        checks: 0,
    };
    let outcome = run(&mut r, &credential).await;
    outcome
        .map(|()| r.checks)
        .map_err(|e| format!("not ok {} - {e}", r.checks + 1))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let default_settings = std::env::var("KEYVAULT_DEFAULT_SETTINGS").as_deref() == Ok("1");
    match main_inner().await {
        Ok(n) => {
            println!(
                "official-rust: all {n} checks passed ({})",
                if default_settings {
                    "default settings"
                } else {
                    "challenge verification off"
                }
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
