//! Point write operations: the bodies of upsert, delete, payload and vector endpoints, and the
//! one [`PointOperation`] enum the engine applies (a batch is a list of them).

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::model::filter::Filter;
use crate::model::json_path::JsonPath;
use crate::model::vectors::{NamedVectors, Vector, VectorStruct};
use crate::model::{Payload, PointId};

/// One point as sent for upsert.
#[derive(Clone, Debug, Deserialize)]
pub struct PointStruct {
    pub id: PointId,
    #[serde(alias = "vectors")]
    pub vector: VectorStruct,
    #[serde(default)]
    pub payload: Option<Payload>,
}

/// The column-oriented `batch` form of upsert.
#[derive(Clone, Debug, Deserialize)]
pub struct Batch {
    pub ids: Vec<PointId>,
    pub vectors: BatchVectors,
    #[serde(default)]
    pub payloads: Option<Vec<Option<Payload>>>,
}

/// Vectors of a batch: one list for the unnamed vector, or a list per name.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum BatchVectors {
    Single(Vec<Vec<f32>>),
    MultiDense(Vec<Vec<Vec<f32>>>),
    Named(std::collections::BTreeMap<String, Vec<Vector>>),
}

/// How an upsert treats ids that already exist.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateMode {
    #[default]
    Upsert,
    InsertOnly,
    UpdateOnly,
}

/// Body of `PUT /collections/{name}/points`: `points` (list form) or `batch`.
#[derive(Clone, Debug, Deserialize)]
pub struct PointInsertOperations {
    #[serde(default)]
    pub points: Option<Vec<PointStruct>>,
    #[serde(default)]
    pub batch: Option<Batch>,
    #[serde(default)]
    pub update_filter: Option<Filter>,
    #[serde(default)]
    pub update_mode: Option<UpdateMode>,
}

/// A point to write, its vectors by name.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPoint {
    pub id: PointId,
    pub vectors: NamedVectors,
    pub payload: Payload,
}

/// An upsert ready for the engine.
#[derive(Clone, Debug)]
pub struct Upsert {
    pub points: Vec<NewPoint>,
    pub update_filter: Option<Filter>,
    pub mode: UpdateMode,
}

impl PointInsertOperations {
    /// Turns either form into a list of points, checking shapes that need no collection.
    pub fn into_upsert(self) -> Result<Upsert> {
        let points = match (self.points, self.batch) {
            (Some(points), None) => points
                .into_iter()
                .enumerate()
                .map(|(i, p)| {
                    let vectors = p.vector.into_named();
                    for (name, v) in &vectors {
                        v.validate(&vector_path(&format!("points[{i}].vector"), name))?;
                    }
                    Ok(NewPoint {
                        id: p.id,
                        vectors,
                        payload: p.payload.unwrap_or_default(),
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            (None, Some(batch)) => batch.into_points()?,
            _ => {
                return Err(Error::Format(
                    "Invalid PointInsertOperations format: expected either `points` or `batch`"
                        .into(),
                ));
            }
        };
        if let Some(f) = &self.update_filter {
            f.validate()?;
        }
        Ok(Upsert {
            points,
            update_filter: self.update_filter,
            mode: self.update_mode.unwrap_or_default(),
        })
    }
}

fn vector_path(base: &str, name: &str) -> String {
    if name.is_empty() {
        base.to_string()
    } else {
        format!("{base}.{name}")
    }
}

impl Batch {
    fn into_points(self) -> Result<Vec<NewPoint>> {
        let n = self.ids.len();
        let mismatch = |what: &str, m: usize| {
            Error::validation(
                "batch",
                &format!("number of ids and {what} must be equal ({n} != {m})"),
            )
        };
        let mut columns: Vec<(String, Vec<Vector>)> = match self.vectors {
            BatchVectors::Single(v) => {
                vec![(String::new(), v.into_iter().map(Vector::Dense).collect())]
            }
            BatchVectors::MultiDense(v) => {
                vec![(String::new(), v.into_iter().map(Vector::Multi).collect())]
            }
            BatchVectors::Named(map) => map.into_iter().collect(),
        };
        for (_, col) in &columns {
            if col.len() != n {
                return Err(mismatch("vectors", col.len()));
            }
        }
        let mut payloads = match self.payloads {
            Some(p) if p.len() != n => return Err(mismatch("payloads", p.len())),
            Some(p) => p,
            None => vec![None; n],
        };
        let mut points = Vec::with_capacity(n);
        for (i, id) in self.ids.into_iter().enumerate() {
            let mut vectors = NamedVectors::new();
            for (name, col) in columns.iter_mut() {
                let v = std::mem::replace(&mut col[i], Vector::Dense(Vec::new()));
                v.validate(&vector_path(&format!("batch.vectors[{i}]"), name))?;
                vectors.insert(name.clone(), v);
            }
            points.push(NewPoint {
                id,
                vectors,
                payload: payloads[i].take().unwrap_or_default(),
            });
        }
        Ok(points)
    }
}

/// Which points an operation addresses: listed ids or a filter.
#[derive(Clone, Debug)]
pub enum Selector {
    Ids(Vec<PointId>),
    Filter(Filter),
}

/// The JSON form of a selector: `{"points": [...]}` or `{"filter": {...}}`.
#[derive(Clone, Debug, Deserialize)]
pub struct PointsSelector {
    #[serde(default)]
    pub points: Option<Vec<PointId>>,
    #[serde(default)]
    pub filter: Option<Filter>,
}

fn selector(points: Option<Vec<PointId>>, filter: Option<Filter>) -> Result<Selector> {
    match (points, filter) {
        (Some(ids), None) => Ok(Selector::Ids(ids)),
        (None, Some(f)) => {
            f.validate()?;
            Ok(Selector::Filter(f))
        }
        (Some(_), Some(_)) => Err(Error::Format(
            "Either list of point ids or filter must be provided, not both".into(),
        )),
        (None, None) => Err(Error::Format(
            "Either list of point ids or filter must be provided".into(),
        )),
    }
}

impl PointsSelector {
    pub fn into_selector(self) -> Result<Selector> {
        selector(self.points, self.filter)
    }
}

/// Body of set / overwrite payload.
#[derive(Clone, Debug, Deserialize)]
pub struct SetPayload {
    pub payload: Payload,
    #[serde(default)]
    pub points: Option<Vec<PointId>>,
    #[serde(default)]
    pub filter: Option<Filter>,
    #[serde(default)]
    pub key: Option<JsonPath>,
}

/// Body of delete payload keys.
#[derive(Clone, Debug, Deserialize)]
pub struct DeletePayload {
    pub keys: Vec<JsonPath>,
    #[serde(default)]
    pub points: Option<Vec<PointId>>,
    #[serde(default)]
    pub filter: Option<Filter>,
}

/// One point's new vectors in `PUT /points/vectors`.
#[derive(Clone, Debug, Deserialize)]
pub struct PointVectors {
    pub id: PointId,
    #[serde(alias = "vectors")]
    pub vector: VectorStruct,
}

/// Body of `PUT /points/vectors`.
#[derive(Clone, Debug, Deserialize)]
pub struct UpdateVectors {
    pub points: Vec<PointVectors>,
    #[serde(default)]
    pub update_filter: Option<Filter>,
}

/// Body of `POST /points/vectors/delete`.
#[derive(Clone, Debug, Deserialize)]
pub struct DeleteVectors {
    #[serde(default)]
    pub points: Option<Vec<PointId>>,
    #[serde(default)]
    pub filter: Option<Filter>,
    #[serde(alias = "vectors")]
    pub vector: Vec<String>,
}

/// One entry of `POST /points/batch`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateOperationJson {
    Upsert(PointInsertOperations),
    Delete(PointsSelector),
    SetPayload(SetPayload),
    OverwritePayload(SetPayload),
    DeletePayload(DeletePayload),
    ClearPayload(PointsSelector),
    UpdateVectors(UpdateVectors),
    DeleteVectors(DeleteVectors),
}

/// Body of `POST /points/batch`.
#[derive(Clone, Debug, Deserialize)]
pub struct UpdateOperations {
    pub operations: Vec<UpdateOperationJson>,
}

/// A write the engine applies. Every endpoint that changes points produces one or more of these.
#[derive(Clone, Debug)]
pub enum PointOperation {
    Upsert(Upsert),
    Delete(Selector),
    SetPayload {
        selector: Selector,
        payload: Payload,
        key: Option<JsonPath>,
    },
    OverwritePayload {
        selector: Selector,
        payload: Payload,
    },
    DeletePayload {
        selector: Selector,
        keys: Vec<JsonPath>,
    },
    ClearPayload(Selector),
    UpdateVectors {
        points: Vec<(PointId, NamedVectors)>,
        update_filter: Option<Filter>,
    },
    DeleteVectors {
        selector: Selector,
        names: Vec<String>,
    },
}

impl PointOperation {
    pub fn upsert(body: PointInsertOperations) -> Result<Self> {
        Ok(PointOperation::Upsert(body.into_upsert()?))
    }

    pub fn delete(body: PointsSelector) -> Result<Self> {
        Ok(PointOperation::Delete(body.into_selector()?))
    }

    pub fn set_payload(body: SetPayload) -> Result<Self> {
        Ok(PointOperation::SetPayload {
            selector: selector(body.points, body.filter)?,
            payload: body.payload,
            key: body.key,
        })
    }

    pub fn overwrite_payload(body: SetPayload) -> Result<Self> {
        Ok(PointOperation::OverwritePayload {
            selector: selector(body.points, body.filter)?,
            payload: body.payload,
        })
    }

    pub fn delete_payload(body: DeletePayload) -> Result<Self> {
        Ok(PointOperation::DeletePayload {
            selector: selector(body.points, body.filter)?,
            keys: body.keys,
        })
    }

    pub fn clear_payload(body: PointsSelector) -> Result<Self> {
        Ok(PointOperation::ClearPayload(body.into_selector()?))
    }

    pub fn update_vectors(body: UpdateVectors) -> Result<Self> {
        let points = body
            .points
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let vectors = p.vector.into_named();
                for (name, v) in &vectors {
                    v.validate(&vector_path(&format!("points[{i}].vector"), name))?;
                }
                Ok((p.id, vectors))
            })
            .collect::<Result<Vec<_>>>()?;
        if let Some(f) = &body.update_filter {
            f.validate()?;
        }
        Ok(PointOperation::UpdateVectors {
            points,
            update_filter: body.update_filter,
        })
    }

    pub fn delete_vectors(body: DeleteVectors) -> Result<Self> {
        if body.vector.is_empty() {
            return Err(Error::validation("vector", "must not be empty"));
        }
        Ok(PointOperation::DeleteVectors {
            selector: selector(body.points, body.filter)?,
            names: body.vector,
        })
    }

    pub fn from_json(op: UpdateOperationJson) -> Result<Self> {
        match op {
            UpdateOperationJson::Upsert(b) => Self::upsert(b),
            UpdateOperationJson::Delete(b) => Self::delete(b),
            UpdateOperationJson::SetPayload(b) => Self::set_payload(b),
            UpdateOperationJson::OverwritePayload(b) => Self::overwrite_payload(b),
            UpdateOperationJson::DeletePayload(b) => Self::delete_payload(b),
            UpdateOperationJson::ClearPayload(b) => Self::clear_payload(b),
            UpdateOperationJson::UpdateVectors(b) => Self::update_vectors(b),
            UpdateOperationJson::DeleteVectors(b) => Self::delete_vectors(b),
        }
    }
}
