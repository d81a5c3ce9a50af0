//! Contiguous storage of one named dense vector for every offset of a collection.
//!
//! Rows are `dim` `f32`s laid end to end so that scans stream through memory. A point that has no
//! vector of this name (or whose vector was deleted) keeps a zeroed row marked absent.

/// All vectors of one name, indexed by offset.
#[derive(Clone, Debug)]
pub struct VectorStore {
    dim: usize,
    data: Vec<f32>,
    present: Vec<bool>,
}

impl VectorStore {
    pub fn new(dim: usize) -> Self {
        VectorStore {
            dim,
            data: Vec::new(),
            present: Vec::new(),
        }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of offsets (rows), present or not.
    pub fn len(&self) -> usize {
        self.present.len()
    }

    pub fn is_empty(&self) -> bool {
        self.present.is_empty()
    }

    /// Appends a row for the next offset. `vector` must have `dim` components when given.
    pub fn push(&mut self, vector: Option<&[f32]>) {
        match vector {
            Some(v) => {
                debug_assert_eq!(v.len(), self.dim);
                self.data.extend_from_slice(v);
                self.present.push(true);
            }
            None => {
                self.data.resize(self.data.len() + self.dim, 0.0);
                self.present.push(false);
            }
        }
    }

    /// Marks the row at `offset` absent (the point lost this vector).
    pub fn clear(&mut self, offset: u32) {
        if let Some(p) = self.present.get_mut(offset as usize) {
            *p = false;
        }
    }

    /// The vector at `offset`, if the point has one.
    #[inline]
    pub fn get(&self, offset: u32) -> Option<&[f32]> {
        let i = offset as usize;
        if *self.present.get(i)? {
            Some(&self.data[i * self.dim..(i + 1) * self.dim])
        } else {
            None
        }
    }
}
