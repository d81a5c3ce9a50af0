//! Running a server: open storage, build the engine, bind the REST and gRPC listeners, shut both
//! down cleanly together.
//!
//! [`Server`] is also the embedding API (re-exported from the crate root): a Rust program or
//! test starts one in-process, reads its address, and shuts it down.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api::grpc;
use crate::api::rest::{self, AppState};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::collection::{CollectionDefaults, HnswConfig, OptimizersConfig, WalConfig};
use crate::settings::Settings;
use crate::storage::Storage;

/// A running Quiver server.
pub struct Server {
    rest_addr: SocketAddr,
    grpc_addr: Option<SocketAddr>,
    engine: Arc<Engine>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    grpc_task: Option<JoinHandle<()>>,
}

async fn bind(host: &str, port: u16) -> Result<(TcpListener, SocketAddr)> {
    let addr = format!("{host}:{port}");
    let listener = TcpListener::bind(&addr)
        .await
        .map_err(|e| Error::Internal(format!("cannot listen on {addr}: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Error::Internal(format!("cannot read the bound address: {e}")))?;
    Ok((listener, bound))
}

/// The collection defaults the settings ask for.
fn collection_defaults(settings: &Settings) -> CollectionDefaults {
    let h = &settings.storage.hnsw_index;
    let o = &settings.storage.optimizers;
    CollectionDefaults {
        hnsw: HnswConfig {
            m: h.m,
            ef_construct: h.ef_construct,
            full_scan_threshold: h.full_scan_threshold_kb,
            max_indexing_threads: h.max_indexing_threads,
            on_disk: Some(h.on_disk),
            payload_m: h.payload_m,
        },
        optimizers: OptimizersConfig {
            deleted_threshold: o.deleted_threshold,
            vacuum_min_vector_number: o.vacuum_min_vector_number,
            default_segment_number: o.default_segment_number,
            max_segment_size: o.max_segment_size_kb,
            memmap_threshold: o.memmap_threshold_kb,
            indexing_threshold: Some(o.indexing_threshold_kb),
            flush_interval_sec: o.flush_interval_sec,
            max_optimization_threads: o.max_optimization_threads,
            prevent_unoptimized: None,
        },
        wal: WalConfig {
            wal_capacity_mb: settings.storage.wal.wal_capacity_mb,
            wal_segments_ahead: settings.storage.wal.wal_segments_ahead,
            wal_retain_closed: 1,
        },
        on_disk_payload: settings.storage.on_disk_payload,
    }
}

/// Refuses settings that ask for protection this build does not provide yet: serving without
/// the API keys or TLS a user configured would be worse than not starting.
fn refuse_unimplemented(settings: &Settings) -> Result<()> {
    let service = &settings.service;
    let keys = [
        ("service.api_key", &service.api_key),
        ("service.alt_api_key", &service.alt_api_key),
        ("service.read_only_api_key", &service.read_only_api_key),
    ];
    let named = (!service.api_keys.is_null()).then_some("service.api_keys");
    let file = service
        .api_keys_file
        .is_some()
        .then_some("service.api_keys_file");
    if let Some(key) = keys
        .iter()
        .find(|(_, v)| v.is_some())
        .map(|(k, _)| *k)
        .or(named)
        .or(file)
    {
        return Err(Error::BadInput(format!(
            "{key} is set, but this Quiver build does not enforce API keys yet; \
             remove the key (or put an authenticating proxy in front) to start"
        )));
    }
    if service.enable_tls {
        return Err(Error::BadInput(
            "service.enable_tls is true, but this Quiver build does not serve TLS yet; \
             set it to false (or terminate TLS in a proxy) to start"
                .into(),
        ));
    }
    Ok(())
}

impl Server {
    /// Starts a server as `settings` describe: opens (or, for `:memory:`, skips) storage,
    /// restores every collection, and binds `service.host:service.http_port` for REST and
    /// `service.host:service.grpc_port` for gRPC (port 0 picks a free one; no `grpc_port`
    /// serves no gRPC).
    pub async fn start(settings: &Settings) -> Result<Server> {
        refuse_unimplemented(settings)?;
        let storage = if settings.is_in_memory() {
            Storage::in_memory()
        } else {
            Storage::open(&settings.storage.storage_path)?
        };
        let engine = Arc::new(Engine::open(storage, collection_defaults(settings))?);
        let service = &settings.service;
        let (listener, rest_addr) = bind(&service.host, service.http_port).await?;
        let grpc_listener = match service.grpc_port {
            Some(port) => Some(bind(&service.host, port).await?),
            None => None,
        };
        let max_body_bytes = service.max_request_size_mb.saturating_mul(1024 * 1024);
        let state = AppState {
            engine: engine.clone(),
            max_body_bytes,
        };
        let app = rest::router(state, service.enable_cors);
        // One shutdown signal, seen by both transports.
        let (tx, rx) = oneshot::channel::<()>();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let _ = rx.await;
            let _ = stop_tx.send(true);
        });
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let grpc_addr = grpc_listener.as_ref().map(|(_, addr)| *addr);
        let grpc_task = grpc_listener.map(|(listener, addr)| {
            let engine = engine.clone();
            let signal = stopped(stop_rx.clone());
            tokio::spawn(async move {
                if let Err(e) = grpc::serve(engine, listener, max_body_bytes, signal).await {
                    tracing::error!("gRPC server on {addr} stopped: {e}");
                }
            })
        });
        let rest_signal = stopped(stop_rx);
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(rest_signal)
                .await
        });
        Ok(Server {
            rest_addr,
            grpc_addr,
            engine,
            shutdown: Some(tx),
            task,
            grpc_task,
        })
    }

    /// Starts a server with nothing on disk, on free loopback ports.
    pub async fn start_in_memory() -> Result<Server> {
        Server::start(&Settings::in_memory()).await
    }

    /// Where the REST API listens.
    pub fn rest_addr(&self) -> SocketAddr {
        self.rest_addr
    }

    /// `http://host:port` of the REST API.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.rest_addr)
    }

    /// Where the gRPC API listens, if `service.grpc_port` is set.
    pub fn grpc_addr(&self) -> Option<SocketAddr> {
        self.grpc_addr
    }

    /// `http://host:port` of the gRPC API, if it is served.
    pub fn grpc_url(&self) -> Option<String> {
        self.grpc_addr.map(|a| format!("http://{a}"))
    }

    /// The engine behind the server, for in-process use.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the server
    /// to stop.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        if let Some(task) = self.grpc_task.take() {
            let _ = task.await;
        }
    }
}
