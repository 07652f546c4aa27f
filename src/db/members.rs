//! The membership index: which users are in which guilds. Kept by the cluster
//! that owns each guild, read by whichever process handles a user's DM.

use sqlx::PgPool;

use crate::tickets::ids::{GuildId, UserId};

#[tracing::instrument(skip(db))]
pub async fn add(db: &PgPool, guild: GuildId, user: UserId) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO guild_members (user_id, guild_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        user.db(),
        guild.db()
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Adds many members of one guild in one statement (GUILD_CREATE, member chunks).
#[tracing::instrument(skip(db, users), fields(count = users.len()))]
pub async fn add_many(db: &PgPool, guild: GuildId, users: &[UserId]) -> sqlx::Result<()> {
    if users.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = users.iter().map(|u| u.db()).collect();
    sqlx::query!(
        r#"INSERT INTO guild_members (user_id, guild_id)
           SELECT u, $2 FROM UNNEST($1::BIGINT[]) AS u
           ON CONFLICT DO NOTHING"#,
        &ids,
        guild.db()
    )
    .execute(db)
    .await?;
    Ok(())
}

#[tracing::instrument(skip(db))]
pub async fn remove(db: &PgPool, guild: GuildId, user: UserId) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM guild_members WHERE user_id = $1 AND guild_id = $2", user.db(), guild.db())
        .execute(db)
        .await?;
    Ok(())
}

/// Forgets a guild's members (the bot left it).
#[tracing::instrument(skip(db))]
pub async fn remove_guild(db: &PgPool, guild: GuildId) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM guild_members WHERE guild_id = $1", guild.db()).execute(db).await?;
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
pub async fn modmail_guilds_of(db: &PgPool, user: UserId) -> sqlx::Result<Vec<ModmailGuild>> {
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
pub async fn is_member(db: &PgPool, guild: GuildId, user: UserId) -> sqlx::Result<bool> {
    let found = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM guild_members WHERE guild_id = $1 AND user_id = $2) AS "found!""#,
        guild.db(),
        user.db()
    )
    .fetch_one(db)
    .await?;
    Ok(found)
}
