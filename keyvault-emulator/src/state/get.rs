//! Reading a key version, and its (emulated) attestation.

use keyvault_keys_types::types;

use super::{Ctx, Keys};
use crate::api_error::{ApiError, ApiResult};

impl Keys {
    // ------------------------------------------------------------ read/update

    pub fn get(&self, ctx: &Ctx, name: &str, version: &str) -> ApiResult<types::KeyBundle> {
        let record = self.live(name)?;
        let v = Self::version(record, name, version)?;
        Ok(self.bundle(ctx, &record.name, v))
    }

    pub fn attestation(&self, ctx: &Ctx, name: &str, version: &str) -> ApiResult<types::KeyBundle> {
        let record = self.live(name)?;
        let v = Self::version(record, name, version)?;
        if !v.jwk.kty.is_hsm() {
            return Err(ApiError::bad_parameter(
                "Key attestation is available for HSM-protected keys only (RSA-HSM, EC-HSM, oct-HSM).",
            ));
        }
        let mut bundle = self.bundle(ctx, &record.name, v);
        let kid = ctx.kid(&record.name, &v.version);
        let marker = |what: &str| {
            keyvault_crypto::b64::encode(
                format!("EMULATED {what} attestation for {kid}; not evidence from an HSM")
                    .as_bytes(),
            )
        };
        if let Some(a) = bundle.attributes.as_mut() {
            a.attestation = Some(types::KeyAttestation {
                certificate_pem_file: Some(marker("certificate")),
                private_key_attestation: Some(marker("private key")),
                public_key_attestation: Some(marker("public key")),
                version: Some("emulated-1.0".into()),
                extra: Default::default(),
            });
        }
        Ok(bundle)
    }
}
