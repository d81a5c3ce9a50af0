//! Running a server: open storage, build the engine, bind the REST and gRPC listeners (over TLS
//! when `service.enable_tls` is true, see [`tls`]), shut both down cleanly together.
//!
//! [`Server`] is also the embedding API (re-exported from the crate root): a Rust program or
//! test starts one in-process, reads its address, and shuts it down.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::serve::ListenerExt;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::TcpIncoming;

use crate::api::grpc;
use crate::api::rest::{self, AppState};
use crate::auth::Auth;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::collection::{CollectionDefaults, HnswConfig, OptimizersConfig, WalConfig};
use crate::settings::Settings;
use crate::storage::Storage;

pub mod tls;

use tls::{ReloadingTls, TlsListener, Transport};

/// A running Quiver server.
pub struct Server {
    rest_addr: SocketAddr,
    grpc_addr: Option<SocketAddr>,
    /// `https` when TLS is on, else `http`.
    scheme: &'static str,
    engine: Arc<Engine>,
    auth: Arc<Auth>,
    source: SettingsSource,
    tls: Option<Arc<ReloadingTls>>,
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

/// Where a reload gets fresh settings from, and which files it watches for changes (besides
/// `service.api_keys_file`, always watched).
#[derive(Clone)]
pub struct SettingsSource {
    load: Arc<dyn Fn() -> Result<Settings, String> + Send + Sync>,
    files: Vec<PathBuf>,
}

impl SettingsSource {
    /// The settings the server started with; only the keys file can change.
    pub fn fixed(settings: &Settings) -> SettingsSource {
        let settings = settings.clone();
        SettingsSource {
            load: Arc::new(move || Ok(settings.clone())),
            files: Vec::new(),
        }
    }

    /// Re-reads the configuration as [`Settings::load`] does (files, then environment), and
    /// watches its config files.
    pub fn config(config_path: Option<PathBuf>) -> SettingsSource {
        let files = Settings::config_files(config_path.as_deref());
        SettingsSource {
            load: Arc::new(move || {
                Settings::load(config_path.as_deref()).map_err(|e| e.to_string())
            }),
            files,
        }
    }
}

/// How often watched config and key files are checked for changes.
const RELOAD_POLL: Duration = Duration::from_millis(500);

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

impl Server {
    /// Starts a server as `settings` describe: opens (or, for `:memory:`, skips) storage,
    /// restores every collection, and binds `service.host:service.http_port` for REST and
    /// `service.host:service.grpc_port` for gRPC (port 0 picks a free one; no `grpc_port`
    /// serves no gRPC).
    pub async fn start(settings: &Settings) -> Result<Server> {
        Server::start_with_source(settings, SettingsSource::fixed(settings)).await
    }

    /// Like [`Server::start`], reloading API keys from `source` when its files (or the keys
    /// file) change and when [`Server::reload`] is called (the binary calls it on SIGHUP).
    pub async fn start_with_source(settings: &Settings, source: SettingsSource) -> Result<Server> {
        let auth = Arc::new(Auth::from_settings(&settings.service)?);
        // Loaded before anything is opened or bound: a bad file stops start-up cleanly.
        let tls = match settings.service.enable_tls {
            true => Some(ReloadingTls::load(settings)?),
            false => None,
        };
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
            auth: auth.clone(),
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
            let auth = auth.clone();
            let signal = stopped(stop_rx.clone());
            let tls = tls.clone();
            tokio::spawn(async move {
                let served = match tls {
                    Some(tls) => {
                        let accepted = tls::accept(listener, tls, Transport::Grpc);
                        let incoming = ReceiverStream::new(accepted).map(Ok::<_, std::io::Error>);
                        grpc::serve(engine, auth, incoming, max_body_bytes, signal).await
                    }
                    None => {
                        let incoming = TcpIncoming::from(listener);
                        grpc::serve(engine, auth, incoming, max_body_bytes, signal).await
                    }
                };
                if let Err(e) = served {
                    tracing::error!("gRPC server on {addr} stopped: {e}");
                }
            })
        });
        let rest_signal = stopped(stop_rx.clone());
        let make_service = app.into_make_service_with_connect_info::<SocketAddr>();
        let task = match &tls {
            Some(tls) => {
                let listener = TlsListener::new(listener, tls.clone())
                    .map_err(|e| Error::Internal(format!("cannot read the bound address: {e}")))?
                    // A no-op tap: axum provides `ConnectInfo<SocketAddr>` for a custom listener
                    // through `TapIo`, so the REST auth guard sees the client's address.
                    .tap_io(|_| {});
                tokio::spawn(async move {
                    axum::serve(listener, make_service)
                        .with_graceful_shutdown(rest_signal)
                        .await
                })
            }
            None => tokio::spawn(async move {
                axum::serve(listener, make_service)
                    .with_graceful_shutdown(rest_signal)
                    .await
            }),
        };
        if let Some(tls) = &tls {
            tokio::spawn(tls.clone().watch(stopped(stop_rx.clone())));
        }
        tokio::spawn(watch_files(
            auth.clone(),
            source.clone(),
            settings.service.api_keys_file.clone(),
            stopped(stop_rx),
        ));
        Ok(Server {
            rest_addr,
            grpc_addr,
            scheme: if tls.is_some() { "https" } else { "http" },
            engine,
            auth,
            source,
            tls,
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

    /// `http://host:port` of the REST API (`https://` with TLS).
    pub fn rest_url(&self) -> String {
        format!("{}://{}", self.scheme, self.rest_addr)
    }

    /// Where the gRPC API listens, if `service.grpc_port` is set.
    pub fn grpc_addr(&self) -> Option<SocketAddr> {
        self.grpc_addr
    }

    /// `http://host:port` of the gRPC API (`https://` with TLS), if it is served.
    pub fn grpc_url(&self) -> Option<String> {
        self.grpc_addr.map(|a| format!("{}://{a}", self.scheme))
    }

    /// The authenticator: the key ring in force and per-key use counts.
    pub fn auth(&self) -> &Arc<Auth> {
        &self.auth
    }

    /// Re-reads settings from the server's source and swaps in the new API keys. An invalid
    /// configuration keeps the current keys; the error says why. Returns the number of keys.
    /// With TLS on, also re-reads the certificate files (they are watched anyway); that outcome
    /// is logged, not returned, and a failure keeps the current certificate.
    pub fn reload(&self) -> std::result::Result<usize, String> {
        if let Some(tls) = &self.tls {
            let _ = tls.reload();
        }
        reload(&self.auth, &self.source)
    }

    /// The engine behind the server, for in-process use.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Stops accepting connections, lets in-flight requests finish, waits for the server to
    /// stop, then saves every HNSW graph so that the next start-up need not rebuild it.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
        if let Some(task) = self.grpc_task.take() {
            let _ = task.await;
        }
        let engine = self.engine.clone();
        let _ = tokio::task::spawn_blocking(move || engine.save_graphs()).await;
    }
}

/// Re-reads the settings and swaps in their keys. On success also returns the keys file the new
/// settings name, so the watcher follows a changed `service.api_keys_file`.
fn reload_keys(
    auth: &Auth,
    source: &SettingsSource,
) -> std::result::Result<(usize, Option<PathBuf>), String> {
    let result = (source.load)().and_then(|settings| {
        let count = auth.reload(&settings.service)?;
        Ok((count, settings.service.api_keys_file))
    });
    match &result {
        Ok((n, _)) => tracing::info!("API keys reloaded: {n} key(s) in force"),
        Err(e) => tracing::warn!("API keys not reloaded, the previous keys stay in force: {e}"),
    }
    result
}

fn reload(auth: &Auth, source: &SettingsSource) -> std::result::Result<usize, String> {
    reload_keys(auth, source).map(|(n, _)| n)
}

/// A file's modification time and length, or `None` if it does not exist.
fn stamp(path: &PathBuf) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Polls the source's config files and the keys file; reloads when any of them changes. When a
/// reload names a different keys file, that file is watched from then on.
async fn watch_files(
    auth: Arc<Auth>,
    source: SettingsSource,
    mut keys_file: Option<PathBuf>,
    stop: impl std::future::Future<Output = ()>,
) {
    let watched = |keys_file: &Option<PathBuf>| -> Vec<PathBuf> {
        source
            .files
            .iter()
            .cloned()
            .chain(keys_file.clone())
            .collect()
    };
    let mut files = watched(&keys_file);
    let mut last: Vec<_> = files.iter().map(stamp).collect();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(RELOAD_POLL) => {}
        }
        let now: Vec<_> = files.iter().map(stamp).collect();
        if now != last {
            last = now;
            if let Ok((_, named)) = reload_keys(&auth, &source)
                && named != keys_file
            {
                keys_file = named;
                files = watched(&keys_file);
                last = files.iter().map(stamp).collect();
            }
        }
    }
}

/// The start-up warning for keys that would travel in clear text: keys configured, TLS off, and
/// a listen address other than loopback (`127.0.0.0/8`, `::1`, `localhost`).
pub fn clear_text_key_warning(
    keys_configured: bool,
    service: &crate::settings::ServiceSettings,
) -> Option<String> {
    let loopback = service.host == "localhost"
        || service
            .host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (keys_configured && !service.enable_tls && !loopback).then(|| {
        format!(
            "API keys are configured but TLS is off and the server listens on {}: keys travel \
             in clear text; enable service.enable_tls or bind to 127.0.0.1",
            service.host
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_without_tls_on_a_public_address_are_warned_about() {
        let mut service = Settings::in_memory().service;
        service.host = "0.0.0.0".into();
        assert!(clear_text_key_warning(true, &service).is_some());
        assert!(clear_text_key_warning(false, &service).is_none());
        service.enable_tls = true;
        assert!(clear_text_key_warning(true, &service).is_none());
        service.enable_tls = false;
        for host in ["127.0.0.1", "::1", "localhost"] {
            service.host = host.into();
            assert!(clear_text_key_warning(true, &service).is_none(), "{host}");
        }
    }
}
