//! The merged configuration tree (config-rs values in nested maps) addressed by dotted keys such
//! as `storage.hnsw_index.m`, the same keys error messages use, and the note naming where a value
//! came from.

use config::{Map, Value, ValueKind};

/// The value at a dotted key (`service.http_port`), if the tree has one.
pub(super) fn lookup<'a>(tree: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    let mut parts = key.split('.');
    let mut value = tree.get(parts.next()?)?;
    for part in parts {
        match &value.kind {
            ValueKind::Table(section) => value = section.get(part)?,
            _ => return None,
        }
    }
    Some(value)
}

/// Sets the value at a dotted key, creating sections on the way and replacing any non-section
/// value that stands where a section must be.
pub(super) fn replace(tree: &mut Map<String, Value>, key: &str, new: Value) {
    let (parents, last) = match key.rsplit_once('.') {
        Some((parents, last)) => (Some(parents), last),
        None => (None, key),
    };
    let mut section = tree;
    for part in parents.into_iter().flat_map(|p| p.split('.')) {
        let entry = section
            .entry(part.to_owned())
            .or_insert_with(|| Value::new(None, ValueKind::Table(Map::new())));
        if !matches!(entry.kind, ValueKind::Table(_)) {
            entry.kind = ValueKind::Table(Map::new());
        }
        let ValueKind::Table(inner) = &mut entry.kind else {
            unreachable!("made a table just above")
        };
        section = inner;
    }
    section.insert(last.to_owned(), new);
}

/// ` (from …)` naming the file or variable that set `value`, or nothing for a built-in default.
pub(super) fn origin_suffix(value: Option<&Value>) -> String {
    match value.and_then(Value::origin) {
        Some(origin) => format!(" (from {origin})"),
        None => String::new(),
    }
}
