//! `GET` and `PATCH /v1/guilds/{guild_id}/settings`: the guild's modmail and
//! panel settings. A change goes through the ticket core's one settings
//! implementation (the same as `/modmail settings`), which validates every
//! field, stores all or none, and records the audit log entry. The bot reads
//! settings from PostgreSQL for each batch of work, so every cluster acts on a
//! change at once.

use std::str::FromStr;
use std::time::Duration;

use axum::extract::State;
use axum::Json as JsonResponse;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::refusals::{api_error_in, id_problem, problem_text};
use crate::api::auth::access::{Authorized, ReadSettings, WriteSettings};
use crate::api::error_body::{BodyErrors, GuildErrors};
use crate::api::extract::Json;
use crate::api::{ApiState, Error, Result};
use crate::db;
use crate::db::panel::PanelSetup;
use crate::domain::ids::{ChannelId, GuildId, IdError};
use crate::domain::settings::CloseAction;
use crate::domain::settings::GuildSettings;
use crate::tickets::error::{Field, Refusal, TicketError};
use crate::tickets::modmail::settings::{Flag, SettingChange};
use crate::tickets::modmail::setup::ModmailSetup;
use crate::tickets::ports::ChannelKind;

#[derive(Debug, Serialize, ToSchema)]
pub struct Settings {
    pub modmail: ModmailSettings,
    /// The ticket menu, once `/ticket setup` has run; else null.
    pub panel: Option<PanelSettings>,
}

/// Modmail settings, by the reference guide's names.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModmailSettings {
    /// Whether modmail is set up (`/modmail setup`, or `inbox_category` and
    /// `staff_role` here).
    pub enabled: bool,
    pub inbox_category: Option<String>,
    pub staff_role: Option<String>,
    pub log_channel: Option<String>,
    pub prefix: String,
    /// null: the built-in text.
    pub welcome_message: Option<String>,
    pub close_message: Option<String>,
    pub anonymous_label: String,
    pub embedded_message: bool,
    pub block_quote: bool,
    pub show_log_on_edit: bool,
    pub show_log_on_delete: bool,
    /// `delete` or `archive`.
    pub close_action: String,
    pub archive_category: Option<String>,
    /// Seconds a `close` waits by default; null closes at once.
    pub time_to_close_thread: Option<u64>,
    pub close_on_leave: bool,
    pub create_ticket_by_create_channel: bool,
    pub category_prompt: bool,
    /// Seconds.
    pub category_prompt_timeout: u64,
}

/// The ticket menu's settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct PanelSettings {
    pub menu_channel: String,
    pub category: String,
    pub log_channel: Option<String>,
    pub support_role: Option<String>,
    pub max_open_per_member: i32,
}

impl From<&GuildSettings> for ModmailSettings {
    fn from(s: &GuildSettings) -> Self {
        ModmailSettings {
            enabled: s.modmail_enabled,
            inbox_category: s.inbox_category.map(|c| c.to_string()),
            staff_role: s.staff_role.map(|r| r.to_string()),
            log_channel: s.log_channel.map(|c| c.to_string()),
            prefix: s.command_prefix.clone(),
            welcome_message: s.welcome_message.clone(),
            close_message: s.close_message.clone(),
            anonymous_label: s.anonymous_label.clone(),
            embedded_message: s.embedded_message,
            block_quote: s.block_quote,
            show_log_on_edit: s.show_log_on_edit,
            show_log_on_delete: s.show_log_on_delete,
            close_action: s.close_action.as_str().to_owned(),
            archive_category: s.archive_category.map(|c| c.to_string()),
            time_to_close_thread: s.time_to_close.map(|d| d.as_secs()),
            close_on_leave: s.close_on_leave,
            create_ticket_by_create_channel: s.create_ticket_by_create_channel,
            category_prompt: s.category_prompt,
            category_prompt_timeout: s.category_prompt_timeout.as_secs(),
        }
    }
}

impl From<db::panel::PanelSettings> for PanelSettings {
    fn from(p: db::panel::PanelSettings) -> Self {
        PanelSettings {
            menu_channel: p.menu_channel.to_string(),
            category: p.category.to_string(),
            log_channel: p.log_channel.map(|c| c.to_string()),
            support_role: p.support_role.map(|r| r.to_string()),
            max_open_per_member: p.max_open_per_member,
        }
    }
}

/// A change: only the fields present are changed; null resets a text to the
/// built-in one or turns a delay off.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[serde(default)]
    pub modmail: Option<ModmailPatch>,
    #[serde(default)]
    pub panel: Option<PanelPatch>,
}

/// The ticket menu's settings (what `/ticket setup` chooses). Setting up a
/// panel for the first time needs `menu_channel` and `category`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PanelPatch {
    /// A text channel of this guild: the menu is (re)posted there.
    pub menu_channel: Option<String>,
    /// A category of this guild: ticket channels open there.
    pub category: Option<String>,
    /// A text channel for the log; null for none.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub log_channel: Option<Option<String>>,
    /// The role pinged in new tickets; null for none (Manage Server answers).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub support_role: Option<Option<String>>,
    /// 1 to 10.
    pub max_open_per_member: Option<i32>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModmailPatch {
    /// The category tickets open in (what `/modmail setup` chooses; setting
    /// modmail up for the first time needs it and `staff_role`).
    #[serde(default)]
    pub inbox_category: Option<String>,
    /// The role of the guild's staff (not @everyone).
    #[serde(default)]
    pub staff_role: Option<String>,
    /// A text channel for the modmail log; null for none.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub log_channel: Option<Option<String>>,
    /// 1 to 5 characters without spaces, not starting with `/`.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Up to 1,800 characters; null for the built-in text.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub welcome_message: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub close_message: Option<Option<String>>,
    /// 1 to 64 characters.
    #[serde(default)]
    pub anonymous_label: Option<String>,
    #[serde(default)]
    pub embedded_message: Option<bool>,
    #[serde(default)]
    pub block_quote: Option<bool>,
    #[serde(default)]
    pub show_log_on_edit: Option<bool>,
    #[serde(default)]
    pub show_log_on_delete: Option<bool>,
    /// `delete` or `archive` (which needs an `archive_category`).
    #[serde(default)]
    pub close_action: Option<String>,
    /// A category of this guild; null for none.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub archive_category: Option<Option<String>>,
    /// Seconds, a whole number of minutes; null to close at once.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u64>)]
    pub time_to_close_thread: Option<Option<u64>>,
    #[serde(default)]
    pub close_on_leave: Option<bool>,
    #[serde(default)]
    pub create_ticket_by_create_channel: Option<bool>,
    #[serde(default)]
    pub category_prompt: Option<bool>,
    /// Seconds, 10 to 86,400.
    #[serde(default)]
    pub category_prompt_timeout: Option<u64>,
}

/// A field that is present, even as null (`Some(None)`), versus absent (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A (field, problem) pair.
type Problem = (String, String);

impl ModmailPatch {
    /// The changes, typed as the core takes them (never as chat text), or
    /// the fields whose values cannot be changes at all.
    fn changes(&self) -> Result<Vec<SettingChange>, Vec<Problem>> {
        let mut changes = Vec::new();
        let mut problems = Vec::new();
        if let Some(v) = &self.prefix {
            changes.push(SettingChange::Prefix(v.clone()));
        }
        if let Some(v) = &self.welcome_message {
            changes.push(SettingChange::WelcomeMessage(v.clone()));
        }
        if let Some(v) = &self.close_message {
            changes.push(SettingChange::CloseMessage(v.clone()));
        }
        if let Some(v) = &self.anonymous_label {
            changes.push(SettingChange::AnonymousLabel(v.clone()));
        }
        for (flag, value) in [
            (Flag::EmbeddedMessage, self.embedded_message),
            (Flag::BlockQuote, self.block_quote),
            (Flag::ShowLogOnEdit, self.show_log_on_edit),
            (Flag::ShowLogOnDelete, self.show_log_on_delete),
            (Flag::CloseOnLeave, self.close_on_leave),
            (Flag::CreateTicketByCreateChannel, self.create_ticket_by_create_channel),
            (Flag::CategoryPrompt, self.category_prompt),
        ] {
            if let Some(v) = value {
                changes.push(SettingChange::Flag(flag, v));
            }
        }
        if let Some(v) = &self.close_action {
            match CloseAction::parse(&v.trim().to_ascii_lowercase()) {
                Some(action) => changes.push(SettingChange::CloseAction(action)),
                None => problems.push(("close_action".to_owned(), "must be archive or delete".to_owned())),
            }
        }
        if let Some(v) = &self.archive_category {
            match v {
                Some(id) => match id.trim().parse::<ChannelId>() {
                    Ok(id) => changes.push(SettingChange::ArchiveCategory(Some(id))),
                    Err(e) => {
                        let why = if e == IdError::NotANumber { String::new() } else { format!(": {e}") };
                        problems.push((
                            "archive_category".to_owned(),
                            format!("must be a category id (digits) or null{why}"),
                        ))
                    }
                },
                None => changes.push(SettingChange::ArchiveCategory(None)),
            }
        }
        if let Some(v) = self.time_to_close_thread {
            match v {
                None => changes.push(SettingChange::TimeToClose(None)),
                Some(seconds) if seconds == 0 || seconds % 60 != 0 => problems.push((
                    "time_to_close_thread".to_owned(),
                    "must be a positive whole number of minutes, in seconds (e.g. 3600), or null".to_owned(),
                )),
                Some(seconds) => changes.push(SettingChange::TimeToClose(Some(Duration::from_secs(seconds)))),
            }
        }
        if let Some(v) = self.category_prompt_timeout {
            changes.push(SettingChange::CategoryPromptTimeout(Duration::from_secs(v)));
        }
        if problems.is_empty() {
            Ok(changes)
        } else {
            Err(problems)
        }
    }
}

async fn read(state: &ApiState, guild: GuildId) -> Result<Settings> {
    let (modmail, panel) =
        tokio::try_join!(db::settings::get(&state.db, guild), db::panel::settings(&state.db, guild))?;
    Ok(Settings { modmail: ModmailSettings::from(&modmail), panel: panel.map(PanelSettings::from) })
}

/// The guild's settings.
#[utoipa::path(get, path = "/v1/guilds/{guild_id}/settings", tag = "settings",
    operation_id = "get_settings",
    params(("guild_id" = String, Path, description = "The guild's id")),
    security(("session" = []), ("token" = ["settings:read"])),
    responses(
        (status = 200, description = "The guild's modmail and panel settings", body = Settings),
        GuildErrors,
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn get(State(state): State<ApiState>, access: Authorized<ReadSettings>) -> Result<JsonResponse<Settings>> {
    Ok(JsonResponse(read(&state, access.guild).await?))
}

/// Changes some settings, all or none; a 422 names every bad field.
#[utoipa::path(patch, path = "/v1/guilds/{guild_id}/settings", tag = "settings", request_body = SettingsPatch,
    operation_id = "update_settings",
    params(("guild_id" = String, Path, description = "The guild's id")),
    security(("session" = []), ("token" = ["settings:write"])),
    responses(
        (status = 200, description = "The settings after the change", body = Settings),
        GuildErrors, BodyErrors,
    ))]
#[tracing::instrument(skip_all, fields(guild = %access.guild))]
pub async fn patch(
    State(state): State<ApiState>,
    access: Authorized<WriteSettings>,
    Json(patch): Json<SettingsPatch>,
) -> Result<JsonResponse<Settings>> {
    let guild = access.guild;
    let actor = access.caller.as_actor();
    // Everything is checked before anything is written, so a refused change
    // writes nothing.
    let plan = plan_changes(&state, guild, &patch).await?;
    if let Some(setup) = &plan.modmail_setup {
        state.tickets.setup_modmail(guild, &actor, setup).await.map_err(|e| field_error(e, "modmail"))?;
    }
    if !plan.modmail_changes.is_empty() {
        state
            .tickets
            .change_modmail_settings(guild, access.caller.actor(), &plan.modmail_changes)
            .await
            .map_err(|e| field_error(e, "modmail"))?;
    }
    if let Some(setup) = &plan.panel_setup {
        state.tickets.setup_panel(guild, &actor, setup).await.map_err(|e| field_error(e, "panel"))?;
    }
    Ok(JsonResponse(read(&state, guild).await?))
}

/// What a valid patch will do.
struct Plan {
    modmail_setup: Option<ModmailSetup>,
    modmail_changes: Vec<SettingChange>,
    panel_setup: Option<PanelSetup>,
}

/// Checks every field of `patch` (ids, ranges, the settings' own checks, and
/// each channel's kind with Discord) and returns what to write, or a 422
/// naming every bad field.
async fn plan_changes(state: &ApiState, guild: GuildId, patch: &SettingsPatch) -> Result<Plan> {
    let mut problems: Vec<Problem> = Vec::new();
    let mut plan = Plan { modmail_setup: None, modmail_changes: Vec::new(), panel_setup: None };
    let mut channels: Vec<(String, ChannelId, ChannelKind)> = Vec::new();

    if let Some(modmail) = &patch.modmail {
        match modmail.changes() {
            Ok(changes) => {
                problems.extend(prefixed("modmail", dry_run(state, guild, modmail).await?));
                plan.modmail_changes = changes;
            }
            Err(bad) => {
                problems.extend(prefixed("modmail", bad));
                problems.extend(prefixed("modmail", dry_run(state, guild, modmail).await?));
            }
        }
        if let Some(Some(raw)) = &modmail.archive_category {
            if let Ok(archive) = raw.trim().parse::<ChannelId>() {
                channels.push(("modmail.archive_category".into(), archive, ChannelKind::Category));
            }
        }
        if modmail.inbox_category.is_some() || modmail.staff_role.is_some() || modmail.log_channel.is_some() {
            let current = db::settings::get(&state.db, guild).await?;
            let inbox = match &modmail.inbox_category {
                Some(raw) => id(&mut problems, "modmail.inbox_category", raw),
                None => current.inbox_category,
            };
            let staff = match &modmail.staff_role {
                Some(raw) => id(&mut problems, "modmail.staff_role", raw),
                None => current.staff_role,
            };
            let log = match &modmail.log_channel {
                Some(Some(raw)) => id(&mut problems, "modmail.log_channel", raw),
                Some(None) => None,
                None => current.log_channel,
            };
            if staff.is_some_and(|role| role.get() == guild.get()) {
                problems.push(("modmail.staff_role".to_owned(), "cannot be @everyone".to_owned()));
            }
            match (inbox, staff) {
                (Some(inbox_category), Some(staff_role)) => {
                    channels.push(("modmail.inbox_category".into(), inbox_category, ChannelKind::Category));
                    if let Some(log) = log {
                        channels.push(("modmail.log_channel".into(), log, ChannelKind::Text));
                    }
                    plan.modmail_setup = Some(ModmailSetup { inbox_category, staff_role, log_channel: log });
                }
                _ => problems.push((
                    "modmail.inbox_category".to_owned(),
                    "setting modmail up needs both inbox_category and staff_role".to_owned(),
                )),
            }
        }
    }

    if let Some(panel) = &patch.panel {
        let current = db::panel::settings(&state.db, guild).await?;
        let menu = match &panel.menu_channel {
            Some(raw) => id(&mut problems, "panel.menu_channel", raw),
            None => current.as_ref().map(|p| p.menu_channel),
        };
        let category = match &panel.category {
            Some(raw) => id(&mut problems, "panel.category", raw),
            None => current.as_ref().map(|p| p.category),
        };
        let log = match &panel.log_channel {
            Some(Some(raw)) => id(&mut problems, "panel.log_channel", raw),
            Some(None) => None,
            None => current.as_ref().and_then(|p| p.log_channel),
        };
        let role = match &panel.support_role {
            Some(Some(raw)) => id(&mut problems, "panel.support_role", raw),
            Some(None) => None,
            None => current.as_ref().and_then(|p| p.support_role),
        };
        if role.is_some_and(|role| role.get() == guild.get()) {
            problems.push(("panel.support_role".to_owned(), "cannot be @everyone".to_owned()));
        }
        if panel.max_open_per_member.is_some_and(|n| !(1..=10).contains(&n)) {
            problems.push(("panel.max_open_per_member".to_owned(), "must be 1 to 10".to_owned()));
        }
        match (menu, category) {
            (Some(menu_channel), Some(category)) => {
                channels.push(("panel.menu_channel".into(), menu_channel, ChannelKind::Text));
                channels.push(("panel.category".into(), category, ChannelKind::Category));
                if let Some(log) = log {
                    channels.push(("panel.log_channel".into(), log, ChannelKind::Text));
                }
                plan.panel_setup = Some(PanelSetup {
                    menu_channel,
                    category,
                    log_channel: log,
                    support_role: role,
                    max_open_per_member: panel.max_open_per_member,
                });
            }
            _ => problems.push((
                "panel.menu_channel".to_owned(),
                "setting the ticket menu up needs both menu_channel and category".to_owned(),
            )),
        }
    }

    for (field, channel, kind) in channels {
        match state.tickets.expect_channel(guild, channel, kind, Field::Option(field.clone())).await {
            Ok(()) => {}
            Err(TicketError::Refused(Refusal::Invalid { field: checked, problem })) => {
                problems.push((field, problem_text(&checked, &problem)))
            }
            Err(other) => return Err(field_error(other, "modmail")),
        }
    }
    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(Error::unprocessable(problems))
    }
}

/// One id field of a patch, or its problem recorded (the caller goes on, so
/// the 422 names every bad field).
fn id<T: FromStr<Err = IdError>>(problems: &mut Vec<Problem>, field: &str, raw: &str) -> Option<T> {
    match raw.trim().parse::<T>() {
        Ok(id) => Some(id),
        Err(e) => {
            problems.push((field.to_owned(), id_problem("an id", e)));
            None
        }
    }
}

/// A core refusal of one group of settings, as an API error.
fn field_error(error: TicketError, group: &'static str) -> Error {
    api_error_in(error, Some(group))
}

/// The problems the core would find in the fields that did convert.
async fn dry_run(state: &ApiState, guild: GuildId, patch: &ModmailPatch) -> Result<Vec<Problem>> {
    let mut settings = db::settings::get(&state.db, guild).await?;
    // Without the fields that may not convert (those `changes` reports).
    let convertible =
        ModmailPatch { time_to_close_thread: None, archive_category: None, close_action: None, ..patch.clone() };
    let changes = convertible.changes().unwrap_or_default();
    Ok(changes
        .iter()
        .filter_map(|change| {
            let problem = change.apply(&mut settings).err()?;
            let name = change.name().to_owned();
            Some((name.clone(), problem_text(&Field::Setting(name), &problem)))
        })
        .collect())
}

/// Field names as the body has them (`modmail.prefix`).
fn prefixed(group: &str, problems: Vec<(String, String)>) -> Vec<(String, String)> {
    problems.into_iter().map(|(name, problem)| (format!("{group}.{name}"), problem)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::GuildId;

    #[test]
    fn the_api_shows_each_setting_as_the_audit_log_records_it() {
        let settings = GuildSettings::defaults(GuildId(1));
        let shown = serde_json::to_value(ModmailSettings::from(&settings)).unwrap();
        for (name, value) in crate::tickets::modmail::settings::as_json(&settings) {
            assert_eq!(shown[&name], value, "{name}");
        }
    }

    #[test]
    fn a_patch_becomes_the_cores_typed_changes_and_null_resets() {
        let patch: ModmailPatch = serde_json::from_value(serde_json::json!({
            "prefix": "?", "welcome_message": null, "block_quote": true,
            "time_to_close_thread": 7200, "archive_category": null, "category_prompt_timeout": 90
        }))
        .unwrap();
        let changes = patch.changes().unwrap();
        let expected = vec![
            SettingChange::Prefix("?".into()),
            SettingChange::WelcomeMessage(None),
            SettingChange::Flag(Flag::BlockQuote, true),
            SettingChange::ArchiveCategory(None),
            SettingChange::TimeToClose(Some(Duration::from_secs(7200))),
            SettingChange::CategoryPromptTimeout(Duration::from_secs(90)),
        ];
        assert_eq!(changes, expected);
        let absent: ModmailPatch = serde_json::from_value(serde_json::json!({})).unwrap();
        assert!(absent.changes().unwrap().is_empty());
        let bad: ModmailPatch = serde_json::from_value(serde_json::json!({"time_to_close_thread": 61})).unwrap();
        assert_eq!(bad.changes().unwrap_err()[0].0, "time_to_close_thread");
        assert!(serde_json::from_value::<ModmailPatch>(serde_json::json!({"colour": "red"})).is_err());
    }
}
