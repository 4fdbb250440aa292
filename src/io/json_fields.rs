//! Reads the chosen fields of one JSON object and only checks the rest, without building it:
//! comment dumps in JSON Lines (Reddit's have dozens of fields a line) are then parsed at about
//! the speed of checking them. What is refused is exactly what a full parse into a
//! [`serde_json::Value`] refuses.

use serde::de::{self, Deserialize, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// The values of the fields `names` of the JSON object `json`, in the order of `names` (`None`
/// for a field the object lacks; the last value of a field given twice, as
/// [`serde_json::Value`] keeps it). An error for anything but one valid JSON object.
pub fn pick_fields<const N: usize>(
    json: &[u8],
    names: &[&str; N],
) -> Result<[Option<Value>; N], serde_json::Error> {
    const { assert!(N <= 32, "a key's matches are a 32-bit set") };
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
                map.next_value::<Checked>()?;
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

/// A value read and checked as a [`Value`] would be (strings decoded, so invalid UTF-8 and
/// lone surrogates are refused; numbers parsed, so out-of-range ones are too) but not kept.
/// (`serde::de::IgnoredAny` skips strings and numbers without those checks.)
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Checked, D::Error> {
        d.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
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

/// What [`pick_fields`] must agree with (tests and the `jsonl` fuzz target): the whole line
/// parsed into a [`Value`], then the fields read; `None` where `pick_fields` must fail.
pub(crate) fn pick_fields_through_value<const N: usize>(
    json: &[u8],
    names: &[&str; N],
) -> Option<[Option<Value>; N]> {
    let value: Value = serde_json::from_slice(json).ok()?;
    let object = value.as_object()?;
    Some(names.map(|name| object.get(name).cloned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through_value<const N: usize>(json: &str, names: &[&str; N]) -> Option<[Option<Value>; N]> {
        pick_fields_through_value(json.as_bytes(), names)
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
            "{\"text\": \"a\", \"x\": \"\\ud800\"}",
            "{\"text\": \"a\", \"x\": [1e999]}",
            "{\"text\": \"a\", \"x\": {\"y\": \"\t\"}}",
            "",
        ] {
            assert!(pick_fields(line.as_bytes(), &["text"]).is_err(), "{line}");
            assert!(pick_fields_through_value(line.as_bytes(), &["text"]).is_none());
        }
        // Invalid UTF-8 in a field that is not read.
        assert!(pick_fields(b"{\"text\": \"a\", \"x\": \"\xff\"}", &["text"]).is_err());
    }
}
