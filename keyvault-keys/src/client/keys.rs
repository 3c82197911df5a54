//! Creating, reading, updating and importing keys.

use super::*;

impl KeyClient {
    /// Creates a key of `key_type` (or a new version of an existing key).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// use keyvault_keys::{CreateKeyOptions, KeyType, KeyCurveName};
    /// let key = client.create_key("key-name", KeyType::Ec, Some(CreateKeyOptions { curve: Some(KeyCurveName::P384), ..Default::default() })).await?;
    /// println!("{} {:?}", key.id(), key.properties.enabled);
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn create_key(
        &self,
        name: &str,
        key_type: KeyType,
        options: Option<CreateKeyOptions>,
    ) -> Result<KeyVaultKey> {
        traced!("KeyClient.create_key", async move {
            validate_key_name(name)?;
            let o = options.unwrap_or_default();
            self.require("create_key", "CreateKey")?;
            self.require_member(o.size.is_some(), "size", "KeyCreateParameters", "key_size")?;
            self.require_member(
                o.public_exponent.is_some(),
                "public_exponent",
                "KeyCreateParameters",
                "public_exponent",
            )?;
            self.require_member(o.curve.is_some(), "curve", "KeyCreateParameters", "crv")?;
            self.require_member(
                o.akp_algorithm.is_some(),
                "akp_algorithm",
                "KeyCreateParameters",
                "alg",
            )?;
            self.require_common(
                "KeyCreateParameters",
                o.exportable,
                o.release_policy.as_ref(),
            )?;
            let kty = match (&key_type, o.hardware_protected) {
                (KeyType::Rsa, Some(true)) => KeyType::RsaHsm,
                (KeyType::Ec, Some(true)) => KeyType::EcHsm,
                (KeyType::Oct, Some(true)) => KeyType::OctHsm,
                (KeyType::Akp, Some(true)) => KeyType::AkpHsm,
                (k, _) => k.clone(),
            };
            // Sizes, curves and which option fits which key type are the
            // service's to check (Azure SDK guideline: no client-side copy of
            // service validation); its answer comes back as the error.
            // The wire's members are int32: a larger value would wrap into a
            // different (negative) number, so refuse it here.
            let int32 = |what: &str, v: Option<u32>| -> Result<Option<i32>> {
                v.map(|v| {
                    i32::try_from(v).map_err(|_| {
                        Error::validation(format!(
                            "{what} {v} is too large: the service takes at most {}",
                            i32::MAX
                        ))
                    })
                })
                .transpose()
            };
            let body = types::KeyCreateParameters {
                kty,
                key_size: int32("size", o.size)?,
                public_exponent: int32("public_exponent", o.public_exponent)?,
                key_ops: o.key_operations.unwrap_or_default(),
                attributes: attributes(o.enabled, o.not_before, o.expires_on, o.exportable),
                tags: o.tags.unwrap_or_default(),
                crv: o.curve,
                release_policy: o.release_policy.as_ref().map(KeyReleasePolicy::to_wire),
                alg: o.akp_algorithm,
                extra: Default::default(),
            };
            KeyVaultKey::from_bundle(&call(self.protocol.create_key(name, &body)).await?)
        })
    }

    /// Registers a Managed HSM key whose material lives in an external key
    /// manager connected to the HSM, identified there by `external_key_id`
    /// (letters, digits and dashes, at most 64 characters: the service
    /// checks it). Python's `create_external_key`; api-version
    /// 2026-01-01-preview or later (an older known version is refused
    /// before any request).
    ///
    /// The request is a create (`POST /keys/{name}/create`) whose body
    /// carries `attributes.external_key.id` and no `kty`: the service takes
    /// the two as exclusive, as the Python client sends it (the spec marks
    /// `kty` required, so this body is built here rather than by the
    /// generated method). Like every create it is never repeated after the
    /// service may have acted ([`ErrorKind::OutcomeUnknown`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(keyvault_emulator::EmulatorOptions { flavor: keyvault_emulator::Flavor::ManagedHsm, ..Default::default() }).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: keyvault_keys::ClientOptions { api_version: keyvault_keys::ApiVersion::V2026_04_01, ..emulator.client_options() } }))?;
    /// let key = client.create_external_key("ekm-key", "ext-0042", None).await?;
    /// println!("{:?}", key.properties.external_key.map(|e| e.id));
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn create_external_key(
        &self,
        name: &str,
        external_key_id: &str,
        options: Option<CreateExternalKeyOptions>,
    ) -> Result<KeyVaultKey> {
        validate_key_name(name)?;
        let o = options.unwrap_or_default();
        self.require("create_external_key", "CreateKey")?;
        self.require_member(true, "create_external_key", "KeyAttributes", "external_key")?;
        self.require_common("KeyCreateParameters", None, o.release_policy.as_ref())?;
        /// The create body without `kty`.
        #[derive(serde::Serialize)]
        struct Body {
            attributes: types::KeyAttributes,
            #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
            tags: std::collections::BTreeMap<String, String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            release_policy: Option<types::KeyReleasePolicy>,
        }
        let mut attributes =
            super::attributes(o.enabled, o.not_before, o.expires_on, None).unwrap_or_default();
        attributes.external_key = Some(types::ExternalKey {
            id: external_key_id.to_owned(),
            extra: Default::default(),
        });
        let body = Body {
            attributes,
            tags: o.tags.unwrap_or_default(),
            release_policy: o.release_policy.as_ref().map(KeyReleasePolicy::to_wire),
        };
        let request = RawRequest::new(
            keyvault_keys_protocol::reqwest::Method::POST,
            format!("/keys/{name}/create"),
        )
        .with_json(&body)?;
        let response = self
            .protocol
            .send_request(request)
            .await?
            .error_for_status()?;
        KeyVaultKey::from_bundle(&response.json::<types::KeyBundle>()?)
    }

    /// Creates an RSA key (RSA-HSM with `hardware_protected`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// use keyvault_keys::CreateKeyOptions;
    /// let key = client.create_rsa_key("rsa-key", Some(CreateKeyOptions { size: Some(2048), ..Default::default() })).await?;
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn create_rsa_key(
        &self,
        name: &str,
        options: Option<CreateKeyOptions>,
    ) -> Result<KeyVaultKey> {
        traced!("KeyClient.create_rsa_key", async move {
            self.create_key(name, KeyType::Rsa, options).await
        })
    }

    /// Creates an elliptic-curve key (P-256 unless `curve` says otherwise).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// let key = client.create_ec_key("ec-key", None).await?;
    /// println!("{:?}", key.key.crv);
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn create_ec_key(
        &self,
        name: &str,
        options: Option<CreateKeyOptions>,
    ) -> Result<KeyVaultKey> {
        traced!("KeyClient.create_ec_key", async move {
            self.create_key(name, KeyType::Ec, options).await
        })
    }

    /// Creates an AKP (Algorithm Key Pair) key: an ML-DSA (FIPS 204) key of
    /// the parameter set `algorithm` (AKP-HSM with `hardware_protected`),
    /// as the .NET client's `CreateAkpKeyOptions(name, algorithm,
    /// hardwareProtected)`; the request is `{"kty":"AKP","alg":"ML-DSA-65"}`.
    /// api-version 2026-05-01-preview or later: an older known version is
    /// refused before any request. `algorithm` overrides the options'
    /// `akp_algorithm`.
    ///
    /// Sign with `CryptographyClient::sign_ml_dsa` (in the vault), verify
    /// with `verify_ml_dsa` (locally, with the key's public `pub`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: keyvault_keys::ClientOptions { api_version: keyvault_keys::ApiVersion::V2026_07_01_PREVIEW, ..emulator.client_options() } }))?;
    /// use keyvault_keys::AkpAlgorithm;
    /// let key = client.create_akp_key("pq-key", AkpAlgorithm::MlDsa65, None).await?;
    /// println!("{:?}", key.key.alg);
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn create_akp_key(
        &self,
        name: &str,
        algorithm: AkpAlgorithm,
        options: Option<CreateKeyOptions>,
    ) -> Result<KeyVaultKey> {
        traced!("KeyClient.create_akp_key", async move {
            let options = CreateKeyOptions {
                akp_algorithm: Some(algorithm),
                ..options.unwrap_or_default()
            };
            self.create_key(name, KeyType::Akp, Some(options)).await
        })
    }

    /// Creates a symmetric key (Managed HSM; oct-HSM with `hardware_protected`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// use keyvault_keys::CreateKeyOptions;
    /// let key = client.create_oct_key("aes-key", Some(CreateKeyOptions { size: Some(256), hardware_protected: Some(true), ..Default::default() })).await?;
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn create_oct_key(
        &self,
        name: &str,
        options: Option<CreateKeyOptions>,
    ) -> Result<KeyVaultKey> {
        traced!("KeyClient.create_oct_key", async move {
            self.create_key(name, KeyType::Oct, options).await
        })
    }

    /// Gets a key: the latest version, or the options' `version`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_ec_key("key-name", None).await?;
    /// use keyvault_keys::GetKeyOptions;
    /// let key = client.get_key("key-name", None).await?;
    /// println!("{} {:?} {}", key.id(), key.properties.version, key.properties.vault_url);
    /// let version = key.properties.version.clone();
    /// let same = client.get_key("key-name", Some(GetKeyOptions { version, ..Default::default() })).await?;
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn get_key(&self, name: &str, options: Option<GetKeyOptions>) -> Result<KeyVaultKey> {
        traced!("KeyClient.get_key", async move {
            validate_key_name(name)?;
            let o = options.unwrap_or_default();
            self.require("get_key", "GetKey")?;
            KeyVaultKey::from_bundle(
                &call(
                    self.protocol
                        .get_key(name, o.version.as_deref().unwrap_or("")),
                )
                .await?,
            )
        })
    }

    /// Gets a key with the HSM's attestation of it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_rsa_key("hsm-key", Some(keyvault_keys::CreateKeyOptions { hardware_protected: Some(true), ..Default::default() })).await?;
    /// let key = client.get_key_attestation("hsm-key", None).await?;
    /// println!("{:?}", key.properties.attestation.and_then(|a| a.version));
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn get_key_attestation(
        &self,
        name: &str,
        options: Option<GetKeyAttestationOptions>,
    ) -> Result<KeyVaultKey> {
        traced!("KeyClient.get_key_attestation", async move {
            validate_key_name(name)?;
            let o = options.unwrap_or_default();
            self.require("get_key_attestation", "GetKeyAttestation")?;
            KeyVaultKey::from_bundle(
                &call(
                    self.protocol
                        .get_key_attestation(name, o.version.as_deref().unwrap_or("")),
                )
                .await?,
            )
        })
    }

    /// Changes a key version's properties (the latest unless `version` is set).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # client.create_ec_key("key-name", None).await?;
    /// use keyvault_keys::UpdateKeyPropertiesOptions;
    /// let updated = client.update_key_properties("key-name", Some(UpdateKeyPropertiesOptions { enabled: Some(false), ..Default::default() })).await?;
    /// println!("{:?} {:?}", updated.properties.updated_on, updated.properties.enabled);
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn update_key_properties(
        &self,
        name: &str,
        options: Option<UpdateKeyPropertiesOptions>,
    ) -> Result<KeyVaultKey> {
        traced!("KeyClient.update_key_properties", async move {
            validate_key_name(name)?;
            let o = options.unwrap_or_default();
            self.require("update_key_properties", "UpdateKey")?;
            self.require_common("KeyUpdateParameters", None, o.release_policy.as_ref())?;
            // `None` leaves tags and operations alone; `Some(empty)` sends `{}` /
            // `[]`, which clears them (as the Python client does).
            let body = types::KeyUpdateParameters {
                key_ops: o.key_operations,
                attributes: attributes(o.enabled, o.not_before, o.expires_on, None),
                tags: o.tags,
                release_policy: o.release_policy.as_ref().map(KeyReleasePolicy::to_wire),
                extra: Default::default(),
            };
            KeyVaultKey::from_bundle(
                &call(
                    self.protocol
                        .update_key(name, o.version.as_deref().unwrap_or(""), &body),
                )
                .await?,
            )
        })
    }

    /// Imports key material (with its private part) as a new key or version.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = keyvault_emulator::Emulator::start(Default::default()).await?;
    /// # let client = keyvault_keys::KeyClient::new(emulator.vault_url(), emulator.credential(), Some(keyvault_keys::KeyClientOptions { client_options: emulator.client_options() }))?;
    /// # let jwk = keyvault_keys::crypto::generate(&keyvault_keys::crypto::KeySpec { kty: keyvault_keys::crypto::KeyType::Ec, size: None, curve: None, public_exponent: None })?;
    /// let key = client.import_key("imported", &jwk, None).await?;
    /// # emulator.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub async fn import_key(
        &self,
        name: &str,
        key: &JsonWebKey,
        options: Option<ImportKeyOptions>,
    ) -> Result<KeyVaultKey> {
        traced!("KeyClient.import_key", async move {
            validate_key_name(name)?;
            // Whether the key has the private material (or, for bring your own
            // key, the HSM transfer blob `key_hsm`) is the service's to check.
            let o = options.unwrap_or_default();
            self.require("import_key", "ImportKey")?;
            self.require_common(
                "KeyImportParameters",
                o.exportable,
                o.release_policy.as_ref(),
            )?;
            let body = types::KeyImportParameters {
                hsm: o.hardware_protected,
                key: key.to_protocol(),
                attributes: attributes(o.enabled, o.not_before, o.expires_on, o.exportable),
                tags: o.tags.unwrap_or_default(),
                release_policy: o.release_policy.as_ref().map(KeyReleasePolicy::to_wire),
                extra: Default::default(),
            };
            KeyVaultKey::from_bundle(&call(self.protocol.import_key(name, &body)).await?)
        })
    }
}
