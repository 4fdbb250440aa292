//! The scoring fast path: the same numbers as vectorising a comment and taking dot products,
//! computed through per-run caches.
//!
//! Two caches, both kept in arenas of 32-bit words:
//! - **chunks** (runs of the comment between whitespace, see [`crate::text::chunk`]): each
//!   distinct chunk is analysed once and maps to its tokens' cache entries and its letter-case
//!   counts. A comment whose chunks may read differently together than apart (letters written
//!   apart over several chunks) is analysed whole instead.
//! - **tokens**: each distinct token keeps, in one contiguous run: its resolved word features
//!   with their idf and weights, its partial dot product with every label's weights and
//!   partial squared norm over its character n-grams, and (for the exact char block only) those
//!   n-grams merged within the word (feature id, count, weight `(1 + ln count) · idf`).
//!
//! The character block is, per the model's [`crate::text::CharBlock`], either the sum of the
//! words' partials weighted by `1 + ln m` (per word), or the exact comment-level tf-idf: the
//! sum of the partials corrected for the n-grams that two distinct words share or that a
//! repeated word contributes more than once, which are taken out of the partials and counted
//! again from their true counts. Either way the result equals the plain computation up to float
//! rounding.
//!
//! The work is memory-bound (the weight and feature tables are megabytes, read at random), so
//! the layout aims at few cache misses: one per distinct word (its entry), one per word pair
//! (the model's feature row of idf and weights), with the index slots and rows prefetched a
//! loop ahead, and per-comment counting in small tables that stay in the first-level cache.

mod direct;

use super::lexicon::{Lexicon, L_HEADER, L_KEY, L_SQ, L_WORDS};
use super::Model;
use crate::features::table::FeatureTable;
use crate::features::Vocabulary;
use crate::text::analyzer::{cue_capital_words_key, cue_shout_key, ngram_key};
use crate::text::chunk::{chunks, CaseCounts, ChunkProfile};
use crate::text::{AnalyzedDoc, CharBlock, TokenKeys, TokenKind};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

/// Distinct tokens per cache: past it the cache is emptied, which bounds memory on huge inputs.
const CACHE_LIMIT: usize = 200_000;
/// Arena size (32-bit words) past which the cache is emptied, for the same reason.
const ARENA_LIMIT: usize = 32 << 20;
const EMPTY: u32 = u32::MAX;

// Layout of a cache entry in `FastScratch::arena`, in 32-bit words: a header, the partial dot
// products (one per label), the word features (`WORD_FIXED + labels` words each: feature id,
// idf, one weight per label), then the merged character n-grams (`GRAM_WORDS` words each:
// feature id, occurrences in the word, tf-idf weight). Floats are stored as their bits.
const H_STAMP: usize = 0;
const H_LOCAL: usize = 1;
const H_KEY: usize = 2;
const H_WORDS: usize = 4;
const H_GRAMS: usize = 5;
const H_SQ: usize = 6;
const HEADER: usize = 7;
const WORD_FIXED: usize = 2;
const GRAM_WORDS: usize = 3;

/// Marks a word-block source that is a row of the model's feature rows, not an arena offset.
const FROM_ROWS: u32 = 1 << 31;

/// Marks a token's entry offset (in a chunk entry and in `FastScratch::offsets`) as that of a
/// joined token (letters written apart), which word n-grams skip. Offsets stay below it
/// (`ARENA_LIMIT`).
const JOINED: u32 = 1 << 31;

// Layout of a chunk entry in `FastScratch::chunk_arena`, in 32-bit words: the chunk's profile,
// its letter-case counts, its number of tokens, then each token's entry offset (with `JOINED`).
const C_PROFILE: usize = 0;
const C_LETTERS: usize = 1;
const C_UPPER: usize = 2;
const C_CAPITAL_WORDS: usize = 3;
const C_TOKENS: usize = 4;
const C_HEADER: usize = 5;

/// A slot of the per-comment word table: feature id, count, and where the feature's idf and
/// weights are (an arena offset, or a feature row when `FROM_ROWS` is set).
#[derive(Debug, Clone, Copy)]
struct WordSlot {
    id: u32,
    count: u32,
    source: u32,
}

/// A slot of the per-comment character n-gram table: feature id and count, with `SHARED` set
/// when another distinct word (or a repeat of the same word) also contributes the n-gram.
#[derive(Debug, Clone, Copy)]
struct GramSlot {
    id: u32,
    count: u32,
}

const SHARED: u32 = 1 << 31;

/// A slot type of [`CommentTable`].
trait TableSlot: Copy {
    const FREE: Self;
    fn id(&self) -> u32;
}

impl TableSlot for WordSlot {
    const FREE: Self = WordSlot {
        id: EMPTY,
        count: 0,
        source: 0,
    };
    fn id(&self) -> u32 {
        self.id
    }
}

impl TableSlot for GramSlot {
    const FREE: Self = GramSlot {
        id: EMPTY,
        count: 0,
    };
    fn id(&self) -> u32 {
        self.id
    }
}

/// A small open-addressing table keyed by feature id and emptied after each comment; sized to
/// the comment, so it stays in the first-level cache.
#[derive(Debug)]
struct CommentTable<S> {
    slots: Vec<S>,
    used: Vec<u32>,
    mask: usize,
    shift: u32,
}

impl<S> Default for CommentTable<S> {
    fn default() -> Self {
        CommentTable {
            slots: Vec::new(),
            used: Vec::new(),
            mask: 0,
            shift: 0,
        }
    }
}

impl<S: TableSlot> CommentTable<S> {
    /// Prepares the (empty) table for up to `n` distinct ids. Only the first `capacity` slots
    /// are used, so one huge comment does not leave every later one probing a huge table.
    fn prepare(&mut self, n: usize) {
        let capacity = (n * 2).next_power_of_two().max(64);
        if self.slots.len() < capacity {
            self.slots.clear();
            self.slots.resize(capacity, S::FREE);
        }
        self.mask = capacity - 1;
        self.shift = 64 - capacity.trailing_zeros();
        self.used.clear();
    }

    /// The slot of `id`, set to `new` when absent; `true` when it was absent.
    #[inline]
    fn slot(&mut self, id: u32, new: S) -> (usize, bool) {
        let mut at = ((id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize;
        loop {
            let t = &mut self.slots[at];
            if t.id() == id {
                return (at, false);
            }
            if t.id() == EMPTY {
                *t = new;
                self.used.push(at as u32);
                return (at, true);
            }
            at = (at + 1) & self.mask;
        }
    }

    /// Empties slot `at` and returns what it held.
    #[inline]
    fn take(&mut self, at: u32) -> S {
        std::mem::replace(&mut self.slots[at as usize], S::FREE)
    }
}

/// Asks the CPU to start loading the cache line at `p`: a hint, never dereferenced.
#[inline]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint and does not fault, whatever the address.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The cache key of a token: its kind and its text in the normalised comment. Distinct tokens
/// colliding in 64 bits is as unlikely as it is for the vocabulary's hashed feature keys.
#[inline]
fn token_hash(kind: TokenKind, text: &str) -> u64 {
    xxh3_64_with_seed(text.as_bytes(), kind as u64 + 1)
}

/// The feature rows `[idf, weight per label]` from the IDF weights and the feature-major
/// weights (`labels` per feature). Built at the first comment of every run, so the usual label
/// counts get a loop the compiler unrolls (a copy call per feature cost 5 ms on the default
/// model).
fn interleave_rows(idf: &[f32], weights: &[f32], labels: usize) -> Vec<f32> {
    fn fixed<const L: usize>(idf: &[f32], weights: &[f32]) -> Vec<f32> {
        let mut rows = vec![0f32; idf.len() * (L + 1)];
        let parts = rows.chunks_exact_mut(L + 1).zip(weights.chunks_exact(L));
        for ((row, w), &i) in parts.zip(idf) {
            row[0] = i;
            for (to, &from) in row[1..].iter_mut().zip(w) {
                *to = from;
            }
        }
        rows
    }
    match labels {
        1 => fixed::<1>(idf, weights),
        2 => fixed::<2>(idf, weights),
        3 => fixed::<3>(idf, weights),
        4 => fixed::<4>(idf, weights),
        5 => fixed::<5>(idf, weights),
        6 => fixed::<6>(idf, weights),
        _ => {
            let mut rows = Vec::with_capacity(idf.len() * (labels + 1));
            for (&i, w) in idf.iter().zip(weights.chunks_exact(labels.max(1))) {
                rows.push(i);
                rows.extend_from_slice(w);
            }
            rows
        }
    }
}

/// `1 + ln count` for small counts: the same values as the formula, without a logarithm per
/// feature.
#[derive(Debug)]
struct SublinearTf([f32; 64]);

impl Default for SublinearTf {
    fn default() -> Self {
        SublinearTf(std::array::from_fn(|c| 1.0 + (c as f32).ln()))
    }
}

impl SublinearTf {
    /// The tf-idf weight of a feature seen `count` times (`count` ≥ 1).
    #[inline]
    fn weight(&self, count: u32, idf: f32) -> f32 {
        let tf = match self.0.get(count as usize) {
            Some(&tf) => tf,
            None => 1.0 + (count.min(u16::MAX as u32) as f32).ln(),
        };
        tf * idf
    }
}

/// `dot += w · x` for `x` stored as f32 bits.
#[inline]
fn add_scaled_bits(dot: &mut [f32], w: f32, bits: &[u32]) {
    for (d, &x) in dot.iter_mut().zip(bits) {
        *d += w * f32::from_bits(x);
    }
}

/// `dot += w · x`.
#[inline]
fn add_scaled(dot: &mut [f32], w: f32, x: &[f32]) {
    for (d, &x) in dot.iter_mut().zip(x) {
        *d += w * x;
    }
}

/// Counts in `words` every key of `keys` that is a feature of `vocab`, as a feature whose idf
/// and weights are read from its feature row, and starts loading the row of each feature new
/// to the table.
fn count_row_features(
    words: &mut CommentTable<WordSlot>,
    vocab: &Vocabulary,
    rows: FeatureRows,
    keys: impl Iterator<Item = u64>,
) {
    for key in keys {
        if let Some(id) = vocab.index(key) {
            let (slot, new) = words.slot(
                id,
                WordSlot {
                    id,
                    count: 0,
                    source: FROM_ROWS | id,
                },
            );
            if new {
                rows.prefetch(id);
            }
            let c = &mut words.slots[slot].count;
            *c = c.saturating_add(1);
        }
    }
}

/// Reusable state of the fast path on one thread.
#[derive(Debug, Default)]
pub(crate) struct FastScratch {
    doc: AnalyzedDoc,
    term_buf: String,
    keys: TokenKeys,
    /// Token hash → the entry's arena offset.
    index: FeatureTable,
    arena: Vec<u32>,
    entries: usize,
    /// Chunk hash → the chunk entry's offset in `chunk_arena` (see `C_HEADER`).
    chunk_index: FeatureTable,
    chunk_arena: Vec<u32>,
    /// Hash of a comment analysed whole → its entry in `chunk_arena` (see
    /// [`Model::resolve_whole_cached`]).
    whole_index: FeatureTable,
    /// The current comment's chunks: hash, byte start (then the chunk entry's offset) and end.
    chunk_spans: Vec<(u64, u32, u32)>,
    /// Hash of each token of the current comment.
    hashes: Vec<u64>,
    /// Arena offset of each token's entry (with `JOINED` for joined tokens).
    offsets: Vec<u32>,
    /// Distinct tokens of the current comment: arena offset and multiplicity.
    distinct: Vec<(u32, u32)>,
    bigrams: Vec<u64>,
    words: CommentTable<WordSlot>,
    grams: CommentTable<GramSlot>,
    /// Table slot of each n-gram of each distinct token, in order.
    gram_slots: Vec<u32>,
    comment: u32,
    resolved: Vec<u32>,
    tf: SublinearTf,
    word_dot: Vec<f32>,
    char_dot: Vec<f32>,
    labels: usize,
    /// The model whose entries the caches hold (`Model::id`; 0 for none).
    owner: u64,
}

impl FastScratch {
    /// Empties the caches.
    fn reset_cache(&mut self, labels: usize) {
        self.index.clear();
        self.arena.clear();
        self.entries = 0;
        self.chunk_index.clear();
        self.chunk_arena.clear();
        self.whole_index.clear();
        self.labels = labels;
    }
}

/// Where a cache entry's parts start in the arena.
#[derive(Clone, Copy)]
struct EntryView {
    words: usize,
    n_words: usize,
    grams: usize,
    n_grams: usize,
}

impl EntryView {
    #[inline]
    fn at(arena: &[u32], off: u32, labels: usize) -> Self {
        let o = off as usize;
        let n_words = arena[o + H_WORDS] as usize;
        let words = o + HEADER + labels;
        EntryView {
            words,
            n_words,
            grams: words + n_words * (WORD_FIXED + labels),
            n_grams: arena[o + H_GRAMS] as usize,
        }
    }
}

/// The model's feature rows `[idf, weight per label]`, one per feature, side by side.
#[derive(Clone, Copy)]
struct FeatureRows<'a> {
    data: &'a [f32],
    stride: usize,
}

impl<'a> FeatureRows<'a> {
    /// Feature `id`'s row: its idf, then its weights.
    #[inline]
    fn row(&self, id: u32) -> &'a [f32] {
        let at = id as usize * self.stride;
        &self.data[at..at + self.stride]
    }

    /// Starts loading feature `id`'s row.
    #[inline]
    fn prefetch(&self, id: u32) {
        prefetch(self.data.as_ptr().wrapping_add(id as usize * self.stride));
    }
}

impl Model {
    /// Feature-major rows of `[idf, weight per label]`, so that a word-block feature costs one
    /// cache line; built on first use.
    fn feature_rows(&self) -> FeatureRows<'_> {
        let nl = self.labels.len();
        let data = self.rows.get_or_init(|| {
            interleave_rows(self.vectorizer.vocabulary().idfs(), &self.weights, nl)
        });
        FeatureRows {
            data,
            stride: nl + 1,
        }
    }

    /// Adds a cache entry for the token whose cache term is in `s.term_buf`; returns its offset.
    fn add_entry(&self, s: &mut FastScratch, rows: FeatureRows, kind: TokenKind, hash: u64) -> u32 {
        let analyzer = self.vectorizer.analyzer();
        let vocab = self.vectorizer.vocabulary();
        let nl = self.labels.len();
        let row = |id: u32| rows.row(id);
        analyzer.token_keys(kind, &s.term_buf, &mut s.keys);
        for &k in &s.keys.chars {
            vocab.prefetch(k);
        }
        let off = s.arena.len();
        let key = s.keys.term;
        s.arena
            .extend_from_slice(&[EMPTY, 0, key as u32, (key >> 32) as u32, 0, 0, 0]);
        s.arena.resize(off + HEADER + nl, 0f32.to_bits());
        let mut n_words = 0u32;
        let ids = std::iter::once(key)
            .chain(s.keys.extras.iter().copied())
            .filter_map(|k| vocab.index(k));
        for id in ids {
            s.arena.push(id);
            s.arena.extend(row(id).iter().map(|x| x.to_bits()));
            n_words += 1;
        }
        s.resolved.clear();
        for &k in &s.keys.chars {
            if let Some(id) = vocab.index(k) {
                rows.prefetch(id);
                s.resolved.push(id);
            }
        }
        s.resolved.sort_unstable();
        let mut partial = [0f32; 8];
        let mut partial_vec = Vec::new();
        let partial: &mut [f32] = if nl <= partial.len() {
            &mut partial[..nl]
        } else {
            partial_vec.resize(nl, 0.0);
            &mut partial_vec
        };
        let mut sq = 0f32;
        let mut n_grams = 0u32;
        // Per-word character blocks need only the partials: the n-grams are not kept.
        let keep_grams = analyzer.config().char_block == crate::text::CharBlock::Exact;
        let mut i = 0;
        while i < s.resolved.len() {
            let id = s.resolved[i];
            let mut j = i + 1;
            while j < s.resolved.len() && s.resolved[j] == id {
                j += 1;
            }
            let count = (j - i) as u32;
            let r = row(id);
            let weight = s.tf.weight(count, r[0]);
            if keep_grams {
                s.arena.extend_from_slice(&[id, count, weight.to_bits()]);
            }
            sq += weight * weight;
            add_scaled(partial, weight, &r[1..]);
            n_grams += u32::from(keep_grams);
            i = j;
        }
        for (slot, p) in s.arena[off + HEADER..off + HEADER + nl]
            .iter_mut()
            .zip(partial.iter())
        {
            *slot = p.to_bits();
        }
        s.arena[off + H_WORDS] = n_words;
        s.arena[off + H_GRAMS] = n_grams;
        s.arena[off + H_SQ] = sq.to_bits();
        s.index.insert_growing(hash, off as u32);
        s.entries += 1;
        off as u32
    }

    /// Adds a cache entry from the lexicon's `entry` (see [`super::lexicon`]); returns its
    /// offset. It is the entry [`Model::add_entry`] would build, word for word.
    fn add_lexicon_entry(
        &self,
        s: &mut FastScratch,
        rows: FeatureRows,
        entry: &[u32],
        hash: u64,
    ) -> u32 {
        let nl = self.labels.len();
        let n_words = entry[L_WORDS];
        let off = s.arena.len();
        s.arena.extend_from_slice(&[
            EMPTY,
            0,
            entry[L_KEY],
            entry[L_KEY + 1],
            n_words,
            0,
            entry[L_SQ],
        ]);
        s.arena.extend_from_slice(&entry[L_HEADER..L_HEADER + nl]);
        for &id in &entry[L_HEADER + nl..] {
            s.arena.push(id);
            s.arena.extend(rows.row(id).iter().map(|x| x.to_bits()));
        }
        s.index.insert_growing(hash, off as u32);
        s.entries += 1;
        off as u32
    }

    /// The arena offset of the entry of `token` (of `doc`; its [`token_hash`] is `h`), added to
    /// the cache if new, tagged with `JOINED` for a joined token.
    #[inline]
    fn entry_of(
        &self,
        s: &mut FastScratch,
        rows: FeatureRows,
        doc: &AnalyzedDoc,
        token: &crate::text::Token,
        h: u64,
    ) -> u32 {
        let off = match s.index.get(h) {
            Some(off) => off,
            None => match self.lexicon.get(h) {
                Some(entry) => self.add_lexicon_entry(s, rows, entry, h),
                None => {
                    self.vectorizer
                        .analyzer()
                        .token_term(doc, token, &mut s.term_buf);
                    self.add_entry(s, rows, token.kind, h)
                }
            },
        };
        if token.kind == TokenKind::Joined {
            off | JOINED
        } else {
            off
        }
    }

    /// Analyses `chunk` alone and adds its chunk entry; returns the entry's offset.
    fn add_chunk(&self, s: &mut FastScratch, rows: FeatureRows, chunk: &str, hash: u64) -> u32 {
        let mut doc = std::mem::take(&mut s.doc);
        let (profile, case) = self.vectorizer.analyzer().analyze_chunk(chunk, &mut doc);
        let off = s.chunk_arena.len();
        s.chunk_arena.extend_from_slice(&[
            profile.bits() as u32,
            case.letters,
            case.upper,
            case.capital_words,
            doc.tokens.len() as u32,
        ]);
        // Hash every token and prefetch its index slot, then resolve them.
        s.hashes.clear();
        for token in &doc.tokens {
            let h = token_hash(token.kind, token.text(&doc.normalized.text));
            s.index.prefetch(h);
            s.hashes.push(h);
        }
        for (i, token) in doc.tokens.iter().enumerate() {
            let entry = self.entry_of(s, rows, &doc, token, s.hashes[i]);
            s.chunk_arena.push(entry);
        }
        s.chunk_index.insert_growing(hash, off as u32);
        s.doc = doc;
        off as u32
    }

    /// Resolves the tokens of `text` to cache entries chunk by chunk (see
    /// [`crate::text::chunk`]), through the chunk cache, into `s.offsets`; returns the
    /// comment's letter-case counts, or `None` when its chunks may read differently together
    /// than apart and the whole comment must be analysed.
    fn resolve_by_chunks(
        &self,
        text: &str,
        s: &mut FastScratch,
        rows: FeatureRows,
    ) -> Option<CaseCounts> {
        s.chunk_spans.clear();
        let base = text.as_ptr() as usize;
        for chunk in chunks(text) {
            let h = xxh3_64(chunk.as_bytes());
            s.chunk_index.prefetch(h);
            let start = chunk.as_ptr() as usize - base;
            s.chunk_spans
                .push((h, start as u32, (start + chunk.len()) as u32));
        }
        // Chunk entries, prefetched as they resolve (a new chunk is analysed and added).
        for i in 0..s.chunk_spans.len() {
            let (h, start, end) = s.chunk_spans[i];
            let off = match s.chunk_index.get(h) {
                Some(off) => off,
                None => self.add_chunk(s, rows, &text[start as usize..end as usize], h),
            };
            prefetch(s.chunk_arena.as_ptr().wrapping_add(off as usize));
            s.chunk_spans[i].1 = off;
        }
        s.offsets.clear();
        let mut case = CaseCounts::default();
        let mut prev: Option<ChunkProfile> = None;
        for &(_, off, _) in &s.chunk_spans {
            let entry = &s.chunk_arena[off as usize..];
            let profile = ChunkProfile::from_bits(entry[C_PROFILE] as u8);
            if profile.is_split() || prev.is_some_and(|p| p.may_join(profile)) {
                return None;
            }
            prev = Some(profile);
            case.add(CaseCounts {
                letters: entry[C_LETTERS],
                upper: entry[C_UPPER],
                capital_words: entry[C_CAPITAL_WORDS],
            });
            let tokens = &entry[C_HEADER..C_HEADER + entry[C_TOKENS] as usize];
            for &t in tokens {
                prefetch(s.arena.as_ptr().wrapping_add((t & !JOINED) as usize));
            }
            s.offsets.extend_from_slice(tokens);
        }
        Some(case)
    }

    /// Resolves the tokens of `text`, analysed whole, to cache entries into `s.offsets`;
    /// returns whether the comment is shouted and its number of all-capital words.
    fn resolve_whole(&self, text: &str, s: &mut FastScratch, rows: FeatureRows) -> (bool, u32) {
        let mut doc = std::mem::take(&mut s.doc);
        self.vectorizer.analyzer().analyze(text, &mut doc, false);
        // Hash every token and prefetch its index slot, then resolve the hashes and prefetch
        // the entries.
        s.hashes.clear();
        for token in &doc.tokens {
            let h = token_hash(token.kind, token.text(&doc.normalized.text));
            s.index.prefetch(h);
            s.hashes.push(h);
        }
        s.offsets.clear();
        for (i, token) in doc.tokens.iter().enumerate() {
            let off = self.entry_of(s, rows, &doc, token, s.hashes[i]);
            prefetch(s.arena.as_ptr().wrapping_add((off & !JOINED) as usize));
            s.offsets.push(off);
        }
        let cues = (doc.shouting, doc.capital_words);
        s.doc = doc;
        cues
    }

    /// [`Model::resolve_whole`] through a cache of its own: a comment analysed whole (letters
    /// written apart over its chunks) is keyed by its text, and a copy of it takes its token
    /// entries from there instead of being analysed again. The entry, in `chunk_arena`, has
    /// the layout of a chunk entry (see `C_HEADER`) with the shouting cue in `C_PROFILE`.
    fn resolve_whole_cached(
        &self,
        text: &str,
        s: &mut FastScratch,
        rows: FeatureRows,
    ) -> (bool, u32) {
        let h = xxh3_64(text.as_bytes());
        if let Some(off) = s.whole_index.get(h) {
            let entry = &s.chunk_arena[off as usize..];
            let tokens = &entry[C_HEADER..C_HEADER + entry[C_TOKENS] as usize];
            for &t in tokens {
                prefetch(s.arena.as_ptr().wrapping_add((t & !JOINED) as usize));
            }
            s.offsets.clear();
            s.offsets.extend_from_slice(tokens);
            return (entry[C_PROFILE] != 0, entry[C_CAPITAL_WORDS]);
        }
        let (shouting, capital_words) = self.resolve_whole(text, s, rows);
        let off = s.chunk_arena.len();
        let mut header = [0u32; C_HEADER];
        header[C_PROFILE] = u32::from(shouting);
        header[C_CAPITAL_WORDS] = capital_words;
        header[C_TOKENS] = s.offsets.len() as u32;
        s.chunk_arena.extend_from_slice(&header);
        s.chunk_arena.extend_from_slice(&s.offsets);
        s.whole_index.insert_growing(h, off as u32);
        (shouting, capital_words)
    }

    /// Resolves the tokens of `text` to cache entries into `s.offsets` (emptying the caches
    /// first when they belong to another model or are past their bounds) and starts a new
    /// comment stamp; returns whether the comment is shouted and its number of all-capital
    /// words.
    fn resolve_tokens(&self, text: &str, s: &mut FastScratch, rows: FeatureRows) -> (bool, u32) {
        let nl = self.labels.len();
        s.comment = s.comment.wrapping_add(1);
        if s.owner != self.id
            || s.labels != nl
            || s.entries > CACHE_LIMIT
            || s.arena.len() > ARENA_LIMIT
            || s.chunk_arena.len() > ARENA_LIMIT
            || s.comment == EMPTY
        {
            // Another model's entries, caches past their bounds, or stamps about to become
            // ambiguous (EMPTY marks a new entry): start afresh.
            s.reset_cache(nl);
            s.owner = self.id;
            s.comment = 0;
        }
        // Chunk by chunk through the chunk cache when the comment allows it, else from the
        // whole comment's analysis.
        match self.resolve_by_chunks(text, s, rows) {
            Some(case) if self.vectorizer.analyzer().config().cues => {
                (case.shouting(), case.capital_words)
            }
            Some(_) => (false, 0),
            None => self.resolve_whole_cached(text, s, rows),
        }
    }

    /// Margins (bias plus dot product) of every label for `text`.
    pub(crate) fn margins_fast<'s>(&self, text: &str, s: &'s mut FastScratch) -> &'s [f32] {
        let analyzer = self.vectorizer.analyzer();
        let vocab = self.vectorizer.vocabulary();
        let rows = self.feature_rows();
        let nl = self.labels.len();
        let (shouting, capital_words) = self.resolve_tokens(text, s, rows);
        let comment = s.comment;

        // Distinct tokens with multiplicities; word n-gram keys.
        let max_n = analyzer.config().word_ngram_max;
        s.distinct.clear();
        s.bigrams.clear();
        let (mut prev1, mut prev2): (Option<u64>, Option<u64>) = (None, None);
        for i in 0..s.offsets.len() {
            let token = s.offsets[i];
            let off = token & !JOINED;
            let o = off as usize;
            if s.arena[o + H_STAMP] != comment {
                s.arena[o + H_STAMP] = comment;
                s.arena[o + H_LOCAL] = s.distinct.len() as u32;
                s.distinct.push((off, 0));
            }
            s.distinct[s.arena[o + H_LOCAL] as usize].1 += 1;
            if token & JOINED != 0 {
                continue;
            }
            let key = s.arena[o + H_KEY] as u64 | (s.arena[o + H_KEY + 1] as u64) << 32;
            if max_n >= 2 {
                if let Some(p1) = prev1 {
                    let k = ngram_key(p1, key);
                    vocab.prefetch(k);
                    s.bigrams.push(k);
                    if max_n >= 3 {
                        if let Some(p2) = prev2 {
                            let k = ngram_key(ngram_key(p2, p1), key);
                            vocab.prefetch(k);
                            s.bigrams.push(k);
                        }
                    }
                }
            }
            prev2 = prev1;
            prev1 = Some(key);
        }

        // Word block: exact counts in a small per-comment table. A token's own features carry
        // their idf and weights in its entry; word n-grams and cues read the feature rows.
        let word_stride = WORD_FIXED + nl;
        let n_word_ids: usize = s
            .distinct
            .iter()
            .map(|&(off, _)| s.arena[off as usize + H_WORDS] as usize)
            .sum();
        s.words.prepare(n_word_ids + s.bigrams.len() + 2);
        for &(off, m) in &s.distinct {
            let view = EntryView::at(&s.arena, off, nl);
            for w in 0..view.n_words {
                let at = view.words + w * word_stride;
                let id = s.arena[at];
                let (slot, _) = s.words.slot(
                    id,
                    WordSlot {
                        id,
                        count: 0,
                        source: (at + 1) as u32,
                    },
                );
                let c = &mut s.words.slots[slot].count;
                *c = c.saturating_add(m);
            }
        }
        let doc_cues = [
            shouting.then(cue_shout_key),
            cue_capital_words_key(capital_words),
        ];
        let keys = s.bigrams.iter().copied();
        count_row_features(
            &mut s.words,
            vocab,
            rows,
            keys.chain(doc_cues.into_iter().flatten()),
        );
        s.word_dot.clear();
        s.word_dot.resize(nl, 0.0);
        let mut word_sq = 0f32;
        for i in 0..s.words.used.len() {
            let t = s.words.take(s.words.used[i]);
            if t.source & FROM_ROWS != 0 {
                let row = rows.row(t.id);
                let w = s.tf.weight(t.count, row[0]);
                word_sq += w * w;
                add_scaled(&mut s.word_dot, w, &row[1..]);
            } else {
                let start = t.source as usize;
                let w = s.tf.weight(t.count, f32::from_bits(s.arena[start]));
                word_sq += w * w;
                add_scaled_bits(&mut s.word_dot, w, &s.arena[start + 1..start + 1 + nl]);
            }
        }

        // Character block, per word (`CharBlock::PerWord`): the words' partials weighted by
        // `1 + ln m`, the squared norm approximated without cross terms; the entries keep no
        // n-grams in this mode.
        s.char_dot.clear();
        s.char_dot.resize(nl, 0.0);
        let mut char_sq = 0f32;
        if analyzer.config().char_block == crate::text::CharBlock::PerWord {
            for &(off, m) in &s.distinct {
                let o = off as usize;
                let t = s.tf.weight(m, 1.0);
                char_sq += t * t * f32::from_bits(s.arena[o + H_SQ]);
                add_scaled_bits(&mut s.char_dot, t, &s.arena[o + HEADER..o + HEADER + nl]);
            }
        } else {
            // Character block, exact: per-comment n-gram counts to find the shared n-grams.
            let total: usize = s
                .distinct
                .iter()
                .map(|&(off, _)| s.arena[off as usize + H_GRAMS] as usize)
                .sum();
            s.grams.prepare(total);
            s.gram_slots.clear();
            for &(off, m) in &s.distinct {
                let view = EntryView::at(&s.arena, off, nl);
                for g in 0..view.n_grams {
                    let at = view.grams + g * GRAM_WORDS;
                    let add = s.arena[at + 1].saturating_mul(m);
                    let id = s.arena[at];
                    let (slot, new) = s.grams.slot(id, GramSlot { id, count: 0 });
                    let t = &mut s.grams.slots[slot];
                    let shared = if !new || m > 1 { SHARED } else { 0 };
                    t.count = ((t.count & !SHARED).saturating_add(add)).min(SHARED - 1)
                        | (t.count & SHARED)
                        | shared;
                    s.gram_slots.push(slot as u32);
                }
            }
            let mut at = 0usize;
            for &(off, m) in &s.distinct {
                let o = off as usize;
                let view = EntryView::at(&s.arena, off, nl);
                let slots = &s.gram_slots[at..at + view.n_grams];
                at += view.n_grams;
                if m > 1 || view.n_grams == 0 {
                    continue;
                }
                let partial = &s.arena[o + HEADER..o + HEADER + nl];
                let grams = (0..view.n_grams).map(|g| view.grams + g * GRAM_WORDS);
                let shared = slots
                    .iter()
                    .filter(|&&k| s.grams.slots[k as usize].count & SHARED != 0)
                    .count();
                if shared == 0 {
                    char_sq += f32::from_bits(s.arena[o + H_SQ]);
                    add_scaled_bits(&mut s.char_dot, 1.0, partial);
                } else if shared * 2 < view.n_grams {
                    // The word's partial minus its shared n-grams.
                    let mut sq = f32::from_bits(s.arena[o + H_SQ]);
                    add_scaled_bits(&mut s.char_dot, 1.0, partial);
                    for (g, &k) in grams.zip(slots) {
                        if s.grams.slots[k as usize].count & SHARED != 0 {
                            let weight = f32::from_bits(s.arena[g + 2]);
                            sq -= weight * weight;
                            let id = s.arena[g];
                            add_scaled(&mut s.char_dot, -weight, &rows.row(id)[1..]);
                        }
                    }
                    char_sq += sq.max(0.0);
                } else {
                    // Mostly shared: add the unshared n-grams one by one.
                    for (g, &k) in grams.zip(slots) {
                        if s.grams.slots[k as usize].count & SHARED == 0 {
                            let weight = f32::from_bits(s.arena[g + 2]);
                            char_sq += weight * weight;
                            let id = s.arena[g];
                            add_scaled(&mut s.char_dot, weight, &rows.row(id)[1..]);
                        }
                    }
                }
            }
            for i in 0..s.grams.used.len() {
                let t = s.grams.take(s.grams.used[i]);
                if t.count & SHARED != 0 {
                    let row = rows.row(t.id);
                    let w = s.tf.weight(t.count & !SHARED, row[0]);
                    char_sq += w * w;
                    add_scaled(&mut s.char_dot, w, &row[1..]);
                }
            }
        }

        let scale = |sq: f32| if sq > 0.0 { sq.sqrt().recip() } else { 0.0 };
        let (ws, cs) = (scale(word_sq), scale(char_sq));
        for ((d, c), l) in s.word_dot.iter_mut().zip(&s.char_dot).zip(&self.labels) {
            *d = l.bias + *d * ws + *c * cs;
        }
        &s.word_dot
    }
}

/// Training texts a lexicon is built from at most, spread evenly over the set.
pub(crate) const LEXICON_SAMPLE: usize = 10_000;
/// Parts the sample is split into, each resolved by a thread of its own; fixed, so that the
/// lexicon does not depend on the number of threads.
const LEXICON_PARTS: usize = 4;
/// Entries a lexicon keeps at most: the tokens found in the most sampled texts.
const LEXICON_MAX: usize = 1 << 16;

/// The cache of one part of a lexicon's sample, with the number of texts each entry (by arena
/// offset) was found in.
struct SampledPart {
    scratch: FastScratch,
    found_in: Vec<u32>,
}

impl Model {
    /// This model's lexicon (see [`super::lexicon`]) from its training `texts`: the tokens
    /// found in at least two of up to [`LEXICON_SAMPLE`] texts spread over them, the most
    /// frequent first, at most [`LEXICON_MAX`]. Empty for a model whose cache entries keep
    /// their n-grams (the exact character block) and for one that scores through the direct
    /// path (see [`direct`]), which has no caches.
    pub(crate) fn build_lexicon<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Lexicon {
        let config = self.vectorizer.analyzer().config();
        if (config.char_block == CharBlock::Exact && config.char_ngram_max > 0)
            || self.scores_directly()
            || texts.is_empty()
        {
            return Lexicon::default();
        }
        let sample: Vec<&str> = texts
            .iter()
            .step_by(texts.len().div_ceil(LEXICON_SAMPLE))
            .map(AsRef::as_ref)
            .collect();
        let parts: Vec<SampledPart> = sample
            .par_chunks(sample.len().div_ceil(LEXICON_PARTS))
            .map(|part| self.sample_tokens(part))
            .collect();
        // Texts each token was found in over every part, and where its entry is.
        let mut found: FxHashMap<u64, (u32, usize, u32)> = FxHashMap::default();
        for (p, part) in parts.iter().enumerate() {
            for (hash, off) in part.scratch.index.iter() {
                let n = part.found_in[off as usize];
                found.entry(hash).or_insert((0, p, off)).0 += n;
            }
        }
        let mut common: Vec<(u32, u64, usize, u32)> = found
            .into_iter()
            .filter(|&(_, (n, _, _))| n >= 2)
            .map(|(hash, (n, p, off))| (n, hash, p, off))
            .collect();
        common.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        common.truncate(LEXICON_MAX);
        let nl = self.labels.len();
        let (mut keys, mut data) = (Vec::with_capacity(common.len()), Vec::new());
        for &(_, hash, p, off) in &common {
            let arena = &parts[p].scratch.arena;
            let o = off as usize;
            let view = EntryView::at(arena, off, nl);
            keys.push(hash);
            data.extend_from_slice(&[
                arena[o + H_KEY],
                arena[o + H_KEY + 1],
                view.n_words as u32,
                arena[o + H_SQ],
            ]);
            data.extend_from_slice(&arena[o + HEADER..o + HEADER + nl]);
            data.extend((0..view.n_words).map(|w| arena[view.words + w * (WORD_FIXED + nl)]));
        }
        // Entries built from the model's own cache always fit it.
        Lexicon::from_parts(keys, data, nl, self.vectorizer.nfeatures()).unwrap_or_default()
    }

    /// Resolves the tokens of `texts` through one cache, counting the texts each entry is
    /// found in; stops early rather than let the cache be emptied.
    fn sample_tokens(&self, texts: &[&str]) -> SampledPart {
        let rows = self.feature_rows();
        let mut s = FastScratch::default();
        let mut found_in: Vec<u32> = Vec::new();
        // The last text (its comment stamp) each entry was found in.
        let mut last_text: Vec<u32> = Vec::new();
        for text in texts {
            if s.entries > CACHE_LIMIT / 2 || s.arena.len() > ARENA_LIMIT / 2 {
                break;
            }
            self.resolve_tokens(text, &mut s, rows);
            found_in.resize(s.arena.len(), 0);
            last_text.resize(s.arena.len(), u32::MAX);
            for &token in &s.offsets {
                let o = (token & !JOINED) as usize;
                if last_text[o] != s.comment {
                    last_text[o] = s.comment;
                    found_in[o] += 1;
                }
            }
        }
        SampledPart {
            scratch: s,
            found_in,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::interleave_rows;
    use crate::model::ScoreScratch;
    use crate::text::CharBlock;

    #[test]
    fn fast_path_matches_the_plain_computation() {
        for char_block in [CharBlock::Exact, CharBlock::PerWord] {
            fast_path_matches_the_plain_computation_with(&format!("{char_block:?}"), |a| {
                a.char_block = char_block
            });
        }
    }

    #[test]
    fn direct_path_matches_the_plain_computation() {
        for word_ngram_max in [1, 2, 3] {
            fast_path_matches_the_plain_computation_with("direct", |a| {
                a.deobfuscate = false;
                a.stem = false;
                a.char_ngram_min = 0;
                a.char_ngram_max = 0;
                a.word_ngram_max = word_ngram_max;
            });
        }
    }

    /// Scores probes and training texts with a model trained with `settings`, through the
    /// fast (or direct) path and the plain computation, twice (the second time through warm
    /// caches), and checks that they agree.
    fn fast_path_matches_the_plain_computation_with(
        name: &str,
        settings: impl Fn(&mut crate::text::AnalyzerConfig),
    ) {
        let texts = [
            "you idiot, you stupid idiot",
            "what a lovely day for a walk",
            "stupid stupid stupid people",
            "nice work on the article, thanks",
            "idiot! go away idiot",
            "great job, thank you so much",
            "s t u p i d and f*ck you",
            "the theory of the thesis",
        ];
        let model = crate::model::test_models::trained_with_analyzer(
            &texts,
            &[
                (
                    "toxic",
                    &[true, false, true, false, true, false, true, false],
                ),
                (
                    "spam",
                    &[false, true, false, false, false, true, false, true],
                ),
            ],
            &settings,
        );
        let mut expected = model.vectorizer().analyzer().config().clone();
        settings(&mut expected);
        assert_eq!(model.vectorizer().analyzer().config(), &expected);
        assert_eq!(model.scores_directly(), name == "direct");
        let (mut a, mut b) = (ScoreScratch::default(), ScoreScratch::default());
        // A long comment of many distinct words first: the per-comment tables grow, and the
        // comments after it must still come out right.
        let long: String = (0..3000).map(|i| format!("stupid{i}x idiot ")).collect();
        let probes = [
            long.as_str(),
            "you idiot",
            "idiot idiot idiot, the the the",
            "",
            "ünïcödé ✨ https://www.win.com/x @joe 0906 170",
            "thesis theory the other then",
            "what a lovely stupid day",
            "YOU ARE ALL STUPID IDIOTS!!!",
        ];
        // Twice: the second pass goes through the warm cache.
        for _ in 0..2 {
            for text in probes.iter().chain(texts.iter()) {
                let (mut fast, mut plain) = (Vec::new(), Vec::new());
                model.probabilities(text, &mut a, &mut fast);
                model.probabilities_plain(text, &mut b, &mut plain);
                for (x, y) in fast.iter().zip(&plain) {
                    assert!(
                        (x - y).abs() < 1e-5,
                        "{name}, {text:?}: {fast:?} vs {plain:?}"
                    );
                }
            }
        }
    }

    /// Bits of the fast path's probabilities of `texts`, from a fresh scratch.
    fn fast_bits(model: &crate::model::Model, texts: &[&str]) -> Vec<Vec<u32>> {
        fast_bits_with(model, texts, &mut ScoreScratch::default())
    }

    /// Bits of the fast path's probabilities of `texts`, through `scratch`.
    fn fast_bits_with(
        model: &crate::model::Model,
        texts: &[&str],
        scratch: &mut ScoreScratch,
    ) -> Vec<Vec<u32>> {
        texts
            .iter()
            .map(|t| {
                let mut p = Vec::new();
                model.probabilities(t, scratch, &mut p);
                p.iter().map(|x| x.to_bits()).collect()
            })
            .collect()
    }

    #[test]
    fn the_lexicon_holds_the_common_tokens_and_changes_no_score() {
        let texts = [
            "you idiot, you stupid idiot",
            "what a lovely day for a walk",
            "stupid people, stupid ideas",
            "nice work on the article, thanks",
            "idiot, go away",
            "great job, thank you so much",
        ];
        let mut model = crate::model::test_models::trained(
            &texts,
            &[("toxic", &[true, false, true, false, true, false])],
        );
        let lexicon = model.lexicon.clone();
        let word = |t: &str| super::token_hash(crate::text::TokenKind::Word, t);
        for common in ["idiot", "stupid", "you"] {
            assert!(lexicon.get(word(common)).is_some(), "{common}");
        }
        for rare in ["walk", "article", "nonsense"] {
            assert!(lexicon.get(word(rare)).is_none(), "{rare}");
        }
        let probes = [
            "you idiot",
            "stupid stupid you, what a day",
            "s t u p i d idiot",
            "",
            "nice article, you idiot",
        ];
        let with = fast_bits(&model, &probes);
        model.lexicon = Default::default();
        assert_eq!(fast_bits(&model, &probes), with, "the same bits without it");
        model.precompute_lexicon(&texts);
        assert_eq!(
            model.lexicon.parts(),
            lexicon.parts(),
            "built the same again"
        );
    }

    #[test]
    fn a_copy_of_a_comment_analysed_whole_comes_from_the_cache() {
        let texts = [
            "you idiot, you stupid idiot",
            "what a lovely day for a walk",
            "stupid people, stupid ideas",
            "nice work on the article, thanks",
        ];
        let model =
            crate::model::test_models::trained(&texts, &[("toxic", &[true, false, true, false])]);
        // Letters written apart over chunks: analysed whole.
        let spaced = ["you are s t u p i d", "W H A T a lovely day, i d i o t"];
        let mut scratch = ScoreScratch::default();
        let first = fast_bits_with(&model, &spaced, &mut scratch);
        assert_eq!(scratch.fast.whole_index.iter().count(), 2);
        let (entries, arena) = (scratch.fast.entries, scratch.fast.chunk_arena.len());
        let again = fast_bits_with(&model, &spaced, &mut scratch);
        assert_eq!(again, first, "the same bits from the cache");
        assert_eq!(
            (scratch.fast.entries, scratch.fast.chunk_arena.len()),
            (entries, arena),
            "nothing analysed again"
        );
        assert_eq!(fast_bits(&model, &spaced), first, "as from a fresh scratch");
        for text in spaced {
            let (mut fast, mut plain) = (Vec::new(), Vec::new());
            model.probabilities(text, &mut scratch, &mut fast);
            model.probabilities_plain(text, &mut ScoreScratch::default(), &mut plain);
            for (x, y) in fast.iter().zip(&plain) {
                assert!((x - y).abs() < 1e-5, "{text:?}: {fast:?} vs {plain:?}");
            }
        }
    }

    #[test]
    fn models_whose_entries_keep_their_n_grams_have_no_lexicon() {
        let texts = ["you idiot", "stupid idiot", "you fool"];
        let exact = crate::model::test_models::trained_with(
            &texts,
            &[("toxic", &[true, true, false])],
            CharBlock::Exact,
        );
        assert!(exact.lexicon().is_empty());
        let per_word = crate::model::test_models::trained_with(
            &texts,
            &[("toxic", &[true, true, false])],
            CharBlock::PerWord,
        );
        assert!(!per_word.lexicon().is_empty());
    }

    #[test]
    fn rows_interleave_idf_and_weights_for_any_label_count() {
        for labels in 1..=9 {
            let features = 5;
            let idf: Vec<f32> = (0..features).map(|i| 100.0 + i as f32).collect();
            let weights: Vec<f32> = (0..features * labels).map(|i| i as f32).collect();
            let mut want = Vec::new();
            for f in 0..features {
                want.push(idf[f]);
                want.extend_from_slice(&weights[f * labels..(f + 1) * labels]);
            }
            assert_eq!(interleave_rows(&idf, &weights, labels), want, "{labels}");
        }
    }

    #[test]
    fn one_scratch_serves_two_models_in_turn() {
        // Same label count, different weights: the caches must not carry one model's entries
        // over to the other.
        let texts = ["you idiot", "lovely day", "stupid idiot", "nice work"];
        let a =
            crate::model::test_models::trained(&texts, &[("toxic", &[true, false, true, false])]);
        let b =
            crate::model::test_models::trained(&texts, &[("toxic", &[false, true, false, true])]);
        let mut shared = ScoreScratch::default();
        for _ in 0..2 {
            for model in [&a, &b] {
                for text in texts {
                    let (mut fast, mut plain) = (Vec::new(), Vec::new());
                    model.probabilities(text, &mut shared, &mut fast);
                    model.probabilities_plain(text, &mut ScoreScratch::default(), &mut plain);
                    assert!(
                        (fast[0] - plain[0]).abs() < 1e-5,
                        "{text:?}: {fast:?} vs {plain:?}"
                    );
                }
            }
        }
    }
}
