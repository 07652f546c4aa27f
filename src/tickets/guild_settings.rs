//! One change to a guild's whole configuration, all or none: the modmail
//! setup, the modmail settings and the ticket menu's setup, as the API's
//! `PATCH /settings` sends them. Everything is checked (the values, each
//! channel with Discord, what a partial setup lacks) and written in one
//! transaction with its audit entries; a refusal names every bad field and
//! writes nothing. The parts merge with what is stored under row locks, so
//! two admins changing different fields at once both win. The menu is posted
//! (or edited) after the commit. `/modmail setup` (here) and `/ticket setup`
//! (`panel::setup`) are this action with every field of one setup given.

use super::error::{Field, Problem, Refusal, TicketError, TicketResult};
use super::modmail::setting_specs::SettingChange;
use super::modmail::setup::ModmailSetup;
use super::ports::ChannelKind;
use super::TicketService;
use crate::db;
use crate::domain::actor::Actor;
use crate::domain::ids::{ChannelId, GuildId, RoleId};
use crate::domain::panel::{PanelSettings, PanelSetup};
use crate::domain::settings::GuildSettings;

/// What to change; every `None` keeps what is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuildSettingsChange {
    pub modmail_setup: Option<ModmailSetupChange>,
    pub modmail: Vec<SettingChange>,
    pub panel_setup: Option<PanelSetupChange>,
    /// Fields the caller could not read into a change (an id that is not
    /// one, a value of the wrong type): refused with the rest, so one answer
    /// names every bad field.
    pub unreadable: Vec<(Field, Problem)>,
}

/// Fields of the modmail setup to change. Setting modmail up the first time
/// needs the inbox category and the staff role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModmailSetupChange {
    pub inbox_category: Option<ChannelId>,
    pub staff_role: Option<RoleId>,
    /// `Some(None)`: no log channel.
    pub log_channel: Option<Option<ChannelId>>,
}

/// Fields of the ticket menu's setup to change. Setting the menu up the
/// first time needs its channel and the category tickets open in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PanelSetupChange {
    pub menu_channel: Option<ChannelId>,
    pub category: Option<ChannelId>,
    pub log_channel: Option<Option<ChannelId>>,
    pub support_role: Option<Option<RoleId>>,
    pub max_open_per_member: Option<i32>,
}

/// The configuration as stored by the change.
#[derive(Debug, Clone)]
pub struct GuildConfiguration {
    pub modmail: GuildSettings,
    /// `None` until the ticket menu is set up.
    pub panel: Option<PanelSettings>,
    /// Ticket types the change created: the defaults, when it set the menu
    /// up in a guild that had none.
    pub created_types: usize,
}

/// Open tickets a member may have at once, in a panel guild.
pub const MAX_OPEN_PER_MEMBER: std::ops::RangeInclusive<i32> = 1..=10;

const MODMAIL: &str = "modmail";
const PANEL: &str = "panel";

fn modmail(name: &str) -> Field {
    Field::In(MODMAIL, Box::new(Field::Option(name.to_owned())))
}

fn panel(name: &str) -> Field {
    Field::In(PANEL, Box::new(Field::Option(name.to_owned())))
}

impl TicketService {
    /// Applies `change` all or none (Manage Server), and returns the
    /// configuration it stored.
    #[tracing::instrument(skip(self, actor, change))]
    pub async fn change_guild_settings(
        &self,
        guild: GuildId,
        actor: &Actor,
        change: &GuildSettingsChange,
    ) -> TicketResult<GuildConfiguration> {
        if !actor.manage_guild {
            return Err(Refusal::NeedsManageGuild.into());
        }
        let mut problems = change.unreadable.clone();
        self.check_everyone(guild, change, &mut problems);
        // Discord is asked before the transaction opens, so no row lock is
        // held across a REST call.
        for (field, channel, kind) in change.channels_named() {
            self.check_channel(guild, channel, kind, field, &mut problems).await?;
        }
        let in_modmail = |field| Field::In(MODMAIL, Box::new(field));
        problems.extend(self.check_setting_channels(guild, &change.modmail, in_modmail).await?);

        let mut tx = self.db.begin().await?;
        // The settings row, locked: the modmail setup merges with it.
        let (before, mut modmail_after) = self
            .write_setting_changes(&mut tx, guild, actor.audit(), &change.modmail, &mut problems, in_modmail)
            .await?;
        if let Some(setup) = &change.modmail_setup {
            match setup.merged_with(&before) {
                Some(setup) => {
                    self.save_modmail_setup(&mut tx, guild, actor, &setup).await?;
                    modmail_after.modmail_enabled = true;
                    modmail_after.inbox_category = Some(setup.inbox_category);
                    modmail_after.staff_role = Some(setup.staff_role);
                    modmail_after.log_channel = setup.log_channel;
                }
                None => problems.push((modmail("inbox-category"), Problem::SetupIncomplete)),
            }
        }
        let mut panel_after = db::panel::settings_locked(&mut tx, guild).await?;
        let mut created_types = 0;
        if let Some(setup) = &change.panel_setup {
            if setup.max_open_per_member.is_some_and(|n| !MAX_OPEN_PER_MEMBER.contains(&n)) {
                let (min, max) = (*MAX_OPEN_PER_MEMBER.start(), *MAX_OPEN_PER_MEMBER.end());
                let count = Problem::Count { min: min.into(), max: max.into() };
                problems.push((panel("max-open-per-member"), count));
            }
            match setup.merged_with(panel_after.as_ref()) {
                Some(setup) if problems.is_empty() => {
                    let (stored, created) = self.save_panel_setup(&mut tx, guild, actor, &setup).await?;
                    (panel_after, created_types) = (Some(stored), created);
                }
                Some(_) => {}
                None => problems.push((panel("menu-channel"), Problem::SetupIncomplete)),
            }
        }
        if !problems.is_empty() {
            // Dropping the transaction rolls every part back.
            return Err(Refusal::InvalidFields(problems).into());
        }
        tx.commit().await?;
        self.after_settings_change(guild, &before, &modmail_after).await;
        if change.panel_setup.is_some() {
            self.refresh_menu(guild).await?;
        }
        Ok(GuildConfiguration { modmail: modmail_after, panel: panel_after, created_types })
    }

    /// `/modmail setup` (Manage Server): `change_guild_settings` with every
    /// field of the modmail setup given.
    #[tracing::instrument(skip(self, actor))]
    pub async fn setup_modmail(
        &self,
        guild: GuildId,
        actor: &Actor,
        setup: &ModmailSetup,
    ) -> TicketResult<ModmailSetup> {
        let whole = ModmailSetupChange {
            inbox_category: Some(setup.inbox_category),
            staff_role: Some(setup.staff_role),
            log_channel: Some(setup.log_channel),
        };
        let change = GuildSettingsChange { modmail_setup: Some(whole), ..Default::default() };
        self.change_guild_settings(guild, actor, &change).await?;
        Ok(setup.clone())
    }

    /// A staff or support role may not be @everyone: it would make every
    /// member staff (and ping the whole server at each opening).
    fn check_everyone(&self, guild: GuildId, change: &GuildSettingsChange, problems: &mut Vec<(Field, Problem)>) {
        let everyone = |role: Option<RoleId>| role.is_some_and(|role| role.get() == guild.get());
        if everyone(change.modmail_setup.as_ref().and_then(|s| s.staff_role)) {
            problems.push((Field::In(MODMAIL, Box::new(Field::StaffRole)), Problem::Everyone));
        }
        if everyone(change.panel_setup.as_ref().and_then(|s| s.support_role.flatten())) {
            problems.push((Field::In(PANEL, Box::new(Field::SupportRole)), Problem::Everyone));
        }
    }

    async fn check_channel(
        &self,
        guild: GuildId,
        channel: ChannelId,
        kind: ChannelKind,
        field: Field,
        problems: &mut Vec<(Field, Problem)>,
    ) -> TicketResult<()> {
        match self.expect_channel(guild, channel, kind, field).await {
            Ok(()) => Ok(()),
            Err(TicketError::Refused(Refusal::Invalid { field, problem })) => {
                problems.push((field, problem));
                Ok(())
            }
            Err(other) => Err(other),
        }
    }
}

impl GuildSettingsChange {
    /// Every channel the setups name, with the kind each must be. Channels
    /// kept from the stored setup were checked when they were chosen.
    fn channels_named(&self) -> Vec<(Field, ChannelId, ChannelKind)> {
        let mut channels = Vec::new();
        if let Some(setup) = &self.modmail_setup {
            if let Some(inbox) = setup.inbox_category {
                channels.push((modmail("inbox-category"), inbox, ChannelKind::Category));
            }
            if let Some(Some(log)) = setup.log_channel {
                channels.push((modmail("log-channel"), log, ChannelKind::Text));
            }
        }
        if let Some(setup) = &self.panel_setup {
            if let Some(menu) = setup.menu_channel {
                channels.push((panel("menu-channel"), menu, ChannelKind::Text));
            }
            if let Some(category) = setup.category {
                channels.push((panel("category"), category, ChannelKind::Category));
            }
            if let Some(Some(log)) = setup.log_channel {
                channels.push((panel("log-channel"), log, ChannelKind::Text));
            }
        }
        channels
    }
}

impl ModmailSetupChange {
    /// The whole setup once the change is laid over what is stored, or
    /// `None` while the inbox category or the staff role is missing.
    fn merged_with(&self, stored: &GuildSettings) -> Option<ModmailSetup> {
        Some(ModmailSetup {
            inbox_category: self.inbox_category.or(stored.inbox_category)?,
            staff_role: self.staff_role.or(stored.staff_role)?,
            log_channel: self.log_channel.unwrap_or(stored.log_channel),
        })
    }
}

impl PanelSetupChange {
    /// The whole setup once the change is laid over what is stored, or
    /// `None` while the menu channel or the category is missing.
    fn merged_with(&self, stored: Option<&PanelSettings>) -> Option<PanelSetup> {
        Some(PanelSetup {
            menu_channel: self.menu_channel.or(stored.map(|p| p.menu_channel))?,
            category: self.category.or(stored.map(|p| p.category))?,
            log_channel: self.log_channel.unwrap_or(stored.and_then(|p| p.log_channel)),
            support_role: self.support_role.unwrap_or(stored.and_then(|p| p.support_role)),
            max_open_per_member: self.max_open_per_member,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_modmail_setup_keeps_the_stored_fields_and_is_incomplete_without_them() {
        let mut stored = GuildSettings::defaults(GuildId(1));
        let change = ModmailSetupChange { staff_role: Some(RoleId(7)), ..Default::default() };
        assert_eq!(change.merged_with(&stored), None, "no inbox category yet");
        stored.inbox_category = Some(ChannelId(5));
        stored.log_channel = Some(ChannelId(6));
        let merged = change.merged_with(&stored).unwrap();
        assert_eq!(
            merged,
            ModmailSetup { inbox_category: ChannelId(5), staff_role: RoleId(7), log_channel: Some(ChannelId(6)) }
        );
        let no_log = ModmailSetupChange { log_channel: Some(None), ..change };
        assert_eq!(no_log.merged_with(&stored).unwrap().log_channel, None);
    }

    #[test]
    fn a_partial_panel_setup_keeps_the_stored_fields_and_is_incomplete_without_them() {
        let change = PanelSetupChange { menu_channel: Some(ChannelId(9)), ..Default::default() };
        assert_eq!(change.merged_with(None), None, "no category yet");
        let stored = PanelSettings {
            guild: GuildId(1),
            menu_channel: ChannelId(2),
            category: ChannelId(3),
            log_channel: None,
            support_role: Some(RoleId(4)),
            menu_message: None,
            max_open_per_member: 2,
        };
        let merged = change.merged_with(Some(&stored)).unwrap();
        assert_eq!(
            (merged.menu_channel, merged.category, merged.support_role),
            (ChannelId(9), ChannelId(3), Some(RoleId(4)))
        );
    }
}
