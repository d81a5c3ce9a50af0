//! TLS for both transports (`service.enable_tls`), with rustls and the ring provider.
//!
//! Contract:
//! - [`ReloadingTls`] loads `tls.cert` and `tls.key` (and, with
//!   `service.verify_https_client_certificate`, `tls.ca_cert`) at start-up; a missing or invalid
//!   file stops start-up with a message naming the setting and the path.
//! - It keeps one rustls `ServerConfig` per transport, built from the same files; they differ only
//!   in ALPN (REST offers `h2` and `http/1.1`, gRPC `h2`). Every new connection takes the config
//!   in force when it arrives; connections already open keep the one they started with.
//! - [`ReloadingTls::watch`] checks the files' modification times and lengths every
//!   [`FILE_POLL`] and rebuilds both configs when one changes, and also every `tls.cert_ttl`
//!   seconds (Qdrant's re-read interval) in case a file changed without its stamp changing.
//!   Swapping whole configs (rather than only the certificate, through a
//!   `ResolvesServerCert`) means a renewed client CA is picked up as well.
//! - A new set of files that does not load keeps the previous config in force and logs why. No
//!   message ever quotes a file's contents: a key file's lines are key material.
//! - Client certificates, when required, are required on both transports (Qdrant checks them on
//!   REST only): a server that asks for mutual TLS should not leave a second door open.
//! - [`accept`] turns a TCP listener into a stream of finished TLS handshakes. Each handshake
//!   runs in its own task with a `HANDSHAKE_TIMEOUT`, so a slow or failed client never holds up
//!   the others or stops the loop. The loop ends when its consumer (the transport) is dropped.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use parking_lot::RwLock;
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ServerConfig, WebPkiClientVerifier};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tonic::transport::server::{Connected, TcpConnectInfo};

use crate::error::{Error, Result};
use crate::settings::Settings;

/// How often the certificate files are checked for changes.
pub const FILE_POLL: Duration = Duration::from_secs(1);

/// How long a client may take to finish its handshake before the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Finished handshakes waiting for the transport to pick them up.
const ACCEPTED_BACKLOG: usize = 64;

/// Which transport a config serves; they differ only in the ALPN protocols offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Rest,
    Grpc,
}

impl Transport {
    fn alpn(self) -> Vec<Vec<u8>> {
        match self {
            Transport::Rest => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            Transport::Grpc => vec![b"h2".to_vec()],
        }
    }
}

/// The files TLS is built from, each with the setting that names it (for messages).
#[derive(Clone, Debug)]
struct TlsFiles {
    cert: PathBuf,
    key: PathBuf,
    /// `Some` when client certificates are required.
    client_ca: Option<PathBuf>,
}

impl TlsFiles {
    fn paths(&self) -> impl Iterator<Item = &PathBuf> {
        [&self.cert, &self.key].into_iter().chain(&self.client_ca)
    }
}

/// The configs in force, one per transport.
struct Configs {
    rest: Arc<ServerConfig>,
    grpc: Arc<ServerConfig>,
}

/// TLS configs built from the `tls` files and rebuilt when they change; shared by both
/// transports.
pub struct ReloadingTls {
    files: TlsFiles,
    ttl: Option<Duration>,
    configs: RwLock<Configs>,
}

impl ReloadingTls {
    /// Loads the files `settings` name. The error names the setting and the path at fault.
    pub fn load(settings: &Settings) -> Result<Arc<ReloadingTls>> {
        let files = TlsFiles {
            cert: settings.tls.cert.clone(),
            key: settings.tls.key.clone(),
            client_ca: settings
                .service
                .verify_https_client_certificate
                .then(|| settings.tls.ca_cert.clone()),
        };
        let configs = build_configs(&files)
            .map_err(|e| Error::BadInput(format!("service.enable_tls is true, but {e}")))?;
        Ok(Arc::new(ReloadingTls {
            files,
            ttl: settings.tls.cert_ttl.map(Duration::from_secs),
            configs: RwLock::new(configs),
        }))
    }

    /// The config a new connection of `transport` gets.
    fn config(&self, transport: Transport) -> Arc<ServerConfig> {
        let configs = self.configs.read();
        match transport {
            Transport::Rest => configs.rest.clone(),
            Transport::Grpc => configs.grpc.clone(),
        }
    }

    /// Re-reads the files; on success new connections get the new configs, on failure the
    /// previous ones stay in force. Either way the outcome is logged.
    pub fn reload(&self) -> std::result::Result<(), String> {
        match build_configs(&self.files) {
            Ok(configs) => {
                *self.configs.write() = configs;
                tracing::info!(
                    "TLS certificate reloaded from {}",
                    self.files.cert.display()
                );
                Ok(())
            }
            Err(e) => {
                tracing::warn!(
                    "TLS files not reloaded, the previous certificate stays in force: {e}"
                );
                Err(e)
            }
        }
    }

    /// Reloads when a file's stamp changes and every `cert_ttl`, until `stop` resolves.
    pub async fn watch(self: Arc<Self>, stop: impl Future<Output = ()>) {
        let stamps = || self.files.paths().map(|p| stamp(p)).collect::<Vec<_>>();
        let mut last = stamps();
        let mut reloaded_at = Instant::now();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(FILE_POLL) => {}
            }
            let now = stamps();
            let expired = self.ttl.is_some_and(|ttl| reloaded_at.elapsed() >= ttl);
            if now != last || expired {
                last = now;
                reloaded_at = Instant::now();
                let _ = self.reload();
            }
        }
    }
}

/// A file's modification time and length, or `None` if it cannot be read.
fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

fn provider() -> Arc<CryptoProvider> {
    // Named explicitly: with more than one provider compiled in (a dependency may enable
    // aws-lc-rs), rustls has no process default to fall back on.
    Arc::new(rustls::crypto::ring::default_provider())
}

fn build_configs(files: &TlsFiles) -> std::result::Result<Configs, String> {
    let chain = load_chain(&files.cert)?;
    let key = load_key(&files.key)?;
    let verifier = match &files.client_ca {
        Some(path) => Some(client_verifier(path)?),
        None => None,
    };
    let build = |transport: Transport| {
        let builder = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set up TLS: {e}"))?;
        let builder = match &verifier {
            Some(verifier) => builder.with_client_cert_verifier(verifier.clone()),
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(chain.clone(), key.clone_key())
            .map_err(|e| {
                format!(
                    "tls.cert {} and tls.key {} do not make a usable certificate: {e}",
                    files.cert.display(),
                    files.key.display()
                )
            })?;
        config.alpn_protocols = transport.alpn();
        Ok::<_, String>(Arc::new(config))
    };
    Ok(Configs {
        rest: build(Transport::Rest)?,
        grpc: build(Transport::Grpc)?,
    })
}

/// Reads `path`, named by `setting` in the error.
fn read(setting: &str, path: &Path) -> std::result::Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {setting} {}: {e}", path.display()))
}

/// What went wrong in a PEM file, without quoting it (the `Display` of some errors does).
fn pem_problem(error: &pem::Error) -> &'static str {
    match error {
        pem::Error::MissingSectionEnd { .. } => "a PEM section has no END line",
        pem::Error::IllegalSectionStart { .. } => "a PEM BEGIN line is malformed",
        pem::Error::Base64Decode(_) => "a PEM section is not valid base64",
        pem::Error::NoItemsFound => "no PEM section of the expected kind",
        pem::Error::SectionTooLarge => "a PEM section is too large",
        _ => "the file is not valid PEM",
    }
}

/// The certificates in a PEM file, in file order; at least one.
fn certificates(
    setting: &str,
    path: &Path,
) -> std::result::Result<Vec<CertificateDer<'static>>, String> {
    let bytes = read(setting, path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| format!("{setting} {}: {}", path.display(), pem_problem(&e)))?;
    if certs.is_empty() {
        return Err(format!(
            "{setting} {}: no PEM CERTIFICATE section found",
            path.display()
        ));
    }
    Ok(certs)
}

fn load_chain(path: &Path) -> std::result::Result<Vec<CertificateDer<'static>>, String> {
    certificates("tls.cert", path)
}

fn load_key(path: &Path) -> std::result::Result<PrivateKeyDer<'static>, String> {
    let bytes = read("tls.key", path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
        let problem = match e {
            pem::Error::NoItemsFound => "no PEM private key (PKCS#8, PKCS#1 or SEC1) found",
            other => pem_problem(&other),
        };
        format!("tls.key {}: {problem}", path.display())
    })
}

fn client_verifier(
    path: &Path,
) -> std::result::Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, String> {
    let mut roots = RootCertStore::empty();
    for cert in certificates("tls.ca_cert", path)? {
        roots.add(cert).map_err(|e| {
            format!(
                "tls.ca_cert {}: not a usable CA certificate: {e}",
                path.display()
            )
        })?;
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| format!("tls.ca_cert {}: {e}", path.display()))
}

/// One accepted TLS connection, remembering the TCP addresses so that auth sees the client's
/// address (network allowlists, throttling) exactly as it does without TLS.
pub struct TlsConnection {
    stream: TlsStream<TcpStream>,
    local: Option<SocketAddr>,
    remote: SocketAddr,
}

impl TlsConnection {
    pub fn remote_addr(&self) -> SocketAddr {
        self.remote
    }
}

impl AsyncRead for TlsConnection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConnection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// gRPC's auth layer reads the client address from `TcpConnectInfo`, as on a plain connection.
impl Connected for TlsConnection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        TcpConnectInfo {
            local_addr: self.local,
            remote_addr: Some(self.remote),
        }
    }
}

/// Accepts TCP connections on `listener` and yields those whose TLS handshake (with the config
/// for `transport` in force at the time) succeeds. Stops when the receiver is dropped.
pub fn accept(
    listener: TcpListener,
    tls: Arc<ReloadingTls>,
    transport: Transport,
) -> mpsc::Receiver<TlsConnection> {
    let (tx, rx) = mpsc::channel(ACCEPTED_BACKLOG);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = tx.closed() => return,
                accepted = listener.accept() => accepted,
            };
            let (tcp, remote) = match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Per-connection errors (reset before accept) and resource limits (too many
                    // open files) alike: pause briefly rather than spin, then go on.
                    tracing::debug!("accept on a TLS listener failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let local = tcp.local_addr().ok();
            let acceptor = TlsAcceptor::from(tls.config(transport));
            let tx = tx.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        let connection = TlsConnection {
                            stream,
                            local,
                            remote,
                        };
                        let _ = tx.send(connection).await;
                    }
                    Ok(Err(e)) => tracing::debug!("TLS handshake with {remote} failed: {e}"),
                    Err(_) => tracing::debug!("TLS handshake with {remote} timed out"),
                }
            });
        }
    });
    rx
}

/// The REST side of [`accept`]: an axum listener over the finished handshakes.
pub struct TlsListener {
    connections: mpsc::Receiver<TlsConnection>,
    local_addr: SocketAddr,
}

impl TlsListener {
    pub fn new(listener: TcpListener, tls: Arc<ReloadingTls>) -> io::Result<TlsListener> {
        let local_addr = listener.local_addr()?;
        Ok(TlsListener {
            connections: accept(listener, tls, Transport::Rest),
            local_addr,
        })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsConnection;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TlsConnection, SocketAddr) {
        match self.connections.recv().await {
            Some(connection) => {
                let remote = connection.remote_addr();
                (connection, remote)
            }
            // The accept task only ends once this receiver is gone, so this is unreachable in
            // practice; a listener has no way to report an end, so it waits forever.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local_addr)
    }
}
