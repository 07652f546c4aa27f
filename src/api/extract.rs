//! axum's extractors, answering bad input in the API's error shape: a path
//! that does not parse is a 404 (the resource cannot exist), a bad query a
//! 400, a body of the wrong shape a 422 naming the field at fault
//! (`modmail.welcome_message`, `scopes[1]`; see [`field_error`]).

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::FromRequest;
use axum::extract::FromRequestParts;

use super::Error;

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct Path<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub struct Query<T>(pub T);

/// A JSON body. Text with a NUL character is refused here, for every route:
/// PostgreSQL cannot store it, and no setting or message needs one.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Error> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(request, state).await?;
        if let Some(field) = nul_in(&value, "") {
            return Err(Error::unprocessable([(field, "must not contain NUL characters")]));
        }
        serde_path_to_error::deserialize(value).map(Json).map_err(field_error)
    }
}

/// A 422 naming the field serde stopped at. serde reports a missing field at
/// the object that lacks it, so its name (quoted in the message) is added to
/// the path; the whole body is `body`.
fn field_error(error: serde_path_to_error::Error<serde_json::Error>) -> Error {
    let path = error.path().to_string();
    let message = error.into_inner().to_string();
    let named =
        message.strip_prefix("missing field `").and_then(|rest| rest.split_once('`')).map(|(name, _)| name.to_owned());
    let field = match (path.as_str(), named) {
        (".", Some(name)) => name,
        (".", None) => "body".to_owned(),
        (path, Some(name)) => format!("{path}.{name}"),
        (path, None) => path.to_owned(),
    };
    Error::unprocessable([(field, message)])
}

/// The path (`modmail.prefix`, `body`) of the first string holding a NUL.
fn nul_in(value: &serde_json::Value, path: &str) -> Option<String> {
    let here = || if path.is_empty() { "body".to_owned() } else { path.to_owned() };
    match value {
        serde_json::Value::String(text) if text.contains('\0') => Some(here()),
        serde_json::Value::Array(items) => items.iter().find_map(|item| nul_in(item, path)),
        serde_json::Value::Object(map) => map.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                return Some(here());
            }
            let inner = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            nul_in(item, &inner)
        }),
        _ => None,
    }
}

impl From<PathRejection> for Error {
    fn from(_: PathRejection) -> Self {
        Error::NotFound
    }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Self {
        Error::BadRequest(rejection.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_nul_anywhere_in_the_body_is_found_with_its_field() {
        assert_eq!(nul_in(&json!({"modmail": {"prefix": "a\u{0}"}}), ""), Some("modmail.prefix".to_owned()));
        assert_eq!(nul_in(&json!({"scopes": ["ok", "x\u{0}"]}), ""), Some("scopes".to_owned()));
        assert_eq!(nul_in(&json!("\u{0}"), ""), Some("body".to_owned()));
        assert_eq!(nul_in(&json!({"name": "fine", "n": 1}), ""), None);
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Option<Inner>,
        #[serde(default)]
        list: Vec<u32>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        text: Option<String>,
    }

    fn fields_of(body: serde_json::Value) -> Vec<String> {
        match serde_path_to_error::deserialize::<_, Outer>(body).map_err(field_error) {
            Err(Error::Unprocessable { errors }) => errors.keys().map(|k| k.to_string()).collect(),
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn a_body_of_the_wrong_shape_names_the_field_at_fault() {
        assert_eq!(fields_of(json!({"name": 1})), ["name"]);
        assert_eq!(fields_of(json!({"name": "n", "inner": {"text": 12345}})), ["inner.text"]);
        assert_eq!(fields_of(json!({"name": "n", "list": [1, "two"]})), ["list[1]"]);
        assert_eq!(fields_of(json!({})), ["name"], "a missing field is named");
        assert_eq!(fields_of(json!({"name": "n", "inner": {"txt": "x"}})), ["inner.txt"], "an unknown field too");
        assert_eq!(fields_of(json!("text")), ["body"], "not an object at all");
    }
}
