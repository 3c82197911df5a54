//! The emulator's certificates: a CA and a leaf it signs (rcgen), or files
//! given with `--tls-cert`/`--tls-key`.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject as _};

pub struct Tls {
    pub config: Arc<rustls::ServerConfig>,
    /// The PEM clients should trust (the CA, or the given certificate).
    pub ca_pem: String,
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| format!("the TLS certificate and key do not fit: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A fresh CA and a leaf for `localhost`, `127.0.0.1`, `::1`,
/// `*.vault.localhost`, `*.managedhsm.localhost` and `hostnames`.
pub fn generate(hostnames: &[String]) -> Result<Tls, String> {
    let err = |e: rcgen::Error| e.to_string();
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "keyvault-emulator local CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.use_authority_key_identifier_extension = true;
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(err)?;

    // `*.vault.localhost` and `*.managedhsm.localhost`: every named vault,
    // also those made at run time.
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
        "*.vault.localhost".to_owned(),
        "*.managedhsm.localhost".to_owned(),
    ];
    for h in hostnames {
        if !names.contains(h) {
            names.push(h.clone());
        }
    }
    let leaf_key = KeyPair::generate().map_err(err)?;
    let mut leaf = CertificateParams::new(names).map_err(err)?;
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    leaf.distinguished_name
        .push(DnType::CommonName, "keyvault-emulator");
    leaf.use_authority_key_identifier_extension = true;
    let cert = leaf.signed_by(&leaf_key, &ca).map_err(err)?;
    let key = PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    Ok(Tls {
        config: server_config(vec![cert.der().clone(), ca.der().clone()], key)?,
        ca_pem: ca.pem(),
    })
}

/// A certificate chain and key from PEM files.
pub fn from_files(cert: &std::path::Path, key: &std::path::Path) -> Result<Tls, String> {
    let pem =
        std::fs::read_to_string(cert).map_err(|e| format!("reading {}: {e}", cert.display()))?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{} holds no certificate", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    Ok(Tls {
        config: server_config(chain, key)?,
        ca_pem: pem,
    })
}
