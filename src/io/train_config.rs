//! Training config files: the inputs of a model (with column-to-label mappings), its labels,
//! languages, output path and data notes, in JSON, so that a model can be rebuilt by one
//! command. Paths are relative to the directory moderato runs in.

use super::labelled::LabelledSpec;
use crate::error::{Error, Result};
use crate::text::{CharBlock, Language};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// One input file of a training config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigInput {
    pub path: String,
    /// Model label → column of this file. Empty: the file's columns named like model labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// A training config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    pub output: Option<String>,
    pub labels: Option<Vec<String>>,
    pub languages: Option<Vec<Language>>,
    /// How the character n-gram block is built (`"exact"` or `"per-word"`).
    pub char_block: Option<CharBlock>,
    pub inputs: Vec<ConfigInput>,
    #[serde(default)]
    pub data_notes: Vec<String>,
    /// Give every input file carrying a label the same total weight for it.
    #[serde(default)]
    pub balance_sources: bool,
    /// Labels trained as a gated mixture of one expert per input file carrying them.
    #[serde(default)]
    pub source_experts: Vec<String>,
    /// Weigh every label's features by IDF over all rows, not over the rows carrying it.
    #[serde(default)]
    pub shared_idf: bool,
}

impl TrainConfig {
    /// Reads a config file.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let config: TrainConfig = serde_json::from_slice(&bytes)
            .map_err(|e| Error::input(path, format!("invalid training config: {e}")))?;
        if config.inputs.is_empty() {
            return Err(Error::input(path, "the config lists no inputs"));
        }
        Ok(config)
    }

    /// The inputs as labelled-file specs.
    pub fn specs(&self) -> Vec<LabelledSpec> {
        self.inputs
            .iter()
            .map(|i| LabelledSpec {
                path: i.path.clone(),
                mapping: i
                    .labels
                    .iter()
                    .map(|(l, c)| (l.clone(), c.clone()))
                    .collect(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_inputs_mappings_and_languages() {
        let json = br#"{"output": "m.model", "labels": ["toxic", "offensive"], "languages": ["english", "de"],
            "inputs": [{"path": "a.csv", "labels": {"offensive": "abusive"}}, {"path": "b.csv"}],
            "data_notes": ["CC BY 4.0"], "balance_sources": true, "char_block": "per-word",
            "source_experts": ["hate"], "shared_idf": true}"#;
        let c: TrainConfig = serde_json::from_slice(json).unwrap_or_else(|e| panic!("{e}"));
        let specs = c.specs();
        assert_eq!(
            specs[0].mapping,
            vec![("offensive".to_string(), "abusive".to_string())]
        );
        assert!(specs[1].mapping.is_empty());
        assert!(c.balance_sources);
        assert_eq!(c.source_experts, vec!["hate".to_string()]);
        assert!(c.shared_idf);
        assert_eq!(c.char_block, Some(CharBlock::PerWord));
        assert_eq!(
            c.languages.unwrap(),
            vec![Language::English, Language::German]
        );
        assert!(serde_json::from_slice::<TrainConfig>(br#"{"inputs": [], "colour": 1}"#).is_err());
    }
}
