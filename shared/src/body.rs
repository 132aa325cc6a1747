//! Request bodies: JSON read straight into typed structs, with the contract's error codes.
//!
//! Every body struct names, per field, the code a wrong value gets (`invalid_phone`, ...), so a
//! field is read as [`Field`] (absent, `null`, a value of its type, or a value of another type)
//! and the struct's `validate` turns that into the domain type. [`Object`] refuses the arrays
//! serde would otherwise read into a struct (`[lat, lon]` as a destination).

use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::ErrorCode;

/// One field of a body, as sent.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Field<T> {
    #[default]
    Absent,
    Null,
    Value(T),
    /// Present, but not of the field's type.
    Wrong,
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        if v.is_null() {
            return Ok(Field::Null);
        }
        Ok(T::deserialize(v).map_or(Field::Wrong, Field::Value))
    }
}

impl<T> Field<T> {
    /// Absent and `null` are `None`; a wrong type is `err`.
    pub fn optional<E>(self, err: impl FnOnce() -> E) -> Result<Option<T>, E> {
        match self {
            Field::Absent | Field::Null => Ok(None),
            Field::Value(v) => Ok(Some(v)),
            Field::Wrong => Err(err()),
        }
    }

    /// Anything but a value of the field's type is `err`.
    pub fn required<E>(self, err: impl FnOnce() -> E) -> Result<T, E> {
        match self {
            Field::Value(v) => Ok(v),
            _ => Err(err()),
        }
    }

    /// Absent is `None`; `null` or a wrong type is `err` (a patch's fields: `null` is no value).
    pub fn absent_or<E>(self, err: impl FnOnce() -> E) -> Result<Option<T>, E> {
        match self {
            Field::Absent => Ok(None),
            Field::Value(v) => Ok(Some(v)),
            Field::Null | Field::Wrong => Err(err()),
        }
    }
}

/// A struct that must be sent as a JSON object.
#[derive(Debug, Clone, PartialEq)]
pub struct Object<T>(pub T);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        T::deserialize(Value::Object(map)).map(Object).map_err(D::Error::custom)
    }
}

/// A request body type and the code it gets when the JSON does not have its shape.
pub trait RequestBody: DeserializeOwned {
    const SHAPE_CODE: &'static str = "invalid_body";
    const SHAPE: &'static str = "the body must be a JSON object";
}

/// A body read as plain JSON, for the formats read field by field (trackers' fixes).
impl RequestBody for Value {}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BodyError {
    #[error("the body is empty; send a JSON object")]
    Empty,
    #[error("the body is not valid JSON ({0})")]
    Json(String),
    #[error("{1}")]
    Shape(&'static str, String),
}

impl ErrorCode for BodyError {
    fn code(&self) -> &'static str {
        match self {
            BodyError::Empty | BodyError::Json(_) => "invalid_json",
            BodyError::Shape(code, _) => code,
        }
    }
}

/// A field that failed its check: the contract's code and a message naming the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    pub code: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Invalid {
            code,
            message: message.into(),
        }
    }
}

impl ErrorCode for Invalid {
    fn code(&self) -> &'static str {
        self.code
    }
}

/// Reads a body: bad JSON is `invalid_json`, JSON of another shape is the type's shape code.
pub fn parse<T: RequestBody>(bytes: &[u8]) -> Result<T, BodyError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(BodyError::Empty);
    }
    let shape = |detail: String| BodyError::Shape(T::SHAPE_CODE, format!("{} ({detail})", T::SHAPE));
    // Syntax first, so a body that is no JSON at all is told apart from one of the wrong shape.
    let value: Value = serde_json::from_slice(bytes).map_err(|e| BodyError::Json(e.to_string()))?;
    if !value.is_object() {
        return Err(shape("not an object".into()));
    }
    T::deserialize(value).map_err(|e| shape(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Probe {
        #[serde(default)]
        name: Field<String>,
        #[serde(default)]
        at: Field<Object<Point>>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Point {
        lat: f64,
    }

    impl RequestBody for Probe {}

    #[test]
    fn fields_tell_absent_null_value_and_wrong_apart() {
        let p: Probe = parse(br#"{"name": 7, "at": {"lat": 1}}"#).unwrap();
        assert_eq!(p.name, Field::Wrong);
        assert_eq!(p.at, Field::Value(Object(Point { lat: 1.0 })));
        let p: Probe = parse(br#"{"name": null}"#).unwrap();
        assert_eq!((p.name, p.at), (Field::Null, Field::Absent));
    }

    #[test]
    fn objects_only_where_a_struct_is_expected() {
        let p: Probe = parse(br#"{"at": [1]}"#).unwrap();
        assert_eq!(p.at, Field::Wrong, "serde alone reads [1] as Point");
    }

    #[test]
    fn json_errors_and_shape_errors_have_their_codes() {
        for (body, code) in [
            (&b""[..], "invalid_json"),
            (b"  ", "invalid_json"),
            (b"{nope", "invalid_json"),
            (br#"{"name": NaN}"#, "invalid_json"),
            (b"null", "invalid_body"),
            (b"[1, 2]", "invalid_body"),
            (b"\"text\"", "invalid_body"),
        ] {
            assert_eq!(
                parse::<Probe>(body).unwrap_err().code(),
                code,
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
