//! Per-guild settings.

use std::time::Duration;

use sqlx::{PgConnection, PgExecutor};

use crate::domain::ids::{ChannelId, GuildId, RoleId};
use crate::domain::settings::{CloseAction, GuildSettings};

/// The guild's settings, or the defaults if it has configured nothing.
#[tracing::instrument(skip(db))]
pub async fn get(db: impl PgExecutor<'_>, guild: GuildId) -> sqlx::Result<GuildSettings> {
    let row = sqlx::query_as!(
        SettingsRow,
        r#"SELECT guild_id, command_prefix, modmail_enabled, inbox_category_id, staff_role_id, log_channel_id,
                  welcome_message, close_message, anonymous_label, embedded_message, block_quote,
                  show_log_on_edit, show_log_on_delete, close_action, archive_category_id,
                  time_to_close_seconds, close_on_leave, create_ticket_by_create_channel,
                  category_prompt, category_prompt_timeout_seconds
           FROM guild_settings WHERE guild_id = $1"#,
        guild.db()
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map_or_else(|| GuildSettings::defaults(guild), GuildSettings::from))
}

/// Changes a guild's settings in the caller's transaction: `change` runs on
/// the current values under a row lock, so two admins changing different
/// settings at once both win. Returns the settings before and after (so the
/// caller records the change with it), or `change`'s refusal (nothing is
/// written then).
#[tracing::instrument(skip(tx, change))]
pub async fn update_in<E>(
    tx: &mut PgConnection,
    guild: GuildId,
    change: impl FnOnce(&mut GuildSettings) -> Result<(), E>,
) -> sqlx::Result<Result<(GuildSettings, GuildSettings), E>> {
    sqlx::query!("INSERT INTO guild_settings (guild_id) VALUES ($1) ON CONFLICT DO NOTHING", guild.db())
        .execute(&mut *tx)
        .await?;
    let row = sqlx::query_as!(
        SettingsRow,
        r#"SELECT guild_id, command_prefix, modmail_enabled, inbox_category_id, staff_role_id, log_channel_id,
                      welcome_message, close_message, anonymous_label, embedded_message, block_quote,
                      show_log_on_edit, show_log_on_delete, close_action, archive_category_id,
                      time_to_close_seconds, close_on_leave, create_ticket_by_create_channel,
                  category_prompt, category_prompt_timeout_seconds
               FROM guild_settings WHERE guild_id = $1 FOR UPDATE"#,
        guild.db()
    )
    .fetch_one(&mut *tx)
    .await?;
    let before = GuildSettings::from(row);
    let mut settings = before.clone();
    if let Err(refused) = change(&mut settings) {
        return Ok(Err(refused));
    }
    let s = &settings;
    sqlx::query!(
        r#"UPDATE guild_settings SET
               command_prefix = $2, welcome_message = $3, close_message = $4, anonymous_label = $5,
               embedded_message = $6, block_quote = $7, show_log_on_edit = $8, show_log_on_delete = $9,
               close_action = $10, archive_category_id = $11, time_to_close_seconds = $12,
               close_on_leave = $13, create_ticket_by_create_channel = $14, category_prompt = $15,
               category_prompt_timeout_seconds = $16, updated_at = now()
           WHERE guild_id = $1"#,
        guild.db(),
        s.command_prefix,
        s.welcome_message,
        s.close_message,
        s.anonymous_label,
        s.embedded_message,
        s.block_quote,
        s.show_log_on_edit,
        s.show_log_on_delete,
        s.close_action.as_str(),
        s.archive_category.map(ChannelId::db),
        s.time_to_close.map(|d| i32::try_from(d.as_secs()).unwrap_or(i32::MAX)),
        s.close_on_leave,
        s.create_ticket_by_create_channel,
        s.category_prompt,
        i32::try_from(s.category_prompt_timeout.as_secs()).unwrap_or(i32::MAX)
    )
    .execute(&mut *tx)
    .await?;
    Ok(Ok((before, settings)))
}

struct SettingsRow {
    guild_id: i64,
    command_prefix: String,
    modmail_enabled: bool,
    inbox_category_id: Option<i64>,
    staff_role_id: Option<i64>,
    log_channel_id: Option<i64>,
    welcome_message: Option<String>,
    close_message: Option<String>,
    anonymous_label: String,
    embedded_message: bool,
    block_quote: bool,
    show_log_on_edit: bool,
    show_log_on_delete: bool,
    close_action: String,
    archive_category_id: Option<i64>,
    time_to_close_seconds: Option<i32>,
    close_on_leave: bool,
    create_ticket_by_create_channel: bool,
    category_prompt: bool,
    category_prompt_timeout_seconds: i32,
}

impl From<SettingsRow> for GuildSettings {
    fn from(r: SettingsRow) -> Self {
        GuildSettings {
            guild: GuildId::from_db(r.guild_id),
            command_prefix: r.command_prefix,
            modmail_enabled: r.modmail_enabled,
            inbox_category: r.inbox_category_id.map(ChannelId::from_db),
            staff_role: r.staff_role_id.map(RoleId::from_db),
            log_channel: r.log_channel_id.map(ChannelId::from_db),
            welcome_message: r.welcome_message,
            close_message: r.close_message,
            anonymous_label: r.anonymous_label,
            embedded_message: r.embedded_message,
            block_quote: r.block_quote,
            show_log_on_edit: r.show_log_on_edit,
            show_log_on_delete: r.show_log_on_delete,
            // The CHECK constraint admits only the two values.
            close_action: CloseAction::parse(&r.close_action).unwrap_or(CloseAction::Delete),
            archive_category: r.archive_category_id.map(ChannelId::from_db),
            time_to_close: r.time_to_close_seconds.map(|s| Duration::from_secs(s.unsigned_abs().into())),
            close_on_leave: r.close_on_leave,
            create_ticket_by_create_channel: r.create_ticket_by_create_channel,
            category_prompt: r.category_prompt,
            category_prompt_timeout: Duration::from_secs(r.category_prompt_timeout_seconds.unsigned_abs().into()),
        }
    }
}

/// Stores what `/modmail setup` chose and turns modmail on. Running it again
/// updates the same row.
#[tracing::instrument(skip(db))]
pub async fn setup_modmail(
    db: impl PgExecutor<'_>,
    guild: GuildId,
    inbox_category: ChannelId,
    staff_role: RoleId,
    log_channel: Option<ChannelId>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"INSERT INTO guild_settings (guild_id, modmail_enabled, inbox_category_id, staff_role_id, log_channel_id)
           VALUES ($1, true, $2, $3, $4)
           ON CONFLICT (guild_id) DO UPDATE
           SET modmail_enabled = true, inbox_category_id = EXCLUDED.inbox_category_id,
               staff_role_id = EXCLUDED.staff_role_id, log_channel_id = EXCLUDED.log_channel_id,
               -- Turning modmail on (not running setup again) starts a fill
               -- of the membership index (`db::member_index`).
               members_requested_at = CASE WHEN guild_settings.modmail_enabled
                                           THEN guild_settings.members_requested_at END,
               members_filled_at = CASE WHEN guild_settings.modmail_enabled
                                        THEN guild_settings.members_filled_at END,
               updated_at = now()"#,
        guild.db(),
        inbox_category.db(),
        staff_role.db(),
        log_channel.map(ChannelId::db)
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Turns modmail off (settings are kept for when it is set up again) and
/// drops the guild's membership index. Returns whether it was on.
#[tracing::instrument(skip(tx))]
pub async fn disable_modmail(tx: &mut PgConnection, guild: GuildId) -> sqlx::Result<bool> {
    let was_on = sqlx::query!(
        "UPDATE guild_settings SET modmail_enabled = false, updated_at = now()
         WHERE guild_id = $1 AND modmail_enabled",
        guild.db()
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    super::members::remove_guild(tx, guild).await?;
    Ok(was_on)
}
