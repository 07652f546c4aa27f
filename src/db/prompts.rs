//! Category prompts waiting for a user's answer (`category_prompts`). The
//! user's messages meanwhile stay pending in `inbound_dms` (the truth) and are
//! mirrored in a Redis queue (`crate::redis::held_queue`).

use sqlx::{PgConnection, PgExecutor};

use crate::domain::ids::{ChannelId, GuildId, MessageId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptState {
    Waiting,
    /// Open the ticket in this modmail category (`None`: it was deleted since; the inbox).
    Chosen(Option<i64>),
    /// Nobody chose in time: open the ticket in the inbox.
    TimedOut,
}

#[derive(Debug, Clone)]
pub struct Prompt {
    pub user: UserId,
    pub guild: GuildId,
    pub message: Option<MessageId>,
    pub dm_channel: Option<ChannelId>,
    pub state: PromptState,
}

#[tracing::instrument(skip(db))]
pub async fn get(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<Option<Prompt>> {
    let row = sqlx::query!(
        "SELECT guild_id, prompt_message_id, dm_channel_id, state, chosen_category_id
         FROM category_prompts WHERE user_id = $1",
        user.db()
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Prompt {
        user,
        guild: GuildId::from_db(r.guild_id),
        message: r.prompt_message_id.map(MessageId::from_db),
        dm_channel: r.dm_channel_id.map(ChannelId::from_db),
        state: match r.state.as_str() {
            "chosen" => PromptState::Chosen(r.chosen_category_id),
            "timed_out" => PromptState::TimedOut,
            _ => PromptState::Waiting,
        },
    }))
}

/// Starts a prompt and schedules its timeout, in the caller's transaction. `None` if the
/// user already has one: only the worker that created it sends the buttons.
#[tracing::instrument(skip(tx))]
pub async fn start(
    tx: &mut PgConnection,
    user: UserId,
    guild: GuildId,
    due_at: chrono::DateTime<chrono::Utc>,
) -> sqlx::Result<Option<i64>> {
    let created = sqlx::query!(
        "INSERT INTO category_prompts (user_id, guild_id) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING",
        user.db(),
        guild.db()
    )
    .execute(&mut *tx)
    .await?;
    if created.rows_affected() == 0 {
        return Ok(None);
    }
    let timer = sqlx::query_scalar!(
        r#"INSERT INTO timers (kind, guild_id, payload, due_at)
           VALUES ('category_prompt', $1, jsonb_build_object('user', $2::TEXT), $3) RETURNING timer_id"#,
        guild.db(),
        user.to_string(),
        due_at
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!("UPDATE category_prompts SET timer_id = $2 WHERE user_id = $1", user.db(), timer)
        .execute(&mut *tx)
        .await?;
    Ok(Some(timer))
}

#[tracing::instrument(skip(db))]
pub async fn set_message(
    db: impl PgExecutor<'_>,
    user: UserId,
    message: MessageId,
    dm_channel: ChannelId,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE category_prompts SET prompt_message_id = $2, dm_channel_id = $3 WHERE user_id = $1",
        user.db(),
        message.db(),
        dm_channel.db()
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records the user's pick; `false` unless a prompt of this guild was waiting
/// (a second click, or a click after the timeout, changes nothing).
#[tracing::instrument(skip(tx))]
pub async fn choose(tx: &mut PgConnection, user: UserId, guild: GuildId, category: i64) -> sqlx::Result<bool> {
    let timer = sqlx::query_scalar!(
        r#"UPDATE category_prompts SET state = 'chosen', chosen_category_id = $3, answered_at = now()
           WHERE user_id = $1 AND guild_id = $2 AND state = 'waiting' RETURNING timer_id"#,
        user.db(),
        guild.db(),
        category
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(timer) = timer else {
        return Ok(false);
    };
    // The timeout has nothing left to do.
    if let Some(timer) = timer {
        super::timers::cancel(&mut *tx, timer).await?;
    }
    Ok(true)
}

/// The timeout fired: `false` unless the prompt was still waiting.
#[tracing::instrument(skip(db))]
pub async fn time_out(db: impl PgExecutor<'_>, user: UserId, timer: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"UPDATE category_prompts SET state = 'timed_out', answered_at = now()
           WHERE user_id = $1 AND timer_id = $2 AND state = 'waiting'"#,
        user.db(),
        timer
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Drops a prompt whose guild can no longer take the ticket (modmail or the
/// prompt turned off, the user left); its timer goes with it.
#[tracing::instrument(skip(tx))]
pub async fn discard(tx: &mut PgConnection, user: UserId) -> sqlx::Result<()> {
    let timer = sqlx::query_scalar!("DELETE FROM category_prompts WHERE user_id = $1 RETURNING timer_id", user.db())
        .fetch_optional(&mut *tx)
        .await?
        .flatten();
    if let Some(timer) = timer {
        super::timers::cancel(&mut *tx, timer).await?;
    }
    Ok(())
}

/// The ticket opened: the prompt is answered. Runs in the opening transaction,
/// so a prompt never outlives its ticket (and a later ticket prompts anew). A
/// prompt still waiting (staff opened the ticket meanwhile) takes its timer
/// along; a chosen one's was cancelled by the choice, a timed-out one's is firing.
#[tracing::instrument(skip(tx))]
pub async fn finish(tx: &mut PgConnection, user: UserId, guild: GuildId) -> sqlx::Result<()> {
    let finished = sqlx::query!(
        "DELETE FROM category_prompts WHERE user_id = $1 AND guild_id = $2 RETURNING timer_id, state",
        user.db(),
        guild.db()
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(timer) = finished.filter(|f| f.state == "waiting").and_then(|f| f.timer_id) {
        super::timers::cancel(&mut *tx, timer).await?;
    }
    Ok(())
}
