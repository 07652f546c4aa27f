//! `/ticket setup`: where the menu lives, where ticket channels go, who
//! answers and where events are logged. Creates the default ticket types in
//! a guild that has none and posts (or updates) the menu. Running it again
//! updates the configuration; the menu is edited, never posted twice.

use super::super::error::{Refusal, TicketResult};
use super::super::guild_settings::{GuildSettingsChange, PanelSetupChange};
use super::super::TicketService;
use crate::db;
use crate::domain::actor::Actor;
use crate::domain::ids::GuildId;
use crate::domain::panel::{PanelSettings, PanelSetup, TicketType};

/// What `/ticket setup` stored: the settings, the guild's ticket types and
/// how many of them it created (the defaults, in a guild that had none).
#[derive(Debug, Clone)]
pub struct PanelSetUp {
    pub settings: PanelSettings,
    pub types: Vec<TicketType>,
    pub created: usize,
}

impl TicketService {
    /// Sets the ticket menu up (Manage Server) and posts or edits it: the
    /// same action as the API's change of the setup (`change_guild_settings`).
    #[tracing::instrument(skip(self, actor, setup))]
    pub async fn setup_panel(&self, guild: GuildId, actor: &Actor, setup: &PanelSetup) -> TicketResult<PanelSetUp> {
        let whole = PanelSetupChange {
            menu_channel: Some(setup.menu_channel),
            category: Some(setup.category),
            log_channel: Some(setup.log_channel),
            support_role: Some(setup.support_role),
            max_open_per_member: setup.max_open_per_member,
        };
        let change = GuildSettingsChange { panel_setup: Some(whole), ..Default::default() };
        let stored = self.change_guild_settings(guild, actor, &change).await?;
        // Set just now, so present; the types are read after the menu is posted.
        let settings = stored.panel.ok_or(Refusal::PanelNotSetUp)?;
        let types = db::panel::types(&self.db, guild).await?;
        Ok(PanelSetUp { settings, types, created: stored.created_types })
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
