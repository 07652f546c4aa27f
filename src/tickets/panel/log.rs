//! The panel's log channel: an embed for each ticket opened, claimed,
//! closed, and each member added. Logging never fails the action it
//! describes: a missing or unwritable log channel is only reported.

use chrono::Utc;

use super::super::ports::{Embed, EmbedField, OutgoingMessage, Upload, UPLOAD_LIMIT};
use super::super::TicketService;
use crate::db;
use crate::domain::ids::UserId;
use crate::domain::ticket::{Ticket, TicketKind};

/// What happened to a panel ticket.
#[derive(Debug, Clone, Copy)]
pub enum PanelEvent {
    Opened,
    Claimed { by: UserId },
    UserAdded { by: UserId, user: UserId },
    Closed { by: Option<UserId> },
}

impl PanelEvent {
    fn title(self) -> &'static str {
        match self {
            Self::Opened => "Ticket opened",
            Self::Claimed { .. } => "Ticket claimed",
            Self::UserAdded { .. } => "Member added",
            Self::Closed { .. } => "Ticket closed",
        }
    }

    fn color(self) -> u32 {
        match self {
            Self::Opened => 0x57F287,
            Self::Claimed { .. } | Self::UserAdded { .. } => 0x5865F2,
            Self::Closed { .. } => 0xED4245,
        }
    }

    /// Opening and closing happen once per ticket: their log posts carry a
    /// nonce, so a replay posts nothing twice.
    fn nonce(self, ticket: &Ticket) -> Option<u64> {
        let id = ticket.id.unsigned_abs();
        match self {
            Self::Opened => Some(id << 2),
            Self::Closed { .. } => Some((id << 2) | 1),
            _ => None,
        }
    }
}

impl TicketService {
    /// Posts `event` to the panel's log channel, if the ticket is a panel
    /// ticket and the guild has one.
    /// The closing entry carries the transcript, when there is one.
    pub(crate) async fn log_panel_event(&self, ticket: &Ticket, event: PanelEvent, transcript: Option<Upload>) {
        if ticket.kind != TicketKind::Panel {
            return;
        }
        let log_channel = match db::panel::settings(&self.db, ticket.guild).await {
            Ok(Some(settings)) => settings.log_channel,
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the panel's log channel");
                None
            }
        };
        let Some(log_channel) = log_channel else {
            return;
        };
        let mut message = OutgoingMessage::embed(log_embed(ticket, event));
        message.nonce = event.nonce(ticket);
        if let Some(transcript) = transcript.filter(|t| t.bytes.len() as u64 <= UPLOAD_LIMIT) {
            message.uploads.push(transcript);
        }
        if let Err(e) = self.discord.send_message(log_channel, &message).await {
            tracing::warn!(error = %e, ticket = ticket.id, "could not post to the ticket log channel");
        }
    }
}

pub fn log_embed(ticket: &Ticket, event: PanelEvent) -> Embed {
    let mut fields = vec![
        field("Ticket", format!("#{} · <#{}>", ticket.number, ticket.channel)),
        field("Opened by", format!("<@{}>", ticket.opener)),
    ];
    match event {
        PanelEvent::Opened => {}
        PanelEvent::Claimed { by } => fields.push(field("Claimed by", format!("<@{by}>"))),
        PanelEvent::UserAdded { by, user } => {
            fields.push(field("Added", format!("<@{user}>")));
            fields.push(field("By", format!("<@{by}>")));
        }
        PanelEvent::Closed { by } => {
            fields.push(field("Closed by", by.map_or_else(|| "the bot".to_owned(), |u| format!("<@{u}>"))));
        }
    }
    Embed {
        title: Some(event.title().to_owned()),
        color: Some(event.color()),
        fields,
        timestamp: Some(Utc::now()),
        ..Embed::default()
    }
}

fn field(name: &str, value: String) -> EmbedField {
    EmbedField { name: name.to_owned(), value, inline: true }
}
