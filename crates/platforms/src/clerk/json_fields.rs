//! Reading the fields of one JSON record by name, so that a record that cannot be read says
//! which record and which field (`email_addresses[1].verification`), and never what the value
//! was: the value may be a password digest, a TOTP secret or a backup code.

use crate::shared::parse_date_text;
use authferry_core::{RecordError, Timestamp};
use serde_json::{Map, Value};

/// One JSON object of a record (the record itself, or an object nested in it), with the path
/// that leads to it for error messages.
pub(crate) struct JsonFields<'a> {
    object: &'a Map<String, Value>,
    /// The record's source id, once known, for errors.
    source_id: Option<&'a str>,
    /// Where `object` sits in the record: empty for the record, `email_addresses[0]` below.
    path: String,
}

/// What kind of JSON value this is, for "expected …, found …" messages that do not quote it.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl<'a> JsonFields<'a> {
    pub(crate) fn new(object: &'a Map<String, Value>) -> Self {
        JsonFields {
            object,
            source_id: None,
            path: String::new(),
        }
    }

    pub(crate) fn with_source_id(mut self, source_id: &'a str) -> Self {
        self.source_id = Some(source_id);
        self
    }

    /// The path of `key` in the record, as errors name it.
    pub(crate) fn field_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub(crate) fn error(&self, key: &str, message: impl Into<String>) -> RecordError {
        RecordError::invalid(
            self.source_id.map(str::to_owned),
            Some(&self.field_path(key)),
            message,
        )
    }

    fn expected(&self, key: &str, what: &str, found: &Value) -> RecordError {
        self.error(key, format!("expected {what}, found {}", kind_of(found)))
    }

    /// The value of `key`, `None` when absent or `null`.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.object.get(key).filter(|v| !v.is_null())
    }

    /// Text, trimmed; absent, `null` and blank are all `None`.
    pub(crate) fn text(&self, key: &str) -> Result<Option<String>, RecordError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(non_blank(s)),
            Some(other) => Err(self.expected(key, "text", other)),
        }
    }

    /// An identifier: text, or a whole number (ids exported from SQL are often numbers).
    pub(crate) fn id_text(&self, key: &str) -> Result<Option<String>, RecordError> {
        match self.get(key) {
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
            Some(other @ Value::Number(_)) => {
                Err(self.expected(key, "text or a whole number", other))
            }
            _ => self.text(key),
        }
    }

    pub(crate) fn flag(&self, key: &str) -> Result<Option<bool>, RecordError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.expected(key, "true or false", other)),
        }
    }

    /// A Clerk timestamp: milliseconds since the epoch as a number (what the Backend API
    /// returns), or a date as text.
    pub(crate) fn millis(&self, key: &str) -> Result<Option<Timestamp>, RecordError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(ms) => Ok(Some(Timestamp::from_millis(ms))),
                None => Err(self.error(key, "expected whole milliseconds since the epoch")),
            },
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => parse_date_text(s).map(Some).ok_or_else(|| {
                self.error(
                    key,
                    "not a date (expected RFC 3339 text or milliseconds since the epoch)",
                )
            }),
            Some(other) => Err(self.expected(key, "a timestamp", other)),
        }
    }

    /// Metadata: a JSON object (or any JSON value a tool put there). Text holding JSON is
    /// parsed, since some tools stringify metadata; an empty object is kept as it is.
    pub(crate) fn metadata(&self, key: &str) -> Result<Option<Value>, RecordError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Null) => Ok(None),
                Ok(v) => Ok(Some(v)),
                Err(e) => Err(self.error(key, json_syntax_message(&e))),
            },
            Some(other) => Ok(Some(other.clone())),
        }
    }

    /// A list: absent and `null` are empty.
    pub(crate) fn list(&self, key: &str) -> Result<&'a [Value], RecordError> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(self.expected(key, "a list", other)),
        }
    }

    /// One text or a list of texts (the migration script's `email: string | string[]`).
    pub(crate) fn text_or_texts(&self, key: &str) -> Result<Vec<String>, RecordError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(non_blank(s).into_iter().collect()),
            Some(Value::Array(items)) => {
                let mut texts = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::Null => {}
                        Value::String(s) => texts.extend(non_blank(s)),
                        other => {
                            return Err(self.expected(&format!("{key}[{i}]"), "text", other));
                        }
                    }
                }
                Ok(texts)
            }
            Some(other) => Err(self.expected(key, "text or a list of texts", other)),
        }
    }

    /// The `index`th object of the list under `key`, as fields of its own.
    pub(crate) fn nested(
        &self,
        key: &str,
        index: usize,
        item: &'a Value,
    ) -> Result<JsonFields<'a>, RecordError> {
        let path = self.field_path(&format!("{key}[{index}]"));
        match item {
            Value::Object(object) => Ok(JsonFields {
                object,
                source_id: self.source_id,
                path,
            }),
            other => Err(RecordError::invalid(
                self.source_id.map(str::to_owned),
                Some(&path),
                format!("expected an object, found {}", kind_of(other)),
            )),
        }
    }
}

fn non_blank(s: &str) -> Option<String> {
    let trimmed = s.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// serde_json's syntax errors say where (`expected value at line 1 column 2`), not what; the
/// message is passed through the redactor anyway in case a future version quotes input.
pub(crate) fn json_syntax_message(error: &serde_json::Error) -> String {
    format!(
        "not valid JSON ({})",
        crate::shared::redact_serde(&error.to_string())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!("test input is an object"),
        }
    }

    #[test]
    fn wrong_types_name_the_field_but_not_the_value() {
        let record = object(json!({
            "id": "user_1",
            "totpSecret": ["JBSWY3DPEHPK3PXP"],
            "nested": [{"when": "not a date"}]
        }));
        let fields = JsonFields::new(&record).with_source_id("user_1");
        let err = fields.text("totpSecret").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("totpSecret"));
        assert_eq!(err.source_id.as_deref(), Some("user_1"));
        assert!(!err.to_string().contains("JBSWY3DP"), "{err}");

        let items = fields.list("nested").unwrap();
        let inner = fields.nested("nested", 0, &items[0]).unwrap();
        let err = inner.millis("when").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("nested[0].when"));
    }

    #[test]
    fn blanks_and_nulls_are_absent() {
        let record = object(json!({"a": "  ", "b": null, "c": " x ", "n": 42}));
        let fields = JsonFields::new(&record);
        assert_eq!(fields.text("a").unwrap(), None);
        assert_eq!(fields.text("b").unwrap(), None);
        assert_eq!(fields.text("missing").unwrap(), None);
        assert_eq!(fields.text("c").unwrap().as_deref(), Some("x"));
        assert_eq!(fields.id_text("n").unwrap().as_deref(), Some("42"));
        assert!(fields.list("b").unwrap().is_empty());
    }
}
