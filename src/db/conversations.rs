//! Which server a user's DMs go to while they talk with it (`dm_conversations`).
//! Set only by the user's own actions: a DM that opens a ticket, a pick from
//! the server menu, the "switch server" button. See `tickets::routing`.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::domain::ids::{GuildId, UserId};

/// The server the user last chose to talk to, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conversation {
    pub guild: GuildId,
    pub chosen_at: DateTime<Utc>,
}

#[tracing::instrument(skip(db))]
pub async fn get(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<Option<Conversation>> {
    let row = sqlx::query!("SELECT guild_id, chosen_at FROM dm_conversations WHERE user_id = $1", user.db())
        .fetch_optional(db)
        .await?;
    Ok(row.map(|r| Conversation { guild: GuildId::from_db(r.guild_id), chosen_at: r.chosen_at }))
}

/// The user's DMs go to `guild` from now on. Setting the same server again
/// keeps its time, so a replayed drain does not reorder anything.
#[tracing::instrument(skip(db))]
pub async fn set(db: impl PgExecutor<'_>, user: UserId, guild: GuildId) -> sqlx::Result<()> {
    sqlx::query!(
        r#"INSERT INTO dm_conversations (user_id, guild_id) VALUES ($1, $2)
           ON CONFLICT (user_id) DO UPDATE SET guild_id = EXCLUDED.guild_id, chosen_at = now()
           WHERE dm_conversations.guild_id <> EXCLUDED.guild_id"#,
        user.db(),
        guild.db()
    )
    .execute(db)
    .await?;
    Ok(())
}

/// An explicit pick (menu or button): always moves the time forward, so a
/// server picked after a staff-opened ticket wins over it.
#[tracing::instrument(skip(db))]
pub async fn choose(db: impl PgExecutor<'_>, user: UserId, guild: GuildId) -> sqlx::Result<()> {
    sqlx::query!(
        r#"INSERT INTO dm_conversations (user_id, guild_id) VALUES ($1, $2)
           ON CONFLICT (user_id) DO UPDATE SET guild_id = EXCLUDED.guild_id, chosen_at = now()"#,
        user.db(),
        guild.db()
    )
    .execute(db)
    .await?;
    Ok(())
}
