//! The `formula` query: an arithmetic expression over prefetch scores, payload values and
//! filter conditions that rescores the points a stage's prefetches found.
//!
//! [`Formula::parse`] reads the REST JSON `{"formula": <Expression>, "defaults": {…}}` (the gRPC
//! `Formula` message is converted into that JSON first) and checks everything that can be
//! checked before a point is scored, with Qdrant's messages: variable names (`$score`,
//! `$score[i]` or a JSON path), conditions (as in a filter), datetime constants, decay
//! parameters (their constant part is folded into one `lambda` here, as Qdrant does) and
//! non-empty `max` / `min`. What an expression is worth for one point is decided by
//! `engine::formula`; nothing here evaluates.
//!
//! Numbers in an expression are 32-bit floats on the wire (OpenAPI `format: float`, proto
//! `float`), as in Qdrant: constants, `by_zero_default`, `scale` and `midpoint` are rounded to
//! `f32` and then computed with in `f64`.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::model::filter::{Condition, Filter, GeoPoint, Timestamp};
use crate::model::json_path::JsonPath;

/// Qdrant's decay defaults: the output is `midpoint` (0.5) at `|x - target| == scale` (1.0).
const DEFAULT_DECAY_MIDPOINT: f32 = 0.5;
const DEFAULT_DECAY_SCALE: f32 = 1.0;

/// A parsed formula query.
#[derive(Clone, Debug, PartialEq)]
pub struct Formula {
    pub expression: Expression,
    /// Values for variables a point lacks, by variable.
    pub defaults: HashMap<Variable, Value>,
}

/// A named input of an expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Variable {
    /// `$score` (= `$score[0]`) or `$score[i]`: the point's score in prefetch `i`.
    Score(usize),
    /// A payload value by JSON path.
    Payload(JsonPath),
}

/// The three decay curves; all give 1 at `x == target` and fall towards 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecayKind {
    /// `max(0, 1 - lambda·|x - target|)`.
    Lin,
    /// `exp(lambda·|x - target|)`.
    Exp,
    /// `exp(lambda·(x - target)²)`.
    Gauss,
}

/// One node of a formula.
#[derive(Clone, Debug, PartialEq)]
pub enum Expression {
    Constant(f64),
    Variable(Variable),
    /// 1 if the point satisfies the condition, else 0.
    Condition(Box<Condition>),
    /// Metres from `origin` to the geo point at `to` (Haversine).
    GeoDistance {
        origin: GeoPoint,
        to: JsonPath,
    },
    /// A datetime constant, as seconds since the Unix epoch.
    Datetime(f64),
    /// The datetime at a payload key, as seconds since the Unix epoch.
    DatetimeKey(JsonPath),
    Mult(Vec<Expression>),
    Sum(Vec<Expression>),
    Max(Vec<Expression>),
    Min(Vec<Expression>),
    Neg(Box<Expression>),
    Abs(Box<Expression>),
    Div {
        left: Box<Expression>,
        right: Box<Expression>,
        by_zero_default: Option<f64>,
    },
    Sqrt(Box<Expression>),
    Pow {
        base: Box<Expression>,
        exponent: Box<Expression>,
    },
    Exp(Box<Expression>),
    Log10(Box<Expression>),
    Ln(Box<Expression>),
    Acosh(Box<Expression>),
    Decay {
        kind: DecayKind,
        x: Box<Expression>,
        /// `None`: 0.
        target: Option<Box<Expression>>,
        /// The curve's constant, from `midpoint` and `scale`.
        lambda: f64,
    },
}

fn bad(message: impl Into<String>) -> Error {
    Error::BadInput(message.into())
}

fn format_error(at: &str, message: impl std::fmt::Display) -> Error {
    Error::Format(format!("{at}: {message}"))
}

impl Formula {
    /// Parses the query object `{"formula": …, "defaults": …}`; `at` prefixes shape errors.
    pub fn parse(mut query: Map<String, Value>, at: &str) -> Result<Formula> {
        let expression = query
            .remove("formula")
            .ok_or_else(|| format_error(at, "missing field `formula`"))?;
        let defaults = query.remove("defaults").unwrap_or(Value::Null);
        if let Some(other) = query.keys().next() {
            return Err(format_error(
                at,
                format!("unknown field `{other}`, expected `formula` or `defaults`"),
            ));
        }
        let defaults = match defaults {
            Value::Null => HashMap::new(),
            Value::Object(map) => map
                .into_iter()
                .map(|(key, value)| Ok((Variable::parse(&key)?, value)))
                .collect::<Result<_>>()?,
            _ => {
                return Err(format_error(
                    &format!("{at}.defaults"),
                    "expected an object",
                ));
            }
        };
        Ok(Formula {
            expression: Expression::parse(expression, &format!("{at}.formula"))?,
            defaults,
        })
    }
}

impl Variable {
    /// `$score`, `$score[i]` or a JSON path; other names starting with `$` are reserved.
    pub fn parse(name: &str) -> Result<Variable> {
        let Some(reserved) = name.strip_prefix('$') else {
            return JsonPath::parse(name)
                .map(Variable::Payload)
                .map_err(|_| bad(format!("Invalid payload variable: {name}")));
        };
        let Some(index) = reserved.strip_prefix("score") else {
            return Err(bad(format!("Invalid reserved word: {name}")));
        };
        if index.is_empty() {
            return Ok(Variable::Score(0));
        }
        index
            .strip_prefix('[')
            .and_then(|i| i.strip_suffix(']'))
            .filter(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|i| i.parse().ok())
            .map(Variable::Score)
            .ok_or_else(|| bad(format!("Invalid reserved variable: {name}")))
    }
}

/// The JSON keys that name an operator; any other object is a filter condition.
const OPERATORS: &[&str] = &[
    "geo_distance",
    "datetime",
    "datetime_key",
    "mult",
    "sum",
    "max",
    "min",
    "neg",
    "abs",
    "div",
    "sqrt",
    "pow",
    "exp",
    "log10",
    "ln",
    "acosh",
    "lin_decay",
    "exp_decay",
    "gauss_decay",
];

impl Expression {
    /// Parses one expression; `at` is its location for shape errors.
    pub fn parse(value: Value, at: &str) -> Result<Expression> {
        match value {
            Value::Number(n) => {
                let c = n
                    .as_f64()
                    .ok_or_else(|| format_error(at, "expected a number"))?;
                Ok(Expression::Constant(c as f32 as f64))
            }
            Value::String(name) => Ok(Expression::Variable(Variable::parse(&name)?)),
            Value::Object(map) => {
                let operator = match map.iter().next() {
                    Some((key, _)) if map.len() == 1 && OPERATORS.contains(&key.as_str()) => {
                        key.clone()
                    }
                    _ => return Self::condition(Value::Object(map), at),
                };
                let (_, body) = map.into_iter().next().unwrap_or_default();
                Self::operator(&operator, body, &format!("{at}.{operator}"))
            }
            Value::Null | Value::Bool(_) | Value::Array(_) => Err(format_error(
                at,
                "an expression is a number, a variable name, a condition or an operator object",
            )),
        }
    }

    fn condition(value: Value, at: &str) -> Result<Expression> {
        let condition: Condition =
            serde_json::from_value(value).map_err(|e| format_error(at, e))?;
        // A condition in a formula is checked as one in a filter.
        Filter {
            must: Some(vec![condition.clone()]),
            ..Filter::default()
        }
        .validate_at(at)?;
        Ok(Expression::Condition(Box::new(condition)))
    }

    fn operator(operator: &str, body: Value, at: &str) -> Result<Expression> {
        let boxed = |value: Value| Self::parse(value, at).map(Box::new);
        Ok(match operator {
            "mult" => Expression::Mult(Self::list(body, at)?),
            "sum" => Expression::Sum(Self::list(body, at)?),
            "max" | "min" => {
                let operands = Self::list(body, at)?;
                if operands.is_empty() {
                    return Err(bad(format!("`{operator}` needs at least one operand")));
                }
                if operator == "max" {
                    Expression::Max(operands)
                } else {
                    Expression::Min(operands)
                }
            }
            "neg" => Expression::Neg(boxed(body)?),
            "abs" => Expression::Abs(boxed(body)?),
            "sqrt" => Expression::Sqrt(boxed(body)?),
            "exp" => Expression::Exp(boxed(body)?),
            "log10" => Expression::Log10(boxed(body)?),
            "ln" => Expression::Ln(boxed(body)?),
            "acosh" => Expression::Acosh(boxed(body)?),
            "div" => {
                let mut fields = Fields::new(body, at)?;
                Expression::Div {
                    left: Box::new(fields.expression("left")?),
                    right: Box::new(fields.expression("right")?),
                    by_zero_default: fields.float("by_zero_default")?,
                }
            }
            "pow" => {
                let mut fields = Fields::new(body, at)?;
                Expression::Pow {
                    base: Box::new(fields.expression("base")?),
                    exponent: Box::new(fields.expression("exponent")?),
                }
            }
            "geo_distance" => {
                let mut fields = Fields::new(body, at)?;
                let origin = fields.required("origin")?;
                let origin: GeoPoint = serde_json::from_value(origin)
                    .map_err(|e| format_error(&format!("{at}.origin"), e))?;
                Expression::GeoDistance {
                    origin,
                    to: fields.path("to")?,
                }
            }
            "datetime" => {
                let Value::String(text) = body else {
                    return Err(format_error(at, "expected a string"));
                };
                let at = Timestamp::parse(&text).ok_or_else(|| {
                    bad(format!("Expected datetime in supported format for {text}"))
                })?;
                Expression::Datetime(seconds(at))
            }
            "datetime_key" => Expression::DatetimeKey(path_of(body, at)?),
            "lin_decay" => Self::decay(DecayKind::Lin, body, at)?,
            "exp_decay" => Self::decay(DecayKind::Exp, body, at)?,
            "gauss_decay" => Self::decay(DecayKind::Gauss, body, at)?,
            other => return Err(format_error(at, format!("unknown operator `{other}`"))),
        })
    }

    fn list(body: Value, at: &str) -> Result<Vec<Expression>> {
        let Value::Array(items) = body else {
            return Err(format_error(at, "expected a list of expressions"));
        };
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| Self::parse(item, &format!("{at}[{i}]")))
            .collect()
    }

    fn decay(kind: DecayKind, body: Value, at: &str) -> Result<Expression> {
        let mut fields = Fields::new(body, at)?;
        let x = Box::new(fields.expression("x")?);
        let target = fields.optional_expression("target")?.map(Box::new);
        let midpoint = f64::from(
            fields
                .float32("midpoint")?
                .unwrap_or(DEFAULT_DECAY_MIDPOINT),
        );
        let scale = f64::from(fields.float32("scale")?.unwrap_or(DEFAULT_DECAY_SCALE));
        Ok(Expression::Decay {
            kind,
            x,
            target,
            lambda: decay_lambda(kind, midpoint, scale)?,
        })
    }
}

/// The constant of a decay curve, after Qdrant's checks on `midpoint` and `scale`.
pub fn decay_lambda(kind: DecayKind, midpoint: f64, scale: f64) -> Result<f64> {
    match kind {
        DecayKind::Lin if !(0.0..=1.0).contains(&midpoint) => {
            return Err(bad(format!(
                "Linear decay midpoint should be in the range [0.0, 1.0], got {midpoint}."
            )));
        }
        DecayKind::Exp | DecayKind::Gauss if midpoint <= 0.0 || midpoint >= 1.0 => {
            return Err(bad(format!(
                "Decay midpoint should be in the range (0.0, 1.0), got {midpoint}."
            )));
        }
        _ => {}
    }
    if scale <= 0.0 {
        return Err(bad(format!(
            "Decay scale should be non-zero positive, got {scale}."
        )));
    }
    Ok(match kind {
        DecayKind::Lin => (1.0 - midpoint) / scale,
        DecayKind::Exp => midpoint.ln() / scale,
        DecayKind::Gauss => midpoint.ln() / (scale * scale),
    })
}

/// Seconds since the Unix epoch, with the fraction (microsecond precision).
pub fn seconds(at: Timestamp) -> f64 {
    at.0.timestamp_micros() as f64 / 1e6
}

fn path_of(value: Value, at: &str) -> Result<JsonPath> {
    let Value::String(text) = value else {
        return Err(format_error(at, "expected a string"));
    };
    JsonPath::parse(&text).map_err(|e| bad(e.to_string()))
}

/// The fields of an operator's parameter object, taken one by one.
struct Fields {
    map: Map<String, Value>,
    at: String,
}

impl Fields {
    fn new(body: Value, at: &str) -> Result<Fields> {
        match body {
            Value::Object(map) => Ok(Fields {
                map,
                at: at.to_string(),
            }),
            _ => Err(format_error(at, "expected an object")),
        }
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        self.map.remove(name).filter(|v| !v.is_null())
    }

    fn required(&mut self, name: &str) -> Result<Value> {
        self.take(name)
            .ok_or_else(|| format_error(&self.at, format!("missing field `{name}`")))
    }

    fn expression(&mut self, name: &str) -> Result<Expression> {
        let value = self.required(name)?;
        Expression::parse(value, &format!("{}.{name}", self.at))
    }

    fn optional_expression(&mut self, name: &str) -> Result<Option<Expression>> {
        self.take(name)
            .map(|v| Expression::parse(v, &format!("{}.{name}", self.at)))
            .transpose()
    }

    fn float32(&mut self, name: &str) -> Result<Option<f32>> {
        self.take(name)
            .map(|v| {
                v.as_f64().map(|f| f as f32).ok_or_else(|| {
                    format_error(&format!("{}.{name}", self.at), "expected a number")
                })
            })
            .transpose()
    }

    fn float(&mut self, name: &str) -> Result<Option<f64>> {
        Ok(self.float32(name)?.map(f64::from))
    }

    fn path(&mut self, name: &str) -> Result<JsonPath> {
        let value = self.required(name)?;
        path_of(value, &format!("{}.{name}", self.at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Formula> {
        match v {
            Value::Object(map) => Formula::parse(map, "query"),
            _ => unreachable!(),
        }
    }

    #[test]
    fn score_variables_name_a_prefetch() {
        assert_eq!(Variable::parse("$score").unwrap(), Variable::Score(0));
        assert_eq!(Variable::parse("$score[2]").unwrap(), Variable::Score(2));
        assert!(Variable::parse("$score[]").is_err());
        assert!(Variable::parse("$score[1][2]").is_err());
        assert!(Variable::parse("$score.x").is_err());
        assert!(Variable::parse("$other").is_err());
        assert_eq!(
            Variable::parse("a.b").unwrap(),
            Variable::Payload(JsonPath::parse("a.b").unwrap())
        );
    }

    #[test]
    fn defaults_are_keyed_by_parsed_variable() {
        let f =
            parse(json!({ "formula": "$score", "defaults": { "$score": 1, "price": 2 } })).unwrap();
        assert_eq!(f.defaults[&Variable::Score(0)], json!(1));
        assert_eq!(
            f.defaults[&Variable::Payload(JsonPath::parse("price").unwrap())],
            json!(2)
        );
    }

    #[test]
    fn operators_and_conditions_are_told_apart() {
        let f = parse(json!({ "formula": { "sum": [
            1.5,
            { "key": "color", "match": { "value": "red" } },
            { "div": { "left": "$score", "right": 2, "by_zero_default": 0 } },
        ]}}))
        .unwrap();
        let Expression::Sum(terms) = f.expression else {
            panic!("not a sum")
        };
        assert_eq!(terms[0], Expression::Constant(1.5));
        assert!(matches!(terms[1], Expression::Condition(_)));
        assert!(matches!(
            terms[2],
            Expression::Div {
                by_zero_default: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn decay_parameters_are_checked_and_folded() {
        let f = parse(
            json!({ "formula": { "exp_decay": { "x": "d", "scale": 2, "midpoint": 0.25 } } }),
        )
        .unwrap();
        let Expression::Decay { lambda, target, .. } = f.expression else {
            panic!("not a decay")
        };
        assert!((lambda - 0.25f64.ln() / 2.0).abs() < 1e-12);
        assert!(target.is_none());
        let e = parse(json!({ "formula": { "gauss_decay": { "x": "d", "midpoint": 1.0 } } }))
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("Decay midpoint should be in the range (0.0, 1.0)"),
            "{e}"
        );
        let e = parse(json!({ "formula": { "lin_decay": { "x": "d", "scale": 0 } } })).unwrap_err();
        assert!(
            e.to_string()
                .contains("Decay scale should be non-zero positive"),
            "{e}"
        );
    }

    #[test]
    fn bad_datetime_constant_is_refused() {
        let e = parse(json!({ "formula": { "datetime": "yesterday" } })).unwrap_err();
        assert!(e.to_string().contains("Expected datetime"), "{e}");
        let f = parse(json!({ "formula": { "datetime": "1970-01-02T00:00:00Z" } })).unwrap();
        assert_eq!(f.expression, Expression::Datetime(86400.0));
    }

    #[test]
    fn empty_max_and_unknown_fields_are_refused() {
        assert!(parse(json!({ "formula": { "max": [] } })).is_err());
        assert!(parse(json!({ "formula": 1, "other": 2 })).is_err());
        assert!(parse(json!({ "formula": { "nonsense": 1 } })).is_err());
    }
}
