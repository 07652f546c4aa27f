//! Which guilds the membership index (`db::members`) covers, and where each
//! one's fill stands: guilds with modmail on are filled by their gateway
//! cluster (a full member list request), guilds without it are pruned.

use sqlx::{Acquire, PgExecutor, Postgres};

use crate::domain::ids::GuildId;

/// Whether `guild`'s members are indexed: modmail is on there.
#[tracing::instrument(skip(db))]
pub async fn wanted(db: impl PgExecutor<'_>, guild: GuildId) -> sqlx::Result<bool> {
    let on = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM guild_settings WHERE guild_id = $1 AND modmail_enabled) AS "on!""#,
        guild.db()
    )
    .fetch_one(db)
    .await?;
    Ok(on)
}

/// Claims up to `limit` guilds of these shards (of `total`) whose index must
/// be filled: modmail on, the bot present, not filled, and not requested in
/// the last `stale_after_secs` (a request whose answer never came — a crash,
/// a lost connection — is made again). Claiming marks them requested, so
/// two clusters running the same shard during a reshard do not both ask.
#[tracing::instrument(skip(db))]
pub async fn claim_unfilled(
    db: impl PgExecutor<'_>,
    shards: &[i64],
    total: i64,
    limit: i64,
    stale_after_secs: f64,
) -> sqlx::Result<Vec<GuildId>> {
    let claimed = sqlx::query_scalar!(
        r#"UPDATE guild_settings SET members_requested_at = now()
           WHERE guild_id IN (
               SELECT s.guild_id FROM guild_settings s
               JOIN guilds g ON g.guild_id = s.guild_id AND g.left_at IS NULL
               WHERE s.modmail_enabled AND s.members_filled_at IS NULL
                 AND (s.members_requested_at IS NULL
                      OR s.members_requested_at < now() - make_interval(secs => $4))
                 AND (s.guild_id >> 22) % $2 = ANY($1::BIGINT[])
               ORDER BY s.guild_id
               LIMIT $3
               FOR UPDATE OF s SKIP LOCKED)
           RETURNING guild_id"#,
        shards,
        total,
        limit,
        stale_after_secs
    )
    .fetch_all(db)
    .await?;
    Ok(claimed.into_iter().map(GuildId::from_db).collect())
}

/// The guild's whole member list is stored (its last chunk arrived, or a
/// GUILD_CREATE carried every member). Only while modmail is on.
#[tracing::instrument(skip(db))]
pub async fn mark_filled(db: impl PgExecutor<'_>, guild: GuildId) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE guild_settings SET members_filled_at = now() WHERE guild_id = $1 AND modmail_enabled",
        guild.db()
    )
    .execute(db)
    .await?;
    Ok(())
}

/// One step of pruning rows of guilds not indexed any more (modmail off, the
/// bot gone, or rows written by an older binary that indexed every guild).
/// Looks at the next `guilds` distinct guild ids in the index after `after`
/// (a loose index scan of `guild_members_by_guild`: one index probe per
/// guild, however many members each has) and deletes up to `rows` rows of
/// those not wanted. Returns where the next step starts (`None`: the end of
/// the index was reached) and how many rows were deleted.
///
/// Two statements, each its own transaction (a pool or a plain connection):
/// a step never holds locks across them.
#[tracing::instrument(skip(db))]
pub async fn prune_step<'c>(
    db: impl Acquire<'c, Database = Postgres>,
    after: i64,
    guilds: i64,
    rows: i64,
) -> sqlx::Result<(Option<i64>, u64)> {
    let mut conn = db.acquire().await?;
    let seen = sqlx::query_scalar!(
        r#"WITH RECURSIVE next (guild_id) AS (
               (SELECT guild_id FROM guild_members WHERE guild_id > $1 ORDER BY guild_id LIMIT 1)
               UNION ALL
               SELECT (SELECT m.guild_id FROM guild_members m WHERE m.guild_id > next.guild_id
                       ORDER BY m.guild_id LIMIT 1)
               FROM next WHERE next.guild_id IS NOT NULL
           )
           SELECT guild_id AS "guild_id!" FROM next WHERE guild_id IS NOT NULL LIMIT $2"#,
        after,
        guilds
    )
    .fetch_all(&mut *conn)
    .await?;
    let Some(&last) = seen.last() else {
        return Ok((None, 0));
    };
    let deleted = sqlx::query!(
        r#"DELETE FROM guild_members WHERE ctid IN (
               SELECT m.ctid FROM guild_members m
               WHERE m.guild_id = ANY($1::BIGINT[])
                 AND NOT EXISTS (
                     SELECT 1 FROM guild_settings s JOIN guilds g ON g.guild_id = s.guild_id
                     WHERE s.guild_id = m.guild_id AND s.modmail_enabled AND g.left_at IS NULL)
               LIMIT $2)"#,
        &seen,
        rows
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // A full batch may have left rows of these guilds: look at them again.
    let next = if deleted as i64 >= rows { after } else { last };
    Ok((Some(next), deleted))
}
