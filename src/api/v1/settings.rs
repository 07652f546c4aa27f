//! `GET` and `PATCH /v1/guilds/{guild_id}/settings`: the guild's modmail and
//! panel settings. A change goes through the ticket core's one action for a
//! guild's configuration (`change_guild_settings`), which checks every field
//! (with Discord for channels), stores all or none in one transaction with
//! its audit entries, and returns what it stored. The modmail settings'
//! fields and their schema come from the core's settings table, so the API
//! offers exactly the settings `/modmail settings` does. The bot reads
//! settings from PostgreSQL for each batch of work, so every cluster acts on
//! a change at once.

use std::str::FromStr;

use axum::extract::State;
use axum::Json as JsonResponse;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

use super::refusals::api_error_in;
use crate::api::auth::access::{Authorized, ReadSettings, WriteSettings};
use crate::api::error_body::{BodyErrors, GuildErrors};
use crate::api::extract::Json;
use crate::api::{ApiState, Result};
use crate::db;
use crate::domain::ids::{GuildId, IdError};
use crate::domain::settings::GuildSettings;
use crate::tickets::error::{Field, Problem};
use crate::tickets::guild_settings::{GuildConfiguration, GuildSettingsChange, ModmailSetupChange, PanelSetupChange};
use crate::tickets::modmail::setting_specs::{as_json, SettingChange, SettingKind, SettingSpec, SETTINGS};

#[derive(Debug, Serialize, ToSchema)]
pub struct Settings {
    pub modmail: ModmailSettings,
    /// The ticket menu, once `/ticket setup` has run; else null.
    pub panel: Option<PanelSettings>,
}

/// Modmail settings, by the reference guide's names: the setup's fields and
/// every setting of the core's table (its schema is built from that table).
#[derive(Debug, Serialize)]
pub struct ModmailSettings {
    pub enabled: bool,
    pub inbox_category: Option<String>,
    pub staff_role: Option<String>,
    pub log_channel: Option<String>,
    #[serde(flatten)]
    pub settings: Map<String, Value>,
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
            settings: as_json(s),
        }
    }
}

impl From<crate::domain::panel::PanelSettings> for PanelSettings {
    fn from(p: crate::domain::panel::PanelSettings) -> Self {
        PanelSettings {
            menu_channel: p.menu_channel.to_string(),
            category: p.category.to_string(),
            log_channel: p.log_channel.map(|c| c.to_string()),
            support_role: p.support_role.map(|r| r.to_string()),
            max_open_per_member: p.max_open_per_member,
        }
    }
}

impl From<GuildConfiguration> for Settings {
    fn from(c: GuildConfiguration) -> Self {
        Settings { modmail: ModmailSettings::from(&c.modmail), panel: c.panel.map(PanelSettings::from) }
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

/// The modmail setup's fields and any settings of the core's table, by name
/// (a name that is not a setting is refused, naming it).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ModmailPatch {
    #[serde(default)]
    pub inbox_category: Option<String>,
    #[serde(default)]
    pub staff_role: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub log_channel: Option<Option<String>>,
    #[serde(flatten)]
    pub settings: Map<String, Value>,
}

/// A field that is present, even as null (`Some(None)`), versus absent (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl SettingsPatch {
    /// The change as the core takes it: ids and settings typed (never as
    /// chat text); values that cannot be read go along as problems, so the
    /// core's one answer names them with the rest.
    fn change(&self) -> GuildSettingsChange {
        let mut change = GuildSettingsChange::default();
        let mut ids = Ids { group: "modmail", problems: Vec::new() };
        if let Some(modmail) = &self.modmail {
            for (name, value) in &modmail.settings {
                match SettingChange::from_json(name, value) {
                    Ok(setting) => change.modmail.push(setting),
                    Err(problem) => {
                        let field = Field::In("modmail", Box::new(Field::Setting(name.clone())));
                        ids.problems.push((field, problem));
                    }
                }
            }
            if modmail.inbox_category.is_some() || modmail.staff_role.is_some() || modmail.log_channel.is_some() {
                change.modmail_setup = Some(ModmailSetupChange {
                    inbox_category: ids.read("inbox-category", modmail.inbox_category.as_deref()),
                    staff_role: ids.read("staff-role", modmail.staff_role.as_deref()),
                    log_channel: ids.read_nullable("log-channel", &modmail.log_channel),
                });
            }
        }
        if let Some(panel) = &self.panel {
            ids.group = "panel";
            change.panel_setup = Some(PanelSetupChange {
                menu_channel: ids.read("menu-channel", panel.menu_channel.as_deref()),
                category: ids.read("category", panel.category.as_deref()),
                log_channel: ids.read_nullable("log-channel", &panel.log_channel),
                support_role: ids.read_nullable("support-role", &panel.support_role),
                max_open_per_member: panel.max_open_per_member,
            });
        }
        change.unreadable = ids.problems;
        change
    }
}

/// Reads the id fields of one part of a patch, keeping each problem (the
/// reading goes on, so the 422 names every bad field).
struct Ids {
    group: &'static str,
    problems: Vec<(Field, Problem)>,
}

impl Ids {
    fn read<T: FromStr<Err = IdError>>(&mut self, field: &str, raw: Option<&str>) -> Option<T> {
        let raw = raw?;
        match raw.trim().parse::<T>() {
            Ok(id) => Some(id),
            Err(error) => {
                let field = Field::In(self.group, Box::new(Field::Option(field.to_owned())));
                self.problems.push((field, Problem::NotAnId { given: raw.to_owned(), error }));
                None
            }
        }
    }

    /// A field where null means none: `Some(None)`.
    fn read_nullable<T: FromStr<Err = IdError>>(
        &mut self,
        field: &str,
        raw: &Option<Option<String>>,
    ) -> Option<Option<T>> {
        match raw {
            None => None,
            Some(None) => Some(None),
            // An unreadable id is left out of the change (its problem refuses it).
            Some(Some(raw)) => self.read(field, Some(raw)).map(Some),
        }
    }
}

async fn read(state: &ApiState, guild: GuildId) -> Result<Settings> {
    let (modmail, panel) =
        tokio::try_join!(db::settings::get(&state.db, guild), db::panel::settings(&state.db, guild))?;
    Ok(Settings::from(GuildConfiguration { modmail, panel, created_types: 0 }))
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
    let actor = access.caller.as_actor();
    let stored = state.tickets.change_guild_settings(access.guild, &actor, &patch.change()).await;
    Ok(JsonResponse(Settings::from(stored.map_err(|e| api_error_in(e, None))?)))
}

/// A setting's schema, from its kind in the core's table.
fn setting_schema(spec: &SettingSpec) -> ObjectBuilder {
    let nullable = |kind: Type| utoipa::openapi::schema::SchemaType::from_iter([kind, Type::Null]);
    let about = spec.description;
    match spec.kind {
        SettingKind::Text { max, resets: false } => ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(max))
            .description(Some(format!("{about}: 1 to {max} characters."))),
        SettingKind::Text { max, resets: true } => ObjectBuilder::new()
            .schema_type(nullable(Type::String))
            .max_length(Some(max))
            .description(Some(format!("{about}: up to {max} characters; null for the built-in text."))),
        SettingKind::Flag => ObjectBuilder::new().schema_type(Type::Boolean).description(Some(format!("{about}."))),
        SettingKind::Choice(words) => ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(words.iter().copied()))
            .description(Some(format!("{about}."))),
        SettingKind::Category => ObjectBuilder::new()
            .schema_type(nullable(Type::String))
            .description(Some(format!("{about}: a category id of this guild; null for none."))),
        SettingKind::Delay => ObjectBuilder::new()
            .schema_type(nullable(Type::Integer))
            .minimum(Some(60))
            .description(Some(format!("{about}: seconds, a whole number of minutes; null for at once."))),
        SettingKind::Seconds { min, max } => ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(min as f64))
            .maximum(Some(max as f64))
            .description(Some(format!("{about}: seconds."))),
    }
}

/// An object of the setup's id fields followed by every setting.
fn modmail_schema(setup: &[(&str, bool, &str)], description: &str) -> RefOr<Schema> {
    let mut object = ObjectBuilder::new().schema_type(Type::Object).description(Some(description));
    for (name, nullable, about) in setup {
        let kind = if *nullable {
            utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null])
        } else {
            Type::String.into()
        };
        object = object.property(*name, ObjectBuilder::new().schema_type(kind).description(Some(*about)));
    }
    for spec in &SETTINGS {
        object = object.property(spec.name, setting_schema(spec));
    }
    object.into()
}

impl utoipa::PartialSchema for ModmailSettings {
    fn schema() -> RefOr<Schema> {
        let mut schema = modmail_schema(
            &[
                ("inbox_category", true, "The category tickets open in."),
                ("staff_role", true, "The role of the guild's staff."),
                ("log_channel", true, "The modmail log's channel; null for none."),
            ],
            "Modmail settings, by the reference guide's names.",
        );
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            let enabled = ObjectBuilder::new().schema_type(Type::Boolean).description(Some(
                "Whether modmail is set up (`/modmail setup`, or `inbox_category` and `staff_role` here).",
            ));
            object.properties.insert("enabled".to_owned(), enabled.into());
            object.required = object.properties.keys().cloned().collect();
        }
        schema
    }
}

impl ToSchema for ModmailSettings {}

impl utoipa::PartialSchema for ModmailPatch {
    fn schema() -> RefOr<Schema> {
        let mut schema = modmail_schema(
            &[
                ("inbox_category", false, "The category tickets open in (what `/modmail setup` chooses; setting modmail up the first time needs it and `staff_role`)."),
                ("staff_role", false, "The role of the guild's staff (not @everyone)."),
                ("log_channel", true, "A text channel for the modmail log; null for none."),
            ],
            "Modmail's setup and settings to change: only the fields present change.",
        );
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            // A name that is not a setting is refused (422 naming it).
            object.additional_properties =
                Some(Box::new(utoipa::openapi::schema::AdditionalProperties::FreeForm(false)));
        }
        schema
    }
}

impl ToSchema for ModmailPatch {}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::tickets::modmail::setting_specs::Flag;

    fn change(patch: Value) -> GuildSettingsChange {
        serde_json::from_value::<SettingsPatch>(patch).unwrap().change()
    }

    #[test]
    fn the_schemas_offer_every_setting_of_the_cores_table_with_its_type() {
        for schema in
            [<ModmailSettings as utoipa::PartialSchema>::schema(), <ModmailPatch as utoipa::PartialSchema>::schema()]
        {
            let schema = serde_json::to_value(schema).unwrap();
            for spec in &SETTINGS {
                let property = &schema["properties"][spec.name];
                let expected = match spec.kind {
                    SettingKind::Flag => "boolean",
                    SettingKind::Seconds { .. } => "integer",
                    SettingKind::Text { resets: false, .. } | SettingKind::Choice(_) => "string",
                    _ => "",
                };
                assert!(property.is_object(), "{} missing: {schema}", spec.name);
                if !expected.is_empty() {
                    assert_eq!(property["type"], expected, "{}", spec.name);
                }
            }
        }
        let shown = serde_json::to_value(ModmailSettings::from(&GuildSettings::defaults(GuildId(1)))).unwrap();
        for spec in &SETTINGS {
            assert!(shown.get(spec.name).is_some(), "{} not shown", spec.name);
        }
    }

    #[test]
    fn a_patch_becomes_the_cores_typed_changes_and_null_resets() {
        let mut changes = change(serde_json::json!({"modmail": {
            "prefix": "?", "welcome_message": null, "block_quote": true,
            "time_to_close_thread": 7200, "archive_category": null, "category_prompt_timeout": 90
        }}))
        .modmail;
        changes.sort_by_key(|c| c.name());
        let mut expected = vec![
            SettingChange::Prefix("?".into()),
            SettingChange::WelcomeMessage(None),
            SettingChange::Flag(Flag::BlockQuote, true),
            SettingChange::ArchiveCategory(None),
            SettingChange::TimeToClose(Some(Duration::from_secs(7200))),
            SettingChange::CategoryPromptTimeout(Duration::from_secs(90)),
        ];
        expected.sort_by_key(|c| c.name());
        assert_eq!(changes, expected);
        assert_eq!(change(serde_json::json!({})), GuildSettingsChange::default());
    }

    #[test]
    fn values_that_cannot_be_read_go_to_the_core_as_named_problems() {
        let read = change(serde_json::json!({
            "modmail": {"time_to_close_thread": 61, "colour": "red", "embedded_message": "yes", "staff_role": "x"},
            "panel": {"menu_channel": "0"}
        }));
        let mut names: Vec<String> = read.unreadable.iter().map(|(field, _)| field.api_name()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "modmail.colour",
                "modmail.embedded_message",
                "modmail.staff_role",
                "modmail.time_to_close_thread",
                "panel.menu_channel"
            ]
        );
        assert!(read.modmail.is_empty());
        assert!(serde_json::from_value::<SettingsPatch>(serde_json::json!({"colour": "red"})).is_err());
    }
}
