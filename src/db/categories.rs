//! Modmail categories (`/category …`): named routes to Discord categories that
//! a user picks from when the guild's category prompt is on.

use sqlx::{PgConnection, PgExecutor};

use crate::domain::category::{CategoryFields, ModmailCategory};
use crate::domain::ids::{ChannelId, GuildId, UserId};

struct CategoryRow {
    category_id: i64,
    guild_id: i64,
    discord_category_id: i64,
    name: String,
    description: String,
    emoji: Option<String>,
}

impl From<CategoryRow> for ModmailCategory {
    fn from(r: CategoryRow) -> Self {
        ModmailCategory {
            id: r.category_id,
            guild: GuildId::from_db(r.guild_id),
            discord_category: ChannelId::from_db(r.discord_category_id),
            name: r.name,
            description: r.description,
            emoji: r.emoji,
        }
    }
}

/// What creating a category did.
#[derive(Debug)]
pub enum Created {
    Yes(ModmailCategory),
    /// The guild has a category of that name (in any case).
    NameTaken,
    /// The guild has `limit` categories already.
    Full,
}

/// Creates a category, unless the guild has `limit` already. The guild's
/// settings row is locked until the caller's transaction ends, so two
/// creations at once cannot both slip under the limit.
#[tracing::instrument(skip(tx, fields), fields(name = %fields.name))]
pub async fn create(
    tx: &mut PgConnection,
    guild: GuildId,
    fields: &CategoryFields,
    by: UserId,
    limit: usize,
) -> sqlx::Result<Created> {
    sqlx::query!("INSERT INTO guild_settings (guild_id) VALUES ($1) ON CONFLICT DO NOTHING", guild.db())
        .execute(&mut *tx)
        .await?;
    sqlx::query!("SELECT guild_id FROM guild_settings WHERE guild_id = $1 FOR UPDATE", guild.db())
        .fetch_one(&mut *tx)
        .await?;
    let count =
        sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM modmail_categories WHERE guild_id = $1"#, guild.db())
            .fetch_one(&mut *tx)
            .await?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= limit {
        return Ok(Created::Full);
    }
    let row = sqlx::query_as!(
        CategoryRow,
        r#"INSERT INTO modmail_categories (guild_id, discord_category_id, name, description, emoji, created_by)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (guild_id, lower(name)) DO NOTHING
           RETURNING category_id, guild_id, discord_category_id, name, description, emoji"#,
        guild.db(),
        fields.discord_category.db(),
        fields.name,
        fields.description,
        fields.emoji,
        by.db()
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map_or(Created::NameTaken, |r| Created::Yes(ModmailCategory::from(r))))
}

/// Replaces a category's fields; `None` if there is no category `id`.
/// A rename onto another category's name fails with a unique violation.
#[tracing::instrument(skip(db, fields))]
pub async fn update(
    db: impl PgExecutor<'_>,
    id: i64,
    fields: &CategoryFields,
) -> sqlx::Result<Option<ModmailCategory>> {
    let row = sqlx::query_as!(
        CategoryRow,
        r#"UPDATE modmail_categories
           SET discord_category_id = $2, name = $3, description = $4, emoji = $5, updated_at = now()
           WHERE category_id = $1
           RETURNING category_id, guild_id, discord_category_id, name, description, emoji"#,
        id,
        fields.discord_category.db(),
        fields.name,
        fields.description,
        fields.emoji
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(ModmailCategory::from))
}

/// Deletes a category; tickets in it and prompts that chose it keep going
/// (their reference becomes NULL: the inbox).
#[tracing::instrument(skip(db))]
pub async fn delete(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!("DELETE FROM modmail_categories WHERE category_id = $1", id).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

/// The guild's categories in the order they were created (the prompt's order).
#[tracing::instrument(skip(db))]
pub async fn list(db: impl PgExecutor<'_>, guild: GuildId) -> sqlx::Result<Vec<ModmailCategory>> {
    let rows = sqlx::query_as!(
        CategoryRow,
        r#"SELECT category_id, guild_id, discord_category_id, name, description, emoji
           FROM modmail_categories WHERE guild_id = $1 ORDER BY category_id"#,
        guild.db()
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(ModmailCategory::from).collect())
}

#[tracing::instrument(skip(db))]
pub async fn by_name(db: impl PgExecutor<'_>, guild: GuildId, name: &str) -> sqlx::Result<Option<ModmailCategory>> {
    let row = sqlx::query_as!(
        CategoryRow,
        r#"SELECT category_id, guild_id, discord_category_id, name, description, emoji
           FROM modmail_categories WHERE guild_id = $1 AND lower(name) = lower($2)"#,
        guild.db(),
        name
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(ModmailCategory::from))
}

#[tracing::instrument(skip(db))]
pub async fn by_id(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<ModmailCategory>> {
    let row = sqlx::query_as!(
        CategoryRow,
        r#"SELECT category_id, guild_id, discord_category_id, name, description, emoji
           FROM modmail_categories WHERE category_id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(ModmailCategory::from))
}

/// The modmail category a ticket is in, if any.
#[tracing::instrument(skip(db))]
pub async fn of_ticket(db: impl PgExecutor<'_>, ticket_id: i64) -> sqlx::Result<Option<ModmailCategory>> {
    let row = sqlx::query_as!(
        CategoryRow,
        r#"SELECT c.category_id, c.guild_id, c.discord_category_id, c.name, c.description, c.emoji
           FROM tickets t JOIN modmail_categories c ON c.category_id = t.modmail_category_id
           WHERE t.ticket_id = $1"#,
        ticket_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(ModmailCategory::from))
}

/// Records the modmail category a ticket is now in.
#[tracing::instrument(skip(db))]
pub async fn set_for_ticket(db: impl PgExecutor<'_>, ticket_id: i64, category: Option<i64>) -> sqlx::Result<()> {
    sqlx::query!("UPDATE tickets SET modmail_category_id = $2 WHERE ticket_id = $1", ticket_id, category)
        .execute(db)
        .await?;
    Ok(())
}
