//! Payload index messages: `CreateFieldIndexCollection` into the model's field schema (with
//! Qdrant's gRPC messages for a bad type/params combination), and `payload_schema` out.

use std::collections::{BTreeMap, HashMap};

use crate::api::grpc::convert::json_path;
use crate::api::grpc::proto;
use crate::error::{Error, Result};
use crate::model::json_path::JsonPath;
use crate::model::payload_index::{
    CommonIndexOptions, CreateFieldIndex, IntegerIndexParams, KeywordIndexParams,
    PayloadFieldSchema, PayloadIndexInfo, PayloadSchemaParams, PayloadSchemaType,
    PrincipalIndexParams, Stemmer, Stopwords, TextIndexParams, TokenizerType,
};

fn schema_type(t: proto::FieldType) -> PayloadSchemaType {
    use proto::FieldType as F;
    match t {
        F::Keyword => PayloadSchemaType::Keyword,
        F::Integer => PayloadSchemaType::Integer,
        F::Float => PayloadSchemaType::Float,
        F::Geo => PayloadSchemaType::Geo,
        F::Text => PayloadSchemaType::Text,
        F::Bool => PayloadSchemaType::Bool,
        F::Datetime => PayloadSchemaType::Datetime,
        F::Uuid => PayloadSchemaType::Uuid,
    }
}

fn common(on_disk: Option<bool>, enable_hnsw: Option<bool>) -> CommonIndexOptions {
    CommonIndexOptions {
        on_disk,
        enable_hnsw,
    }
}

fn tokenizer(t: i32) -> Result<TokenizerType> {
    use proto::TokenizerType as T;
    match T::try_from(t) {
        Ok(T::Prefix) => Ok(TokenizerType::Prefix),
        Ok(T::Whitespace) => Ok(TokenizerType::Whitespace),
        Ok(T::Word) => Ok(TokenizerType::Word),
        Ok(T::Multilingual) => Ok(TokenizerType::Multilingual),
        Ok(T::Unknown) | Ok(T::Code) | Err(_) => {
            Err(Error::InvalidMessage("unknown tokenizer type".into()))
        }
    }
}

fn text_params(p: proto::TextIndexParams) -> Result<TextIndexParams> {
    use proto::stemming_algorithm::StemmingParams as S;
    Ok(TextIndexParams {
        tokenizer: tokenizer(p.tokenizer)?,
        min_token_len: p.min_token_len,
        max_token_len: p.max_token_len,
        lowercase: p.lowercase,
        ascii_folding: p.ascii_folding,
        phrase_matching: p.phrase_matching,
        stopwords: p.stopwords.map(|s| Stopwords::Set {
            languages: Some(s.languages),
            custom: Some(s.custom),
        }),
        stemmer: match p.stemmer.and_then(|s| s.stemming_params) {
            Some(S::Snowball(s)) => Some(Stemmer::Snowball {
                language: s.language,
            }),
            Some(S::Disabled(_)) | None => None,
        },
        #[allow(deprecated)]
        common: common(p.on_disk, p.enable_hnsw),
    })
}

/// The params of the oneof, if they belong to `field_type`.
#[allow(deprecated)]
fn params(
    field_type: proto::FieldType,
    params: proto::payload_index_params::IndexParams,
) -> Result<PayloadSchemaParams> {
    use proto::FieldType as F;
    use proto::payload_index_params::IndexParams as P;
    Ok(match (field_type, params) {
        (F::Keyword, P::KeywordIndexParams(p)) => {
            PayloadSchemaParams::Keyword(KeywordIndexParams {
                is_tenant: p.is_tenant,
                common: common(p.on_disk, p.enable_hnsw),
            })
        }
        (F::Integer, P::IntegerIndexParams(p)) => {
            PayloadSchemaParams::Integer(IntegerIndexParams {
                lookup: p.lookup,
                range: p.range,
                is_principal: p.is_principal,
                common: common(p.on_disk, p.enable_hnsw),
            })
        }
        (F::Float, P::FloatIndexParams(p)) => PayloadSchemaParams::Float(PrincipalIndexParams {
            is_principal: p.is_principal,
            common: common(p.on_disk, p.enable_hnsw),
        }),
        (F::Geo, P::GeoIndexParams(p)) => {
            PayloadSchemaParams::Geo(common(p.on_disk, p.enable_hnsw))
        }
        (F::Text, P::TextIndexParams(p)) => PayloadSchemaParams::Text(text_params(p)?),
        (F::Bool, P::BoolIndexParams(p)) => {
            PayloadSchemaParams::Bool(common(p.on_disk, p.enable_hnsw))
        }
        (F::Datetime, P::DatetimeIndexParams(p)) => {
            PayloadSchemaParams::Datetime(PrincipalIndexParams {
                is_principal: p.is_principal,
                common: common(p.on_disk, p.enable_hnsw),
            })
        }
        (F::Uuid, P::UuidIndexParams(p)) => PayloadSchemaParams::Uuid(KeywordIndexParams {
            is_tenant: p.is_tenant,
            common: common(p.on_disk, p.enable_hnsw),
        }),
        (t, _) => {
            return Err(Error::InvalidMessage(format!(
                "field_type ({t:?}) and field_index_params do not match"
            )));
        }
    })
}

/// `CreateFieldIndex`: the field and its schema, refused as Qdrant's gRPC API refuses them.
pub fn create_field_index(
    r: proto::CreateFieldIndexCollection,
) -> Result<(JsonPath, PayloadFieldSchema)> {
    let field_type = r
        .field_type
        .map(proto::FieldType::try_from)
        .transpose()
        .map_err(|_| Error::InvalidMessage("cannot convert field_type".into()))?;
    let index_params = r.field_index_params.and_then(|p| p.index_params);
    let field_schema = match (field_type, index_params) {
        (Some(t), Some(p)) => Some(PayloadFieldSchema::FieldParams(params(t, p)?)),
        (Some(t), None) => Some(PayloadFieldSchema::FieldType(schema_type(t))),
        (None, Some(_)) => return Err(Error::InvalidMessage("field type is missing".into())),
        (None, None) => None,
    };
    CreateFieldIndex {
        field_name: json_path(r.field_name)?,
        field_schema,
    }
    .into_parts()
}

fn schema_type_out(t: PayloadSchemaType) -> proto::PayloadSchemaType {
    use proto::PayloadSchemaType as P;
    match t {
        PayloadSchemaType::Keyword => P::Keyword,
        PayloadSchemaType::Integer => P::Integer,
        PayloadSchemaType::Float => P::Float,
        PayloadSchemaType::Geo => P::Geo,
        PayloadSchemaType::Text => P::Text,
        PayloadSchemaType::Bool => P::Bool,
        PayloadSchemaType::Datetime => P::Datetime,
        PayloadSchemaType::Uuid => P::Uuid,
    }
}

fn tokenizer_out(t: TokenizerType) -> proto::TokenizerType {
    match t {
        TokenizerType::Prefix => proto::TokenizerType::Prefix,
        TokenizerType::Whitespace => proto::TokenizerType::Whitespace,
        TokenizerType::Word => proto::TokenizerType::Word,
        TokenizerType::Multilingual => proto::TokenizerType::Multilingual,
    }
}

#[allow(deprecated)]
fn params_out(p: &PayloadSchemaParams) -> proto::PayloadIndexParams {
    use proto::payload_index_params::IndexParams as P;
    let index_params = match p {
        PayloadSchemaParams::Keyword(k) => P::KeywordIndexParams(proto::KeywordIndexParams {
            is_tenant: k.is_tenant,
            on_disk: k.common.on_disk,
            enable_hnsw: k.common.enable_hnsw,
            ..Default::default()
        }),
        PayloadSchemaParams::Integer(i) => P::IntegerIndexParams(proto::IntegerIndexParams {
            lookup: i.lookup,
            range: i.range,
            is_principal: i.is_principal,
            on_disk: i.common.on_disk,
            enable_hnsw: i.common.enable_hnsw,
            ..Default::default()
        }),
        PayloadSchemaParams::Float(f) => P::FloatIndexParams(proto::FloatIndexParams {
            is_principal: f.is_principal,
            on_disk: f.common.on_disk,
            enable_hnsw: f.common.enable_hnsw,
            ..Default::default()
        }),
        PayloadSchemaParams::Geo(c) => P::GeoIndexParams(proto::GeoIndexParams {
            on_disk: c.on_disk,
            enable_hnsw: c.enable_hnsw,
            ..Default::default()
        }),
        PayloadSchemaParams::Text(t) => P::TextIndexParams(proto::TextIndexParams {
            tokenizer: tokenizer_out(t.tokenizer) as i32,
            lowercase: t.lowercase,
            min_token_len: t.min_token_len,
            max_token_len: t.max_token_len,
            on_disk: t.common.on_disk,
            stopwords: t.stopwords.as_ref().map(|s| match s {
                Stopwords::Language(l) => proto::StopwordsSet {
                    languages: vec![l.clone()],
                    custom: Vec::new(),
                },
                Stopwords::Set { languages, custom } => proto::StopwordsSet {
                    languages: languages.clone().unwrap_or_default(),
                    custom: custom.clone().unwrap_or_default(),
                },
            }),
            phrase_matching: t.phrase_matching,
            stemmer: t.stemmer.as_ref().map(|s| match s {
                Stemmer::Snowball { language } => proto::StemmingAlgorithm {
                    stemming_params: Some(proto::stemming_algorithm::StemmingParams::Snowball(
                        proto::SnowballParams {
                            language: language.clone(),
                        },
                    )),
                },
            }),
            ascii_folding: t.ascii_folding,
            enable_hnsw: t.common.enable_hnsw,
            ..Default::default()
        }),
        PayloadSchemaParams::Bool(c) => P::BoolIndexParams(proto::BoolIndexParams {
            on_disk: c.on_disk,
            enable_hnsw: c.enable_hnsw,
            ..Default::default()
        }),
        PayloadSchemaParams::Datetime(d) => P::DatetimeIndexParams(proto::DatetimeIndexParams {
            is_principal: d.is_principal,
            on_disk: d.common.on_disk,
            enable_hnsw: d.common.enable_hnsw,
            ..Default::default()
        }),
        PayloadSchemaParams::Uuid(u) => P::UuidIndexParams(proto::UuidIndexParams {
            is_tenant: u.is_tenant,
            on_disk: u.common.on_disk,
            enable_hnsw: u.common.enable_hnsw,
            ..Default::default()
        }),
    };
    proto::PayloadIndexParams {
        index_params: Some(index_params),
    }
}

/// `payload_schema` of collection info.
pub fn payload_schema_out(
    schema: &BTreeMap<String, PayloadIndexInfo>,
) -> HashMap<String, proto::PayloadSchemaInfo> {
    schema
        .iter()
        .map(|(key, info)| {
            let out = proto::PayloadSchemaInfo {
                data_type: schema_type_out(info.data_type) as i32,
                params: info.params.as_ref().map(params_out),
                points: Some(info.points),
            };
            (key.clone(), out)
        })
        .collect()
}
