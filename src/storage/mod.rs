//! Durable storage in sled: collection configs, aliases and points.
//!
//! Layout, all inside one sled database at `<storage_path>/sled`:
//! - tree `meta`: `collection/<name>` → [`StoredCollection`], `aliases` → alias map,
//!   `next_uid` → the next collection uid;
//! - tree `points/<uid>` per collection: point key → [`StoredPoint`], plus [`OP_COUNTER_KEY`]
//!   → the collection's next operation number, written in the same atomic batch as the points,
//!   and [`PAYLOAD_INDEX_KEY`] → the payload index registry, written in one batch with the
//!   operation number of the index change. Keeping the registry in the points tree means it is
//!   dropped with the collection, and a build that does not know the key refuses the tree
//!   (unknown key layout) rather than silently forgetting the indexes.
//!
//! - beside the database, `<storage_path>/graphs/<uid>/vector-<hex of the name>.hnsw`: one HNSW
//!   graph per vector name (the bytes of `index::hnsw::GraphFile`; the name is hex-encoded so that
//!   any vector name is a safe file name, the unnamed vector is `vector-.hnsw`). A file is written
//!   to a temporary name, synced, then renamed over the old one, so a reader sees a whole old
//!   file or a whole new one; whether its content still fits the points is the engine's call.
//!
//! Collections get a uid so that deleting and re-creating a name never mixes old and new points.
//! Durability: [`Storage::flush`] is a group commit — concurrent callers share one sled flush,
//! and a caller returns only once a flush that started after its write has finished. The
//! in-memory mode keeps nothing: every write is a no-op and load finds nothing.

pub mod encoding;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::PointId;
use crate::model::collection::CollectionConfig;
use crate::model::payload_index::PayloadIndexRegistry;
pub use encoding::StoredPoint;

/// Key of a collection's operation counter inside its points tree (sorts after every point key).
pub const OP_COUNTER_KEY: &[u8] = &[0xFF, b'o', b'p'];

/// Key of a collection's payload index registry inside its points tree (after every point key).
pub const PAYLOAD_INDEX_KEY: &[u8] = &[0xFF, b'i', b'x'];

/// A collection's metadata record.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredCollection {
    pub uid: u64,
    pub config: CollectionConfig,
}

/// One collection read back at start-up.
pub struct LoadedCollection {
    pub name: String,
    pub uid: u64,
    pub config: CollectionConfig,
    pub next_op: u64,
    pub points: Vec<(PointId, StoredPoint)>,
    pub payload_index: PayloadIndexRegistry,
}

/// Everything read back at start-up.
#[derive(Default)]
pub struct LoadedState {
    pub collections: Vec<LoadedCollection>,
    pub aliases: BTreeMap<String, String>,
}

/// A handle to the database (cheap to clone), or to nothing in in-memory mode.
#[derive(Clone)]
pub struct Storage {
    inner: Option<Arc<Disk>>,
}

struct Disk {
    /// `storage.storage_path`: the sled database is in `sled/`, graphs in `graphs/`.
    root: PathBuf,
    db: sled::Db,
    meta: sled::Tree,
    /// Count of writes applied to sled so far (points and metadata).
    written: AtomicU64,
    /// The `written` value covered by the last finished flush.
    flushed: tokio::sync::Mutex<u64>,
    /// Number of sled flushes actually performed (group commit makes this < writes).
    flushes: AtomicU64,
}

fn points_tree(uid: u64) -> String {
    format!("points/{uid}")
}

/// Suffix of a graph file being written; such files are never read and are removed on load.
const PARTIAL_SUFFIX: &str = ".partial";

impl Disk {
    fn graph_dir(&self, uid: u64) -> PathBuf {
        self.root.join("graphs").join(uid.to_string())
    }

    fn graph_path(&self, uid: u64, vector: &str) -> PathBuf {
        let hex: String = vector.bytes().map(|b| format!("{b:02x}")).collect();
        self.graph_dir(uid).join(format!("vector-{hex}.hnsw"))
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Internal(format!("cannot {what} {}: {e}", path.display()))
}

impl Storage {
    /// Opens (or creates) the database under `storage_path`. Fails with a message naming the
    /// path if it cannot be read; never deletes or rewrites what it finds.
    pub fn open(storage_path: &Path) -> Result<Storage> {
        let dir: PathBuf = storage_path.join("sled");
        std::fs::create_dir_all(&dir).map_err(|e| {
            Error::Internal(format!(
                "cannot create storage directory {}: {e}",
                dir.display()
            ))
        })?;
        let db = sled::Config::new().path(&dir).open().map_err(|e| {
            Error::Internal(format!("cannot open storage at {}: {e}", dir.display()))
        })?;
        let meta = db.open_tree("meta")?;
        Ok(Storage {
            inner: Some(Arc::new(Disk {
                root: storage_path.to_path_buf(),
                db,
                meta,
                written: AtomicU64::new(0),
                flushed: tokio::sync::Mutex::new(0),
                flushes: AtomicU64::new(0),
            })),
        })
    }

    /// Storage that keeps nothing.
    pub fn in_memory() -> Storage {
        Storage { inner: None }
    }

    /// Reads every collection, point and alias.
    pub fn load(&self) -> Result<LoadedState> {
        let Some(disk) = &self.inner else {
            return Ok(LoadedState::default());
        };
        let mut state = LoadedState::default();
        if let Some(bytes) = disk.meta.get("aliases")? {
            state.aliases = encoding::decode_meta(&bytes)?;
        }
        for entry in disk.meta.scan_prefix("collection/") {
            let (key, value) = entry?;
            let name = String::from_utf8_lossy(&key["collection/".len()..]).into_owned();
            let stored: StoredCollection = encoding::decode_meta(&value)?;
            let tree = disk.db.open_tree(points_tree(stored.uid))?;
            let mut next_op = 0;
            let mut payload_index = PayloadIndexRegistry::new();
            let mut points = Vec::with_capacity(tree.len());
            for item in tree.iter() {
                let (k, v) = item?;
                if k.as_ref() == OP_COUNTER_KEY {
                    next_op = encoding::decode_meta(&v)?;
                    continue;
                }
                if k.as_ref() == PAYLOAD_INDEX_KEY {
                    payload_index = encoding::decode_meta(&v)?;
                    continue;
                }
                points.push((encoding::decode_point_key(&k)?, encoding::decode_point(&v)?));
            }
            state.collections.push(LoadedCollection {
                name,
                uid: stored.uid,
                config: stored.config,
                next_op,
                points,
                payload_index,
            });
        }
        Ok(state)
    }

    /// Allocates a uid for a new collection.
    pub fn next_uid(&self) -> Result<u64> {
        let Some(disk) = &self.inner else {
            static NEXT: AtomicU64 = AtomicU64::new(1);
            return Ok(NEXT.fetch_add(1, Ordering::Relaxed));
        };
        let next = disk.meta.update_and_fetch("next_uid", |old| {
            let n = old
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_le_bytes)
                .unwrap_or(0);
            Some((n + 1).to_le_bytes().to_vec())
        })?;
        let bytes = next
            .and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
            .ok_or_else(|| Error::Internal("collection uid counter is corrupt".into()))?;
        Ok(u64::from_le_bytes(bytes))
    }

    /// Stores a collection's config (create or update), durably.
    pub async fn save_collection(&self, name: &str, record: &StoredCollection) -> Result<()> {
        let Some(disk) = &self.inner else {
            return Ok(());
        };
        disk.meta
            .insert(format!("collection/{name}"), encoding::encode_meta(record)?)?;
        disk.written.fetch_add(1, Ordering::SeqCst);
        self.flush().await
    }

    /// Removes a collection and all its points, durably.
    pub async fn remove_collection(&self, name: &str, uid: u64) -> Result<()> {
        let Some(disk) = &self.inner else {
            return Ok(());
        };
        disk.meta.remove(format!("collection/{name}"))?;
        disk.db.drop_tree(points_tree(uid))?;
        disk.written.fetch_add(1, Ordering::SeqCst);
        self.flush().await?;
        // After the flush: a crash before this line leaves files no collection refers to (uids
        // are never reused), never a collection without its graphs.
        let dir = disk.graph_dir(uid);
        if let Err(e) = std::fs::remove_dir_all(&dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove graph files in {}: {e}", dir.display());
        }
        Ok(())
    }

    /// Whether anything is kept on disk (false in in-memory mode).
    pub fn is_persistent(&self) -> bool {
        self.inner.is_some()
    }

    /// Replaces the graph file of vector `vector` of collection `uid` with `bytes`, atomically:
    /// written to a temporary file, synced, renamed into place, directory synced. Blocking: call
    /// it off the async runtime. A no-op in memory.
    pub fn write_graph_file(&self, uid: u64, vector: &str, bytes: &[u8]) -> Result<()> {
        use std::io::Write;
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let Some(disk) = &self.inner else {
            return Ok(());
        };
        let dir = disk.graph_dir(uid);
        std::fs::create_dir_all(&dir).map_err(|e| io_error("create", &dir, e))?;
        let path = disk.graph_path(uid, vector);
        // A name of its own per write: two saves of one graph never share a temporary file.
        let partial = path.with_extension(format!(
            "hnsw.{}.{}{PARTIAL_SUFFIX}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let written = std::fs::File::create(&partial)
            .and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()))
            .map_err(|e| io_error("write", &partial, e))
            .and_then(|_| {
                std::fs::rename(&partial, &path).map_err(|e| io_error("rename into", &path, e))
            });
        if let Err(e) = written {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
        // The rename is durable once the directory entry is.
        std::fs::File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error("sync", &dir, e))
    }

    /// The bytes of a graph file, `None` if there is none (or in memory). Leftovers of writes
    /// that never finished are removed on the way, so call it only at start-up, before any
    /// build of this collection can be writing one.
    pub fn read_graph_file(&self, uid: u64, vector: &str) -> Result<Option<Vec<u8>>> {
        let Some(disk) = &self.inner else {
            return Ok(None);
        };
        if let Ok(entries) = std::fs::read_dir(disk.graph_dir(uid)) {
            for entry in entries.flatten() {
                if entry
                    .file_name()
                    .to_string_lossy()
                    .ends_with(PARTIAL_SUFFIX)
                {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        let path = disk.graph_path(uid, vector);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("read", &path, e)),
        }
    }

    /// Removes the graph file of one vector name (the name was deleted); missing is fine.
    pub fn remove_graph_file(&self, uid: u64, vector: &str) -> Result<()> {
        let Some(disk) = &self.inner else {
            return Ok(());
        };
        let path = disk.graph_path(uid, vector);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("remove", &path, e)),
        }
    }

    /// Where the graph file of a vector name lives (`None` in memory), for tests and operators.
    pub fn graph_file_path(&self, uid: u64, vector: &str) -> Option<PathBuf> {
        self.inner.as_ref().map(|d| d.graph_path(uid, vector))
    }

    /// Replaces the alias map, durably.
    pub async fn save_aliases(&self, aliases: &BTreeMap<String, String>) -> Result<()> {
        let Some(disk) = &self.inner else {
            return Ok(());
        };
        disk.meta
            .insert("aliases", encoding::encode_meta(aliases)?)?;
        disk.written.fetch_add(1, Ordering::SeqCst);
        self.flush().await
    }

    /// Writes the new state of every changed point (`None` = deleted) and the collection's next
    /// operation number as one atomic batch. Not yet durable: call [`Storage::flush`] for that.
    pub fn write_points(
        &self,
        uid: u64,
        changes: &[(PointId, Option<StoredPoint>)],
        next_op: u64,
    ) -> Result<()> {
        let Some(disk) = &self.inner else {
            return Ok(());
        };
        let tree = disk.db.open_tree(points_tree(uid))?;
        let mut batch = sled::Batch::default();
        for (id, point) in changes {
            let key = encoding::point_key(id);
            match point {
                Some(p) => batch.insert(key, encoding::encode_point(p)?),
                None => batch.remove(key),
            }
        }
        batch.insert(OP_COUNTER_KEY, encoding::encode_meta(&next_op)?);
        tree.apply_batch(batch)?;
        disk.written.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Writes a collection's payload index registry and its next operation number as one atomic
    /// batch. Not yet durable: call [`Storage::flush`] for that.
    pub fn write_payload_index(
        &self,
        uid: u64,
        registry: &PayloadIndexRegistry,
        next_op: u64,
    ) -> Result<()> {
        let Some(disk) = &self.inner else {
            return Ok(());
        };
        let tree = disk.db.open_tree(points_tree(uid))?;
        let mut batch = sled::Batch::default();
        batch.insert(PAYLOAD_INDEX_KEY, encoding::encode_meta(registry)?);
        batch.insert(OP_COUNTER_KEY, encoding::encode_meta(&next_op)?);
        tree.apply_batch(batch)?;
        disk.written.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Makes every write applied before this call durable. Concurrent callers share flushes:
    /// whoever holds the lock flushes everything written so far, and callers whose writes that
    /// flush covered return without flushing again.
    pub async fn flush(&self) -> Result<()> {
        let Some(disk) = &self.inner else {
            return Ok(());
        };
        let mine = disk.written.load(Ordering::SeqCst);
        let mut flushed = disk.flushed.lock().await;
        if *flushed >= mine {
            return Ok(());
        }
        let upto = disk.written.load(Ordering::SeqCst);
        let db = disk.db.clone();
        tokio::task::spawn_blocking(move || db.flush())
            .await
            .map_err(|e| Error::Internal(format!("flush task failed: {e}")))??;
        disk.flushes.fetch_add(1, Ordering::Relaxed);
        *flushed = upto;
        Ok(())
    }

    /// How many sled flushes have run since this handle was opened (0 in memory).
    pub fn flush_count(&self) -> u64 {
        self.inner
            .as_ref()
            .map_or(0, |d| d.flushes.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Payload;

    fn temp_dir(label: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("quiver-storage-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_waiting_writers_share_flushes() {
        let dir = temp_dir("group-commit");
        let storage = Storage::open(&dir).unwrap();
        let writers: Vec<_> = (0..64u64)
            .map(|i| {
                let storage = storage.clone();
                tokio::spawn(async move {
                    let point = StoredPoint {
                        version: i,
                        vectors: vec![(
                            String::new(),
                            crate::model::vectors::Vector::Dense(vec![i as f32]),
                        )],
                        payload: Payload::new(),
                    };
                    storage
                        .write_points(1, &[(PointId::Num(i), Some(point))], i + 1)
                        .unwrap();
                    storage.flush().await.unwrap();
                })
            })
            .collect();
        for w in writers {
            w.await.unwrap();
        }
        let flushes = storage.flush_count();
        assert!(
            (1..32).contains(&flushes),
            "{flushes} flushes for 64 writers"
        );
        drop(storage);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn flush_with_nothing_written_does_not_touch_disk() {
        let dir = temp_dir("idle-flush");
        let storage = Storage::open(&dir).unwrap();
        storage.flush().await.unwrap();
        assert_eq!(storage.flush_count(), 0);
        drop(storage);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
