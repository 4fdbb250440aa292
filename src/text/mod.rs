//! Text in, feature keys out: normalisation, tokenisation, stemming languages, the analyzer.

pub mod analyzer;
pub mod chars;
pub mod chunk;
pub mod deobfuscate;
pub mod dictionary;
pub mod language;
pub mod lexicon;
pub mod normalize;
pub mod tokenize;

pub use analyzer::{AnalyzedDoc, Analyzer, AnalyzerConfig, Block, CharBlock, TokenKeys};
pub use language::Language;
pub use tokenize::{Token, TokenKind};
