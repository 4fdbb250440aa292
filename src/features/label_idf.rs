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

/// In how many of `rows` each column of `x` is stored (all rows when `rows` is `None`).
pub fn column_document_frequencies(x: &CsrMatrix, rows: Option<&[u32]>) -> Vec<u32> {
    let mut df = vec![0u32; x.ncols()];
    let mut count = |r: usize| {
        for &j in x.row(r).0 {
            df[j as usize] += 1;
        }
    };
    match rows {
        Some(rows) => rows.iter().for_each(|&r| count(r as usize)),
        None => (0..x.nrows()).for_each(&mut count),
    }
    df
}

/// The smoothed IDF the vocabulary uses: `ln((1 + n) / (1 + df)) + 1`.
fn idf(documents: usize, df: u32) -> f64 {
    ((1.0 + documents as f64) / (1.0 + f64::from(df))).ln() + 1.0
}

/// The per-column factors `idf_label / idf_all` for a label known on `rows` (sorted row
/// indices of `x`), given every column's document frequency over all rows. `None` when the
/// label is known on every row: its IDF is the corpus IDF.
pub fn label_idf_scale(x: &CsrMatrix, df_all: &[u32], rows: &[u32]) -> Option<Vec<f32>> {
    if rows.len() == x.nrows() {
        return None;
    }
    let df = column_document_frequencies(x, Some(rows));
    Some(
        df.iter()
            .zip(df_all)
            .map(|(&d, &d_all)| (idf(rows.len(), d) / idf(x.nrows(), d_all)) as f32)
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
        assert_eq!(column_document_frequencies(&x, None), vec![1, 3, 1]);
        assert_eq!(
            column_document_frequencies(&x, Some(&[0, 2])),
            vec![1, 2, 1]
        );
    }

    #[test]
    fn a_label_known_everywhere_keeps_the_corpus_idf() {
        let x = matrix(&[&[0, 1], &[1], &[1, 2]]);
        let df = column_document_frequencies(&x, None);
        assert_eq!(label_idf_scale(&x, &df, &[0, 1, 2]), None);
    }

    #[test]
    fn the_factor_is_the_ratio_of_the_two_idfs() {
        // Column 2 is in one of four rows overall but in both of the label's two rows: common
        // for the label, so its factor is below 1; column 0, in none of the label's rows,
        // becomes rarer.
        let x = matrix(&[&[1, 2], &[1, 2], &[0, 1], &[1]]);
        let df = column_document_frequencies(&x, None);
        let s = label_idf_scale(&x, &df, &[0, 1]).expect("label known on two rows of four");
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
