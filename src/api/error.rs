//! The API's one error type and how it is turned into an HTTP response.
//!
//! Every error leaves the API with the same JSON shape:
//!
//! ```json
//! {"error": {"code": "not_found", "message": "the requested resource does not exist"}}
//! ```
//!
//! `code` is a stable snake_case identifier for programs; `message` is for people.
//! Validation errors add `"fields": {"name": ["must not be empty"]}`, rate limits
//! add `"retry_after"` (seconds) and a `Retry-After` header. Internal errors are
//! logged with their full cause chain and answered with a generic message, so
//! database details, SQL or connection strings never reach a client.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

/// The API's `Result`, with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Per-field validation messages: field name to one or more problems.
pub type FieldErrors = BTreeMap<Cow<'static, str>, Vec<Cow<'static, str>>>;

/// Everything an API handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400: the request could not be read at all (malformed JSON, wrong content type).
    #[error("bad request: {0}")]
    BadRequest(String),

    /// 401: no or invalid credentials.
    #[error("authentication required")]
    Unauthorized,

    /// 403: authenticated, but not allowed to do this; the message says why
    /// (e.g. the scope a token lacks).
    #[error("forbidden: {0}")]
    Forbidden(Cow<'static, str>),

    /// 402: the guild's plan does not include this; the message names the plan.
    #[error("payment required: {0}")]
    PlanRequired(Cow<'static, str>),

    /// 404: the resource does not exist (or the caller may not know it does).
    #[error("not found")]
    NotFound,

    /// 405: the path exists, but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,

    /// 409: the request clashes with existing state, e.g. a unique constraint.
    #[error("conflict: {0}")]
    Conflict(Cow<'static, str>),

    /// 413: the request body is larger than the API accepts.
    #[error("payload too large")]
    PayloadTooLarge,

    /// 422: the request was well-formed but some fields are invalid.
    #[error("validation failed")]
    Unprocessable { errors: FieldErrors },

    /// 429: slow down; try again after `retry_after`.
    #[error("rate limited; retry after {retry_after:?}")]
    RateLimited { retry_after: Duration },

    /// 503: a dependency is down or the service is not ready. `reason` is shown
    /// to the client, so it must not contain secrets.
    #[error("service unavailable: {reason}")]
    ServiceUnavailable { reason: String },

    /// 500: anything else. The cause is logged, never sent.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// A 422 with the given per-field problems, e.g.
    /// `Error::unprocessable([("name", "must not be empty")])`.
    pub fn unprocessable<K, V>(errors: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<Cow<'static, str>>,
        V: Into<Cow<'static, str>>,
    {
        let mut fields = FieldErrors::new();
        for (field, problem) in errors {
            fields.entry(field.into()).or_default().push(problem.into());
        }
        Self::Unprocessable { errors: fields }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::PlanRequired(_) => StatusCode::PAYMENT_REQUIRED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::ServiceUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code in the body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::PlanRequired(_) => "plan_required",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Unprocessable { .. } => "unprocessable_entity",
            Self::RateLimited { .. } => "rate_limited",
            Self::ServiceUnavailable { .. } => "service_unavailable",
            Self::Internal(_) => "internal",
        }
    }

    /// The human-readable message in the body.
    fn message(&self) -> String {
        match self {
            Self::BadRequest(message) => message.clone(),
            Self::Unauthorized => "authentication is required".to_owned(),
            Self::Forbidden(message) | Self::PlanRequired(message) => message.to_string(),
            Self::NotFound => "the requested resource does not exist".to_owned(),
            Self::MethodNotAllowed => "this path does not take that method".to_owned(),
            Self::Conflict(message) => message.to_string(),
            Self::PayloadTooLarge => "the request body is too large".to_owned(),
            Self::Unprocessable { .. } => "the request has invalid fields".to_owned(),
            Self::RateLimited { retry_after } => {
                format!("too many requests; retry in {} s", retry_after_secs(*retry_after))
            }
            Self::ServiceUnavailable { reason } => reason.clone(),
            Self::Internal(_) => "an internal error occurred".to_owned(),
        }
    }

    /// The JSON body this error is answered with.
    pub fn body(&self) -> Value {
        let mut error = Map::new();
        error.insert("code".into(), json!(self.code()));
        error.insert("message".into(), json!(self.message()));
        match self {
            Self::Unprocessable { errors } => {
                error.insert("fields".into(), json!(errors));
            }
            Self::RateLimited { retry_after } => {
                error.insert("retry_after".into(), json!(retry_after_secs(*retry_after)));
            }
            _ => {}
        }
        json!({ "error": error })
    }
}

/// `Retry-After` takes whole seconds; round up so clients never retry too early.
fn retry_after_secs(retry_after: Duration) -> u64 {
    let secs = retry_after.as_secs();
    if retry_after.subsec_nanos() > 0 {
        secs.saturating_add(1)
    } else {
        secs
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match &self {
            // `{:#}` prints anyhow's whole cause chain on one line.
            Self::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "internal API error")
            }
            Self::ServiceUnavailable { reason } => tracing::warn!(%reason, "service unavailable"),
            _ => {}
        }
        let mut response = (self.status(), Json(self.body())).into_response();
        if let Self::RateLimited { retry_after } = &self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs(*retry_after)));
        }
        response
    }
}

/// Database errors: a unique violation is the client's conflict, a missing row
/// is a 404, an exhausted pool means the database is overloaded; the rest is ours.
impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                tracing::debug!(constraint = db.constraint(), "unique violation");
                Self::Conflict("a resource with these values already exists".into())
            }
            sqlx::Error::PoolTimedOut => {
                Self::ServiceUnavailable { reason: "the database is overloaded; try again shortly".to_owned() }
            }
            _ => Self::Internal(anyhow::Error::new(error).context("database error")),
        }
    }
}

impl From<deadpool_redis::PoolError> for Error {
    fn from(error: deadpool_redis::PoolError) -> Self {
        Self::Internal(anyhow::Error::new(error).context("redis pool error"))
    }
}

impl From<deadpool_redis::redis::RedisError> for Error {
    fn from(error: deadpool_redis::redis::RedisError) -> Self {
        Self::Internal(anyhow::Error::new(error).context("redis error"))
    }
}

/// Lets handlers take `Result<Json<T>, JsonRejection>` (or use `?` on it) and still
/// answer in the API's error shape.
impl From<JsonRejection> for Error {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            // Valid JSON of the wrong shape (missing field, wrong type).
            StatusCode::UNPROCESSABLE_ENTITY => Self::unprocessable([("body", rejection.body_text())]),
            _ => Self::BadRequest(rejection.body_text()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    async fn render(error: Error) -> (StatusCode, Option<String>, Value) {
        let response = error.into_response();
        let status = response.status();
        let retry_after = response.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, retry_after, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn not_found_has_code_and_message() {
        let (status, _, body) = render(Error::NotFound).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "not_found");
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(body.as_object().unwrap().len(), 1, "only the `error` key: {body}");
    }

    #[tokio::test]
    async fn unprocessable_lists_fields() {
        let error = Error::unprocessable([
            ("name", "must not be empty"),
            ("name", "must be at most 100 characters"),
            ("color", "must be a hex colour"),
        ]);
        let (status, _, body) = render(error).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "unprocessable_entity");
        assert_eq!(
            body["error"]["fields"],
            json!({
                "color": ["must be a hex colour"],
                "name": ["must not be empty", "must be at most 100 characters"],
            })
        );
    }

    #[tokio::test]
    async fn rate_limited_sets_retry_after_rounded_up() {
        let error = Error::RateLimited { retry_after: Duration::from_millis(1500) };
        let (status, retry_after, body) = render(error).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry_after.as_deref(), Some("2"));
        assert_eq!(body["error"]["code"], "rate_limited");
        assert_eq!(body["error"]["retry_after"], 2);
    }

    #[tokio::test]
    async fn internal_never_leaks_the_cause() {
        let cause = anyhow::anyhow!("password authentication failed for user \"secret\"");
        let (status, _, body) = render(Error::Internal(cause)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "internal");
        assert!(!body.to_string().contains("secret"), "{body}");
    }

    #[tokio::test]
    async fn statuses_and_codes_of_the_simple_variants() {
        let cases = [
            (Error::Unauthorized, StatusCode::UNAUTHORIZED, "unauthorized"),
            (Error::Forbidden("no".into()), StatusCode::FORBIDDEN, "forbidden"),
            (Error::Conflict("taken".into()), StatusCode::CONFLICT, "conflict"),
            (Error::BadRequest("bad json".into()), StatusCode::BAD_REQUEST, "bad_request"),
            (Error::PayloadTooLarge, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            (
                Error::ServiceUnavailable { reason: "redis is down".into() },
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
            ),
        ];
        for (error, want_status, want_code) in cases {
            let (status, _, body) = render(error).await;
            assert_eq!(status, want_status);
            assert_eq!(body["error"]["code"], want_code);
        }
    }

    #[tokio::test]
    async fn service_unavailable_shows_the_reason() {
        let error = Error::ServiceUnavailable { reason: "redis: connection refused".into() };
        let (_, _, body) = render(error).await;
        assert_eq!(body["error"]["message"], "redis: connection refused");
    }

    #[test]
    fn row_not_found_is_404_and_pool_timeout_is_503() {
        assert!(matches!(Error::from(sqlx::Error::RowNotFound), Error::NotFound));
        assert!(matches!(Error::from(sqlx::Error::PoolTimedOut), Error::ServiceUnavailable { .. }));
        assert!(matches!(Error::from(sqlx::Error::Protocol("boom".into())), Error::Internal(_)));
    }
}
