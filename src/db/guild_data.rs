//! A guild's data as a whole, for server owners' data rights: everything
//! Ticketeer keeps about a guild as JSON (export), and all of it deleted in
//! one transaction (erasure). The bot's presence (`guilds`) and the
//! membership index that routes DMs (`guild_members`, rebuilt from the
//! gateway anyway) are operational and stay.

use serde_json::{Map, Value};
use sqlx::PgPool;

/// Every table's rows of the guild, by table name. Secrets (token hashes)
/// are left out.
#[tracing::instrument(skip(db))]
pub async fn export(db: &PgPool, guild_id: i64) -> sqlx::Result<Map<String, Value>> {
    let mut tx = db.begin().await?;
    // One snapshot for every table.
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut *tx).await?;
    let mut out = Map::new();
    macro_rules! table {
        ($name:literal, $sql:literal) => {
            let rows = sqlx::query_scalar!($sql, guild_id).fetch_one(&mut *tx).await?;
            out.insert($name.to_owned(), rows.unwrap_or(Value::Array(Vec::new())));
        };
    }
    table!("guild", "SELECT json_agg(g) FROM guilds g WHERE guild_id = $1");
    table!("settings", "SELECT json_agg(s) FROM guild_settings s WHERE guild_id = $1");
    table!("panel_settings", "SELECT json_agg(p) FROM panel_settings p WHERE guild_id = $1");
    table!("ticket_types", "SELECT json_agg(t ORDER BY position) FROM ticket_types t WHERE guild_id = $1");
    table!(
        "ticket_type_questions",
        "SELECT json_agg(q ORDER BY type_id, position) FROM ticket_type_questions q
         WHERE type_id IN (SELECT type_id FROM ticket_types WHERE guild_id = $1)"
    );
    table!("modmail_categories", "SELECT json_agg(c) FROM modmail_categories c WHERE guild_id = $1");
    table!("snippets", "SELECT json_agg(s ORDER BY name) FROM snippets s WHERE guild_id = $1");
    table!("blocked_users", "SELECT json_agg(b) FROM blocked_users b WHERE guild_id = $1");
    table!("tickets", "SELECT json_agg(t ORDER BY number) FROM tickets t WHERE guild_id = $1");
    table!(
        "ticket_messages",
        "SELECT json_agg(m ORDER BY ticket_message_id) FROM ticket_messages m
         WHERE ticket_id IN (SELECT ticket_id FROM tickets WHERE guild_id = $1)"
    );
    table!(
        "ticket_message_edits",
        "SELECT json_agg(e) FROM ticket_message_edits e WHERE ticket_message_id IN
           (SELECT ticket_message_id FROM ticket_messages WHERE ticket_id IN (SELECT ticket_id FROM tickets WHERE guild_id = $1))"
    );
    table!(
        "ticket_events",
        "SELECT json_agg(e ORDER BY event_id) FROM ticket_events e
         WHERE ticket_id IN (SELECT ticket_id FROM tickets WHERE guild_id = $1)"
    );
    table!(
        "ticket_alerts",
        "SELECT json_agg(a) FROM ticket_alerts a WHERE ticket_id IN (SELECT ticket_id FROM tickets WHERE guild_id = $1)"
    );
    table!(
        "inbound_dms",
        "SELECT json_agg(d ORDER BY message_id) FROM inbound_dms d
         WHERE ticket_id IN (SELECT ticket_id FROM tickets WHERE guild_id = $1)"
    );
    table!("transcripts", "SELECT json_agg(t) FROM transcripts t WHERE guild_id = $1");
    table!("timers", "SELECT json_agg(t) FROM timers t WHERE guild_id = $1");
    table!(
        "api_tokens",
        "SELECT json_agg(json_build_object('token_id', token_id, 'name', name, 'scopes', scopes, 'created_by', created_by,
                 'created_at', created_at, 'last_used_at', last_used_at, 'revoked_at', revoked_at))
         FROM api_tokens WHERE guild_id = $1"
    );
    table!("audit_log", "SELECT json_agg(a ORDER BY entry_id) FROM audit_log a WHERE guild_id = $1");
    tx.commit().await?;
    Ok(out)
}

/// Deletes all of the guild's data in one transaction; returns the tickets
/// erased. Safe to run twice (the second run finds nothing).
#[tracing::instrument(skip(tx))]
pub async fn erase(tx: &mut sqlx::PgConnection, guild_id: i64) -> sqlx::Result<u64> {
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
