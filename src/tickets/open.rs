//! Opening a ticket: the one implementation behind a DM, a staff command, a
//! panel form or the API.
//!
//! Under a Redis lock per (guild, user), one PostgreSQL transaction takes the
//! next per-guild number, creates the Discord channel and inserts the ticket.
//! If the channel cannot be created the transaction rolls back (the number is
//! given back); if the insert or commit fails the channel is deleted again. So
//! there is never a ticket row without its channel, nor a channel without its row.

use std::time::Duration;

use super::error::{Refusal, TicketError, TicketResult};
use super::ports::{PortError, TicketChannelSpec};
use super::TicketService;
use crate::db;
use crate::db::tickets::NewTicket;
use crate::domain::category::ModmailCategory;
use crate::domain::ids::{ChannelId, GuildId, UserId};
use crate::domain::ticket::{Ticket, TicketKind};
use crate::metrics;
use crate::redis::lock::Lock;

#[derive(Debug, Clone)]
pub struct OpenRequest {
    pub guild: GuildId,
    pub opener: UserId,
    pub opener_name: String,
    /// The opener, or the staff member who opened it for them.
    pub opened_by: UserId,
    pub kind: TicketKind,
    pub dm_channel: Option<ChannelId>,
    /// The modmail category the user picked: the ticket opens in its Discord
    /// category instead of the inbox.
    pub category: Option<ModmailCategory>,
    /// A panel ticket's type and intake answers (`kind` is then `Panel`).
    pub panel: Option<PanelPick>,
}

/// What a member chose and answered in the ticket menu.
#[derive(Debug, Clone)]
pub struct PanelPick {
    pub type_id: i64,
    pub type_name: String,
    /// (question, answer) in the form's order; unanswered optional ones are left out.
    pub answers: Vec<(String, String)>,
}

/// Where an opening ticket's channel comes from.
enum ChannelSource {
    /// A new private channel, made to this spec (name and topic filled in),
    /// in the inbox or, if it is full, in an overflow category.
    Create(TicketChannelSpec),
    /// A channel staff already created.
    Existing(ChannelId),
}

#[derive(Debug)]
pub enum Opened {
    New(Ticket),
    /// The user already had an open ticket there; nothing was created.
    Existing(Ticket),
}

/// Channels in a guild from which staff are warned (Discord's limit is 500).
const GUILD_CHANNEL_WARNING: usize = 450;
const OPEN_LOCK_TTL: Duration = Duration::from_secs(60);
const OPEN_LOCK_WAIT: Duration = Duration::from_secs(20);

impl TicketService {
    #[tracing::instrument(skip(self, request), fields(guild = %request.guild, opener = %request.opener))]
    pub async fn open_ticket(&self, request: &OpenRequest) -> TicketResult<Opened> {
        let (parent, staff_role, limit) = match &request.panel {
            None => {
                let settings = db::settings::get(&self.db, request.guild).await?;
                let (true, Some(inbox), Some(staff_role)) =
                    (settings.modmail_enabled, settings.inbox_category, settings.staff_role)
                else {
                    return Err(Refusal::ModmailNotSetUp.into());
                };
                (request.category.as_ref().map_or(inbox, |c| c.discord_category), Some(staff_role), 1)
            }
            Some(_) => {
                let panel = db::panel::settings(&self.db, request.guild).await?.ok_or(Refusal::PanelNotSetUp)?;
                (panel.category, panel.support_role, panel.max_open_per_member)
            }
        };
        let key = self.keys.ticket_open_lock(request.guild, request.opener);
        let lock = Lock::acquire(&self.redis, key, OPEN_LOCK_TTL, OPEN_LOCK_WAIT).await?.ok_or(Refusal::Busy)?;
        let spec = TicketChannelSpec {
            guild: request.guild,
            parent,
            name: String::new(),
            topic: String::new(),
            staff_role,
            members: match request.kind {
                TicketKind::Modmail => Vec::new(),
                TicketKind::Panel => vec![request.opener],
            },
        };
        let opened = self.open_locked(request, ChannelSource::Create(spec), limit).await;
        if let Err(e) = lock.release().await {
            tracing::warn!(error = %e, "could not release the ticket-open lock; it will expire");
        }
        opened
    }

    /// Turns a channel staff created into the user's ticket
    /// (`create_ticket_by_create_channel`): the same numbering and record as
    /// any ticket, without creating a channel.
    #[tracing::instrument(skip(self, request), fields(guild = %request.guild, opener = %request.opener))]
    pub async fn adopt_channel(&self, request: &OpenRequest, channel: ChannelId) -> TicketResult<Opened> {
        let key = self.keys.ticket_open_lock(request.guild, request.opener);
        let lock = Lock::acquire(&self.redis, key, OPEN_LOCK_TTL, OPEN_LOCK_WAIT).await?.ok_or(Refusal::Busy)?;
        let opened = self.open_locked(request, ChannelSource::Existing(channel), 1).await;
        if let Err(e) = lock.release().await {
            tracing::warn!(error = %e, "could not release the ticket-open lock; it will expire");
        }
        opened
    }

    /// `limit`: open tickets of this kind the opener may have in the guild
    /// (modmail: one, also guarded by a unique index; panel: the guild's
    /// setting, counted while the guild's counter row is locked, so a burst
    /// of clicks cannot slip past it).
    async fn open_locked(&self, request: &OpenRequest, source: ChannelSource, limit: i32) -> TicketResult<Opened> {
        // Wait here, without a connection, behind the guild's other openings.
        let _place = self.openings.enter(request.guild).await;
        if request.kind == TicketKind::Modmail {
            if let Some(existing) = db::tickets::open_modmail_in_guild(&self.db, request.guild, request.opener).await? {
                return Ok(Opened::Existing(existing));
            }
        }
        let mut tx = self.db.begin().await?;
        let number = db::tickets::next_number(&mut tx, request.guild).await?;
        // Dropping `tx` on any early return rolls the number back.
        if request.kind == TicketKind::Panel {
            let open = db::tickets::open_panel_of(&mut *tx, request.guild, request.opener).await?;
            if open.len() >= usize::try_from(limit).unwrap_or(1) {
                if let Some(existing) = open.into_iter().next() {
                    return Ok(Opened::Existing(existing));
                }
            }
        }
        let (channel, created) = match source {
            ChannelSource::Create(mut spec) => {
                spec.name = match &request.panel {
                    Some(pick) => panel_channel_name(&pick.type_name, number),
                    None => channel_name(number, &request.opener_name),
                };
                spec.topic = match &request.panel {
                    Some(pick) => format!(
                        "{} ticket #{number} for <@{opener}> (user id {opener})",
                        pick.type_name,
                        opener = request.opener
                    ),
                    None => {
                        format!("Modmail ticket #{number} for <@{opener}> (user id {opener})", opener = request.opener)
                    }
                };
                (self.create_with_overflow(&mut tx, &mut spec, request.kind).await?, true)
            }
            ChannelSource::Existing(channel) => (channel, false),
        };
        let new = NewTicket {
            guild: request.guild,
            number,
            kind: request.kind,
            opener: request.opener,
            channel,
            dm_channel: request.dm_channel,
            opener_name: request.opener_name.clone(),
            modmail_category: request.category.as_ref().map(|c| c.id),
            ticket_type: request.panel.as_ref().map(|p| p.type_id),
            answers: request.panel.as_ref().map(|p| p.answers.clone()),
        };
        let detail = if request.opened_by == request.opener { "" } else { "by staff" };
        let inserted = match db::tickets::insert(&mut tx, &new).await {
            // The user's category prompt, if any, is answered by this ticket;
            // the opening is logged with it.
            Ok(ticket) => match db::prompts::finish(&mut tx, request.opener, request.guild).await {
                Ok(()) => db::events::record(&mut *tx, ticket.id, "opened", Some(request.opened_by), detail)
                    .await
                    .map(|()| ticket),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        let ticket = match inserted {
            Ok(ticket) => ticket,
            Err(e) => {
                if created {
                    self.discard_channel(channel).await;
                }
                return Err(e.into());
            }
        };
        if let Err(e) = tx.commit().await {
            if created {
                self.discard_channel(channel).await;
            }
            return Err(e.into());
        }
        metrics::ticket_opened(request.kind.as_str());
        self.warn_if_guild_nearly_full(&ticket).await;
        tracing::info!(ticket = ticket.id, number, channel = %channel, "ticket opened");
        Ok(Opened::New(ticket))
    }

    /// Creates the ticket channel in its category (the modmail inbox, or the
    /// panel's category); if that is full (50 channels), in the newest
    /// overflow category of that kind with room; if all are full, in a new
    /// overflow category (remembered in the guild's settings of that kind).
    ///
    /// Runs while the guild's counter row is locked, so openings in one guild
    /// take turns here and the overflow list read now includes a category
    /// the previous opening just made: a burst makes one category, not many.
    ///
    /// It uses only the opening's own connection (`tx`): a burst of openings
    /// waiting on the row lock holds pool connections, and the holder must
    /// never need another one.
    async fn create_with_overflow(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        spec: &mut TicketChannelSpec,
        kind: TicketKind,
    ) -> TicketResult<ChannelId> {
        let overflow = db::overflow_categories::list(&mut **tx, spec.guild, kind).await?;
        let home = spec.parent;
        for parent in std::iter::once(home).chain(overflow.iter().rev().copied()) {
            spec.parent = parent;
            match self.discord.create_ticket_channel(spec).await {
                Ok(channel) => return Ok(channel),
                Err(PortError::CategoryFull) => continue,
                // An overflow category deleted by hand: try the next one.
                Err(PortError::NotFound) if parent != home => continue,
                Err(e) => return Err(open_refusal(e)),
            }
        }
        let home_name = self.discord.channel_info(home).await.map(|c| c.name).unwrap_or_else(|_| "Tickets".into());
        let name = format!("{home_name} {}", overflow.len() + 2);
        let category =
            self.discord.create_private_category(spec.guild, &name, spec.staff_role).await.map_err(open_refusal)?;
        db::overflow_categories::add(&mut **tx, spec.guild, kind, category).await?;
        tracing::info!(guild = %spec.guild, %category, "the ticket category is full; opened an overflow category");
        spec.parent = category;
        self.discord.create_ticket_channel(spec).await.map_err(open_refusal)
    }

    /// Tells staff, in the new ticket, when the guild nears Discord's limit of
    /// 500 channels (at most every 6 hours per guild).
    pub(crate) async fn warn_if_guild_nearly_full(&self, ticket: &Ticket) {
        // This process's cache if it owns the guild, else what the owner shared.
        let count = match self.discord.known_channel_count(ticket.guild) {
            Some(count) => Some(count),
            None => self.channel_counts.get(ticket.guild).await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "could not read the guild's channel count");
                None
            }),
        };
        let Some(count) = count else {
            return;
        };
        if count < GUILD_CHANNEL_WARNING {
            return;
        }
        // A set-once flag (`SET NX PX`), never released: it expires.
        let key = self.keys.guild_full_warning(ticket.guild);
        match Lock::try_acquire(&self.redis, key, Duration::from_secs(6 * 3600)).await {
            Ok(Some(_held)) => {}
            _ => return,
        }
        let text = format!(
            "⚠️ This server has {count} of the 500 channels Discord allows. Close or archive tickets (or delete channels) soon: at 500 no ticket can open."
        );
        if let Err(e) = self.discord.send_message(ticket.channel, &super::ports::OutgoingMessage::text(text)).await {
            tracing::warn!(error = %e, "could not warn about the channel limit");
        }
    }

    /// The cluster owning `guild` saw its channels change: shares the count,
    /// so any cluster opening a ticket there can warn before the limit.
    pub async fn guild_channels_counted(&self, guild: GuildId, count: usize) {
        if let Err(e) = self.channel_counts.set(guild, count).await {
            tracing::warn!(error = %e, %guild, "could not share the guild's channel count");
        }
    }

    /// Deletes a channel made for a ticket that could not be recorded.
    async fn discard_channel(&self, channel: ChannelId) {
        if let Err(e) = self.discord.delete_channel(channel).await {
            tracing::error!(error = %e, %channel, "could not delete the channel of a ticket that failed to open");
        }
    }
}

fn open_refusal(error: PortError) -> TicketError {
    match error {
        PortError::CategoryFull => Refusal::InboxFull.into(),
        PortError::GuildFull => Refusal::GuildFull.into(),
        PortError::MissingPermissions => Refusal::BotMissingPermissions.into(),
        other => other.into(),
    }
}

/// `billing-0042`: the type, then the per-server number.
pub fn panel_channel_name(type_name: &str, number: i32) -> String {
    let slug = slug(type_name, 24);
    if slug.is_empty() {
        format!("ticket-{number:04}")
    } else {
        format!("{slug}-{number:04}")
    }
}

/// A name reduced to what Discord keeps in a channel name.
fn slug(name: &str, max: usize) -> String {
    let mut slug: String =
        name.to_lowercase().chars().map(|c| if c.is_alphanumeric() || c == '_' { c } else { '-' }).collect();
    while slug.contains("--") {
        slug = slug.replace("--", "-");
    }
    slug.trim_matches('-').chars().take(max).collect::<String>().trim_matches('-').to_owned()
}

/// `0042-alice`: the number first so channels sort by age; the name reduced to
/// what Discord keeps in a channel name.
pub fn channel_name(number: i32, opener_name: &str) -> String {
    let slug = slug(opener_name, 24);
    if slug.is_empty() {
        format!("{number:04}-ticket")
    } else {
        format!("{number:04}-{slug}")
    }
}

#[cfg(test)]
mod tests {
    use super::{channel_name, panel_channel_name};

    #[test]
    fn panel_channels_are_named_from_the_type_and_number() {
        assert_eq!(panel_channel_name("Billing", 42), "billing-0042");
        assert_eq!(panel_channel_name("Report a user", 7), "report-a-user-0007");
        assert_eq!(panel_channel_name("!!!", 1), "ticket-0001");
    }

    #[test]
    fn channel_names_start_with_the_padded_number() {
        assert_eq!(channel_name(42, "Alice"), "0042-alice");
        assert_eq!(channel_name(12345, "bob"), "12345-bob");
    }

    #[test]
    fn channel_names_drop_what_discord_would_reject() {
        assert_eq!(channel_name(1, "  Mr. Smith!! "), "0001-mr-smith");
        assert_eq!(channel_name(2, "@@@"), "0002-ticket");
    }
}
