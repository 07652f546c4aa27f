//! A direct message to the bot as the core sees it, and the files on it.

use serde::{Deserialize, Serialize};

use super::ids::{ChannelId, MessageId, UserId};

/// A DM as the core sees it.
#[derive(Debug, Clone)]
pub struct IncomingDm {
    pub message: MessageId,
    pub user: UserId,
    pub dm_channel: ChannelId,
    pub author_name: String,
    pub content: String,
    pub attachments: Vec<Attachment>,
}

/// A file on a message. `url` is a signed link to a private file (Discord's
/// CDN): it is stored and fetched, never logged — hence the hand-written
/// `Debug`, which every log line, span field and error that shows an
/// attachment goes through.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct Attachment {
    pub filename: String,
    pub url: String,
    pub size: u64,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment").field("filename", &self.filename).field("size", &self.size).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attachment_shows_its_name_and_size_but_never_its_url() {
        let file = Attachment {
            filename: "invoice.pdf".into(),
            url: "https://cdn.discordapp.com/attachments/1/2/invoice.pdf?ex=1&is=2&hm=secret".into(),
            size: 2048,
        };
        let dm = IncomingDm {
            message: MessageId(1),
            user: UserId(2),
            dm_channel: ChannelId(3),
            author_name: "alice".into(),
            content: "see attached".into(),
            attachments: vec![file.clone()],
        };
        for shown in [format!("{file:?}"), format!("{file:#?}"), format!("{dm:?}")] {
            assert!(shown.contains("invoice.pdf") && shown.contains("2048"), "{shown}");
            assert!(!shown.contains("cdn.discordapp.com") && !shown.contains("hm=secret"), "{shown}");
        }
    }
}
