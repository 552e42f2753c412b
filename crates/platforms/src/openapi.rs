//! Checks a JSON value against an OpenAPI 3.0 schema object (the subset published API specs
//! use for request bodies: `type`, `nullable`, `enum`, `properties`, `required`,
//! `additionalProperties`, `items`, length and range bounds, `allOf`/`anyOf`/`oneOf`). A body
//! that does not fit is never sent: the record fails with the first violation.
//!
//! Messages name the JSON path and what was expected, never the value: bodies carry password
//! digests, TOTP secrets and backup codes.

use serde_json::Value;

/// Validates `value` against `schema` (with every `$ref` already inlined). `Err` names the
/// first violation, e.g. ``body field `public_metadata`: expected an object, found a string``.
pub fn validate(value: &Value, schema: &Value) -> Result<(), String> {
    let mut path = Vec::new();
    check(value, schema, &mut path).map_err(|what| {
        if path.is_empty() {
            format!("request body: {what}")
        } else {
            format!("body field `{}`: {what}", path.join("."))
        }
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn type_fits(v: &Value, ty: &str) -> bool {
    match ty {
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}

fn article(ty: &str) -> &'static str {
    match ty {
        "integer" | "array" | "object" => "an",
        _ => "a",
    }
}

/// On failure `path` is left pointing at the offending field.
fn check(v: &Value, schema: &Value, path: &mut Vec<String>) -> Result<(), String> {
    let Some(s) = schema.as_object() else {
        return Ok(()); // `true`/`{}`: anything goes
    };
    if v.is_null() {
        return if s.get("nullable").and_then(Value::as_bool) == Some(true)
            || !s.contains_key("type")
        {
            Ok(())
        } else {
            Err("must not be null".into())
        };
    }
    if let Some(ty) = s.get("type").and_then(Value::as_str)
        && !type_fits(v, ty)
    {
        return Err(format!("expected {} {ty}, found {}", article(ty), kind(v)));
    }
    if let Some(options) = s.get("enum").and_then(Value::as_array)
        && !options.contains(v)
    {
        let names: Vec<String> = options.iter().map(|o| o.to_string()).collect();
        return Err(format!("must be one of {}", names.join(", ")));
    }
    let bound = |key: &str| s.get(key).and_then(Value::as_f64);
    if let Value::String(text) = v {
        let chars = text.chars().count() as f64;
        if bound("minLength").is_some_and(|m| chars < m) {
            return Err(format!(
                "shorter than {} characters",
                bound("minLength").unwrap()
            ));
        }
        if bound("maxLength").is_some_and(|m| chars > m) {
            return Err(format!(
                "longer than {} characters",
                bound("maxLength").unwrap()
            ));
        }
    }
    if let Some(n) = v.as_f64()
        && (bound("minimum").is_some_and(|m| n < m) || bound("maximum").is_some_and(|m| n > m))
    {
        return Err("out of the allowed range".into());
    }
    if let Value::Array(items) = v {
        if bound("minItems").is_some_and(|m| (items.len() as f64) < m)
            || bound("maxItems").is_some_and(|m| (items.len() as f64) > m)
        {
            return Err("has a number of items outside the allowed range".into());
        }
        if let Some(item_schema) = s.get("items") {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                check(item, item_schema, path)?;
                path.pop();
            }
        }
    }
    if let Value::Object(fields) = v {
        let properties = s.get("properties").and_then(Value::as_object);
        if let Some(required) = s.get("required").and_then(Value::as_array) {
            for name in required.iter().filter_map(Value::as_str) {
                if !fields.contains_key(name) {
                    path.push(name.to_string());
                    return Err("is required".into());
                }
            }
        }
        for (name, field) in fields {
            path.push(name.clone());
            match properties.and_then(|p| p.get(name)) {
                Some(field_schema) => check(field, field_schema, path)?,
                None => match s.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        return Err("is not a parameter of this request".into());
                    }
                    Some(extra @ Value::Object(_)) => check(field, extra, path)?,
                    _ => {}
                },
            }
            path.pop();
        }
    }
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        for sub in all {
            check(v, sub, path)?;
        }
    }
    for (key, exactly_one) in [("anyOf", false), ("oneOf", true)] {
        if let Some(options) = s.get(key).and_then(Value::as_array) {
            let fits = options
                .iter()
                .filter(|sub| check(v, sub, &mut path.clone()).is_ok())
                .count();
            if fits == 0 || (exactly_one && fits > 1) {
                return Err(format!("does not fit the `{key}` alternatives"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "name": {"type": "string", "nullable": true, "maxLength": 5},
                "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
                "meta": {"type": "object", "additionalProperties": true},
                "n": {"type": "integer", "minimum": 1}
            }
        })
    }

    #[test]
    fn accepts_what_fits() {
        let ok = json!({"name": null, "tags": ["a", "b"], "meta": {"x": [1]}, "n": 3});
        assert_eq!(validate(&ok, &schema()), Ok(()));
    }

    #[test]
    fn names_the_field_and_never_the_value() {
        let cases = [
            (
                json!({"meta": "s3cret-value"}),
                "body field `meta`: expected an object, found a string",
            ),
            (
                json!({"tags": ["a", "zz-secret"]}),
                "body field `tags.1`: must be one of \"a\", \"b\"",
            ),
            (
                json!({"name": "too-long-secret"}),
                "body field `name`: longer than 5 characters",
            ),
            (
                json!({"other": 1}),
                "body field `other`: is not a parameter of this request",
            ),
            (json!({"n": 0}), "body field `n`: out of the allowed range"),
            (
                json!({"n": 1.5}),
                "body field `n`: expected an integer, found a number",
            ),
            (
                json!([1]),
                "request body: expected an object, found an array",
            ),
        ];
        for (value, want) in cases {
            let got = validate(&value, &schema()).unwrap_err();
            assert_eq!(got, want);
            assert!(!got.contains("secret"), "{got}");
        }
    }
}
