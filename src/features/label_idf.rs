//! IDF per label: when the input files carry different labels, a label's classifier weighs
//! each feature by its IDF over the rows that carry the label instead of over all rows.
//!
//! The vectorised rows carry the corpus IDF, `idf_all`. Multiplying column `j` by
//! `idf_label(j) / idf_all(j)` before fitting gives the label's own weighting; the same factor
//! multiplied into the fitted weights afterwards makes a model on the unscaled rows, so scoring,
//! the model file and explanations are unchanged (only each block's L2 norm still comes from
//! the corpus IDF).
//!
//! Why: a word that is rare in the whole corpus but common in the label's own sources (
//! "subscribe" among YouTube comments pooled with Wikipedia talk pages) would otherwise keep a
//! corpus IDF that says it is a strong signal. See docs/quality.md, "IDF per label".

use super::CsrMatrix;

/// In how many of the rows of `x` that `keep` accepts each column is stored.
pub fn column_document_frequencies(x: &CsrMatrix, keep: impl Fn(usize) -> bool) -> Vec<u32> {
    let mut df = vec![0u32; x.ncols()];
    for r in (0..x.nrows()).filter(|&r| keep(r)) {
        for &j in x.row(r).0 {
            df[j as usize] += 1;
        }
    }
    df
}

/// Whether a label's targets leave some rows unknown (so that its IDF can be its own).
pub fn known_on_some_rows_only(targets: &[Option<bool>]) -> bool {
    targets.iter().any(Option::is_none)
}

/// The smoothed IDF the vocabulary uses: `ln((1 + n) / (1 + df)) + 1`.
fn idf(documents: usize, df: u32) -> f64 {
    ((1.0 + documents as f64) / (1.0 + f64::from(df))).ln() + 1.0
}

/// The per-column factors `idf_label / idf_all` for a label with `targets` (one per row of
/// `x`, `None` where unknown), given every column's document frequency over all rows. `None`
/// when the label is known on every row: its IDF is the corpus IDF.
pub fn label_idf_scale(
    x: &CsrMatrix,
    df_all: &[u32],
    targets: &[Option<bool>],
) -> Option<Vec<f32>> {
    if !known_on_some_rows_only(targets) {
        return None;
    }
    let known = targets.iter().filter(|t| t.is_some()).count();
    let df = column_document_frequencies(x, |r| targets[r].is_some());
    Some(
        df.iter()
            .zip(df_all)
            .map(|(&d, &d_all)| (idf(known, d) / idf(x.nrows(), d_all)) as f32)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::SparseVec;

    fn matrix(rows: &[&[u32]]) -> CsrMatrix {
        let mut m = CsrMatrix::new(3);
        for r in rows {
            m.push(&SparseVec {
                indices: r.to_vec(),
                values: vec![1.0; r.len()],
            });
        }
        m
    }

    #[test]
    fn document_frequencies_count_rows_not_values() {
        let x = matrix(&[&[0, 1], &[1], &[1, 2]]);
        assert_eq!(column_document_frequencies(&x, |_| true), vec![1, 3, 1]);
        assert_eq!(column_document_frequencies(&x, |r| r != 1), vec![1, 2, 1]);
    }

    #[test]
    fn a_label_known_everywhere_keeps_the_corpus_idf() {
        let x = matrix(&[&[0, 1], &[1], &[1, 2]]);
        let df = column_document_frequencies(&x, |_| true);
        let everywhere = [Some(true), Some(false), Some(false)];
        assert_eq!(label_idf_scale(&x, &df, &everywhere), None);
    }

    #[test]
    fn the_factor_is_the_ratio_of_the_two_idfs() {
        // Column 2 is in one of four rows overall but in both of the label's two rows: common
        // for the label, so its factor is below 1; column 0, in none of the label's rows,
        // becomes rarer.
        let x = matrix(&[&[1, 2], &[1, 2], &[0, 1], &[1]]);
        let df = column_document_frequencies(&x, |_| true);
        let targets = [Some(true), Some(false), None, None];
        let s = label_idf_scale(&x, &df, &targets).expect("label known on two rows of four");
        let expect = |n: f64, d: f64, n_all: f64, d_all: f64| {
            ((((1.0 + n) / (1.0 + d)).ln() + 1.0) / (((1.0 + n_all) / (1.0 + d_all)).ln() + 1.0))
                as f32
        };
        assert!((s[2] - expect(2.0, 2.0, 4.0, 2.0)).abs() < 1e-6);
        assert!(s[2] < 1.0);
        assert!((s[1] - 1.0).abs() < 1e-6, "in every row either way: idf 1");
        assert!((s[0] - expect(2.0, 0.0, 4.0, 1.0)).abs() < 1e-6);
    }
}
