//! JSON into Rust values: the browser's `JSON.parse`, then serde over the `JsValue` it made.
//!
//! The deserializer is this small one rather than serde-wasm-bindgen's because of its errors:
//! serde-wasm-bindgen writes every error's message, and serde's messages print floats, which
//! linked all of Rust's float formatting (~20 KB with its tables) and serde's messages into the
//! page's wasm. The page only needs to know that a view did not parse, so these errors carry
//! nothing and the messages are never built.

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use wasm_bindgen::{JsCast, JsValue};

/// Parses JSON with `JSON.parse` into a `T`; None if it is not JSON or not a `T`.
pub fn from_json<T: de::DeserializeOwned>(text: &str) -> Option<T> {
    let value = js_sys::JSON::parse(text).ok()?;
    T::deserialize(Value(value)).ok()
}

/// The value did not have the shape asked for.
#[derive(Debug)]
pub struct Error;

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("not the expected JSON")
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Error
    }
}

/// A JSON value as `JSON.parse` returns it: null, a boolean, a number, a string, an array or a
/// plain object.
struct Value(JsValue);

impl<'de> de::Deserializer<'de> for Value {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let x = self.0;
        if x.is_null() || x.is_undefined() {
            v.visit_unit()
        } else if let Some(b) = x.as_bool() {
            v.visit_bool(b)
        } else if let Some(n) = x.as_f64() {
            // Integers as integers: serde's integer visitors take no floats (its float
            // visitors take integers). Exact up to 2^53, as JSON numbers in JS are.
            if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0 {
                if n < 0.0 {
                    v.visit_i64(n as i64)
                } else {
                    v.visit_u64(n as u64)
                }
            } else {
                v.visit_f64(n)
            }
        } else if let Some(s) = x.as_string() {
            v.visit_string(s)
        } else if let Some(array) = x.dyn_ref::<js_sys::Array>() {
            v.visit_seq(Seq { array, next: 0 })
        } else if x.is_object() {
            let keys = js_sys::Object::keys(x.unchecked_ref::<js_sys::Object>());
            v.visit_map(Map {
                object: x,
                keys,
                next: 0,
            })
        } else {
            Err(Error)
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        if self.0.is_null() || self.0.is_undefined() {
            v.visit_none()
        } else {
            v.visit_some(self)
        }
    }

    /// Unit variants, as serde writes them: the variant's name as a string.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        let name = self.0.as_string().ok_or(Error)?;
        v.visit_enum(name.into_deserializer())
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier
    }
}

struct Seq<'a> {
    array: &'a js_sys::Array,
    next: u32,
}

impl<'de> SeqAccess<'de> for Seq<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        if self.next >= self.array.length() {
            return Ok(None);
        }
        let item = self.array.get(self.next);
        self.next += 1;
        seed.deserialize(Value(item)).map(Some)
    }
}

struct Map {
    object: JsValue,
    keys: js_sys::Array,
    next: u32,
}

impl<'de> MapAccess<'de> for Map {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        if self.next >= self.keys.length() {
            return Ok(None);
        }
        let key = self.keys.get(self.next).as_string().ok_or(Error)?;
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let key = self.keys.get(self.next);
        self.next += 1;
        let value = js_sys::Reflect::get(&self.object, &key).map_err(|_| Error)?;
        seed.deserialize(Value(value))
    }
}
