//! Releasing keys and drawing random bytes from the HSM.

use super::*;

impl KeyClient {
    /// Draws `count` random bytes from the HSM (Managed HSM; the service
    /// allows 1 to 128).
    ///
    /// They often become key material, so they come as [`SecretBytes`]:
    /// zeroized when dropped, never printed by `Debug`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// let bytes = client.get_random_bytes(16, None).await?;
    /// assert_eq!(bytes.len(), 16);
    /// let raw: &[u8] = bytes.expose();
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn get_random_bytes(
        &self,
        count: u32,
        options: Option<GetRandomBytesOptions>,
    ) -> Result<SecretBytes> {
        traced!("KeyClient.get_random_bytes", async move {
            let GetRandomBytesOptions {} = options.unwrap_or_default();
            self.require("get_random_bytes", "GetRandomBytes")?;
            // The request's count is a non-zero number, so 0 cannot be sent; the
            // upper limit is the service's to check.
            let Some(count) = NonZeroU32::new(count) else {
                return Err(Error::validation("count must be at least 1, not 0"));
            };
            let r = call(
                self.protocol
                    .get_random_bytes(&types::GetRandomBytesRequest {
                        count,
                        extra: Default::default(),
                    }),
            )
            .await?;
            b64::decode(r.value.expose_secret())
                .map(SecretBytes::new)
                .map_err(|e| {
                    Error::invalid_response(format!(
                        "the service returned random bytes that are not base64url: {e}"
                    ))
                })
        })
    }

    /// Releases an exportable key to the environment that
    /// `target_attestation_token` attests.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let authority = keyvault_keys::crypto::generate(&keyvault_keys::crypto::KeySpec { kty: keyvault_keys::crypto::KeyType::Ec, size: None, curve: None, public_exponent: None })?;
    /// # let runtime = keyvault_keys::crypto::generate(&keyvault_keys::crypto::KeySpec { kty: keyvault_keys::crypto::KeyType::Rsa, size: Some(2048), curve: None, public_exponent: None })?;
    /// # let emulator = keyvault_emulator::Emulator::start(keyvault_emulator::EmulatorOptions { trusted_attestation_keys: vec![keyvault_emulator::TrustedAttestationKey::new("https://attest.example", authority.public_only())], ..Default::default() }).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # let policy = r#"{"version":"1.0.0","anyOf":[{"authority":"https://attest.example","allOf":[{"claim":"tee","equals":"sevsnp"}]}]}"#;
    /// # client.create_rsa_key("key-name", Some(keyvault_keys::CreateKeyOptions { hardware_protected: Some(true), exportable: Some(true), release_policy: Some(keyvault_keys::KeyReleasePolicy::new(policy.to_string())), ..Default::default() })).await?;
    /// # let token = keyvault_emulator::release::sign_token(&authority, &serde_json::json!({"iss": "https://attest.example", "tee": "sevsnp", "exp": emulator.now() + 600, "x-ms-runtime": {"keys": [runtime.public_only()]}}))?;
    /// # let token = token.as_str();
    /// let result = client.release_key("key-name", token, None).await?;
    /// println!("{}", result.value);
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn release_key(
        &self,
        name: &str,
        target_attestation_token: &str,
        options: Option<ReleaseKeyOptions>,
    ) -> Result<ReleaseKeyResult> {
        traced!("KeyClient.release_key", async move {
            validate_key_name(name)?;
            let o = options.unwrap_or_default();
            self.require("release_key", "release")?;
            self.require_member(o.nonce.is_some(), "nonce", "KeyReleaseParameters", "nonce")?;
            self.require_member(
                o.algorithm.is_some(),
                "algorithm",
                "KeyReleaseParameters",
                "enc",
            )?;
            let target =
                types::KeyReleaseParametersTarget::try_from(target_attestation_token.to_owned())
                    .map_err(|e| {
                        Error::validation(format!("the target attestation token is not valid: {e}"))
                    })?;
            let body = types::KeyReleaseParameters {
                target,
                nonce: o.nonce,
                enc: o.algorithm,
                extra: Default::default(),
            };
            let r = call(
                self.protocol
                    .release(name, o.version.as_deref().unwrap_or(""), &body),
            )
            .await?;
            let value = r.value.ok_or_else(|| {
                Error::invalid_response("the service returned a release result without value")
            })?;
            Ok(ReleaseKeyResult {
                value: value.expose_secret().to_owned(),
            })
        })
    }
}
