//! Backup blobs: the key record, encrypted and authenticated with the
//! emulator's backup key (AES-256-GCM through the shared engine).

use keyvault_crypto::{
    DecryptParameters, EncryptParameters, EncryptionAlgorithm, JsonWebKey, KeyType, LocalKey,
    SecretBytes,
};

const MAGIC: &[u8] = b"KVEMU-BACKUP-1";

fn key(backup_key: &[u8; 32]) -> Result<LocalKey, String> {
    let mut jwk = JsonWebKey::new(KeyType::Oct);
    jwk.k = Some(SecretBytes::from_slice(backup_key));
    LocalKey::from_jwk(&jwk).map_err(|e| e.to_string())
}

pub fn seal(backup_key: &[u8; 32], plain: &[u8]) -> Result<Vec<u8>, String> {
    let r = key(backup_key)?
        .encrypt(
            &EncryptParameters::new(EncryptionAlgorithm::A256Gcm, plain.to_vec())
                .with_aad(MAGIC.to_vec()),
        )
        .map_err(|e| e.to_string())?;
    let (Some(iv), Some(tag)) = (r.iv, r.authentication_tag) else {
        return Err("AES-GCM gave no IV or tag".into());
    };
    let mut out = Vec::with_capacity(MAGIC.len() + 12 + r.ciphertext.len() + 16);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&iv);
    out.extend_from_slice(&tag);
    out.extend_from_slice(&r.ciphertext);
    Ok(out)
}

pub fn open(backup_key: &[u8; 32], blob: &[u8]) -> Result<zeroize::Zeroizing<Vec<u8>>, String> {
    let rest = blob.strip_prefix(MAGIC).ok_or("not an emulator backup")?;
    if rest.len() < 28 {
        return Err("truncated".into());
    }
    let (iv, rest) = rest.split_at(12);
    let (tag, ct) = rest.split_at(16);
    let p = DecryptParameters::new(EncryptionAlgorithm::A256Gcm, ct.to_vec())
        .with_iv(iv.to_vec())
        .with_tag(tag.to_vec())
        .with_aad(MAGIC.to_vec());
    key(backup_key)?
        .decrypt(&p)
        .map(|r| r.plaintext.into_zeroizing())
        .map_err(|e| e.to_string())
}
