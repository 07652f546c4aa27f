//! What an API token may do. A dashboard session may do everything in the
//! guilds its user manages; a token only what its scopes name.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum Scope {
    /// Read every modmail and panel setting, types, categories, snippets, blocks.
    #[serde(rename = "settings:read")]
    SettingsRead,
    /// Change them.
    #[serde(rename = "settings:write")]
    SettingsWrite,
    /// Read tickets, their messages and events, transcripts and statistics.
    #[serde(rename = "tickets:read")]
    TicketsRead,
    /// Read the audit log.
    #[serde(rename = "audit_log:read")]
    AuditLogRead,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::SettingsRead, Scope::SettingsWrite, Scope::TicketsRead, Scope::AuditLogRead];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::SettingsRead => "settings:read",
            Scope::SettingsWrite => "settings:write",
            Scope::TicketsRead => "tickets:read",
            Scope::AuditLogRead => "audit_log:read",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_back_from_their_names_and_serde_agrees() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
            assert_eq!(serde_json::to_value(scope).unwrap(), scope.as_str());
        }
        assert_eq!(Scope::parse("admin"), None);
    }
}
