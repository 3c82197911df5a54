//! Where the vault's state lives: memory (default), or SQLite in WAL mode
//! under `--data-dir`, where a write is acknowledged only once committed.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::state::KeyRecord;

/// The store: a backend, and a count of commits to fail on purpose (tests
/// use it to show that a failed commit changes nothing).
pub struct Store {
    backend: Backend,
    fail_next: Arc<AtomicU32>,
}

enum Backend {
    Memory { backup_key: [u8; 32] },
    Sqlite(Mutex<rusqlite::Connection>),
}

/// The connection, even if a thread panicked while holding it (every
/// statement is its own transaction, so there is no half-done state).
fn conn(m: &Mutex<rusqlite::Connection>) -> MutexGuard<'_, rusqlite::Connection> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn fresh_key() -> Result<[u8; 32], String> {
    let mut k = [0u8; 32];
    aws_lc_rs::rand::fill(&mut k).map_err(|_| "random bytes".to_owned())?;
    Ok(k)
}

impl Store {
    fn new(backend: Backend) -> Self {
        Self {
            backend,
            fail_next: Arc::new(AtomicU32::new(0)),
        }
    }

    pub fn memory() -> Result<Self, String> {
        Ok(Self::new(Backend::Memory {
            backup_key: fresh_key()?,
        }))
    }

    /// The counter of commits still to fail on purpose.
    pub fn failures(&self) -> Arc<AtomicU32> {
        self.fail_next.clone()
    }

    fn injected_failure(&self) -> Result<(), String> {
        let take = self
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        match take {
            Ok(_) => Err("injected store failure".to_owned()),
            Err(_) => Ok(()),
        }
    }

    /// Opens (or creates) `DIR/keyvault.db`; the folder is made 0700 and
    /// the database 0600 (SQLite gives its WAL files the database's mode).
    pub fn sqlite(dir: &Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let path = dir.join("keyvault.db");
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| format!("creating {}: {e}", path.display()))?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("chmod {}: {e}", path.display()))?;
        }
        let conn = rusqlite::Connection::open(&path)
            .map_err(|e| format!("opening {}: {e}", path.display()))?;
        // One emulator per folder: two would each keep their own copy in
        // memory and overwrite each other's rows. The exclusive lock is
        // taken now (an empty exclusive transaction) and held until the
        // store is dropped; a second emulator fails at once (no busy wait).
        conn.busy_timeout(std::time::Duration::ZERO)
            .map_err(|e| e.to_string())?;
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
            .map_err(|e| e.to_string())?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .and_then(|_| conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;"))
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                    format!(
                        "{} is in use by another emulator (one emulator per --data-dir)",
                        dir.display()
                    )
                }
                _ => e.to_string(),
            })?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| e.to_string())?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS keys (name TEXT PRIMARY KEY, record TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v BLOB NOT NULL);",
        )
        .map_err(|e| e.to_string())?;
        let has_key: bool = conn
            .query_row(
                "SELECT COUNT(*) FROM meta WHERE k = 'backup_key'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(|e| e.to_string())?
            > 0;
        if !has_key {
            conn.execute(
                "INSERT INTO meta (k, v) VALUES ('backup_key', ?1)",
                [fresh_key()?.to_vec()],
            )
            .map_err(|e| e.to_string())?;
        }
        Ok(Self::new(Backend::Sqlite(Mutex::new(conn))))
    }

    pub fn load(&self) -> Result<(Vec<KeyRecord>, [u8; 32]), String> {
        match &self.backend {
            Backend::Memory { backup_key } => Ok((Vec::new(), *backup_key)),
            Backend::Sqlite(c) => {
                let conn = conn(c);
                let key: Vec<u8> = conn
                    .query_row("SELECT v FROM meta WHERE k = 'backup_key'", [], |r| {
                        r.get(0)
                    })
                    .map_err(|e| e.to_string())?;
                let backup_key: [u8; 32] = key
                    .try_into()
                    .map_err(|_| "the stored backup key is damaged".to_owned())?;
                let mut stmt = conn
                    .prepare("SELECT name, record FROM keys")
                    .map_err(|e| e.to_string())?;
                let rows = stmt
                    .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                    .map_err(|e| e.to_string())?;
                let mut out = Vec::new();
                for row in rows {
                    let (name, text) = row.map_err(|e| e.to_string())?;
                    let record: KeyRecord = serde_json::from_str(&text)
                        .map_err(|e| format!("stored key {name} is damaged: {e}"))?;
                    record.check_format()?;
                    out.push(record);
                }
                Ok((out, backup_key))
            }
        }
    }

    pub fn put(&self, lower: &str, record: &KeyRecord) -> Result<(), String> {
        self.injected_failure()?;
        let Backend::Sqlite(c) = &self.backend else {
            return Ok(());
        };
        let text =
            zeroize::Zeroizing::new(serde_json::to_string(record).map_err(|e| e.to_string())?);
        let conn = conn(c);
        conn.execute(
            "INSERT INTO keys (name, record) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET record = excluded.record",
            rusqlite::params![lower, text.as_str()],
        )
        .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Replaces every record and the backup key in one transaction.
    pub fn replace_all(&self, records: &[KeyRecord], backup_key: &[u8; 32]) -> Result<(), String> {
        self.injected_failure()?;
        let Backend::Sqlite(c) = &self.backend else {
            return Ok(());
        };
        let mut conn = conn(c);
        let tx = conn.transaction().map_err(|e| e.to_string())?;
        tx.execute("DELETE FROM keys", [])
            .map_err(|e| e.to_string())?;
        for r in records {
            let text =
                zeroize::Zeroizing::new(serde_json::to_string(r).map_err(|e| e.to_string())?);
            tx.execute(
                "INSERT INTO keys (name, record) VALUES (?1, ?2)",
                rusqlite::params![r.name.to_ascii_lowercase(), text.as_str()],
            )
            .map_err(|e| e.to_string())?;
        }
        tx.execute(
            "INSERT INTO meta (k, v) VALUES ('backup_key', ?1) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
            [backup_key.to_vec()],
        )
        .map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())
    }

    pub fn delete(&self, lower: &str) -> Result<(), String> {
        self.injected_failure()?;
        let Backend::Sqlite(c) = &self.backend else {
            return Ok(());
        };
        let conn = conn(c);
        conn.execute("DELETE FROM keys WHERE name = ?1", [lower])
            .map_err(|e| e.to_string())?;
        Ok(())
    }
}
