//! Pending guild choices: a user in several modmail guilds picks one before
//! their ticket opens. An unanswered choice holds the user's DMs until its
//! deadline (`expires_at`); its `server_choice` timer then tells the user, and
//! their next DM asks again (see `tickets::routing`).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use crate::domain::ids::{ChannelId, GuildId, MessageId, UserId};

#[derive(Debug, Clone)]
pub struct GuildChoice {
    pub prompt_message: Option<MessageId>,
    pub chosen: Option<GuildId>,
    /// The deadline passed (by PostgreSQL's clock).
    pub expired: bool,
    /// The newest of the user's pending DMs received after the deadline: the
    /// user wrote again, so they are asked again. `None` while none has.
    pub written_since_expiry: Option<MessageId>,
}

#[tracing::instrument(skip(db))]
pub async fn get(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<Option<GuildChoice>> {
    let row = sqlx::query!(
        r#"SELECT c.prompt_message_id, c.chosen_guild_id, c.expires_at <= now() AS "expired!",
                  (SELECT max(d.message_id) FROM inbound_dms d
                   WHERE d.user_id = c.user_id AND d.state = 'pending' AND d.received_at > c.expires_at) AS since
           FROM dm_guild_choices c WHERE c.user_id = $1"#,
        user.db()
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| GuildChoice {
        prompt_message: r.prompt_message_id.map(MessageId::from_db),
        chosen: r.chosen_guild_id.map(GuildId::from_db),
        expired: r.expired,
        written_since_expiry: r.since.map(MessageId::from_db),
    }))
}

/// Starts a choice that holds the user's DMs until `expires_at`, and
/// schedules its timeout, in the caller's transaction. `None` if one is already
/// pending, so only one prompt is sent; else the timer, to index.
#[tracing::instrument(skip(tx))]
pub async fn start(
    tx: &mut PgConnection,
    user: UserId,
    dm_channel: ChannelId,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<Option<i64>> {
    let created = sqlx::query!(
        r#"INSERT INTO dm_guild_choices (user_id, dm_channel_id, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT (user_id) DO NOTHING"#,
        user.db(),
        dm_channel.db(),
        expires_at
    )
    .execute(&mut *tx)
    .await?;
    if created.rows_affected() == 0 {
        return Ok(None);
    }
    // The choice is between guilds, so its timer belongs to none (0).
    let timer = sqlx::query_scalar!(
        r#"INSERT INTO timers (kind, guild_id, payload, due_at)
           VALUES ('server_choice', 0, jsonb_build_object('user', $1::TEXT), $2) RETURNING timer_id"#,
        user.to_string(),
        expires_at
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!("UPDATE dm_guild_choices SET timer_id = $2 WHERE user_id = $1", user.db(), timer)
        .execute(&mut *tx)
        .await?;
    Ok(Some(timer))
}

#[tracing::instrument(skip(db))]
pub async fn set_prompt(db: impl PgExecutor<'_>, user: UserId, prompt: MessageId) -> sqlx::Result<()> {
    sqlx::query!("UPDATE dm_guild_choices SET prompt_message_id = $2 WHERE user_id = $1", user.db(), prompt.db())
        .execute(db)
        .await?;
    Ok(())
}

/// Records the user's pick (also a late one, from a menu that expired: it
/// is still their answer); `false` if no choice was pending. The timeout has
/// nothing left to do.
#[tracing::instrument(skip(tx))]
pub async fn choose(tx: &mut PgConnection, user: UserId, guild: GuildId) -> sqlx::Result<bool> {
    let timer = sqlx::query_scalar!(
        "UPDATE dm_guild_choices SET chosen_guild_id = $2 WHERE user_id = $1 RETURNING timer_id",
        user.db(),
        guild.db()
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(timer) = timer else {
        return Ok(false);
    };
    if let Some(timer) = timer {
        super::timers::cancel(&mut *tx, timer).await?;
    }
    Ok(true)
}

/// Removes the choice (answered, or to be asked anew), with its timeout.
#[tracing::instrument(skip(tx))]
pub async fn clear(tx: &mut PgConnection, user: UserId) -> sqlx::Result<()> {
    let timer = sqlx::query_scalar!("DELETE FROM dm_guild_choices WHERE user_id = $1 RETURNING timer_id", user.db())
        .fetch_optional(&mut *tx)
        .await?
        .flatten();
    if let Some(timer) = timer {
        super::timers::cancel(&mut *tx, timer).await?;
    }
    Ok(())
}

/// An unanswered choice whose timeout fired.
#[derive(Debug, Clone)]
pub struct Expired {
    pub prompt_message: Option<MessageId>,
    pub dm_channel: Option<ChannelId>,
    /// The user was told already (the timer ran before).
    pub told: bool,
}

/// The choice's timeout fired: its deadline is now at the latest (a timer
/// never fires early by PostgreSQL's clock, but one moved forward, or run
/// again, ends the choice then). `None` if the choice of this timer is gone
/// or answered. Safe to run twice.
#[tracing::instrument(skip(db))]
pub async fn expire(db: impl PgExecutor<'_>, user: UserId, timer: i64) -> sqlx::Result<Option<Expired>> {
    let row = sqlx::query!(
        r#"WITH ended AS (
               UPDATE dm_guild_choices SET expires_at = LEAST(expires_at, now())
               WHERE user_id = $1 AND timer_id = $2 AND chosen_guild_id IS NULL
               RETURNING prompt_message_id, dm_channel_id, expiry_told_at)
           SELECT prompt_message_id, dm_channel_id, expiry_told_at IS NOT NULL AS "told!" FROM ended"#,
        user.db(),
        timer
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Expired {
        prompt_message: r.prompt_message_id.map(MessageId::from_db),
        dm_channel: r.dm_channel_id.map(ChannelId::from_db),
        told: r.told,
    }))
}

/// The user was told their choice expired: a second run of the timer tells
/// nothing.
#[tracing::instrument(skip(db))]
pub async fn mark_expiry_told(db: impl PgExecutor<'_>, user: UserId, timer: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE dm_guild_choices SET expiry_told_at = now() WHERE user_id = $1 AND timer_id = $2",
        user.db(),
        timer
    )
    .execute(db)
    .await?;
    Ok(())
}
