//! The on-disk form of one HNSW graph: a versioned, checksummed byte layout of [`HnswGraph`]
//! with its rows named by point id instead of by offset.
//!
//! Offsets are the point table's and are renumbered on every start-up, so a graph saved by offset
//! alone would be meaningless after a restart. Each row therefore carries the point id that held
//! it when the graph was saved and a [`fingerprint`] of that point's vector (or a mark that the
//! row was a tombstone, or that the point had no vector of this name). Whoever loads the file
//! decides which rows still describe the stored points; this module only encodes, decodes and
//! checks integrity. It never touches the file system (storage does, engine decides).
//!
//! Layout (all integers little-endian), format version [`GRAPH_FORMAT_VERSION`]:
//!
//! ```text
//! magic "QVRHNSW\0" | format u32 | distance u8 | dim u32 | m u64 | ef_construct u64
//! | rows u32 | upper layers u32 | entry point u32 (u32::MAX = none)
//! | per row: kind u8 (0 tombstone, 1 point without this vector, 2 point with it)
//!            id tag u8 (0 integer, 1 UUID) | 16 id bytes | fingerprint u32
//! | layer 0: per row degree u32, then the targets u32
//! | per upper layer: node count u32, nodes u32 (ascending), per node degree u32, targets u32
//! | CRC-32 of every byte before it, u32
//! ```
//!
//! [`GraphFile::decode`] refuses a file whose length, checksum, magic or version is wrong, or
//! whose arrays point outside the graph, so a half-written or foreign file can never be searched.

use uuid::Uuid;

use crate::index::hnsw::graph::{Adjacency, BaseLayer, HnswGraph, UpperLayer};
use crate::model::PointId;
use crate::model::vectors::Distance;

/// Format version of graph files written by this build; other versions are ignored on load.
pub const GRAPH_FORMAT_VERSION: u32 = 1;

const MAGIC: &[u8; 8] = b"QVRHNSW\0";
const NO_ENTRY: u32 = u32::MAX;

/// What a graph was built for; a file is only reused when all of it still holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphFileHeader {
    pub distance: Distance,
    pub dim: u32,
    pub m: u64,
    pub ef_construct: u64,
}

/// One row of a saved graph (the row's offset is its position).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SavedRow {
    /// A tombstone when the graph was saved: nothing may be found through it.
    Dead,
    /// A live point; `fingerprint` is that of its vector of this name, `None` if it had none.
    Point {
        id: PointId,
        fingerprint: Option<u32>,
    },
}

/// A graph and the rows it was saved with.
#[derive(Clone, Debug)]
pub struct GraphFile {
    pub header: GraphFileHeader,
    /// One entry per offset of `graph` (`rows.len() == graph.len()`).
    pub rows: Vec<SavedRow>,
    pub graph: HnswGraph,
}

/// Identifies a vector's content: a CRC-32 of its `f32` bits. Two different vectors collide with
/// probability about 2^-32; a collision keeps a row whose vector changed in the graph, which
/// costs recall for that one point, never a wrong score (scores are computed from the store).
pub fn fingerprint(vector: &[f32]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    for x in vector {
        hasher.update(&x.to_bits().to_le_bytes());
    }
    hasher.finalize()
}

fn distance_code(d: Distance) -> u8 {
    match d {
        Distance::Cosine => 0,
        Distance::Euclid => 1,
        Distance::Dot => 2,
        Distance::Manhattan => 3,
    }
}

fn distance_from_code(c: u8) -> Option<Distance> {
    Some(match c {
        0 => Distance::Cosine,
        1 => Distance::Euclid,
        2 => Distance::Dot,
        3 => Distance::Manhattan,
        _ => return None,
    })
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// Every row's degree, then every row's targets (the same bytes for layer 0's fixed-stride
    /// layout and for the upper layers' sparse rows).
    fn rows<'r>(&mut self, rows: impl Iterator<Item = &'r [u32]> + Clone) {
        for row in rows.clone() {
            self.u32(row.len() as u32);
        }
        for &t in rows.flatten() {
            self.u32(t);
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| "truncated".to_string())?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, String> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }
    /// A count that must fit in the bytes left (each counted item takes `item_bytes`), so that a
    /// corrupt count cannot make the decoder allocate without bound.
    fn count(&mut self, item_bytes: usize) -> Result<usize, String> {
        let n = self.u32()? as usize;
        if n.saturating_mul(item_bytes) > self.bytes.len() - self.at {
            return Err("a count runs past the end".into());
        }
        Ok(n)
    }
    /// `rows` degrees then their targets, each target below `limit`.
    fn adjacency(&mut self, rows: usize, limit: usize) -> Result<Adjacency, String> {
        let mut adjacency = Adjacency::with_rows(rows);
        let mut degrees = Vec::with_capacity(rows);
        let mut total = 0usize;
        for _ in 0..rows {
            let d = self.u32()? as usize;
            total = total.saturating_add(d);
            degrees.push(d);
        }
        if total.saturating_mul(4) > self.bytes.len() - self.at {
            return Err("neighbour lists run past the end".into());
        }
        let mut row = Vec::new();
        for d in degrees {
            row.clear();
            for _ in 0..d {
                let t = self.u32()?;
                if t as usize >= limit {
                    return Err(format!("neighbour {t} outside the graph"));
                }
                row.push(t);
            }
            adjacency.push_row(&row);
        }
        Ok(adjacency)
    }
}

/// The bytes of a graph file for `graph` saved with `rows` (one per offset), checksum included.
/// Takes the parts by reference so that a graph being served can be saved without a copy.
pub fn encode(header: &GraphFileHeader, rows: &[SavedRow], graph: &HnswGraph) -> Vec<u8> {
    debug_assert_eq!(rows.len(), graph.len());
    let mut w = Writer(Vec::with_capacity(
        64 + rows.len() * 26 + graph.memory_bytes(),
    ));
    w.0.extend_from_slice(MAGIC);
    w.u32(GRAPH_FORMAT_VERSION);
    w.u8(distance_code(header.distance));
    w.u32(header.dim);
    w.u64(header.m);
    w.u64(header.ef_construct);
    w.u32(rows.len() as u32);
    w.u32(graph.upper.len() as u32);
    w.u32(graph.entry_point.unwrap_or(NO_ENTRY));
    for row in rows {
        let (kind, id, fp) = match row {
            SavedRow::Dead => (0, None, 0),
            SavedRow::Point {
                id,
                fingerprint: None,
            } => (1, Some(id), 0),
            SavedRow::Point {
                id,
                fingerprint: Some(fp),
            } => (2, Some(id), *fp),
        };
        w.u8(kind);
        let mut bytes = [0u8; 16];
        let tag = match id {
            None | Some(PointId::Num(_)) => 0,
            Some(PointId::Uuid(_)) => 1,
        };
        match id {
            Some(PointId::Num(n)) => bytes[..8].copy_from_slice(&n.to_le_bytes()),
            Some(PointId::Uuid(u)) => bytes.copy_from_slice(u.as_bytes()),
            None => {}
        }
        w.u8(tag);
        w.0.extend_from_slice(&bytes);
        w.u32(fp);
    }
    w.rows(graph.base.rows());
    for layer in &graph.upper {
        w.u32(layer.nodes.len() as u32);
        for &n in &layer.nodes {
            w.u32(n);
        }
        w.rows((0..layer.nodes.len()).map(|i| layer.adjacency.row(i)));
    }
    let crc = crc32fast::hash(&w.0);
    w.u32(crc);
    w.0
}

impl GraphFile {
    /// The file's bytes, checksum included.
    pub fn encode(&self) -> Vec<u8> {
        encode(&self.header, &self.rows, &self.graph)
    }

    /// Reads a file written by [`GraphFile::encode`]; the error says why it cannot be used.
    pub fn decode(bytes: &[u8]) -> Result<GraphFile, String> {
        if bytes.len() < MAGIC.len() + 8 {
            return Err("too short to be a graph file".into());
        }
        let (body, trailer) = bytes.split_at(bytes.len() - 4);
        let stored = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
        if &body[..MAGIC.len()] != MAGIC {
            return Err("not a Quiver graph file".into());
        }
        let mut r = Reader {
            bytes: body,
            at: MAGIC.len(),
        };
        let version = r.u32()?;
        if version != GRAPH_FORMAT_VERSION {
            return Err(format!(
                "format version {version}, this build reads {GRAPH_FORMAT_VERSION}"
            ));
        }
        if crc32fast::hash(body) != stored {
            return Err("checksum mismatch (incomplete or damaged file)".into());
        }
        let distance = r.u8()?;
        let distance =
            distance_from_code(distance).ok_or_else(|| format!("unknown distance {distance}"))?;
        let header = GraphFileHeader {
            distance,
            dim: r.u32()?,
            m: r.u64()?,
            ef_construct: r.u64()?,
        };
        let len = r.count(26)?;
        let layers = r.count(4)?;
        let entry = r.u32()?;
        let mut rows = Vec::with_capacity(len);
        for _ in 0..len {
            let kind = r.u8()?;
            let tag = r.u8()?;
            let raw = r.take(16)?;
            let fp = r.u32()?;
            let id = match tag {
                0 => {
                    let mut n = [0u8; 8];
                    n.copy_from_slice(&raw[..8]);
                    PointId::Num(u64::from_le_bytes(n))
                }
                1 => PointId::Uuid(Uuid::from_slice(raw).map_err(|e| e.to_string())?),
                t => return Err(format!("unknown id tag {t}")),
            };
            rows.push(match kind {
                0 => SavedRow::Dead,
                1 => SavedRow::Point {
                    id,
                    fingerprint: None,
                },
                2 => SavedRow::Point {
                    id,
                    fingerprint: Some(fp),
                },
                k => return Err(format!("unknown row kind {k}")),
            });
        }
        let layer0 = r.adjacency(len, len)?;
        let base = BaseLayer::from_rows((0..len).map(|i| layer0.row(i)));
        let mut upper = Vec::with_capacity(layers);
        for _ in 0..layers {
            let count = r.count(8)?;
            let mut nodes = Vec::with_capacity(count);
            for _ in 0..count {
                let n = r.u32()?;
                if n as usize >= len || nodes.last().is_some_and(|&prev| prev >= n) {
                    return Err("layer nodes out of order or outside the graph".into());
                }
                nodes.push(n);
            }
            let adjacency = r.adjacency(count, len)?;
            upper.push(UpperLayer { nodes, adjacency });
        }
        if r.at != body.len() {
            return Err("trailing bytes".into());
        }
        let entry_point = match entry {
            NO_ENTRY => None,
            e if (e as usize) < len => Some(e),
            e => return Err(format!("entry point {e} outside the graph")),
        };
        Ok(GraphFile {
            header,
            rows,
            graph: HnswGraph {
                base,
                upper,
                entry_point,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::hnsw::graph::NodeLinks;

    fn sample() -> GraphFile {
        let links = |top: usize, n: &[&[u32]]| NodeLinks {
            top_layer: top,
            neighbours: n.iter().map(|l| l.to_vec()).collect(),
        };
        let graph = HnswGraph::from_links(
            &[
                links(1, &[&[1, 2], &[2]]),
                links(0, &[&[0, 3]]),
                links(1, &[&[0, 1], &[0]]),
                links(0, &[&[1]]),
            ],
            Some(2),
        );
        GraphFile {
            header: GraphFileHeader {
                distance: Distance::Euclid,
                dim: 3,
                m: 16,
                ef_construct: 100,
            },
            rows: vec![
                SavedRow::Point {
                    id: PointId::Num(7),
                    fingerprint: Some(fingerprint(&[1.0, 2.0, 3.0])),
                },
                SavedRow::Dead,
                SavedRow::Point {
                    id: PointId::Uuid(Uuid::from_u128(0xabc)),
                    fingerprint: None,
                },
                SavedRow::Point {
                    id: PointId::Num(u64::MAX),
                    fingerprint: Some(0),
                },
            ],
            graph,
        }
    }

    #[test]
    fn a_graph_file_reads_back_as_written() {
        let file = sample();
        let back = GraphFile::decode(&file.encode()).unwrap();
        assert_eq!(back.header, file.header);
        assert_eq!(back.rows, file.rows);
        assert_eq!(back.graph.len(), 4);
        assert_eq!(back.graph.entry_point(), Some(2));
        for layer in 0..=1 {
            for node in 0..4 {
                assert_eq!(
                    back.graph.neighbours(layer, node),
                    file.graph.neighbours(layer, node)
                );
            }
        }
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_refused() {
        let bytes = sample().encode();
        for cut in 0..bytes.len() {
            assert!(GraphFile::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x10;
            assert!(GraphFile::decode(&damaged).is_err(), "byte {i}");
        }
    }

    #[test]
    fn another_format_version_is_refused_by_name() {
        let mut bytes = sample().encode();
        bytes[8] = 2;
        let error = GraphFile::decode(&bytes).unwrap_err();
        assert!(error.contains("format version 2"), "{error}");
    }

    #[test]
    fn fingerprints_tell_vectors_apart() {
        assert_eq!(fingerprint(&[1.0, 2.0]), fingerprint(&[1.0, 2.0]));
        assert_ne!(fingerprint(&[1.0, 2.0]), fingerprint(&[2.0, 1.0]));
        assert_ne!(fingerprint(&[0.0]), fingerprint(&[-0.0]));
    }
}
