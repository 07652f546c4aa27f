//! The transcript a modmail user gets: their side of the conversation, built
//! from the relay log, never from the staff channel. It holds the user's own
//! messages (as they last edited them, with their files) and the staff replies
//! as the user received them: anonymous ones under the guild's anonymous
//! label, edited ones in their final text, deleted ones absent. Internal notes,
//! command answers, edit/delete log lines and the real names behind anonymous
//! replies live only in the channel, so they cannot appear here.

use super::super::ports::FetchedMessage;
use crate::db::relay_log::ConversationMessage;
use crate::domain::dm::Attachment;
use crate::domain::ids::{MessageId, UserId};
use crate::domain::ticket::Ticket;

/// The conversation as transcript messages, oldest first. `anonymous_label`
/// is the guild's label for anonymous replies (what the user saw).
pub fn conversation_messages(
    ticket: &Ticket,
    conversation: &[ConversationMessage],
    anonymous_label: &str,
) -> Vec<FetchedMessage> {
    conversation
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let (author, author_name) = if m.to_staff {
                (ticket.opener, ticket.opener_name.clone())
            } else if m.anonymous {
                // Not even the staff member's id: the page must not name them.
                (UserId(0), anonymous_label.to_owned())
            } else {
                (m.author, m.author_name.clone())
            };
            FetchedMessage {
                // Only an order key for the page; no Discord id is shown.
                id: MessageId(i as u64 + 1),
                author,
                author_name,
                author_is_bot: false,
                author_avatar_url: None,
                content: m.content.clone(),
                attachments: m
                    .files
                    .iter()
                    // No link: the relay log keeps names and sizes only.
                    .map(|(filename, size)| Attachment { filename: filename.clone(), url: String::new(), size: *size })
                    .collect(),
                sent_at: m.sent_at,
                edited_at: m.edited_at,
                embeds: Vec::new(),
                mentions: Vec::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::domain::ids::{ChannelId, GuildId};
    use crate::domain::ticket::{TicketKind, TicketStatus};

    fn ticket() -> Ticket {
        Ticket {
            id: 1,
            guild: GuildId(10),
            number: 7,
            kind: TicketKind::Modmail,
            opener: UserId(42),
            opener_name: "alice".into(),
            channel: ChannelId(11),
            dm_channel: Some(ChannelId(12)),
            status: TicketStatus::Closed,
            opened_at: Utc::now(),
            assigned_to: None,
        }
    }

    fn message(to_staff: bool, anonymous: bool, content: &str) -> ConversationMessage {
        ConversationMessage {
            to_staff,
            author: UserId(if to_staff { 42 } else { 99 }),
            author_name: if to_staff { String::new() } else { "Bob Realname".into() },
            anonymous,
            content: content.into(),
            files: vec![("receipt.png".into(), 2048)],
            sent_at: Utc::now(),
            edited_at: None,
            number: (!to_staff).then_some(1),
        }
    }

    #[test]
    fn an_anonymous_reply_shows_the_label_and_neither_the_name_nor_the_id_of_staff() {
        let rows = [message(true, false, "hi"), message(false, true, "hello")];
        let page = conversation_messages(&ticket(), &rows, "Support Team");
        assert_eq!(page[0].author_name, "alice");
        assert_eq!(page[1].author_name, "Support Team");
        assert_eq!(page[1].author, UserId(0));
        assert!(page.iter().all(|m| m.author_name != "Bob Realname"));
    }

    #[test]
    fn files_are_listed_by_name_without_a_link() {
        let page = conversation_messages(&ticket(), &[message(true, false, "see file")], "Staff");
        assert_eq!(page[0].attachments[0].filename, "receipt.png");
        assert!(page[0].attachments[0].url.is_empty());
    }
}
