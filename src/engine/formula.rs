//! Rescoring by a formula: what a [`Formula`] is worth for each point its stage's prefetches
//! found.
//!
//! Semantics follow Qdrant (and the official client's local mode, which mirrors it):
//! - The candidates are the distinct points of all prefetch results, in prefetch order; each is
//!   scored, then they are sorted best first (a stable sort: ties keep that order), cut to `top`,
//!   and those below the stage's `score_threshold` dropped.
//! - `$score[i]` is the point's score in prefetch `i`; a point prefetch `i` did not find takes
//!   the default for `$score[i]` if it is a number, else 0.
//! - A payload variable reads the values at its path (an array stands for its elements, one
//!   level deep). No value: the default for that variable (an empty list counts as none).
//!   Exactly one value: that value. Several: the list, which is not a number. A missing value,
//!   or one of the wrong type, fails the whole query (400) with Qdrant's message
//!   `Expected number value for <path> in the payload and/or in the formula defaults. Error: …`.
//! - Arithmetic is in `f64`; any step whose result is not finite (a division by zero without
//!   `by_zero_default`, the square root of a negative, `ln(0)`, an overflowing `exp` or `pow`)
//!   fails with `The expression … produced a non-finite number`. `mult` stops at a zero factor
//!   and `div` at a zero numerator, so their other operands are not evaluated. The final score
//!   is rounded to `f32` and must still be finite.

use std::collections::HashMap;

use serde_json::Value;

use crate::engine::query::{Hit, Run};
use crate::error::{Error, Result};
use crate::index::filter;
use crate::model::Payload;
use crate::model::filter::{GeoPoint, Timestamp};
use crate::model::formula::{self as model, DecayKind, Expression, Formula, Variable};
use crate::model::json_path::JsonPath;

/// Scores the distinct points of `sources` by `formula`; the best `top` at or above
/// `threshold`, best first.
pub(crate) fn rescore(
    formula: &Formula,
    sources: &[Vec<Hit>],
    run: &Run,
    top: usize,
    threshold: Option<f32>,
) -> Result<Vec<Hit>> {
    let scores: Vec<HashMap<u32, f32>> = sources
        .iter()
        .map(|source| source.iter().map(|h| (h.offset, h.score)).collect())
        .collect();
    let mut seen = std::collections::HashSet::new();
    let mut hits = Vec::new();
    for offset in sources.iter().flatten().map(|h| h.offset) {
        if !seen.insert(offset) {
            continue;
        }
        let point = PointScope {
            formula,
            scores: &scores,
            run,
            offset,
        };
        let score = point.eval(&formula.expression)?;
        let rounded = score as f32;
        if !rounded.is_finite() {
            return Err(non_finite(format!("{score} as f32 = {rounded}")));
        }
        hits.push(Hit {
            offset,
            score: rounded,
            order_value: None,
        });
    }
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    hits.truncate(top);
    if let Some(t) = threshold {
        hits.retain(|h| h.score >= t);
    }
    Ok(hits)
}

fn non_finite(expression: String) -> Error {
    Error::BadInput(format!(
        "The expression {expression} produced a non-finite number"
    ))
}

fn variable_error(path: &JsonPath, expected: &str, description: &str) -> Error {
    Error::BadInput(format!(
        "Expected {expected} value for {path} in the payload and/or in the formula defaults. Error: {description}"
    ))
}

/// Returns `value` if finite, else the non-finite error describing how it came about.
fn finite(value: f64, describe: impl FnOnce() -> String) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(non_finite(describe()))
    }
}

/// Everything one point's evaluation reads.
struct PointScope<'a> {
    formula: &'a Formula,
    scores: &'a [HashMap<u32, f32>],
    run: &'a Run<'a>,
    offset: u32,
}

impl PointScope<'_> {
    fn payload(&self) -> &Payload {
        self.run.points.payload(self.offset)
    }

    fn eval(&self, expression: &Expression) -> Result<f64> {
        Ok(match expression {
            Expression::Constant(c) => *c,
            Expression::Variable(Variable::Score(i)) => self.score(*i),
            Expression::Variable(Variable::Payload(path)) => {
                let value = self.value(path, "number")?;
                value
                    .as_f64()
                    .ok_or_else(|| variable_error(path, "number", "Value is not a number"))?
            }
            Expression::Condition(condition) => {
                if filter::condition_matches(condition, &self.run.state.view(self.offset)) {
                    1.0
                } else {
                    0.0
                }
            }
            Expression::GeoDistance { origin, to } => {
                let value = self.value(to, "geo point")?;
                let point: GeoPoint = serde_json::from_value(value)
                    .map_err(|e| variable_error(to, "geo point", &e.to_string()))?;
                filter::haversine_m(*origin, point)
            }
            Expression::Datetime(seconds) => *seconds,
            Expression::DatetimeKey(path) => {
                let value = self.value(path, "datetime")?;
                let text = value
                    .as_str()
                    .ok_or_else(|| variable_error(path, "datetime", "value is not a string"))?;
                let at = Timestamp::parse(text).ok_or_else(|| {
                    variable_error(path, "datetime", &format!("invalid datetime: {text}"))
                })?;
                model::seconds(at)
            }
            Expression::Mult(factors) => {
                let mut product = 1.0;
                for factor in factors {
                    let value = self.eval(factor)?;
                    if value == 0.0 {
                        return Ok(0.0);
                    }
                    product *= value;
                }
                product
            }
            Expression::Sum(terms) => terms
                .iter()
                .try_fold(0.0, |sum, term| Ok::<_, Error>(sum + self.eval(term)?))?,
            // NaN operands cannot occur (every step is checked), `f64::max` would skip them.
            Expression::Max(operands) => operands.iter().try_fold(f64::NEG_INFINITY, |m, e| {
                Ok::<_, Error>(m.max(self.eval(e)?))
            })?,
            Expression::Min(operands) => operands
                .iter()
                .try_fold(f64::INFINITY, |m, e| Ok::<_, Error>(m.min(self.eval(e)?)))?,
            Expression::Neg(e) => -self.eval(e)?,
            Expression::Abs(e) => self.eval(e)?.abs(),
            Expression::Div {
                left,
                right,
                by_zero_default,
            } => {
                let left = self.eval(left)?;
                if left == 0.0 {
                    return Ok(0.0);
                }
                let right = self.eval(right)?;
                match by_zero_default {
                    Some(default) if right == 0.0 => *default,
                    _ => {
                        let q = left / right;
                        finite(q, || format!("{left}/{right} = {q}"))?
                    }
                }
            }
            Expression::Sqrt(e) => {
                let v = self.eval(e)?;
                let r = v.sqrt();
                finite(r, || format!("√{v} = {r}"))?
            }
            Expression::Pow { base, exponent } => {
                let (b, x) = (self.eval(base)?, self.eval(exponent)?);
                let r = b.powf(x);
                finite(r, || format!("{b}^{x} = {r}"))?
            }
            Expression::Exp(e) => {
                let v = self.eval(e)?;
                let r = v.exp();
                finite(r, || format!("exp({v}) = {r}"))?
            }
            Expression::Log10(e) => {
                let v = self.eval(e)?;
                let r = v.log10();
                finite(r, || format!("log10({v}) = {r}"))?
            }
            Expression::Ln(e) => {
                let v = self.eval(e)?;
                let r = v.ln();
                finite(r, || format!("ln({v}) = {r}"))?
            }
            Expression::Acosh(e) => {
                let v = self.eval(e)?;
                let r = v.acosh();
                finite(r, || format!("acosh({v}) = {r}"))?
            }
            Expression::Decay {
                kind,
                x,
                target,
                lambda,
            } => {
                let x = self.eval(x)?;
                let target = match target {
                    Some(t) => self.eval(t)?,
                    None => 0.0,
                };
                decay(*kind, x - target, *lambda)
            }
        })
    }

    /// `$score[i]`: the point's score in prefetch `i`, else a numeric default, else 0.
    fn score(&self, i: usize) -> f64 {
        self.scores
            .get(i)
            .and_then(|s| s.get(&self.offset))
            .map(|s| f64::from(*s))
            .or_else(|| {
                self.formula
                    .defaults
                    .get(&Variable::Score(i))
                    .and_then(Value::as_f64)
            })
            .unwrap_or(0.0)
    }

    /// The value of a payload variable (see the module docs), or the missing-value error.
    fn value(&self, path: &JsonPath, expected: &str) -> Result<Value> {
        let found: Vec<&Value> = path
            .select(self.payload())
            .into_iter()
            .flat_map(|v| match v {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            })
            .collect();
        let value = match found.as_slice() {
            [] => self
                .formula
                .defaults
                .get(&Variable::Payload(path.clone()))
                .and_then(|d| match d {
                    Value::Array(items) if items.is_empty() => None,
                    Value::Array(items) if items.len() == 1 => Some(items[0].clone()),
                    other => Some(other.clone()),
                }),
            [one] => Some((*one).clone()),
            many => Some(Value::Array(many.iter().map(|v| (*v).clone()).collect())),
        };
        value.ok_or_else(|| {
            variable_error(path, expected, "No value found in a payload nor defaults")
        })
    }
}

/// A decay curve at distance `diff` from its target (1 at 0, falling towards 0).
fn decay(kind: DecayKind, diff: f64, lambda: f64) -> f64 {
    match kind {
        DecayKind::Lin => (1.0 - lambda * diff.abs()).max(0.0),
        DecayKind::Exp => (lambda * diff.abs()).exp(),
        DecayKind::Gauss => (lambda * diff * diff).exp(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::collection::State;
    use crate::engine::points::PointTable;
    use crate::model::collection::CreateCollection;
    use serde_json::json;

    /// A table of points with ids 1, 2, … and the given payloads, no vectors.
    fn table(payloads: &[Value]) -> PointTable {
        let mut table = PointTable::new(&Default::default());
        for (i, payload) in payloads.iter().enumerate() {
            let Value::Object(map) = payload.clone() else {
                panic!("payload must be an object")
            };
            table.insert(
                crate::model::PointId::Num(i as u64 + 1),
                &Default::default(),
                map,
                1,
            );
        }
        table
    }

    fn formula(v: Value) -> Formula {
        let Value::Object(map) = v else { panic!() };
        Formula::parse(map, "query").unwrap()
    }

    fn hit(offset: u32, score: f32) -> Hit {
        Hit {
            offset,
            score,
            order_value: None,
        }
    }

    /// Runs `f` over the given prefetch results on `points`.
    fn run_formula(
        points: &PointTable,
        f: Value,
        sources: &[Vec<Hit>],
        top: usize,
        threshold: Option<f32>,
    ) -> Result<Vec<Hit>> {
        let create: CreateCollection =
            serde_json::from_value(json!({ "vectors": { "size": 2, "distance": "Dot" } })).unwrap();
        let config = create.resolve(&Default::default()).unwrap();
        let state = State {
            points: points.clone(),
            next_op: 0,
            payload_index: Default::default(),
            payload_indexes: Default::default(),
            graphs: Default::default(),
        };
        let run = Run {
            config: &config,
            state: &state,
            points: &state.points,
        };
        rescore(&formula(f), sources, &run, top, threshold)
    }

    #[test]
    fn scores_come_from_each_prefetch_with_defaults() {
        let points = table(&[json!({}), json!({})]);
        let sources = vec![vec![hit(0, 2.0)], vec![hit(1, 5.0), hit(0, 1.0)]];
        let hits = run_formula(
            &points,
            json!({ "formula": { "sum": ["$score", { "mult": [10, "$score[1]"] }] },
                    "defaults": { "$score[0]": 0.5 } }),
            &sources,
            10,
            None,
        )
        .unwrap();
        // offset 1: 0.5 (default) + 50; offset 0: 2 + 10.
        assert_eq!(hits.iter().map(|h| h.offset).collect::<Vec<_>>(), [1, 0]);
        assert_eq!(hits[0].score, 50.5);
        assert_eq!(hits[1].score, 12.0);
    }

    #[test]
    fn payload_variables_fall_back_to_defaults() {
        let points = table(&[json!({ "price": 3 }), json!({ "price": [4] }), json!({})]);
        let sources = vec![vec![hit(0, 0.0), hit(1, 0.0), hit(2, 0.0)]];
        let f = json!({ "formula": "price", "defaults": { "price": 7 } });
        let hits = run_formula(&points, f, &sources, 10, None).unwrap();
        let scores: Vec<(u32, f32)> = hits.iter().map(|h| (h.offset, h.score)).collect();
        assert_eq!(scores, [(2, 7.0), (1, 4.0), (0, 3.0)]);
        let e =
            run_formula(&points, json!({ "formula": "price" }), &sources, 10, None).unwrap_err();
        assert!(e.to_string().contains("No value found"), "{e}");
        assert!(e.to_string().contains("price"), "{e}");
    }

    #[test]
    fn several_values_or_non_numbers_are_not_numbers() {
        let points = table(&[json!({ "a": [1, 2] }), json!({ "a": true })]);
        for offset in [0, 1] {
            let e = run_formula(
                &points,
                json!({ "formula": "a" }),
                &[vec![hit(offset, 0.0)]],
                10,
                None,
            )
            .unwrap_err();
            assert!(e.to_string().contains("Value is not a number"), "{e}");
        }
    }

    #[test]
    fn division_by_zero_needs_a_default() {
        let points = table(&[json!({ "z": 0 })]);
        let sources = vec![vec![hit(0, 1.0)]];
        let e = run_formula(
            &points,
            json!({ "formula": { "div": { "left": 1, "right": "z" } } }),
            &sources,
            10,
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("non-finite"), "{e}");
        let hits = run_formula(
            &points,
            json!({ "formula": { "div": { "left": 1, "right": "z", "by_zero_default": 3 } } }),
            &sources,
            10,
            None,
        )
        .unwrap();
        assert_eq!(hits[0].score, 3.0);
        // A zero numerator never looks at the divisor.
        let hits = run_formula(
            &points,
            json!({ "formula": { "div": { "left": 0, "right": "missing" } } }),
            &sources,
            10,
            None,
        )
        .unwrap();
        assert_eq!(hits[0].score, 0.0);
    }

    #[test]
    fn math_outside_its_domain_is_an_error() {
        let points = table(&[json!({})]);
        let sources = vec![vec![hit(0, 1.0)]];
        for f in [
            json!({ "sqrt": -1 }),
            json!({ "ln": 0 }),
            json!({ "log10": -2 }),
            json!({ "exp": 1000 }),
            json!({ "pow": { "base": -8, "exponent": 0.5 } }),
        ] {
            let e = run_formula(&points, json!({ "formula": f }), &sources, 10, None).unwrap_err();
            assert!(
                e.to_string().contains("produced a non-finite number"),
                "{e}"
            );
        }
    }

    #[test]
    fn decays_are_one_at_target_and_midpoint_at_scale() {
        for kind in [DecayKind::Lin, DecayKind::Exp, DecayKind::Gauss] {
            let lambda = model::decay_lambda(kind, 0.3, 2.0).unwrap();
            assert!((decay(kind, 0.0, lambda) - 1.0).abs() < 1e-12);
            assert!((decay(kind, 2.0, lambda) - 0.3).abs() < 1e-12);
            assert!((decay(kind, -2.0, lambda) - 0.3).abs() < 1e-12);
        }
        assert_eq!(decay(DecayKind::Lin, 100.0, 0.5), 0.0);
    }

    #[test]
    fn conditions_count_as_one_or_zero_and_ties_keep_prefetch_order() {
        let points = table(&[
            json!({ "c": "x" }),
            json!({ "c": "y" }),
            json!({ "c": "x" }),
        ]);
        let sources = vec![vec![hit(2, 0.0), hit(1, 0.0), hit(0, 0.0)]];
        let f = json!({ "formula": { "key": "c", "match": { "value": "x" } } });
        let hits = run_formula(&points, f, &sources, 10, None).unwrap();
        let scores: Vec<(u32, f32)> = hits.iter().map(|h| (h.offset, h.score)).collect();
        assert_eq!(scores, [(2, 1.0), (0, 1.0), (1, 0.0)]);
    }

    #[test]
    fn top_then_threshold() {
        let points = table(&[json!({ "v": 1 }), json!({ "v": 2 }), json!({ "v": 3 })]);
        let sources = vec![vec![hit(0, 0.0), hit(1, 0.0), hit(2, 0.0)]];
        let hits = run_formula(&points, json!({ "formula": "v" }), &sources, 2, Some(2.5)).unwrap();
        assert_eq!(hits.iter().map(|h| h.offset).collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn geo_distance_and_datetimes() {
        let points =
            table(&[json!({ "at": { "lon": 0.0, "lat": 1.0 }, "t": "1970-01-01T00:01:00Z" })]);
        let sources = vec![vec![hit(0, 0.0)]];
        let hits = run_formula(
            &points,
            json!({ "formula": { "geo_distance": { "origin": { "lon": 0.0, "lat": 0.0 }, "to": "at" } } }),
            &sources,
            10,
            None,
        )
        .unwrap();
        assert!(
            (hits[0].score - 111_195.08).abs() < 1.0,
            "{}",
            hits[0].score
        );
        let hits = run_formula(
            &points,
            json!({ "formula": { "sum": [{ "datetime_key": "t" }, { "neg": { "datetime": "1970-01-01T00:00:30Z" } }] } }),
            &sources,
            10,
            None,
        )
        .unwrap();
        assert_eq!(hits[0].score, 30.0);
    }
}
