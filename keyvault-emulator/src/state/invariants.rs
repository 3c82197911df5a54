//! What must always hold of the vault's contents (checked by the fuzz and
//! durability harnesses).

use keyvault_crypto::LocalKey;

use super::rules::valid_name;
use super::{Ctx, Keys};

impl Keys {
    /// Checks what must always hold of the contents; `seen` holds version
    /// ids already checked (parsing every key each time would be slow).
    pub fn check_invariants(
        &self,
        seen: &mut std::collections::HashSet<String>,
    ) -> Result<(), String> {
        let indexed = self.live.len() + self.deleted.len();
        if indexed != self.keys.len() {
            return Err(format!(
                "the live and deleted indexes hold {indexed} names for {} keys",
                self.keys.len()
            ));
        }
        for (lower, r) in &self.keys {
            let index = if r.deleted.is_some() {
                &self.deleted
            } else {
                &self.live
            };
            if !index.contains(lower) {
                return Err(format!("key {} is missing from its list index", r.name));
            }
            if *lower != r.name.to_ascii_lowercase() {
                return Err(format!("key {} is stored under {lower}", r.name));
            }
            valid_name(&r.name).map_err(|e| e.message)?;
            r.check_format()?;
            if r.versions.is_empty() {
                return Err(format!("key {} has no versions", r.name));
            }
            if let Some(d) = &r.deleted
                && d.scheduled_purge_date < d.deleted_date
            {
                return Err(format!("key {} is purged before it was deleted", r.name));
            }
            let ctx = Ctx::new("vault.localhost", "7.6");
            let mut ids = std::collections::HashSet::new();
            for v in &r.versions {
                if v.version.len() != 32 || !v.version.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(format!(
                        "key {} has a malformed version {}",
                        r.name, v.version
                    ));
                }
                if !ids.insert(v.version.to_ascii_lowercase()) {
                    return Err(format!("key {} has version {} twice", r.name, v.version));
                }
                let kid = self.bundle(&ctx, &r.name, v).key.and_then(|k| k.kid);
                let want = format!("https://vault.localhost/keys/{}/{}", r.name, v.version);
                if kid.as_deref() != Some(want.as_str()) {
                    return Err(format!("version kid {kid:?} is not {want}"));
                }
                if seen.insert(v.version.clone()) {
                    let local = LocalKey::from_jwk(&v.jwk).map_err(|e| {
                        format!("stored key {}/{} does not parse: {e}", r.name, v.version)
                    })?;
                    if !local.has_private_key() {
                        return Err(format!(
                            "stored key {}/{} has no private key",
                            r.name, v.version
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}
