//! `/ticket setup`: where the menu lives, where ticket channels go, who
//! answers and where events are logged. Creates the default ticket types in
//! a guild that has none and posts (or updates) the menu. Running it again
//! updates the configuration; the menu is edited, never posted twice.

use std::fmt::Write as _;

use super::super::error::{Field, Problem, Refusal, TicketResult};
use super::super::outcome::Outcome;
use super::super::ports::ChannelKind;
use super::super::TicketService;
use crate::db;
use crate::db::panel::{PanelSettings, PanelSetup};
use crate::domain::actor::Actor;
use crate::domain::ids::GuildId;

impl TicketService {
    #[tracing::instrument(skip(self, actor, setup))]
    pub async fn setup_panel(&self, guild: GuildId, actor: &Actor, setup: &PanelSetup) -> TicketResult<Outcome> {
        if !actor.manage_guild {
            return Err(Refusal::NeedsManageGuild.into());
        }
        if setup.support_role.is_some_and(|role| role.get() == guild.get()) {
            // Every member has @everyone: it would make anyone staff of every
            // ticket, and ping the whole server at each opening.
            return Err(Refusal::Invalid { field: Field::SupportRole, problem: Problem::Everyone }.into());
        }
        let option = |name: &str| Field::Option(name.to_owned());
        self.expect_channel(guild, setup.menu_channel, ChannelKind::Text, option("menu-channel")).await?;
        self.expect_channel(guild, setup.category, ChannelKind::Category, option("category")).await?;
        if let Some(log) = setup.log_channel {
            self.expect_channel(guild, log, ChannelKind::Text, option("log-channel")).await?;
        }
        let mut tx = self.db.begin().await?;
        let (settings, created) = self.save_panel_setup(&mut tx, guild, actor, setup).await?;
        tx.commit().await?;
        let types = db::panel::types(&self.db, guild).await?;
        self.refresh_menu(guild).await?;

        let mut text =
            format!("✅ The ticket menu is in <#{}> with {} ticket types", settings.menu_channel, types.len());
        if created > 0 {
            let _ = write!(text, " (the {created} defaults: {})", names(&types));
        }
        let _ = write!(text, ". Tickets open in <#{}>", settings.category);
        match settings.support_role {
            Some(role) => {
                let _ = write!(text, ", <@&{role}> is pinged and answers them");
            }
            None => text.push_str(", answered by members with Manage Server (add a `support-role` to change that)"),
        }
        match settings.log_channel {
            Some(log) => {
                let _ = write!(text, "; events are logged in <#{log}>.");
            }
            None => text.push_str("; no log channel."),
        }
        let _ = write!(
            text,
            " Each member may have {} open ticket{} at once.",
            settings.max_open_per_member,
            if settings.max_open_per_member == 1 { "" } else { "s" }
        );
        text.push_str(" Change the types and their questions with `/ticket admin`.");
        Ok(Outcome::Notice(text))
    }
}

impl TicketService {
    /// Stores a checked setup (with the default types for a guild that has
    /// none) and its audit entry in the caller's transaction; returns the
    /// settings stored and how many types were created. The caller posts the
    /// menu (`refresh_menu`) once the transaction has committed.
    pub(crate) async fn save_panel_setup(
        &self,
        tx: &mut sqlx::PgConnection,
        guild: GuildId,
        actor: &Actor,
        setup: &PanelSetup,
    ) -> TicketResult<(PanelSettings, usize)> {
        let (settings, created) = db::panel::save_setup(&mut *tx, guild, setup, &super::defaults::types()).await?;
        let details = serde_json::json!({
            "menu_channel": settings.menu_channel.to_string(),
            "category": settings.category.to_string(),
            "log_channel": settings.log_channel.map(|c| c.to_string()),
            "support_role": settings.support_role.map(|r| r.to_string()),
            "max_open_per_member": settings.max_open_per_member,
        });
        self.audit(tx, guild, actor, "panel.setup", "panel", details).await?;
        Ok((settings, created))
    }
}

fn names(types: &[crate::db::panel::TicketType]) -> String {
    types.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
}
