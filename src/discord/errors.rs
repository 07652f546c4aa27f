//! Maps Discord's error responses to the core's [`PortError`], and decides
//! once, here, whether a failure is permanent or transient
//! ([`ErrorClass`]): every caller acts on that class instead of guessing from
//! status codes of its own.

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

pub fn port_error(error: &twilight_http::Error) -> PortError {
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
    fn only_401_403_and_429_count_toward_the_invalid_request_ban() {
        let invalid: Vec<u16> = (100..600).filter(|s| is_invalid_request(*s)).collect();
        assert_eq!(invalid, vec![401, 403, 429]);
    }
}
