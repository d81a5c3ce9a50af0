//! Ordering points by a payload value: `order_by` of scroll (and of the universal query).
//!
//! REST accepts a bare key (`"price"`) or `{"key", "direction": "asc"|"desc", "start_from"}` where
//! `start_from` is a number or a datetime string. Values are compared as [`OrderValue`]s:
//! integers and floats on one numeric line, datetimes as integer microseconds since the epoch
//! (what Qdrant reports as `order_value` for a datetime key).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::filter::Timestamp;
use crate::model::json_path::JsonPath;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Asc,
    Desc,
}

/// Where an ordered read starts (inclusive).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StartFrom {
    Integer(i64),
    Float(f64),
    Datetime(String),
}

/// The value a point is ordered by, reported as its `order_value`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum OrderValue {
    Int(i64),
    Float(f64),
}

impl OrderValue {
    /// The order value of one stored scalar: numbers as they are, datetime strings as
    /// microseconds; anything else (bools, other strings, objects) has none.
    pub fn of(value: &Value) -> Option<OrderValue> {
        match value {
            Value::Number(n) => match n.as_i64() {
                Some(i) => Some(OrderValue::Int(i)),
                None => n.as_f64().map(OrderValue::Float),
            },
            Value::String(s) => {
                Timestamp::parse(s).map(|t| OrderValue::Int(t.0.timestamp_micros()))
            }
            _ => None,
        }
    }

    /// Total order on one numeric line; an int and a float that are equal compare equal.
    pub fn total_cmp(&self, other: &OrderValue) -> Ordering {
        match (self, other) {
            (OrderValue::Int(a), OrderValue::Int(b)) => a.cmp(b),
            (OrderValue::Float(a), OrderValue::Float(b)) => a.total_cmp(b),
            (OrderValue::Int(a), OrderValue::Float(b)) => (*a as f64).total_cmp(b),
            (OrderValue::Float(a), OrderValue::Int(b)) => a.total_cmp(&(*b as f64)),
        }
    }
}

/// A resolved `order_by`.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderBy {
    pub key: JsonPath,
    pub direction: Direction,
    /// Inclusive bound in the direction of travel.
    pub start_from: Option<OrderValue>,
}

/// `{"key", "direction", "start_from"}` as sent.
#[derive(Clone, Debug, Deserialize)]
pub struct OrderByStruct {
    pub key: JsonPath,
    #[serde(default)]
    pub direction: Option<Direction>,
    #[serde(default)]
    pub start_from: Option<StartFrom>,
}

/// The REST forms of `order_by`.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum OrderByInterface {
    Key(JsonPath),
    Struct(OrderByStruct),
}

impl OrderByInterface {
    pub fn resolve(self) -> Result<OrderBy> {
        let s = match self {
            OrderByInterface::Key(key) => OrderByStruct {
                key,
                direction: None,
                start_from: None,
            },
            OrderByInterface::Struct(s) => s,
        };
        let start_from = match s.start_from {
            None => None,
            Some(StartFrom::Integer(i)) => Some(OrderValue::Int(i)),
            Some(StartFrom::Float(f)) => Some(OrderValue::Float(f)),
            Some(StartFrom::Datetime(text)) => {
                let t = Timestamp::parse(&text).ok_or_else(|| {
                    Error::Format(format!(
                        "`start_from` is not a number or a datetime: '{text}'"
                    ))
                })?;
                Some(OrderValue::Int(t.0.timestamp_micros()))
            }
        };
        Ok(OrderBy {
            key: s.key,
            direction: s.direction.unwrap_or_default(),
            start_from,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> OrderBy {
        serde_json::from_value::<OrderByInterface>(v)
            .unwrap()
            .resolve()
            .unwrap()
    }

    #[test]
    fn bare_key_is_ascending_from_the_start() {
        let o = parse(json!("price"));
        assert_eq!(o.key.to_string(), "price");
        assert_eq!(o.direction, Direction::Asc);
        assert_eq!(o.start_from, None);
    }

    #[test]
    fn struct_form_with_datetime_start() {
        let o =
            parse(json!({"key": "t", "direction": "desc", "start_from": "1970-01-01T00:00:01Z"}));
        assert_eq!(o.direction, Direction::Desc);
        assert_eq!(o.start_from, Some(OrderValue::Int(1_000_000)));
    }

    #[test]
    fn values_compare_on_one_numeric_line() {
        assert_eq!(
            OrderValue::Int(2).total_cmp(&OrderValue::Float(1.5)),
            Ordering::Greater
        );
        assert_eq!(OrderValue::of(&json!(true)), None);
        assert_eq!(OrderValue::of(&json!(2.5)), Some(OrderValue::Float(2.5)));
    }
}
