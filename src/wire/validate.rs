//! AWS's request validation of a JSON object body ([`validate`]): a scan of
//! its top-level members that decodes no value.

use super::members::{Member, Shape, required};
use crate::error::KmsError;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Enum values longer than this are not echoed in a message.
const MAX_ECHOED: usize = 256;

/// AWS's request validation of a JSON object body: every required member
/// missing or `null`, every enum member whose value is not one of AWS's, in
/// one `ValidationException` worded as AWS words it. `None` when there is
/// nothing to say, and also when the body does not parse or a member has the
/// wrong JSON type: the decoder then answers (SerializationException).
pub(super) fn validate(body: &[u8], members: &[Member]) -> Option<KmsError> {
    if members.is_empty() {
        return None;
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let seen = Scan(members).deserialize(&mut de).ok()?;
    de.end().ok()?;
    let mut errors = Vec::new();
    for (m, seen) in members.iter().zip(seen) {
        match seen {
            Seen::Absent | Seen::Null if m.required => errors.push(null_error(m.path)),
            Seen::BadEnum(value) => {
                if let Shape::Enum(values) = m.shape {
                    errors.push(enum_error(m.path, &value, values));
                }
            }
            Seen::TagsWithout(missing) => {
                for (i, field) in missing {
                    errors.push(null_error(&format!("{}.{i}.member.{field}", m.path)));
                }
            }
            _ => {}
        }
    }
    (!errors.is_empty()).then(|| KmsError::validation_errors(&errors))
}

fn null_error(path: &str) -> String {
    format!("Value null at '{path}' failed to satisfy constraint: Member must not be null")
}

fn enum_error(path: &str, value: &str, values: &[&str]) -> String {
    let constraint = format!(
        "failed to satisfy constraint: Member must satisfy enum value set: [{}]",
        values.join(", ")
    );
    if value.chars().count() > MAX_ECHOED {
        format!("Value at '{path}' {constraint}")
    } else {
        format!(
            "Value '{}' at '{path}' {constraint}",
            value.escape_default()
        )
    }
}

/// What the scan saw of one member.
#[derive(Clone)]
enum Seen {
    Absent,
    Null,
    Present,
    /// An enum value that is not one of AWS's.
    BadEnum(String),
    /// Tags whose `TagKey` or `TagValue` is missing: (1-based index, member).
    TagsWithout(Vec<(usize, &'static str)>),
}

/// A scan of the body's top-level object. It decodes no value (nothing is
/// copied but the few bytes of a wrong enum value): a wrong JSON type, a
/// duplicate member or bad JSON ends it with an error.
struct Scan<'m>(&'m [Member]);

impl<'de> DeserializeSeed<'de> for Scan<'_> {
    type Value = Vec<Seen>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Scan<'_> {
    type Value = Vec<Seen>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a request object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = vec![Seen::Absent; self.0.len()];
        while let Some(i) = map.next_key_seed(MemberIndex(self.0))? {
            let Some(i) = i else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if !matches!(seen[i], Seen::Absent) {
                return Err(de::Error::custom("duplicate member"));
            }
            seen[i] = map.next_value_seed(Value(self.0[i].shape))?;
        }
        Ok(seen)
    }
}

/// A member name: its index among the known members, `None` for another.
struct MemberIndex<'m>(&'m [Member]);

impl<'de> DeserializeSeed<'de> for MemberIndex<'_> {
    type Value = Option<usize>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for MemberIndex<'_> {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|m| m.name == v))
    }
}

/// One member's value, checked against its shape.
struct Value(Shape);

impl Value {
    fn wrong<T, E: de::Error>() -> Result<T, E> {
        Err(E::custom("a member of the wrong type"))
    }
}

impl<'de> DeserializeSeed<'de> for Value {
    type Value = Seen;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Value {
    type Value = Seen;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Seen, E> {
        Ok(Seen::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Seen, E> {
        Ok(Seen::Null)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Seen, E> {
        match self.0 {
            Shape::Bool => Ok(Seen::Present),
            _ => Self::wrong(),
        }
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Seen, E> {
        match self.0 {
            Shape::Int | Shape::Num => Ok(Seen::Present),
            _ => Self::wrong(),
        }
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Seen, E> {
        self.visit_i64(0)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Seen, E> {
        match self.0 {
            Shape::Num => Ok(Seen::Present),
            _ => Self::wrong(),
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Seen, E> {
        match self.0 {
            Shape::Str => Ok(Seen::Present),
            Shape::Enum(values) if values.contains(&v) => Ok(Seen::Present),
            Shape::Enum(_) => Ok(Seen::BadEnum(v.chars().take(MAX_ECHOED + 1).collect())),
            _ => Self::wrong(),
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seen, A::Error> {
        match self.0 {
            Shape::StrList => {
                // (A null element is left to the decoder.)
                while seq.next_element_seed(Value(Shape::Str))?.is_some() {}
                Ok(Seen::Present)
            }
            Shape::Tags => {
                let mut missing = Vec::new();
                let mut i = 0;
                while let Some(tag) = seq.next_element_seed(TagScan)? {
                    i += 1;
                    missing.extend(tag.into_iter().map(|field| (i, field)));
                }
                Ok(if missing.is_empty() {
                    Seen::Present
                } else {
                    Seen::TagsWithout(missing)
                })
            }
            _ => Self::wrong(),
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Seen, A::Error> {
        match self.0 {
            Shape::StrMap => {
                while map.next_key::<IgnoredAny>()?.is_some() {
                    map.next_value_seed(Value(Shape::Str))?;
                }
                Ok(Seen::Present)
            }
            _ => Self::wrong(),
        }
    }
}

/// One element of a tag list: the required members it lacks.
struct TagScan;

impl<'de> DeserializeSeed<'de> for TagScan {
    type Value = Vec<&'static str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TagScan {
    type Value = Vec<&'static str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tag")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        const TAG: &[Member] = &[
            required("TagKey", "tagKey", Shape::Str),
            required("TagValue", "tagValue", Shape::Str),
        ];
        let seen = Scan(TAG).visit_map(&mut map)?;
        Ok(TAG
            .iter()
            .zip(seen)
            .filter(|(_, s)| matches!(s, Seen::Absent | Seen::Null))
            .map(|(m, _)| m.path)
            .collect())
    }
}
