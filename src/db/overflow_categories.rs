//! Overflow categories (`overflow_categories`): the categories Ticketeer made
//! because a ticket category was full (Discord allows 50 channels in one),
//! per guild and ticket kind, oldest first. Openings read and add them with
//! the guild's counter row locked (see `tickets::open`), so a burst makes
//! one; a close deletes the empty ones under the same lock.

use sqlx::PgExecutor;

use crate::domain::ids::{ChannelId, GuildId};
use crate::domain::ticket::TicketKind;

/// The guild's overflow categories for `kind`, oldest first.
#[tracing::instrument(skip(db))]
pub async fn list(db: impl PgExecutor<'_>, guild: GuildId, kind: TicketKind) -> sqlx::Result<Vec<ChannelId>> {
    let ids = sqlx::query_scalar!(
        "SELECT category_id FROM overflow_categories WHERE guild_id = $1 AND kind = $2 ORDER BY overflow_id",
        guild.db(),
        kind.as_str()
    )
    .fetch_all(db)
    .await?;
    Ok(ids.into_iter().map(ChannelId::from_db).collect())
}

/// Remembers a category made because the home category (and the earlier
/// overflow categories) were full.
#[tracing::instrument(skip(db))]
pub async fn add(db: impl PgExecutor<'_>, guild: GuildId, kind: TicketKind, category: ChannelId) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO overflow_categories (guild_id, kind, category_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        guild.db(),
        kind.as_str(),
        category.db()
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets overflow categories that were deleted because they were empty.
#[tracing::instrument(skip(db))]
pub async fn remove(
    db: impl PgExecutor<'_>,
    guild: GuildId,
    kind: TicketKind,
    categories: &[ChannelId],
) -> sqlx::Result<()> {
    let ids: Vec<i64> = categories.iter().map(|c| c.db()).collect();
    sqlx::query!(
        "DELETE FROM overflow_categories WHERE guild_id = $1 AND kind = $2 AND category_id = ANY($3)",
        guild.db(),
        kind.as_str(),
        &ids
    )
    .execute(db)
    .await?;
    Ok(())
}
