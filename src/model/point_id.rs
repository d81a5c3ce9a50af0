//! Point ids: an unsigned 64-bit integer or a UUID, parsed once at the edge.
//!
//! Ordering is Qdrant's: every integer id before every UUID, integers ascending, UUIDs by their
//! 16 bytes (the derived `Ord` gives exactly that). UUIDs are always rendered lowercase and
//! hyphenated, whatever form the client sent.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// The id of one point in a collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PointId {
    Num(u64),
    Uuid(Uuid),
}

impl PointId {
    /// Parses an id from a URL path segment: a `u64` first, then any UUID form.
    pub fn parse_path(text: &str) -> Option<PointId> {
        if let Ok(n) = text.parse::<u64>() {
            return Some(PointId::Num(n));
        }
        Uuid::parse_str(text).ok().map(PointId::Uuid)
    }
}

impl fmt::Display for PointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PointId::Num(n) => write!(f, "{n}"),
            PointId::Uuid(u) => write!(f, "{}", u.hyphenated()),
        }
    }
}

impl From<u64> for PointId {
    fn from(n: u64) -> Self {
        PointId::Num(n)
    }
}

impl From<Uuid> for PointId {
    fn from(u: Uuid) -> Self {
        PointId::Uuid(u)
    }
}

impl Serialize for PointId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            PointId::Num(n) => serializer.serialize_u64(*n),
            PointId::Uuid(u) => serializer.collect_str(&u.hyphenated()),
        }
    }
}

fn invalid<E: de::Error>(raw: impl fmt::Display) -> E {
    E::custom(format!(
        "value {raw} is not a valid point ID, valid values are either an unsigned integer or a UUID"
    ))
}

struct PointIdVisitor;

impl Visitor<'_> for PointIdVisitor {
    type Value = PointId;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an unsigned integer or a UUID")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<PointId, E> {
        Ok(PointId::Num(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<PointId, E> {
        u64::try_from(v).map(PointId::Num).map_err(|_| invalid(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<PointId, E> {
        Err(invalid(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<PointId, E> {
        Uuid::parse_str(v)
            .map(PointId::Uuid)
            .map_err(|_| invalid(v))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<PointId, E> {
        Err(invalid(v))
    }
}

impl<'de> Deserialize<'de> for PointId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PointId, D::Error> {
        deserializer.deserialize_any(PointIdVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_sort_before_uuids() {
        let u = PointId::Uuid(Uuid::nil());
        assert!(PointId::Num(u64::MAX) < u);
    }

    #[test]
    fn every_uuid_form_is_the_same_point() {
        let forms = [
            "\"550e8400-e29b-41d4-a716-446655440000\"",
            "\"550E8400E29B41D4A716446655440000\"",
            "\"{550e8400-e29b-41d4-a716-446655440000}\"",
            "\"urn:uuid:550e8400-e29b-41d4-a716-446655440000\"",
        ];
        let ids: Vec<PointId> = forms
            .iter()
            .map(|f| serde_json::from_str(f).unwrap())
            .collect();
        assert!(ids.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(
            serde_json::to_string(&ids[0]).unwrap(),
            "\"550e8400-e29b-41d4-a716-446655440000\""
        );
    }

    #[test]
    fn negative_and_numeric_string_ids_are_rejected() {
        let err = serde_json::from_str::<PointId>("-1").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("value -1 is not a valid point ID")
        );
        assert!(serde_json::from_str::<PointId>("\"42\"").is_err());
        assert!(serde_json::from_str::<PointId>("1.5").is_err());
    }
}
