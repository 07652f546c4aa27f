//! Pending guild choices: a user in several modmail guilds picks one before
//! their ticket opens.

use sqlx::PgPool;

use crate::tickets::ids::{GuildId, MessageId, UserId};

#[derive(Debug, Clone)]
pub struct GuildChoice {
    pub prompt_message: Option<MessageId>,
    pub chosen: Option<GuildId>,
}

#[tracing::instrument(skip(db))]
pub async fn get(db: &PgPool, user: UserId) -> sqlx::Result<Option<GuildChoice>> {
    let row =
        sqlx::query!("SELECT prompt_message_id, chosen_guild_id FROM dm_guild_choices WHERE user_id = $1", user.db())
            .fetch_optional(db)
            .await?;
    Ok(row.map(|r| GuildChoice {
        prompt_message: r.prompt_message_id.map(MessageId::from_db),
        chosen: r.chosen_guild_id.map(GuildId::from_db),
    }))
}

/// Starts a choice; `false` if one is already pending, so only one prompt is sent.
#[tracing::instrument(skip(db))]
pub async fn start(db: &PgPool, user: UserId) -> sqlx::Result<bool> {
    let done =
        sqlx::query!("INSERT INTO dm_guild_choices (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING", user.db())
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

#[tracing::instrument(skip(db))]
pub async fn set_prompt(db: &PgPool, user: UserId, prompt: MessageId) -> sqlx::Result<()> {
    sqlx::query!("UPDATE dm_guild_choices SET prompt_message_id = $2 WHERE user_id = $1", user.db(), prompt.db())
        .execute(db)
        .await?;
    Ok(())
}

/// Records the user's pick; `false` if no choice was pending.
#[tracing::instrument(skip(db))]
pub async fn choose(db: &PgPool, user: UserId, guild: GuildId) -> sqlx::Result<bool> {
    let done =
        sqlx::query!("UPDATE dm_guild_choices SET chosen_guild_id = $2 WHERE user_id = $1", user.db(), guild.db())
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

#[tracing::instrument(skip(db))]
pub async fn clear(db: &PgPool, user: UserId) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM dm_guild_choices WHERE user_id = $1", user.db()).execute(db).await?;
    Ok(())
}
