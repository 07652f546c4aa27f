//! The guilds the bot is in (or was in): kept from GUILD_CREATE / GUILD_DELETE.

use sqlx::PgExecutor;

use crate::domain::ids::GuildId;

/// The bot is in this guild (first join, re-join, or a reconnect's GUILD_CREATE).
#[tracing::instrument(skip(db))]
pub async fn joined(db: impl PgExecutor<'_>, guild: GuildId, name: &str) -> sqlx::Result<()> {
    sqlx::query!(
        r#"INSERT INTO guilds (guild_id, name) VALUES ($1, $2)
           ON CONFLICT (guild_id) DO UPDATE
           SET name = EXCLUDED.name, left_at = NULL, updated_at = now()"#,
        guild.db(),
        name
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The bot was removed from this guild. Its data stays (tickets are records).
#[tracing::instrument(skip(db))]
pub async fn left(db: impl PgExecutor<'_>, guild: GuildId) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE guilds SET left_at = now(), updated_at = now() WHERE guild_id = $1 AND left_at IS NULL",
        guild.db()
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The guild's name as last seen by the gateway.
#[tracing::instrument(skip(db))]
pub async fn name(db: impl PgExecutor<'_>, guild: GuildId) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT name FROM guilds WHERE guild_id = $1", guild.db()).fetch_optional(db).await
}

/// Which of `guilds` the bot is in now (the API's "is the bot there?").
#[tracing::instrument(skip(db, guilds), fields(count = guilds.len()))]
pub async fn present(db: impl PgExecutor<'_>, guilds: &[i64]) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!("SELECT guild_id FROM guilds WHERE guild_id = ANY($1) AND left_at IS NULL", guilds)
        .fetch_all(db)
        .await
}
