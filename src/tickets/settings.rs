//! `/modmail settings` and `!modmail set <name> <value>`: reading and changing a
//! guild's modmail settings. Both forms hand over (name, value) pairs as text;
//! this is the one place that validates them.

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use super::duration;
use super::error::{Refusal, TicketError, TicketResult};
use super::outcome::Outcome;
use super::ports::ChannelKind;
use super::TicketService;
use crate::db;
use crate::db::audit_log::AuditActor;
use crate::domain::ids::{ChannelId, GuildId, IdError};
use crate::domain::{
    actor::Actor,
    settings::{CloseAction, GuildSettings},
};

/// Every setting, by the name staff type (the reference guide's names).
pub const NAMES: [&str; 15] = [
    "prefix",
    "welcome_message",
    "close_message",
    "anonymous_label",
    "embedded_message",
    "block_quote",
    "show_log_on_edit",
    "show_log_on_delete",
    "close_action",
    "archive_category",
    "time_to_close_thread",
    "close_on_leave",
    "create_ticket_by_create_channel",
    "category_prompt",
    "category_prompt_timeout",
];

/// Bounds of `category_prompt_timeout`, in seconds (the column's CHECK too).
pub const PROMPT_TIMEOUT_MIN: u64 = 10;
pub const PROMPT_TIMEOUT_MAX: u64 = 86_400;

/// Longest welcome or close message (leaves room for the placeholders' values
/// within Discord's 2,000 characters).
pub const MESSAGE_MAX: usize = 1800;

impl TicketService {
    /// Shows the settings (no changes) or applies the changes, all or none.
    #[tracing::instrument(skip(self, actor, changes))]
    pub async fn modmail_settings(
        &self,
        guild: GuildId,
        actor: &Actor,
        changes: &[(String, String)],
    ) -> TicketResult<Outcome> {
        if !actor.manage_guild {
            return Err(Refusal::NeedsManageGuild.into());
        }
        if changes.is_empty() {
            let settings = db::settings::get(&self.db, guild).await?;
            return Ok(Outcome::Notice(describe(&settings)));
        }
        let settings = self.change_modmail_settings(guild, actor.audit(), changes).await?;
        let names: Vec<&str> = changes.iter().map(|(name, _)| name.as_str()).collect();
        Ok(Outcome::Notice(format!("Saved: {}.\n\n{}", names.join(", "), describe(&settings))))
    }

    /// Validates and stores changes to the modmail settings, all or none, and
    /// records them in the audit log in the same transaction: the one
    /// implementation behind `/modmail settings`, `!modmail set`, `/category
    /// on|off|timeout` and the API. Every bad setting is named in the refusal.
    #[tracing::instrument(skip(self, changes))]
    pub async fn change_modmail_settings(
        &self,
        guild: GuildId,
        by: AuditActor,
        changes: &[(String, String)],
    ) -> TicketResult<GuildSettings> {
        let mut problems: Vec<(String, String)> = Vec::new();
        // The archive category is checked with Discord before anything is written.
        for (name, value) in changes {
            if name == "archive_category" && !is_reset(value) {
                let checked = match category_id(name, value) {
                    Err(refusal) => Err(refusal.into()),
                    Ok(channel) => self.expect_channel(guild, channel, ChannelKind::Category, name, "a category").await,
                };
                match checked {
                    Ok(()) => {}
                    Err(TicketError::Refused(refusal)) => problems.push((name.clone(), refusal.to_string())),
                    Err(other) => return Err(other),
                }
            }
        }
        let mut tx = self.db.begin().await?;
        let updated = db::settings::update_in(&mut tx, guild, |settings| {
            for (name, value) in changes {
                if problems.iter().any(|(bad, _)| bad == name) {
                    continue;
                }
                if let Err(refusal) = apply(settings, name, value) {
                    problems.push((name.clone(), refusal.to_string()));
                }
            }
            if settings.close_action == CloseAction::Archive && settings.archive_category.is_none() {
                problems.push((
                    "close_action".to_owned(),
                    "`close_action archive` needs an `archive_category`: set that first (or in the same command)."
                        .to_owned(),
                ));
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(Refusal::InvalidSettings(std::mem::take(&mut problems)))
            }
        })
        .await?;
        let (before, after) = updated?;
        let diff = diff(&as_json(&before), &as_json(&after));
        if !diff.is_empty() {
            db::audit_log::record(&mut *tx, guild.db(), by, "settings.update", "modmail", &Value::Object(diff)).await?;
        }
        tx.commit().await?;
        if before.command_prefix != after.command_prefix {
            // Every process drops its cached prefix (guild messages read it).
            self.settings_changed(guild).await;
        }
        Ok(after)
    }
}

/// The settings by their names, as the API shows them and the audit log
/// records them (delays in seconds, ids as strings).
pub fn as_json(s: &GuildSettings) -> Map<String, Value> {
    let id = |c: Option<ChannelId>| c.map(|c| Value::String(c.to_string())).unwrap_or(Value::Null);
    let pairs = [
        ("prefix", json!(s.command_prefix)),
        ("welcome_message", json!(s.welcome_message)),
        ("close_message", json!(s.close_message)),
        ("anonymous_label", json!(s.anonymous_label)),
        ("embedded_message", json!(s.embedded_message)),
        ("block_quote", json!(s.block_quote)),
        ("show_log_on_edit", json!(s.show_log_on_edit)),
        ("show_log_on_delete", json!(s.show_log_on_delete)),
        ("close_action", json!(s.close_action.as_str())),
        ("archive_category", id(s.archive_category)),
        ("time_to_close_thread", json!(s.time_to_close.map(|d| d.as_secs()))),
        ("close_on_leave", json!(s.close_on_leave)),
        ("create_ticket_by_create_channel", json!(s.create_ticket_by_create_channel)),
        ("category_prompt", json!(s.category_prompt)),
        ("category_prompt_timeout", json!(s.category_prompt_timeout.as_secs())),
    ];
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// `{name: {"old": …, "new": …}}` for each value that changed.
pub fn diff(before: &Map<String, Value>, after: &Map<String, Value>) -> Map<String, Value> {
    after
        .iter()
        .filter(|(name, new)| before.get(*name) != Some(*new))
        .map(|(name, new)| (name.clone(), json!({ "old": before.get(name), "new": new })))
        .collect()
}

/// Applies one change to `settings`, or says what is wrong with it.
pub fn apply(settings: &mut GuildSettings, name: &str, value: &str) -> Result<(), Refusal> {
    let value = value.trim();
    match name {
        "prefix" => {
            if value.is_empty() || value.chars().count() > 5 || value.contains(char::is_whitespace) {
                return Err(invalid(name, "use 1 to 5 characters without spaces, for example `!` or `?mm`"));
            }
            if value.starts_with('/') {
                return Err(invalid(name, "`/` is taken by Discord's slash commands"));
            }
            settings.command_prefix = value.to_owned();
        }
        "welcome_message" => settings.welcome_message = message(name, value)?,
        "close_message" => settings.close_message = message(name, value)?,
        "anonymous_label" => {
            if value.is_empty() || value.chars().count() > 64 {
                return Err(invalid(name, "use 1 to 64 characters, for example `Staff Team`"));
            }
            settings.anonymous_label = value.to_owned();
        }
        "embedded_message" => settings.embedded_message = boolean(name, value)?,
        "block_quote" => settings.block_quote = boolean(name, value)?,
        "show_log_on_edit" => settings.show_log_on_edit = boolean(name, value)?,
        "show_log_on_delete" => settings.show_log_on_delete = boolean(name, value)?,
        "close_on_leave" => settings.close_on_leave = boolean(name, value)?,
        "create_ticket_by_create_channel" => settings.create_ticket_by_create_channel = boolean(name, value)?,
        "category_prompt" => settings.category_prompt = boolean(name, value)?,
        "category_prompt_timeout" => {
            // Seconds, as the reference's `!category timeout <seconds>`, or a duration.
            let wait = match value.parse::<u64>() {
                Ok(seconds) => std::time::Duration::from_secs(seconds),
                Err(_) => duration::parse(value).map_err(|e| invalid(name, &e.to_string()))?,
            };
            if !(PROMPT_TIMEOUT_MIN..=PROMPT_TIMEOUT_MAX).contains(&wait.as_secs()) {
                return Err(invalid(
                    name,
                    &format!("use {PROMPT_TIMEOUT_MIN} to {PROMPT_TIMEOUT_MAX} seconds (or a duration like `5m`)"),
                ));
            }
            settings.category_prompt_timeout = wait;
        }
        "close_action" => {
            settings.close_action = CloseAction::parse(&value.to_ascii_lowercase())
                .ok_or_else(|| invalid(name, "use `archive` or `delete`"))?;
        }
        "archive_category" => {
            if is_reset(value) {
                settings.archive_category = None;
            } else {
                settings.archive_category = Some(category_id(name, value)?);
            }
        }
        "time_to_close_thread" => {
            settings.time_to_close = if is_reset(value) {
                None
            } else {
                Some(duration::parse(value).map_err(|e| invalid(name, &format!("{e} Or `off` to close at once")))?)
            };
        }
        _ => {
            return Err(Refusal::InvalidInput(format!(
                "There is no setting `{name}`. The settings are: {}.",
                NAMES.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            )))
        }
    }
    Ok(())
}

/// The settings as staff read them.
pub fn describe(s: &GuildSettings) -> String {
    let mut out = String::from("**Modmail settings**\n");
    let on = |b: bool| if b { "on" } else { "off" };
    let custom = |m: &Option<String>| match m {
        Some(text) => format!("custom ({} characters)", text.chars().count()),
        None => "default".to_owned(),
    };
    let lines = [
        ("prefix", format!("`{}`", s.command_prefix)),
        ("welcome_message", custom(&s.welcome_message)),
        ("close_message", custom(&s.close_message)),
        ("anonymous_label", format!("`{}`", s.anonymous_label)),
        ("embedded_message", on(s.embedded_message).to_owned()),
        ("block_quote", on(s.block_quote).to_owned()),
        ("show_log_on_edit", on(s.show_log_on_edit).to_owned()),
        ("show_log_on_delete", on(s.show_log_on_delete).to_owned()),
        ("close_action", s.close_action.as_str().to_owned()),
        ("archive_category", s.archive_category.map_or("none".to_owned(), |c| format!("<#{c}>"))),
        ("time_to_close_thread", s.time_to_close.map_or("off (close at once)".to_owned(), duration::format)),
        ("close_on_leave", on(s.close_on_leave).to_owned()),
        ("create_ticket_by_create_channel", on(s.create_ticket_by_create_channel).to_owned()),
        ("category_prompt", on(s.category_prompt).to_owned()),
        ("category_prompt_timeout", duration::format(s.category_prompt_timeout)),
    ];
    for (name, value) in lines {
        let _ = writeln!(out, "`{name}`: {value}");
    }
    let _ = write!(
        out,
        "Change one with `/modmail settings` or `{}modmail set <name> <value>`; `default` or `off` resets texts and delays.",
        s.command_prefix
    );
    out
}

fn is_reset(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "default" | "off" | "none" | "reset")
}

fn message(name: &str, value: &str) -> Result<Option<String>, Refusal> {
    if is_reset(value) {
        return Ok(None);
    }
    if value.is_empty() {
        return Err(invalid(name, "write the text, or `default` to use the built-in one"));
    }
    if value.chars().count() > MESSAGE_MAX {
        return Err(invalid(name, &format!("keep it within {MESSAGE_MAX} characters")));
    }
    Ok(Some(value.to_owned()))
}

fn boolean(name: &str, value: &str) -> Result<bool, Refusal> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "enable" | "enabled" => Ok(true),
        "false" | "off" | "no" | "disable" | "disabled" => Ok(false),
        _ => Err(invalid(name, "use `on` or `off`")),
    }
}

fn invalid(name: &str, what: &str) -> Refusal {
    Refusal::InvalidInput(format!("Invalid value for `{name}`: {what}."))
}

/// A category setting: its id or `<#mention>`. A number too large to be an
/// id is named as such rather than stored wrapped.
fn category_id(name: &str, value: &str) -> Result<ChannelId, Refusal> {
    ChannelId::from_mention(value).map_err(|e| match e {
        IdError::NotANumber => invalid(name, "give a category id or #mention"),
        IdError::Zero | IdError::TooLarge => invalid(name, &format!("give a category id or #mention ({e})")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> GuildSettings {
        GuildSettings::defaults(GuildId(1))
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
        assert_eq!(NAMES.len(), 15);
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
        assert_eq!(new.keys().count(), NAMES.len());
        for name in NAMES {
            assert!(new.contains_key(name), "{name} missing");
        }
        let changes = diff(&old, &new);
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert_eq!(changes["prefix"], json!({"old": "!", "new": "?"}));
        assert_eq!(changes["time_to_close_thread"], json!({"old": null, "new": 7200}));
    }

    #[test]
    fn the_description_names_every_setting() {
        let text = describe(&settings());
        for name in NAMES {
            assert!(text.contains(&format!("`{name}`")), "{name} missing");
        }
    }
}
