//! From the merged tree to a typed [`Settings`]: how each scalar field reads its value (`leaf`),
//! and the loop that reports every value that does not fit instead of stopping at the first.
//! Rules that need more than one value's type (ranges, keys that depend on each other) are
//! `validate`'s.

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;

use config::{ConfigError, Map, Value, ValueKind};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::Settings;
use super::tree::{lookup, origin_suffix, replace};

/// Deserializes `tree`, collecting every type error instead of stopping at the first: each bad
/// value is reported, replaced by its default, and deserialization retried. Returns the settings
/// built with those replacements plus the problems, or only problems if no repair was possible.
pub(super) fn deserialize_reporting_all(
    tree: &Map<String, Value>,
    defaults: &Map<String, Value>,
) -> Result<(Settings, Vec<String>), Vec<String>> {
    let mut repaired = tree.clone();
    let mut problems = Vec::new();
    let mut replaced = HashSet::new();
    loop {
        let root = Value::new(None, ValueKind::Table(repaired.clone()));
        let error = match Settings::deserialize(root) {
            Ok(settings) => return Ok((settings, problems)),
            Err(error) => error,
        };
        let Some((key, detail)) = key_and_detail(&error) else {
            problems.push(error.to_string());
            return Err(problems);
        };
        let Some(default) = lookup(defaults, &key) else {
            problems.push(format!("{key}: {detail}"));
            return Err(problems);
        };
        if !replaced.insert(key.clone()) {
            // The default itself failed: only possible if config.yaml and Settings disagree.
            problems.push(format!("{key}: {detail} (built-in default)"));
            return Err(problems);
        }
        let current = lookup(tree, &key);
        let message = if matches!(default.kind, ValueKind::Table(_)) {
            let got = current.map_or("nothing".to_owned(), describe);
            format!("{key}: expected a section of settings, got {got}")
        } else {
            format!("{key}: {detail}")
        };
        problems.push(message + &origin_suffix(current));
        replace(&mut repaired, &key, default.clone());
    }
}

/// The dotted key and key-less message of a deserialization error from a config-rs `Value`.
fn key_and_detail(error: &ConfigError) -> Option<(String, String)> {
    match error {
        ConfigError::At {
            error,
            key: Some(key),
            ..
        } => Some((key.clone(), error.to_string())),
        ConfigError::Type {
            unexpected,
            expected,
            key: Some(key),
            ..
        } => Some((
            key.clone(),
            format!("expected {expected}, got {unexpected}"),
        )),
        ConfigError::NotFound(key) => Some((key.clone(), "missing".to_owned())),
        _ => None,
    }
}

fn describe(value: &Value) -> String {
    match &value.kind {
        ValueKind::Nil => "null".to_owned(),
        ValueKind::Boolean(b) => b.to_string(),
        ValueKind::I64(n) => n.to_string(),
        ValueKind::I128(n) => n.to_string(),
        ValueKind::U64(n) => n.to_string(),
        ValueKind::U128(n) => n.to_string(),
        ValueKind::Float(n) => n.to_string(),
        ValueKind::String(s) => format!("{s:?}"),
        ValueKind::Table(_) => "a section".to_owned(),
        ValueKind::Array(_) => "a list".to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Leaf values
//
// Every scalar field goes through `leaf` rather than serde's own conversions, for two reasons:
// environment values arrive as strings and must become numbers and booleans, while string
// fields must refuse YAML numbers (YAML reads `api_key: 0123` as 123, silently changing the key);
// and errors must say `expected an integer from 0 to 65535, got "abc"`, in our words.

/// A scalar as a source delivered it, before conversion to the field's type.
pub(super) enum Raw {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Text(String),
    List,
    Section,
}

impl fmt::Display for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Raw::Null => f.write_str("null"),
            Raw::Bool(b) => write!(f, "{b}"),
            Raw::Int(n) => write!(f, "{n}"),
            Raw::Float(n) => write!(f, "{n}"),
            Raw::Text(s) => write!(f, "{s:?}"),
            Raw::List => f.write_str("a list"),
            Raw::Section => f.write_str("a section"),
        }
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a configuration value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
        Ok(Raw::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Raw, E> {
        // Beyond i128 is out of range for every field anyway.
        Ok(Raw::Int(i128::try_from(v).unwrap_or(i128::MAX)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Text(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Text(v))
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Raw, A::Error> {
        Ok(Raw::List)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<Raw, A::Error> {
        Ok(Raw::Section)
    }
}

/// `deserialize_with` target for fields whose structure another module checks (named API
/// keys, network lists): any value, as JSON.
pub(super) fn any_json<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<serde_json::Value, D::Error> {
    serde_json::Value::deserialize(deserializer)
}

/// A field type that can be read from a [`Raw`] value.
pub(super) trait Leaf: Sized {
    /// Completes "expected …" in error messages.
    fn expected() -> String;
    fn from_raw(raw: &Raw) -> Option<Self>;
    /// Extra advice appended to the error for this raw value, if any.
    fn hint(_raw: &Raw) -> &'static str {
        ""
    }
}

/// `deserialize_with` target for every scalar field.
pub(super) fn leaf<'de, D: Deserializer<'de>, T: Leaf>(deserializer: D) -> Result<T, D::Error> {
    let raw = deserializer.deserialize_any(RawVisitor)?;
    T::from_raw(&raw).ok_or_else(|| {
        de::Error::custom(format!(
            "expected {}, got {raw}{}",
            T::expected(),
            T::hint(&raw)
        ))
    })
}

macro_rules! integer_leaf {
    ($($ty:ty => $expected:literal),* $(,)?) => {$(
        impl Leaf for $ty {
            fn expected() -> String {
                $expected.to_owned()
            }
            fn from_raw(raw: &Raw) -> Option<Self> {
                let n = match raw {
                    Raw::Int(n) => *n,
                    Raw::Text(text) => text.trim().parse::<i128>().ok()?,
                    _ => return None,
                };
                Self::try_from(n).ok()
            }
        }
    )*};
}

integer_leaf! {
    u16 => "an integer from 0 to 65535",
    u64 => "a non-negative integer",
    usize => "a non-negative integer",
}

impl Leaf for f64 {
    fn expected() -> String {
        "a number".to_owned()
    }
    fn from_raw(raw: &Raw) -> Option<Self> {
        match raw {
            Raw::Float(n) => Some(*n),
            Raw::Int(n) => Some(*n as f64),
            Raw::Text(text) => text.trim().parse().ok(),
            _ => None,
        }
    }
}

impl Leaf for bool {
    fn expected() -> String {
        "true or false".to_owned()
    }
    fn from_raw(raw: &Raw) -> Option<Self> {
        match raw {
            Raw::Bool(b) => Some(*b),
            Raw::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Some(true),
                "false" | "no" | "off" | "0" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
}

impl Leaf for String {
    fn expected() -> String {
        "a string".to_owned()
    }
    fn from_raw(raw: &Raw) -> Option<Self> {
        match raw {
            Raw::Text(text) => Some(text.clone()),
            _ => None,
        }
    }
    fn hint(raw: &Raw) -> &'static str {
        match raw {
            Raw::Int(_) | Raw::Float(_) | Raw::Bool(_) => {
                " (YAML read it as a number or boolean: put it in quotes)"
            }
            _ => "",
        }
    }
}

impl Leaf for PathBuf {
    fn expected() -> String {
        "a path".to_owned()
    }
    fn from_raw(raw: &Raw) -> Option<Self> {
        String::from_raw(raw).map(PathBuf::from)
    }
    fn hint(raw: &Raw) -> &'static str {
        String::hint(raw)
    }
}

impl<T: Leaf> Leaf for Option<T> {
    fn expected() -> String {
        format!("{} or null", T::expected())
    }
    fn from_raw(raw: &Raw) -> Option<Self> {
        match raw {
            Raw::Null => Some(None),
            other => T::from_raw(other).map(Some),
        }
    }
    fn hint(raw: &Raw) -> &'static str {
        T::hint(raw)
    }
}
