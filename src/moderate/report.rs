//! Per-thread reports: how many comments each thread has, how they were decided and flagged,
//! and its worst comments.

use crate::io::Comment;
use crate::model::Scored;
use crate::moderate::Decision;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// How many of a thread's worst comments a report keeps.
const WORST: usize = 3;

/// One of a thread's worst comments.
#[derive(Debug, Clone, Serialize)]
pub struct WorstComment {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The label with the highest probability, and that probability.
    pub label: String,
    pub score: f32,
    pub decision: Decision,
    /// The first 120 characters of the comment.
    pub excerpt: String,
}

/// Counts and worst comments of one thread.
#[derive(Debug, Clone, Serialize)]
pub struct ThreadSummary {
    pub thread: String,
    pub comments: u64,
    pub allow: u64,
    pub review: u64,
    pub block: u64,
    /// Comments flagged per label, in the model's label order.
    pub flagged_by_label: BTreeMap<String, u64>,
    /// Comments with at least one flag.
    pub flagged: u64,
    pub flagged_share: f64,
    pub duplicates: u64,
    pub worst: Vec<WorstComment>,
}

/// Collects per-thread summaries while a batch is scored.
#[derive(Debug, Default)]
pub struct ReportCollector {
    labels: Vec<String>,
    threads: BTreeMap<String, ThreadSummary>,
}

impl ReportCollector {
    /// A collector for a model with these labels.
    pub fn new(labels: Vec<String>) -> Self {
        ReportCollector {
            labels,
            threads: BTreeMap::new(),
        }
    }

    /// Adds one scored comment; comments without a thread go under `default_thread`.
    pub fn add(&mut self, comment: &Comment, scored: &Scored, default_thread: &str) {
        let name = comment
            .thread
            .clone()
            .unwrap_or_else(|| default_thread.to_string());
        let labels = &self.labels;
        let t = self
            .threads
            .entry(name.clone())
            .or_insert_with(|| ThreadSummary {
                thread: name,
                comments: 0,
                allow: 0,
                review: 0,
                block: 0,
                flagged_by_label: labels.iter().map(|l| (l.clone(), 0)).collect(),
                flagged: 0,
                flagged_share: 0.0,
                duplicates: 0,
                worst: Vec::new(),
            });
        t.comments += 1;
        match scored.verdict.decision {
            Decision::Allow => t.allow += 1,
            Decision::Review => t.review += 1,
            Decision::Block => t.block += 1,
        }
        for &f in &scored.verdict.flags {
            *t.flagged_by_label.entry(labels[f].clone()).or_insert(0) += 1;
        }
        if !scored.verdict.flags.is_empty() {
            t.flagged += 1;
        }
        if scored.duplicate_of.is_some() {
            t.duplicates += 1;
        }
        t.flagged_share = t.flagged as f64 / t.comments as f64;
        let (best, score) = scored
            .probabilities
            .iter()
            .enumerate()
            .fold((0, f32::MIN), |b, (i, &p)| if p > b.1 { (i, p) } else { b });
        if labels.is_empty() {
            return;
        }
        let worst_so_far = t.worst.last().map_or(f32::MIN, |w| w.score);
        if t.worst.len() < WORST || score > worst_so_far {
            t.worst.push(WorstComment {
                id: comment.id.clone(),
                author: comment.author.clone(),
                label: labels[best].clone(),
                score,
                decision: scored.verdict.decision,
                excerpt: comment
                    .text
                    .chars()
                    .take(120)
                    .collect::<String>()
                    .replace('\n', " "),
            });
            t.worst.sort_by(|a, b| b.score.total_cmp(&a.score));
            t.worst.truncate(WORST);
        }
    }

    /// The summaries, by thread name.
    pub fn threads(&self) -> impl Iterator<Item = &ThreadSummary> {
        self.threads.values()
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        let threads: Vec<&ThreadSummary> = self.threads.values().collect();
        serde_json::to_string_pretty(&serde_json::json!({ "threads": threads })).unwrap_or_default()
    }

    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut s = String::from("# Moderation report\n");
        for t in self.threads.values() {
            let _ = writeln!(s, "\n## Thread {}\n", t.thread);
            let _ = writeln!(
                s,
                "{} comments: {} allow, {} review, {} block; {} flagged ({:.1} %); {} repeated copies.\n",
                t.comments,
                t.allow,
                t.review,
                t.block,
                t.flagged,
                t.flagged_share * 100.0,
                t.duplicates
            );
            let flags: Vec<String> = t
                .flagged_by_label
                .iter()
                .map(|(l, n)| format!("{l} {n}"))
                .collect();
            let _ = writeln!(s, "Flagged by label: {}.\n", flags.join(", "));
            if !t.worst.is_empty() {
                let _ = writeln!(
                    s,
                    "| worst comments | author | label | score | decision | text |"
                );
                let _ = writeln!(s, "|---|---|---|---|---|---|");
                for w in &t.worst {
                    let _ = writeln!(
                        s,
                        "| {} | {} | {} | {:.3} | {} | {} |",
                        w.id,
                        w.author.as_deref().unwrap_or(""),
                        w.label,
                        w.score,
                        w.decision,
                        w.excerpt.replace('|', "\\\\|")
                    );
                }
            }
        }
        s
    }
}
