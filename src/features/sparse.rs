//! Sparse rows and a compressed sparse row (CSR) matrix that linfa accepts as records.

use linfa::dataset::Records;

/// One sparse row: parallel lists of feature indices and values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVec {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

impl SparseVec {
    /// Empties the row for reuse.
    pub fn clear(&mut self) {
        self.indices.clear();
        self.values.clear();
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }
}

/// A CSR matrix of f32 values.
#[derive(Debug, Clone, Default)]
pub struct CsrMatrix {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
    ncols: usize,
}

impl CsrMatrix {
    /// An empty matrix with `ncols` columns.
    pub fn new(ncols: usize) -> Self {
        CsrMatrix {
            indptr: vec![0],
            indices: Vec::new(),
            values: Vec::new(),
            ncols,
        }
    }

    /// An empty matrix with room for `rows` rows and `nnz` stored entries.
    pub fn with_capacity(ncols: usize, rows: usize, nnz: usize) -> Self {
        let mut indptr = Vec::with_capacity(rows + 1);
        indptr.push(0);
        CsrMatrix {
            indptr,
            indices: Vec::with_capacity(nnz),
            values: Vec::with_capacity(nnz),
            ncols,
        }
    }

    /// Appends a row.
    pub fn push(&mut self, row: &SparseVec) {
        self.indices.extend_from_slice(&row.indices);
        self.values.extend_from_slice(&row.values);
        self.indptr.push(self.indices.len());
    }

    /// Appends all rows of another matrix with the same columns.
    pub fn append(&mut self, other: &CsrMatrix) {
        let base = self.indices.len();
        self.indices.extend_from_slice(&other.indices);
        self.values.extend_from_slice(&other.values);
        self.indptr
            .extend(other.indptr[1..].iter().map(|&p| p + base));
    }

    /// Number of rows.
    pub fn nrows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Number of columns.
    pub fn ncols(&self) -> usize {
        self.ncols
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Row `i` as index and value slices.
    #[inline]
    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (s, e) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[s..e], &self.values[s..e])
    }

    /// A copy with every column `j` multiplied by `scale[j]`.
    pub fn scale_columns(&self, scale: &[f32]) -> CsrMatrix {
        let values = self
            .indices
            .iter()
            .zip(&self.values)
            .map(|(&j, &v)| v * scale[j as usize])
            .collect();
        CsrMatrix {
            indptr: self.indptr.clone(),
            indices: self.indices.clone(),
            values,
            ncols: self.ncols,
        }
    }

    /// Builds a matrix from dense rows (for tests and small fixtures).
    pub fn from_dense(rows: &[Vec<f32>]) -> Self {
        let ncols = rows.first().map_or(0, Vec::len);
        let mut m = CsrMatrix::new(ncols);
        for r in rows {
            let mut v = SparseVec::default();
            for (j, &x) in r.iter().enumerate() {
                if x != 0.0 {
                    v.indices.push(j as u32);
                    v.values.push(x);
                }
            }
            m.push(&v);
        }
        m
    }
}

impl Records for CsrMatrix {
    type Elem = f32;

    fn nsamples(&self) -> usize {
        self.nrows()
    }

    fn nfeatures(&self) -> usize {
        self.ncols
    }
}

/// A selection of rows of a CSR matrix, used to train one label on the rows that carry it.
#[derive(Debug, Clone, Copy)]
pub struct RowSubset<'a> {
    pub matrix: &'a CsrMatrix,
    pub rows: &'a [u32],
}

impl<'a> RowSubset<'a> {
    /// Row `i` of the subset.
    #[inline]
    pub fn row(&self, i: usize) -> (&'a [u32], &'a [f32]) {
        self.matrix.row(self.rows[i] as usize)
    }
}

impl Records for RowSubset<'_> {
    type Elem = f32;

    fn nsamples(&self) -> usize {
        self.rows.len()
    }

    fn nfeatures(&self) -> usize {
        self.matrix.ncols()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_and_report_shape() {
        let m = CsrMatrix::from_dense(&[vec![0.0, 1.0, 0.0], vec![2.0, 0.0, 3.0]]);
        assert_eq!((m.nsamples(), m.nfeatures(), m.nnz()), (2, 3, 3));
        assert_eq!(m.row(1), (&[0u32, 2][..], &[2.0f32, 3.0][..]));
        let mut both = m.clone();
        both.append(&m);
        assert_eq!(both.nrows(), 4);
        assert_eq!(both.row(3), m.row(1));
        let sub = RowSubset {
            matrix: &both,
            rows: &[3],
        };
        assert_eq!(sub.nsamples(), 1);
        assert_eq!(sub.row(0), m.row(1));
    }
}
