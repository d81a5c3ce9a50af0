//! The key ring: every configured credential, as SHA-256 digests with their access rules.
//!
//! Built from the settings (Qdrant's three keys, the named `api_keys` list, and the keys file)
//! and swapped whole on reload. A credential is matched by hashing it and comparing the digest
//! with every entry in constant time, without stopping at a match, so the time taken says
//! nothing about which key matched or how long the configured keys are.

use std::net::IpAddr;
use std::path::Path;

use chrono::{DateTime, Utc};
use ipnet::IpNet;
use serde_json::Value as Json;
use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use crate::auth::{AccessLevel, CollectionPattern};
use crate::settings::ServiceSettings;

/// Where a key came from, which decides the wording of some refusals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// `service.api_key`, `alt_api_key` or `read_only_api_key`.
    Qdrant,
    /// `service.api_keys` or the keys file.
    Named,
}

/// One configured key. Holds the key itself only when it was configured in plain text (needed
/// to verify JWTs signed with it); `Debug` never shows it.
#[derive(Clone)]
pub struct KeyEntry {
    pub name: String,
    digest: [u8; 32],
    secret: Option<Vec<u8>>,
    pub access: AccessLevel,
    pub collections: Option<Vec<CollectionPattern>>,
    pub not_before: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub allowed_networks: Option<Vec<IpNet>>,
    pub source: KeySource,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("name", &self.name)
            .field("access", &self.access)
            .field("collections", &self.collections)
            .field("not_before", &self.not_before)
            .field("expires_at", &self.expires_at)
            .field("allowed_networks", &self.allowed_networks)
            .finish_non_exhaustive()
    }
}

impl KeyEntry {
    /// Whether `now` is inside the key's validity window; `Err` says why not.
    pub fn check_window(&self, now: DateTime<Utc>) -> Result<(), String> {
        if let Some(nb) = self.not_before
            && now < nb
        {
            return Err(format!(
                "API key '{}' is not yet valid (valid from {})",
                self.name,
                nb.to_rfc3339()
            ));
        }
        if let Some(exp) = self.expires_at
            && now >= exp
        {
            return Err(format!(
                "API key '{}' expired at {}",
                self.name,
                exp.to_rfc3339()
            ));
        }
        Ok(())
    }

    /// Whether a request from `addr` may use this key.
    pub fn allows_address(&self, addr: Option<IpAddr>) -> bool {
        allowed(self.allowed_networks.as_deref(), addr)
    }
}

/// Whether `addr` is inside one of `networks` (`None` = any address; an unknown address is
/// refused when networks are set).
pub fn allowed(networks: Option<&[IpNet]>, addr: Option<IpAddr>) -> bool {
    match (networks, addr) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(nets), Some(addr)) => {
            let addr = canonical(addr);
            nets.iter().any(|n| n.contains(&addr))
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) compare as IPv4.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

/// All configured keys plus the rules that apply to every one.
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    entries: Vec<KeyEntry>,
    jwt_rbac: bool,
    allowed_networks: Option<Vec<IpNet>>,
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl KeyRing {
    /// Builds the ring from the `service` settings, reading `api_keys_file` if set. Errors name
    /// the bad entry and field, never a key.
    pub fn from_settings(service: &ServiceSettings) -> Result<KeyRing, String> {
        let mut entries = Vec::new();
        for (name, key, access) in [
            ("api_key", &service.api_key, AccessLevel::Manage),
            ("alt_api_key", &service.alt_api_key, AccessLevel::Manage),
            (
                "read_only_api_key",
                &service.read_only_api_key,
                AccessLevel::Read,
            ),
        ] {
            if let Some(key) = key {
                entries.push(KeyEntry {
                    name: name.to_string(),
                    digest: sha256(key.as_bytes()),
                    secret: Some(key.as_bytes().to_vec()),
                    access,
                    collections: None,
                    not_before: None,
                    expires_at: None,
                    allowed_networks: None,
                    source: KeySource::Qdrant,
                });
            }
        }
        let inline = parse_list(&service.api_keys, "service.api_keys")?;
        for (i, raw) in inline.into_iter().enumerate() {
            entries.push(parse_entry(&raw, &format!("service.api_keys[{i}]"))?);
        }
        if let Some(path) = &service.api_keys_file {
            let raws = read_keys_file(path)?;
            if raws.is_empty() {
                // A half-written or emptied file must never switch authentication off.
                return Err(format!(
                    "service.api_keys_file: {} holds no keys; remove the setting to run without \
                     keys from a file",
                    path.display()
                ));
            }
            for (i, raw) in raws.into_iter().enumerate() {
                let at = format!("{}: entry {i}", path.display());
                entries.push(parse_entry(&raw, &at)?);
            }
        }
        for (i, e) in entries.iter().enumerate() {
            if entries[..i].iter().any(|o| o.name == e.name) {
                return Err(format!("API key name '{}' is used twice", e.name));
            }
        }
        let allowed_networks =
            parse_networks(&service.allowed_networks, "service.allowed_networks")?;
        Ok(KeyRing {
            entries,
            jwt_rbac: service.jwt_rbac,
            allowed_networks,
        })
    }

    /// No keys at all: requests are not authenticated (Qdrant's behaviour).
    pub fn is_open(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entries(&self) -> &[KeyEntry] {
        &self.entries
    }

    pub fn jwt_rbac(&self) -> bool {
        self.jwt_rbac
    }

    pub fn service_networks(&self) -> Option<&[IpNet]> {
        self.allowed_networks.as_deref()
    }

    /// The entry whose key is `credential`. Compares the credential's digest with every entry's
    /// digest in constant time and does not stop at a match.
    pub fn lookup(&self, credential: &str) -> Option<&KeyEntry> {
        let digest = sha256(credential.as_bytes());
        let mut found = subtle::CtOption::new(0u32, 0u8.into());
        for (i, entry) in self.entries.iter().enumerate() {
            let hit = entry.digest.ct_eq(&digest);
            let candidate = subtle::CtOption::new(i as u32, hit);
            // Keep the first hit; every entry is still compared.
            let keep_old = found.is_some();
            found = subtle::CtOption::new(
                u32::conditional_select(&candidate.unwrap_or(0), &found.unwrap_or(0), keep_old),
                found.is_some() | candidate.is_some(),
            );
        }
        Option::<u32>::from(found).map(|i| &self.entries[i as usize])
    }

    /// Secrets JWTs may be signed with: every full-access key configured in plain text.
    pub fn jwt_secrets(&self) -> Vec<&[u8]> {
        self.entries
            .iter()
            .filter(|e| e.access == AccessLevel::Manage && e.collections.is_none())
            .filter_map(|e| e.secret.as_deref())
            .collect()
    }
}

/// A list of entries from JSON: an array, a YAML/JSON string holding one, or null.
fn parse_list(value: &Json, at: &str) -> Result<Vec<Json>, String> {
    match value {
        Json::Null => Ok(Vec::new()),
        Json::Array(items) => Ok(items.clone()),
        Json::String(text) if text.trim().is_empty() => Ok(Vec::new()),
        Json::String(text) => match yaml_to_json(text).map_err(|e| format!("{at}: {e}"))? {
            Json::Array(items) => Ok(items),
            Json::Object(mut map) if map.contains_key("api_keys") => {
                parse_list(&map.remove("api_keys").unwrap_or(Json::Null), at)
            }
            Json::Null => Ok(Vec::new()),
            _ => Err(format!("{at}: expected a list of key entries")),
        },
        _ => Err(format!("{at}: expected a list of key entries")),
    }
}

fn read_keys_file(path: &Path) -> Result<Vec<Json>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("service.api_keys_file: cannot read {}: {e}", path.display()))?;
    parse_list(&Json::String(text), &path.display().to_string())
}

/// Parses YAML (JSON is YAML) into JSON. Numbers that YAML would read from an unquoted key are
/// kept as numbers, so the entry check can refuse them instead of changing the key.
pub fn yaml_to_json(text: &str) -> Result<Json, String> {
    use yaml_rust2::{Yaml, YamlLoader};
    fn convert(y: &Yaml) -> Result<Json, String> {
        Ok(match y {
            Yaml::Null | Yaml::BadValue => Json::Null,
            Yaml::Boolean(b) => Json::Bool(*b),
            Yaml::Integer(i) => Json::from(*i),
            Yaml::Real(r) => r
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(Json::String(r.clone()), Json::Number),
            Yaml::String(s) => Json::String(s.clone()),
            Yaml::Array(items) => Json::Array(items.iter().map(convert).collect::<Result<_, _>>()?),
            Yaml::Hash(map) => Json::Object(
                map.iter()
                    .map(|(k, v)| {
                        let key = match k {
                            Yaml::String(s) => s.clone(),
                            Yaml::Integer(i) => i.to_string(),
                            other => return Err(format!("unsupported key {other:?}")),
                        };
                        Ok((key, convert(v)?))
                    })
                    .collect::<Result<_, String>>()?,
            ),
            Yaml::Alias(_) => return Err("YAML aliases are not supported here".into()),
        })
    }
    let docs = YamlLoader::load_from_str(text).map_err(|e| format!("invalid YAML/JSON: {e}"))?;
    match docs.first() {
        None => Ok(Json::Null),
        Some(doc) => convert(doc),
    }
}

const ENTRY_FIELDS: [&str; 8] = [
    "name",
    "key",
    "sha256",
    "access",
    "collections",
    "not_before",
    "expires_at",
    "allowed_networks",
];

/// One named entry. `at` locates it for messages (`service.api_keys[2]`); once the name is
/// known, messages use it.
fn parse_entry(raw: &Json, at: &str) -> Result<KeyEntry, String> {
    let Json::Object(map) = raw else {
        return Err(format!(
            "{at}: expected an entry with name, key or sha256, and access"
        ));
    };
    let name = match map.get("name") {
        Some(Json::String(n)) if !n.trim().is_empty() => n.clone(),
        _ => return Err(format!("{at}: `name` is required (a non-empty string)")),
    };
    let at = format!("{at} ('{name}')");
    if let Some(unknown) = map.keys().find(|k| !ENTRY_FIELDS.contains(&k.as_str())) {
        return Err(format!(
            "{at}: unknown field `{unknown}`; expected one of {}",
            ENTRY_FIELDS.join(", ")
        ));
    }
    let (digest, secret) = match (map.get("key"), map.get("sha256")) {
        (Some(Json::String(k)), None) if !k.is_empty() => {
            (sha256(k.as_bytes()), Some(k.as_bytes().to_vec()))
        }
        (Some(Json::String(_)), None) => return Err(format!("{at}: `key` must not be empty")),
        (Some(_), None) => {
            return Err(format!(
                "{at}: `key` must be a string (quote it, so YAML does not read it as a number)"
            ));
        }
        (None, Some(Json::String(h))) => (
            parse_sha256(h)
                .ok_or_else(|| format!("{at}: `sha256` must be 64 hexadecimal characters"))?,
            None,
        ),
        (None, Some(_)) => return Err(format!("{at}: `sha256` must be a string")),
        (Some(_), Some(_)) => {
            return Err(format!("{at}: give either `key` or `sha256`, not both"));
        }
        (None, None) => return Err(format!("{at}: `key` or `sha256` is required")),
    };
    let access = match map.get("access").and_then(Json::as_str) {
        Some("manage") => AccessLevel::Manage,
        Some("read-write") => AccessLevel::ReadWrite,
        Some("read-only") => AccessLevel::Read,
        _ => {
            return Err(format!(
                "{at}: `access` must be one of manage, read-write, read-only"
            ));
        }
    };
    let collections = match map.get("collections") {
        None | Some(Json::Null) => None,
        Some(Json::Array(items)) => Some(
            items
                .iter()
                .map(|c| match c {
                    Json::String(s) => CollectionPattern::parse(s)
                        .ok_or_else(|| format!("{at}: invalid collection pattern {s:?}")),
                    _ => Err(format!("{at}: `collections` must be a list of names")),
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => return Err(format!("{at}: `collections` must be a list of names")),
    };
    let time = |field: &str| -> Result<Option<DateTime<Utc>>, String> {
        match map.get(field) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => DateTime::parse_from_rfc3339(s)
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|_| format!("{at}: `{field}` must be an RFC 3339 time, got {s:?}")),
            Some(other) => Err(format!(
                "{at}: `{field}` must be an RFC 3339 time, got {other}"
            )),
        }
    };
    let not_before = time("not_before")?;
    let expires_at = time("expires_at")?;
    if let (Some(nb), Some(exp)) = (not_before, expires_at)
        && exp <= nb
    {
        return Err(format!("{at}: `expires_at` must be after `not_before`"));
    }
    let allowed_networks = parse_networks(
        map.get("allowed_networks").unwrap_or(&Json::Null),
        &format!("{at}: allowed_networks"),
    )?;
    Ok(KeyEntry {
        name,
        digest,
        secret,
        access,
        collections,
        not_before,
        expires_at,
        allowed_networks,
        source: KeySource::Named,
    })
}

fn parse_sha256(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A CIDR list: null, a list of strings, or one comma-separated string.
fn parse_networks(value: &Json, at: &str) -> Result<Option<Vec<IpNet>>, String> {
    let items: Vec<String> = match value {
        Json::Null => return Ok(None),
        // From an environment variable: a YAML/JSON list, or comma-separated networks.
        Json::String(s) if s.trim_start().starts_with('[') => {
            let list = yaml_to_json(s).map_err(|e| format!("{at}: {e}"))?;
            return parse_networks(&list, at);
        }
        Json::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Json::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{at}: expected CIDR strings like 10.0.0.0/8"))
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(format!("{at}: expected a list of CIDR networks")),
    };
    items
        .iter()
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{at}: {s:?} is not a CIDR network (like 10.0.0.0/8)"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use serde_json::json;

    fn service(api_keys: Json) -> ServiceSettings {
        let mut s = Settings::in_memory().service;
        s.api_keys = api_keys;
        s
    }

    fn ring(api_keys: Json) -> Result<KeyRing, String> {
        KeyRing::from_settings(&service(api_keys))
    }

    #[test]
    fn no_keys_means_open() {
        assert!(ring(Json::Null).unwrap().is_open());
    }

    #[test]
    fn qdrant_keys_get_their_access() {
        let mut s = service(Json::Null);
        s.api_key = Some("manage-key".into());
        s.read_only_api_key = Some("reader-key".into());
        let ring = KeyRing::from_settings(&s).unwrap();
        assert_eq!(
            ring.lookup("manage-key").unwrap().access,
            AccessLevel::Manage
        );
        assert_eq!(ring.lookup("reader-key").unwrap().access, AccessLevel::Read);
        assert!(ring.lookup("manage-ke").is_none());
        assert!(ring.lookup("").is_none());
        assert_eq!(ring.jwt_secrets(), vec![b"manage-key".as_slice()]);
    }

    #[test]
    fn hashed_and_plain_entries_both_match_and_hashed_ones_hold_no_secret() {
        let digest = hex(&sha256(b"hashed-secret"));
        let ring = ring(json!([
            { "name": "plain", "key": "plain-secret", "access": "read-write" },
            { "name": "hashed", "sha256": digest, "access": "manage", "collections": ["a-*"] },
        ]))
        .unwrap();
        assert_eq!(ring.lookup("plain-secret").unwrap().name, "plain");
        let hashed = ring.lookup("hashed-secret").unwrap();
        assert_eq!(hashed.name, "hashed");
        assert!(hashed.secret.is_none());
        assert!(
            ring.jwt_secrets().is_empty(),
            "a scoped or hashed key signs no tokens"
        );
        assert!(!format!("{hashed:?}").contains("hashed-secret"));
    }

    #[test]
    fn parse_errors_name_the_entry_and_never_the_key() {
        let cases = [
            (
                json!([{ "key": "k1-secret", "access": "manage" }]),
                "service.api_keys[0]",
            ),
            (
                json!([{ "name": "ok", "key": "k0", "access": "manage" },
                       { "name": "bad", "key": "k1-secret", "access": "admin" }]),
                "service.api_keys[1] ('bad')",
            ),
            (
                json!([{ "name": "both", "key": "k1-secret", "sha256": "00", "access": "manage" }]),
                "('both')",
            ),
            (
                json!([{ "name": "typo", "key": "k1-secret", "acess": "manage" }]),
                "unknown field `acess`",
            ),
            (
                json!([{ "name": "win", "key": "k1-secret", "access": "manage", "expires_at": "soon" }]),
                "('win')",
            ),
            (
                json!([{ "name": "net", "key": "k1-secret", "access": "manage", "allowed_networks": ["10.0.0.0/33"] }]),
                "('net')",
            ),
            (
                json!([{ "name": "pat", "key": "k1-secret", "access": "manage", "collections": ["a*b"] }]),
                "('pat')",
            ),
        ];
        for (keys, expected) in cases {
            let err = ring(keys.clone()).expect_err(&keys.to_string());
            assert!(err.contains(expected), "{err} should contain {expected}");
            assert!(!err.contains("k1-secret"), "the key leaked into: {err}");
        }
    }

    #[test]
    fn duplicate_names_are_refused() {
        let err = ring(json!([
            { "name": "twice", "key": "a", "access": "manage" },
            { "name": "twice", "key": "b", "access": "manage" },
        ]))
        .unwrap_err();
        assert!(err.contains("twice"), "{err}");
    }

    #[test]
    fn the_list_may_be_a_yaml_or_json_string() {
        let yaml = "- name: y\n  key: from-yaml\n  access: read-only\n";
        assert_eq!(
            ring(json!(yaml)).unwrap().lookup("from-yaml").unwrap().name,
            "y"
        );
        let json_text = r#"[{"name": "j", "key": "from-json", "access": "manage"}]"#;
        assert_eq!(
            ring(json!(json_text))
                .unwrap()
                .lookup("from-json")
                .unwrap()
                .name,
            "j"
        );
    }

    #[test]
    fn windows_and_networks() {
        let ring = ring(json!([{
            "name": "w", "key": "windowed", "access": "manage",
            "not_before": "2026-01-01T00:00:00Z", "expires_at": "2026-02-01T00:00:00Z",
            "allowed_networks": ["10.0.0.0/8", "192.168.1.7"],
        }]))
        .unwrap();
        let e = ring.lookup("windowed").unwrap();
        let at = |t: &str| t.parse::<DateTime<Utc>>().unwrap();
        assert!(e.check_window(at("2026-01-15T00:00:00Z")).is_ok());
        assert!(
            e.check_window(at("2025-12-31T23:59:59Z"))
                .unwrap_err()
                .contains("not yet valid")
        );
        assert!(
            e.check_window(at("2026-02-01T00:00:00Z"))
                .unwrap_err()
                .contains("expired")
        );
        assert!(e.allows_address(Some("10.1.2.3".parse().unwrap())));
        assert!(e.allows_address(Some("192.168.1.7".parse().unwrap())));
        assert!(!e.allows_address(Some("127.0.0.1".parse().unwrap())));
    }
}
