//! Maps Discord's error responses to the core's [`PortError`], and decides
//! once, here, whether a failure is permanent or transient
//! ([`ErrorClass`]): every caller acts on that class instead of guessing from
//! status codes of its own. A 429 becomes [`PortError::RateLimited`] carrying
//! the wait Discord asked for, so no retry loop can come back sooner.

use std::time::Duration;

use twilight_http::api_error::ApiError;
use twilight_http::error::ErrorType;

use crate::tickets::ports::{ErrorClass, PortError};

/// Discord's JSON error codes we act on.
mod code {
    pub const UNKNOWN_CHANNEL: u64 = 10003;
    pub const UNKNOWN_GUILD: u64 = 10004;
    pub const UNKNOWN_MEMBER: u64 = 10007;
    pub const UNKNOWN_MESSAGE: u64 = 10008;
    pub const UNKNOWN_USER: u64 = 10013;
    pub const MAX_GUILD_CHANNELS: u64 = 30013;
    pub const MISSING_ACCESS: u64 = 50001;
    pub const CANNOT_MESSAGE_USER: u64 = 50007;
    pub const MISSING_PERMISSIONS: u64 = 50013;
    pub const INVALID_FORM_BODY: u64 = 50035;
}

/// The class of an HTTP answer's status: a 429 (rate limited) or a 5xx
/// (Discord's side) may pass later; any other 4xx says the request itself is
/// wrong (401, 403, 404, 400 with a JSON code such as 50007 or 50013).
pub fn class_of_status(status: u16) -> ErrorClass {
    if status == 429 || status >= 500 {
        ErrorClass::Transient
    } else {
        ErrorClass::Permanent
    }
}

/// The class of a twilight error: an answer by its status; no answer at all
/// (a timeout, a refused or broken connection) is transient; a request
/// twilight could not even build, or a token it refuses to use again after a
/// 401, is permanent.
pub fn class_of(error: &twilight_http::Error) -> ErrorClass {
    match error.kind() {
        ErrorType::Response { status, .. } => class_of_status(status.get()),
        ErrorType::RequestTimedOut | ErrorType::RequestError | ErrorType::RequestCanceled => ErrorClass::Transient,
        _ => ErrorClass::Permanent,
    }
}

/// Whether an answer with this status counts toward Discord's invalid
/// request limit (10,000 per 10 minutes per IP, then a temporary ban).
pub fn is_invalid_request(status: u16) -> bool {
    matches!(status, 401 | 403 | 429)
}

/// The wait a 429 asks for: the JSON body's `retry_after` (seconds, with
/// fractions) if it has one, else the `Retry-After` header (whole seconds).
/// `None` for an answer that names no wait.
pub fn retry_after_of(body: &[u8], retry_after_header: Option<&str>) -> Option<Duration> {
    let from_body = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("retry_after").and_then(serde_json::Value::as_f64));
    let from_header = || retry_after_header.and_then(|h| h.trim().parse::<f64>().ok());
    from_body.or_else(from_header).filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64)
}

/// A 429's error: the wait it asked for, or, if it named none, a second
/// (Discord's usual shortest wait) rather than no wait at all.
pub fn rate_limited(retry_after: Option<Duration>, detail: String) -> PortError {
    PortError::RateLimited { retry_after: retry_after.unwrap_or(Duration::from_secs(1)), detail }
}

pub fn port_error(error: &twilight_http::Error) -> PortError {
    // twilight-http retries a 429 itself once its bucket allows, so one
    // rarely comes back; when it does (a global limit, a body twilight
    // could not read as its own), its wait is kept.
    if let ErrorType::Response { status, body, error: api } = error.kind() {
        if status.get() == 429 {
            let retry_after = match api {
                ApiError::Ratelimited(limited) => Some(Duration::from_secs_f64(limited.retry_after.max(0.0))),
                _ => retry_after_of(body, None),
            };
            return rate_limited(retry_after, format!("HTTP 429: {}", String::from_utf8_lossy(body)));
        }
    }
    // The REST gate (`discord/gate`) answers 503 with the wait in its body
    // when Discord kept answering 429 or the budget had no room in time.
    if let ErrorType::Response { status, body, .. } = error.kind() {
        if status.get() == 503 {
            if let Some(wait) = retry_after_of(body, None) {
                return rate_limited(Some(wait), format!("HTTP 503: {}", String::from_utf8_lossy(body)));
            }
        }
    }
    if class_of(error) == ErrorClass::Transient {
        let what = match error.kind() {
            ErrorType::Response { status, body, .. } => {
                format!("HTTP {}: {}", status.get(), String::from_utf8_lossy(body))
            }
            _ => error.to_string(),
        };
        return PortError::Unavailable(what);
    }
    match error.kind() {
        ErrorType::Response { body, error: api, status } => {
            let code = match api {
                ApiError::General(general) => Some(general.code),
                _ => None,
            };
            match code {
                Some(
                    code::UNKNOWN_CHANNEL
                    | code::UNKNOWN_GUILD
                    | code::UNKNOWN_MEMBER
                    | code::UNKNOWN_MESSAGE
                    | code::UNKNOWN_USER,
                ) => PortError::NotFound,
                Some(code::MAX_GUILD_CHANNELS) => PortError::GuildFull,
                Some(code::MISSING_ACCESS | code::MISSING_PERMISSIONS) => PortError::MissingPermissions,
                Some(code::CANNOT_MESSAGE_USER) => PortError::CannotMessageUser,
                Some(code::INVALID_FORM_BODY)
                    if String::from_utf8_lossy(body).contains("CHANNEL_PARENT_MAX_CHANNELS") =>
                {
                    PortError::CategoryFull
                }
                _ if status.get() == 404 => PortError::NotFound,
                _ => PortError::Other(format!("HTTP {}: {}", status.get(), String::from_utf8_lossy(body))),
            }
        }
        _ => PortError::Other(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_and_server_errors_are_transient_and_refusals_permanent() {
        for status in [429, 500, 502, 503, 504] {
            assert_eq!(class_of_status(status), ErrorClass::Transient, "{status}");
        }
        for status in [400, 401, 403, 404, 405, 413] {
            assert_eq!(class_of_status(status), ErrorClass::Permanent, "{status}");
        }
    }

    #[test]
    fn a_429s_wait_is_read_from_its_body_first_then_from_its_header() {
        let body = br#"{"message": "You are being rate limited.", "retry_after": 1.25, "global": false}"#;
        assert_eq!(retry_after_of(body, Some("2")), Some(Duration::from_millis(1250)));
        assert_eq!(retry_after_of(b"", Some("2")), Some(Duration::from_secs(2)));
        assert_eq!(retry_after_of(b"<html>", None), None);
        let error = rate_limited(None, "HTTP 429".into());
        assert_eq!(error.retry_after(), Some(Duration::from_secs(1)), "a 429 naming no wait still waits");
        assert!(error.is_transient());
        assert_eq!(PortError::Unavailable("HTTP 503".into()).retry_after(), None);
    }

    #[test]
    fn only_401_403_and_429_count_toward_the_invalid_request_ban() {
        let invalid: Vec<u16> = (100..600).filter(|s| is_invalid_request(*s)).collect();
        assert_eq!(invalid, vec![401, 403, 429]);
    }
}
