//! Features: vocabulary with document-frequency pruning and IDF, weighted sparse rows.

pub mod extract;
pub mod label_idf;
pub mod sparse;
pub mod table;
pub mod vectorizer;
pub mod vocabulary;

pub use sparse::{CsrMatrix, RowSubset, SparseVec};
pub use vectorizer::{FeatureOrigin, Vectorizer, VectorizerScratch};
pub use vocabulary::{DocumentFrequencies, Vocabulary, VocabularyConfig, BYTES_PER_COUNTED_KEY};
