//! No secret material reaches `Debug` (or `Display`) output.
//!
//! Every public type of this crate that can hold secret material, and every
//! generated wire type that can, is filled with a known secret and
//! formatted; the output must not contain the secret in any of the forms it
//! could leak in: raw text, hex (either case), base64 (padded or not),
//! base64url, or Rust's `Debug` list of byte values. A prefix of each form
//! is checked too, so a truncated print is caught as well.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use keyvault_emulator::{Emulator, EmulatorOptions};
use keyvault_keys::*;
use keyvault_keys_protocol::{enums, types};

/// The secret every test plants.
const SECRET: &[u8] = b"kv-secret:9f3a1c7e5b2d8f60-PLANTED";

/// The secret as the wire carries it (base64url).
fn wire(secret: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(secret)
}

/// Every form the secret could leak in, and a 12-character prefix of each.
fn forms(secret: &[u8]) -> Vec<String> {
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let full = vec![
        String::from_utf8_lossy(secret).into_owned(),
        hex.clone(),
        hex.to_uppercase(),
        STANDARD.encode(secret),
        STANDARD_NO_PAD.encode(secret),
        URL_SAFE_NO_PAD.encode(secret),
        secret
            .iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    ];
    let mut all = full.clone();
    all.extend(full.iter().map(|f| f.chars().take(12).collect::<String>()));
    all
}

fn assert_hidden(what: &str, secret: &[u8], text: &str) {
    for form in forms(secret) {
        assert!(
            !text.contains(&form),
            "{what} leaks the secret (as {form:?}) in: {text}"
        );
    }
}

fn debug_hidden<T: std::fmt::Debug>(what: &str, value: &T) {
    assert_hidden(what, SECRET, &format!("{value:?}"));
    assert_hidden(what, SECRET, &format!("{value:#?}"));
}

fn secret_jwk() -> JsonWebKey {
    let mut jwk = JsonWebKey::new(KeyType::RsaHsm);
    let s = || Some(crypto::SecretBytes::from_slice(SECRET));
    (jwk.d, jwk.dp, jwk.dq, jwk.qi, jwk.p, jwk.q, jwk.k) = (s(), s(), s(), s(), s(), s(), s());
    jwk.t = Some(SECRET.to_vec());
    jwk
}

fn secret_wire_jwk() -> types::JsonWebKey {
    let s = || Some(wire(SECRET).into());
    types::JsonWebKey {
        kty: Some(enums::KeyType::RsaHsm),
        d: s(),
        dp: s(),
        dq: s(),
        qi: s(),
        p: s(),
        q: s(),
        k: s(),
        key_hsm: s(),
        ..Default::default()
    }
}

fn properties() -> KeyProperties {
    let mut p = KeyProperties::from_id("https://v.vault.azure.net/keys/k/0123").expect("id");
    p.enabled = Some(true);
    p.exportable = Some(true);
    p
}

#[test]
fn the_forms_checked_do_find_a_leak() {
    // The checker itself works: each form of the secret is caught.
    for form in forms(SECRET) {
        let leaked = std::panic::catch_unwind(|| assert_hidden("probe", SECRET, &form));
        assert!(leaked.is_err(), "{form:?} was not caught");
    }
    let leaked = std::panic::catch_unwind(|| debug_hidden("Vec<u8>", &SECRET.to_vec()));
    assert!(leaked.is_err(), "a Debug of the bytes was not caught");
}

#[test]
fn public_types_of_the_keys_crate_hide_secret_material() {
    debug_hidden("JsonWebKey", &secret_jwk());
    debug_hidden("KeyVaultKey", &KeyVaultKey::new(secret_jwk(), properties()));
    debug_hidden("DeletedKey", &{
        let mut d = DeletedKey::default();
        d.key = Some(secret_jwk());
        d.properties = properties();
        d
    });
    debug_hidden("ReleaseKeyResult", &ReleaseKeyResult::new(wire(SECRET)));
}

#[test]
fn generated_types_that_carry_secrets_hide_them() {
    debug_hidden("types::JsonWebKey", &secret_wire_jwk());
    debug_hidden(
        "types::KeyImportParameters",
        &types::KeyImportParameters {
            key: secret_wire_jwk(),
            ..Default::default()
        },
    );
    debug_hidden(
        "types::KeyBundle",
        &types::KeyBundle {
            key: Some(secret_wire_jwk()),
            ..Default::default()
        },
    );
    debug_hidden(
        "types::DeletedKeyBundle",
        &types::DeletedKeyBundle {
            key: Some(secret_wire_jwk()),
            ..Default::default()
        },
    );
    debug_hidden(
        "types::KeyExportParameters",
        &types::KeyExportParameters {
            wrapping_key: Some(secret_wire_jwk()),
            ..Default::default()
        },
    );
    // encrypt / wrapKey send plaintext
    debug_hidden(
        "types::KeyOperationsParameters",
        &types::KeyOperationsParameters {
            alg: enums::EncryptionAlgorithm::RsaOaep256,
            value: wire(SECRET).into(),
            iv: None,
            aad: None,
            tag: None,
            extra: Default::default(),
        },
    );
    // decrypt / unwrapKey answer plaintext
    debug_hidden(
        "types::KeyOperationResult",
        &types::KeyOperationResult {
            value: Some(wire(SECRET).into()),
            ..Default::default()
        },
    );
    debug_hidden(
        "types::RandomBytes",
        &types::RandomBytes {
            value: wire(SECRET).into(),
            extra: Default::default(),
        },
    );
    debug_hidden(
        "types::KeyReleaseResult",
        &types::KeyReleaseResult {
            value: Some(wire(SECRET).into()),
            extra: Default::default(),
        },
    );
}

#[test]
fn secret_members_still_travel_on_the_wire() {
    // Redaction is for people, not for the service.
    let v = serde_json::to_value(secret_wire_jwk()).expect("json");
    for member in ["d", "dp", "dq", "qi", "p", "q", "k", "key_hsm"] {
        assert_eq!(v[member], wire(SECRET), "{member}");
    }
    let back: types::JsonWebKey = serde_json::from_value(v).expect("back");
    assert_eq!(back, secret_wire_jwk());
}

#[tokio::test]
async fn random_bytes_are_not_printed() {
    let emulator = Emulator::start(EmulatorOptions::default())
        .await
        .expect("emulator");
    let client = KeyClient::new(
        emulator.vault_url(),
        emulator.credential(),
        Some(KeyClientOptions {
            client_options: keyvault_keys::ClientOptions {
                http_client: Some(emulator.http_client()),
                ..Default::default()
            },
        }),
    )
    .expect("client");
    let bytes = client
        .get_random_bytes(32, None)
        .await
        .expect("random bytes");
    assert_eq!(bytes.len(), 32);
    let drawn = bytes.expose().to_vec();
    assert_hidden("get_random_bytes' result", &drawn, &format!("{bytes:?}"));
    emulator.shutdown().await;
}

/// A decrypt answer whose body the error or raw response would carry.
fn plaintext_body() -> Vec<u8> {
    format!(r#"{{"kid":"k","value":"{}""#, wire(SECRET)).into_bytes()
}

#[test]
fn an_invalid_response_error_hides_the_body() {
    // A truncated decrypt answer: not JSON, and it carries plaintext.
    let body = plaintext_body();
    let source = serde_json::from_slice::<serde_json::Value>(&body).expect_err("truncated");
    let e = Error::from(keyvault_keys_protocol::Error::invalid_response(
        keyvault_keys_protocol::reqwest::StatusCode::OK,
        body.into(),
        &source,
    ));
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    debug_hidden("Error", &e);
    assert_hidden("Error (Display)", SECRET, &e.to_string());
}

#[test]
fn raw_requests_and_responses_hide_their_bodies() {
    let mut request = RawRequest::new(Method::POST, "/keys/k/decrypt");
    request.body = Some(plaintext_body().into());
    debug_hidden("RawRequest", &request);
    let response = RawResponse {
        status: keyvault_keys_protocol::reqwest::StatusCode::OK,
        headers: Default::default(),
        body: plaintext_body().into(),
    };
    debug_hidden("RawResponse", &response);
}

/// Every node of an error's `source()` chain, as `Display` and `Debug`.
fn chain_texts(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    let mut out = Vec::new();
    let mut node = Some(e);
    while let Some(n) = node {
        out.push(n.to_string());
        out.push(format!("{n:?}"));
        node = n.source();
    }
    out
}

/// A walker of the whole `source()` chain (a log's error printer, anyhow's
/// `{:#}`) finds no secret: an answer that does not parse keeps only the
/// kind and place of the failure, not serde_json's error, whose message
/// quotes the value (issue 17).
#[test]
fn the_whole_source_chain_of_every_error_kind_hides_the_secret() {
    use keyvault_keys_protocol::Error as P;
    use keyvault_keys_protocol::reqwest::{Method, StatusCode};
    let value = String::from_utf8_lossy(SECRET).into_owned();
    let bodies = [
        // A string where a bool goes: serde quotes the string.
        format!(r#"{{"key":{{"kid":"k"}},"attributes":{{"enabled":"{value}"}}}}"#),
        // A string where a list goes.
        format!(r#"{{"key":{{"kid":"k","key_ops":"{value}"}}}}"#),
        // Truncated inside the secret.
        format!(r#"{{"key":{{"kid":"k","k":"{}"#, wire(SECRET)),
        // An unknown member name that is the secret, then a bad value.
        format!(r#"{{"tags":{{"{value}":5}}}}"#),
    ];
    let mut errors: Vec<Error> = Vec::new();
    for body in &bodies {
        let serde_error = serde_json::from_str::<types::KeyBundle>(body).expect_err(body);
        let protocol = || {
            P::invalid_response(
                StatusCode::OK,
                body.clone().into_bytes().into(),
                &serde_error,
            )
        };
        errors.push(protocol().into());
        errors.push(
            P::OutcomeUnknown {
                operation: "decrypt".into(),
                method: Method::POST,
                path: "/keys/k/v/decrypt".into(),
                cause: Box::new(protocol()),
            }
            .into(),
        );
        // The protocol error itself, walked from the top.
        let p = protocol();
        for text in chain_texts(&p) {
            assert_hidden("protocol InvalidResponse chain", SECRET, &text);
        }
    }
    // The check does find what serde_json would have printed.
    let serde_error = serde_json::from_str::<types::KeyBundle>(&bodies[0]).expect_err("bad");
    assert!(serde_error.to_string().contains(&value), "{serde_error}");
    errors.push(crypto::CryptoError::DecryptionFailed.into());
    errors.push(crypto::CryptoError::InvalidInput("a digest of the wrong length".into()).into());
    for e in &errors {
        for text in chain_texts(e) {
            assert_hidden("error chain", SECRET, &text);
        }
    }
}
