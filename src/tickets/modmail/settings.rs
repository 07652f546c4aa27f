//! `/modmail settings` and `!modmail set <name> <value>`: reading and changing a
//! guild's modmail settings. The commands hand over (name, value) pairs as
//! text, read through the settings table (`super::setting_specs`) in
//! `super::staff_settings`; the API hands over typed `SettingChange`s. Either
//! way one function checks and stores them.

use serde_json::{json, Map, Value};

use super::super::error::{Field, Problem, Refusal, TicketError, TicketResult};
use super::super::ports::ChannelKind;
use super::super::TicketService;
use crate::db;
use crate::db::audit_log::AuditActor;
use crate::domain::ids::GuildId;
use crate::domain::settings::{CloseAction, GuildSettings};

pub use super::setting_specs::{
    as_json, names, Flag, SettingChange, MESSAGE_MAX, PROMPT_TIMEOUT_MAX, PROMPT_TIMEOUT_MIN, SETTINGS,
};

impl TicketService {
    /// Validates and stores changes to the modmail settings, all or none, and
    /// records them in the audit log in the same transaction: the one
    /// implementation behind `/modmail settings`, `!modmail set`, `/category
    /// on|off|timeout` and the API. Every bad setting is named in the refusal.
    #[tracing::instrument(skip(self, changes))]
    pub async fn change_modmail_settings(
        &self,
        guild: GuildId,
        by: AuditActor,
        changes: &[SettingChange],
    ) -> TicketResult<GuildSettings> {
        let mut problems = self.check_setting_channels(guild, changes, |field| field).await?;
        let mut tx = self.db.begin().await?;
        let (before, after) = self.write_setting_changes(&mut tx, guild, by, changes, &mut problems, |f| f).await?;
        if !problems.is_empty() {
            return Err(Refusal::InvalidFields(problems).into());
        }
        tx.commit().await?;
        self.after_settings_change(guild, &before, &after).await;
        Ok(after)
    }

    /// Checks with Discord the channels that changes name (the archive
    /// category), before anything is written; returns the problems found,
    /// each field named through `field`.
    pub(crate) async fn check_setting_channels(
        &self,
        guild: GuildId,
        changes: &[SettingChange],
        field: impl Fn(Field) -> Field,
    ) -> TicketResult<Vec<(Field, Problem)>> {
        let mut problems = Vec::new();
        for change in changes {
            if let SettingChange::ArchiveCategory(Some(channel)) = change {
                let named = field(Field::Setting(change.name().to_owned()));
                match self.expect_channel(guild, *channel, ChannelKind::Category, named).await {
                    Ok(()) => {}
                    Err(TicketError::Refused(Refusal::Invalid { field, problem })) => problems.push((field, problem)),
                    Err(other) => return Err(other),
                }
            }
        }
        Ok(problems)
    }

    /// Applies changes to the settings row, locked, in the caller's
    /// transaction, and records the difference in the audit log. Problems
    /// with values are added to `problems` (fields named through `field`);
    /// the caller then rolls back. Returns the settings before and after.
    pub(crate) async fn write_setting_changes(
        &self,
        tx: &mut sqlx::PgConnection,
        guild: GuildId,
        by: AuditActor,
        changes: &[SettingChange],
        problems: &mut Vec<(Field, Problem)>,
        field: impl Fn(Field) -> Field,
    ) -> TicketResult<(GuildSettings, GuildSettings)> {
        let updated = db::settings::update_in(&mut *tx, guild, |settings| {
            for change in changes {
                let name = field(Field::Setting(change.name().to_owned()));
                // A value Discord already refused is not checked twice.
                if problems.iter().any(|(bad, _)| *bad == name) {
                    continue;
                }
                if let Err(problem) = change.apply(settings) {
                    problems.push((name, problem));
                }
            }
            if settings.close_action == CloseAction::Archive && settings.archive_category.is_none() {
                problems.push((field(Field::Setting("close_action".to_owned())), Problem::NeedsArchiveCategory));
            }
            // With any problem nothing is written (the row's CHECKs would
            // refuse some of them anyway).
            if problems.is_empty() {
                Ok(())
            } else {
                Err(())
            }
        })
        .await?;
        let Ok((before, after)) = updated else {
            // Refused: the row is locked by now; its values are what the
            // caller's other parts merge with.
            let stored = db::settings::get(&mut *tx, guild).await?;
            return Ok((stored.clone(), stored));
        };
        let diff = diff(&as_json(&before), &as_json(&after));
        if !diff.is_empty() {
            db::audit_log::record(&mut *tx, guild.db(), by, "settings.update", "modmail", &Value::Object(diff)).await?;
        }
        Ok((before, after))
    }

    /// What follows a committed change: every process drops its cached
    /// prefix when it changed (guild messages read it).
    pub(crate) async fn after_settings_change(&self, guild: GuildId, before: &GuildSettings, after: &GuildSettings) {
        if before.command_prefix != after.command_prefix {
            self.settings_changed(guild).await;
        }
    }
}

/// `{name: {"old": …, "new": …}}` for each value that changed.
pub fn diff(before: &Map<String, Value>, after: &Map<String, Value>) -> Map<String, Value> {
    after
        .iter()
        .filter(|(name, new)| before.get(*name) != Some(*new))
        .map(|(name, new)| (name.clone(), json!({ "old": before.get(name), "new": new })))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::ChannelId;

    fn settings() -> GuildSettings {
        GuildSettings::defaults(GuildId(1))
    }

    /// Applies one change as typed in chat to `settings`, or says what is
    /// wrong with it.
    fn apply(settings: &mut GuildSettings, name: &str, value: &str) -> Result<(), Refusal> {
        SettingChange::parse(name, value)
            .and_then(|change| change.apply(settings))
            .map_err(|problem| Refusal::Invalid { field: Field::Setting(name.to_owned()), problem })
    }

    #[test]
    fn every_named_setting_can_be_changed() {
        let mut s = settings();
        for (name, value) in [
            ("prefix", "?"),
            ("welcome_message", "Hi {user}"),
            ("close_message", "Bye"),
            ("anonymous_label", "Mods"),
            ("embedded_message", "off"),
            ("block_quote", "on"),
            ("show_log_on_edit", "off"),
            ("show_log_on_delete", "no"),
            ("archive_category", "<#55>"),
            ("close_action", "archive"),
            ("time_to_close_thread", "1d12h"),
            ("close_on_leave", "true"),
            ("create_ticket_by_create_channel", "yes"),
            ("category_prompt", "on"),
            ("category_prompt_timeout", "90"),
        ] {
            apply(&mut s, name, value).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert_eq!(s.command_prefix, "?");
        assert_eq!(s.welcome_message.as_deref(), Some("Hi {user}"));
        assert_eq!(s.anonymous_label, "Mods");
        assert!(!s.embedded_message && s.block_quote && !s.show_log_on_edit && !s.show_log_on_delete);
        assert_eq!((s.close_action, s.archive_category), (CloseAction::Archive, Some(ChannelId(55))));
        assert_eq!(s.time_to_close, Some(std::time::Duration::from_secs(129_600)));
        assert!(s.close_on_leave && s.create_ticket_by_create_channel && s.category_prompt);
        assert_eq!(s.category_prompt_timeout, std::time::Duration::from_secs(90));
        assert_eq!(names().count(), 15);
    }

    #[test]
    fn bad_values_are_refused_with_what_to_type() {
        let mut s = settings();
        for (name, value, hint) in [
            ("prefix", "a b", "without spaces"),
            ("prefix", "/", "slash"),
            ("embedded_message", "maybe", "`on` or `off`"),
            ("close_action", "burn", "`archive` or `delete`"),
            ("time_to_close_thread", "soon", "`30m`"),
            ("anonymous_label", "", "1 to 64"),
            ("colour", "red", "There is no setting"),
        ] {
            let error = apply(&mut s, name, value).unwrap_err().to_string();
            assert!(error.contains(hint), "{name}={value}: {error}");
        }
        let long = "x".repeat(MESSAGE_MAX + 1);
        assert!(apply(&mut s, "welcome_message", &long).is_err());
    }

    #[test]
    fn default_resets_texts_and_off_resets_the_delay() {
        let mut s = settings();
        apply(&mut s, "welcome_message", "Hello").unwrap();
        apply(&mut s, "time_to_close_thread", "2h").unwrap();
        apply(&mut s, "welcome_message", "default").unwrap();
        apply(&mut s, "time_to_close_thread", "off").unwrap();
        assert_eq!((s.welcome_message, s.time_to_close), (None, None));
    }

    #[test]
    fn the_json_names_every_setting_and_the_diff_shows_only_changes() {
        let before = settings();
        let mut after = settings();
        apply(&mut after, "prefix", "?").unwrap();
        apply(&mut after, "time_to_close_thread", "2h").unwrap();
        let (old, new) = (as_json(&before), as_json(&after));
        assert_eq!(new.keys().count(), names().count());
        for name in names() {
            assert!(new.contains_key(name), "{name} missing");
        }
        let changes = diff(&old, &new);
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert_eq!(changes["prefix"], json!({"old": "!", "new": "?"}));
        assert_eq!(changes["time_to_close_thread"], json!({"old": null, "new": 7200}));
    }
}
