//! Perspective API compatibility: request and response shapes of `comments:analyze`, and the
//! table that maps Perspective attribute names to model labels.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Perspective attribute name → model label. One label may answer several attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeMap(pub BTreeMap<String, String>);

impl AttributeMap {
    /// The default table: toxic→TOXICITY (and SEVERE_TOXICITY), hate→IDENTITY_ATTACK,
    /// offensive→INSULT and PROFANITY, spam→SPAM; only the labels the model has are kept.
    pub fn default_for(labels: &[&str]) -> Self {
        let pairs = [
            ("TOXICITY", "toxic"),
            ("SEVERE_TOXICITY", "toxic"),
            ("IDENTITY_ATTACK", "hate"),
            ("INSULT", "offensive"),
            ("PROFANITY", "offensive"),
            ("SPAM", "spam"),
        ];
        AttributeMap(
            pairs
                .iter()
                .filter(|(_, l)| labels.contains(l))
                .map(|(a, l)| (a.to_string(), l.to_string()))
                .collect(),
        )
    }

    /// Reads a JSON object `{"TOXICITY": "toxic", ...}` and checks every label exists.
    pub fn parse(bytes: &[u8], labels: &[&str]) -> Result<Self, String> {
        let map: BTreeMap<String, String> =
            serde_json::from_slice(bytes).map_err(|e| format!("invalid attribute map: {e}"))?;
        for (attr, label) in &map {
            if !labels.contains(&label.as_str()) {
                return Err(format!(
                    "attribute {attr} maps to label '{label}', which the model does not have"
                ));
            }
        }
        Ok(AttributeMap(map))
    }

    /// The label answering an attribute.
    pub fn label(&self, attribute: &str) -> Option<&str> {
        self.0.get(attribute).map(String::as_str)
    }
}

/// `{"comment": {"text": ...}, "requestedAttributes": {...}, "languages": [...], "spanAnnotations": bool}`
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzeRequest {
    pub comment: CommentField,
    pub requested_attributes: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub span_annotations: bool,
    /// Accepted and ignored, as Perspective clients send them.
    #[serde(default)]
    pub do_not_store: Option<bool>,
    #[serde(default)]
    pub client_token: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub context: Option<serde_json::Value>,
}

/// The comment of a request.
#[derive(Debug, Deserialize)]
pub struct CommentField {
    pub text: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// A probability as Perspective writes it.
#[derive(Debug, Serialize)]
pub struct Score {
    pub value: f32,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl Score {
    pub fn probability(value: f32) -> Self {
        Score {
            value,
            kind: "PROBABILITY",
        }
    }
}

/// One span score: character offsets (Unicode code points) into the request text.
#[derive(Debug, Serialize)]
pub struct SpanScore {
    pub begin: usize,
    pub end: usize,
    pub score: Score,
}

/// Scores of one attribute.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeScores {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub span_scores: Vec<SpanScore>,
    pub summary_score: Score,
}

/// `{"attributeScores": {...}, "languages": [...]}`
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzeResponse {
    pub attribute_scores: BTreeMap<String, AttributeScores>,
    pub languages: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// Sentence spans of a text in character offsets: split after `.`, `!`, `?` and line breaks.
pub fn sentence_spans(text: &str) -> Vec<(usize, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut spans = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let ends = matches!(c, '.' | '!' | '?' | '\n');
        if ends {
            let mut j = i + 1;
            while j < chars.len() && matches!(chars[j], '.' | '!' | '?') {
                j += 1;
            }
            if chars[start..j].iter().any(|c| c.is_alphanumeric()) {
                spans.push((start, j));
            }
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            start = j;
            i = j;
        } else {
            i += 1;
        }
    }
    if start < chars.len() && chars[start..].iter().any(|c| c.is_alphanumeric()) {
        let mut end = chars.len();
        while end > start && chars[end - 1].is_whitespace() {
            end -= 1;
        }
        spans.push((start, end));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_in_character_offsets() {
        let t = "Héllo there. You idiot!!  Bye";
        let spans = sentence_spans(t);
        let chars: Vec<char> = t.chars().collect();
        let texts: Vec<String> = spans
            .iter()
            .map(|&(b, e)| chars[b..e].iter().collect())
            .collect();
        assert_eq!(texts, vec!["Héllo there.", "You idiot!!", "Bye"]);
    }

    #[test]
    fn default_map_keeps_known_labels() {
        let m = AttributeMap::default_for(&["toxic", "spam"]);
        assert_eq!(m.label("TOXICITY"), Some("toxic"));
        assert_eq!(m.label("INSULT"), None);
        assert!(AttributeMap::parse(br#"{"TOXICITY": "rude"}"#, &["toxic"]).is_err());
    }
}
