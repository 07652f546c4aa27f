//! A small, readable demo world: two guilds, a staff role, an inbox
//! category and a log channel, a few people, and the bot in both guilds.

use crate::client::ControlClient;
use crate::perms;

/// Every id the demo world created.
#[derive(Clone, Debug)]
pub struct DemoWorld {
    pub acme_guild: u64,
    pub blue_guild: u64,
    pub acme_staff_role: u64,
    pub blue_staff_role: u64,
    pub acme_inbox_category: u64,
    pub blue_inbox_category: u64,
    pub acme_log_channel: u64,
    pub blue_log_channel: u64,
    pub acme_general_channel: u64,
    pub blue_general_channel: u64,
    /// Owns both guilds.
    pub owner: u64,
    /// In both guilds.
    pub alice: u64,
    /// Only in Acme.
    pub bob: u64,
    /// Only in Blue Team.
    pub carol: u64,
    /// Staff in both guilds.
    pub sam: u64,
}

/// Creates the demo world (the bot is added to both guilds last, so each
/// GUILD_CREATE carries everything).
pub async fn seed_demo(c: &ControlClient) -> anyhow::Result<DemoWorld> {
    let owner = c.create_user("olivia").await?;
    let alice = c.create_user("alice").await?;
    let bob = c.create_user("bob").await?;
    let carol = c.create_user("carol").await?;
    let sam = c.create_user("sam").await?;
    let staff_perms = perms::VIEW_CHANNEL | perms::SEND_MESSAGES | perms::READ_MESSAGE_HISTORY | perms::MANAGE_MESSAGES;

    let acme_guild = c.create_guild("Acme Support", owner).await?;
    let blue_guild = c.create_guild("Blue Team", owner).await?;
    let acme_staff_role = c.create_role(acme_guild, "Staff", staff_perms).await?;
    let blue_staff_role = c.create_role(blue_guild, "Staff", staff_perms).await?;
    let acme_general_channel = c.create_channel(acme_guild, "general", 0, None).await?;
    let blue_general_channel = c.create_channel(blue_guild, "general", 0, None).await?;
    let acme_inbox_category = c.create_channel(acme_guild, "Inbox", 4, None).await?;
    let blue_inbox_category = c.create_channel(blue_guild, "Inbox", 4, None).await?;
    let acme_log_channel = c.create_channel(acme_guild, "ticket-log", 0, None).await?;
    let blue_log_channel = c.create_channel(blue_guild, "ticket-log", 0, None).await?;

    c.put_member(acme_guild, alice, &[]).await?;
    c.put_member(blue_guild, alice, &[]).await?;
    c.put_member(acme_guild, bob, &[]).await?;
    c.put_member(blue_guild, carol, &[]).await?;
    c.put_member(acme_guild, sam, &[acme_staff_role]).await?;
    c.put_member(blue_guild, sam, &[blue_staff_role]).await?;

    c.add_bot(acme_guild, None).await?;
    c.add_bot(blue_guild, None).await?;
    Ok(DemoWorld {
        acme_guild,
        blue_guild,
        acme_staff_role,
        blue_staff_role,
        acme_inbox_category,
        blue_inbox_category,
        acme_log_channel,
        blue_log_channel,
        acme_general_channel,
        blue_general_channel,
        owner,
        alice,
        bob,
        carol,
        sam,
    })
}
