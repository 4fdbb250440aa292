//! Reads the chosen fields of one JSON object and skips the rest without building it: comment
//! dumps in JSON Lines (Reddit's have dozens of fields a line) are then parsed at about the
//! speed of checking them.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// The values of the fields `names` of the JSON object `json`, in the order of `names` (`None`
/// for a field the object lacks; the last value of a field given twice, as
/// [`serde_json::Value`] keeps it). An error for anything but one valid JSON object.
pub fn pick_fields<const N: usize>(
    json: &[u8],
    names: &[&str; N],
) -> Result<[Option<Value>; N], serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(json);
    let fields = Picker { names }.deserialize(&mut de)?;
    de.end()?;
    Ok(fields)
}

/// Deserializes an object into the values of the wanted fields.
struct Picker<'a, const N: usize> {
    names: &'a [&'a str; N],
}

impl<'de, const N: usize> DeserializeSeed<'de> for Picker<'_, N> {
    type Value = [Option<Value>; N];

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for Picker<'_, N> {
    type Value = [Option<Value>; N];

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields: [Option<Value>; N] = std::array::from_fn(|_| None);
        while let Some(wanted) = map.next_key_seed(KeyMatch { names: self.names })? {
            if wanted == 0 {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let value: Value = map.next_value()?;
            for (i, field) in fields.iter_mut().enumerate() {
                if wanted & (1 << i) != 0 {
                    *field = Some(value.clone());
                }
            }
        }
        Ok(fields)
    }
}

/// Reads a key without keeping it: the bit set of the wanted names it equals.
struct KeyMatch<'a, const N: usize> {
    names: &'a [&'a str; N],
}

impl<'de, const N: usize> DeserializeSeed<'de> for KeyMatch<'_, N> {
    type Value = u32;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
        d.deserialize_str(self)
    }
}

impl<const N: usize> Visitor<'_> for KeyMatch<'_, N> {
    type Value = u32;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<u32, E> {
        Ok(self
            .names
            .iter()
            .enumerate()
            .filter(|(_, name)| **name == key)
            .fold(0, |mask, (i, _)| mask | 1 << i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`pick_fields`] must agree with: the whole object parsed, then the fields read.
    fn through_value<const N: usize>(json: &str, names: &[&str; N]) -> Option<[Option<Value>; N]> {
        let value: Value = serde_json::from_str(json).ok()?;
        let object = value.as_object()?;
        Some(names.map(|name| object.get(name).cloned()))
    }

    #[test]
    fn picks_the_fields_a_full_parse_would_read() {
        let names = ["text", "id", "thread", "parent", "author"];
        let lines = [
            r#"{"text": "hi", "id": 7}"#,
            r#"{"id": "a", "body": {"nested": [1, 2, {"text": "no"}]}, "text": "yes"}"#,
            r#"{"text": "first", "text": "last", "author": null}"#,
            r#"{"te\u0078t": "escaped key", "parent": 1.5e3, "thread": -0}"#,
            r#"{"text": "caf\u00e9 \ud83d\ude00", "score": 12, "edited": false}"#,
            r#"  {"text": ["not", "a", "string"]}  "#,
            r#"{}"#,
            r#"{"id": 12345678901234567890123, "text": ""}"#,
        ];
        for line in lines {
            let picked = pick_fields(line.as_bytes(), &names).ok();
            assert_eq!(picked, through_value(line, &names), "{line}");
        }
        // One field asked for under two names gets the value in both places.
        let both = pick_fields(br#"{"x": "v"}"#, &["x", "x"]).unwrap();
        assert_eq!(both, [Some(Value::from("v")), Some(Value::from("v"))]);
    }

    #[test]
    fn refuses_what_is_not_one_object() {
        for line in [
            "[1, 2]",
            "\"text\"",
            "3",
            "null",
            "{\"text\": \"a\"} {}",
            "{\"text\": \"a\"",
            "{\"text\": \"a\",}",
            "{\"text\": tru}",
            "",
        ] {
            assert!(pick_fields(line.as_bytes(), &["text"]).is_err(), "{line}");
        }
    }
}
