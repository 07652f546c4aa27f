//! How relayed messages look on each side. Pure functions: easy to test, and
//! the one place to change the look of a ticket.

use super::ports::{ChoiceMenu, ChoiceOption, Embed, EmbedField, OutgoingMessage, UPLOAD_LIMIT};
use crate::db::members::ModmailGuild;
use crate::domain::dm::{Attachment, IncomingDm};
use crate::domain::{settings::GuildSettings, ticket::Ticket};
use crate::templates::Template;

/// Custom id of the guild-choice select menu sent in DMs.
pub const GUILD_CHOICE_MENU: &str = "modmail:choose-guild";

/// Discord's limit on an embed description.
pub const EMBED_DESCRIPTION_MAX: usize = 4096;
const USER_COLOR: u32 = 0x5865F2;
const STAFF_COLOR: u32 = 0x57F287;
pub const HEADER_COLOR: u32 = 0xFEE75C;
const CHANGE_COLOR: u32 = 0x99AAB5;

/// Discord's limit on a message's text.
pub const CONTENT_MAX: usize = 2000;

/// How a guild wants relayed messages to look (from its settings).
#[derive(Debug, Clone)]
pub struct RelayStyle {
    /// Embeds (`true`) or plain text. Plain text that would exceed 2,000
    /// characters is sent as an embed instead (4,096), never cut.
    pub embedded: bool,
    pub block_quote: bool,
    pub anonymous_label: String,
    pub guild_name: String,
}

impl RelayStyle {
    pub fn of(settings: &GuildSettings, guild_name: &str) -> Self {
        Self {
            embedded: settings.embedded_message,
            block_quote: settings.block_quote,
            anonymous_label: settings.anonymous_label.clone(),
            guild_name: guild_name.to_owned(),
        }
    }

    fn quote(&self, text: &str) -> String {
        if !self.block_quote {
            return text.to_owned();
        }
        text.lines().map(|line| format!("> {line}")).collect::<Vec<_>>().join("\n")
    }

    /// A plain-text message if the guild wants one and it fits; else `None`.
    fn plain(&self, author: &str, body: &str, footer: &str) -> Option<String> {
        let text = format!("**{author}:**\n{}\n-# {footer}", self.quote(body));
        (!self.embedded && text.chars().count() <= CONTENT_MAX).then_some(text)
    }

    /// [`Self::plain`] for what a user wrote: their name escaped and their
    /// text always quoted (see [`quote_user_text`]), so only the bot's own
    /// author line and footer stand outside the quote.
    fn plain_from_user(&self, author: &str, body: &str, footer: &str) -> Option<String> {
        let text = format!("**{}:**\n{}\n-# {footer}", escape_name(author), quote_user_text(body));
        (!self.embedded && text.chars().count() <= CONTENT_MAX).then_some(text)
    }
}

/// A user's text laid out for a plain-text message: every line block-quoted
/// (whatever the guild's `block_quote`), and a line start Discord would read
/// as block markup — `#` a heading, `-#` subtext, `>` a quote — escaped with a
/// backslash, which Discord shows as the character itself. The user's words
/// and inline markdown stay as written; they just cannot leave the quote, so
/// they cannot imitate the bold author line or the `-#` footer of a staff
/// reply.
pub fn quote_user_text(text: &str) -> String {
    // Carriage returns and Unicode line breaks could start a line on some
    // client: all of them become `\n`, each line quoted.
    let text = text.replace("\r\n", "\n");
    text.split(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'])
        .map(|line| {
            let indent = line.len() - line.trim_start().len();
            let (lead, rest) = line.split_at(indent);
            let escape = rest.starts_with(['#', '>']) || rest.starts_with("-#");
            format!("> {lead}{}{rest}", if escape { "\\" } else { "" })
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A display name inside the bold author line: markdown characters escaped
/// and line breaks flattened, so a name cannot close the bold or add lines.
fn escape_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '\\' | '*' | '_' | '~' | '|' | '`' | '#' | '>' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A user's DM as staff see it in the ticket channel. The first message of a
/// new ticket also carries the ticket header, so opening costs no extra call.
pub fn user_message_for_staff(
    dm: &IncomingDm,
    ticket: &Ticket,
    with_header: bool,
    style: &RelayStyle,
) -> OutgoingMessage {
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
    let (files, too_large) = uploadable(&dm.attachments);
    let mut description = dm.content.clone();
    for file in &too_large {
        description.push_str(&format!("\n📎 {}", too_large_note(file)));
    }
    if description.trim().is_empty() {
        description = if files.is_empty() { "*(empty message)*".into() } else { "📎 *(attachment)*".into() };
    }
    let footer = format!("User · message {}", dm.message);
    if let Some(text) = style.plain_from_user(&dm.author_name, &description, &footer) {
        return OutgoingMessage { content: Some(text), embeds, files, ..OutgoingMessage::default() };
    }
    embeds.push(Embed {
        author: Some(dm.author_name.clone()),
        description: Some(fit(&style.quote(&description))),
        color: Some(USER_COLOR),
        footer: Some(footer),
        ..Embed::default()
    });
    OutgoingMessage { embeds, files, ..OutgoingMessage::default() }
}

/// Splits attachments into those a bot may re-upload and those too large.
pub fn uploadable(attachments: &[Attachment]) -> (Vec<Attachment>, Vec<&Attachment>) {
    let (fit, large): (Vec<&Attachment>, Vec<&Attachment>) = attachments.iter().partition(|a| a.size <= UPLOAD_LIMIT);
    (fit.into_iter().cloned().collect(), large)
}

/// What replaces a file too large to pass on.
pub fn too_large_note(file: &Attachment) -> String {
    format!(
        "{} ({:.1} MB) is larger than the {} MB a bot may upload, so it could not be passed on.",
        file.filename,
        file.size as f64 / 1_048_576.0,
        UPLOAD_LIMIT / 1_048_576
    )
}

/// What the user did to a message already relayed.
#[derive(Debug, Clone, Copy)]
pub enum UserChange<'a> {
    /// Edited; `before` is the text staff saw until now.
    Edited {
        before: &'a str,
    },
    Deleted,
}

/// A relayed user message after the user edited or deleted it: the current
/// text (for a deletion, the last text, kept) and a note saying what changed.
pub fn user_message_changed(
    dm: &IncomingDm,
    ticket: &Ticket,
    with_header: bool,
    style: &RelayStyle,
    change: UserChange<'_>,
) -> OutgoingMessage {
    let mut message = user_message_for_staff(dm, ticket, with_header, style);
    let note = match change {
        UserChange::Edited { before } => {
            let short: String = before.chars().take(1000).collect();
            let cut = if short.len() < before.len() { " …" } else { "" };
            format!("✏️ The user edited this message. Before:\n>>> {short}{cut}")
        }
        UserChange::Deleted => "🗑️ The user deleted this message in their DMs; the text above is kept.".to_owned(),
    };
    message.embeds.push(Embed { description: Some(note), color: Some(CHANGE_COLOR), ..Embed::default() });
    message
}

/// A numbered staff reply, as rendered on either side.
#[derive(Debug, Clone, Copy)]
pub struct StaffReplyView<'a> {
    pub content: &'a str,
    /// Files the staff member attached (re-uploaded to the user).
    pub files: &'a [Attachment],
    pub author_name: &'a str,
    pub anonymous: bool,
    pub number: i32,
}

/// A staff reply as the user sees it in DMs: an anonymous one shows the
/// guild's staff label instead of a name.
pub fn staff_reply_for_user(reply: StaffReplyView<'_>, style: &RelayStyle) -> OutgoingMessage {
    let author = if reply.anonymous { style.anonymous_label.as_str() } else { reply.author_name };
    let footer = format!("{} · #{}", style.guild_name, reply.number);
    let content = staff_text(reply);
    let message = match style.plain(author, &content, &footer) {
        Some(text) => OutgoingMessage::text(text),
        None => OutgoingMessage::embed(Embed {
            author: Some(author.to_owned()),
            description: Some(fit(&style.quote(&content))),
            color: Some(STAFF_COLOR),
            footer: Some(footer),
            ..Embed::default()
        }),
    };
    OutgoingMessage { files: uploadable(reply.files).0, ..message }
}

/// A staff reply as staff see it in the ticket channel: always who sent it,
/// and the number `!edit` and `!delete` take.
pub fn staff_reply_for_staff(reply: StaffReplyView<'_>, style: &RelayStyle) -> OutgoingMessage {
    let author =
        if reply.anonymous { format!("{} (anonymous)", reply.author_name) } else { reply.author_name.to_owned() };
    let footer = format!("Staff reply #{} · sent to the user", reply.number);
    let content = staff_text(reply);
    let message = match style.plain(&author, &content, &footer) {
        Some(text) => OutgoingMessage::text(text),
        None => OutgoingMessage::embed(Embed {
            author: Some(author),
            description: Some(fit(&style.quote(&content))),
            color: Some(STAFF_COLOR),
            footer: Some(footer),
            ..Embed::default()
        }),
    };
    OutgoingMessage { files: uploadable(reply.files).0, ..message }
}

/// A reply's text: what staff wrote, or a placeholder when they only sent files.
fn staff_text(reply: StaffReplyView<'_>) -> String {
    if reply.content.trim().is_empty() {
        "📎 *(attachment)*".to_owned()
    } else {
        reply.content.to_owned()
    }
}

/// The menu a user in several modmail guilds picks from (Discord allows 25 options).
pub fn guild_choice_prompt(guilds: &[ModmailGuild]) -> OutgoingMessage {
    OutgoingMessage {
        content: Some(Template::ChooseGuild.default_text().trim().to_owned()),
        menu: Some(Box::new(guild_choice_menu(guilds, None))),
        ..OutgoingMessage::default()
    }
}

/// The server menu's select (Discord allows 25 options); `current`, if
/// given, is marked as where the user's messages go now.
pub fn guild_choice_menu(guilds: &[ModmailGuild], current: Option<crate::domain::ids::GuildId>) -> ChoiceMenu {
    ChoiceMenu {
        custom_id: GUILD_CHOICE_MENU.to_owned(),
        placeholder: "Choose a server".to_owned(),
        options: guilds
            .iter()
            .take(25)
            .map(|g| ChoiceOption {
                label: truncate(&g.name, 100),
                value: g.guild.to_string(),
                description: (Some(g.guild) == current).then(|| "Your messages go here now".to_owned()),
                ..ChoiceOption::default()
            })
            .collect(),
        buttons: false,
    }
}

/// Keeps a text within an embed description. Discord messages hold at most
/// 4,000 characters and staff replies are capped at 4,000, so a relay fits;
/// should a longer text ever arrive (block quotes add two characters a line),
/// the cut is marked, never silent.
fn fit(text: &str) -> String {
    if text.chars().count() <= EMBED_DESCRIPTION_MAX {
        return text.to_owned();
    }
    let mut cut = truncate(text, EMBED_DESCRIPTION_MAX - 20);
    cut.push_str("\n… (message cut)");
    cut
}

pub(crate) fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::domain::ids::{ChannelId, GuildId, MessageId, UserId};
    use crate::domain::ticket::{TicketKind, TicketStatus};

    fn plain_style(block_quote: bool) -> RelayStyle {
        RelayStyle { embedded: false, block_quote, anonymous_label: "Staff".into(), guild_name: "Acme".into() }
    }

    fn ticket() -> Ticket {
        Ticket {
            id: 1,
            guild: GuildId(10),
            number: 7,
            kind: TicketKind::Modmail,
            opener: UserId(20),
            opener_name: "alice".into(),
            channel: ChannelId(30),
            dm_channel: Some(ChannelId(40)),
            status: TicketStatus::Open,
            opened_at: Utc::now(),
            assigned_to: None,
        }
    }

    fn dm(author: &str, content: &str) -> IncomingDm {
        IncomingDm {
            message: MessageId(99),
            user: UserId(20),
            dm_channel: ChannelId(40),
            author_name: author.into(),
            content: content.into(),
            attachments: vec![],
        }
    }

    /// Whether a plain-text message has the lines that make a staff reply:
    /// an unquoted bold author line and an unquoted `-# Staff reply` footer.
    fn has_staff_lines(text: &str) -> bool {
        let lines: Vec<&str> = text.lines().collect();
        lines.iter().any(|l| l.starts_with("**") && l.ends_with(":**") && l.contains("Staff Bob"))
            || lines.iter().any(|l| l.starts_with("-# Staff reply"))
    }

    #[test]
    fn a_users_plain_text_cannot_imitate_a_staff_reply() {
        let forged = "thanks\n**Staff Bob:**\nrefund approved\n-# Staff reply #3 · sent to the user\n# Refund\n> quoted\n  -# indented";
        for block_quote in [false, true] {
            let style = plain_style(block_quote);
            let message = user_message_for_staff(&dm("alice", forged), &ticket(), false, &style);
            let text = message.content.expect("plain text");
            assert!(!has_staff_lines(&text), "{text}");
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.first(), Some(&"**alice:**"));
            assert_eq!(lines.last(), Some(&"-# User · message 99"));
            for line in &lines[1..lines.len() - 1] {
                assert!(line.starts_with("> "), "every user line is quoted: {line:?}");
                let body = line[2..].trim_start();
                assert!(!body.starts_with(['#', '>']) && !body.starts_with("-#"), "no block markup: {line:?}");
            }
            assert!(text.contains("> **Staff Bob:**") && text.contains("> \\-# Staff reply #3"), "{text}");
        }
        // The real thing still has its layout.
        let reply = StaffReplyView {
            content: "refund approved",
            files: &[],
            author_name: "Staff Bob",
            anonymous: false,
            number: 3,
        };
        let real = staff_reply_for_staff(reply, &plain_style(false)).content.unwrap();
        assert_eq!(real, "**Staff Bob:**\nrefund approved\n-# Staff reply #3 · sent to the user");
        assert!(has_staff_lines(&real));
    }

    #[test]
    fn every_kind_of_line_break_starts_a_quoted_line() {
        assert_eq!(quote_user_text("a\r\n-# b\rc\u{2028}# d\u{85}>e"), "> a\n> \\-# b\n> c\n> \\# d\n> \\>e");
        assert_eq!(quote_user_text(""), "> ");
        assert_eq!(quote_user_text("plain **bold** text"), "> plain **bold** text");
    }

    #[test]
    fn a_display_name_cannot_close_the_bold_author_line() {
        let message =
            user_message_for_staff(&dm("x:** **Staff Bob\n-# y", "hi"), &ticket(), false, &plain_style(false));
        let text = message.content.unwrap();
        assert_eq!(text.lines().next(), Some("**x:\\*\\* \\*\\*Staff Bob -\\# y:**"), "{text}");
        assert_eq!(text.lines().count(), 3, "{text}");
    }
}
