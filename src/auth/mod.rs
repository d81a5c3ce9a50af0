//! Authentication and authorization: who a request is ([`Access`]) and whether it may do what it
//! asks ([`Access::require`]).
//!
//! Both transports call [`Auth::authenticate`] with the request's credential (`api-key` header or
//! `Authorization: Bearer …`, the same names as gRPC metadata) and client address; neither
//! compares keys itself. The result is an [`Access`] that the transport checks against the
//! operation's [`Requirement`]. The [`KeyRing`] behind it is replaced whole on reload; a request
//! keeps the ring it started with.
//!
//! - `keyring.rs`: configured keys as SHA-256 digests, constant-time lookup, entry parsing;
//! - `jwt.rs`: Qdrant-style HS256 access tokens;
//! - `throttle.rs`: failed-attempt throttling per client address;
//! - `generate.rs`: `quiver keys generate`.

pub mod generate;
pub mod jwt;
pub mod keyring;
pub mod throttle;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use parking_lot::{Mutex, RwLock};
use serde::Serialize;

pub use keyring::KeyRing;

use crate::error::Error;
use crate::settings::ServiceSettings;
use jwt::{CollectionAccess, TokenAccess};
use keyring::KeySource;
use throttle::Throttle;

/// What a key allows, in increasing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessLevel {
    /// Reads only.
    #[serde(rename = "read-only")]
    Read,
    /// Reads and point / payload / vector writes (a named `read-write` key, a JWT `prw` grant).
    ReadWrite,
    /// Also payload indexes, named vectors and collection snapshots (a JWT `rw` grant).
    #[serde(rename = "read-write+")]
    CollectionWrite,
    /// Everything, including creating, changing and deleting collections and aliases.
    Manage,
}

/// A collection name, or a prefix pattern `prefix-*`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct CollectionPattern {
    text: String,
}

impl From<CollectionPattern> for String {
    fn from(p: CollectionPattern) -> String {
        p.text
    }
}

impl CollectionPattern {
    /// `name` or `prefix*`; `*` may only end the pattern.
    pub fn parse(text: &str) -> Option<CollectionPattern> {
        let star = text.find('*');
        let ok = !text.is_empty() && star.is_none_or(|i| i == text.len() - 1);
        ok.then(|| CollectionPattern {
            text: text.to_string(),
        })
    }

    pub fn matches(&self, collection: &str) -> bool {
        match self.text.strip_suffix('*') {
            Some(prefix) => collection.starts_with(prefix),
            None => self.text == collection,
        }
    }
}

/// What an operation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requirement<'a> {
    /// Any valid credential (listings, which are then filtered; `GET /auth/key`).
    Authenticated,
    /// Read one collection.
    Read(&'a str),
    /// Change points, payloads or vectors of one collection.
    Write(&'a str),
    /// Payload indexes, named vectors, collection snapshots.
    CollectionWrite(&'a str),
    /// Create, update or delete one collection.
    Manage(&'a str),
    /// Cluster-wide reads (cluster, metrics, telemetry, full snapshots).
    GlobalRead,
    /// Cluster-wide changes (aliases, full snapshots, key listings).
    GlobalManage,
}

/// One rule of an [`Access`]: a level on all collections or on those matching a pattern.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Grant {
    /// `None`: every collection (and cluster-wide operations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection: Option<CollectionPattern>,
    pub access: AccessLevel,
}

/// Who a request is and what it may do.
#[derive(Clone, Debug, PartialEq)]
pub struct Access {
    /// The key's name (`api_key`, a named key's name, `jwt`), or `anonymous` when auth is off.
    pub key_name: String,
    grants: Vec<Grant>,
    source: AccessSource,
    /// A JWT's `value_exists` condition, checked by the transport against the engine.
    pub value_exists: Option<jwt::ValueExists>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AccessSource {
    Open,
    QdrantKey,
    NamedKey,
    Token,
}

impl Access {
    /// Full access without a credential: auth is off.
    pub fn open() -> Access {
        Access {
            key_name: "anonymous".into(),
            grants: vec![Grant {
                collection: None,
                access: AccessLevel::Manage,
            }],
            source: AccessSource::Open,
            value_exists: None,
        }
    }

    fn from_key(entry: &keyring::KeyEntry) -> Access {
        let grants = match &entry.collections {
            None => vec![Grant {
                collection: None,
                access: entry.access,
            }],
            Some(patterns) => patterns
                .iter()
                .map(|p| Grant {
                    collection: Some(p.clone()),
                    access: entry.access,
                })
                .collect(),
        };
        Access {
            key_name: entry.name.clone(),
            grants,
            source: match entry.source {
                KeySource::Qdrant => AccessSource::QdrantKey,
                KeySource::Named => AccessSource::NamedKey,
            },
            value_exists: None,
        }
    }

    fn from_token(claims: jwt::Claims) -> Access {
        let global = |access| {
            vec![Grant {
                collection: None,
                access,
            }]
        };
        let grants = match claims.access {
            TokenAccess::Full | TokenAccess::GlobalManage => global(AccessLevel::Manage),
            TokenAccess::GlobalRead => global(AccessLevel::Read),
            TokenAccess::Collections(list) => list
                .into_iter()
                .map(|g| Grant {
                    collection: Some(CollectionPattern { text: g.collection }),
                    access: match g.access {
                        CollectionAccess::Read => AccessLevel::Read,
                        CollectionAccess::PointsReadWrite => AccessLevel::ReadWrite,
                        CollectionAccess::ReadWrite => AccessLevel::CollectionWrite,
                    },
                })
                .collect(),
        };
        Access {
            key_name: match claims.sub {
                Some(sub) => format!("jwt:{sub}"),
                None => "jwt".into(),
            },
            grants,
            source: AccessSource::Token,
            value_exists: claims.value_exists,
        }
    }

    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    /// The best level this access has on `collection`, if any.
    fn level_on(&self, collection: &str) -> Option<AccessLevel> {
        self.grants
            .iter()
            .filter(|g| g.collection.as_ref().is_none_or(|p| p.matches(collection)))
            .map(|g| g.access)
            .max()
    }

    fn global_level(&self) -> Option<AccessLevel> {
        self.grants
            .iter()
            .filter(|g| g.collection.is_none())
            .map(|g| g.access)
            .max()
    }

    /// Whether listings should show `collection` to this caller.
    pub fn can_see(&self, collection: &str) -> bool {
        self.level_on(collection).is_some()
    }

    /// `Ok` when this access meets `requirement`, else `Forbidden` with Qdrant's wording where
    /// Qdrant has one.
    pub fn require(&self, requirement: Requirement<'_>) -> Result<(), Error> {
        let forbidden = |m: String| Err(Error::Forbidden(m));
        let qdrant_style = matches!(self.source, AccessSource::QdrantKey | AccessSource::Token);
        let global = self.global_level();
        let need_on = |c: &str, level: AccessLevel| -> Result<(), Error> {
            match self.level_on(c) {
                Some(have) if have >= level => Ok(()),
                None => forbidden(format!("Access to collection {c} is required")),
                Some(_) if global.is_some() && qdrant_style => {
                    forbidden("Global manage access is required".into())
                }
                Some(AccessLevel::ReadWrite)
                    if level == AccessLevel::CollectionWrite
                        && self.source == AccessSource::Token =>
                {
                    forbidden(format!("Only points access is allowed for collection {c}"))
                }
                Some(AccessLevel::Read) if level == AccessLevel::ReadWrite => {
                    forbidden(format!("Write access to collection {c} is required"))
                }
                Some(_) => forbidden("Manage access for this operation is required".into()),
            }
        };
        match requirement {
            Requirement::Authenticated => Ok(()),
            Requirement::Read(c) => need_on(c, AccessLevel::Read),
            Requirement::Write(c) => need_on(c, AccessLevel::ReadWrite),
            Requirement::CollectionWrite(c) if self.source == AccessSource::NamedKey => {
                // A named read-write key changes points only; indexes and snapshots need manage.
                need_on(c, AccessLevel::Manage)
            }
            Requirement::CollectionWrite(c) => need_on(c, AccessLevel::CollectionWrite),
            Requirement::Manage(c) if self.source == AccessSource::NamedKey => {
                need_on(c, AccessLevel::Manage)
            }
            Requirement::Manage(_) | Requirement::GlobalManage => match global {
                Some(AccessLevel::Manage) => Ok(()),
                _ if self.source == AccessSource::NamedKey => {
                    forbidden("Manage access for this operation is required".into())
                }
                _ => forbidden("Global manage access is required".into()),
            },
            Requirement::GlobalRead => match global {
                Some(_) => Ok(()),
                None => forbidden("Global access is required".into()),
            },
        }
    }
}

/// The credential a request carries: the `api-key` header, else `Authorization: Bearer …`.
pub fn credential<'a>(api_key: Option<&'a str>, authorization: Option<&'a str>) -> Option<&'a str> {
    api_key.or_else(|| authorization.and_then(|a| a.strip_prefix("Bearer ")))
}

/// Why a request was refused, for the audit line (never holds key material).
pub const MISSING_CREDENTIAL: &str = "Must provide an API key or an Authorization bearer token";
pub const INVALID_CREDENTIAL: &str = "Invalid API key or JWT";

/// Use counts of one key name.
#[derive(Default)]
pub struct KeyUsage {
    pub requests: AtomicU64,
    /// Unix milliseconds; 0 = never.
    pub last_used_ms: AtomicI64,
}

/// The authenticator shared by both transports: the current key ring, throttling and usage.
pub struct Auth {
    ring: RwLock<Arc<KeyRing>>,
    throttle: Throttle,
    usage: Mutex<HashMap<String, Arc<KeyUsage>>>,
}

impl Auth {
    /// Builds the authenticator from the `service` settings; errors name the bad entry.
    pub fn from_settings(service: &ServiceSettings) -> Result<Auth, Error> {
        let ring = KeyRing::from_settings(service).map_err(Error::BadInput)?;
        Ok(Auth {
            ring: RwLock::new(Arc::new(ring)),
            throttle: Throttle::new(&service.auth_throttle),
            usage: Mutex::new(HashMap::new()),
        })
    }

    /// The ring in force now (a request keeps the one it started with).
    pub fn ring(&self) -> Arc<KeyRing> {
        self.ring.read().clone()
    }

    /// Whether any key is configured.
    pub fn enabled(&self) -> bool {
        !self.ring().is_open()
    }

    /// Re-reads keys from `service`; on error keeps the current ring and returns why.
    pub fn reload(&self, service: &ServiceSettings) -> Result<usize, String> {
        let ring = KeyRing::from_settings(service)?;
        let count = ring.entries().len();
        *self.ring.write() = Arc::new(ring);
        Ok(count)
    }

    /// Turns a credential into an [`Access`], or refuses: 401 for a missing, wrong, expired or
    /// not-yet-valid credential (429 instead when the address is over its failure budget), 403
    /// for a key used from outside its networks or a rejected token.
    pub fn authenticate(
        &self,
        credential: Option<&str>,
        client: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<Access, Error> {
        let ring = self.ring();
        if ring.is_open() {
            return Ok(Access::open());
        }
        let result = self.check(&ring, credential, client, now);
        match &result {
            Ok(access) => self.count_use(&access.key_name, now),
            Err(Error::Unauthorized(_)) => {
                if let Some(addr) = client
                    && self.throttle.record_failure(addr)
                {
                    return Err(Error::TooManyRequests(
                        "Too many failed authentication attempts from this address; try again later"
                            .into(),
                    ));
                }
            }
            Err(_) => {}
        }
        result
    }

    fn check(
        &self,
        ring: &KeyRing,
        credential: Option<&str>,
        client: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<Access, Error> {
        let Some(credential) = credential else {
            return Err(Error::Unauthorized(MISSING_CREDENTIAL.into()));
        };
        if !keyring::allowed(ring.service_networks(), client) {
            return Err(Error::Forbidden(
                "requests are not accepted from this network".into(),
            ));
        }
        if let Some(entry) = ring.lookup(credential) {
            entry.check_window(now).map_err(Error::Unauthorized)?;
            if !entry.allows_address(client) {
                return Err(Error::Forbidden(format!(
                    "API key '{}' may not be used from this network",
                    entry.name
                )));
            }
            return Ok(Access::from_key(entry));
        }
        if ring.jwt_rbac() && jwt::looks_like_jwt(credential) {
            let now_unix = u64::try_from(now.timestamp()).unwrap_or(0);
            return match jwt::verify(credential, &ring.jwt_secrets(), now_unix) {
                Ok(claims) => Ok(Access::from_token(claims)),
                // Qdrant answers a token with a bad signature or past its expiry with 403.
                Err(e @ (jwt::JwtError::InvalidSignature | jwt::JwtError::ExpiredSignature)) => {
                    Err(Error::Forbidden(e.to_string()))
                }
                Err(jwt::JwtError::NotAJwt) => Err(Error::Unauthorized(INVALID_CREDENTIAL.into())),
                Err(e) => Err(Error::Forbidden(e.to_string())),
            };
        }
        Err(Error::Unauthorized(INVALID_CREDENTIAL.into()))
    }

    fn count_use(&self, name: &str, now: DateTime<Utc>) {
        let usage = self.usage_of(name);
        usage.requests.fetch_add(1, Ordering::Relaxed);
        usage
            .last_used_ms
            .store(now.timestamp_millis(), Ordering::Relaxed);
    }

    fn usage_of(&self, name: &str) -> Arc<KeyUsage> {
        self.usage
            .lock()
            .entry(name.to_string())
            .or_default()
            .clone()
    }

    /// Every configured key with its use counts — never key material (`GET /auth/keys`).
    pub fn key_report(&self) -> Vec<serde_json::Value> {
        let ring = self.ring();
        ring.entries()
            .iter()
            .map(|e| {
                let usage = self.usage_of(&e.name);
                let last = usage.last_used_ms.load(Ordering::Relaxed);
                serde_json::json!({
                    "name": e.name,
                    "access": e.access,
                    "collections": e.collections,
                    "not_before": e.not_before.map(|t| t.to_rfc3339()),
                    "expires_at": e.expires_at.map(|t| t.to_rfc3339()),
                    "allowed_networks": e.allowed_networks.as_ref().map(|n| n.iter().map(ToString::to_string).collect::<Vec<_>>()),
                    "requests": usage.requests.load(Ordering::Relaxed),
                    "last_used": (last > 0).then(|| DateTime::<Utc>::from_timestamp_millis(last).map(|t| t.to_rfc3339())).flatten(),
                })
            })
            .collect()
    }
}

impl Access {
    /// What this access may do, for `GET /auth/key`.
    pub fn report(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.key_name,
            "grants": self.grants,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use serde_json::json;

    fn access_of(entry: serde_json::Value, key: &str) -> Access {
        let mut s = Settings::in_memory().service;
        s.api_keys = json!([entry]);
        let auth = Auth::from_settings(&s).unwrap();
        auth.authenticate(Some(key), None, Utc::now()).unwrap()
    }

    #[test]
    fn named_access_levels_allow_what_the_readme_says() {
        let rw = access_of(
            json!({"name": "rw", "key": "k", "access": "read-write"}),
            "k",
        );
        assert!(rw.require(Requirement::Read("c")).is_ok());
        assert!(rw.require(Requirement::Write("c")).is_ok());
        assert!(rw.require(Requirement::CollectionWrite("c")).is_err());
        assert!(rw.require(Requirement::Manage("c")).is_err());
        assert!(rw.require(Requirement::GlobalManage).is_err());

        let ro = access_of(
            json!({"name": "ro", "key": "k", "access": "read-only"}),
            "k",
        );
        assert!(ro.require(Requirement::Read("c")).is_ok());
        assert!(ro.require(Requirement::Write("c")).is_err());

        let m = access_of(json!({"name": "m", "key": "k", "access": "manage"}), "k");
        assert!(m.require(Requirement::GlobalManage).is_ok());
    }

    #[test]
    fn scoped_keys_see_only_their_collections() {
        let scoped = access_of(
            json!({"name": "s", "key": "k", "access": "manage", "collections": ["docs", "team-*"]}),
            "k",
        );
        assert!(scoped.can_see("docs") && scoped.can_see("team-a"));
        assert!(!scoped.can_see("docs2") && !scoped.can_see("other"));
        assert!(scoped.require(Requirement::Manage("team-a")).is_ok());
        let err = scoped.require(Requirement::Read("other")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Forbidden: Access to collection other is required"
        );
        assert!(scoped.require(Requirement::GlobalManage).is_err());
    }

    #[test]
    fn missing_and_wrong_credentials_are_401_with_qdrants_text() {
        let mut s = Settings::in_memory().service;
        s.api_key = Some("right".into());
        let auth = Auth::from_settings(&s).unwrap();
        let now = Utc::now();
        assert_eq!(
            auth.authenticate(None, None, now).unwrap_err(),
            Error::Unauthorized(MISSING_CREDENTIAL.into())
        );
        assert_eq!(
            auth.authenticate(Some("wrong"), None, now).unwrap_err(),
            Error::Unauthorized(INVALID_CREDENTIAL.into())
        );
        assert_eq!(
            auth.authenticate(Some("right"), None, now)
                .unwrap()
                .key_name,
            "api_key"
        );
    }

    #[test]
    fn use_is_counted_per_name() {
        let mut s = Settings::in_memory().service;
        s.api_key = Some("right".into());
        let auth = Auth::from_settings(&s).unwrap();
        for _ in 0..3 {
            auth.authenticate(Some("right"), None, Utc::now()).unwrap();
        }
        let report = auth.key_report();
        assert_eq!(report[0]["name"], "api_key");
        assert_eq!(report[0]["requests"], 3);
        assert!(report[0]["last_used"].is_string());
        assert!(!report[0].to_string().contains("right"));
    }
}
