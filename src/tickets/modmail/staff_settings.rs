//! The modmail settings as `/modmail settings` and `!modmail set` reach them:
//! read, or changed from (name, value) pairs as staff typed them, by someone
//! with Manage Server. Each pair is read through the settings table
//! (`super::setting_specs`) here, after the permission check, so that only
//! managers learn what is wrong with a value; the change itself is
//! `change_modmail_settings` (`super::settings`), as for the API.

use super::super::error::{Field, Refusal, TicketResult};
use super::super::TicketService;
use super::setting_specs::SettingChange;
use crate::db;
use crate::domain::actor::Actor;
use crate::domain::ids::GuildId;
use crate::domain::settings::GuildSettings;

impl TicketService {
    /// The guild's settings, for someone with Manage Server.
    #[tracing::instrument(skip(self, actor))]
    pub async fn modmail_settings_view(&self, guild: GuildId, actor: &Actor) -> TicketResult<GuildSettings> {
        manages_guild(actor)?;
        Ok(db::settings::get(&self.db, guild).await?)
    }

    /// Applies (name, value) pairs as typed, all or none (Manage Server), and
    /// returns the settings as stored. Every name or value that cannot be read
    /// is named in the refusal.
    #[tracing::instrument(skip(self, actor, changes))]
    pub async fn change_modmail_settings_as_typed(
        &self,
        guild: GuildId,
        actor: &Actor,
        changes: &[(String, String)],
    ) -> TicketResult<GuildSettings> {
        manages_guild(actor)?;
        let mut typed = Vec::new();
        let mut problems = Vec::new();
        for (name, value) in changes {
            match SettingChange::parse(name, value) {
                Ok(change) => typed.push(change),
                Err(problem) => problems.push((Field::Setting(name.clone()), problem)),
            }
        }
        if !problems.is_empty() {
            return Err(Refusal::InvalidFields(problems).into());
        }
        self.change_modmail_settings(guild, actor.audit(), &typed).await
    }
}

fn manages_guild(actor: &Actor) -> Result<(), Refusal> {
    if actor.manage_guild {
        Ok(())
    } else {
        Err(Refusal::NeedsManageGuild)
    }
}
