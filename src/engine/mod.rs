//! The engine: the registry of collections and aliases, and the behaviour behind every API call.
//!
//! Transports resolve a name with [`Engine::collection`] (aliases first, as in Qdrant) and call
//! one method on the returned [`Collection`]; structural changes (create, update, delete,
//! aliases) are methods of [`Engine`] itself. The engine never sees HTTP or protobuf.
//!
//! Structural changes are serialised by one async mutex and persisted before the in-memory
//! registry changes, so a crash never leaves a collection that storage does not know about.

pub mod collection;
pub mod facet;
mod formula;
pub mod graph_persistence;
pub mod indexing;
pub mod matrix;
pub mod order_by;
pub mod payload_index;
pub mod points;
pub mod query;
pub mod reads;
mod space;
pub mod telemetry;
pub mod updates;
pub mod vector_names;

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::RwLock;

pub use collection::Collection;

use crate::error::{Error, Result};
use crate::model::collection::{
    AliasDescription, AliasOperation, CollectionDefaults, CreateCollection, UpdateCollection,
    validate_collection_name,
};
use crate::storage::Storage;

#[derive(Default)]
struct Registry {
    collections: BTreeMap<String, Arc<Collection>>,
    /// alias → collection name
    aliases: BTreeMap<String, String>,
}

/// All collections of one server.
pub struct Engine {
    storage: Storage,
    defaults: CollectionDefaults,
    registry: RwLock<Registry>,
    /// Serialises create / update / delete / alias changes (held across their storage writes).
    structure: tokio::sync::Mutex<()>,
    /// When and as what this engine started (telemetry).
    started: Started,
}

struct Started {
    /// Random per process.
    id: String,
    /// RFC 3339.
    at: String,
}

impl Started {
    fn now() -> Started {
        let mut bytes = [0u8; 16];
        let _ = getrandom::fill(&mut bytes);
        Started {
            id: uuid::Builder::from_random_bytes(bytes)
                .into_uuid()
                .to_string(),
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        }
    }
}

impl Engine {
    /// Opens the engine over `storage`, restoring every stored collection and alias.
    pub fn open(storage: Storage, defaults: CollectionDefaults) -> Result<Engine> {
        let loaded = storage.load()?;
        let mut registry = Registry {
            aliases: loaded.aliases,
            ..Registry::default()
        };
        for c in loaded.collections {
            let name = c.name.clone();
            let collection = Arc::new(Collection::from_loaded(c, storage.clone()));
            collection.register();
            registry.collections.insert(name, collection);
        }
        Ok(Engine {
            storage,
            defaults,
            registry: RwLock::new(registry),
            structure: tokio::sync::Mutex::new(()),
            started: Started::now(),
        })
    }

    /// The collection called `name`, or the one the alias `name` points to.
    pub fn collection(&self, name: &str) -> Result<Arc<Collection>> {
        let registry = self.registry.read();
        let target = registry
            .aliases
            .get(name)
            .map(String::as_str)
            .unwrap_or(name);
        registry
            .collections
            .get(target)
            .cloned()
            .ok_or_else(|| Error::collection_not_found(name))
    }

    /// Saves every collection's HNSW graphs beside the sled data (graceful shutdown; nothing in
    /// memory). Blocking: graphs of large collections take a moment to write.
    pub fn save_graphs(&self) {
        let collections: Vec<Arc<Collection>> =
            self.registry.read().collections.values().cloned().collect();
        for collection in collections {
            collection.save_graphs();
        }
    }

    /// Whether `name` names a collection or an alias.
    pub fn collection_exists(&self, name: &str) -> bool {
        self.collection(name).is_ok()
    }

    /// Collection names, sorted.
    pub fn list_collections(&self) -> Vec<String> {
        self.registry.read().collections.keys().cloned().collect()
    }

    pub async fn create_collection(&self, name: &str, request: CreateCollection) -> Result<bool> {
        validate_collection_name(name)?;
        let config = request.resolve(&self.defaults)?;
        let _guard = self.structure.lock().await;
        {
            let registry = self.registry.read();
            if registry.aliases.contains_key(name) {
                return Err(Error::BadInput(format!(
                    "Can't create collection with name {name}. Alias with the same name already exists"
                )));
            }
            if registry.collections.contains_key(name) {
                return Err(Error::AlreadyExists(format!(
                    "Collection `{name}` already exists!"
                )));
            }
        }
        let uid = self.storage.next_uid()?;
        let collection = Collection::new(name, uid, config, self.storage.clone());
        self.storage
            .save_collection(name, &collection.stored_record())
            .await?;
        let collection = Arc::new(collection);
        collection.register();
        self.registry
            .write()
            .collections
            .insert(name.to_string(), collection);
        Ok(true)
    }

    pub async fn update_collection(&self, name: &str, request: UpdateCollection) -> Result<bool> {
        let _guard = self.structure.lock().await;
        let collection = self.collection(name)?;
        let next = request.apply_to(&collection.config())?;
        let record = crate::storage::StoredCollection {
            uid: collection.uid,
            config: next.clone(),
        };
        self.storage
            .save_collection(&collection.name, &record)
            .await?;
        *collection.config.write() = next;
        // A lower indexing threshold or new quantization settings take effect now.
        collection.schedule_indexing();
        Ok(true)
    }

    /// Deletes a collection and its aliases. `false` if no collection has that name (an alias
    /// name does not delete its target, as in Qdrant).
    pub async fn delete_collection(&self, name: &str) -> Result<bool> {
        let _guard = self.structure.lock().await;
        let (collection, aliases) = {
            let registry = self.registry.read();
            let Some(c) = registry.collections.get(name).cloned() else {
                return Ok(false);
            };
            let mut aliases = registry.aliases.clone();
            aliases.retain(|_, target| target != name);
            (c, aliases)
        };
        self.storage.save_aliases(&aliases).await?;
        self.storage.remove_collection(name, collection.uid).await?;
        let mut registry = self.registry.write();
        registry.collections.remove(name);
        registry.aliases = aliases;
        Ok(true)
    }

    /// Applies alias actions in order, all or nothing.
    pub async fn update_aliases(&self, actions: Vec<AliasOperation>) -> Result<bool> {
        let _guard = self.structure.lock().await;
        let mut aliases = self.registry.read().aliases.clone();
        {
            let registry = self.registry.read();
            for action in actions {
                match action {
                    AliasOperation::CreateAlias {
                        collection_name,
                        alias_name,
                    } => {
                        if !registry.collections.contains_key(&collection_name) {
                            return Err(Error::collection_not_found(&collection_name));
                        }
                        if registry.collections.contains_key(&alias_name) {
                            return Err(Error::AlreadyExists(format!(
                                "Collection `{alias_name}` already exists!"
                            )));
                        }
                        aliases.insert(alias_name, collection_name);
                    }
                    AliasOperation::DeleteAlias { alias_name } => {
                        aliases.remove(&alias_name);
                    }
                    AliasOperation::RenameAlias {
                        old_alias_name,
                        new_alias_name,
                    } => {
                        let Some(target) = aliases.remove(&old_alias_name) else {
                            return Err(Error::NotFound(format!(
                                "Alias {old_alias_name} does not exists!"
                            )));
                        };
                        if registry.collections.contains_key(&new_alias_name) {
                            return Err(Error::AlreadyExists(format!(
                                "Collection `{new_alias_name}` already exists!"
                            )));
                        }
                        aliases.insert(new_alias_name, target);
                    }
                }
            }
        }
        self.storage.save_aliases(&aliases).await?;
        self.registry.write().aliases = aliases;
        Ok(true)
    }

    /// Every alias, optionally only those of one collection (which must exist).
    pub fn list_aliases(&self, collection: Option<&str>) -> Result<Vec<AliasDescription>> {
        let resolved = match collection {
            Some(name) => Some(self.collection(name)?.name.clone()),
            None => None,
        };
        let registry = self.registry.read();
        let mut list: Vec<AliasDescription> = registry
            .aliases
            .iter()
            .filter(|(_, target)| resolved.as_ref().is_none_or(|c| *target == c))
            .map(|(alias, target)| AliasDescription {
                alias_name: alias.clone(),
                collection_name: target.clone(),
            })
            .collect();
        list.sort();
        Ok(list)
    }
}
