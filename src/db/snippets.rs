//! Saved answers (`snippets`), per guild, by name.

use sqlx::PgPool;

use crate::tickets::ids::{GuildId, UserId};

#[derive(Debug, Clone)]
pub struct Snippet {
    pub name: String,
    pub content: String,
}

/// `false` if the guild already has a snippet of that name.
#[tracing::instrument(skip(db, content))]
pub async fn create(db: &PgPool, guild: GuildId, name: &str, content: &str, by: UserId) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"INSERT INTO snippets (guild_id, name, content, created_by, updated_by) VALUES ($1, $2, $3, $4, $4)
           ON CONFLICT (guild_id, name) DO NOTHING"#,
        guild.db(),
        name,
        content,
        by.db()
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// `false` if there is no snippet of that name.
#[tracing::instrument(skip(db, content))]
pub async fn update(db: &PgPool, guild: GuildId, name: &str, content: &str, by: UserId) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE snippets SET content = $3, updated_by = $4, updated_at = now() WHERE guild_id = $1 AND name = $2",
        guild.db(),
        name,
        content,
        by.db()
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[tracing::instrument(skip(db))]
pub async fn delete(db: &PgPool, guild: GuildId, name: &str) -> sqlx::Result<bool> {
    let done =
        sqlx::query!("DELETE FROM snippets WHERE guild_id = $1 AND name = $2", guild.db(), name).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

#[tracing::instrument(skip(db))]
pub async fn get(db: &PgPool, guild: GuildId, name: &str) -> sqlx::Result<Option<Snippet>> {
    sqlx::query_as!(Snippet, "SELECT name, content FROM snippets WHERE guild_id = $1 AND name = $2", guild.db(), name)
        .fetch_optional(db)
        .await
}

#[tracing::instrument(skip(db))]
pub async fn list(db: &PgPool, guild: GuildId) -> sqlx::Result<Vec<Snippet>> {
    sqlx::query_as!(Snippet, "SELECT name, content FROM snippets WHERE guild_id = $1 ORDER BY name", guild.db())
        .fetch_all(db)
        .await
}
