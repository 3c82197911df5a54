//! Raw requests through the client's pipeline.

use super::*;

impl KeyClient {
    /// Sends a raw request through this client's pipeline (api-version,
    /// authentication, retries); the response is returned whatever its status.
    ///
    /// ```no_run
    /// # async fn f(client: keyvault_keys::KeyClient) -> keyvault_keys::Result<()> {
    /// use keyvault_keys::{RawRequest, Method};
    /// let response = client.send_request(RawRequest::new(Method::GET, "/keys/key-name/")).await?;
    /// println!("{} {}", response.status, response.text());
    /// # Ok(()) }
    /// ```
    pub async fn send_request(&self, request: RawRequest) -> Result<RawResponse> {
        Ok(self.protocol.send_request(request).await?)
    }
}
