//! Maps Discord's error responses to the core's [`PortError`].

use twilight_http::api_error::ApiError;
use twilight_http::error::ErrorType;

use crate::tickets::ports::PortError;

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

pub fn port_error(error: &twilight_http::Error) -> PortError {
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
