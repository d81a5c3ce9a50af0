//! HS256 JSON Web Tokens in the format Qdrant's JWT RBAC accepts.
//!
//! A token is `base64url(header).base64url(claims).base64url(HMAC-SHA256)`, unpadded, signed with
//! the server's `api_key` (or `alt_api_key`). Recognised claims, all optional; others (`aud`,
//! `iat`, `subject`, ...) are ignored:
//!
//! - `exp`: expiry in seconds since the Unix epoch, checked with a 30 s leeway;
//! - `sub`: subject string, informational;
//! - `access`: absent → full access, `"r"` → global read, `"m"` → global manage, or a list of
//!   `{"collection": "c", "access": "r" | "rw" | "prw"}` grants;
//! - `value_exists`: `{"collection": "users", "matches": [{"key": "uid", "value": 42}]}`, the token
//!   is only valid while a point matching every pair exists (checked by the caller). Match values
//!   are strings, integers or booleans.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

type HmacSha256 = Hmac<Sha256>;

/// Seconds a token is still accepted after its `exp`.
pub const EXP_LEEWAY_SECS: u64 = 30;

/// Header written by [`sign`].
const HS256_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// Claims of a Qdrant-style access token.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    pub exp: Option<u64>,
    pub sub: Option<String>,
    pub access: TokenAccess,
    pub value_exists: Option<ValueExists>,
}

/// `access` claim: absent → Full; "r" → GlobalRead; "m" → GlobalManage; list → Collections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenAccess {
    Full,
    GlobalRead,
    GlobalManage,
    Collections(Vec<CollectionGrant>),
}

/// One entry of a collection-scoped `access` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionGrant {
    pub collection: String,
    pub access: CollectionAccess,
}

/// Access mode of a [`CollectionGrant`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionAccess {
    /// `"r"`
    Read,
    /// `"rw"`
    ReadWrite,
    /// `"prw"`: read and write points only, no collection-level changes.
    PointsReadWrite,
}

/// `value_exists`: {"collection": "users", "matches": [{"key": "uid", "value": 42}]}
#[derive(Debug, Clone, PartialEq)]
pub struct ValueExists {
    pub collection: String,
    pub matches: Vec<(String, Value)>,
}

/// Why a credential was not accepted as a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtError {
    /// The credential does not have the shape of a JWT; treat it as an unknown API key.
    NotAJwt,
    /// Shaped like an HS256 JWT, but no secret produces its signature.
    InvalidSignature,
    /// Correctly signed, but `exp` is more than the leeway in the past.
    ExpiredSignature,
    /// Shaped like a JWT but unusable (wrong algorithm, malformed or invalid claims).
    InvalidToken(String),
}

impl std::fmt::Display for JwtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JwtError::NotAJwt => f.write_str("not a JWT"),
            JwtError::InvalidSignature => f.write_str("InvalidSignature"),
            JwtError::ExpiredSignature => f.write_str("ExpiredSignature"),
            JwtError::InvalidToken(detail) => write!(f, "InvalidToken: {detail}"),
        }
    }
}

impl std::error::Error for JwtError {}

/// Three base64url segments separated by dots, header decodes to JSON with "alg". Cheap; used to
/// decide whether a credential that matched no API key should be tried as a token.
pub fn looks_like_jwt(token: &str) -> bool {
    split_token(token).is_some_and(|(header, _, _)| decode_header(header).is_some())
}

/// Verifies an HS256 token against each secret (accepting if any matches), checks `exp` with
/// [`EXP_LEEWAY_SECS`] leeway against `now_unix`, ignores `aud`, and parses the claims.
pub fn verify(token: &str, secrets: &[&[u8]], now_unix: u64) -> Result<Claims, JwtError> {
    let (header_b64, payload_b64, signature_b64) = split_token(token).ok_or(JwtError::NotAJwt)?;
    let header = decode_header(header_b64).ok_or(JwtError::NotAJwt)?;

    match header.get("alg") {
        Some(Value::String(alg)) if alg == "HS256" => {}
        Some(Value::String(alg)) => {
            return Err(invalid(format!("unsupported algorithm {alg}")));
        }
        Some(other) => return Err(invalid(format!("invalid algorithm {other}"))),
        None => return Err(invalid("missing algorithm")),
    }

    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| invalid("signature is not valid base64url"))?;
    let signing_input = &token[..header_b64.len() + 1 + payload_b64.len()];
    let mut matched = Choice::from(0);
    for secret in secrets {
        matched |= hs256(secret, signing_input.as_bytes()).ct_eq(signature.as_slice());
    }
    if !bool::from(matched) {
        return Err(JwtError::InvalidSignature);
    }

    let payload = URL_SAFE_NO_PAD
        .decode(payload_b64)
        .map_err(|_| invalid("claims are not valid base64url"))?;
    let claims = match serde_json::from_slice::<Value>(&payload) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(invalid("claims must be a JSON object")),
        Err(err) => return Err(invalid(format!("claims are not valid JSON: {err}"))),
    };

    let exp = parse_exp(&claims)?;
    if let Some(exp) = exp
        && exp.saturating_add(EXP_LEEWAY_SECS) < now_unix
    {
        return Err(JwtError::ExpiredSignature);
    }

    Ok(Claims {
        exp,
        sub: parse_sub(&claims)?,
        access: parse_access(claims.get("access"))?,
        value_exists: parse_value_exists(claims.get("value_exists"))?,
    })
}

/// Signs claims (any JSON object) with HS256 — for tests and tooling.
pub fn sign(claims: &Value, secret: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(HS256_HEADER);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(hs256(secret, signing_input.as_bytes()));
    format!("{signing_input}.{signature}")
}

fn invalid(detail: impl Into<String>) -> JwtError {
    JwtError::InvalidToken(detail.into())
}

fn hs256(secret: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Splits `header.payload.signature`; header and payload must be non-empty, the signature may be
/// empty (as in `alg: none` tokens), and all three use only the base64url alphabet.
fn split_token(token: &str) -> Option<(&str, &str, &str)> {
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || header.is_empty() || payload.is_empty() {
        return None;
    }
    let base64url = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    (base64url(header) && base64url(payload) && base64url(signature))
        .then_some((header, payload, signature))
}

fn decode_header(header_b64: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(header_b64).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) if map.contains_key("alg") => Some(map),
        _ => None,
    }
}

/// A claim that is absent or `null` counts as not set.
fn claim(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null())
}

fn parse_exp(claims: &Map<String, Value>) -> Result<Option<u64>, JwtError> {
    match claim(claims.get("exp")) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| invalid(format!("invalid exp claim {v}"))),
    }
}

fn parse_sub(claims: &Map<String, Value>) -> Result<Option<String>, JwtError> {
    match claim(claims.get("sub")) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(invalid(format!("invalid sub claim {v}"))),
    }
}

fn parse_access(value: Option<&Value>) -> Result<TokenAccess, JwtError> {
    // Only an absent claim means full access; `"access": null` is rejected like any other value.
    let Some(value) = value else {
        return Ok(TokenAccess::Full);
    };
    match value {
        Value::String(s) if s == "r" => Ok(TokenAccess::GlobalRead),
        Value::String(s) if s == "m" => Ok(TokenAccess::GlobalManage),
        Value::Array(items) => items
            .iter()
            .map(parse_grant)
            .collect::<Result<_, _>>()
            .map(TokenAccess::Collections),
        other => Err(invalid(format!("invalid access claim {other}"))),
    }
}

fn parse_grant(item: &Value) -> Result<CollectionGrant, JwtError> {
    let Some(Value::String(collection)) = item.get("collection") else {
        return Err(invalid(format!("invalid collection access entry {item}")));
    };
    let access = match item.get("access") {
        Some(Value::String(s)) if s == "r" => CollectionAccess::Read,
        Some(Value::String(s)) if s == "rw" => CollectionAccess::ReadWrite,
        Some(Value::String(s)) if s == "prw" => CollectionAccess::PointsReadWrite,
        Some(other) => {
            return Err(invalid(format!(
                "invalid access {other} for collection {collection}"
            )));
        }
        None => {
            return Err(invalid(format!(
                "missing access for collection {collection}"
            )));
        }
    };
    Ok(CollectionGrant {
        collection: collection.clone(),
        access,
    })
}

fn parse_value_exists(value: Option<&Value>) -> Result<Option<ValueExists>, JwtError> {
    let Some(value) = claim(value) else {
        return Ok(None);
    };
    let bad = || invalid(format!("invalid value_exists claim {value}"));
    let Some(Value::String(collection)) = value.get("collection") else {
        return Err(bad());
    };
    let Some(Value::Array(items)) = value.get("matches") else {
        return Err(bad());
    };
    let matches = items
        .iter()
        .map(|item| match (item.get("key"), item.get("value")) {
            (Some(Value::String(key)), Some(v))
                if v.is_string() || v.is_boolean() || v.is_i64() =>
            {
                Ok((key.clone(), v.clone()))
            }
            _ => Err(bad()),
        })
        .collect::<Result<_, _>>()?;
    Ok(Some(ValueExists {
        collection: collection.clone(),
        matches,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_700_000_000;
    const SECRET: &[u8] = b"main-api-key";
    const ALT_SECRET: &[u8] = b"alt-api-key";

    /// Produced independently with Python's stdlib (hmac/hashlib/base64), secret
    /// `python-secret`, header `{"typ": "JWT", "alg": "HS256"}` (note key order and spaces),
    /// claims `{"sub": "alice", "exp": 4102444800, "aud": "quiver",
    /// "access": [{"collection": "docs", "access": "rw"}], "note": "ignored"}`.
    const PYTHON_TOKEN: &str = "eyJ0eXAiOiAiSldUIiwgImFsZyI6ICJIUzI1NiJ9.eyJzdWIiOiAiYWxpY2UiLCAiZXhwIjogNDEwMjQ0NDgwMCwgImF1ZCI6ICJxdWl2ZXIiLCAiYWNjZXNzIjogW3siY29sbGVjdGlvbiI6ICJkb2NzIiwgImFjY2VzcyI6ICJydyJ9XSwgIm5vdGUiOiAiaWdub3JlZCJ9.gUKDjc6IsoH8WghIF8Ebxa1hIbTB01rvLY-fk7oJDac";

    fn verify_main(token: &str) -> Result<Claims, JwtError> {
        verify(token, &[SECRET], NOW)
    }

    fn access_of(claims: Value) -> Result<TokenAccess, JwtError> {
        verify_main(&sign(&claims, SECRET)).map(|c| c.access)
    }

    /// Builds a token with an arbitrary header and signature segment.
    fn raw_token(header: &str, claims: &str, signature: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims),
            URL_SAFE_NO_PAD.encode(signature)
        )
    }

    #[test]
    fn round_trip() {
        let token = sign(&json!({"sub": "bob", "exp": NOW + 3600}), SECRET);
        assert!(looks_like_jwt(&token));
        assert_eq!(
            verify_main(&token),
            Ok(Claims {
                exp: Some(NOW + 3600),
                sub: Some("bob".to_string()),
                access: TokenAccess::Full,
                value_exists: None,
            })
        );
    }

    #[test]
    fn wrong_secret_is_invalid_signature() {
        let token = sign(&json!({"access": "r"}), b"other-key");
        assert_eq!(verify_main(&token), Err(JwtError::InvalidSignature));
        assert_eq!(verify(&token, &[], NOW), Err(JwtError::InvalidSignature));
    }

    #[test]
    fn any_of_several_secrets_is_accepted() {
        let by_alt = sign(&json!({"access": "m"}), ALT_SECRET);
        let by_main = sign(&json!({"access": "m"}), SECRET);
        for token in [&by_alt, &by_main] {
            let claims = verify(token, &[SECRET, ALT_SECRET], NOW).unwrap();
            assert_eq!(claims.access, TokenAccess::GlobalManage);
        }
        assert_eq!(verify_main(&by_alt), Err(JwtError::InvalidSignature));
    }

    #[test]
    fn expiry_with_leeway() {
        let at = |exp: u64| verify_main(&sign(&json!({"exp": exp}), SECRET));
        assert_eq!(at(NOW - 31), Err(JwtError::ExpiredSignature));
        assert_eq!(at(0), Err(JwtError::ExpiredSignature));
        assert_eq!(at(NOW - 30).unwrap().exp, Some(NOW - 30));
        assert_eq!(at(NOW - 1).unwrap().exp, Some(NOW - 1));
        assert_eq!(at(NOW + 1).unwrap().exp, Some(NOW + 1));
    }

    #[test]
    fn expiry_is_checked_only_after_the_signature() {
        let token = sign(&json!({"exp": 1}), b"other-key");
        assert_eq!(verify_main(&token), Err(JwtError::InvalidSignature));
    }

    #[test]
    fn missing_or_null_exp_never_expires() {
        assert_eq!(verify_main(&sign(&json!({}), SECRET)).unwrap().exp, None);
        let claims = verify(&sign(&json!({"exp": null}), SECRET), &[SECRET], u64::MAX).unwrap();
        assert_eq!(claims.exp, None);
    }

    #[test]
    fn malformed_exp_or_sub_is_invalid_token() {
        for claims in [
            json!({"exp": "tomorrow"}),
            json!({"exp": -5}),
            json!({"exp": 1.5}),
            json!({"sub": 7}),
        ] {
            let result = verify_main(&sign(&claims, SECRET));
            assert!(matches!(result, Err(JwtError::InvalidToken(_))), "{claims}");
        }
    }

    #[test]
    fn access_forms() {
        assert_eq!(access_of(json!({})), Ok(TokenAccess::Full));
        assert_eq!(
            access_of(json!({"access": "r"})),
            Ok(TokenAccess::GlobalRead)
        );
        assert_eq!(
            access_of(json!({"access": "m"})),
            Ok(TokenAccess::GlobalManage)
        );
        assert_eq!(
            access_of(json!({"access": []})),
            Ok(TokenAccess::Collections(vec![]))
        );
        assert_eq!(
            access_of(json!({"access": [
                {"collection": "a", "access": "r"},
                {"collection": "b", "access": "rw", "extra": true},
                {"collection": "c", "access": "prw"},
            ]})),
            Ok(TokenAccess::Collections(vec![
                CollectionGrant {
                    collection: "a".to_string(),
                    access: CollectionAccess::Read
                },
                CollectionGrant {
                    collection: "b".to_string(),
                    access: CollectionAccess::ReadWrite
                },
                CollectionGrant {
                    collection: "c".to_string(),
                    access: CollectionAccess::PointsReadWrite
                },
            ]))
        );
    }

    #[test]
    fn unknown_access_values_are_invalid_token_naming_the_value() {
        let cases = [
            (json!({"access": "w"}), "\"w\""),
            (json!({"access": "rw"}), "\"rw\""),
            (json!({"access": null}), "null"),
            (json!({"access": 3}), "3"),
            (
                json!({"access": [{"collection": "a", "access": "m"}]}),
                "\"m\"",
            ),
            (json!({"access": [{"collection": "a"}]}), "collection a"),
            (json!({"access": ["a"]}), "\"a\""),
        ];
        for (claims, needle) in cases {
            match access_of(claims.clone()) {
                Err(JwtError::InvalidToken(detail)) => {
                    assert!(detail.contains(needle), "{claims}: {detail}")
                }
                other => panic!("{claims}: {other:?}"),
            }
        }
    }

    #[test]
    fn value_exists_is_parsed() {
        let token = sign(
            &json!({
                "access": [{"collection": "docs", "access": "r"}],
                "value_exists": {
                    "collection": "users",
                    "matches": [
                        {"key": "uid", "value": 42},
                        {"key": "role", "value": "admin"},
                        {"key": "active", "value": true},
                    ],
                },
            }),
            SECRET,
        );
        assert_eq!(
            verify_main(&token).unwrap().value_exists,
            Some(ValueExists {
                collection: "users".to_string(),
                matches: vec![
                    ("uid".to_string(), json!(42)),
                    ("role".to_string(), json!("admin")),
                    ("active".to_string(), json!(true)),
                ],
            })
        );
        let none = sign(&json!({"value_exists": null}), SECRET);
        assert_eq!(verify_main(&none).unwrap().value_exists, None);
    }

    #[test]
    fn malformed_value_exists_is_invalid_token() {
        for value_exists in [
            json!("users"),
            json!({"collection": "users"}),
            json!({"matches": []}),
            json!({"collection": "users", "matches": [{"key": "uid"}]}),
            json!({"collection": "users", "matches": [{"key": "uid", "value": 1.5}]}),
            json!({"collection": "users", "matches": [{"key": "uid", "value": [1]}]}),
        ] {
            let result = verify_main(&sign(&json!({ "value_exists": value_exists }), SECRET));
            assert!(
                matches!(result, Err(JwtError::InvalidToken(_))),
                "{value_exists}"
            );
        }
    }

    #[test]
    fn tampering_is_invalid_signature() {
        let token = sign(&json!({"access": "r"}), SECRET);
        let (signing_input, signature) = token.rsplit_once('.').unwrap();
        let (header, _) = signing_input.split_once('.').unwrap();

        let forged_payload = URL_SAFE_NO_PAD.encode(r#"{"access":"m"}"#);
        let forged = format!("{header}.{forged_payload}.{signature}");
        assert_eq!(verify_main(&forged), Err(JwtError::InvalidSignature));

        let mut sig = URL_SAFE_NO_PAD.decode(signature).unwrap();
        sig[0] ^= 1;
        let flipped = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(&sig));
        assert_eq!(verify_main(&flipped), Err(JwtError::InvalidSignature));

        let truncated = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(&sig[..16]));
        assert_eq!(verify_main(&truncated), Err(JwtError::InvalidSignature));
    }

    #[test]
    fn other_algorithms_are_invalid_token() {
        let none = raw_token(r#"{"alg":"none","typ":"JWT"}"#, r#"{"access":"m"}"#, b"");
        assert!(none.ends_with('.'));
        assert!(looks_like_jwt(&none));

        let rs256 = raw_token(r#"{"alg":"RS256"}"#, r#"{"access":"m"}"#, &[7; 256]);
        // Even a valid HMAC under the main secret must not rescue a token claiming another alg.
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS512"}"#);
        let payload = URL_SAFE_NO_PAD.encode("{}");
        let input = format!("{header}.{payload}");
        let hs512 = format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(hs256(SECRET, input.as_bytes()))
        );
        let numeric = raw_token(r#"{"alg":256}"#, "{}", b"x");

        for (token, needle) in [
            (none, "none"),
            (rs256, "RS256"),
            (hs512, "HS512"),
            (numeric, "256"),
        ] {
            match verify_main(&token) {
                Err(JwtError::InvalidToken(detail)) => assert!(detail.contains(needle), "{detail}"),
                other => panic!("{token}: {other:?}"),
            }
        }
    }

    #[test]
    fn malformed_parts_of_a_jwt_shaped_token_are_invalid_token() {
        let header = URL_SAFE_NO_PAD.encode(HS256_HEADER);
        let signed = |payload: &str| {
            let input = format!("{header}.{payload}");
            let sig = URL_SAFE_NO_PAD.encode(hs256(SECRET, input.as_bytes()));
            format!("{input}.{sig}")
        };
        let cases = [
            signed(&URL_SAFE_NO_PAD.encode("not json")),
            signed(&URL_SAFE_NO_PAD.encode("[1,2]")),
            signed("A"), // not decodable base64
            format!("{header}.e30.A"),
        ];
        for token in cases {
            assert!(looks_like_jwt(&token), "{token}");
            assert!(
                matches!(verify_main(&token), Err(JwtError::InvalidToken(_))),
                "{token}"
            );
        }
    }

    #[test]
    fn non_jwts_are_recognised() {
        let padded_header = base64::engine::general_purpose::URL_SAFE.encode(r#"{"alg": "HS256"}"#);
        assert!(padded_header.ends_with('='));
        let good = sign(&json!({}), SECRET);
        let (_, rest) = good.split_once('.').unwrap();
        let cases = [
            String::new(),
            "my-secret-api-key".to_string(),
            "0a1b2c3d-4e5f-6789-abcd-ef0123456789".to_string(),
            "key.with.dots".to_string(),
            "a.b.c".to_string(),
            "..".to_string(),
            format!("{good}.extra"),
            good.rsplit_once('.').unwrap().0.to_string(),
            format!("{padded_header}.{rest}"),
            format!("{}.{rest}", URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT"}"#)),
            format!("{}.{rest}", URL_SAFE_NO_PAD.encode("[]")),
            format!("{}.{rest}", URL_SAFE_NO_PAD.encode("not json")),
            format!("Bearer {good}"),
            format!("{good} "),
        ];
        for token in cases {
            assert!(!looks_like_jwt(&token), "{token}");
            assert_eq!(verify_main(&token), Err(JwtError::NotAJwt), "{token}");
        }
    }

    #[test]
    fn independent_python_token_verifies() {
        assert!(looks_like_jwt(PYTHON_TOKEN));
        let claims = verify(PYTHON_TOKEN, &[SECRET, b"python-secret"], NOW).unwrap();
        assert_eq!(
            claims,
            Claims {
                exp: Some(4_102_444_800),
                sub: Some("alice".to_string()),
                access: TokenAccess::Collections(vec![CollectionGrant {
                    collection: "docs".to_string(),
                    access: CollectionAccess::ReadWrite,
                }]),
                value_exists: None,
            }
        );
        assert_eq!(verify_main(PYTHON_TOKEN), Err(JwtError::InvalidSignature));
        assert_eq!(
            verify(PYTHON_TOKEN, &[b"python-secret"], 4_102_444_831),
            Err(JwtError::ExpiredSignature)
        );
    }

    #[test]
    fn sign_matches_python() {
        // Python stdlib: the same compact header and claims, HMAC-SHA256 with `python-secret`.
        assert_eq!(
            sign(&json!({"access": "r"}), b"python-secret"),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhY2Nlc3MiOiJyIn0.\
             nKNgpvFSFIzQv7WhOCLwCwHJoUDiXvLB7ocs2VD8uOo"
        );
    }

    #[test]
    fn display_texts() {
        assert_eq!(JwtError::NotAJwt.to_string(), "not a JWT");
        assert_eq!(JwtError::InvalidSignature.to_string(), "InvalidSignature");
        assert_eq!(JwtError::ExpiredSignature.to_string(), "ExpiredSignature");
        assert_eq!(
            JwtError::InvalidToken("bad".to_string()).to_string(),
            "InvalidToken: bad"
        );
    }
}
