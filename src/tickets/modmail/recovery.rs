//! Recovery: DMs users sent while no bot was listening (an outage, a lost
//! gateway session) are read back from Discord and put through the inbox like
//! any DM, in order. The inbox is keyed by message id, so recovering twice —
//! or recovering a DM the gateway also delivered — relays nothing twice.
//!
//! Run at start-up for every open modmail ticket and every user who DMed
//! recently (DMs that should have opened a ticket), and on demand with
//! `/recover` for one ticket.

use chrono::{DateTime, Utc};

use super::super::error::{Refusal, TicketResult};
use super::super::outcome::Outcome;
use super::super::reply::StaffContext;
use super::super::TicketService;
use crate::db;
use crate::domain::dm::IncomingDm;
use crate::domain::ids::{ChannelId, MessageId, UserId};

/// Discord's epoch (2015-01-01) in Unix milliseconds.
const DISCORD_EPOCH_MS: i64 = 1_420_070_400_000;
/// Most pages read per DM channel in one recovery (100 messages each).
const MAX_PAGES: usize = 20;

/// The smallest snowflake at `at`: "every message after this moment".
pub fn snowflake_at(at: DateTime<Utc>) -> MessageId {
    let ms = (at.timestamp_millis() - DISCORD_EPOCH_MS).max(0);
    MessageId((ms as u64) << 22)
}

impl TicketService {
    /// Reads `user`'s DMs after the last one stored (or after `since`) and
    /// relays what was missing. Returns how many DMs were recovered.
    #[tracing::instrument(skip(self))]
    pub async fn recover_dm_channel(
        &self,
        user: UserId,
        dm_channel: ChannelId,
        since: MessageId,
    ) -> TicketResult<usize> {
        let mut after = db::inbound::latest_of(&self.db, user).await?.map_or(since, |last| last.max(since));
        let mut recovered = 0;
        for _ in 0..MAX_PAGES {
            let page = self.discord.messages_after(dm_channel, after, 100).await?;
            let Some(last) = page.last().map(|m| m.id) else {
                break;
            };
            for message in page.iter().filter(|m| m.author == user && !m.author_is_bot) {
                let dm = IncomingDm {
                    message: message.id,
                    user,
                    dm_channel,
                    author_name: message.author_name.clone(),
                    content: message.content.clone(),
                    attachments: message.attachments.clone(),
                };
                if db::inbound::insert(&self.db, &dm).await? {
                    recovered += 1;
                }
            }
            if page.len() < 100 {
                break;
            }
            after = last;
        }
        if recovered > 0 {
            tracing::info!(recovered, %user, "recovered DMs sent while the bot was away");
            crate::metrics::recovered_messages(recovered as u64);
        }
        self.drain_inbox(user).await?;
        Ok(recovered)
    }

    /// `/recover`: looks for DMs of this ticket's user that never arrived.
    #[tracing::instrument(skip(self, ctx), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn recover_ticket(&self, ctx: &StaffContext) -> TicketResult<Outcome> {
        let (ticket, _settings) = self.staff_ticket(ctx).await?;
        let dm_channel = match ticket.dm_channel {
            Some(channel) => channel,
            None => self.discord.open_dm(ticket.opener).await.map_err(|_| Refusal::UserUnreachable)?,
        };
        let recovered = self.recover_dm_channel(ticket.opener, dm_channel, snowflake_at(ticket.opened_at)).await?;
        Ok(Outcome::Notice(match recovered {
            0 => "No missing messages: everything the user sent is here.".to_owned(),
            1 => "Recovered 1 message the user sent while I was away; it is above now.".to_owned(),
            n => format!("Recovered {n} messages the user sent while I was away; they are above now, in order."),
        }))
    }

    /// Start-up recovery: every open modmail ticket's DM channel, and every
    /// user who DMed within `window`. Returns how many DMs were recovered.
    #[tracing::instrument(skip(self))]
    pub async fn recover_all(&self, window: chrono::Duration) -> TicketResult<usize> {
        let since = Utc::now() - window;
        let channels = db::inbound::recent_dm_channels(&self.db, since).await?;
        let mut total = 0;
        for channel in channels {
            // Each channel is read after its newest stored DM, and never from
            // later than the window's start: a ticket that opened after the
            // restart (a category prompt timing out) may follow DMs the user
            // sent during the outage.
            let from = snowflake_at(channel.ticket_opened_at.map_or(since, |opened| opened.min(since)));
            match self.recover_dm_channel(channel.user, channel.dm_channel, from).await {
                Ok(n) => total += n,
                Err(e) => tracing::warn!(error = %e, user = %channel.user, "could not recover a DM channel"),
            }
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflakes_at_a_moment_compare_with_message_ids() {
        // A real id: 2021-01-01T00:00:00.000Z is 1609459200000 ms.
        let at = DateTime::from_timestamp_millis(1_609_459_200_000).unwrap();
        assert_eq!(snowflake_at(at).get() >> 22, 1_609_459_200_000 - 1_420_070_400_000);
        assert_eq!(snowflake_at(DateTime::from_timestamp_millis(0).unwrap()).get(), 0);
    }
}
