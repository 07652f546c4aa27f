//! Who acts: a member as the transport saw them, and how the audit log
//! names them.

use super::ids::{RoleId, UserId};
use super::settings::GuildSettings;

/// Who made a change: a logged-in user, or an API token (and its creator).
#[derive(Debug, Clone, Copy)]
pub struct AuditActor {
    pub user_id: Option<i64>,
    pub token_id: Option<i64>,
}

/// Who is acting, as the transport saw them.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: UserId,
    pub name: String,
    pub roles: Vec<RoleId>,
    /// The member has Manage Server (or Administrator, or owns the guild).
    pub manage_guild: bool,
    /// The API token acting for `user` (its creator), when one is.
    pub api_token: Option<i64>,
}

impl Actor {
    /// How the audit log names this person.
    pub fn audit(&self) -> AuditActor {
        AuditActor { user_id: Some(self.user.db()), token_id: self.api_token }
    }

    /// Staff are members with the guild's staff role, or with Manage Server.
    pub fn is_staff(&self, settings: &GuildSettings) -> bool {
        self.manage_guild || settings.staff_role.is_some_and(|role| self.roles.contains(&role))
    }
}
