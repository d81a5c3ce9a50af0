//! Byte layouts of everything Quiver keeps in sled.
//!
//! Keys encode point ids so that sled's byte order equals Qdrant's id order: a tag byte (0 for
//! integers, 1 for UUIDs) then the big-endian integer or the 16 UUID bytes. Every value starts
//! with a format version byte; a value with a version this build does not know is refused (the
//! database is never rewritten by a build that cannot read it).

use serde::{Serialize, de::DeserializeOwned};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::vectors::{SparseVector, Vector};
use crate::model::{Payload, PointId};

/// Format version of metadata values written by this build.
pub const FORMAT_VERSION: u8 = 1;

/// Format version of point values written by this build: 2 tags each vector with its kind
/// (dense, multi-dense, sparse); 1 (dense vectors only) is still read.
pub const POINT_FORMAT_VERSION: u8 = 2;

/// One point as stored: the op number that last wrote it, its vectors by name, its payload.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredPoint {
    pub version: u64,
    pub vectors: Vec<(String, Vector)>,
    pub payload: Payload,
}

pub fn point_key(id: &PointId) -> Vec<u8> {
    match id {
        PointId::Num(n) => {
            let mut k = Vec::with_capacity(9);
            k.push(0);
            k.extend_from_slice(&n.to_be_bytes());
            k
        }
        PointId::Uuid(u) => {
            let mut k = Vec::with_capacity(17);
            k.push(1);
            k.extend_from_slice(u.as_bytes());
            k
        }
    }
}

pub fn decode_point_key(key: &[u8]) -> Result<PointId> {
    match key {
        [0, rest @ ..] if rest.len() == 8 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(rest);
            Ok(PointId::Num(u64::from_be_bytes(b)))
        }
        [1, rest @ ..] if rest.len() == 16 => Ok(PointId::Uuid(
            Uuid::from_slice(rest).map_err(|e| corrupt(&e.to_string()))?,
        )),
        _ => Err(corrupt("point key has an unknown layout")),
    }
}

fn corrupt(what: &str) -> Error {
    Error::Internal(format!(
        "stored data is corrupt or from another version: {what}"
    ))
}

/// Layout: version u8 | point version u64 LE | vector count u16 LE |
/// per vector: name length u16 LE, name bytes, kind u8, then by kind —
/// dense (0): dim u32 LE, dim × f32 LE; multi-dense (1): dim u32 LE, count u32 LE,
/// count × dim × f32 LE; sparse (2): n u32 LE, n × u32 LE indices, n × f32 LE values |
/// payload JSON. (Format 1 had no kind byte: every vector was dense.)
pub fn encode_point(p: &StoredPoint) -> Result<Vec<u8>> {
    let floats: usize = p
        .vectors
        .iter()
        .map(|(n, v)| {
            n.len()
                + 11
                + match v {
                    Vector::Dense(d) => d.len() * 4,
                    Vector::Multi(m) => m.iter().map(|d| d.len() * 4).sum(),
                    Vector::Sparse(s) => s.indices.len() * 8,
                }
        })
        .sum();
    let mut out = Vec::with_capacity(11 + floats + 64);
    out.push(POINT_FORMAT_VERSION);
    out.extend_from_slice(&p.version.to_le_bytes());
    let count =
        u16::try_from(p.vectors.len()).map_err(|_| Error::BadInput("too many vectors".into()))?;
    out.extend_from_slice(&count.to_le_bytes());
    for (name, v) in &p.vectors {
        let len = u16::try_from(name.len()).map_err(|_| {
            Error::BadInput(format!("vector name is too long: {} bytes", name.len()))
        })?;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        let floats = |out: &mut Vec<u8>, xs: &[f32]| {
            for x in xs {
                out.extend_from_slice(&x.to_le_bytes());
            }
        };
        match v {
            Vector::Dense(d) => {
                out.push(0);
                out.extend_from_slice(&(d.len() as u32).to_le_bytes());
                floats(&mut out, d);
            }
            Vector::Multi(m) => {
                out.push(1);
                let dim = m.first().map_or(0, Vec::len);
                out.extend_from_slice(&(dim as u32).to_le_bytes());
                out.extend_from_slice(&(m.len() as u32).to_le_bytes());
                for d in m {
                    floats(&mut out, d);
                }
            }
            Vector::Sparse(s) => {
                out.push(2);
                out.extend_from_slice(&(s.indices.len() as u32).to_le_bytes());
                for i in &s.indices {
                    out.extend_from_slice(&i.to_le_bytes());
                }
                floats(&mut out, &s.values);
            }
        }
    }
    serde_json::to_writer(&mut out, &p.payload)
        .map_err(|e| Error::Internal(format!("cannot encode payload: {e}")))?;
    Ok(out)
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(corrupt("point value is truncated"));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn floats(&mut self, n: usize) -> Result<Vec<f32>> {
        let raw = self.take(n.checked_mul(4).ok_or_else(|| corrupt("vector too long"))?)?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
}

pub fn decode_point(bytes: &[u8]) -> Result<StoredPoint> {
    let mut r = Reader { bytes };
    let version_byte = r.take(1)?[0];
    if version_byte != 1 && version_byte != POINT_FORMAT_VERSION {
        return Err(corrupt(&format!(
            "point value has format version {version_byte}, this build reads 1 and \
             {POINT_FORMAT_VERSION}"
        )));
    }
    let version = r.u64()?;
    let count = r.u16()?;
    let mut vectors = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let len = r.u16()? as usize;
        let name = std::str::from_utf8(r.take(len)?)
            .map_err(|_| corrupt("vector name is not UTF-8"))?
            .to_string();
        let kind = if version_byte == 1 { 0 } else { r.take(1)?[0] };
        let v = match kind {
            0 => {
                let dim = r.u32()? as usize;
                Vector::Dense(r.floats(dim)?)
            }
            1 => {
                let dim = r.u32()? as usize;
                let count = r.u32()? as usize;
                let mut m = Vec::with_capacity(count.min(1 << 16));
                for _ in 0..count {
                    m.push(r.floats(dim)?);
                }
                Vector::Multi(m)
            }
            2 => {
                let n = r.u32()? as usize;
                let raw = r.take(n.checked_mul(4).ok_or_else(|| corrupt("vector too long"))?)?;
                let indices = raw
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                Vector::Sparse(SparseVector {
                    indices,
                    values: r.floats(n)?,
                })
            }
            k => return Err(corrupt(&format!("unknown vector kind {k}"))),
        };
        vectors.push((name, v));
    }
    let payload: Payload =
        serde_json::from_slice(r.bytes).map_err(|e| corrupt(&format!("payload: {e}")))?;
    Ok(StoredPoint {
        version,
        vectors,
        payload,
    })
}

/// Metadata values (collection configs, aliases): version byte then JSON.
pub fn encode_meta<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut out = vec![FORMAT_VERSION];
    serde_json::to_writer(&mut out, value)
        .map_err(|e| Error::Internal(format!("cannot encode metadata: {e}")))?;
    Ok(out)
}

pub fn decode_meta<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    match bytes.split_first() {
        Some((&FORMAT_VERSION, json)) => {
            serde_json::from_slice(json).map_err(|e| corrupt(&format!("metadata: {e}")))
        }
        Some((v, _)) => Err(corrupt(&format!(
            "metadata has format version {v}, this build reads {FORMAT_VERSION}"
        ))),
        None => Err(corrupt("empty metadata value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_round_trips() {
        let mut payload = Payload::new();
        payload.insert("city".into(), "Berlin".into());
        let p = StoredPoint {
            version: 7,
            vectors: vec![
                ("".into(), Vector::Dense(vec![0.5, -1.0])),
                ("img".into(), Vector::Dense(vec![3.0])),
                (
                    "colbert".into(),
                    Vector::Multi(vec![vec![1.0, 2.0], vec![3.0, 4.0]]),
                ),
                (
                    "text".into(),
                    Vector::Sparse(SparseVector {
                        indices: vec![3, 70000],
                        values: vec![0.25, -2.0],
                    }),
                ),
            ],
            payload,
        };
        assert_eq!(decode_point(&encode_point(&p).unwrap()).unwrap(), p);
    }

    #[test]
    fn format_1_points_still_read() {
        // version 1 | op 5 | one vector "" of dim 1 = 2.0 | payload {}
        let mut bytes = vec![1];
        bytes.extend_from_slice(&5u64.to_le_bytes());
        bytes.extend_from_slice(&1u16.to_le_bytes());
        bytes.extend_from_slice(&0u16.to_le_bytes());
        bytes.extend_from_slice(&1u32.to_le_bytes());
        bytes.extend_from_slice(&2.0f32.to_le_bytes());
        bytes.extend_from_slice(b"{}");
        let p = decode_point(&bytes).unwrap();
        assert_eq!(p.vectors, vec![("".into(), Vector::Dense(vec![2.0]))]);
    }

    #[test]
    fn key_order_is_id_order() {
        let ids = [
            PointId::Num(1),
            PointId::Num(256),
            PointId::Uuid(Uuid::from_u128(1)),
            PointId::Uuid(Uuid::from_u128(u128::MAX)),
        ];
        let keys: Vec<_> = ids.iter().map(point_key).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        for (id, k) in ids.iter().zip(&keys) {
            assert_eq!(&decode_point_key(k).unwrap(), id);
        }
    }

    #[test]
    fn unknown_format_version_is_refused() {
        assert!(decode_point(&[9, 0, 0]).is_err());
        assert!(decode_meta::<serde_json::Value>(&[9, b'1']).is_err());
    }
}
