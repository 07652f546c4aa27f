//! Saved answers (`snippets`), per guild, by name.

use sqlx::{PgConnection, PgExecutor};

use crate::domain::ids::{GuildId, UserId};
use crate::domain::snippet::Snippet;

/// `false` if the guild already has a snippet of that name. Runs in the
/// caller's transaction, which holds the guild's snippet lock until it ends.
#[tracing::instrument(skip(tx, content))]
pub async fn create(
    tx: &mut PgConnection,
    guild: GuildId,
    name: &str,
    content: &str,
    by: UserId,
    limit: usize,
) -> sqlx::Result<Created> {
    // One writer per guild, so the limit holds under concurrent creates.
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended('snippets:' || $1::TEXT, 0))", guild.db().to_string())
        .execute(&mut *tx)
        .await?;
    let count = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM snippets WHERE guild_id = $1"#, guild.db())
        .fetch_one(&mut *tx)
        .await?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= limit {
        return Ok(Created::Full);
    }
    let done = sqlx::query!(
        r#"INSERT INTO snippets (guild_id, name, content, created_by, updated_by) VALUES ($1, $2, $3, $4, $4)
           ON CONFLICT (guild_id, name) DO NOTHING"#,
        guild.db(),
        name,
        content,
        by.db()
    )
    .execute(&mut *tx)
    .await?;
    Ok(if done.rows_affected() == 1 { Created::Yes } else { Created::NameTaken })
}

/// What [`create`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    Yes,
    NameTaken,
    /// The guild has `limit` snippets.
    Full,
}

/// `false` if there is no snippet of that name.
#[tracing::instrument(skip(db, content))]
pub async fn update(
    db: impl PgExecutor<'_>,
    guild: GuildId,
    name: &str,
    content: &str,
    by: UserId,
) -> sqlx::Result<bool> {
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
pub async fn delete(db: impl PgExecutor<'_>, guild: GuildId, name: &str) -> sqlx::Result<bool> {
    let done =
        sqlx::query!("DELETE FROM snippets WHERE guild_id = $1 AND name = $2", guild.db(), name).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

#[tracing::instrument(skip(db))]
pub async fn get(db: impl PgExecutor<'_>, guild: GuildId, name: &str) -> sqlx::Result<Option<Snippet>> {
    sqlx::query_as!(Snippet, "SELECT name, content FROM snippets WHERE guild_id = $1 AND name = $2", guild.db(), name)
        .fetch_optional(db)
        .await
}

#[tracing::instrument(skip(db))]
pub async fn list(db: impl PgExecutor<'_>, guild: GuildId) -> sqlx::Result<Vec<Snippet>> {
    sqlx::query_as!(Snippet, "SELECT name, content FROM snippets WHERE guild_id = $1 ORDER BY name", guild.db())
        .fetch_all(db)
        .await
}
