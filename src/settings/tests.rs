use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory standing in for the working directory; removed on drop.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "quiver-settings-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(dir.join("config")).unwrap();
        Self(dir)
    }

    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn load(
        &self,
        config_path: Option<&Path>,
        env: &[(&str, &str)],
    ) -> Result<Settings, SettingsError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load_from(&self.0, config_path, &env)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn load_error(dir: &ScratchDir, config_path: Option<&Path>, env: &[(&str, &str)]) -> String {
    dir.load(config_path, env).unwrap_err().to_string()
}

#[test]
fn built_in_defaults_match_qdrant() {
    let s = ScratchDir::new().load(None, &[]).unwrap();
    assert_eq!(s.log_level, "INFO");
    assert_eq!(s.storage.storage_path, Path::new("./storage"));
    assert_eq!(s.storage.snapshots_path, Path::new("./snapshots"));
    assert_eq!(s.storage.temp_path, None);
    assert!(s.storage.on_disk_payload);
    assert_eq!(
        (
            s.storage.wal.wal_capacity_mb,
            s.storage.wal.wal_segments_ahead
        ),
        (32, 0)
    );
    let hnsw = &s.storage.hnsw_index;
    assert_eq!(
        (hnsw.m, hnsw.ef_construct, hnsw.full_scan_threshold_kb),
        (16, 100, 10000)
    );
    assert_eq!(
        (hnsw.max_indexing_threads, hnsw.on_disk, hnsw.payload_m),
        (0, false, None)
    );
    let opt = &s.storage.optimizers;
    assert_eq!(opt.deleted_threshold, 0.2);
    assert_eq!(
        (opt.vacuum_min_vector_number, opt.default_segment_number),
        (1000, 0)
    );
    assert_eq!(
        (opt.max_segment_size_kb, opt.memmap_threshold_kb),
        (None, None)
    );
    assert_eq!(
        (opt.indexing_threshold_kb, opt.flush_interval_sec),
        (10000, 5)
    );
    assert_eq!(opt.max_optimization_threads, None);
    assert_eq!(s.storage.performance.max_search_threads, 0);
    assert_eq!(s.storage.max_collections, None);
    let svc = &s.service;
    assert_eq!(
        (svc.host.as_str(), svc.http_port, svc.grpc_port),
        ("0.0.0.0", 6333, Some(6334))
    );
    assert_eq!((svc.max_request_size_mb, svc.max_workers), (32, 0));
    assert_eq!(
        (svc.enable_cors, svc.enable_tls, svc.jwt_rbac),
        (true, false, false)
    );
    assert_eq!(
        (&svc.api_key, &svc.alt_api_key, &svc.read_only_api_key),
        (&None, &None, &None)
    );
    assert!(!svc.verify_https_client_certificate);
    assert_eq!(s.tls.cert, Path::new("./tls/cert.pem"));
    assert_eq!(s.tls.key, Path::new("./tls/key.pem"));
    assert_eq!(s.tls.ca_cert, Path::new("./tls/cacert.pem"));
    assert_eq!(s.tls.cert_ttl, Some(3600));
    assert!(!s.cluster.enabled);
    assert!(!s.telemetry_disabled);
    assert!(!s.is_in_memory());
}

#[test]
fn in_memory_settings_store_nothing_and_pick_free_ports() {
    let s = Settings::in_memory();
    assert!(s.is_in_memory());
    assert_eq!(
        (s.service.host.as_str(), s.service.http_port),
        ("127.0.0.1", 0)
    );
    assert_eq!(s.service.grpc_port, Some(0));
    assert_eq!(s.storage.hnsw_index.m, 16);
}

#[test]
fn config_yaml_in_working_directory_overrides_built_in() {
    let dir = ScratchDir::new();
    dir.write("config/config.yaml", "service:\n  http_port: 7000\n");
    let s = dir.load(None, &[]).unwrap();
    assert_eq!(s.service.http_port, 7000);
    assert_eq!(
        s.service.grpc_port,
        Some(6334),
        "sibling keys keep their defaults"
    );
}

#[test]
fn run_mode_file_applies() {
    let dir = ScratchDir::new();
    dir.write("config/config.yaml", "log_level: warn\n");
    dir.write("config/production.yaml", "log_level: error\n");
    let s = dir.load(None, &[("RUN_MODE", "production")]).unwrap();
    assert_eq!(s.log_level, "error");
}

#[test]
fn run_mode_defaults_to_development() {
    let dir = ScratchDir::new();
    dir.write("config/development.yml", "log_level: debug\n");
    assert_eq!(dir.load(None, &[]).unwrap().log_level, "debug");
}

#[test]
fn local_yaml_overrides_run_mode_file() {
    let dir = ScratchDir::new();
    dir.write("config/development.yaml", "log_level: debug\n");
    dir.write("config/local.yaml", "log_level: trace\n");
    assert_eq!(dir.load(None, &[]).unwrap().log_level, "trace");
}

#[test]
fn config_path_overrides_local_yaml() {
    let dir = ScratchDir::new();
    dir.write(
        "config/local.yaml",
        "service:\n  http_port: 7000\n  max_workers: 3\n",
    );
    dir.write("custom.yaml", "service:\n  http_port: 7100\n");
    let s = dir.load(Some(Path::new("custom.yaml")), &[]).unwrap();
    assert_eq!(s.service.http_port, 7100);
    assert_eq!(s.service.max_workers, 3);
}

#[test]
fn env_overrides_config_files() {
    let dir = ScratchDir::new();
    dir.write("config/local.yaml", "service:\n  http_port: 7000\n");
    let custom = dir.write("custom.yaml", "log_level: warn\n");
    let s = dir
        .load(
            Some(&custom),
            &[
                ("QDRANT__SERVICE__HTTP_PORT", "7333"),
                ("QDRANT__LOG_LEVEL", "debug"),
            ],
        )
        .unwrap();
    assert_eq!(s.service.http_port, 7333);
    assert_eq!(s.log_level, "debug");
}

#[test]
fn env_strings_become_numbers_booleans_and_paths() {
    let s = ScratchDir::new()
        .load(
            None,
            &[
                ("QDRANT__STORAGE__STORAGE_PATH", "/data"),
                ("QDRANT__STORAGE__OPTIMIZERS__DELETED_THRESHOLD", "0.5"),
                ("QDRANT__STORAGE__HNSW_INDEX__ON_DISK", "true"),
                ("QDRANT__SERVICE__ENABLE_CORS", "FALSE"),
                ("QDRANT__STORAGE__MAX_COLLECTIONS", "10"),
            ],
        )
        .unwrap();
    assert_eq!(s.storage.storage_path, Path::new("/data"));
    assert_eq!(s.storage.optimizers.deleted_threshold, 0.5);
    assert!(s.storage.hnsw_index.on_disk);
    assert!(!s.service.enable_cors);
    assert_eq!(s.storage.max_collections, Some(10));
}

#[test]
fn env_names_are_matched_case_insensitively_and_others_ignored() {
    let s = ScratchDir::new()
        .load(
            None,
            &[
                ("qdrant__service__http_port", "7001"),
                ("QDRANT_BOOTSTRAP", "x"),
                ("HTTP_PORT", "1"),
            ],
        )
        .unwrap();
    assert_eq!(s.service.http_port, 7001);
}

#[test]
fn numeric_looking_api_key_stays_a_string() {
    let s = ScratchDir::new()
        .load(
            None,
            &[
                ("QDRANT__SERVICE__API_KEY", "0123"),
                ("QDRANT__SERVICE__READ_ONLY_API_KEY", "1e5"),
            ],
        )
        .unwrap();
    assert_eq!(s.service.api_key.as_deref(), Some("0123"));
    assert_eq!(s.service.read_only_api_key.as_deref(), Some("1e5"));
}

#[test]
fn unquoted_numeric_api_key_in_yaml_is_rejected_with_a_hint() {
    let dir = ScratchDir::new();
    dir.write("config/local.yaml", "service:\n  api_key: 0123\n");
    let message = load_error(&dir, None, &[]);
    assert!(
        message.contains("service.api_key: expected a string or null, got 123"),
        "{message}"
    );
    assert!(message.contains("put it in quotes"), "{message}");
}

#[test]
fn bad_port_names_the_key_and_the_variable() {
    let message = load_error(
        &ScratchDir::new(),
        None,
        &[("QDRANT__SERVICE__HTTP_PORT", "abc")],
    );
    assert_eq!(
        message,
        "invalid configuration: service.http_port: expected an integer from 0 to 65535, \
         got \"abc\" (from environment variable QDRANT__SERVICE__HTTP_PORT)"
    );
}

#[test]
fn out_of_range_port_names_the_key_and_the_file() {
    let dir = ScratchDir::new();
    let local = dir.write("config/local.yaml", "service:\n  grpc_port: 70000\n");
    let message = load_error(&dir, None, &[]);
    assert!(
        message
            .contains("service.grpc_port: expected an integer from 0 to 65535 or null, got 70000"),
        "{message}"
    );
    assert!(message.contains(&local.display().to_string()), "{message}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let dir = ScratchDir::new();
    dir.write(
        "config/local.yaml",
        "log_level: verbose\nstorage:\n  hnsw_index:\n    m: 300\n    ef_construct: 2\n  optimizers:\n    deleted_threshold: 1.5\n",
    );
    let message = load_error(
        &dir,
        None,
        &[
            ("QDRANT__SERVICE__HTTP_PORT", "abc"),
            ("QDRANT__SERVICE__MAX_REQUEST_SIZE_MB", "0"),
            ("QDRANT__SERVICE__ENABLE_TLS", "maybe"),
        ],
    );
    for expected in [
        "7 problems",
        "service.http_port: expected an integer from 0 to 65535",
        "service.enable_tls: expected true or false, got \"maybe\"",
        "log_level: expected a level",
        "storage.hnsw_index.m: expected an integer from 0 to 256, got 300",
        "storage.hnsw_index.ef_construct: expected at least 4, got 2",
        "storage.optimizers.deleted_threshold: expected a number from 0 to 1, got 1.5",
        "service.max_request_size_mb: expected at least 1, got 0",
    ] {
        assert!(
            message.contains(expected),
            "missing {expected:?} in:\n{message}"
        );
    }
}

#[test]
fn missing_explicit_config_file_is_an_error_naming_it() {
    let dir = ScratchDir::new();
    let missing = dir.0.join("nope.yaml");
    let message = load_error(&dir, Some(&missing), &[]);
    assert!(
        message.contains(&missing.display().to_string()),
        "{message}"
    );
    assert!(message.contains("does not exist"), "{message}");
}

#[test]
fn malformed_yaml_names_the_file() {
    let dir = ScratchDir::new();
    let local = dir.write("config/local.yaml", "service: [unclosed\n");
    let message = load_error(&dir, None, &[]);
    assert!(message.starts_with("cannot parse config file"), "{message}");
    assert!(message.contains(&local.display().to_string()), "{message}");
}

#[test]
fn yaml_file_that_is_not_a_mapping_is_an_error() {
    let dir = ScratchDir::new();
    dir.write("config/local.yaml", "- a\n- b\n");
    let message = load_error(&dir, None, &[]);
    assert!(message.starts_with("cannot parse config file"), "{message}");
    assert!(message.contains("expected a map"), "{message}");
}

#[test]
fn config_file_with_only_comments_changes_nothing() {
    let dir = ScratchDir::new();
    dir.write("config/local.yaml", "# service:\n#   http_port: 1\n");
    let untouched = ScratchDir::new().load(None, &[]).unwrap();
    assert_eq!(dir.load(None, &[]).unwrap(), untouched);
}

#[test]
fn grpc_port_null_in_a_file_disables_grpc() {
    let dir = ScratchDir::new();
    dir.write("config/local.yaml", "service:\n  grpc_port: null\n");
    assert_eq!(dir.load(None, &[]).unwrap().service.grpc_port, None);
}

#[test]
fn grpc_port_null_in_the_environment_disables_grpc() {
    let s = ScratchDir::new()
        .load(None, &[("QDRANT__SERVICE__GRPC_PORT", "null")])
        .unwrap();
    assert_eq!(s.service.grpc_port, None);
}

#[test]
fn empty_section_keeps_its_defaults() {
    let dir = ScratchDir::new();
    dir.write("config/local.yaml", "tls:\nstorage:\n  hnsw_index:\n");
    let s = dir.load(
        None,
        &[
            ("QDRANT__SERVICE", "null"),
            ("QDRANT__SERVICE__HTTP_PORT", "7002"),
        ],
    );
    let s = s.unwrap();
    assert_eq!(s.tls.cert_ttl, Some(3600));
    assert_eq!(s.storage.hnsw_index.m, 16);
    assert_eq!(s.service.http_port, 7002);
}

#[test]
fn section_replaced_by_a_scalar_names_the_section() {
    let dir = ScratchDir::new();
    dir.write("config/local.yaml", "storage: 5\n");
    let message = load_error(&dir, None, &[]);
    assert!(
        message.contains("storage: expected a section of settings, got 5"),
        "{message}"
    );
}

#[test]
fn unknown_keys_are_ignored() {
    let dir = ScratchDir::new();
    dir.write(
        "config/local.yaml",
        "service:\n  metrics_port: 9090\n  http_port: 7003\nstorage:\n  collection:\n    replication_factor: 2\ngpu:\n  indexing: true\n",
    );
    assert_eq!(dir.load(None, &[]).unwrap().service.http_port, 7003);
}

#[test]
fn log_level_accepts_target_directives() {
    let s = ScratchDir::new()
        .load(None, &[("QDRANT__LOG_LEVEL", "info,quiver::index=DEBUG")])
        .unwrap();
    assert_eq!(s.log_level, "info,quiver::index=DEBUG");
}

#[test]
fn log_level_rejects_a_misspelt_level() {
    let message = load_error(&ScratchDir::new(), None, &[("QDRANT__LOG_LEVEL", "inof")]);
    assert!(message.contains("log_level: expected a level"), "{message}");
    assert!(message.contains("got \"inof\""), "{message}");
}

#[test]
fn empty_api_key_is_rejected() {
    let message = load_error(
        &ScratchDir::new(),
        None,
        &[("QDRANT__SERVICE__API_KEY", "")],
    );
    assert!(
        message.contains("service.api_key: expected a non-empty key or null"),
        "{message}"
    );
}

#[test]
fn jwt_rbac_without_api_key_is_rejected() {
    let message = load_error(
        &ScratchDir::new(),
        None,
        &[("QDRANT__SERVICE__JWT_RBAC", "true")],
    );
    assert!(
        message.contains("service.jwt_rbac: expected false unless"),
        "{message}"
    );
}

#[test]
fn same_http_and_grpc_port_is_rejected() {
    let message = load_error(
        &ScratchDir::new(),
        None,
        &[("QDRANT__SERVICE__GRPC_PORT", "6333")],
    );
    assert!(
        message.contains("service.grpc_port: expected a port other than service.http_port"),
        "{message}"
    );
}

#[test]
fn api_keys_are_redacted_in_debug_output() {
    let s = ScratchDir::new()
        .load(None, &[("QDRANT__SERVICE__API_KEY", "hunter2")])
        .unwrap();
    let debug = format!("{s:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("api_key: Some(\"<redacted>\")"), "{debug}");
}

#[test]
fn client_certificates_need_a_ca_file_when_tls_is_on() {
    let dir = ScratchDir::new();
    let message = load_error(
        &dir,
        None,
        &[
            ("QDRANT__SERVICE__ENABLE_TLS", "true"),
            ("QDRANT__SERVICE__VERIFY_HTTPS_CLIENT_CERTIFICATE", "true"),
            ("QDRANT__TLS__CA_CERT", ""),
        ],
    );
    let expected = "tls.ca_cert: expected a non-empty path when \
                    service.verify_https_client_certificate is true";
    assert!(message.contains(expected), "{message}");
    assert!(message.contains("QDRANT__TLS__CA_CERT"), "{message}");
}
