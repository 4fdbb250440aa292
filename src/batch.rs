//! Batch scoring: read comments in chunks, score each chunk on every worker thread, write the
//! results in input order, each chunk while the next is scored. Memory stays bounded by the
//! model, three chunks and the per-run caches.

use crate::error::{Error, Result};
use crate::io::{Comment, CommentStream, ScoreSink};
use crate::model::{Model, ScoreScratch, Scored};
use crate::moderate::duplicates::{DuplicateIndex, Repeat};
use crate::moderate::report::ReportCollector;
use crate::moderate::Decision;
use rayon::prelude::*;
use std::sync::Mutex;

/// Settings of a batch run.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Tokens per flagged label in explanations; 0 for none.
    pub explain_top: usize,
    /// Comments per chunk.
    pub chunk_size: usize,
    /// Find copy-paste repeats within the batch and let them raise the spam decision.
    pub duplicates: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            explain_top: 0,
            chunk_size: 4096,
            duplicates: true,
        }
    }
}

/// Counts of a batch run; `read == scored + errors` always.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchSummary {
    pub read: u64,
    pub scored: u64,
    pub errors: u64,
    pub allow: u64,
    pub review: u64,
    pub block: u64,
    /// Comments that repeat an earlier one of the batch.
    pub duplicates: u64,
    /// The run stopped early on an interruption, after the rows counted here.
    pub interrupted: bool,
}

/// One scratch per worker thread, reused across chunks; the per-run caches live in them.
#[derive(Debug)]
pub struct ScratchPool(Vec<Mutex<ScoreScratch>>);

impl Default for ScratchPool {
    fn default() -> Self {
        Self::new()
    }
}

impl ScratchPool {
    /// Empty scratches for every thread of the current pool.
    pub fn new() -> Self {
        let n = rayon::current_num_threads() + 1;
        ScratchPool(
            (0..n)
                .map(|_| Mutex::new(ScoreScratch::default()))
                .collect(),
        )
    }

    fn with<T>(&self, f: impl FnOnce(&mut ScoreScratch) -> T) -> T {
        let slot = rayon::current_thread_index().map_or(self.0.len() - 1, |i| i % self.0.len());
        let mut guard = match self.0[slot].lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }
}

/// Calibrated probabilities of every label for each text, computed in parallel, in order.
pub fn probabilities_of<S: AsRef<str> + Sync>(model: &Model, texts: &[S]) -> Vec<Vec<f32>> {
    probabilities_in(&ScratchPool::new(), model, texts)
}

/// [`probabilities_of`] with the scratches (and so the per-run caches) of `pool`, which keep
/// what these texts add: scoring other comments through the same pool first warms the caches
/// as the earlier part of a long input does.
pub fn probabilities_in<S: AsRef<str> + Sync>(
    pool: &ScratchPool,
    model: &Model,
    texts: &[S],
) -> Vec<Vec<f32>> {
    texts
        .par_iter()
        .map(|t| {
            pool.with(|scratch| {
                let mut p = Vec::with_capacity(model.labels().len());
                model.probabilities(t.as_ref(), scratch, &mut p);
                p
            })
        })
        .collect()
}

/// State kept across the inputs of one run: repeats are found across files too.
#[derive(Debug, Default)]
pub struct BatchState {
    pub duplicates: DuplicateIndex,
    pub report: Option<ReportCollector>,
}

/// Marks a repeated comment: its first copy's id, the `spam` flag when the model has that
/// label, and at least `review` (at least `block` from the third copy on).
fn apply_repeat(model: &Model, scored: &mut Scored, repeat: Repeat) {
    scored.duplicate_of = Some(repeat.first);
    if let Some(spam) = model.label_index("spam") {
        if !scored.verdict.flags.contains(&spam) {
            scored.verdict.flags.push(spam);
            scored.verdict.flags.sort_unstable();
        }
    }
    let floor = if repeat.copies >= 3 {
        Decision::Block
    } else {
        Decision::Review
    };
    scored.verdict.decision = scored.verdict.decision.max(floor);
}

/// A comment of a chunk as it is read, its score (`None` for a row that could not be read)
/// and the earlier comment it repeats.
type Done = (Result<Comment>, Option<Scored>, Option<Repeat>);

/// Scores every comment of `stream` into `sink`. Row errors go to `on_row_error` and the run
/// goes on; an error that makes the input unreadable ends the run.
///
/// A pipeline over chunks: while the pool scores a chunk (and, beside it, checks its repeats
/// in order and reads the next chunk), the calling thread writes the chunk before it. So three
/// chunks are in memory at most, and a chunk's rows come out once the chunk after it is read.
pub fn score_stream(
    model: &Model,
    mut stream: CommentStream,
    sink: &mut dyn ScoreSink,
    on_row_error: &mut dyn FnMut(&Error),
    options: &BatchOptions,
    state: &mut BatchState,
    input_name: &str,
) -> Result<BatchSummary> {
    let pool = ScratchPool::new();
    let mut summary = BatchSummary::default();
    let chunk_size = options.chunk_size.max(1);
    let mut chunk = Vec::with_capacity(chunk_size);
    let mut next = Vec::with_capacity(chunk_size);
    // The chunk before this one, scored and checked: written while this one is scored.
    let mut done: Vec<Done> = Vec::new();
    let BatchState { duplicates, report } = state;
    let mut writer = ChunkWriter {
        model,
        sink,
        on_row_error,
        report,
        input_name,
    };
    read_chunk(&mut stream, &mut chunk, chunk_size);
    loop {
        if crate::interrupt::requested() {
            summary.interrupted = true;
        }
        if summary.interrupted || chunk.is_empty() {
            writer.write(&mut done, &mut summary)?;
            break;
        }
        // The next chunk is read ahead unless this one ended the input.
        let more =
            chunk.len() >= chunk_size && !matches!(chunk.last(), Some(Err(e)) if !e.is_row_error());
        let mut checked = None;
        let written = rayon::in_place_scope(|scope| {
            let (chunk, duplicates, reader, ahead, pool) =
                (&chunk, &mut *duplicates, &mut stream, &mut next, &pool);
            let checked = &mut checked;
            scope.spawn(move |_| {
                // Repeat detection needs no score, so it runs in order beside the scoring,
                // then reads the next chunk (with one thread, one after the other).
                *checked = Some(rayon::join(
                    || -> Vec<Option<Scored>> {
                        chunk
                            .par_iter()
                            .map(|item| {
                                item.as_ref().ok().map(|c| {
                                    pool.with(|scratch| {
                                        model.score(&c.text, scratch, options.explain_top)
                                    })
                                })
                            })
                            .collect()
                    },
                    || -> Vec<Option<Repeat>> {
                        let repeats = chunk
                            .iter()
                            .map(|item| match item {
                                Ok(c) if options.duplicates => duplicates.check(&c.id, &c.text),
                                _ => None,
                            })
                            .collect();
                        ahead.clear();
                        if more {
                            read_chunk(reader, ahead, chunk_size);
                        }
                        repeats
                    },
                ));
            });
            writer.write(&mut done, &mut summary)
        });
        written?;
        let (scored, repeats) = checked.expect("the scope ran its job");
        done.extend(
            chunk
                .drain(..)
                .zip(scored)
                .zip(repeats)
                .map(|((item, scored), repeat)| (item, scored, repeat)),
        );
        std::mem::swap(&mut chunk, &mut next);
    }
    writer.sink.finish()?;
    Ok(summary)
}

/// Writes scored chunks in order, counting them into the run's summary and report.
struct ChunkWriter<'a> {
    model: &'a Model,
    sink: &'a mut dyn ScoreSink,
    on_row_error: &'a mut dyn FnMut(&Error),
    report: &'a mut Option<ReportCollector>,
    input_name: &'a str,
}

impl ChunkWriter<'_> {
    /// Writes and empties `done`; an error that ended the input ends the run here, after what
    /// came before it is flushed.
    fn write(&mut self, done: &mut Vec<Done>, summary: &mut BatchSummary) -> Result<()> {
        for (item, scored, repeat) in done.drain(..) {
            summary.read += 1;
            match (item, scored) {
                (Ok(comment), Some(mut s)) => {
                    if let Some(repeat) = repeat {
                        apply_repeat(self.model, &mut s, repeat);
                        summary.duplicates += 1;
                    }
                    if let Some(report) = self.report.as_mut() {
                        report.add(&comment, &s, self.input_name);
                    }
                    match s.verdict.decision {
                        Decision::Allow => summary.allow += 1,
                        Decision::Review => summary.review += 1,
                        Decision::Block => summary.block += 1,
                    }
                    self.sink.write(&comment, &s)?;
                    summary.scored += 1;
                }
                (Err(e), _) if e.is_row_error() => {
                    summary.errors += 1;
                    (self.on_row_error)(&e);
                }
                (Err(e), _) => {
                    self.sink.finish()?;
                    return Err(e);
                }
                (Ok(_), None) => unreachable!("every comment is scored"),
            }
        }
        Ok(())
    }
}

/// Reads up to `size` items of `stream` into `out`, stopping after an error that ends the
/// input.
fn read_chunk(stream: &mut CommentStream, out: &mut Vec<Result<Comment>>, size: usize) {
    out.clear();
    for item in stream.by_ref() {
        let fatal = matches!(&item, Err(e) if !e.is_row_error());
        out.push(item);
        if fatal || out.len() >= size {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keeps the ids and `duplicate_of` of what it is given.
    #[derive(Default)]
    struct Rows(Vec<(String, Option<String>)>);

    impl ScoreSink for Rows {
        fn write(&mut self, comment: &Comment, scored: &Scored) -> Result<()> {
            self.0
                .push((comment.id.clone(), scored.duplicate_of.clone()));
            Ok(())
        }

        fn finish(&mut self) -> Result<()> {
            Ok(())
        }
    }

    fn comment(id: usize, text: &str) -> Result<Comment> {
        Ok(Comment {
            id: id.to_string(),
            text: text.into(),
            line: id as u64,
            ..Comment::default()
        })
    }

    /// Seven comments (2 and 5 the same long one, 3 a bad row), then an error that ends the
    /// input, after which reading fails the test.
    fn input() -> CommentStream {
        let copy = "check out my channel for free gift cards and share it with friends";
        let mut items: Vec<Result<Comment>> = (0..7)
            .map(|i| comment(i, &format!("comment number {i}")))
            .collect();
        items[2] = comment(2, copy);
        items[5] = comment(5, copy);
        items[3] = Err(Error::row("in", 4, "a bad row"));
        items.push(Err(Error::io("in", std::io::Error::other("cut short"))));
        Box::new(items.into_iter().chain(std::iter::from_fn(|| {
            panic!("read past the end of the input")
        })))
    }

    #[test]
    fn chunks_read_ahead_keep_order_and_repeats_and_stop_at_an_error_that_ends_the_input() {
        let model = crate::model::test_models::trained(
            &["you idiot", "lovely day", "stupid idiot", "nice work"],
            &[("toxic", &[true, false, true, false])],
        );
        for chunk_size in [1, 2, 3, 7, 8, 100] {
            let mut rows = Rows::default();
            let mut row_errors = 0;
            let options = BatchOptions {
                chunk_size,
                ..BatchOptions::default()
            };
            let result = score_stream(
                &model,
                input(),
                &mut rows,
                &mut |_| row_errors += 1,
                &options,
                &mut BatchState::default(),
                "in",
            );
            assert!(result.is_err(), "the input error ends the run");
            assert_eq!(row_errors, 1);
            let ids: Vec<&str> = rows.0.iter().map(|(id, _)| id.as_str()).collect();
            assert_eq!(
                ids,
                ["0", "1", "2", "4", "5", "6"],
                "chunks of {chunk_size}"
            );
            assert_eq!(rows.0[4].1.as_deref(), Some("2"), "chunks of {chunk_size}");
        }
    }
}
