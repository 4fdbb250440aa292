//! The model file: a fixed header (magic, format version, payload length, checksum) followed by
//! the zstd-compressed postcard encoding of the model. Written to a temporary file in the same
//! folder and renamed into place, so a crash never leaves a partial model behind.

use super::Model;
use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;
use xxhash_rust::xxh3::xxh3_64;

/// The first bytes of every moderato model file.
pub const MAGIC: &[u8; 8] = b"MODERATO";
/// The model format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 8 + 8;

/// Encodes a model into the bytes of a model file.
pub fn to_bytes(model: &Model) -> Result<Vec<u8>> {
    let encoded = postcard::to_stdvec(model)
        .map_err(|e| Error::Output(format!("encoding the model: {e}")))?;
    let payload = zstd::bulk::compress(&encoded, 9)
        .map_err(|e| Error::Output(format!("compressing the model: {e}")))?;
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&xxh3_64(&payload).to_le_bytes());
    bytes.extend_from_slice(&payload);
    Ok(bytes)
}

/// Decodes model file bytes; `path` names the file in errors.
pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Model> {
    let bad = |m: String| Error::model(path, m);
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(bad("not a moderato model (wrong magic bytes)".into()));
    }
    if bytes.len() < HEADER_LEN {
        return Err(bad("truncated model file (incomplete header)".into()));
    }
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap_or([0; 4]));
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap_or([0; 8]));
    let version = u32_at(8);
    if version != FORMAT_VERSION {
        return Err(bad(format!(
            "model format version {version} is not supported by this moderato (it reads version {FORMAT_VERSION}); retrain the model or use a matching moderato"
        )));
    }
    let len = u64_at(12);
    let checksum = u64_at(20);
    let payload = &bytes[HEADER_LEN..];
    if (payload.len() as u64) < len {
        return Err(bad(format!(
            "truncated model file: {} of {} payload bytes",
            payload.len(),
            len
        )));
    }
    if (payload.len() as u64) > len {
        return Err(bad("model file has trailing bytes after its payload".into()));
    }
    if xxh3_64(payload) != checksum {
        return Err(bad("model file is corrupted (checksum mismatch)".into()));
    }
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
    .map_err(|e| bad(format!("model payload does not decompress: {e}")))?;
    postcard::from_bytes(&encoded).map_err(|e| bad(format!("model payload does not decode: {e}")))
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

/// Reads a model from `path`.
pub fn load(path: &Path) -> Result<Model> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    from_bytes(&bytes, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ScoreScratch;

    fn tiny_model() -> Model {
        crate::model::test_models::trained(
            &[
                "you idiot",
                "lovely day",
                "stupid idiot",
                "nice work",
                "idiot!",
                "great job",
            ],
            &[("toxic", &[true, false, true, false, true, false])],
        )
    }

    #[test]
    fn save_then_load_gives_bit_identical_scores() {
        let model = tiny_model();
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
    }
}
