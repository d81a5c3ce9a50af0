//! `quiver keys generate`: a new random key, printed once, with the config entry that holds only
//! its SHA-256.

use chrono::{DateTime, Duration, Utc};

use crate::auth::keyring::{hex, sha256};

/// Options of `quiver keys generate`.
#[derive(Clone, Debug, Default)]
pub struct GenerateOptions {
    pub name: Option<String>,
    /// `manage`, `read-write` or `read-only`.
    pub access: Option<String>,
    pub collections: Vec<String>,
    /// `30d`, `12h`, `90m`.
    pub expires_in: Option<String>,
}

/// A new key: 256 bits from the operating system's RNG, as 64 hex characters.
pub fn new_key() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("the OS random generator failed: {e}"))?;
    Ok(hex(&bytes))
}

/// Parses `30d` / `12h` / `90m` / `3600s`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad =
        || format!("--expires-in: expected a number with d, h, m or s (like 30d), got {text:?}");
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = number.parse().map_err(|_| bad())?;
    if n <= 0 {
        return Err(bad());
    }
    match unit {
        "d" => Ok(Duration::days(n)),
        "h" => Ok(Duration::hours(n)),
        "m" => Ok(Duration::minutes(n)),
        "s" => Ok(Duration::seconds(n)),
        _ => Err(bad()),
    }
}

/// The text `quiver keys generate` prints: the key once, then the YAML entry to paste under
/// `service.api_keys`, which holds only the key's SHA-256.
pub fn generate(options: &GenerateOptions, now: DateTime<Utc>) -> Result<String, String> {
    let access = options.access.as_deref().unwrap_or("read-only");
    if !["manage", "read-write", "read-only"].contains(&access) {
        return Err(format!(
            "--access: expected manage, read-write or read-only, got {access:?}"
        ));
    }
    let key = new_key()?;
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| format!("key-{}", now.format("%Y%m%d-%H%M%S")));
    let mut entry = format!(
        "    - name: {name:?}\n      sha256: \"{}\"\n      access: {access}\n",
        hex(&sha256(key.as_bytes()))
    );
    if !options.collections.is_empty() {
        let list: Vec<String> = options
            .collections
            .iter()
            .map(|c| format!("{c:?}"))
            .collect();
        entry.push_str(&format!("      collections: [{}]\n", list.join(", ")));
    }
    if let Some(expires_in) = &options.expires_in {
        let at = now + parse_duration(expires_in)?;
        entry.push_str(&format!(
            "      expires_at: \"{}\"\n",
            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
    }
    Ok(format!(
        "New API key (shown once; Quiver stores only its hash):\n\n  {key}\n\n\
         Add this entry under service.api_keys in your config (or to service.api_keys_file):\n\n\
         service:\n  api_keys:\n{entry}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_64_hex_characters_and_differ() {
        let (a, b) = (new_key().unwrap(), new_key().unwrap());
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn durations_parse_and_nonsense_is_refused() {
        assert_eq!(parse_duration("30d").unwrap(), Duration::days(30));
        assert_eq!(parse_duration("12h").unwrap(), Duration::hours(12));
        assert!(parse_duration("-1d").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn the_entry_holds_the_hash_not_the_key() {
        let out = generate(
            &GenerateOptions {
                name: Some("ci".into()),
                access: Some("read-write".into()),
                collections: vec!["docs".into(), "tenant-*".into()],
                expires_in: Some("30d".into()),
            },
            Utc::now(),
        )
        .unwrap();
        let key = out.lines().nth(2).unwrap().trim().to_string();
        let entry = out.split("api_keys:\n").nth(1).unwrap();
        assert!(!entry.contains(&key));
        assert!(entry.contains(&hex(&sha256(key.as_bytes()))));
        assert!(entry.contains("access: read-write"));
        assert!(entry.contains("collections: [\"docs\", \"tenant-*\"]"));
        assert!(entry.contains("expires_at:"));
    }
}
