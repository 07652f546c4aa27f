//! `/modmail setup`: a guild chooses its inbox category, staff role and log
//! channel, and modmail turns on (its gateway cluster then fills the
//! membership index); `/modmail disable` turns it off again.

use super::super::error::{Field, Problem, Refusal, TicketResult};
use super::super::ports::{ChannelKind, PortError};
use super::super::TicketService;
use crate::db;
use crate::domain::actor::Actor;
use crate::domain::ids::{ChannelId, GuildId, RoleId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModmailSetup {
    pub inbox_category: ChannelId,
    pub staff_role: RoleId,
    pub log_channel: Option<ChannelId>,
}

impl TicketService {
    /// Turns modmail off: DMs no longer route to this guild, and its members
    /// are dropped from the membership index (kept only where modmail is on).
    /// Open tickets stay open for staff to finish. Returns whether it was on.
    #[tracing::instrument(skip(self, actor))]
    pub async fn disable_modmail(&self, guild: GuildId, actor: &Actor) -> TicketResult<bool> {
        if !actor.manage_guild {
            return Err(Refusal::NeedsManageGuild.into());
        }
        let mut tx = self.db.begin().await?;
        if !db::settings::disable_modmail(&mut tx, guild).await? {
            return Ok(false);
        }
        self.audit(&mut tx, guild, actor, "modmail.disable", "modmail", serde_json::json!({})).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Stores a checked setup and its audit entry in the caller's transaction.
    pub(crate) async fn save_modmail_setup(
        &self,
        tx: &mut sqlx::PgConnection,
        guild: GuildId,
        actor: &Actor,
        setup: &ModmailSetup,
    ) -> TicketResult<()> {
        db::settings::setup_modmail(&mut *tx, guild, setup.inbox_category, setup.staff_role, setup.log_channel).await?;
        let details = serde_json::json!({
            "inbox_category": setup.inbox_category.to_string(),
            "staff_role": setup.staff_role.to_string(),
            "log_channel": setup.log_channel.map(|c| c.to_string()),
        });
        self.audit(tx, guild, actor, "modmail.setup", "modmail", details).await
    }

    pub(crate) async fn expect_channel(
        &self,
        guild: GuildId,
        channel: ChannelId,
        kind: ChannelKind,
        field: Field,
    ) -> TicketResult<()> {
        let info = match self.discord.channel_info(channel).await {
            Ok(info) => info,
            Err(PortError::NotFound | PortError::MissingPermissions) => {
                return Err(Refusal::Invalid { field, problem: Problem::NotVisible { kind } }.into())
            }
            Err(e) => return Err(e.into()),
        };
        if info.guild != Some(guild) || info.kind != kind {
            return Err(Refusal::Invalid { field, problem: Problem::WrongKind { kind } }.into());
        }
        Ok(())
    }
}
