//! Our own flat layout of an HNSW graph over `u32` offsets.
//!
//! The layout is independent of whichever library built the graph: a builder hands over, for
//! every node, its top layer and its neighbour lists, and [`HnswGraph::from_links`] packs them.
//! Layer 0 is dense (indexed directly by offset, one entry per offset below [`HnswGraph::len`])
//! and has a fixed stride per node, like hnswlib's level-0 block: the degree, then up to
//! `max_degree` neighbours, contiguous, so finding a node's list is one multiplication and one
//! cache line rather than a lookup in an offsets array and then a second, distant read. Upper
//! layers hold few nodes (about `1/m` of the layer below), so they keep compressed sparse rows, a
//! sorted list of their nodes, and find a node's row by binary search. The search loop only ever
//! asks for "the neighbours of node `n` on layer `l`".

/// Neighbour lists in compressed sparse row form: the neighbours of row `i` are
/// `targets[starts[i]..starts[i + 1]]`.
#[derive(Clone, Debug, Default)]
pub(super) struct Adjacency {
    pub(super) starts: Vec<usize>,
    pub(super) targets: Vec<u32>,
}

impl Adjacency {
    pub(super) fn with_rows(rows: usize) -> Self {
        let mut starts = Vec::with_capacity(rows + 1);
        starts.push(0);
        Adjacency {
            starts,
            targets: Vec::new(),
        }
    }

    pub(super) fn push_row(&mut self, row: &[u32]) {
        self.targets.extend_from_slice(row);
        self.starts.push(self.targets.len());
    }

    #[inline]
    pub(super) fn row(&self, i: usize) -> &[u32] {
        &self.targets[self.starts[i]..self.starts[i + 1]]
    }
}

/// Layer 0: for node `i`, `slots[i * stride]` is its degree `d` and its neighbours follow in
/// `slots[i * stride + 1..][..d]`; `stride` is one more than the largest degree.
#[derive(Clone, Debug, Default)]
pub(super) struct BaseLayer {
    len: usize,
    stride: usize,
    slots: Vec<u32>,
}

impl BaseLayer {
    /// Packs `rows` (node `i`'s neighbours at position `i`).
    pub(super) fn from_rows<'a>(rows: impl Iterator<Item = &'a [u32]> + Clone) -> Self {
        let max_degree = rows.clone().map(<[u32]>::len).max().unwrap_or(0);
        let stride = max_degree + 1;
        let mut slots = Vec::with_capacity(rows.clone().count() * stride);
        crate::index::huge_pages::advise(&slots);
        let mut len = 0;
        for row in rows {
            slots.push(row.len() as u32);
            slots.extend_from_slice(row);
            slots.resize(slots.len() + max_degree - row.len(), 0);
            len += 1;
        }
        BaseLayer { len, stride, slots }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The neighbours of node `i < len()`.
    #[inline]
    pub(super) fn row(&self, i: usize) -> &[u32] {
        let slots = &self.slots[i * self.stride..(i + 1) * self.stride];
        &slots[1..1 + slots[0] as usize]
    }

    /// Where node `i`'s list starts, for a prefetch (the degree and the first neighbours share
    /// its first cache line).
    #[inline]
    pub(super) fn row_start(&self, i: usize) -> Option<&u32> {
        self.slots.get(i * self.stride)
    }

    pub(super) fn rows(&self) -> impl Iterator<Item = &[u32]> + Clone {
        (0..self.len).map(|i| self.row(i))
    }

    fn memory_bytes(&self) -> usize {
        self.slots.len() * 4
    }
}

/// One layer above the base: the nodes present (sorted offsets) and their neighbours.
#[derive(Clone, Debug, Default)]
pub(super) struct UpperLayer {
    pub(super) nodes: Vec<u32>,
    pub(super) adjacency: Adjacency,
}

/// What a builder reports for one node: its top layer and its neighbours on each layer
/// `0..=top` (`neighbours[l]` for layer `l`). Offsets outside the graph are dropped on packing.
#[derive(Clone, Debug, Default)]
pub struct NodeLinks {
    pub top_layer: usize,
    pub neighbours: Vec<Vec<u32>>,
}

/// A built HNSW graph over the offsets `0..len()` of one vector store.
#[derive(Clone, Debug, Default)]
pub struct HnswGraph {
    pub(super) base: BaseLayer,
    pub(super) upper: Vec<UpperLayer>,
    pub(super) entry_point: Option<u32>,
}

impl HnswGraph {
    /// Packs per-node links (index = offset) into the flat layout. `entry_point` must be a node
    /// on the top layer; when it is `None` (or not a node) the first node found on the highest
    /// non-empty layer is used.
    pub fn from_links(links: &[NodeLinks], entry_point: Option<u32>) -> HnswGraph {
        let len = links.len();
        let in_graph = |t: &u32| (*t as usize) < len;
        let mut layer0 = Adjacency::with_rows(len);
        let mut row = Vec::new();
        for node in links {
            row.clear();
            if let Some(first) = node.neighbours.first() {
                row.extend(first.iter().copied().filter(in_graph));
            }
            layer0.push_row(&row);
        }
        let base = BaseLayer::from_rows((0..len).map(|i| layer0.row(i)));
        let max_layer = links.iter().map(|n| n.top_layer).max().unwrap_or(0);
        let mut upper = Vec::with_capacity(max_layer);
        for layer in 1..=max_layer {
            let nodes: Vec<u32> = (0..len as u32)
                .filter(|&o| links[o as usize].top_layer >= layer)
                .collect();
            let mut adjacency = Adjacency::with_rows(nodes.len());
            for &node in &nodes {
                row.clear();
                if let Some(list) = links[node as usize].neighbours.get(layer) {
                    // A neighbour on layer `l` is itself on layer `l`; keep only those, so the
                    // walk on an upper layer never needs a row the layer does not have.
                    row.extend(
                        list.iter()
                            .copied()
                            .filter(|t| in_graph(t) && links[*t as usize].top_layer >= layer),
                    );
                }
                adjacency.push_row(&row);
            }
            upper.push(UpperLayer { nodes, adjacency });
        }
        let top_nodes = upper.last().map_or(&[][..], |l| &l.nodes[..]);
        let entry_point = match entry_point {
            Some(e) if (e as usize) < len && links[e as usize].top_layer == max_layer => Some(e),
            _ if max_layer > 0 => top_nodes.first().copied(),
            _ => (len > 0).then_some(0),
        };
        HnswGraph {
            base,
            upper,
            entry_point,
        }
    }

    /// Number of offsets the graph covers (`0..len()`); later offsets are not in it.
    pub fn len(&self) -> usize {
        self.base.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The highest layer (0 when the graph has only the base layer).
    pub fn max_layer(&self) -> usize {
        self.upper.len()
    }

    /// Where every search starts: a node on the highest layer.
    pub fn entry_point(&self) -> Option<u32> {
        self.entry_point
    }

    /// The neighbours of `node` on `layer`; empty when the node is not on that layer.
    #[inline]
    pub fn neighbours(&self, layer: usize, node: u32) -> &[u32] {
        if layer == 0 {
            if (node as usize) < self.len() {
                return self.base.row(node as usize);
            }
            return &[];
        }
        let Some(upper) = self.upper.get(layer - 1) else {
            return &[];
        };
        match upper.nodes.binary_search(&node) {
            Ok(i) => upper.adjacency.row(i),
            Err(_) => &[],
        }
    }

    /// The neighbours of `node` on layer 0, which every node of the graph is on (`node <
    /// len()`); the search loop's hot path.
    #[inline]
    pub(super) fn base_neighbours(&self, node: u32) -> &[u32] {
        self.base.row(node as usize)
    }

    /// Asks the CPU to start loading `node`'s layer-0 list.
    #[inline]
    pub(super) fn prefetch_base_neighbours(&self, node: u32) {
        if let Some(start) = self.base.row_start(node as usize) {
            super::scorer::prefetch_start(std::slice::from_ref(start));
        }
    }

    /// Whether `node` is on `layer` (every node of the graph is on layer 0).
    pub fn in_layer(&self, layer: usize, node: u32) -> bool {
        match layer {
            0 => (node as usize) < self.len(),
            l => self
                .upper
                .get(l - 1)
                .is_some_and(|u| u.nodes.binary_search(&node).is_ok()),
        }
    }

    /// Number of nodes on `layer`.
    pub fn layer_len(&self, layer: usize) -> usize {
        match layer {
            0 => self.len(),
            l => self.upper.get(l - 1).map_or(0, |u| u.nodes.len()),
        }
    }

    /// Heap bytes held by the layout (adjacency and indexes), for telemetry and benchmarks.
    pub fn memory_bytes(&self) -> usize {
        let adjacency =
            |a: &Adjacency| a.starts.len() * std::mem::size_of::<usize>() + a.targets.len() * 4;
        self.base.memory_bytes()
            + self
                .upper
                .iter()
                .map(|u| u.nodes.len() * 4 + adjacency(&u.adjacency))
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(top_layer: usize, neighbours: &[&[u32]]) -> NodeLinks {
        NodeLinks {
            top_layer,
            neighbours: neighbours.iter().map(|l| l.to_vec()).collect(),
        }
    }

    #[test]
    fn packs_layers_and_finds_rows() {
        let graph = HnswGraph::from_links(
            &[
                links(1, &[&[1, 2], &[2]]),
                links(0, &[&[0]]),
                links(1, &[&[0, 1], &[0]]),
            ],
            Some(2),
        );
        assert_eq!(graph.len(), 3);
        assert_eq!(graph.max_layer(), 1);
        assert_eq!(graph.entry_point(), Some(2));
        assert_eq!(graph.neighbours(0, 0), &[1, 2]);
        assert_eq!(graph.neighbours(0, 1), &[0]);
        assert_eq!(graph.neighbours(1, 0), &[2]);
        assert_eq!(graph.neighbours(1, 1), &[] as &[u32]);
        assert_eq!(graph.layer_len(1), 2);
    }

    #[test]
    fn drops_links_outside_the_graph_or_the_layer() {
        let graph =
            HnswGraph::from_links(&[links(1, &[&[1, 7], &[1, 3]]), links(0, &[&[0]])], None);
        assert_eq!(graph.neighbours(0, 0), &[1]);
        assert_eq!(graph.neighbours(1, 0), &[] as &[u32]);
        assert_eq!(graph.entry_point(), Some(0));
    }

    #[test]
    fn empty_graph_has_no_entry_point() {
        let graph = HnswGraph::from_links(&[], None);
        assert!(graph.is_empty());
        assert_eq!(graph.entry_point(), None);
        assert_eq!(graph.neighbours(0, 0), &[] as &[u32]);
    }
}
