//! Panel tickets' configuration: the guild's menu settings (`panel_settings`),
//! its ticket types and their intake questions.

use sqlx::{Acquire, PgConnection, PgExecutor, Postgres};

use crate::domain::ids::{ChannelId, GuildId, MessageId, RoleId};
use crate::domain::panel::{NewType, PanelSettings, PanelSetup, Question, QuestionStyle, TicketType};

/// What creating a type did.
#[derive(Debug)]
pub enum TypeCreated {
    Yes(i64),
    NameTaken,
    /// The guild has `limit` types already.
    Full,
}

#[tracing::instrument(skip(db))]
pub async fn settings(db: impl PgExecutor<'_>, guild: GuildId) -> sqlx::Result<Option<PanelSettings>> {
    let row = sqlx::query!(
        r#"SELECT menu_channel_id, category_id, log_channel_id, support_role_id, menu_message_id, max_open_per_member
           FROM panel_settings WHERE guild_id = $1"#,
        guild.db()
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| PanelSettings {
        guild,
        menu_channel: ChannelId::from_db(r.menu_channel_id),
        category: ChannelId::from_db(r.category_id),
        log_channel: r.log_channel_id.map(ChannelId::from_db),
        support_role: r.support_role_id.map(RoleId::from_db),
        menu_message: r.menu_message_id.map(MessageId::from_db),
        max_open_per_member: r.max_open_per_member,
    }))
}

/// The panel's settings, with its row locked until the caller's transaction
/// ends (`None`, and no lock, before the first setup).
pub async fn settings_locked(tx: &mut PgConnection, guild: GuildId) -> sqlx::Result<Option<PanelSettings>> {
    sqlx::query!("SELECT guild_id FROM panel_settings WHERE guild_id = $1 FOR UPDATE", guild.db())
        .fetch_optional(&mut *tx)
        .await?;
    settings(&mut *tx, guild).await
}

/// Stores what setup chose, and creates the default types if the guild has
/// none, in one transaction: running setup twice at once makes one set.
/// A menu moved to another channel forgets its old message (a new one is
/// posted there). Returns the settings and how many types were created.
#[tracing::instrument(skip(tx, setup, defaults))]
pub async fn save_setup(
    tx: &mut PgConnection,
    guild: GuildId,
    setup: &PanelSetup,
    defaults: &[NewType],
) -> sqlx::Result<(PanelSettings, usize)> {
    sqlx::query!(
        r#"INSERT INTO panel_settings
               (guild_id, menu_channel_id, category_id, log_channel_id, support_role_id, max_open_per_member)
           VALUES ($1, $2, $3, $4, $5, COALESCE($6, 1))
           ON CONFLICT (guild_id) DO UPDATE SET
               menu_message_id = CASE WHEN panel_settings.menu_channel_id = EXCLUDED.menu_channel_id
                                      THEN panel_settings.menu_message_id END,
               menu_channel_id = EXCLUDED.menu_channel_id, category_id = EXCLUDED.category_id,
               log_channel_id = EXCLUDED.log_channel_id, support_role_id = EXCLUDED.support_role_id,
               max_open_per_member = COALESCE($6, panel_settings.max_open_per_member),
               updated_at = now()"#,
        guild.db(),
        setup.menu_channel.db(),
        setup.category.db(),
        setup.log_channel.map(ChannelId::db),
        setup.support_role.map(RoleId::db),
        setup.max_open_per_member
    )
    .execute(&mut *tx)
    .await?;
    // The row lock serialises concurrent setups of one guild from here on.
    sqlx::query!("SELECT guild_id FROM panel_settings WHERE guild_id = $1 FOR UPDATE", guild.db())
        .fetch_one(&mut *tx)
        .await?;
    let existing =
        sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM ticket_types WHERE guild_id = $1"#, guild.db())
            .fetch_one(&mut *tx)
            .await?;
    let mut created = 0;
    if existing == 0 {
        for (position, new) in defaults.iter().enumerate() {
            insert_type(tx, guild, new, i32::try_from(position).unwrap_or(i32::MAX)).await?;
            created += 1;
        }
    }
    let saved = settings(&mut *tx, guild).await?.ok_or(sqlx::Error::RowNotFound)?;
    Ok((saved, created))
}

async fn insert_type(tx: &mut PgConnection, guild: GuildId, new: &NewType, position: i32) -> sqlx::Result<i64> {
    let id = sqlx::query_scalar!(
        r#"INSERT INTO ticket_types (guild_id, name, description, emoji, position)
           VALUES ($1, $2, $3, $4, $5) RETURNING type_id"#,
        guild.db(),
        new.name,
        new.description,
        new.emoji,
        position
    )
    .fetch_one(&mut *tx)
    .await?;
    insert_questions(tx, id, &new.questions).await?;
    Ok(id)
}

/// Writes a type's questions in order (positions 0…).
async fn insert_questions(tx: &mut PgConnection, type_id: i64, questions: &[Question]) -> sqlx::Result<()> {
    for (i, q) in questions.iter().enumerate() {
        sqlx::query!(
            r#"INSERT INTO ticket_type_questions
                   (type_id, position, label, style, required, min_length, max_length, placeholder)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"#,
            type_id,
            i32::try_from(i).unwrap_or(i32::MAX),
            q.label,
            q.style.as_str(),
            q.required,
            q.min_length,
            q.max_length,
            q.placeholder
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// A question as stored.
fn question(
    label: String,
    style: &str,
    required: bool,
    min_length: Option<i32>,
    max_length: Option<i32>,
    placeholder: Option<String>,
) -> Question {
    let style = if style == "paragraph" { QuestionStyle::Paragraph } else { QuestionStyle::Short };
    Question { label, style, required, min_length, max_length, placeholder }
}

#[tracing::instrument(skip(db))]
pub async fn set_menu_message(db: impl PgExecutor<'_>, guild: GuildId, message: MessageId) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE panel_settings SET menu_message_id = $2, updated_at = now() WHERE guild_id = $1",
        guild.db(),
        message.db()
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The guild's ticket types in menu order, each with its questions in order.
/// Two reads on one connection: a pool, a connection or a transaction.
#[tracing::instrument(skip(db))]
pub async fn types<'c>(db: impl Acquire<'c, Database = Postgres>, guild: GuildId) -> sqlx::Result<Vec<TicketType>> {
    let mut conn = db.acquire().await?;
    types_on(&mut conn, guild).await
}

async fn types_on(conn: &mut PgConnection, guild: GuildId) -> sqlx::Result<Vec<TicketType>> {
    let types = sqlx::query!(
        r#"SELECT type_id, name, description, emoji FROM ticket_types
           WHERE guild_id = $1 ORDER BY position, type_id"#,
        guild.db()
    )
    .fetch_all(&mut *conn)
    .await?;
    let ids: Vec<i64> = types.iter().map(|t| t.type_id).collect();
    let questions = sqlx::query!(
        r#"SELECT type_id, label, style, required, min_length, max_length, placeholder
           FROM ticket_type_questions WHERE type_id = ANY($1) ORDER BY type_id, position"#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(types
        .into_iter()
        .map(|t| TicketType {
            id: t.type_id,
            name: t.name,
            description: t.description,
            emoji: t.emoji,
            questions: questions
                .iter()
                .filter(|q| q.type_id == t.type_id)
                .map(|q| {
                    question(q.label.clone(), &q.style, q.required, q.min_length, q.max_length, q.placeholder.clone())
                })
                .collect(),
        })
        .collect())
}

/// Locks a type's row until the caller's transaction ends; `false` if the
/// guild has no such type.
async fn lock_type(tx: &mut PgConnection, guild: GuildId, type_id: i64) -> sqlx::Result<bool> {
    let found = sqlx::query_scalar!(
        "SELECT type_id FROM ticket_types WHERE type_id = $2 AND guild_id = $1 FOR UPDATE",
        guild.db(),
        type_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(found.is_some())
}

/// One type of the guild with its questions, its row locked until the
/// caller's transaction ends; `None` if the guild has no such type.
pub async fn type_locked(tx: &mut PgConnection, guild: GuildId, type_id: i64) -> sqlx::Result<Option<TicketType>> {
    if !lock_type(tx, guild, type_id).await? {
        return Ok(None);
    }
    // A guild has at most 25 types: reading them all is one small query.
    Ok(types_on(tx, guild).await?.into_iter().find(|t| t.id == type_id))
}

/// Open panel tickets in the guild (the menu shows it).
#[tracing::instrument(skip(db))]
pub async fn open_count(db: impl PgExecutor<'_>, guild: GuildId) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM tickets WHERE guild_id = $1 AND status = 'open' AND kind = 'panel'"#,
        guild.db()
    )
    .fetch_one(db)
    .await
}

/// Adds a type at the end of the menu, unless the guild has `limit` types.
/// Counted under the panel settings row lock, so two admins cannot both
/// slip under the limit.
#[tracing::instrument(skip(tx, new), fields(name = %new.name))]
pub async fn create_type(
    tx: &mut PgConnection,
    guild: GuildId,
    new: &NewType,
    limit: usize,
) -> sqlx::Result<TypeCreated> {
    sqlx::query!("SELECT guild_id FROM panel_settings WHERE guild_id = $1 FOR UPDATE", guild.db())
        .fetch_optional(&mut *tx)
        .await?;
    let (count, last) = sqlx::query!(
        r#"SELECT count(*) AS "count!", max(position) AS last FROM ticket_types WHERE guild_id = $1"#,
        guild.db()
    )
    .fetch_one(&mut *tx)
    .await
    .map(|r| (r.count, r.last))?;
    if usize::try_from(count).unwrap_or(usize::MAX) >= limit {
        return Ok(TypeCreated::Full);
    }
    let taken = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM ticket_types WHERE guild_id = $1 AND lower(name) = lower($2)) AS "taken!""#,
        guild.db(),
        new.name
    )
    .fetch_one(&mut *tx)
    .await?;
    if taken {
        return Ok(TypeCreated::NameTaken);
    }
    let id = insert_type(tx, guild, new, last.map_or(0, |p| p + 1)).await?;
    Ok(TypeCreated::Yes(id))
}

/// Changes a type's name, description and emoji; `false` if there is no such
/// type in the guild. A name another type has fails with a unique violation.
#[tracing::instrument(skip(db))]
pub async fn update_type(
    db: impl PgExecutor<'_>,
    guild: GuildId,
    type_id: i64,
    name: &str,
    description: &str,
    emoji: Option<&str>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"UPDATE ticket_types SET name = $3, description = $4, emoji = $5, updated_at = now()
           WHERE type_id = $2 AND guild_id = $1"#,
        guild.db(),
        type_id,
        name,
        description,
        emoji
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a type and its questions; tickets of it keep their answers.
#[tracing::instrument(skip(db))]
pub async fn delete_type(db: impl PgExecutor<'_>, guild: GuildId, type_id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!("DELETE FROM ticket_types WHERE type_id = $2 AND guild_id = $1", guild.db(), type_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Changes a type's questions: `change` runs on the current list under the
/// type's row lock and the list it leaves replaces the old one (so two admins
/// editing at once never lose each other's change). `None` if there is no
/// such type; otherwise `change`'s answer.
#[tracing::instrument(skip(tx, change))]
pub async fn change_questions<T, E>(
    tx: &mut PgConnection,
    guild: GuildId,
    type_id: i64,
    change: impl FnOnce(&mut Vec<Question>) -> Result<T, E>,
) -> sqlx::Result<Option<Result<T, E>>> {
    if !lock_type(tx, guild, type_id).await? {
        return Ok(None);
    }
    let rows = sqlx::query!(
        r#"SELECT label, style, required, min_length, max_length, placeholder
           FROM ticket_type_questions WHERE type_id = $1 ORDER BY position"#,
        type_id
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut questions: Vec<Question> = rows
        .into_iter()
        .map(|q| question(q.label, &q.style, q.required, q.min_length, q.max_length, q.placeholder))
        .collect();
    let answer = match change(&mut questions) {
        Ok(answer) => answer,
        Err(refused) => return Ok(Some(Err(refused))),
    };
    sqlx::query!("DELETE FROM ticket_type_questions WHERE type_id = $1", type_id).execute(&mut *tx).await?;
    insert_questions(tx, type_id, &questions).await?;
    Ok(Some(Ok(answer)))
}
