//! The model file: a fixed header (magic, format version, payload length, checksum of the
//! payload) followed by the payload. Written to a temporary file in the same folder and renamed
//! into place, so a crash never leaves a partial model behind.
//!
//! [`load`] reads a version-2 to version-4 file without a buffer of the whole file: each plain
//! block straight into its array (a zstd block through a buffer of its stored bytes), the
//! checksum computed as the bytes go by and checked before any model or other error is given,
//! so that it reports what [`from_bytes`] of the file's bytes reports.
//!
//! Version 4 (written): as version 3, with the meta block ending in the labels' count and
//! the source mixtures ([`Mixing`]); the labels list of the meta block holds every head.
//!
//! Version 3 (still read): the payload is the length (u64 LE) of a small postcard-encoded
//! [`Meta`] (analyzer settings, labels, card, array sizes, how each block is stored), that
//! encoding, then the big arrays as raw little-endian blocks (feature keys, IDF weights,
//! weights), each stored plain or as its own zstd frame, so that loading is a bulk copy per
//! array instead of decoding element by element. Only blocks that zstd at least halves are
//! compressed (in practice the IDF weights; keys are hashes and weights barely compress, and
//! decompressing them would cost more load time than it saves in file size). The feature
//! table is rebuilt from the keys at load: storing it was measured slower (a larger file to
//! read for a table that is as fast to rebuild).
//!
//! Version 2 (still read): as version 3, with the analyzer settings (in the meta block and in
//! the card) written before the character-block setting existed ([`AnalyzerV2`]); such models
//! have exact character blocks.
//!
//! Version 1 (still read): the payload is the zstd-compressed postcard encoding of the model
//! ([`ModelV1`]), analyzer settings as in version 2.

use super::lexicon::Lexicon;
use super::{LabelModel, Mixture, Model, ModelCard};
use crate::error::{Error, Result};
use crate::features::{Vectorizer, Vocabulary};
use crate::text::{Analyzer, AnalyzerConfig, CharBlock, Language};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

/// The first bytes of every moderato model file.
pub const MAGIC: &[u8; 8] = b"MODERATO";
/// The model format this build writes.
pub const FORMAT_VERSION: u32 = 5;
/// The oldest model format this build still reads.
pub const OLDEST_READ_VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 8 + 8;

/// zstd level of the compressed blocks (see docs/speed.md, "Model load").
const BLOCK_ZSTD_LEVEL: i32 = 9;

/// How a block is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Codec {
    /// The raw little-endian bytes.
    Plain,
    /// One zstd frame of the raw bytes.
    Zstd,
}

/// One raw array of a version-2 or version-3 payload.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct BlockV2 {
    codec: Codec,
    /// Bytes in the file.
    stored: u64,
}

/// Everything of a version-4 model (version 3: `M` = `()`; version 2: also `A` =
/// [`AnalyzerV2`]) but the big arrays, which follow it as blocks in this order: feature keys
/// (u64), IDF weights (f32), weights (f32, feature-major).
#[derive(Serialize, Deserialize)]
struct Meta<A = AnalyzerConfig, M = Mixing> {
    analyzer: A,
    word_features: u32,
    labels: Vec<LabelModel>,
    card: ModelCard<A>,
    features: u64,
    blocks: Vec<BlockV2>,
    /// Empty (`()`) before version 4.
    mixing: M,
}

/// How a version-4 model turns its heads into labels.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Mixing {
    /// How many heads are labels.
    outputs: u32,
    mixtures: Vec<Mixture>,
}

/// How a version-5 model ends its meta block: the mixing of version 4, then the size of the
/// lexicon, whose blocks (token hashes, u64; entries, u32) follow the weights.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct MixingV5 {
    mixing: Mixing,
    lexicon: LexiconSize,
}

/// The size of a version-5 model's lexicon (see [`crate::model::lexicon`]).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct LexiconSize {
    entries: u64,
    /// 32-bit words of its entries.
    words: u64,
}

/// The labels and mixtures a meta block gives (`None`: every head is a label), and the size
/// of the lexicon (`None` before version 5, which has no lexicon blocks).
trait MixingOf {
    fn parts(self) -> (Option<Mixing>, Option<LexiconSize>);
}

impl MixingOf for () {
    fn parts(self) -> (Option<Mixing>, Option<LexiconSize>) {
        (None, None)
    }
}

impl MixingOf for Mixing {
    fn parts(self) -> (Option<Mixing>, Option<LexiconSize>) {
        (Some(self), None)
    }
}

impl MixingOf for MixingV5 {
    fn parts(self) -> (Option<Mixing>, Option<LexiconSize>) {
        (Some(self.mixing), Some(self.lexicon))
    }
}

/// [`Meta`] by reference, for writing.
#[derive(Serialize)]
struct MetaRef<'a, A, M> {
    analyzer: &'a A,
    word_features: u32,
    labels: &'a [LabelModel],
    card: &'a ModelCard<A>,
    features: u64,
    blocks: Vec<BlockV2>,
    mixing: M,
}

/// The analyzer settings as format versions 1 and 2 store them: [`AnalyzerConfig`] before it
/// had `char_block` (those models' character blocks are [`CharBlock::Exact`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AnalyzerV2 {
    languages: Vec<Language>,
    deobfuscate: bool,
    stem: bool,
    word_ngram_max: u8,
    char_ngram_min: u8,
    char_ngram_max: u8,
    cues: bool,
}

impl From<AnalyzerV2> for AnalyzerConfig {
    fn from(a: AnalyzerV2) -> Self {
        AnalyzerConfig {
            languages: a.languages,
            deobfuscate: a.deobfuscate,
            stem: a.stem,
            word_ngram_max: a.word_ngram_max,
            char_ngram_min: a.char_ngram_min,
            char_ngram_max: a.char_ngram_max,
            cues: a.cues,
            char_block: CharBlock::Exact,
        }
    }
}

/// A version-1 payload (zstd-decompressed): the postcard encoding of the model as it was then.
#[derive(Deserialize)]
struct ModelV1 {
    vectorizer: VectorizerV1,
    labels: Vec<LabelModel>,
    weights: Vec<f32>,
    card: ModelCard<AnalyzerV2>,
}

/// The vectorizer part of [`ModelV1`].
#[derive(Serialize, Deserialize)]
struct VectorizerV1 {
    analyzer: AnalyzerV2,
    vocabulary: Vocabulary,
}

/// A fixed-size little-endian number that a block holds.
trait Element: bytemuck::Pod {
    const SIZE: usize;
    fn put(self, out: &mut Vec<u8>);
    /// The number whose little-endian bytes are this one's bytes in memory.
    fn to_native(self) -> Self;
}

macro_rules! element {
    ($t:ty) => {
        impl Element for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            #[inline]
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            #[inline]
            fn to_native(self) -> Self {
                <$t>::from_le_bytes(self.to_ne_bytes())
            }
        }
    };
}
element!(u64);
element!(u32);
element!(f32);

fn raw_bytes<T: Element>(items: impl ExactSizeIterator<Item = T>) -> Vec<u8> {
    let mut out = Vec::with_capacity(items.len() * T::SIZE);
    for x in items {
        x.put(&mut out);
    }
    out
}

/// The mixing block of a model (format version 4).
fn mixing_of(model: &Model) -> Mixing {
    Mixing {
        outputs: model.outputs as u32,
        mixtures: model.mixtures.clone(),
    }
}

/// Encodes a model into the bytes of a model file (format version 5).
pub fn to_bytes(model: &Model) -> Result<Vec<u8>> {
    let (keys, data) = model.lexicon.parts();
    let mixing = MixingV5 {
        mixing: mixing_of(model),
        lexicon: LexiconSize {
            entries: keys.len() as u64,
            words: data.len() as u64,
        },
    };
    encode(
        model,
        FORMAT_VERSION,
        model.vectorizer.analyzer().config(),
        &model.card,
        mixing,
    )
}

/// Encodes a model in the block layout of format versions 2 to 5, with the analyzer settings
/// as `analyzer` and `card` give them and the meta block ending in `mixing`; version 5 adds the
/// lexicon's blocks.
fn encode<A: Serialize, M: Serialize>(
    model: &Model,
    version: u32,
    analyzer: &A,
    card: &ModelCard<A>,
    mixing: M,
) -> Result<Vec<u8>> {
    let (keys, idf, word_features) = model.vectorizer.vocabulary().parts();
    let mut raw = vec![
        raw_bytes(keys.iter().copied()),
        raw_bytes(idf.iter().copied()),
        raw_bytes(model.weights.iter().copied()),
    ];
    if version >= 5 {
        let (tokens, entries) = model.lexicon.parts();
        raw.push(raw_bytes(tokens.iter().copied()));
        raw.push(raw_bytes(entries.iter().copied()));
    }
    let mut stored = Vec::with_capacity(raw.len());
    for block in raw {
        let zstd = zstd::bulk::compress(&block, BLOCK_ZSTD_LEVEL)
            .map_err(|e| Error::Output(format!("compressing the model: {e}")))?;
        stored.push(if zstd.len() <= block.len() / 2 {
            (Codec::Zstd, zstd)
        } else {
            (Codec::Plain, block)
        });
    }
    let meta = MetaRef {
        analyzer,
        word_features,
        labels: &model.labels,
        card,
        features: keys.len() as u64,
        blocks: stored
            .iter()
            .map(|(codec, bytes)| BlockV2 {
                codec: *codec,
                stored: bytes.len() as u64,
            })
            .collect(),
        mixing,
    };
    let meta = postcard::to_stdvec(&meta)
        .map_err(|e| Error::Output(format!("encoding the model: {e}")))?;
    let mut payload =
        Vec::with_capacity(8 + meta.len() + stored.iter().map(|(_, b)| b.len()).sum::<usize>());
    payload.extend_from_slice(&(meta.len() as u64).to_le_bytes());
    payload.extend_from_slice(&meta);
    for (_, bytes) in &stored {
        payload.extend_from_slice(bytes);
    }
    Ok(with_header(version, &payload))
}

/// Header plus payload.
fn with_header(version: u32, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&version.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&xxh3_64(payload).to_le_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

/// The analyzer settings of a model with exact character blocks as versions 1 and 2 store them
/// (for the compatibility tests).
#[cfg(test)]
fn analyzer_v2(a: &AnalyzerConfig) -> AnalyzerV2 {
    assert_eq!(
        a.char_block,
        CharBlock::Exact,
        "versions 1 and 2 have exact blocks only"
    );
    AnalyzerV2 {
        languages: a.languages.clone(),
        deobfuscate: a.deobfuscate,
        stem: a.stem,
        word_ngram_max: a.word_ngram_max,
        char_ngram_min: a.char_ngram_min,
        char_ngram_max: a.char_ngram_max,
        cues: a.cues,
    }
}

/// Encodes a model with exact character blocks in format version 2, which this build still
/// reads; for the compatibility tests.
#[cfg(test)]
pub(crate) fn to_bytes_v2(model: &Model) -> Result<Vec<u8>> {
    let analyzer = analyzer_v2(model.vectorizer.analyzer().config());
    let card = model.card.clone().map_analyzer(|a| analyzer_v2(&a));
    encode(model, 2, &analyzer, &card, ())
}

/// Encodes a model in format version 4 (no lexicon), which this build still reads; for the
/// compatibility tests.
#[cfg(test)]
pub(crate) fn to_bytes_v4(model: &Model) -> Result<Vec<u8>> {
    encode(
        model,
        4,
        model.vectorizer.analyzer().config(),
        &model.card,
        mixing_of(model),
    )
}

/// Encodes a model without source mixtures in format version 3, which this build still
/// reads; for the compatibility tests.
#[cfg(test)]
pub(crate) fn to_bytes_v3(model: &Model) -> Result<Vec<u8>> {
    assert!(model.mixtures.is_empty(), "version 3 has no mixtures");
    encode(
        model,
        3,
        model.vectorizer.analyzer().config(),
        &model.card,
        (),
    )
}

/// Encodes a model with exact character blocks in format version 1 (zstd-compressed
/// postcard), which this build still reads; for the compatibility tests.
#[cfg(test)]
pub(crate) fn to_bytes_v1(model: &Model) -> Result<Vec<u8>> {
    /// [`ModelV1`] by reference.
    #[derive(Serialize)]
    struct ModelV1Ref<'a> {
        vectorizer: VectorizerV1,
        labels: &'a [LabelModel],
        weights: &'a [f32],
        card: ModelCard<AnalyzerV2>,
    }
    let v1 = ModelV1Ref {
        vectorizer: VectorizerV1 {
            analyzer: analyzer_v2(model.vectorizer.analyzer().config()),
            vocabulary: model.vectorizer.vocabulary().clone(),
        },
        labels: &model.labels,
        weights: &model.weights,
        card: model.card.clone().map_analyzer(|a| analyzer_v2(&a)),
    };
    let encoded =
        postcard::to_stdvec(&v1).map_err(|e| Error::Output(format!("encoding the model: {e}")))?;
    let payload = zstd::bulk::compress(&encoded, 9)
        .map_err(|e| Error::Output(format!("compressing the model: {e}")))?;
    Ok(with_header(1, &payload))
}

/// The header fields that decoding a payload needs.
struct Header {
    version: u32,
    checksum: u64,
}

impl Header {
    /// Checks the header of a model file of `file_len` bytes, `start` being its first
    /// [`HEADER_LEN`] bytes (all of them in a shorter file): the magic bytes, the format
    /// version, and that the payload length it states is the file's.
    fn check(start: &[u8], file_len: u64, path: &Path) -> Result<Header> {
        let bad = |m: String| Error::model(path, m);
        if start.len() < MAGIC.len() || &start[..MAGIC.len()] != MAGIC {
            return Err(bad("not a moderato model (wrong magic bytes)".into()));
        }
        if start.len() < HEADER_LEN {
            return Err(bad("truncated model file (incomplete header)".into()));
        }
        let u32_at = |o: usize| u32::from_le_bytes(start[o..o + 4].try_into().unwrap_or([0; 4]));
        let u64_at = |o: usize| u64::from_le_bytes(start[o..o + 8].try_into().unwrap_or([0; 8]));
        let version = u32_at(8);
        if !(OLDEST_READ_VERSION..=FORMAT_VERSION).contains(&version) {
            return Err(bad(format!(
                "model format version {version} is not supported by this moderato (it reads versions {OLDEST_READ_VERSION} to {FORMAT_VERSION}); retrain the model or use a matching moderato"
            )));
        }
        let len = u64_at(12);
        let payload = file_len.saturating_sub(HEADER_LEN as u64);
        if payload < len {
            return Err(bad(format!(
                "truncated model file: {payload} of {len} payload bytes"
            )));
        }
        if payload > len {
            return Err(bad("model file has trailing bytes after its payload".into()));
        }
        Ok(Header {
            version,
            checksum: u64_at(20),
        })
    }
}

/// The error of a payload whose checksum is not the header's.
fn checksum_mismatch(path: &Path) -> Error {
    Error::model(path, "model file is corrupted (checksum mismatch)")
}

/// Decodes model file bytes; `path` names the file in errors.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Model> {
    let start = &bytes[..bytes.len().min(HEADER_LEN)];
    let header = Header::check(start, bytes.len() as u64, path)?;
    let payload = &bytes[HEADER_LEN..];
    if xxh3_64(payload) != header.checksum {
        return Err(checksum_mismatch(path));
    }
    if header.version == 1 {
        return decode_v1(payload).map_err(|m| Error::model(path, m));
    }
    decode_blocks_of(header.version, &mut SliceSource(payload)).map_err(|e| e.into_error(path))
}

fn decode_v1(payload: &[u8]) -> std::result::Result<Model, String> {
    // One-shot decompression into a buffer of the size the frame header states (checked by
    // the checksum above), instead of streaming through growing copies.
    let content_size = zstd::zstd_safe::get_frame_content_size(payload)
        .ok()
        .flatten()
        .filter(|&n| n <= 1 << 34);
    let encoded = match content_size {
        Some(n) => zstd::bulk::decompress(payload, n as usize),
        None => zstd::stream::decode_all(payload),
    }
    .map_err(|e| format!("model payload does not decompress: {e}"))?;
    let m: ModelV1 = postcard::from_bytes(&encoded)
        .map_err(|e| format!("model payload does not decode: {e}"))?;
    let outputs = m.labels.len();
    Ok(Model::assemble(
        Vectorizer::new(
            Analyzer::new(m.vectorizer.analyzer.into()),
            m.vectorizer.vocabulary,
        ),
        m.labels,
        outputs,
        Vec::new(),
        m.weights,
        m.card.map_analyzer(AnalyzerConfig::from),
    ))
}

/// Why a payload of the block layout gives no model.
#[derive(Debug)]
enum Failure {
    /// Its content is wrong, as the message says.
    Invalid(String),
    /// Reading the model file failed.
    Io(std::io::Error),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Invalid(message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Failure::Invalid(message.into())
    }
}

impl Failure {
    /// The error of the model file at `path`.
    fn into_error(self, path: &Path) -> Error {
        match self {
            Failure::Invalid(e) => {
                Error::model(path, format!("model payload does not decode: {e}"))
            }
            Failure::Io(e) => Error::io(path, e),
        }
    }
}

/// The bytes of a payload, taken in order: from memory ([`from_bytes`]) or from a file
/// ([`load`]). Callers check [`Source::remaining`] before taking bytes, so that no length a
/// file states makes them allocate more than the file holds.
trait Source {
    /// How many bytes are left.
    fn remaining(&self) -> u64;

    /// Fills `out` with the next bytes.
    fn fill(&mut self, out: &mut [u8]) -> std::result::Result<(), Failure>;

    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> std::result::Result<Cow<'_, [u8]>, Failure> {
        let mut bytes = vec![0; n];
        self.fill(&mut bytes)?;
        Ok(Cow::Owned(bytes))
    }
}

/// A payload in memory.
struct SliceSource<'a>(&'a [u8]);

impl<'a> SliceSource<'a> {
    /// The next `n` bytes, without copying them.
    fn advance(&mut self, n: usize) -> std::result::Result<&'a [u8], Failure> {
        if n > self.0.len() {
            return Err("the payload is cut short".into());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
}

impl Source for SliceSource<'_> {
    fn remaining(&self) -> u64 {
        self.0.len() as u64
    }

    fn fill(&mut self, out: &mut [u8]) -> std::result::Result<(), Failure> {
        out.copy_from_slice(self.advance(out.len())?);
        Ok(())
    }

    fn take(&mut self, n: usize) -> std::result::Result<Cow<'_, [u8]>, Failure> {
        self.advance(n).map(Cow::Borrowed)
    }
}

/// How many bytes of a file are read and hashed at a time (while they are in the cache).
const READ_CHUNK: usize = 1 << 18;

/// The payload of a model file, read straight into the buffers that keep it (through a
/// small buffer for the small reads) and hashed as it is read.
struct FileSource {
    reader: BufReader<File>,
    hasher: Xxh3,
    left: u64,
}

impl FileSource {
    /// Reads the next bytes into `out` and hashes them.
    fn read_hashed(&mut self, out: &mut [u8]) -> std::io::Result<()> {
        for chunk in out.chunks_mut(READ_CHUNK) {
            self.reader.read_exact(chunk)?;
            self.hasher.update(chunk);
        }
        self.left = self.left.saturating_sub(out.len() as u64);
        Ok(())
    }

    /// Reads what is left and gives the checksum of the whole payload.
    fn digest(mut self) -> std::io::Result<u64> {
        let mut buf = vec![0; READ_CHUNK.min(self.left as usize)];
        while self.left > 0 {
            let n = buf.len().min(self.left as usize);
            self.read_hashed(&mut buf[..n])?;
        }
        Ok(self.hasher.digest())
    }
}

impl Source for FileSource {
    fn remaining(&self) -> u64 {
        self.left
    }

    fn fill(&mut self, out: &mut [u8]) -> std::result::Result<(), Failure> {
        self.read_hashed(out).map_err(Failure::Io)
    }
}

/// Decodes a payload of format version 2, 3, 4 or 5 (`version`).
fn decode_blocks_of<S: Source>(
    version: u32,
    source: &mut S,
) -> std::result::Result<Model, Failure> {
    match version {
        2 => decode_blocks::<AnalyzerV2, (), S>(source),
        3 => decode_blocks::<AnalyzerConfig, (), S>(source),
        4 => decode_blocks::<AnalyzerConfig, Mixing, S>(source),
        _ => decode_blocks::<AnalyzerConfig, MixingV5, S>(source),
    }
}

/// Reads the blocks of a version-2 to version-4 payload in turn.
struct Blocks<'a, S> {
    source: &'a mut S,
    blocks: std::slice::Iter<'a, BlockV2>,
}

impl<S: Source> Blocks<'_, S> {
    /// The next block as `n` elements of `T`, read (or decompressed) straight into them.
    fn next<T: Element>(&mut self, what: &str, n: u64) -> std::result::Result<Vec<T>, Failure> {
        let block = self
            .blocks
            .next()
            .ok_or_else(|| format!("the {what} block is missing"))?;
        let size = n
            .checked_mul(T::SIZE as u64)
            .filter(|&s| s <= 1 << 40)
            .ok_or_else(|| format!("{n} {what} is too many"))? as usize;
        let stored = usize::try_from(block.stored)
            .ok()
            .filter(|&s| s as u64 <= self.source.remaining())
            .ok_or_else(|| format!("the {what} block runs past the end of the payload"))?;
        let wrong_size = |got: usize| format!("the {what} block has {got} bytes, not {size}");
        let frame = match block.codec {
            Codec::Plain if stored != size => return Err(wrong_size(stored).into()),
            Codec::Plain => None,
            Codec::Zstd => {
                // The stored size bounds what a frame can expand to (zstd's ratio is at most
                // about 32768:1), so a crafted size cannot ask for an absurd buffer.
                if size > stored.saturating_mul(1 << 16).max(1 << 16) {
                    return Err(format!("the {what} block is too small for {n} values").into());
                }
                Some(self.source.take(stored)?)
            }
        };
        let mut values = vec![T::zeroed(); size / T::SIZE];
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut values);
        let got = match frame {
            None => self.source.fill(bytes).map(|()| size)?,
            Some(frame) => zstd::bulk::decompress_to_buffer(&frame, bytes)
                .map_err(|e| format!("the {what} block does not decompress: {e}"))?,
        };
        if got != size {
            return Err(wrong_size(got).into());
        }
        if cfg!(target_endian = "big") {
            values.iter_mut().for_each(|x| *x = x.to_native());
        }
        Ok(values)
    }
}

/// Decodes a payload of the block layout: version 5 (`A` = [`AnalyzerConfig`], `M` =
/// [`MixingV5`]), 4 (`M` = [`Mixing`]), 3 (`M` = `()`) or 2 (also `A` = [`AnalyzerV2`]).
fn decode_blocks<A, M, S>(source: &mut S) -> std::result::Result<Model, Failure>
where
    A: serde::de::DeserializeOwned + Into<AnalyzerConfig>,
    M: serde::de::DeserializeOwned + MixingOf,
    S: Source,
{
    const CUT_SHORT: &str = "the model header block is cut short";
    let mut len = [0; 8];
    if source.remaining() < len.len() as u64 {
        return Err(CUT_SHORT.into());
    }
    source.fill(&mut len)?;
    let meta_len = usize::try_from(u64::from_le_bytes(len))
        .ok()
        .filter(|&n| n as u64 <= source.remaining())
        .ok_or(CUT_SHORT)?;
    let meta: Meta<A, M> =
        postcard::from_bytes(&source.take(meta_len)?).map_err(|e| e.to_string())?;
    let heads = meta.labels.len();
    let (mixing, lexicon_size) = meta.mixing.parts();
    let mixing = mixing.unwrap_or(Mixing {
        outputs: heads as u32,
        mixtures: Vec::new(),
    });
    let outputs = mixing.outputs as usize;
    if outputs == 0 || outputs > heads {
        return Err(format!("{outputs} labels among {heads} heads").into());
    }
    for mix in &mixing.mixtures {
        mix.check(outputs, heads)?;
    }
    let mut blocks = Blocks {
        source,
        blocks: meta.blocks.iter(),
    };
    let nf = meta.features;
    let nl = meta.labels.len() as u64;
    if nf > u32::MAX as u64 {
        return Err(format!("{nf} features is too many").into());
    }
    let keys: Vec<u64> = blocks.next("feature keys", nf)?;
    let idf: Vec<f32> = blocks.next("IDF weights", nf)?;
    let weights: Vec<f32> = blocks.next("weights", nf.saturating_mul(nl))?;
    let lexicon = match lexicon_size {
        Some(size) => {
            let tokens: Vec<u64> = blocks.next("lexicon keys", size.entries)?;
            let entries: Vec<u32> = blocks.next("lexicon entries", size.words)?;
            Lexicon::from_parts(tokens, entries, heads, nf as usize)?
        }
        None => Lexicon::default(),
    };
    if blocks.blocks.next().is_some() || blocks.source.remaining() != 0 {
        return Err("unexpected data after the last block".into());
    }
    let vocabulary = Vocabulary::from_parts(keys, idf, meta.word_features)?;
    let mut model = Model::assemble(
        Vectorizer::new(Analyzer::new(meta.analyzer.into()), vocabulary),
        meta.labels,
        outputs,
        mixing.mixtures,
        weights,
        meta.card.map_analyzer(Into::into),
    );
    model.lexicon = lexicon;
    Ok(model)
}

/// Writes `model` to `path` atomically.
pub fn save(model: &Model, path: &Path) -> Result<()> {
    let bytes = to_bytes(model)?;
    write_atomically(path, &bytes)
}

/// Writes bytes to `path` through a temporary file in the same folder and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".moderato-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::Permissions::from_mode(0o644);
        std::fs::set_permissions(tmp.path(), mode).map_err(|e| Error::io(path, e))?;
    }
    // Interrupted while writing: the temporary file is removed when `tmp` drops.
    crate::interrupt::check()?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Reads a model from `path`: the arrays of a version-2 to version-4 file are read straight
/// into the vectors that keep them and its checksum is computed as they are read (no buffer of
/// the whole file), with the same errors as [`from_bytes`] of the file's bytes.
pub fn load(path: &Path) -> Result<Model> {
    let io = |e| Error::io(path, e);
    let file = File::open(path).map_err(io)?;
    let info = file.metadata().map_err(io)?;
    if !info.is_file() {
        // A pipe or a device: how long it is shows only once it is read.
        return from_bytes(&std::fs::read(path).map_err(io)?, path);
    }
    let file_len = info.len();
    let mut reader = BufReader::new(file);
    let mut start = vec![0; file_len.min(HEADER_LEN as u64) as usize];
    reader.read_exact(&mut start).map_err(io)?;
    let header = Header::check(&start, file_len, path)?;
    if header.version == 1 {
        // One zstd frame, decoded as a whole.
        reader.read_to_end(&mut start).map_err(io)?;
        return from_bytes(&start, path);
    }
    let mut source = FileSource {
        reader,
        hasher: Xxh3::new(),
        left: file_len - HEADER_LEN as u64,
    };
    let decoded = decode_blocks_of(header.version, &mut source);
    // The checksum is known only once every byte is read, and it overrides any other error.
    if !matches!(decoded, Err(Failure::Io(_))) && source.digest().map_err(io)? != header.checksum {
        return Err(checksum_mismatch(path));
    }
    decoded.map_err(|e| e.into_error(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ScoreScratch;

    /// A tiny model with exact character blocks (what versions 1 and 2 can store).
    fn tiny_model() -> Model {
        tiny_model_with(CharBlock::Exact)
    }

    fn tiny_model_with(char_block: CharBlock) -> Model {
        crate::model::test_models::trained_with(
            &[
                "you idiot",
                "lovely day",
                "stupid idiot",
                "nice work",
                "idiot!",
                "great job",
            ],
            &[("toxic", &[true, false, true, false, true, false])],
            char_block,
        )
    }

    #[test]
    fn new_models_have_per_word_char_blocks_by_default() {
        let m = crate::model::test_models::trained(
            &["you idiot", "lovely day", "idiot!", "nice work"],
            &[("toxic", &[true, false, true, false])],
        );
        assert_eq!(
            m.vectorizer.analyzer().config().char_block,
            CharBlock::PerWord
        );
        assert_eq!(m.card.analyzer.char_block, CharBlock::PerWord);
        let loaded = from_bytes(&to_bytes(&m).unwrap(), path()).unwrap();
        assert_eq!(loaded.card.analyzer.char_block, CharBlock::PerWord);
    }

    #[test]
    fn save_then_load_gives_bit_identical_scores() {
        for char_block in [CharBlock::Exact, CharBlock::PerWord] {
            save_then_load_with(char_block);
        }
    }

    fn save_then_load_with(char_block: CharBlock) {
        let model = tiny_model_with(char_block);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.model");
        save(&model, &path).unwrap();
        let loaded = load(&path).unwrap();
        let (mut a, mut b) = (ScoreScratch::default(), ScoreScratch::default());
        for text in ["you idiot", "what a lovely day", "", "ünïcödé ✨"] {
            let (mut pa, mut pb) = (Vec::new(), Vec::new());
            model.probabilities(text, &mut a, &mut pa);
            loaded.probabilities(text, &mut b, &mut pb);
            assert_eq!(
                pa.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                pb.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
        }
        assert_eq!(
            to_bytes(&model).unwrap(),
            to_bytes(&loaded).unwrap(),
            "encoding is deterministic"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files left behind");
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            u32::from_le_bytes(bytes[8..12].try_into().unwrap()),
            FORMAT_VERSION
        );
        assert_eq!(loaded.vectorizer.analyzer().config().char_block, char_block);
        assert_eq!(loaded.card.analyzer.char_block, char_block);
    }

    const TEXTS: &[&str] = &[
        "you idiot",
        "what a lovely day",
        "",
        "ünïcödé ✨",
        "s t u p i d spam, visit http://example.com now",
        "Du bist so dumm, echt jetzt",
    ];

    fn score_bits(model: &Model) -> Vec<Vec<u32>> {
        let mut scratch = ScoreScratch::default();
        TEXTS
            .iter()
            .map(|t| {
                let mut p = Vec::new();
                model.probabilities(t, &mut scratch, &mut p);
                let mut plain = Vec::new();
                model.probabilities_plain(t, &mut scratch, &mut plain);
                p.iter().chain(&plain).map(|x| x.to_bits()).collect()
            })
            .collect()
    }

    /// Bits of the probabilities that the code which wrote the version-2 fixture gave for it
    /// on [`TEXTS`]: toxic and spam by the fast path, then by the plain path.
    const V2_FIXTURE_SCORES: [[u32; 4]; 6] = [
        [0x3f6fc885, 0x3d33b30c, 0x3f6fc886, 0x3d33b309],
        [0x3f1329aa, 0x3da2af5a, 0x3f1329aa, 0x3da2af5c],
        [0x3e721440, 0x3df3f8a7, 0x3e721440, 0x3df3f8a7],
        [0x3e650709, 0x3e108f7a, 0x3e650709, 0x3e108f7a],
        [0x3edb738b, 0x3f6d7e1a, 0x3edb738a, 0x3f6d7e1a],
        [0x3e910a6c, 0x3de1dc97, 0x3e910a6c, 0x3de1dc9b],
    ];

    fn path() -> &'static Path {
        Path::new("m.model")
    }

    #[test]
    fn versions_1_to_5_load_with_bit_identical_scores() {
        let model = tiny_model();
        let v1 = from_bytes(&to_bytes_v1(&model).unwrap(), path()).unwrap();
        let v2 = from_bytes(&to_bytes_v2(&model).unwrap(), path()).unwrap();
        let v3 = from_bytes(&to_bytes_v3(&model).unwrap(), path()).unwrap();
        let v4 = from_bytes(&to_bytes_v4(&model).unwrap(), path()).unwrap();
        let v5 = from_bytes(&to_bytes(&model).unwrap(), path()).unwrap();
        for loaded in [&v1, &v2, &v3, &v4, &v5] {
            assert_eq!(score_bits(loaded), score_bits(&model));
            assert_eq!(loaded.card, model.card);
            assert_eq!(
                loaded.vectorizer.analyzer().config(),
                model.vectorizer.analyzer().config()
            );
        }
        for old in [&v1, &v2, &v3] {
            assert_eq!(to_bytes(old).unwrap(), to_bytes(&v4).unwrap());
        }
    }

    #[test]
    fn version_5_keeps_the_lexicon() {
        let model = tiny_model_with(CharBlock::PerWord);
        assert!(!model.lexicon.is_empty());
        let loaded = from_bytes(&to_bytes(&model).unwrap(), path()).unwrap();
        assert_eq!(loaded.lexicon.parts(), model.lexicon.parts());
        assert_eq!(score_bits(&loaded), score_bits(&model));
        let v4 = from_bytes(&to_bytes_v4(&model).unwrap(), path()).unwrap();
        assert!(v4.lexicon.is_empty(), "version 4 has none");
        assert_eq!(score_bits(&v4), score_bits(&model), "and scores the same");
    }

    /// A version-1 file written by moderato before version 2 existed (`moderato train` on a
    /// quarter of training-data/comments.csv, character 3–4-grams, English and German).
    #[test]
    fn a_version_1_file_from_the_old_code_still_loads_and_converts_exactly() {
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/model-v1.model");
        let bytes = std::fs::read(fixture).unwrap();
        assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 1);
        let v1 = from_bytes(&bytes, path()).unwrap();
        assert_eq!(
            to_bytes_v1(&v1).unwrap(),
            bytes,
            "the test-only version-1 writer is the old code path"
        );
        assert_eq!(
            v1.vectorizer.analyzer().config().char_block,
            CharBlock::Exact
        );
        let v3 = from_bytes(&to_bytes(&v1).unwrap(), path()).unwrap();
        assert_eq!(score_bits(&v3), score_bits(&v1));
        assert_eq!(v3.label_names(), ["toxic", "spam"]);
        assert_eq!(v3.thresholds(), v1.thresholds());
        let flagged = v1.score("you s t u p i d idiot", &mut ScoreScratch::default(), 0);
        assert!(flagged.verdict.flags.contains(&0), "{flagged:?}");
    }

    /// A version-2 file written by moderato before version 3 existed (`moderato train` on every
    /// fourth row of training-data/comments.csv, character 3–4-grams, English and German), and
    /// the probabilities that code gave on [`TEXTS`] (fast path then plain path, per text).
    #[test]
    fn a_version_2_file_from_the_old_code_loads_and_scores_as_before() {
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/model-v2.model");
        let bytes = std::fs::read(fixture).unwrap();
        assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 2);
        let v2 = from_bytes(&bytes, path()).unwrap();
        assert_eq!(score_bits(&v2), V2_FIXTURE_SCORES);
        assert_eq!(
            v2.vectorizer.analyzer().config().char_block,
            CharBlock::Exact
        );
        assert_eq!(v2.card.analyzer.char_block, CharBlock::Exact);
        assert_eq!(
            to_bytes_v2(&v2).unwrap(),
            bytes,
            "the test-only version-2 writer is the old code path"
        );
        let v3 = from_bytes(&to_bytes(&v2).unwrap(), path()).unwrap();
        assert_eq!(score_bits(&v3), V2_FIXTURE_SCORES);
    }

    fn error_of(bytes: &[u8]) -> String {
        match from_bytes(bytes, path()) {
            Ok(_) => panic!("a broken model loaded"),
            Err(e) => e.to_string(),
        }
    }

    /// A version-4 payload with a valid checksum around `meta` and `data`.
    fn crafted(meta: &Meta, data: &[u8]) -> Vec<u8> {
        crafted_as(4, meta, data)
    }

    /// A payload of `version` with a valid checksum around `meta` and `data`.
    fn crafted_as<M: Serialize>(
        version: u32,
        meta: &Meta<AnalyzerConfig, M>,
        data: &[u8],
    ) -> Vec<u8> {
        let meta = postcard::to_stdvec(meta).unwrap();
        let mut payload = (meta.len() as u64).to_le_bytes().to_vec();
        payload.extend_from_slice(&meta);
        payload.extend_from_slice(data);
        with_header(version, &payload)
    }

    /// Broken model files, each with a part of the error it must give.
    fn broken_files() -> Vec<(Vec<u8>, &'static str)> {
        let model = tiny_model();
        let bytes = to_bytes(&model).unwrap();
        let mut corrupt = bytes.clone();
        let n = corrupt.len();
        corrupt[n - 5] ^= 1;
        let mut future = bytes.clone();
        future[8] = 6;
        let mut trailing = bytes.clone();
        trailing.push(0);
        let mut cases: Vec<(Vec<u8>, &str)> = vec![
            (Vec::new(), "wrong magic"),
            (b"MODERAT".to_vec(), "wrong magic"),
            (
                b"NOTAMODEL and more bytes than a header".to_vec(),
                "wrong magic",
            ),
            (bytes[..bytes.len() - 3].to_vec(), "truncated"),
            (bytes[..20].to_vec(), "incomplete header"),
            (bytes[..HEADER_LEN].to_vec(), "truncated"),
            (corrupt, "checksum"),
            (
                future,
                "version 6 is not supported by this moderato (it reads versions 1 to 5)",
            ),
            // A version-5 payload read as version 2 (the analyzer settings differ).
            (with_header(2, &bytes[HEADER_LEN..]), "does not decode"),
            (trailing, "trailing bytes"),
        ];

        // Payloads whose checksum is right but whose content is not (as a fuzzer may make).
        let (keys, idf, word_features) = model.vectorizer.vocabulary().parts();
        let nf = keys.len() as u64;
        let meta = |features: u64, blocks: &[(Codec, u64)]| Meta {
            analyzer: model.vectorizer.analyzer().config().clone(),
            word_features,
            labels: model.labels.clone(),
            card: model.card.clone(),
            features,
            blocks: blocks
                .iter()
                .map(|&(codec, stored)| BlockV2 { codec, stored })
                .collect(),
            mixing: Mixing {
                outputs: model.labels.len() as u32,
                mixtures: Vec::new(),
            },
        };
        let data: Vec<u8> = [
            raw_bytes(keys.iter().copied()),
            raw_bytes(idf.iter().copied()),
            raw_bytes(model.weights.iter().copied()),
        ]
        .concat();
        let plain = |n: u64| (Codec::Plain, n);
        let sizes = [
            plain(nf * 8),
            plain(nf * 4),
            plain(model.weights.len() as u64 * 4),
        ];
        assert!(
            from_bytes(&crafted(&meta(nf, &sizes), &data), path()).is_ok(),
            "the crafted file is right when nothing is changed"
        );
        cases.extend([
            (
                crafted(&meta(nf, &sizes[..2]), &data),
                "weights block is missing",
            ),
            (
                crafted(&meta(nf, &sizes), &data[..data.len() - 4]),
                "past the end",
            ),
            (
                crafted(&meta(nf, &sizes), &[&data[..], &[0; 4]].concat()),
                "after the last block",
            ),
            (crafted(&meta(nf + 1, &sizes), &data), "has"),
            (
                crafted(&meta(nf, &[sizes[0], plain(nf * 4 + 4), sizes[2]]), &data),
                "has",
            ),
            (crafted(&meta(u64::MAX / 2, &sizes), &data), "too many"),
            (crafted(&meta(1 << 33, &sizes), &data), "too many"),
            (
                crafted(
                    &meta(nf, &[sizes[0], (Codec::Zstd, nf * 4), sizes[2]]),
                    &data,
                ),
                "does not decompress",
            ),
            (
                crafted(&meta(1 << 30, &[(Codec::Zstd, 8)]), &[0; 8]),
                "too small",
            ),
        ]);
        for version in [2, 3, 4, 5] {
            cases.extend([
                (with_header(version, &[1, 2, 3]), "cut short"),
                (
                    with_header(version, &[200, 0, 0, 0, 0, 0, 0, 0, 1]),
                    "cut short",
                ),
                (
                    with_header(version, &[1, 0, 0, 0, 0, 0, 0, 0, 0xff]),
                    "does not decode",
                ),
            ]);
        }
        let mut words = meta(nf, &sizes);
        words.word_features = nf as u32 + 1;
        cases.push((crafted(&words, &data), "word features"));
        // Label counts and mixtures that do not fit the heads.
        for outputs in [0, model.labels.len() as u32 + 1] {
            let mut m = meta(nf, &sizes);
            m.mixing.outputs = outputs;
            cases.push((crafted(&m, &data), "heads"));
        }
        let mixture = |experts: Vec<u32>, gates: Vec<u32>| super::Mixture {
            label: 0,
            experts,
            gates,
            calibration: Default::default(),
        };
        for bad in [
            mixture(vec![0, 9], vec![1]),
            mixture(vec![0, 1], vec![]),
            mixture(vec![0], vec![1]),
            mixture(vec![0, 1, 1], vec![1]),
        ] {
            let mut m = meta(nf, &sizes);
            m.mixing.mixtures = vec![bad];
            cases.push((crafted(&m, &data), "mixture"));
        }
        // Version 5: lexicons that do not fit the model.
        let v5 = |entries: u64, words: u64, tokens: &[u64], lexicon: &[u32]| {
            let mut blocks = sizes.to_vec();
            blocks.push(plain(tokens.len() as u64 * 8));
            blocks.push(plain(lexicon.len() as u64 * 4));
            let m = meta(nf, &blocks);
            let m = Meta {
                analyzer: m.analyzer,
                word_features: m.word_features,
                labels: m.labels,
                card: m.card,
                features: m.features,
                blocks: m.blocks,
                mixing: MixingV5 {
                    mixing: m.mixing,
                    lexicon: LexiconSize { entries, words },
                },
            };
            let data = [
                &data[..],
                &raw_bytes(tokens.iter().copied()),
                &raw_bytes(lexicon.iter().copied()),
            ]
            .concat();
            crafted_as(5, &m, &data)
        };
        let heads = model.labels.len();
        let entry = |ids: &[u32]| {
            let mut e = vec![1, 2, ids.len() as u32, 0];
            e.extend(std::iter::repeat_n(0, heads));
            e.extend_from_slice(ids);
            e
        };
        let good = entry(&[0]);
        assert!(
            from_bytes(&v5(1, good.len() as u64, &[7], &good), path()).is_ok(),
            "the crafted version-5 file is right when nothing is changed"
        );
        let bad = entry(&[nf as u32]);
        cases.extend([
            (
                v5(1, bad.len() as u64, &[7], &bad),
                "names a feature the model does not have",
            ),
            (
                v5(2, good.len() as u64, &[7, 8], &good),
                "2 keys for 1 entries",
            ),
            (
                v5(1, good.len() as u64 - 1, &[7], &good[..good.len() - 1]),
                "runs past the end",
            ),
            (v5(1, good.len() as u64, &[7], &good[..1]), "has"),
        ]);
        cases
    }

    #[test]
    fn broken_version_2_to_5_files_are_refused_with_clear_errors() {
        for (i, (bytes, expect)) in broken_files().iter().enumerate() {
            let e = error_of(bytes);
            assert!(e.contains(expect), "case {i}: {e}");
        }
    }

    /// What [`load`] gives for `bytes` written to a file in `dir`.
    fn load_of(dir: &Path, bytes: &[u8]) -> Result<Model> {
        let file = dir.join("m.model");
        std::fs::write(&file, bytes).unwrap();
        load(&file)
    }

    #[test]
    fn load_reads_a_file_as_from_bytes_reads_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let model = tiny_model();
        let default = concat!(env!("CARGO_MANIFEST_DIR"), "/models/default.model");
        let good = [
            to_bytes_v1(&model).unwrap(),
            to_bytes_v2(&model).unwrap(),
            to_bytes_v3(&model).unwrap(),
            to_bytes(&model).unwrap(),
            to_bytes(&tiny_model_with(CharBlock::PerWord)).unwrap(),
            std::fs::read(default).unwrap(),
        ];
        for bytes in &good {
            let direct = load_of(dir.path(), bytes).unwrap();
            let from_memory = from_bytes(bytes, &dir.path().join("m.model")).unwrap();
            assert_eq!(to_bytes(&direct).unwrap(), to_bytes(&from_memory).unwrap());
            assert_eq!(score_bits(&direct), score_bits(&from_memory));
        }

        // Broken files, and each of them (and the good ones) with a byte of its payload or
        // of its checksum changed: the checksum error overrides any other.
        let mut broken = broken_files();
        for bytes in good[..5]
            .iter()
            .chain(broken.clone().iter().map(|(b, _)| b))
        {
            for at in [HEADER_LEN - 1, HEADER_LEN, HEADER_LEN + 9, bytes.len() - 1] {
                if let Some(byte) = bytes.get(at).filter(|_| at >= 20) {
                    let mut changed = bytes.clone();
                    changed[at] = byte ^ 0x40;
                    broken.push((changed, ""));
                }
            }
        }
        for (i, (bytes, _)) in broken.iter().enumerate() {
            let direct = load_of(dir.path(), bytes).map(|_| ()).unwrap_err();
            let from_memory = from_bytes(bytes, &dir.path().join("m.model"))
                .map(|_| ())
                .unwrap_err();
            assert_eq!(direct.to_string(), from_memory.to_string(), "case {i}");
        }
    }

    #[test]
    fn load_reports_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let e = load(&dir.path().join("absent.model"))
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(e, Error::Io { .. }), "{e}");
    }
}
