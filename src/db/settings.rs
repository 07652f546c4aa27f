//! Per-guild settings.

use sqlx::PgPool;

use crate::tickets::ids::{ChannelId, GuildId, RoleId};
use crate::tickets::model::GuildSettings;

/// The guild's settings, or the defaults if it has configured nothing.
#[tracing::instrument(skip(db))]
pub async fn get(db: &PgPool, guild: GuildId) -> sqlx::Result<GuildSettings> {
    let row = sqlx::query!(
        r#"SELECT command_prefix, modmail_enabled, inbox_category_id, staff_role_id,
                  log_channel_id, welcome_message, close_message
           FROM guild_settings WHERE guild_id = $1"#,
        guild.db()
    )
    .fetch_optional(db)
    .await?;
    Ok(match row {
        None => GuildSettings::defaults(guild),
        Some(r) => GuildSettings {
            guild,
            command_prefix: r.command_prefix,
            modmail_enabled: r.modmail_enabled,
            inbox_category: r.inbox_category_id.map(ChannelId::from_db),
            staff_role: r.staff_role_id.map(RoleId::from_db),
            log_channel: r.log_channel_id.map(ChannelId::from_db),
            welcome_message: r.welcome_message,
            close_message: r.close_message,
        },
    })
}

/// Stores what `/modmail setup` chose and turns modmail on. Running it again
/// updates the same row.
#[tracing::instrument(skip(db))]
pub async fn setup_modmail(
    db: &PgPool,
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
