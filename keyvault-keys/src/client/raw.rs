//! Raw requests through the client's pipeline.

use super::*;

impl KeyClient {
    /// Sends a raw request through this client's pipeline (api-version,
    /// authentication, retries); the response is returned whatever its status.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_ec_key("key-name", None).await?;
    /// use keyvault_keys::{RawRequest, Method};
    /// let response = client.send_request(RawRequest::new(Method::GET, "/keys/key-name/")).await?;
    /// println!("{} {}", response.status, response.text());
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn send_request(&self, request: RawRequest) -> Result<RawResponse> {
        traced!("KeyClient.send_request", async move {
            Ok(self.protocol.send_request(request).await?)
        })
    }

    /// Like [`KeyClient::send_request`], but the body is a stream of byte
    /// chunks read as they arrive (Python's `send_request(..., stream=True)`),
    /// still bounded by `max_response_size`: the stream fails once more
    /// bytes than that arrived (see
    /// [`Client::send_request_streaming`](keyvault_keys_protocol::Client::send_request_streaming)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_ec_key("key-name", None).await?;
    /// use futures::TryStreamExt as _;
    /// use keyvault_keys::{RawRequest, Method};
    /// let response = client.send_request_streaming(RawRequest::new(Method::GET, "/keys/key-name/")).await?;
    /// let body = response.into_body().try_fold(Vec::new(), |mut all, chunk| async move {
    ///     all.extend_from_slice(&chunk);
    ///     Ok(all)
    /// }).await?;
    /// println!("{} bytes", body.len());
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn send_request_streaming(
        &self,
        request: RawRequest,
    ) -> Result<keyvault_keys_protocol::AsyncRawResponse> {
        traced!("KeyClient.send_request_streaming", async move {
            Ok(self.protocol.send_request_streaming(request).await?)
        })
    }
}
