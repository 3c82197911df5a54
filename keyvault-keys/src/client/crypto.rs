//! `CryptographyClient`s that share this client's pipeline.

use super::*;

impl KeyClient {
    /// A `CryptographyClient` for a key of this vault, sharing this client's
    /// pipeline (connections, token, challenge cache).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_rsa_key("key-name", None).await?;
    /// use keyvault_keys::crypto::{EncryptParameters, EncryptionAlgorithm};
    /// let crypto = client.get_cryptography_client("key-name", None)?;
    /// let r = crypto.encrypt(&EncryptParameters::new(EncryptionAlgorithm::RsaOaep256, b"plaintext".to_vec()), None).await?;
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn get_cryptography_client(
        &self,
        name: &str,
        options: Option<GetCryptographyClientOptions>,
    ) -> Result<CryptographyClient> {
        validate_key_name(name)?;
        let o = options.unwrap_or_default();
        let id = match o.version.as_deref() {
            Some(v) if !v.is_empty() => format!("{}/keys/{name}/{v}", self.vault_url),
            _ => format!("{}/keys/{name}", self.vault_url),
        };
        Ok(CryptographyClient::with_client(self.protocol.clone(), &id)?)
    }

    /// A `CryptographyClient` for a key already fetched: public-key
    /// operations run locally at once, no fetch needed.
    pub fn cryptography_client_for(&self, key: &KeyVaultKey) -> Result<CryptographyClient> {
        let mut jwk = key.key.clone();
        jwk.kid = Some(key.properties.id.clone());
        let usage = KeyUsage {
            enabled: key.properties.enabled,
            not_before: key.properties.not_before,
            expires_on: key.properties.expires_on,
        };
        Ok(CryptographyClient::from_key(
            self.protocol.clone(),
            jwk,
            usage,
        )?)
    }
}
