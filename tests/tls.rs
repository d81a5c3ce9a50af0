//! TLS (`service.enable_tls`): REST and gRPC over TLS with certificates made here by rcgen, the
//! certificate reloaded when its files change (and kept when the new files are broken), client
//! certificates on both transports, and the client address still feeding network allowlists.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use qdrant_client::qdrant as proto;
use quiver::{Server, Settings};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SerialNumber,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::json;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

/// How long a test waits for a reloaded certificate to show (the server polls every second).
const RELOAD_DEADLINE: Duration = Duration::from_secs(8);

// ---------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------

/// A throw-away CA that signs server and client certificates.
struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

/// A certificate and its private key, PEM, with the certificate's DER for comparisons.
struct Leaf {
    cert_pem: String,
    key_pem: String,
    der: CertificateDer<'static>,
}

impl TestCa {
    fn new() -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Quiver test CA");
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        TestCa {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    fn sign(&self, params: CertificateParams) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
        }
    }

    /// A server certificate for 127.0.0.1 and localhost; `serial` tells one from another.
    fn server(&self, serial: u64) -> Leaf {
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, format!("quiver-test-{serial}"));
        params.serial_number = Some(SerialNumber::from(serial));
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.sign(params)
    }

    fn client(&self) -> Leaf {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "quiver-test-client");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.sign(params)
    }
}

/// A scratch directory holding `cert.pem`, `key.pem` and `ca.pem`, removed on drop.
struct TlsDir(PathBuf);

impl TlsDir {
    fn new(ca: &TestCa, server: &Leaf) -> TlsDir {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("quiver-tls-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let dir = TlsDir(dir);
        dir.replace("ca.pem", &ca.pem);
        dir.install(server);
        dir
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Replaces a file the way a certificate manager does: write beside it, then rename.
    fn replace(&self, name: &str, contents: &str) {
        let staged = self.path(&format!(".{name}.new"));
        std::fs::write(&staged, contents).unwrap();
        std::fs::rename(&staged, self.path(name)).unwrap();
    }

    fn install(&self, server: &Leaf) {
        self.replace("key.pem", &server.key_pem);
        self.replace("cert.pem", &server.cert_pem);
    }

    /// In-memory settings serving TLS with this directory's files.
    fn settings(&self) -> Settings {
        let mut settings = Settings::in_memory();
        settings.service.enable_tls = true;
        settings.tls.cert = self.path("cert.pem");
        settings.tls.key = self.path("key.pem");
        settings.tls.ca_cert = self.path("ca.pem");
        settings
    }

    fn with_client_certificates(&self) -> Settings {
        let mut settings = self.settings();
        settings.service.verify_https_client_certificate = true;
        settings
    }
}

impl Drop for TlsDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------------

fn https(ca: &TestCa, identity: Option<&Leaf>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem.as_bytes()).unwrap())
        .timeout(Duration::from_secs(10));
    if let Some(leaf) = identity {
        let pem = format!("{}{}", leaf.cert_pem, leaf.key_pem);
        builder = builder.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

async fn grpc_channel(
    server: &Server,
    ca: &TestCa,
    identity: Option<&Leaf>,
) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&ca.pem));
    if let Some(leaf) = identity {
        tls = tls.identity(Identity::from_pem(&leaf.cert_pem, &leaf.key_pem));
    }
    Channel::from_shared(server.grpc_url().unwrap())
        .unwrap()
        .tls_config(tls)?
        .timeout(Duration::from_secs(10))
        .connect()
        .await
}

async fn grpc_health(channel: Channel) -> Result<String, tonic::Status> {
    let reply = proto::qdrant_client::QdrantClient::new(channel)
        .health_check(proto::HealthCheckRequest {})
        .await?;
    Ok(reply.into_inner().title)
}

/// The certificate the server at `addr` presents to a new connection (offering `alpn`).
async fn served_certificate(addr: SocketAddr, ca: &TestCa, alpn: &[u8]) -> CertificateDer<'static> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.pem.as_bytes()).unwrap())
        .unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let stream = connector.connect(name, tcp).await.expect("handshake");
    let (_, connection) = stream.get_ref();
    connection.peer_certificates().unwrap()[0].clone()
}

/// Waits until both ports present `expected` to new connections; false after the deadline.
async fn both_transports_serve(server: &Server, ca: &TestCa, expected: &Leaf) -> bool {
    let deadline = Instant::now() + RELOAD_DEADLINE;
    while Instant::now() < deadline {
        let rest = served_certificate(server.rest_addr(), ca, b"http/1.1").await;
        let grpc = served_certificate(server.grpc_addr().unwrap(), ca, b"h2").await;
        if rest == expected.der && grpc == expected.der {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn rest_over_tls_serves_the_api_and_urls_say_https() {
    let ca = TestCa::new();
    let dir = TlsDir::new(&ca, &ca.server(1));
    let server = Server::start(&dir.settings()).await.expect("starts");
    assert!(server.rest_url().starts_with("https://"));
    assert!(server.grpc_url().unwrap().starts_with("https://"));
    let client = https(&ca, None);
    let url = |path: &str| format!("{}{path}", server.rest_url());

    let root: serde_json::Value = client
        .get(url("/"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(root["title"], "qdrant - vector search engine");
    let create = client
        .put(url("/collections/docs"))
        .json(&json!({"vectors": {"size": 2, "distance": "Dot"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(create.status(), 200);
    let upsert = client
        .put(url("/collections/docs/points?wait=true"))
        .json(&json!({"points": [
            {"id": 1, "vector": [1.0, 0.0]},
            {"id": 2, "vector": [0.0, 1.0]}
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(upsert.status(), 200);
    let found: serde_json::Value = client
        .post(url("/collections/docs/points/search"))
        .json(&json!({"vector": [0.0, 1.0], "limit": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["result"][0]["id"], 2, "{found}");
    server.shutdown().await;
}

#[tokio::test]
async fn rest_over_tls_speaks_http2_when_the_client_offers_it() {
    let ca = TestCa::new();
    let dir = TlsDir::new(&ca, &ca.server(1));
    let server = Server::start(&dir.settings()).await.expect("starts");
    let response = https(&ca, None)
        .get(server.rest_url())
        .send()
        .await
        .unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.status(), 200);
    server.shutdown().await;
}

#[tokio::test]
async fn plain_http_to_a_tls_port_is_not_served() {
    let ca = TestCa::new();
    let dir = TlsDir::new(&ca, &ca.server(1));
    let server = Server::start(&dir.settings()).await.expect("starts");
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let answer = plain
        .get(format!("http://{}/", server.rest_addr()))
        .send()
        .await;
    assert!(answer.is_err(), "plain HTTP was answered: {answer:?}");
    // The failed handshake did not stop the accept loop.
    let client = https(&ca, None);
    assert_eq!(
        client.get(server.rest_url()).send().await.unwrap().status(),
        200
    );
    server.shutdown().await;
}

#[tokio::test]
async fn grpc_over_tls_answers_health_check_and_listing() {
    let ca = TestCa::new();
    let dir = TlsDir::new(&ca, &ca.server(1));
    let server = Server::start(&dir.settings()).await.expect("starts");
    let channel = grpc_channel(&server, &ca, None).await.expect("connects");
    assert_eq!(
        grpc_health(channel.clone()).await.unwrap(),
        "qdrant - vector search engine"
    );
    let listed = proto::collections_client::CollectionsClient::new(channel)
        .list(proto::ListCollectionsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(listed.collections.is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn a_slow_handshake_does_not_hold_up_other_clients() {
    let ca = TestCa::new();
    let dir = TlsDir::new(&ca, &ca.server(1));
    let server = Server::start(&dir.settings()).await.expect("starts");
    // Connected, but never says hello.
    let _silent = tokio::net::TcpStream::connect(server.rest_addr())
        .await
        .unwrap();
    let _silent_grpc = tokio::net::TcpStream::connect(server.grpc_addr().unwrap())
        .await
        .unwrap();
    let client = https(&ca, None);
    assert_eq!(
        client.get(server.rest_url()).send().await.unwrap().status(),
        200
    );
    let channel = grpc_channel(&server, &ca, None).await.expect("connects");
    assert!(grpc_health(channel).await.is_ok());
    server.shutdown().await;
}

#[tokio::test]
async fn a_replaced_certificate_is_served_to_new_connections_on_both_transports() {
    let ca = TestCa::new();
    let first = ca.server(1);
    let dir = TlsDir::new(&ca, &first);
    let server = Server::start(&dir.settings()).await.expect("starts");
    assert!(both_transports_serve(&server, &ca, &first).await);
    let client = https(&ca, None);
    assert_eq!(
        client.get(server.rest_url()).send().await.unwrap().status(),
        200
    );

    let second = ca.server(2);
    dir.install(&second);
    assert!(
        both_transports_serve(&server, &ca, &second).await,
        "the new certificate was not served within {RELOAD_DEADLINE:?}"
    );
    // Requests still work with the new certificate, over fresh connections.
    assert_eq!(
        https(&ca, None)
            .get(server.rest_url())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let channel = grpc_channel(&server, &ca, None).await.expect("connects");
    assert!(grpc_health(channel).await.is_ok());
    server.shutdown().await;
}

#[tokio::test]
async fn a_broken_replacement_keeps_the_previous_certificate() {
    let ca = TestCa::new();
    let first = ca.server(1);
    let dir = TlsDir::new(&ca, &first);
    let server = Server::start(&dir.settings()).await.expect("starts");
    dir.replace(
        "cert.pem",
        "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
    );
    // Two polls: the server has seen the change and refused it.
    tokio::time::sleep(quiver::server::tls::FILE_POLL * 2 + Duration::from_millis(300)).await;
    assert_eq!(
        served_certificate(server.rest_addr(), &ca, b"http/1.1").await,
        first.der
    );
    assert_eq!(
        served_certificate(server.grpc_addr().unwrap(), &ca, b"h2").await,
        first.der
    );
    assert_eq!(
        https(&ca, None)
            .get(server.rest_url())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // The watcher is still alive: a good replacement after the broken one is picked up.
    let second = ca.server(2);
    dir.install(&second);
    assert!(both_transports_serve(&server, &ca, &second).await);
    server.shutdown().await;
}

#[tokio::test]
async fn client_certificates_are_required_on_rest_when_configured() {
    let ca = TestCa::new();
    let dir = TlsDir::new(&ca, &ca.server(1));
    let server = Server::start(&dir.with_client_certificates())
        .await
        .expect("starts");
    let anonymous = https(&ca, None).get(server.rest_url()).send().await;
    assert!(
        anonymous.is_err(),
        "served without a client certificate: {anonymous:?}"
    );

    let other_ca = TestCa::new();
    let stranger = https(&ca, Some(&other_ca.client()))
        .get(server.rest_url())
        .send()
        .await;
    assert!(
        stranger.is_err(),
        "served a certificate from another CA: {stranger:?}"
    );

    let client = https(&ca, Some(&ca.client()));
    assert_eq!(
        client.get(server.rest_url()).send().await.unwrap().status(),
        200
    );
    server.shutdown().await;
}

#[tokio::test]
async fn client_certificates_are_required_on_grpc_too() {
    let ca = TestCa::new();
    let dir = TlsDir::new(&ca, &ca.server(1));
    let server = Server::start(&dir.with_client_certificates())
        .await
        .expect("starts");
    let anonymous = match grpc_channel(&server, &ca, None).await {
        Ok(channel) => grpc_health(channel).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    assert!(anonymous.is_err(), "served without a client certificate");

    let client = ca.client();
    let channel = grpc_channel(&server, &ca, Some(&client))
        .await
        .expect("connects");
    assert!(grpc_health(channel).await.is_ok());
    server.shutdown().await;
}

#[tokio::test]
async fn enabling_client_certificates_with_a_missing_ca_file_stops_startup_naming_it() {
    let ca = TestCa::new();
    let dir = TlsDir::new(&ca, &ca.server(1));
    let mut settings = dir.with_client_certificates();
    settings.tls.ca_cert = dir.path("missing-ca.pem");
    let err = Server::start(&settings).await.err().expect("refused");
    let message = err.to_string();
    assert!(message.contains("tls.ca_cert"), "{message}");
    assert!(message.contains("missing-ca.pem"), "{message}");
}

#[tokio::test]
async fn a_key_file_without_a_key_stops_startup_without_quoting_it() {
    let ca = TestCa::new();
    let dir = TlsDir::new(&ca, &ca.server(1));
    dir.replace(
        "key.pem",
        "-----BEGIN PRIVATE KEY-----\nsecret!material\n-----END PRIVATE KEY-----\n",
    );
    let err = Server::start(&dir.settings()).await.err().expect("refused");
    let message = err.to_string();
    assert!(message.contains("tls.key"), "{message}");
    assert!(
        !message.contains("secret"),
        "key file contents quoted: {message}"
    );
}

#[tokio::test]
async fn the_client_address_under_tls_feeds_network_allowlists() {
    let ca = TestCa::new();
    let dir = TlsDir::new(&ca, &ca.server(1));
    let mut settings = dir.settings();
    settings.service.api_keys = json!([
        {"name": "local", "key": "local-key-123456", "access": "manage",
         "allowed_networks": ["127.0.0.1/32"]},
        {"name": "remote", "key": "remote-key-123456", "access": "manage",
         "allowed_networks": ["10.0.0.0/8"]}
    ]);
    let server = Server::start(&settings).await.expect("starts");
    let client = https(&ca, None);
    let status = |key: &'static str| {
        let request = client
            .get(format!("{}/collections", server.rest_url()))
            .header("api-key", key);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status("local-key-123456").await, 200);
    assert_eq!(status("remote-key-123456").await, 403);

    let channel = grpc_channel(&server, &ca, None).await.expect("connects");
    let list = |key: &'static str| {
        let mut client = proto::collections_client::CollectionsClient::new(channel.clone());
        async move {
            let mut request = tonic::Request::new(proto::ListCollectionsRequest {});
            request
                .metadata_mut()
                .insert("api-key", key.parse().unwrap());
            client.list(request).await.map(|_| ()).map_err(|s| s.code())
        }
    };
    assert_eq!(list("local-key-123456").await, Ok(()));
    assert_eq!(
        list("remote-key-123456").await,
        Err(tonic::Code::PermissionDenied)
    );
    server.shutdown().await;
}
