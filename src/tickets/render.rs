//! How relayed messages look on each side. Pure functions: easy to test, and
//! the one place to change the look of a ticket.

use super::inbox::IncomingDm;
use super::model::Ticket;
use super::ports::{ChoiceMenu, ChoiceOption, Embed, EmbedField, OutgoingMessage};
use super::routing::GUILD_CHOICE_MENU;
use crate::db::members::ModmailGuild;
use crate::templates::Template;

/// Discord's limit on an embed description.
pub const EMBED_DESCRIPTION_MAX: usize = 4096;
const USER_COLOR: u32 = 0x5865F2;
const STAFF_COLOR: u32 = 0x57F287;
const HEADER_COLOR: u32 = 0xFEE75C;

/// A user's DM as staff see it in the ticket channel. The first message of a
/// new ticket also carries the ticket header, so opening costs no extra call.
pub fn user_message_for_staff(dm: &IncomingDm, ticket: &Ticket, with_header: bool) -> OutgoingMessage {
    let mut embeds = Vec::with_capacity(2);
    if with_header {
        embeds.push(Embed {
            title: Some(format!("New modmail ticket #{}", ticket.number)),
            description: Some(format!("Opened by <@{}> ({})", dm.user, dm.author_name)),
            color: Some(HEADER_COLOR),
            fields: vec![EmbedField { name: "User ID".into(), value: dm.user.to_string(), inline: true }],
            footer: Some("Reply with !reply <text> or /reply · close with !close or /close".into()),
            ..Embed::default()
        });
    }
    let mut description = dm.content.clone();
    for attachment in &dm.attachments {
        description.push_str(&format!("\n📎 [{}]({})", attachment.filename, attachment.url));
    }
    if description.trim().is_empty() {
        description = "*(empty message)*".into();
    }
    embeds.push(Embed {
        author: Some(dm.author_name.clone()),
        description: Some(fit(&description)),
        color: Some(USER_COLOR),
        footer: Some(format!("User · message {}", dm.message)),
        ..Embed::default()
    });
    OutgoingMessage { embeds, ..OutgoingMessage::default() }
}

/// A numbered staff reply, as rendered on either side.
#[derive(Debug, Clone, Copy)]
pub struct StaffReplyView<'a> {
    pub content: &'a str,
    pub author_name: &'a str,
    pub anonymous: bool,
    pub number: i32,
}

/// A staff reply as the user sees it in DMs.
pub fn staff_reply_for_user(reply: StaffReplyView<'_>, guild_name: &str) -> OutgoingMessage {
    OutgoingMessage::embed(Embed {
        author: Some(if reply.anonymous { "Staff Team".to_owned() } else { reply.author_name.to_owned() }),
        description: Some(fit(reply.content)),
        color: Some(STAFF_COLOR),
        footer: Some(format!("{guild_name} · #{}", reply.number)),
        ..Embed::default()
    })
}

/// A staff reply as staff see it in the ticket channel: always who sent it,
/// and the number `!edit` and `!delete` take.
pub fn staff_reply_for_staff(reply: StaffReplyView<'_>) -> OutgoingMessage {
    let author =
        if reply.anonymous { format!("{} (anonymous)", reply.author_name) } else { reply.author_name.to_owned() };
    OutgoingMessage::embed(Embed {
        author: Some(author),
        description: Some(fit(reply.content)),
        color: Some(STAFF_COLOR),
        footer: Some(format!("Staff reply #{} · sent to the user", reply.number)),
        ..Embed::default()
    })
}

/// The menu a user in several modmail guilds picks from (Discord allows 25 options).
pub fn guild_choice_prompt(guilds: &[ModmailGuild]) -> OutgoingMessage {
    OutgoingMessage {
        content: Some(Template::ChooseGuild.default_text().trim().to_owned()),
        menu: Some(ChoiceMenu {
            custom_id: GUILD_CHOICE_MENU.to_owned(),
            placeholder: "Choose a server".to_owned(),
            options: guilds
                .iter()
                .take(25)
                .map(|g| ChoiceOption { label: truncate(&g.name, 100), value: g.guild.to_string(), description: None })
                .collect(),
        }),
        ..OutgoingMessage::default()
    }
}

/// Keeps a text within an embed description. Longer texts are split into
/// several messages by the modmail relay (next milestone); until then the cut
/// is marked, never silent.
fn fit(text: &str) -> String {
    if text.chars().count() <= EMBED_DESCRIPTION_MAX {
        return text.to_owned();
    }
    let mut cut = truncate(text, EMBED_DESCRIPTION_MAX - 20);
    cut.push_str("\n… (message cut)");
    cut
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
