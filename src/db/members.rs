//! The membership index: which users are in which guilds. Kept by the cluster
//! that owns each guild, read by whichever process handles a user's DM.
//!
//! Only guilds with modmail on are indexed (routing DMs and the modmail staff
//! commands are its only readers): every write below stores rows only while
//! the guild's `modmail_enabled` holds, in the same statement, so an event
//! racing modmail being turned off stores nothing (or, at worst, rows the
//! prune job removes). `db::member_index` keeps the fill's bookkeeping.

use sqlx::{PgConnection, PgExecutor};

use crate::domain::ids::{GuildId, UserId};

#[tracing::instrument(skip(db))]
pub async fn add(db: impl PgExecutor<'_>, guild: GuildId, user: UserId) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO guild_members (user_id, guild_id)
         SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM guild_settings WHERE guild_id = $2 AND modmail_enabled)
         ON CONFLICT (user_id, guild_id) DO UPDATE SET seen_at = now()",
        user.db(),
        guild.db()
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Adds many members of one guild in one statement (GUILD_CREATE, member chunks).
#[tracing::instrument(skip(db, users), fields(count = users.len()))]
pub async fn add_many(db: impl PgExecutor<'_>, guild: GuildId, users: &[UserId]) -> sqlx::Result<()> {
    if users.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = users.iter().map(|u| u.db()).collect();
    sqlx::query!(
        r#"INSERT INTO guild_members (user_id, guild_id)
           SELECT u, $2 FROM UNNEST($1::BIGINT[]) AS u
           WHERE EXISTS (SELECT 1 FROM guild_settings WHERE guild_id = $2 AND modmail_enabled)
           ON CONFLICT (user_id, guild_id) DO UPDATE SET seen_at = now()"#,
        &ids,
        guild.db()
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The guild's complete member list arrived (GUILD_CREATE of a small
/// guild): it replaces the index, so members who left while no session was
/// listening (their MEMBER_REMOVE was never delivered) lose their place.
/// Returns who was removed.
#[tracing::instrument(skip(tx, users), fields(count = users.len()))]
pub async fn replace_all(tx: &mut PgConnection, guild: GuildId, users: &[UserId]) -> sqlx::Result<Vec<UserId>> {
    let ids: Vec<i64> = users.iter().map(|u| u.db()).collect();
    let removed = sqlx::query_scalar!(
        "DELETE FROM guild_members WHERE guild_id = $1 AND user_id <> ALL($2::BIGINT[]) RETURNING user_id",
        guild.db(),
        &ids
    )
    .fetch_all(&mut *tx)
    .await?;
    add_many(&mut *tx, guild, users).await?;
    // A chunked sync still running for this guild is superseded.
    sqlx::query!("DELETE FROM guild_member_syncs WHERE guild_id = $1", guild.db()).execute(&mut *tx).await?;
    super::member_index::mark_filled(&mut *tx, guild).await?;
    Ok(removed.into_iter().map(UserId::from_db).collect())
}

/// A large guild's member list is being requested in chunks under `nonce`:
/// rows not confirmed since now are stale once every chunk has arrived.
#[tracing::instrument(skip(db))]
pub async fn start_sync(db: impl PgExecutor<'_>, guild: GuildId, nonce: &str) -> sqlx::Result<()> {
    sqlx::query!(
        r#"INSERT INTO guild_member_syncs (guild_id, nonce, started_at) VALUES ($1, $2, now())
           ON CONFLICT (guild_id) DO UPDATE SET nonce = EXCLUDED.nonce, started_at = now(), chunks_seen = 0"#,
        guild.db(),
        nonce
    )
    .execute(db)
    .await?;
    Ok(())
}

/// One chunk of the sync `nonce` arrived and its members are stored: counts
/// it and, with the last of `chunk_count`, removes every member the sync did
/// not confirm. Chunks are handled concurrently and in any order; the count
/// (under the sync row's lock) decides which one is last. Returns who was
/// removed (nobody until the last chunk). In the caller's transaction: a
/// chunk is counted only with its members stored.
#[tracing::instrument(skip(tx, users), fields(count = users.len()))]
pub async fn sync_chunk(
    tx: &mut PgConnection,
    guild: GuildId,
    nonce: &str,
    chunk_count: u32,
    users: &[UserId],
) -> sqlx::Result<Vec<UserId>> {
    add_many(&mut *tx, guild, users).await?;
    let sync = sqlx::query!(
        r#"UPDATE guild_member_syncs SET chunks_seen = chunks_seen + 1
           WHERE guild_id = $1 AND nonce = $2 RETURNING chunks_seen, started_at"#,
        guild.db(),
        nonce
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(sync) = sync else {
        // Not the current sync (superseded by a newer GUILD_CREATE).
        return Ok(Vec::new());
    };
    if i64::from(sync.chunks_seen) < i64::from(chunk_count) {
        return Ok(Vec::new());
    }
    let removed = sqlx::query_scalar!(
        "DELETE FROM guild_members WHERE guild_id = $1 AND seen_at < $2 RETURNING user_id",
        guild.db(),
        sync.started_at
    )
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM guild_member_syncs WHERE guild_id = $1", guild.db()).execute(&mut *tx).await?;
    super::member_index::mark_filled(&mut *tx, guild).await?;
    Ok(removed.into_iter().map(UserId::from_db).collect())
}

#[tracing::instrument(skip(db))]
pub async fn remove(db: impl PgExecutor<'_>, guild: GuildId, user: UserId) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM guild_members WHERE user_id = $1 AND guild_id = $2", user.db(), guild.db())
        .execute(db)
        .await?;
    Ok(())
}

/// Forgets a guild's members (the bot left it, or modmail was turned off)
/// and any sync of them under way; a later fill starts from nothing.
#[tracing::instrument(skip(db))]
pub async fn remove_guild(db: &mut PgConnection, guild: GuildId) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM guild_members WHERE guild_id = $1", guild.db()).execute(&mut *db).await?;
    sqlx::query!("DELETE FROM guild_member_syncs WHERE guild_id = $1", guild.db()).execute(&mut *db).await?;
    sqlx::query!(
        "UPDATE guild_settings SET members_requested_at = NULL, members_filled_at = NULL WHERE guild_id = $1",
        guild.db()
    )
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// A guild a DM could be routed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModmailGuild {
    pub guild: GuildId,
    pub name: String,
}

/// The guilds with modmail on, that still have the bot, where the user is a member.
#[tracing::instrument(skip(db))]
pub async fn modmail_guilds_of(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<Vec<ModmailGuild>> {
    let rows = sqlx::query!(
        r#"SELECT g.guild_id, g.name
           FROM guild_members m
           JOIN guild_settings s ON s.guild_id = m.guild_id AND s.modmail_enabled
           JOIN guilds g ON g.guild_id = m.guild_id AND g.left_at IS NULL
           WHERE m.user_id = $1
           ORDER BY g.name, g.guild_id"#,
        user.db()
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| ModmailGuild { guild: GuildId::from_db(r.guild_id), name: r.name }).collect())
}

/// Whether the user is in the guild, by the membership index.
#[tracing::instrument(skip(db))]
pub async fn is_member(db: impl PgExecutor<'_>, guild: GuildId, user: UserId) -> sqlx::Result<bool> {
    let found = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM guild_members WHERE guild_id = $1 AND user_id = $2) AS "found!""#,
        guild.db(),
        user.db()
    )
    .fetch_one(db)
    .await?;
    Ok(found)
}
