//! Payload index schemas: what `PUT /collections/{c}/index` declares and `payload_schema` shows.
//!
//! A field schema is a bare type name (`"keyword"`) or a params object with a `type` tag
//! (`{"type": "integer", "range": false}`), exactly as Qdrant's `PayloadFieldSchema`. This file
//! also decides which stored values an index of each type holds ([`PayloadSchemaType::holds`])
//! and which types serve `order_by` and facets, so those rules have one home.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::filter::Timestamp;
use crate::model::json_path::JsonPath;

/// The type of a payload index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PayloadSchemaType {
    Keyword,
    Integer,
    Float,
    Geo,
    Text,
    Bool,
    Datetime,
    Uuid,
}

impl PayloadSchemaType {
    /// Whether an index of this type holds `value` (one scalar; arrays are flattened by the
    /// caller): keywords and text hold strings, integers hold numbers that are `i64`, floats any
    /// number, datetimes and uuids strings that parse as such, geo `{"lon", "lat"}` objects.
    pub fn holds(self, value: &Value) -> bool {
        match self {
            PayloadSchemaType::Keyword | PayloadSchemaType::Text => value.is_string(),
            PayloadSchemaType::Integer => value.as_i64().is_some(),
            PayloadSchemaType::Float => value.is_number(),
            PayloadSchemaType::Bool => value.is_boolean(),
            PayloadSchemaType::Datetime => value.as_str().and_then(Timestamp::parse).is_some(),
            PayloadSchemaType::Uuid => value
                .as_str()
                .is_some_and(|s| uuid::Uuid::parse_str(s).is_ok()),
            PayloadSchemaType::Geo => value.as_object().is_some_and(|o| {
                o.get("lon").is_some_and(Value::is_number)
                    && o.get("lat").is_some_and(Value::is_number)
            }),
        }
    }
}

/// Tokenizers of a text index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenizerType {
    Prefix,
    Whitespace,
    #[default]
    Word,
    Multilingual,
}

/// Stopwords of a text index: one language name, or languages and custom words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Stopwords {
    Language(String),
    Set {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        languages: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        custom: Option<Vec<String>>,
    },
}

/// Stemming of a text index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Stemmer {
    Snowball { language: String },
}

/// Options shared by every index type (kept and shown; no index structure uses them yet).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CommonIndexOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_disk: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_hnsw: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KeywordIndexParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_tenant: Option<bool>,
    #[serde(flatten)]
    pub common: CommonIndexOptions,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IntegerIndexParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_principal: Option<bool>,
    #[serde(flatten)]
    pub common: CommonIndexOptions,
}

/// Params of float and datetime indexes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PrincipalIndexParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_principal: Option<bool>,
    #[serde(flatten)]
    pub common: CommonIndexOptions,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TextIndexParams {
    #[serde(default)]
    pub tokenizer: TokenizerType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_token_len: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_token_len: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lowercase: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ascii_folding: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phrase_matching: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopwords: Option<Stopwords>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stemmer: Option<Stemmer>,
    #[serde(flatten)]
    pub common: CommonIndexOptions,
}

/// A payload index type with its parameters (`{"type": …, …}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum PayloadSchemaParams {
    Keyword(KeywordIndexParams),
    Integer(IntegerIndexParams),
    Float(PrincipalIndexParams),
    Geo(CommonIndexOptions),
    Text(TextIndexParams),
    Bool(CommonIndexOptions),
    Datetime(PrincipalIndexParams),
    Uuid(KeywordIndexParams),
}

impl PayloadSchemaParams {
    pub fn data_type(&self) -> PayloadSchemaType {
        match self {
            PayloadSchemaParams::Keyword(_) => PayloadSchemaType::Keyword,
            PayloadSchemaParams::Integer(_) => PayloadSchemaType::Integer,
            PayloadSchemaParams::Float(_) => PayloadSchemaType::Float,
            PayloadSchemaParams::Geo(_) => PayloadSchemaType::Geo,
            PayloadSchemaParams::Text(_) => PayloadSchemaType::Text,
            PayloadSchemaParams::Bool(_) => PayloadSchemaType::Bool,
            PayloadSchemaParams::Datetime(_) => PayloadSchemaType::Datetime,
            PayloadSchemaParams::Uuid(_) => PayloadSchemaType::Uuid,
        }
    }
}

/// What one indexed field is declared as: a bare type or a type with params.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PayloadFieldSchema {
    FieldType(PayloadSchemaType),
    FieldParams(PayloadSchemaParams),
}

impl PayloadFieldSchema {
    pub fn data_type(&self) -> PayloadSchemaType {
        match self {
            PayloadFieldSchema::FieldType(t) => *t,
            PayloadFieldSchema::FieldParams(p) => p.data_type(),
        }
    }

    pub fn params(&self) -> Option<&PayloadSchemaParams> {
        match self {
            PayloadFieldSchema::FieldType(_) => None,
            PayloadFieldSchema::FieldParams(p) => Some(p),
        }
    }

    /// Whether the index answers range conditions, which `order_by` needs: integer (unless
    /// `range: false`), float and datetime.
    pub fn supports_range(&self) -> bool {
        match self {
            PayloadFieldSchema::FieldParams(PayloadSchemaParams::Integer(p)) => {
                p.range.unwrap_or(true)
            }
            other => matches!(
                other.data_type(),
                PayloadSchemaType::Integer | PayloadSchemaType::Float | PayloadSchemaType::Datetime
            ),
        }
    }

    /// Whether the index answers value lookups, which facets need: keyword, integer (unless
    /// `lookup: false`), bool and uuid.
    pub fn supports_lookup(&self) -> bool {
        match self {
            PayloadFieldSchema::FieldParams(PayloadSchemaParams::Integer(p)) => {
                p.lookup.unwrap_or(true)
            }
            other => matches!(
                other.data_type(),
                PayloadSchemaType::Keyword
                    | PayloadSchemaType::Integer
                    | PayloadSchemaType::Bool
                    | PayloadSchemaType::Uuid
            ),
        }
    }
}

/// The indexed fields of one collection, by key (the JSON path as text).
pub type PayloadIndexRegistry = BTreeMap<String, PayloadFieldSchema>;

/// Body of `PUT /collections/{c}/index`.
#[derive(Clone, Debug, Deserialize)]
pub struct CreateFieldIndex {
    pub field_name: JsonPath,
    #[serde(default, alias = "field_type")]
    pub field_schema: Option<PayloadFieldSchema>,
}

impl CreateFieldIndex {
    /// The declared schema; Qdrant cannot infer one, so a missing schema is refused.
    pub fn into_parts(self) -> Result<(JsonPath, PayloadFieldSchema)> {
        match self.field_schema {
            Some(schema) => Ok((self.field_name, schema)),
            None => Err(Error::BadInput(format!(
                "Unable to infer type for the field '{}'. Please specify `field_type`",
                self.field_name
            ))),
        }
    }
}

/// One entry of a collection's `payload_schema`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PayloadIndexInfo {
    pub data_type: PayloadSchemaType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<PayloadSchemaParams>,
    /// Points that have at least one value this index holds.
    pub points: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(v: Value) -> PayloadFieldSchema {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn type_names_and_params_objects_parse() {
        assert_eq!(
            schema(json!("keyword")),
            PayloadFieldSchema::FieldType(PayloadSchemaType::Keyword)
        );
        let p = schema(json!({"type": "integer", "lookup": false, "range": true}));
        assert_eq!(p.data_type(), PayloadSchemaType::Integer);
        assert!(p.supports_range() && !p.supports_lookup());
        let text = schema(json!({"type": "text", "tokenizer": "prefix", "stopwords": "english"}));
        assert_eq!(text.data_type(), PayloadSchemaType::Text);
    }

    #[test]
    fn unknown_type_is_refused_with_the_untagged_message() {
        let err = serde_json::from_value::<PayloadFieldSchema>(json!("vector")).unwrap_err();
        assert!(err.to_string().contains("untagged enum PayloadFieldSchema"));
    }

    #[test]
    fn params_round_trip_without_absent_options() {
        let p = schema(json!({"type": "keyword", "is_tenant": true}));
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"type": "keyword", "is_tenant": true})
        );
    }

    #[test]
    fn which_values_each_type_holds() {
        assert!(PayloadSchemaType::Integer.holds(&json!(3)));
        assert!(!PayloadSchemaType::Integer.holds(&json!(3.5)));
        assert!(PayloadSchemaType::Float.holds(&json!(3)));
        assert!(PayloadSchemaType::Datetime.holds(&json!("2024-01-02T03:04:05Z")));
        assert!(!PayloadSchemaType::Datetime.holds(&json!("soon")));
        assert!(PayloadSchemaType::Geo.holds(&json!({"lon": 1.0, "lat": 2.0})));
        assert!(!PayloadSchemaType::Keyword.holds(&json!(1)));
    }
}
