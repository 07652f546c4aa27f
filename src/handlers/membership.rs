//! Guild and member events: they keep the `guilds` table and the membership
//! index that routes DMs (guilds with modmail on only: `db::members`), and
//! notice ticket channels deleted by hand.

use twilight_model::gateway::payload::incoming::{GuildCreate, MemberChunk};
use twilight_model::id::marker::GuildMarker;
use twilight_model::id::Id;

use crate::bot::Bot;
use crate::db;
use crate::domain::ids::{ChannelId, GuildId, UserId};

/// A guild became available: after every identify (not after a resume, which
/// replays the missed events instead) Discord sends GUILD_CREATE for each
/// guild. In a guild with modmail on, its member list reconciles the
/// membership index, so people who left or were banned while no session was
/// listening lose their place in routing, `/new_thread`, `add_staff` and
/// channel adoption. Elsewhere the index holds nothing: rows left from before
/// (modmail turned off, an older binary) are dropped, and no member list is
/// requested. `request_members` asks the gateway for the rest of a large
/// guild's member list (over the shard that owns it).
pub async fn guild_create(bot: &Bot, request_members: impl FnOnce(GuildId), event: &GuildCreate) {
    let GuildCreate::Available(guild) = event else {
        return;
    };
    let id = GuildId(guild.id.get());
    let listed: Vec<UserId> = guild.members.iter().map(|m| UserId(m.user.id.get())).collect();
    // Large guilds send only some members in GUILD_CREATE: the rest come in
    // chunks (a gateway command, not a REST call), reconciled when the last
    // one arrives.
    let total = guild.member_count.unwrap_or(0);
    let complete = total <= listed.len() as u64;
    let result = super::retry::transient_db("guild_create", || async {
        db::guilds::joined(&bot.db, id, &guild.name).await?;
        if !db::member_index::wanted(&bot.db, id).await? {
            let mut conn = bot.db.acquire().await?;
            db::members::remove_guild(&mut conn, id).await?;
            return Ok((false, Vec::new()));
        }
        if complete {
            let mut tx = bot.db.begin().await?;
            let removed = db::members::replace_all(&mut tx, id, &listed).await?;
            tx.commit().await?;
            Ok((true, removed))
        } else {
            db::members::add_many(&bot.db, id, &listed).await.map(|()| (true, Vec::new()))
        }
    })
    .await;
    let indexed = match result {
        Ok((indexed, removed)) => {
            left_unseen(bot, id, removed).await;
            indexed
        }
        Err(e) => return super::report("guild_create", &e.into()),
    };
    share_channel_count(bot, guild.id).await;
    if indexed && !complete {
        request_members(id);
    }
}

pub async fn member_chunk(bot: &Bot, chunk: &MemberChunk) {
    let guild = GuildId(chunk.guild_id.get());
    let members: Vec<UserId> = chunk.members.iter().map(|m| UserId(m.user.id.get())).collect();
    let result = super::retry::transient_db("member_chunk", || async {
        match chunk.nonce.as_deref() {
            Some(nonce) => {
                let mut tx = bot.db.begin().await?;
                let removed = db::members::sync_chunk(&mut tx, guild, nonce, chunk.chunk_count, &members).await?;
                tx.commit().await?;
                Ok(removed)
            }
            None => db::members::add_many(&bot.db, guild, &members).await.map(|()| Vec::new()),
        }
    })
    .await;
    match result {
        Ok(removed) => left_unseen(bot, guild, removed).await,
        Err(e) => super::report("member_chunk", &e.into()),
    }
}

/// Members a reconciliation found gone: they left (or were banned) while no
/// session listened. Their open tickets get what a MEMBER_REMOVE would have
/// given them (`close_on_leave`, or a notice to staff).
async fn left_unseen(bot: &Bot, guild: GuildId, removed: Vec<UserId>) {
    if removed.is_empty() {
        return;
    }
    tracing::info!(%guild, removed = removed.len(), "members who left while nobody listened were removed");
    for user in removed {
        if let Err(e) = bot.tickets.user_left_guild(guild, user).await {
            super::report("member_reconcile", &e);
        }
    }
}

pub async fn guild_delete(bot: &Bot, guild: Id<GuildMarker>, unavailable: bool) {
    // An outage makes a guild unavailable; only a real removal means we left.
    if unavailable {
        return;
    }
    let id = GuildId(guild.get());
    let result = super::retry::transient_db("guild_delete", || async {
        db::guilds::left(&bot.db, id).await?;
        let mut conn = bot.db.acquire().await?;
        db::members::remove_guild(&mut conn, id).await
    })
    .await;
    if let Err(e) = result {
        super::report("guild_delete", &e.into());
    }
}

pub async fn member_add(bot: &Bot, guild: Id<GuildMarker>, user: u64) {
    let added =
        super::retry::transient_db("member_add", || db::members::add(&bot.db, GuildId(guild.get()), UserId(user)));
    if let Err(e) = added.await {
        super::report("member_add", &e.into());
    }
}

pub async fn member_remove(bot: &Bot, guild: Id<GuildMarker>, user: u64) {
    let (guild, user) = (GuildId(guild.get()), UserId(user));
    let removed = super::retry::transient_db("member_remove", || db::members::remove(&bot.db, guild, user));
    if let Err(e) = removed.await {
        return super::report("member_remove", &e.into());
    }
    if let Err(e) = bot.tickets.user_left_guild(guild, user).await {
        super::report("member_remove", &e);
    }
}

pub async fn channel_delete(bot: &Bot, channel: &twilight_model::channel::Channel) {
    if let Some(guild) = channel.guild_id {
        share_channel_count(bot, guild).await;
    }
    if let Err(e) = bot.tickets.ticket_channel_deleted(ChannelId(channel.id.get())).await {
        super::report("channel_delete", &e);
    }
}

/// Shares the guild's channel count from this cluster's cache (already
/// updated with the event), for clusters that do not hold the guild. Only if
/// this process saw the guild's GUILD_CREATE: after a resume the cache holds
/// just the channels created since, and the count shared before stays.
async fn share_channel_count(bot: &Bot, guild: Id<GuildMarker>) {
    if bot.cache.guild(guild).is_none() {
        return;
    }
    let count = bot.cache.guild_channels(guild).map(|channels| channels.len());
    if let Some(count) = count {
        bot.tickets.guild_channels_counted(GuildId(guild.get()), count).await;
    }
}

/// Staff may turn a new channel in the inbox into a ticket
/// (`create_ticket_by_create_channel`).
pub async fn channel_create(bot: &Bot, channel: &twilight_model::channel::Channel) {
    if let Some(guild) = channel.guild_id {
        share_channel_count(bot, guild).await;
    }
    let (Some(guild), Some(parent), twilight_model::channel::ChannelType::GuildText) =
        (channel.guild_id, channel.parent_id, channel.kind)
    else {
        return;
    };
    let name = channel.name.as_deref().unwrap_or_default();
    let result =
        bot.tickets.channel_created(GuildId(guild.get()), ChannelId(channel.id.get()), ChannelId(parent.get()), name);
    if let Err(e) = result.await {
        super::report("channel_create", &e);
    }
}
