//! Discord's message limits: 2,000 characters of content, 10 embeds, a
//! 4,096-character description, 6,000 characters of embed text in total.
//! Violations are 400 / 50035 Invalid Form Body with a nested `errors`.

use crate::error::{ApiError, ApiResult};
use serde_json::Value;

fn len(v: Option<&Value>) -> usize {
    v.and_then(Value::as_str).map_or(0, |s| s.chars().count())
}

fn too_long(field: &str, max: usize) -> ApiError {
    ApiError::form(field, "BASE_TYPE_MAX_LENGTH", &format!("Must be {max} or fewer in length."))
}

/// Checks a message body (create or edit).
pub fn message(body: &Value) -> ApiResult<()> {
    if len(body.get("content")) > 2000 {
        return Err(too_long("content", 2000));
    }
    let Some(embeds) = body.get("embeds").and_then(Value::as_array) else {
        return Ok(());
    };
    if embeds.len() > 10 {
        return Err(too_long("embeds", 10));
    }
    let mut total = 0;
    for (i, e) in embeds.iter().enumerate() {
        let checks = [
            ("title", len(e.get("title")), 256),
            ("description", len(e.get("description")), 4096),
            ("footer.text", len(e.pointer("/footer/text")), 2048),
            ("author.name", len(e.pointer("/author/name")), 256),
        ];
        for (field, n, max) in checks {
            if n > max {
                return Err(too_long(&format!("embeds.{i}.{field}"), max));
            }
            total += n;
        }
        let fields = e.get("fields").and_then(Value::as_array).map_or(&[][..], |f| f.as_slice());
        if fields.len() > 25 {
            return Err(too_long(&format!("embeds.{i}.fields"), 25));
        }
        for (j, f) in fields.iter().enumerate() {
            let (n, v) = (len(f.get("name")), len(f.get("value")));
            if n > 256 {
                return Err(too_long(&format!("embeds.{i}.fields.{j}.name"), 256));
            }
            if v > 1024 {
                return Err(too_long(&format!("embeds.{i}.fields.{j}.value"), 1024));
            }
            total += n + v;
        }
    }
    if total > 6000 {
        return Err(ApiError::form("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"));
    }
    Ok(())
}

/// Normalises embeds the way Discord echoes them (`type: "rich"`,
/// timestamps in `+00:00` form).
pub fn normalize_embeds(embeds: &[Value]) -> Vec<Value> {
    embeds
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if e.get("type").is_none() {
                e["type"] = Value::String("rich".into());
            }
            if let Some(ts) = e.get("timestamp").and_then(Value::as_str) {
                if let Ok(t) = chrono::DateTime::parse_from_rfc3339(ts) {
                    e["timestamp"] = Value::String(crate::ids::format_ts(t.with_timezone(&chrono::Utc)));
                }
            }
            e
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_over_2000_characters_is_rejected() {
        let err = message(&json!({"content": "x".repeat(2001)})).unwrap_err();
        assert_eq!(err.code, 50035);
        assert!(err.errors.unwrap()["content"]["_errors"].is_array());
    }

    #[test]
    fn embed_text_over_6000_is_rejected() {
        let e = json!({"description": "x".repeat(4000), "title": "t"});
        let e2 = json!({"description": "x".repeat(2500)});
        assert!(message(&json!({"embeds": [e, e2]})).is_err());
    }
}
