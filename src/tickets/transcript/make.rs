//! Making a closed ticket's transcript: every message of its channel, read
//! page by page (Discord gives at most 100 per request) before the channel
//! goes, rendered, stored in PostgreSQL with its retention, and delivered
//! once: DMed to the opener and attached to the log channel's entry.
//!
//! Why PostgreSQL: a transcript belongs to its ticket row (same guild
//! scoping, same backups, deleted with the guild's data), pages are a few
//! hundred kilobytes, and the API serves them with one indexed read. A file
//! store behind an interface would pay for itself only at a size we are far
//! from.

use chrono::{Duration, Utc};

use super::super::error::TicketResult;
use super::super::ports::{FetchedMessage, OutgoingMessage, PortError, Upload, UPLOAD_LIMIT};
use super::super::TicketService;
use super::html::{self, TranscriptHeader};
use super::markdown::Names;
use super::member;
use crate::db;
use crate::domain::ids::MessageId;
use crate::domain::ticket::{Ticket, TicketKind};

/// A closed ticket's transcripts, as files: the staff channel's full one (the
/// log channel and the API), and the one its user or member gets.
#[derive(Debug, Clone)]
pub(crate) struct Transcripts {
    pub staff: Upload,
    pub member: Upload,
}

/// How long transcript links in close DMs stay valid (the Free plan's
/// retention; a Premium transcript outlives its link, and staff can still
/// reach it through the API).
pub const RETENTION_DAYS: i64 = 30;
/// Messages a transcript keeps unless configured
/// (`TICKETEER_TRANSCRIPT_MAX_MESSAGES`): far beyond a real ticket, and a
/// page of a few megabytes, so closing a flooded channel stays bounded in
/// memory and time.
pub const DEFAULT_MAX_MESSAGES: usize = 10_000;

impl TicketService {
    /// Makes and stores the ticket's transcripts unless they exist. Returns the
    /// files to deliver when they were made now (so a replay delivers nothing
    /// twice); `None` if they existed or the channel is already gone.
    pub(crate) async fn ensure_transcript(&self, ticket: &Ticket) -> TicketResult<Option<Transcripts>> {
        if db::transcripts::exists(&self.db, ticket.id).await? {
            return Ok(None);
        }
        let mut messages = match self.read_channel(ticket).await {
            Ok(messages) => messages,
            Err(PortError::NotFound) => {
                tracing::warn!(ticket = ticket.id, "the ticket channel is gone; no transcript");
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        if messages.len() > self.transcript_max_messages {
            // One more than kept was read: say that the rest is missing.
            messages.truncate(self.transcript_max_messages);
            messages.push(cut_note(ticket, self.transcript_max_messages, messages.last().map(|m| m.sent_at)));
        }
        let guild_name = db::guilds::name(&self.db, ticket.guild).await?.unwrap_or_default();
        let kind_label = match ticket.kind {
            TicketKind::Modmail => "Modmail".to_owned(),
            TicketKind::Panel => db::tickets::type_name(&self.db, ticket.id).await?.unwrap_or_else(|| "Support".into()),
        };
        let header = TranscriptHeader {
            guild_name: guild_name.clone(),
            ticket_number: ticket.number,
            kind_label,
            opener_name: ticket.opener_name.clone(),
            opened_at: ticket.opened_at,
            closed_at: Utc::now(),
        };
        let known = self.discord.known_names(ticket.guild).await;
        let names = Names { users: std::collections::HashMap::new(), roles: known.roles, channels: known.channels };
        let page = html::render(&header, &messages, &names);
        // The modmail user's own transcript comes from the relay log (what
        // they sent and received), never from the staff channel; a panel
        // ticket's member sees the channel, so the channel's page is theirs.
        let member_page = match ticket.kind {
            TicketKind::Modmail => {
                let settings = db::settings::get(&self.db, ticket.guild).await?;
                let max = self.transcript_max_messages;
                let conversation = db::relay_log::conversation(&self.db, ticket.id, max as i64 + 1).await?;
                let mut messages = member::conversation_messages(ticket, &conversation, &settings.anonymous_label);
                if messages.len() > max {
                    messages.truncate(max);
                    messages.push(cut_note(ticket, max, messages.last().map(|m| m.sent_at)));
                }
                let plain = Names::default();
                Some(html::render(&header, &messages, &plain))
            }
            TicketKind::Panel => None,
        };
        let count = i32::try_from(messages.len()).unwrap_or(i32::MAX);
        let days = db::billing::plan(&self.db, ticket.guild).await?.limits().transcript_days;
        let expires = Utc::now() + Duration::days(days);
        let stored = db::transcripts::NewTranscript {
            ticket_id: ticket.id,
            guild: ticket.guild,
            html: &page,
            member_html: member_page.as_deref(),
            message_count: count,
            expires_at: expires,
        };
        if !db::transcripts::save(&self.db, &stored).await? {
            return Ok(None);
        }
        tracing::info!(ticket = ticket.id, messages = count, bytes = page.len(), "transcript stored");
        let filename = format!("transcript-{}-{}.html", slug(&guild_name), ticket.number);
        let staff = Upload { filename: filename.clone(), bytes: page.into_bytes() };
        let member = match member_page {
            Some(page) => Upload { filename, bytes: page.into_bytes() },
            None => staff.clone(),
        };
        Ok(Some(Transcripts { staff, member }))
    }

    /// Deletes every transcript past its retention, a batch at a time.
    pub async fn purge_expired_transcripts(&self) -> TicketResult<u64> {
        let mut total = 0;
        loop {
            let deleted = db::transcripts::delete_expired(&self.db, 500).await?;
            total += deleted;
            if deleted < 500 {
                return Ok(total);
            }
        }
    }

    /// The ticket channel's messages, oldest first: all of them, or one more
    /// than the transcript keeps (so the cut can be noted).
    async fn read_channel(&self, ticket: &Ticket) -> Result<Vec<FetchedMessage>, PortError> {
        let mut all = Vec::new();
        // Every message of a channel has a larger id than the channel itself.
        let mut after = MessageId(ticket.channel.get());
        while all.len() <= self.transcript_max_messages {
            let page = self.discord.messages_after(ticket.channel, after, 100).await?;
            let Some(last) = page.last().map(|m| m.id) else {
                break;
            };
            let full = page.len() == 100;
            all.extend(page);
            if !full {
                break;
            }
            after = last;
        }
        Ok(all)
    }

    /// DMs the member's transcript to the opener, below `text` (a modmail ticket's
    /// close message) if given. Closed DMs are recorded, not fatal.
    pub(crate) async fn deliver_transcript(&self, ticket: &Ticket, transcript: &Upload, text: Option<String>) {
        let guild_name = db::guilds::name(&self.db, ticket.guild).await.ok().flatten().unwrap_or_default();
        let dm = match ticket.dm_channel {
            Some(channel) => Ok(channel),
            None => self.discord.open_dm(ticket.opener).await,
        };
        let fits = transcript.bytes.len() as u64 <= UPLOAD_LIMIT;
        let link = self.transcript_links.as_ref().map(|links| {
            let expires = Utc::now() + Duration::days(RETENTION_DAYS);
            format!("\nRead it online until {}: {}", expires.format("%Y-%m-%d"), links.url(ticket.id, expires))
        });
        let mut note = match (fits, link.is_some()) {
            (true, _) => format!("📄 The transcript of your ticket #{} in **{guild_name}** is attached.", ticket.number),
            (false, true) => format!("📄 The transcript of your ticket #{} in **{guild_name}** is too large to attach.", ticket.number),
            (false, false) => format!(
                "📄 The transcript of your ticket #{} in **{guild_name}** is too large to attach; the server's staff can send it to you.",
                ticket.number
            ),
        };
        note.push_str(link.as_deref().unwrap_or_default());
        let mut message = OutgoingMessage::text(match text {
            Some(text) => format!("{text}\n\n{note}"),
            None => note,
        });
        if fits {
            message.uploads.push(transcript.clone());
        }
        let sent = match dm {
            Ok(channel) => self.discord.send_message(channel, &message).await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = sent {
            tracing::info!(error = %e, ticket = ticket.id, "the transcript could not be DMed to the opener");
            let detail = format!("transcript not delivered: {e}");
            if let Err(e) = db::events::record(&self.db, ticket.id, "transcript_undelivered", None, &detail).await {
                tracing::warn!(error = %e, "could not record the failed delivery");
            }
        }
    }
}

/// The last line of a cut transcript.
fn cut_note(ticket: &Ticket, kept: usize, last: Option<chrono::DateTime<Utc>>) -> FetchedMessage {
    FetchedMessage {
        id: MessageId(u64::MAX),
        author: ticket.opener,
        author_name: "Ticketeer".to_owned(),
        author_is_bot: true,
        author_avatar_url: None,
        content: format!(
            "This transcript keeps the first {kept} messages of the ticket; the later ones are not in it."
        ),
        attachments: Vec::new(),
        sent_at: last.unwrap_or_else(Utc::now),
        edited_at: None,
        embeds: Vec::new(),
        mentions: Vec::new(),
    }
}

fn slug(name: &str) -> String {
    let slug: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.is_empty() {
        "server".to_owned()
    } else {
        slug.chars().take(40).collect()
    }
}
