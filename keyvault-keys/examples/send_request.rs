//! A raw request through the client's pipeline: for service features this
//! crate does not wrap yet.
#[path = "common/mod.rs"]
mod common;

use keyvault_keys::{Method, RawRequest};

#[tokio::main]
async fn main() -> Result<(), common::AnyError> {
    let vault = common::connect().await?;
    let client = &vault.client;
    let name = common::unique("raw-key");
    client.create_ec_key(&name, None).await?;
    // api-version, authentication and retries are added by the pipeline.
    let response = client
        .send_request(RawRequest::new(Method::GET, format!("/keys/{name}/")))
        .await?;
    let body: serde_json::Value = response.json()?;
    println!(
        "GET /keys/{name}/ → {} kid={}",
        response.status, body["key"]["kid"]
    );
    let missing = client
        .send_request(RawRequest::new(Method::GET, "/keys/does-not-exist/"))
        .await?;
    println!(
        "GET /keys/does-not-exist/ → {} (returned, not raised)",
        missing.status
    );
    vault.close().await;
    Ok(())
}
