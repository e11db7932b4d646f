//! Reading a scenario past its unknown keys, so that one `sim validate` shows every one of them
//! and the checker still runs on the rest of the file.
//!
//! The raw types deny unknown fields, and serde stops at the first error. [`deserialize`]
//! wraps the YAML deserializer and every deserializer, visitor and access it hands out; where
//! a struct asks for its fields by name (`deserialize_struct`, a struct variant, or a map read
//! by [`map_into`] for `raw::OrMap`), a key that is not one of them is recorded with its place
//! and never reaches the struct. The list of allowed keys is the one serde derives from
//! `raw.rs`, so it cannot drift from what the typed parse accepts.
//!
//! A recorded key whose closest field ("did you mean") is not given in the same mapping is
//! read as that field, as a compiler recovers from a typo: `wokers: 4` is checked as
//! `workers: 4`, so the checker does not also complain that a required key is missing, that a
//! request type is in no mix once `mixx:` was dropped, and so on; the file's own text is
//! what it reports on, at the same places. A key with no close field is skipped with its value.
//! Anything else (a value of the wrong type, an unknown component kind, a YAML syntax error)
//! still stops the parse, as before.

use std::cell::{Cell, RefCell};
use std::fmt;

use crate::format::did_you_mean;
use serde::de::{
    self, Deserialize as _, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess,
    SeqAccess, VariantAccess, Visitor,
};

/// A key that none of the fields of its mapping accepts.
#[derive(Clone, Debug)]
pub struct UnknownKey {
    /// Where the key is (1-based).
    pub line: u64,
    pub column: u64,
    pub name: String,
    /// The keys that mapping accepts, in the order the raw type declares them.
    pub expected: &'static [&'static str],
}

type Sink = RefCell<Vec<UnknownKey>>;

thread_local! {
    /// Fields announced by [`map_into`] for the mapping whose first key is read next.
    static EXPECTED: Cell<Option<&'static [&'static str]>> = const { Cell::new(None) };
}

/// Reads `M` from a mapping a visitor was given (`OrMap`'s `visit_map`), where serde does not
/// pass a struct's field names down to the mapping: they are announced through a thread-local
/// that the mapping takes when its first key is asked for, which `M`'s visitor does at once.
/// Outside a tolerant parse nothing takes them and this is `M::deserialize` of the map.
pub fn map_into<'de, M, A>(map: A) -> Result<M, A::Error>
where
    M: de::Deserialize<'de>,
    A: MapAccess<'de>,
{
    let read = || M::deserialize(de::value::MapAccessDeserializer::new(map));
    let Some(fields) = struct_fields::<M>() else {
        return read();
    };
    EXPECTED.with(|e| e.set(Some(fields)));
    let result = read();
    EXPECTED.with(|e| e.set(None));
    result
}

/// The field names of `M` if it is a struct, as its `Deserialize` asks for them.
fn struct_fields<'de, M: de::Deserialize<'de>>() -> Option<&'static [&'static str]> {
    match M::deserialize(Probe) {
        Err(Probed::Struct(fields)) => Some(fields),
        _ => None,
    }
}

/// The name under which `serde_saphyr::Spanned` asks the YAML deserializer for a location,
/// as its `Deserialize` gives it (so that a private name is not copied here).
fn spanned_name() -> Option<&'static str> {
    match serde_saphyr::Spanned::<de::IgnoredAny>::deserialize(Probe) {
        Err(Probed::Newtype(name)) => Some(name),
        _ => None,
    }
}

/// A deserializer that gives nothing and notes what a type asks for.
struct Probe;

#[derive(Debug)]
enum Probed {
    Struct(&'static [&'static str]),
    Newtype(&'static str),
    Other,
}

impl fmt::Display for Probed {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("probed")
    }
}

impl std::error::Error for Probed {}

impl de::Error for Probed {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Probed::Other
    }
}

impl<'de> Deserializer<'de> for Probe {
    type Error = Probed;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probed> {
        Err(Probed::Other)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _: V,
    ) -> Result<V::Value, Probed> {
        Err(Probed::Newtype(name))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Probed> {
        Err(Probed::Struct(fields))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// Deserializes `T` from `deserializer`, reading past unknown keys; returns them in the order
/// they were met.
pub fn deserialize<'de, T, D>(deserializer: D) -> (Result<T, D::Error>, Vec<UnknownKey>)
where
    T: de::Deserialize<'de>,
    D: Deserializer<'de>,
{
    let sink = RefCell::new(Vec::new());
    let result = T::deserialize(Tolerant {
        inner: deserializer,
        sink: &sink,
    });
    EXPECTED.with(|e| e.set(None));
    (result, sink.into_inner())
}

/// A deserializer whose structs skip unknown keys.
struct Tolerant<'s, D> {
    inner: D,
    sink: &'s Sink,
}

/// A visitor that hands out tolerant deserializers and accesses; `fields` are those of the
/// struct being read, if it is one.
struct Wrap<'s, V> {
    inner: V,
    sink: &'s Sink,
    fields: Option<&'static [&'static str]>,
}

impl<'s, V> Wrap<'s, V> {
    fn new(inner: V, sink: &'s Sink) -> Self {
        Wrap {
            inner,
            sink,
            fields: None,
        }
    }
}

struct Seed<'s, S> {
    inner: S,
    sink: &'s Sink,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Tolerant {
            inner: deserializer,
            sink: self.sink,
        })
    }
}

macro_rules! forward_deserialize {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.inner.$method(Wrap::new(visitor, self.sink))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Tolerant<'_, D> {
    type Error = D::Error;

    forward_deserialize!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_unit_struct(name, Wrap::new(visitor, self.sink))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_newtype_struct(name, Wrap::new(visitor, self.sink))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_tuple(len, Wrap::new(visitor, self.sink))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_tuple_struct(name, len, Wrap::new(visitor, self.sink))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = Wrap {
            inner: visitor,
            sink: self.sink,
            fields: Some(fields),
        };
        self.inner.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner
            .deserialize_enum(name, variants, Wrap::new(visitor, self.sink))
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty)),*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.inner.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit!(
        visit_bool(bool),
        visit_i8(i8),
        visit_i16(i16),
        visit_i32(i32),
        visit_i64(i64),
        visit_i128(i128),
        visit_u8(u8),
        visit_u16(u16),
        visit_u32(u32),
        visit_u64(u64),
        visit_u128(u128),
        visit_f32(f32),
        visit_f64(f64),
        visit_char(char),
        visit_str(&str),
        visit_borrowed_str(&'de str),
        visit_string(String),
        visit_bytes(&[u8]),
        visit_borrowed_bytes(&'de [u8]),
        visit_byte_buf(Vec<u8>)
    );

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Tolerant {
            inner: deserializer,
            sink: self.sink,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Tolerant {
            inner: deserializer,
            sink: self.sink,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(Seq {
            inner: seq,
            sink: self.sink,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(Map {
            inner: map,
            sink: self.sink,
            fields: self.fields,
            asked: self.fields.is_some(),
            given: Vec::new(),
        })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(Enum {
            inner: data,
            sink: self.sink,
        })
    }
}

struct Seq<'s, A> {
    inner: A,
    sink: &'s Sink,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.inner.next_element_seed(Seed {
            inner: seed,
            sink: self.sink,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct Map<'s, A> {
    inner: A,
    sink: &'s Sink,
    /// The struct's fields; `None` for a plain map (whose keys are data, such as `variants`).
    fields: Option<&'static [&'static str]>,
    /// Whether the fields have been settled (given, or taken from [`map_into`]'s announcement).
    asked: bool,
    /// The fields handed to the struct so far, the typos read as fields included.
    given: Vec<&'static str>,
}

/// A key as the YAML gives it, read the way serde reads a struct's field names.
enum Key {
    Name(String),
    Index(u64),
}

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                // The words serde's derived field visitor uses, so messages stay the same.
                f.write_str("field identifier")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key::Name(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key, E> {
                Ok(Key::Name(v))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Key, E> {
                Ok(Key::Name(String::from_utf8_lossy(v).into_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
                Ok(Key::Index(v))
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// A key and, when the YAML deserializer reads it, its place (line, column). Maps that other
/// deserializers make up (the location inside a `Spanned`) give keys without a place.
struct KeyAt {
    key: Key,
    at: Option<(u64, u64)>,
}

impl<'de> de::Deserialize<'de> for KeyAt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<KeyAt, D::Error> {
        struct KeyAtVisitor;
        impl<'de> Visitor<'de> for KeyAtVisitor {
            type Value = KeyAt;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("field identifier")
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<KeyAt, D::Error> {
                let spanned = serde_saphyr::Spanned::<Key>::deserialize(Given(deserializer))?;
                Ok(KeyAt {
                    key: spanned.value,
                    at: Some((spanned.referenced.line(), spanned.referenced.column())),
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<KeyAt, E> {
                Ok(KeyAt {
                    key: Key::Name(v.to_string()),
                    at: None,
                })
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<KeyAt, E> {
                self.visit_str(&String::from_utf8_lossy(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<KeyAt, E> {
                Ok(KeyAt {
                    key: Key::Index(v),
                    at: None,
                })
            }
        }
        match spanned_name() {
            Some(name) => deserializer.deserialize_newtype_struct(name, KeyAtVisitor),
            None => deserializer.deserialize_identifier(KeyAtVisitor),
        }
    }
}

/// Hands `Spanned` the deserializer that the YAML deserializer gave for a located value.
struct Given<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Given<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        visitor.visit_newtype_struct(self.0)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct seq tuple
        tuple_struct map enum identifier ignored_any struct
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        if !self.asked {
            self.asked = true;
            self.fields = EXPECTED.with(|e| e.take());
        }
        let Some(fields) = self.fields else {
            return self.inner.next_key_seed(seed);
        };
        loop {
            let Some(KeyAt { key, at }) = self.inner.next_key::<KeyAt>()? else {
                return Ok(None);
            };
            let name = match key {
                Key::Index(i) => return seed.deserialize(i.into_deserializer()).map(Some),
                Key::Name(name) => name,
            };
            let field = match fields.iter().find(|f| **f == name) {
                Some(field) => Some(*field),
                None => {
                    let (line, column) = at.unwrap_or_default();
                    let closest = did_you_mean(&name, fields.iter().copied());
                    self.sink.borrow_mut().push(UnknownKey {
                        line,
                        column,
                        name,
                        expected: fields,
                    });
                    closest
                }
            };
            match field {
                // A field met a second time was first given by a typo read as it: the typo's
                // value stands (both were reported with the typo).
                Some(field) if !self.given.contains(&field) => {
                    self.given.push(field);
                    return seed.deserialize(field.into_deserializer()).map(Some);
                }
                // The value is read (so that the YAML is still checked) and dropped.
                _ => {
                    self.inner.next_value::<de::IgnoredAny>()?;
                }
            }
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.next_value_seed(Seed {
            inner: seed,
            sink: self.sink,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct Enum<'s, A> {
    inner: A,
    sink: &'s Sink,
}

impl<'s, 'de, A: EnumAccess<'de>> EnumAccess<'de> for Enum<'s, A> {
    type Error = A::Error;
    type Variant = Variant<'s, A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let sink = self.sink;
        self.inner.variant_seed(seed).map(|(value, variant)| {
            (
                value,
                Variant {
                    inner: variant,
                    sink,
                },
            )
        })
    }
}

struct Variant<'s, A> {
    inner: A,
    sink: &'s Sink,
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<'_, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.newtype_variant_seed(Seed {
            inner: seed,
            sink: self.sink,
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.inner.tuple_variant(len, Wrap::new(visitor, self.sink))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        let visitor = Wrap {
            inner: visitor,
            sink: self.sink,
            fields: Some(fields),
        };
        self.inner.struct_variant(fields, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::raw;

    fn tolerant<T: de::DeserializeOwned>(yaml: &str) -> (Result<T, String>, Vec<UnknownKey>) {
        let mut unknown = Vec::new();
        let typed = serde_saphyr::with_deserializer_from_str(yaml, |d| {
            let (typed, found) = deserialize::<T, _>(d);
            unknown = found;
            typed
        });
        (typed.map_err(|e| e.to_string()), unknown)
    }

    #[test]
    fn the_probe_reads_the_fields_serde_derives() {
        assert_eq!(
            struct_fields::<raw::BackendSpec>(),
            Some(&["pool", "weight"][..])
        );
        assert_eq!(struct_fields::<raw::DistributionSpec>(), None);
        assert!(spanned_name().is_some());
    }

    #[test]
    fn unknown_keys_are_read_past_with_their_places() {
        let yaml = "pool: web\nwieght: 2\nzzz: [1, {a: 2}]\n";
        let (typed, unknown) = tolerant::<raw::BackendSpec>(yaml);
        let backend = typed.expect("read past the unknown keys");
        assert_eq!(backend.pool.value, "web");
        // The typo is read as the field it is closest to.
        assert_eq!(backend.weight.map(|w| w.value), Some(2));
        let found: Vec<(&str, u64, u64)> = unknown
            .iter()
            .map(|k| (k.name.as_str(), k.line, k.column))
            .collect();
        assert_eq!(found, [("wieght", 2, 1), ("zzz", 3, 1)]);
    }

    #[test]
    fn a_typo_does_not_replace_the_field_given_before_it() {
        let (typed, unknown) = tolerant::<raw::BackendSpec>("pool: web\nweight: 1\nwieght: 2\n");
        assert_eq!(typed.expect("read").weight.map(|w| w.value), Some(1));
        assert_eq!(unknown.len(), 1);
    }

    #[test]
    fn outside_a_tolerant_parse_unknown_keys_still_fail() {
        let plain = serde_saphyr::from_str::<raw::BackendSpec>("pool: web\nwieght: 2\n");
        assert!(plain.is_err());
        // Also through `OrMap`, whose map goes through `map_into`.
        let plain = serde_saphyr::from_str::<raw::OrMap<raw::BackendSpec>>("{pool: a, b: 1}");
        assert!(plain.is_err());
    }
}
