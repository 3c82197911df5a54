//! The vault: keys, versions, deleted keys, rotation policies, and every
//! operation's semantics. Handlers call into [`Vault`] with wire types from
//! the protocol crate; persistence goes through [`crate::store::Store`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};

use hyper::StatusCode;
use keyvault_crypto::{JsonWebKey, KeyCurveName, KeySpec, KeyType, LocalKey};
use keyvault_keys_protocol::{enums, types};
use serde::{Deserialize, Serialize};

use crate::Flavor;
use crate::api_error::{ApiError, ApiResult};
use crate::store::Store;
use keyvault_keys_protocol::duration::IsoDuration;

/// Days a deleted key stays recoverable.
pub const RECOVERABLE_DAYS: i32 = 90;
const RECOVERY_LEVEL: enums::DeletionRecoveryLevel =
    enums::DeletionRecoveryLevel::RecoverablePurgeable;

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// One version of a key, with its private material.
#[derive(Clone, Serialize, Deserialize)]
pub struct VersionRecord {
    pub version: String,
    pub jwk: JsonWebKey,
    pub key_ops: Vec<String>,
    pub enabled: bool,
    pub nbf: Option<i64>,
    pub exp: Option<i64>,
    pub created: i64,
    pub updated: i64,
    pub exportable: Option<bool>,
    pub tags: BTreeMap<String, String>,
    pub release_policy: Option<types::KeyReleasePolicy>,
    /// RSA modulus bits or AES bits, for rotation.
    pub size: Option<u32>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Deleted {
    pub deleted_date: i64,
    pub scheduled_purge_date: i64,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct StoredPolicy {
    pub lifetime_actions: Vec<types::LifetimeActions>,
    pub expiry_time: Option<String>,
    pub created: i64,
    pub updated: i64,
}

/// A key: its name as created, its versions (oldest first), deletion state
/// and rotation policy.
#[derive(Clone, Serialize, Deserialize)]
pub struct KeyRecord {
    pub name: String,
    pub versions: Vec<VersionRecord>,
    pub deleted: Option<Deleted>,
    pub rotation_policy: Option<StoredPolicy>,
}

impl KeyRecord {
    fn latest(&self) -> ApiResult<&VersionRecord> {
        self.versions
            .last()
            .ok_or_else(|| ApiError::key_not_found(&self.name))
    }
}

/// What a request knows about where it arrived.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// `host[:port]` as the client addressed us.
    pub authority: String,
    pub api_version: String,
}

impl Ctx {
    pub fn base(&self) -> String {
        format!("https://{}", self.authority)
    }
    fn kid(&self, name: &str, version: &str) -> String {
        format!("{}/keys/{name}/{version}", self.base())
    }
}

/// The vault's contents at one moment: what reads look at and what a write
/// plans its change against. It is never changed in place by a request:
/// a write builds the new record, commits it, and only then swaps it in
/// ([`Vault::write`]).
pub struct Keys {
    /// Keyed by the lowercased name, in name order, so a list page is a range
    /// scan from the last name of the previous page: O(page + log n).
    keys: BTreeMap<String, KeyRecord>,
    flavor: Flavor,
    backup_key: [u8; 32],
}

/// A planned write: the record to store under `lower` (or `None` to remove
/// it), and the answer to give once it is committed.
pub struct Change<T> {
    lower: String,
    record: Option<KeyRecord>,
    answer: T,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalError",
        format!("the store failed: {e}"),
    )
}

/// The shared vault: the current [`Keys`] behind a read-write lock that is
/// held only to read or to swap one record in, a writer lock that orders
/// writes (held while a write plans and commits, never by reads), the store,
/// and a cache of parsed keys.
pub struct Vault {
    keys: RwLock<Keys>,
    writer: Mutex<()>,
    store: Store,
    cache: Mutex<HashMap<String, Arc<LocalKey>>>,
}

impl Vault {
    pub fn open(store: Store, flavor: Flavor) -> Result<Self, String> {
        let (records, backup_key) = store.load()?;
        Ok(Self {
            keys: RwLock::new(Keys {
                keys: records
                    .into_iter()
                    .map(|r| (r.name.to_ascii_lowercase(), r))
                    .collect(),
                flavor,
                backup_key,
            }),
            writer: Mutex::new(()),
            store,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The store's counter of commits to fail on purpose.
    pub fn store_failures(&self) -> Arc<std::sync::atomic::AtomicU32> {
        self.store.failures()
    }

    /// The current contents, for reading. A panic elsewhere cannot leave
    /// them half-changed (records are swapped whole), so a poisoned lock is
    /// taken as it is.
    pub fn read(&self) -> RwLockReadGuard<'_, Keys> {
        self.keys.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs one write, all or nothing: `plan` validates and builds the new
    /// record against the current contents; the store commits it; only then
    /// does it become visible. A refused plan or a failed commit changes
    /// nothing. Writes are ordered by the writer lock; reads go on meanwhile.
    pub fn write<T>(&self, plan: impl FnOnce(&Keys) -> ApiResult<Change<T>>) -> ApiResult<T> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let change = plan(&self.read())?;
        match &change.record {
            Some(r) => self.store.put(&change.lower, r),
            None => self.store.delete(&change.lower),
        }
        .map_err(internal)?;
        let old = {
            let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
            match change.record {
                Some(r) => keys.keys.insert(change.lower, r),
                None => keys.keys.remove(&change.lower),
            }
        };
        if let Some(old) = old {
            let live: Vec<String> = self
                .read()
                .keys
                .get(&old.name.to_ascii_lowercase())
                .map(|r| r.versions.iter().map(|v| v.version.clone()).collect())
                .unwrap_or_default();
            let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
            for v in &old.versions {
                if !live.contains(&v.version) {
                    cache.remove(&v.version);
                }
            }
        }
        Ok(change.answer)
    }

    /// The key version for a cryptographic operation, after the checks the
    /// service makes (see [`Keys::check_usable`]), parsed once and cached.
    pub fn usable_key(
        &self,
        name: &str,
        version: &str,
        op: &str,
    ) -> ApiResult<(String, Arc<LocalKey>)> {
        let (name_version, version_id, jwk) = {
            let keys = self.read();
            let (record_name, v) = keys.check_usable(name, version, op)?;
            let id = v.version.clone();
            let cached = self
                .cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&id)
                .cloned();
            if let Some(k) = cached {
                return Ok((format!("{record_name}/{id}"), k));
            }
            (format!("{record_name}/{id}"), id, v.jwk.clone())
        };
        let local =
            Arc::new(LocalKey::from_jwk(&jwk).map_err(|e| ApiError::bad_parameter(e.to_string()))?);
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(version_id, local.clone());
        Ok((name_version, local))
    }
}

fn valid_name(name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 127
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_parameter(format!(
            "The request URI contains an invalid name: {name:?}. Key names are 1 to 127 letters, digits and dashes."
        )))
    }
}

/// The service's tag limits: at most 15 tags per key version, names up to
/// 512 characters and values up to 256.
pub const MAX_TAGS: usize = 15;
const MAX_TAG_NAME: usize = 512;
const MAX_TAG_VALUE: usize = 256;
/// The most versions a key keeps here (the most the service can back up);
/// without a bound, rotating a key in a loop grows memory and disk forever.
pub const MAX_VERSIONS: usize = 500;

fn check_tags(tags: &BTreeMap<String, String>) -> ApiResult<()> {
    if tags.len() > MAX_TAGS {
        return Err(ApiError::bad_parameter(format!(
            "A key has at most {MAX_TAGS} tags, not {}.",
            tags.len()
        )));
    }
    for (name, value) in tags {
        if name.chars().count() > MAX_TAG_NAME || value.chars().count() > MAX_TAG_VALUE {
            return Err(ApiError::bad_parameter(format!(
                "Tag names are at most {MAX_TAG_NAME} characters and values at most {MAX_TAG_VALUE}."
            )));
        }
    }
    Ok(())
}

fn new_version() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn default_ops(kty: &KeyType) -> Vec<String> {
    let ops: &[&str] = if kty.is_rsa() {
        &[
            "encrypt",
            "decrypt",
            "sign",
            "verify",
            "wrapKey",
            "unwrapKey",
        ]
    } else if kty.is_ec() {
        &["sign", "verify"]
    } else {
        &["encrypt", "decrypt", "wrapKey", "unwrapKey"]
    };
    ops.iter().map(|s| s.to_string()).collect()
}

impl Keys {
    /// Checks what must always hold of the contents; `seen` holds version
    /// ids already checked (parsing every key each time would be slow).
    pub fn check_invariants(
        &self,
        seen: &mut std::collections::HashSet<String>,
    ) -> Result<(), String> {
        for (lower, r) in &self.keys {
            if *lower != r.name.to_ascii_lowercase() {
                return Err(format!("key {} is stored under {lower}", r.name));
            }
            valid_name(&r.name).map_err(|e| e.message)?;
            if r.versions.is_empty() {
                return Err(format!("key {} has no versions", r.name));
            }
            if let Some(d) = &r.deleted
                && d.scheduled_purge_date < d.deleted_date
            {
                return Err(format!("key {} is purged before it was deleted", r.name));
            }
            let ctx = Ctx {
                authority: "vault.localhost".into(),
                api_version: "7.6".into(),
            };
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

    fn live(&self, name: &str) -> ApiResult<&KeyRecord> {
        match self.keys.get(&name.to_ascii_lowercase()) {
            Some(r) if r.deleted.is_none() => Ok(r),
            _ => Err(ApiError::key_not_found(name)),
        }
    }

    /// A copy of a live record, to build a changed one from.
    fn live_copy(&self, name: &str) -> ApiResult<KeyRecord> {
        self.live(name).cloned()
    }

    fn version<'a>(
        record: &'a KeyRecord,
        name: &str,
        version: &str,
    ) -> ApiResult<&'a VersionRecord> {
        if version.is_empty() {
            return record.latest();
        }
        record
            .versions
            .iter()
            .find(|v| v.version.eq_ignore_ascii_case(version))
            .ok_or_else(|| ApiError::key_not_found(&format!("{name}/{version}")))
    }

    /// Refuses a name that is taken by a deleted key.
    fn check_not_deleted(&self, name: &str) -> ApiResult<()> {
        match self.keys.get(&name.to_ascii_lowercase()) {
            Some(r) if r.deleted.is_some() => Err(ApiError::deleted_but_recoverable(&r.name)),
            _ => Ok(()),
        }
    }

    fn check_kty_for_flavor(&self, kty: &KeyType) -> ApiResult<()> {
        match self.flavor {
            Flavor::Vault if kty.is_oct() => Err(ApiError::not_supported(format!(
                "Key type {kty} is not supported by a key vault; symmetric keys need a Managed HSM."
            ))),
            Flavor::ManagedHsm if !kty.is_hsm() => Err(ApiError::not_supported(format!(
                "Key type {kty} is not supported by a Managed HSM; use {kty}-HSM."
            ))),
            _ if !kty.is_known() => {
                Err(ApiError::bad_parameter(format!("Unknown key type: {kty}")))
            }
            _ => Ok(()),
        }
    }

    /// Plans a new version of `name` (a new key if there is none): the
    /// name must not be taken by a deleted key; the first spelling is kept.
    fn append_version(
        &self,
        ctx: &Ctx,
        name: &str,
        v: VersionRecord,
    ) -> ApiResult<Change<types::KeyBundle>> {
        valid_name(name)?;
        self.check_not_deleted(name)?;
        let lower = name.to_ascii_lowercase();
        let mut record = self.keys.get(&lower).cloned().unwrap_or_else(|| KeyRecord {
            name: name.to_owned(),
            versions: Vec::new(),
            deleted: None,
            rotation_policy: None,
        });
        check_tags(&v.tags)?;
        if record.versions.len() >= MAX_VERSIONS {
            return Err(ApiError::bad_parameter(format!(
                "The key {} has {MAX_VERSIONS} versions, the most this emulator keeps.",
                record.name
            )));
        }
        let answer = self.bundle(ctx, &record.name, &v);
        record.versions.push(v);
        Ok(Change {
            lower,
            record: Some(record),
            answer,
        })
    }

    // ----------------------------------------------------------------- create

    /// Checks a create request and says what key to generate (the
    /// generation itself runs outside every lock).
    pub fn create_spec(&self, name: &str, p: &types::KeyCreateParameters) -> ApiResult<KeySpec> {
        valid_name(name)?;
        self.check_not_deleted(name)?;
        let kty = p.kty.clone();
        self.check_kty_for_flavor(&kty)?;
        let curve = p.crv.clone();
        let size = validate_size(&kty, p.key_size, curve.as_ref())?;
        if let Some(e) = p.public_exponent
            && e != 65537
            && kty.is_rsa()
        {
            return Err(ApiError::bad_parameter(format!(
                "Unsupported public exponent {e}; use 65537."
            )));
        }
        check_exportable(
            p.attributes.as_ref().and_then(|a| a.exportable),
            p.release_policy.as_ref(),
        )?;
        Ok(KeySpec {
            kty,
            size,
            curve,
            public_exponent: None,
        })
    }

    /// Plans a created key's new version around `jwk`, generated from
    /// [`Self::create_spec`]'s answer.
    pub fn create(
        &self,
        ctx: &Ctx,
        name: &str,
        p: types::KeyCreateParameters,
        spec: &KeySpec,
        mut jwk: JsonWebKey,
    ) -> ApiResult<Change<types::KeyBundle>> {
        let (kty, size) = (spec.kty.clone(), spec.size);
        if kty.is_ec() && spec.curve.is_none() {
            jwk.crv = Some(KeyCurveName::P256);
        }
        let key_ops = if p.key_ops.is_empty() {
            default_ops(&kty)
        } else {
            p.key_ops.iter().map(|o| o.to_string()).collect()
        };
        let v = NewVersion {
            jwk,
            key_ops,
            attributes: p.attributes,
            tags: p.tags,
            release_policy: p.release_policy,
            size: size.or_else(|| {
                if kty.is_rsa() {
                    Some(2048)
                } else if kty.is_oct() {
                    Some(256)
                } else {
                    None
                }
            }),
        }
        .into_record()?;
        self.append_version(ctx, name, v)
    }

    pub fn import(
        &self,
        ctx: &Ctx,
        name: &str,
        p: types::KeyImportParameters,
    ) -> ApiResult<Change<types::KeyBundle>> {
        valid_name(name)?;
        self.check_not_deleted(name)?;
        let mut jwk = JsonWebKey::from_protocol(&p.key)
            .map_err(|e| ApiError::bad_parameter(e.to_string()))?;
        if p.hsm == Some(true) {
            jwk.kty = match jwk.kty {
                KeyType::Rsa => KeyType::RsaHsm,
                KeyType::Ec => KeyType::EcHsm,
                KeyType::Oct => KeyType::OctHsm,
                other => other,
            };
        }
        self.check_kty_for_flavor(&jwk.kty)?;
        if !jwk.has_private_key() {
            return Err(ApiError::bad_parameter(
                "The key to import has no private key material (d for RSA and EC, k for oct).",
            ));
        }
        let local = LocalKey::from_jwk(&jwk)
            .map_err(|e| ApiError::bad_parameter(format!("The JSON Web Key is not valid: {e}")))?;
        let size = local
            .rsa_modulus_bits()
            .map(|b| b as u32)
            .or_else(|| jwk.k.as_ref().map(|k| (k.len() * 8) as u32));
        let key_ops = if jwk.key_ops.is_empty() {
            default_ops(&jwk.kty)
        } else {
            jwk.key_ops.iter().map(|o| o.to_string()).collect()
        };
        jwk.kid = None;
        jwk.key_ops.clear();
        let v = NewVersion {
            jwk,
            key_ops,
            attributes: p.attributes,
            tags: p.tags,
            release_policy: p.release_policy,
            size,
        }
        .into_record()?;
        self.append_version(ctx, name, v)
    }

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

    pub fn update(
        &self,
        ctx: &Ctx,
        name: &str,
        version: &str,
        p: types::KeyUpdateParameters,
    ) -> ApiResult<Change<types::KeyBundle>> {
        let mut record = self.live_copy(name)?;
        let idx = if version.is_empty() {
            record
                .versions
                .len()
                .checked_sub(1)
                .ok_or_else(|| ApiError::key_not_found(name))?
        } else {
            record
                .versions
                .iter()
                .position(|v| v.version.eq_ignore_ascii_case(version))
                .ok_or_else(|| ApiError::key_not_found(&format!("{name}/{version}")))?
        };
        // Changes are made to a copy; a refusal below leaves the vault as it was.
        let v = &mut record.versions[idx];
        if let Some(rp) = &p.release_policy
            && v.release_policy.as_ref().and_then(|r| r.immutable) == Some(true)
            && Some(rp) != v.release_policy.as_ref()
        {
            return Err(ApiError::bad_parameter(
                "The key's release policy is immutable and cannot be changed.",
            ));
        }
        if let Some(a) = &p.attributes {
            if a.exportable == Some(false) && v.exportable == Some(true) {
                return Err(ApiError::bad_parameter(
                    "An exportable key cannot be made non-exportable.",
                ));
            }
            if let Some(e) = a.enabled {
                v.enabled = e;
            }
            if a.nbf.is_some() {
                v.nbf = a.nbf;
            }
            if a.exp.is_some() {
                v.exp = a.exp;
            }
            if a.exportable.is_some() {
                v.exportable = a.exportable;
            }
        }
        // Absent leaves them alone; present (even empty) replaces them.
        if let Some(ops) = &p.key_ops {
            v.key_ops = ops.iter().map(|o| o.to_string()).collect();
        }
        if let Some(tags) = &p.tags {
            check_tags(tags)?;
            v.tags = tags.clone();
        }
        if let Some(rp) = p.release_policy {
            v.release_policy = Some(normalise_policy(rp));
        }
        check_exportable(v.exportable, v.release_policy.as_ref())?;
        v.updated = now();
        let answer = self.bundle(ctx, &record.name, &record.versions[idx]);
        Ok(Change {
            lower: name.to_ascii_lowercase(),
            record: Some(record),
            answer,
        })
    }

    // ------------------------------------------------------------------ lists

    /// Up to `max` live (or deleted) records in name order after the
    /// lowercased name `after`, and the position to continue from when more
    /// follow. A range scan of the ordered map: O(max + log n), whatever the
    /// vault's size, and a key added or removed before the position between
    /// two pages neither skips nor repeats one.
    fn records_after(
        &self,
        deleted: bool,
        after: Option<&str>,
        max: usize,
    ) -> (Vec<&KeyRecord>, Option<String>) {
        use std::ops::Bound::{Excluded, Unbounded};
        let start = match after {
            Some(a) => Excluded(a.to_owned()),
            None => Unbounded,
        };
        let mut page = Vec::with_capacity(max.min(64));
        let mut next = None;
        for r in self
            .keys
            .range((start, Unbounded))
            .map(|(_, r)| r)
            .filter(|r| r.deleted.is_some() == deleted && !r.versions.is_empty())
        {
            if page.len() == max {
                next = page
                    .last()
                    .map(|r: &&KeyRecord| r.name.to_ascii_lowercase());
                break;
            }
            page.push(r);
        }
        (page, next)
    }

    /// One page of the live keys after the position `after` (see
    /// [`Keys::records_after`]).
    pub fn list_keys(
        &self,
        ctx: &Ctx,
        after: Option<&str>,
        max: usize,
    ) -> (Vec<types::KeyItem>, Option<String>) {
        let (records, next) = self.records_after(false, after, max);
        let items = records
            .into_iter()
            .filter_map(|r| self.latest_item(ctx, r))
            .collect();
        (items, next)
    }

    /// A list item for a key: its latest version, under the key's URL.
    fn latest_item(&self, ctx: &Ctx, r: &KeyRecord) -> Option<types::KeyItem> {
        let v = r.versions.last()?;
        Some(self.item(format!("{}/keys/{}", ctx.base(), r.name), v))
    }

    pub fn list_versions(&self, ctx: &Ctx, name: &str) -> ApiResult<Vec<types::KeyItem>> {
        let record = self.live(name)?;
        Ok(record
            .versions
            .iter()
            .map(|v| self.item(ctx.kid(&record.name, &v.version), v))
            .collect())
    }

    /// One page of the deleted keys after the position `after`.
    pub fn list_deleted(
        &self,
        ctx: &Ctx,
        after: Option<&str>,
        max: usize,
    ) -> (Vec<types::DeletedKeyItem>, Option<String>) {
        let (records, next) = self.records_after(true, after, max);
        let items = records
            .into_iter()
            .filter_map(|r| {
                let d = r.deleted.as_ref()?;
                let item = self.latest_item(ctx, r)?;
                Some(types::DeletedKeyItem {
                    kid: item.kid,
                    attributes: item.attributes,
                    tags: item.tags,
                    managed: None,
                    recovery_id: Some(format!("{}/deletedkeys/{}", ctx.base(), r.name)),
                    deleted_date: Some(d.deleted_date),
                    scheduled_purge_date: Some(d.scheduled_purge_date),
                    extra: Default::default(),
                })
            })
            .collect();
        (items, next)
    }

    // ---------------------------------------------------------------- delete

    pub fn delete(&self, ctx: &Ctx, name: &str) -> ApiResult<Change<types::DeletedKeyBundle>> {
        let mut record = self.live_copy(name)?;
        let now = now();
        record.deleted = Some(Deleted {
            deleted_date: now,
            scheduled_purge_date: now + i64::from(RECOVERABLE_DAYS) * 86_400,
        });
        let answer = self.deleted_bundle(ctx, &record)?;
        Ok(Change {
            lower: name.to_ascii_lowercase(),
            record: Some(record),
            answer,
        })
    }

    pub fn get_deleted(&self, ctx: &Ctx, name: &str) -> ApiResult<types::DeletedKeyBundle> {
        match self.keys.get(&name.to_ascii_lowercase()) {
            Some(r) if r.deleted.is_some() => self.deleted_bundle(ctx, r),
            _ => Err(ApiError::deleted_key_not_found(name)),
        }
    }

    pub fn purge(&self, name: &str) -> ApiResult<Change<()>> {
        let lower = name.to_ascii_lowercase();
        match self.keys.get(&lower) {
            Some(r) if r.deleted.is_some() => Ok(Change {
                lower,
                record: None,
                answer: (),
            }),
            _ => Err(ApiError::deleted_key_not_found(name)),
        }
    }

    pub fn recover(&self, ctx: &Ctx, name: &str) -> ApiResult<Change<types::KeyBundle>> {
        let lower = name.to_ascii_lowercase();
        match self.keys.get(&lower) {
            Some(r) if r.deleted.is_some() => {
                let mut record = r.clone();
                record.deleted = None;
                let answer = self.bundle(ctx, &record.name, record.latest()?);
                Ok(Change {
                    lower,
                    record: Some(record),
                    answer,
                })
            }
            _ => Err(ApiError::deleted_key_not_found(name)),
        }
    }

    // --------------------------------------------------------- backup/restore

    pub fn backup(&self, name: &str) -> ApiResult<types::BackupKeyResult> {
        let record = self.live(name)?;
        let plain = zeroize::Zeroizing::new(
            serde_json::to_vec(record).map_err(|e| ApiError::bad_parameter(e.to_string()))?,
        );
        let blob =
            crate::backup::seal(&self.backup_key, &plain).map_err(ApiError::bad_parameter)?;
        Ok(types::BackupKeyResult {
            value: Some(keyvault_crypto::b64::encode(&blob)),
            extra: Default::default(),
        })
    }

    pub fn restore(
        &self,
        ctx: &Ctx,
        p: types::KeyRestoreParameters,
    ) -> ApiResult<Change<types::KeyBundle>> {
        let malformed = || {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "Malformed backup blob",
                "Backup blob contains invalid or corrupt version.",
            )
        };
        let blob = keyvault_crypto::b64::decode(&p.value).map_err(|_| malformed())?;
        let plain = crate::backup::open(&self.backup_key, &blob).map_err(|_| malformed())?;
        let mut record: KeyRecord = serde_json::from_slice(&plain).map_err(|_| malformed())?;
        let lower = record.name.to_ascii_lowercase();
        if let Some(existing) = self.keys.get(&lower) {
            return Err(if existing.deleted.is_some() {
                ApiError::deleted_but_recoverable(&existing.name)
            } else {
                ApiError::new(
                    StatusCode::CONFLICT,
                    "Conflict",
                    format!(
                        "Key {} already exists; restore needs a name that is not in use.",
                        existing.name
                    ),
                )
            });
        }
        record.deleted = None;
        let answer = self.bundle(ctx, &record.name, record.latest()?);
        Ok(Change {
            lower,
            record: Some(record),
            answer,
        })
    }

    // ------------------------------------------------------------- rotation

    /// Checks a rotation and says what key to generate (outside every lock).
    pub fn rotate_spec(&self, name: &str) -> ApiResult<KeySpec> {
        valid_name(name)?;
        let latest = self.live(name)?.latest()?;
        Ok(KeySpec {
            kty: latest.jwk.kty.clone(),
            size: latest.size,
            curve: latest.jwk.crv.clone(),
            public_exponent: None,
        })
    }

    /// Plans the new version a rotation makes around `jwk`: the latest
    /// version's settings, and an expiry from the rotation policy.
    pub fn rotate(
        &self,
        ctx: &Ctx,
        name: &str,
        jwk: JsonWebKey,
    ) -> ApiResult<Change<types::KeyBundle>> {
        let record = self.live(name)?;
        let latest = record.latest()?;
        let now = now();
        let exp = match record
            .rotation_policy
            .as_ref()
            .and_then(|p| p.expiry_time.as_deref())
        {
            Some(d) => Some(expiry_from(d, now)?),
            None => None,
        };
        let v = VersionRecord {
            version: new_version(),
            jwk,
            key_ops: latest.key_ops.clone(),
            enabled: true,
            nbf: None,
            exp,
            created: now,
            updated: now,
            exportable: latest.exportable,
            tags: latest.tags.clone(),
            release_policy: latest.release_policy.clone(),
            size: latest.size,
        };
        self.append_version(ctx, &record.name, v)
    }

    pub fn get_policy(&self, ctx: &Ctx, name: &str) -> ApiResult<types::KeyRotationPolicy> {
        Ok(Self::policy_of(ctx, self.live(name)?))
    }

    fn policy_of(ctx: &Ctx, record: &KeyRecord) -> types::KeyRotationPolicy {
        let id = Some(format!(
            "{}/keys/{}/rotationpolicy",
            ctx.base(),
            record.name
        ));
        match &record.rotation_policy {
            Some(p) => types::KeyRotationPolicy {
                id,
                lifetime_actions: p.lifetime_actions.clone(),
                attributes: Some(types::KeyRotationPolicyAttributes {
                    expiry_time: p.expiry_time.clone(),
                    created: Some(p.created),
                    updated: Some(p.updated),
                    extra: Default::default(),
                }),
                extra: Default::default(),
            },
            // The service's default: notify 30 days before expiry, no expiry set.
            None => types::KeyRotationPolicy {
                id,
                lifetime_actions: vec![types::LifetimeActions {
                    trigger: Some(types::LifetimeActionsTrigger {
                        time_before_expiry: Some("P30D".into()),
                        time_after_create: None,
                        extra: Default::default(),
                    }),
                    action: Some(types::LifetimeActionsType {
                        type_: Some(enums::KeyRotationPolicyAction::Notify),
                        extra: Default::default(),
                    }),
                    extra: Default::default(),
                }],
                attributes: Some(types::KeyRotationPolicyAttributes {
                    expiry_time: None,
                    created: None,
                    updated: None,
                    extra: Default::default(),
                }),
                extra: Default::default(),
            },
        }
    }

    pub fn update_policy(
        &self,
        ctx: &Ctx,
        name: &str,
        p: types::KeyRotationPolicy,
    ) -> ApiResult<Change<types::KeyRotationPolicy>> {
        let mut record = self.live_copy(name)?;
        let expiry = p.attributes.as_ref().and_then(|a| a.expiry_time.clone());
        validate_policy(&p.lifetime_actions, expiry.as_deref())?;
        let now = now();
        let created = record
            .rotation_policy
            .as_ref()
            .map(|s| s.created)
            .unwrap_or(now);
        // The service answers with the canonical spelling: the action type
        // parses without regard to case and prints `Rotate` / `Notify`.
        let actions = p.lifetime_actions;
        record.rotation_policy = Some(StoredPolicy {
            lifetime_actions: actions,
            expiry_time: expiry,
            created,
            updated: now,
        });
        let answer = Self::policy_of(ctx, &record);
        Ok(Change {
            lower: name.to_ascii_lowercase(),
            record: Some(record),
            answer,
        })
    }

    // ------------------------------------------------------- crypto helpers

    /// The key version for a cryptographic operation, after the checks the
    /// service makes: enabled, nbf/exp, and `key_ops`.
    pub fn check_usable(
        &self,
        name: &str,
        version: &str,
        op: &str,
    ) -> ApiResult<(&str, &VersionRecord)> {
        let record = self.live(name)?;
        let v = Self::version(record, name, version)?;
        if !v.enabled {
            return Err(ApiError::forbidden(
                format!("Operation {op} is not allowed on a disabled key."),
                "KeyDisabled",
            ));
        }
        let now = now();
        if let Some(nbf) = v.nbf
            && now < nbf
        {
            return Err(ApiError::forbidden(
                format!("Operation {op} is not allowed before the key's activation time (nbf)."),
                "KeyNotYetValid",
            ));
        }
        if let Some(exp) = v.exp
            && now >= exp
        {
            return Err(ApiError::forbidden(
                format!("Operation {op} is not allowed on an expired key (exp)."),
                "KeyExpired",
            ));
        }
        if !v.key_ops.iter().any(|o| o == op) {
            return Err(ApiError::forbidden(
                format!(
                    "Operation {op} is not permitted on this key; its key_ops are [{}].",
                    v.key_ops.join(", ")
                ),
                "KeyOperationForbidden",
            ));
        }
        Ok((&record.name, v))
    }

    /// The full record of a version (for release).
    pub fn version_record(&self, name: &str, version: &str) -> ApiResult<(String, VersionRecord)> {
        let record = self.live(name)?;
        let v = Self::version(record, name, version)?;
        Ok((record.name.clone(), v.clone()))
    }

    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    // -------------------------------------------------------------- bundles

    fn attributes(&self, v: &VersionRecord) -> types::KeyAttributes {
        types::KeyAttributes {
            enabled: Some(v.enabled),
            nbf: v.nbf,
            exp: v.exp,
            created: Some(v.created),
            updated: Some(v.updated),
            recovery_level: Some(RECOVERY_LEVEL),
            recoverable_days: Some(RECOVERABLE_DAYS),
            exportable: Some(v.exportable.unwrap_or(false)),
            hsm_platform: (v.jwk.kty.is_hsm() || self.flavor == Flavor::ManagedHsm)
                .then(|| "2".to_owned()),
            attestation: None,
            extra: Default::default(),
        }
    }

    fn item(&self, kid: String, v: &VersionRecord) -> types::KeyItem {
        types::KeyItem {
            kid: Some(kid),
            attributes: Some(self.attributes(v)),
            tags: v.tags.clone(),
            managed: None,
            extra: Default::default(),
        }
    }

    pub fn bundle(&self, ctx: &Ctx, name: &str, v: &VersionRecord) -> types::KeyBundle {
        let mut key = v.jwk.public_only().to_protocol();
        key.kid = Some(ctx.kid(name, &v.version));
        key.key_ops = v.key_ops.clone();
        types::KeyBundle {
            key: Some(key),
            attributes: Some(self.attributes(v)),
            tags: v.tags.clone(),
            managed: None,
            release_policy: v.release_policy.clone(),
            extra: Default::default(),
        }
    }

    fn deleted_bundle(&self, ctx: &Ctx, record: &KeyRecord) -> ApiResult<types::DeletedKeyBundle> {
        let v = record.latest()?;
        let b = self.bundle(ctx, &record.name, v);
        let d = record.deleted.as_ref();
        Ok(types::DeletedKeyBundle {
            key: b.key,
            attributes: b.attributes,
            tags: b.tags,
            managed: None,
            release_policy: b.release_policy,
            recovery_id: Some(format!("{}/deletedkeys/{}", ctx.base(), record.name)),
            deleted_date: d.map(|d| d.deleted_date),
            scheduled_purge_date: d.map(|d| d.scheduled_purge_date),
            extra: Default::default(),
        })
    }
}

/// What a new version (created or imported) is made of.
struct NewVersion {
    jwk: JsonWebKey,
    key_ops: Vec<String>,
    attributes: Option<types::KeyAttributes>,
    tags: BTreeMap<String, String>,
    release_policy: Option<types::KeyReleasePolicy>,
    size: Option<u32>,
}

impl NewVersion {
    fn into_record(self) -> ApiResult<VersionRecord> {
        let attrs = self.attributes.unwrap_or_default();
        check_exportable(attrs.exportable, self.release_policy.as_ref())?;
        let now = now();
        Ok(VersionRecord {
            version: new_version(),
            jwk: self.jwk,
            key_ops: self.key_ops,
            enabled: attrs.enabled.unwrap_or(true),
            nbf: attrs.nbf,
            exp: attrs.exp,
            created: now,
            updated: now,
            exportable: attrs.exportable,
            tags: self.tags,
            release_policy: self.release_policy.map(normalise_policy),
            size: self.size,
        })
    }
}

fn normalise_policy(mut p: types::KeyReleasePolicy) -> types::KeyReleasePolicy {
    if p.content_type.is_empty() {
        p.content_type = "application/json; charset=utf-8".into();
    }
    p
}

fn check_exportable(
    exportable: Option<bool>,
    policy: Option<&types::KeyReleasePolicy>,
) -> ApiResult<()> {
    if exportable == Some(true) && policy.and_then(|p| p.data.as_ref()).is_none() {
        return Err(ApiError::bad_parameter(
            "An exportable key must have a release policy (release_policy.data).",
        ));
    }
    Ok(())
}

fn validate_size(
    kty: &KeyType,
    size: Option<i32>,
    curve: Option<&KeyCurveName>,
) -> ApiResult<Option<u32>> {
    if kty.is_rsa() {
        if curve.is_some() {
            return Err(ApiError::bad_parameter(
                "An RSA key takes key_size, not crv.",
            ));
        }
        return match size {
            None => Ok(Some(2048)),
            Some(s @ (2048 | 3072 | 4096)) => Ok(Some(s as u32)),
            Some(s) => Err(ApiError::bad_parameter(format!(
                "Invalid RSA key size {s}; use 2048, 3072 or 4096."
            ))),
        };
    }
    if kty.is_ec() {
        if let Some(c) = curve
            && !c.is_known()
        {
            return Err(ApiError::bad_parameter(format!(
                "Invalid curve {c}; use P-256, P-256K, P-384 or P-521."
            )));
        }
        if let Some(s) = size {
            let expected = match curve.unwrap_or(&KeyCurveName::P256) {
                KeyCurveName::P256 | KeyCurveName::P256K => 256,
                KeyCurveName::P384 => 384,
                _ => 521,
            };
            if s != expected {
                return Err(ApiError::bad_parameter(format!(
                    "key_size {s} does not fit the curve; omit it for EC keys."
                )));
            }
        }
        return Ok(None);
    }
    if kty.is_oct() {
        return match size {
            None => Ok(Some(256)),
            Some(s @ (128 | 192 | 256)) => Ok(Some(s as u32)),
            Some(s) => Err(ApiError::bad_parameter(format!(
                "Invalid oct key size {s}; use 128, 192 or 256."
            ))),
        };
    }
    Err(ApiError::bad_parameter(format!("Unknown key type: {kty}")))
}

/// The expiry a rotation policy's `expiryTime` gives a version made at `now`.
fn expiry_from(expiry_time: &str, now: i64) -> ApiResult<i64> {
    IsoDuration::parse(expiry_time)
        .and_then(|d| d.checked_add_to(now))
        .map_err(|m| ApiError::bad_parameter(format!("attributes.expiryTime: {m}")))
}

fn validate_policy(actions: &[types::LifetimeActions], expiry: Option<&str>) -> ApiResult<()> {
    if let Some(e) = expiry {
        let d = IsoDuration::parse(e)
            .map_err(|m| ApiError::bad_parameter(format!("attributes.expiryTime: {m}")))?;
        // A version made now must get an expiry date the calendar can hold.
        expiry_from(e, now())?;
        if d.approx_days() < 28 {
            return Err(ApiError::bad_parameter(format!(
                "attributes.expiryTime {e} is too short; the minimum is 28 days (P28D)."
            )));
        }
    }
    let mut seen = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        let kind = a
            .action
            .as_ref()
            .and_then(|x| x.type_.as_ref())
            .map(|t| t.as_str().to_ascii_lowercase())
            .ok_or_else(|| {
                ApiError::bad_parameter(format!(
                    "lifetimeActions[{i}].action.type is required (Rotate or Notify)."
                ))
            })?;
        if kind != "rotate" && kind != "notify" {
            return Err(ApiError::bad_parameter(format!(
                "lifetimeActions[{i}].action.type must be Rotate or Notify."
            )));
        }
        if seen.contains(&kind) {
            return Err(ApiError::bad_parameter(format!(
                "lifetimeActions may hold one {kind} action at most."
            )));
        }
        seen.push(kind.clone());
        let trigger = a.trigger.as_ref().ok_or_else(|| {
            ApiError::bad_parameter(format!("lifetimeActions[{i}].trigger is required."))
        })?;
        match (&trigger.time_after_create, &trigger.time_before_expiry) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(ApiError::bad_parameter(format!(
                    "lifetimeActions[{i}].trigger needs exactly one of timeAfterCreate and timeBeforeExpiry."
                )));
            }
            (Some(t), None) | (None, Some(t)) => {
                IsoDuration::parse(t)
                    .and_then(|d| d.checked_add_to(now()))
                    .map_err(|m| {
                        ApiError::bad_parameter(format!("lifetimeActions[{i}].trigger: {m}"))
                    })?;
            }
        }
        if kind == "notify" && trigger.time_before_expiry.is_none() {
            return Err(ApiError::bad_parameter(
                "A Notify action is triggered by timeBeforeExpiry.",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    #[test]
    fn a_panic_during_a_write_or_a_read_leaves_the_vault_usable() {
        let vault = Vault::open(Store::memory().expect("store"), Flavor::Any).expect("vault");
        let ctx = Ctx {
            authority: "vault.localhost".into(),
            api_version: "7.6".into(),
        };
        // A panic while planning (writer lock and read guard held) ...
        let planned = catch_unwind(AssertUnwindSafe(|| {
            vault.write(|_| -> ApiResult<Change<()>> { panic!("a bug while planning") })
        }));
        assert!(planned.is_err());
        // ... and while reading.
        let read = catch_unwind(AssertUnwindSafe(|| {
            let _keys = vault.read();
            panic!("a bug while reading")
        }));
        assert!(read.is_err());
        // Writes and reads still work, and see a consistent vault.
        let p: types::KeyCreateParameters =
            serde_json::from_value(serde_json::json!({"kty": "EC"})).expect("params");
        let spec = vault.read().create_spec("k", &p).expect("spec");
        let jwk = keyvault_crypto::generate(&spec).expect("generate");
        vault
            .write(|k| k.create(&ctx, "k", p, &spec, jwk))
            .expect("a write after the panics");
        assert!(vault.read().get(&ctx, "k", "").is_ok());
        let mut seen = std::collections::HashSet::new();
        vault
            .read()
            .check_invariants(&mut seen)
            .expect("invariants");
    }
}
