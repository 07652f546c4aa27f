//! A guild's data as a whole, for server owners' data rights: everything
//! Ticketeer keeps about a guild as JSON (export), and all of it deleted in
//! one transaction (erasure). The bot's presence (`guilds`) and the
//! membership index that routes DMs (`guild_members`, rebuilt from the
//! gateway anyway) are operational and stay.

use futures_util::TryStreamExt as _;
use serde_json::Value;
use sqlx::PgConnection;
use tokio::sync::mpsc;

/// One piece of an export, in the order the document is written.
#[derive(Debug)]
pub enum ExportItem {
    /// The rows that follow are this table's.
    Table(&'static str),
    Row(Value),
    /// Every table was read in one consistent snapshot: the export is whole.
    End,
}

/// Why an export stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// Whoever reads the export went away (the client hung up).
    #[error("the export's reader went away")]
    ReaderGone,
}

/// Sends every table's rows of the guild, one row at a time, into `items`,
/// then [`ExportItem::End`]. Secrets (token hashes) are left out. Rows are
/// streamed from PostgreSQL as they are read and `items` is bounded, so the
/// memory an export takes does not grow with the guild: a slow reader slows
/// the query down instead. Runs in the caller's transaction, which must be
/// fresh (nothing run in it yet): it becomes one REPEATABLE READ READ ONLY
/// snapshot, so every table is read as of one moment.
#[tracing::instrument(skip(tx, items))]
pub async fn export(tx: &mut PgConnection, guild_id: i64, items: mpsc::Sender<ExportItem>) -> Result<(), ExportError> {
    // One snapshot for every table.
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut *tx).await?;
    async fn send(items: &mpsc::Sender<ExportItem>, item: ExportItem) -> Result<(), ExportError> {
        items.send(item).await.map_err(|_| ExportError::ReaderGone)
    }
    macro_rules! table {
        ($name:literal, $sql:literal) => {
            send(&items, ExportItem::Table($name)).await?;
            {
                let mut rows = sqlx::query_scalar!($sql, guild_id).fetch(&mut *tx);
                while let Some(row) = rows.try_next().await? {
                    if let Some(row) = row {
                        send(&items, ExportItem::Row(row)).await?;
                    }
                }
            }
        };
    }
    table!("guild", "SELECT to_jsonb(g) FROM guilds g WHERE guild_id = $1");
    table!("settings", "SELECT to_jsonb(s) FROM guild_settings s WHERE guild_id = $1");
    table!("panel_settings", "SELECT to_jsonb(p) FROM panel_settings p WHERE guild_id = $1");
    table!("ticket_types", "SELECT to_jsonb(t) FROM ticket_types t WHERE guild_id = $1 ORDER BY position");
    table!(
        "ticket_type_questions",
        "SELECT to_jsonb(q) FROM ticket_type_questions q
         WHERE type_id IN (SELECT type_id FROM ticket_types WHERE guild_id = $1) ORDER BY type_id, position"
    );
    table!(
        "overflow_categories",
        "SELECT to_jsonb(o) FROM overflow_categories o WHERE guild_id = $1 ORDER BY overflow_id"
    );
    table!("modmail_categories", "SELECT to_jsonb(c) FROM modmail_categories c WHERE guild_id = $1");
    table!("snippets", "SELECT to_jsonb(s) FROM snippets s WHERE guild_id = $1 ORDER BY name");
    table!("blocked_users", "SELECT to_jsonb(b) FROM blocked_users b WHERE guild_id = $1");
    table!("tickets", "SELECT to_jsonb(t) FROM tickets t WHERE guild_id = $1 ORDER BY number");
    table!(
        "ticket_messages",
        "SELECT to_jsonb(m) FROM ticket_messages m
         WHERE ticket_id IN (SELECT ticket_id FROM tickets WHERE guild_id = $1) ORDER BY ticket_message_id"
    );
    table!(
        "ticket_message_edits",
        "SELECT to_jsonb(e) FROM ticket_message_edits e WHERE ticket_message_id IN
           (SELECT ticket_message_id FROM ticket_messages WHERE ticket_id IN (SELECT ticket_id FROM tickets WHERE guild_id = $1))"
    );
    table!(
        "ticket_events",
        "SELECT to_jsonb(e) FROM ticket_events e
         WHERE ticket_id IN (SELECT ticket_id FROM tickets WHERE guild_id = $1) ORDER BY event_id"
    );
    table!(
        "ticket_alerts",
        "SELECT to_jsonb(a) FROM ticket_alerts a WHERE ticket_id IN (SELECT ticket_id FROM tickets WHERE guild_id = $1)"
    );
    table!(
        "inbound_dms",
        "SELECT to_jsonb(d) FROM inbound_dms d
         WHERE ticket_id IN (SELECT ticket_id FROM tickets WHERE guild_id = $1) ORDER BY message_id"
    );
    table!("transcripts", "SELECT to_jsonb(t) FROM transcripts t WHERE guild_id = $1");
    table!("timers", "SELECT to_jsonb(t) FROM timers t WHERE guild_id = $1");
    table!(
        "api_tokens",
        "SELECT jsonb_build_object('token_id', token_id, 'name', name, 'scopes', scopes, 'created_by', created_by,
                 'created_at', created_at, 'last_used_at', last_used_at, 'revoked_at', revoked_at)
         FROM api_tokens WHERE guild_id = $1"
    );
    table!("audit_log", "SELECT to_jsonb(a) FROM audit_log a WHERE guild_id = $1 ORDER BY entry_id");
    send(&items, ExportItem::End).await
}

/// Deletes all of the guild's data in one transaction; returns the tickets
/// erased. Safe to run twice (the second run finds nothing).
#[tracing::instrument(skip(tx))]
pub async fn erase(tx: &mut PgConnection, guild_id: i64) -> sqlx::Result<u64> {
    let tickets: Vec<i64> =
        sqlx::query_scalar!("SELECT ticket_id FROM tickets WHERE guild_id = $1 FOR UPDATE", guild_id)
            .fetch_all(&mut *tx)
            .await?;
    sqlx::query!(
        "DELETE FROM ticket_message_edits WHERE ticket_message_id IN
           (SELECT ticket_message_id FROM ticket_messages WHERE ticket_id = ANY($1))",
        &tickets
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM ticket_messages WHERE ticket_id = ANY($1)", &tickets).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM ticket_alerts WHERE ticket_id = ANY($1)", &tickets).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM ticket_events WHERE ticket_id = ANY($1)", &tickets).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM inbound_dms WHERE ticket_id = ANY($1)", &tickets).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM category_prompts WHERE guild_id = $1", guild_id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM dm_conversations WHERE guild_id = $1", guild_id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM guild_member_syncs WHERE guild_id = $1", guild_id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM timers WHERE guild_id = $1 OR ticket_id = ANY($2)", guild_id, &tickets)
        .execute(&mut *tx)
        .await?;
    // Transcripts go with their tickets (ON DELETE CASCADE).
    let erased =
        sqlx::query!("DELETE FROM tickets WHERE guild_id = $1", guild_id).execute(&mut *tx).await?.rows_affected();
    sqlx::query!("DELETE FROM transcripts WHERE guild_id = $1", guild_id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM ticket_counters WHERE guild_id = $1", guild_id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM overflow_categories WHERE guild_id = $1", guild_id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM modmail_categories WHERE guild_id = $1", guild_id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM ticket_types WHERE guild_id = $1", guild_id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM panel_settings WHERE guild_id = $1", guild_id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM snippets WHERE guild_id = $1", guild_id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM blocked_users WHERE guild_id = $1", guild_id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM guild_settings WHERE guild_id = $1", guild_id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM api_tokens WHERE guild_id = $1", guild_id).execute(&mut *tx).await?;
    sqlx::query!("DELETE FROM audit_log WHERE guild_id = $1", guild_id).execute(&mut *tx).await?;
    Ok(erased)
}
