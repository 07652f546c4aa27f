//! `/modmail setup`: a guild chooses its inbox category, staff role and log
//! channel, and modmail turns on (its gateway cluster then fills the
//! membership index); `/modmail disable` turns it off again.

use super::super::error::{Field, Problem, Refusal, TicketResult};
use super::super::outcome::Outcome;
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
    #[tracing::instrument(skip(self, actor))]
    pub async fn setup_modmail(&self, guild: GuildId, actor: &Actor, setup: &ModmailSetup) -> TicketResult<Outcome> {
        if !actor.manage_guild {
            return Err(Refusal::NeedsManageGuild.into());
        }
        if setup.staff_role.get() == guild.get() {
            return Err(Refusal::Invalid { field: Field::StaffRole, problem: Problem::Everyone }.into());
        }
        let inbox = Field::Option("inbox-category".into());
        self.expect_channel(guild, setup.inbox_category, ChannelKind::Category, inbox).await?;
        if let Some(log) = setup.log_channel {
            self.expect_channel(guild, log, ChannelKind::Text, Field::Option("log-channel".into())).await?;
        }
        let mut tx = self.db.begin().await?;
        self.save_modmail_setup(&mut tx, guild, actor, setup).await?;
        tx.commit().await?;
        let log = setup.log_channel.map(|c| format!(", events are logged in <#{c}>")).unwrap_or_default();
        Ok(Outcome::Notice(format!(
            "Modmail is set up: tickets open in <#{}>, visible to <@&{}>{log}. Members can now DM me.",
            setup.inbox_category, setup.staff_role
        )))
    }

    /// Turns modmail off: DMs no longer route to this guild, and its members
    /// are dropped from the membership index (kept only where modmail is on).
    /// Open tickets stay open for staff to finish.
    #[tracing::instrument(skip(self, actor))]
    pub async fn disable_modmail(&self, guild: GuildId, actor: &Actor) -> TicketResult<Outcome> {
        if !actor.manage_guild {
            return Err(Refusal::NeedsManageGuild.into());
        }
        let mut tx = self.db.begin().await?;
        if !db::settings::disable_modmail(&mut tx, guild).await? {
            return Ok(Outcome::Notice("Modmail is not on in this server.".to_owned()));
        }
        self.audit(&mut tx, guild, actor, "modmail.disable", "modmail", serde_json::json!({})).await?;
        tx.commit().await?;
        Ok(Outcome::Notice(
            "Modmail is off: members can no longer reach staff by DM. Run `/modmail setup` to turn it on again."
                .to_owned(),
        ))
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
