//! Source experts: a label that several input files carry, trained as one classifier per file
//! (an expert, which sees only that file's rows) and a gate that tells the files apart, scored
//! as the gate-weighted mixture of the experts (see [`crate::model::Mixture`]).
//!
//! A pooled classifier must fit every source's idea of the label with one weight vector; when
//! the sources differ (forum posts and tweets, SMS and video comments), it fits each of them
//! less well than a classifier of its own. The gate sends a comment to the experts of the
//! sources it resembles, so each source's comments are scored mostly by their own expert.

use crate::error::{Error, Result};
use crate::io::TrainingSet;

/// What a head is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A label trained as one pooled classifier.
    Label,
    /// The expert of `mixture`'s source `source`.
    Expert { mixture: usize, source: usize },
    /// The gate of `mixture` for its source `source` (how much a comment is like it).
    Gate { mixture: usize, source: usize },
}

/// One linear head to train: its name, targets and role.
#[derive(Debug, Clone)]
pub struct HeadPlan {
    pub name: String,
    /// Per row: `None` where the head does not learn from the row.
    pub targets: Vec<Option<bool>>,
    pub role: Role,
}

/// A label trained as a mixture of source experts.
#[derive(Debug, Clone)]
pub struct MixturePlan {
    /// The label's index (its own head is the gate of its first source).
    pub label: usize,
    /// Path of each source file.
    pub sources: Vec<String>,
    /// Head of each source's expert.
    pub experts: Vec<usize>,
    /// Gate heads: one with two sources, else one per source.
    pub gates: Vec<usize>,
}

/// The heads that train a training set's labels.
#[derive(Debug, Clone)]
pub struct Plan {
    pub heads: Vec<HeadPlan>,
    pub mixtures: Vec<MixturePlan>,
    /// Labels asked for as source experts but trained pooled: index and why.
    pub pooled: Vec<(usize, String)>,
}

/// The heads that train `set`'s labels when the labels named in `experts` are trained as
/// source mixtures: first every label in order (a mixture label's head is the gate of its
/// first source), then each mixture's experts and further gates. Also returns a note for each
/// label that cannot be a mixture (one source only) and is trained pooled, with its index.
pub fn plan_heads(set: &TrainingSet, experts: &[String]) -> Result<Plan> {
    for name in experts {
        if !set.labels.contains(name) {
            return Err(Error::Config(format!(
                "source experts are asked for label '{name}', which is not among the labels trained ({})",
                set.labels.join(", ")
            )));
        }
    }
    let spans = file_spans(set);
    let mut heads: Vec<HeadPlan> = set
        .labels
        .iter()
        .zip(&set.targets)
        .map(|(name, targets)| HeadPlan {
            name: name.clone(),
            targets: targets.clone(),
            role: Role::Label,
        })
        .collect();
    let mut mixtures = Vec::new();
    let mut notes = Vec::new();
    for (label, name) in set.labels.iter().enumerate() {
        if !experts.contains(name) {
            continue;
        }
        let targets = &set.targets[label];
        let carrying: Vec<usize> = (0..spans.len())
            .filter(|&f| targets[spans[f].0..spans[f].1].iter().any(Option::is_some))
            .collect();
        if carrying.len() < 2 {
            notes.push((
                label,
                format!(
                    "carried by {} input file: trained pooled, not as source experts",
                    carrying.len()
                ),
            ));
            continue;
        }
        let m = mixtures.len();
        let source_of = |row: usize| {
            carrying
                .iter()
                .position(|&f| (spans[f].0..spans[f].1).contains(&row))
        };
        let gate_targets = |s: usize| -> Vec<Option<bool>> {
            (0..targets.len())
                .map(|r| targets[r].map(|_| source_of(r) == Some(s)))
                .collect()
        };
        let file_name = |f: usize| short_name(&set.files[f].path);
        // The label's own head is the gate of the first source.
        heads[label].targets = gate_targets(0);
        heads[label].role = Role::Gate {
            mixture: m,
            source: 0,
        };
        let mut gates = vec![label];
        if carrying.len() > 2 {
            for (s, &f) in carrying.iter().enumerate().skip(1) {
                gates.push(heads.len());
                heads.push(HeadPlan {
                    name: format!("{name}: gate {}", file_name(f)),
                    targets: gate_targets(s),
                    role: Role::Gate {
                        mixture: m,
                        source: s,
                    },
                });
            }
        }
        let mut expert_heads = Vec::new();
        for (s, &f) in carrying.iter().enumerate() {
            let (start, end) = spans[f];
            expert_heads.push(heads.len());
            heads.push(HeadPlan {
                name: format!("{name}: expert {}", file_name(f)),
                targets: (0..targets.len())
                    .map(|r| {
                        if (start..end).contains(&r) {
                            targets[r]
                        } else {
                            None
                        }
                    })
                    .collect(),
                role: Role::Expert {
                    mixture: m,
                    source: s,
                },
            });
        }
        mixtures.push(MixturePlan {
            label,
            sources: carrying
                .iter()
                .map(|&f| set.files[f].path.clone())
                .collect(),
            experts: expert_heads,
            gates,
        });
    }
    Ok(Plan {
        heads,
        mixtures,
        pooled: notes,
    })
}

/// Row range of each input file (rows are stored file after file).
fn file_spans(set: &TrainingSet) -> Vec<(usize, usize)> {
    let mut start = 0;
    set.files
        .iter()
        .map(|f| {
            let span = (start, start + f.rows as usize);
            start = span.1;
            span
        })
        .collect()
}

/// A file's name without folders and the `.csv` extension.
fn short_name(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.strip_suffix(".csv").unwrap_or(name).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::card::TrainingFile;

    fn set(files: &[(&str, u64)], targets: Vec<Vec<Option<bool>>>) -> TrainingSet {
        TrainingSet {
            texts: vec![String::new(); targets[0].len()],
            labels: (0..targets.len()).map(|i| format!("l{i}")).collect(),
            targets,
            files: files
                .iter()
                .map(|&(path, rows)| TrainingFile {
                    path: path.into(),
                    sha256: String::new(),
                    rows,
                    rejected: 0,
                    labels: Vec::new(),
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn two_sources_give_two_experts_and_the_label_head_as_gate() {
        let (t, f) = (Some(true), Some(false));
        let s = set(
            &[("a/x.csv", 2), ("y.csv", 3)],
            vec![vec![t, f, f, t, t], vec![t, f, None, None, None]],
        );
        let Plan {
            heads,
            mixtures,
            pooled: notes,
        } = plan_heads(&s, &["l0".into(), "l1".into()]).unwrap();
        assert_eq!(heads.len(), 4);
        assert_eq!(heads[0].targets, vec![t, t, f, f, f], "gate: rows of x.csv");
        assert_eq!(
            heads[0].role,
            Role::Gate {
                mixture: 0,
                source: 0
            }
        );
        assert_eq!(heads[1].role, Role::Label, "l1 has one source");
        assert_eq!(heads[1].targets, s.targets[1]);
        assert_eq!(heads[2].name, "l0: expert x");
        assert_eq!(heads[2].targets, vec![t, f, None, None, None]);
        assert_eq!(heads[3].targets, vec![None, None, f, t, t]);
        assert_eq!(mixtures.len(), 1);
        assert_eq!(
            (mixtures[0].experts.clone(), mixtures[0].gates.clone()),
            (vec![2, 3], vec![0])
        );
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].0, 1, "{notes:?}");
    }

    #[test]
    fn three_sources_give_one_gate_per_source_and_unknown_rows_stay_unknown() {
        let (t, f) = (Some(true), Some(false));
        let s = set(
            &[("x.csv", 1), ("y.csv", 2), ("z.csv", 1), ("w.csv", 1)],
            vec![vec![t, f, None, t, None]],
        );
        let Plan {
            heads, mixtures, ..
        } = plan_heads(&s, &["l0".into()]).unwrap();
        let m = &mixtures[0];
        assert_eq!(m.sources, vec!["x.csv", "y.csv", "z.csv"]);
        assert_eq!(m.gates, vec![0, 1, 2]);
        assert_eq!(m.experts, vec![3, 4, 5]);
        assert_eq!(heads[0].targets, vec![t, f, None, f, None]);
        assert_eq!(heads[2].targets, vec![f, f, None, t, None]);
        assert_eq!(heads[4].targets, vec![None, f, None, None, None]);
    }

    #[test]
    fn an_unknown_label_is_an_error() {
        let s = set(&[("x.csv", 1)], vec![vec![Some(true)]]);
        let e = plan_heads(&s, &["hate".into()]).unwrap_err().to_string();
        assert!(e.contains("'hate'") && e.contains("l0"), "{e}");
    }
}
