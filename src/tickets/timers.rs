//! Delayed ticket actions: scheduled closes (made by `/close time:2h` in
//! `close.rs`), reminders, and what fires them. Each timer is a row in PostgreSQL first (the truth),
//! then an entry in the Redis index (the fast path); [`TicketService::fire_timer`]
//! runs a claimed timer and is safe to run twice, and
//! [`TicketService::timer_run_failed`] decides whether a failed run is tried
//! again (with a growing wait) or given up.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use super::error::{Missing, Refusal, TicketError, TicketResult};
use super::outcome::Outcome;
use super::ports::{OutgoingMessage, PortError};
use super::reply::StaffContext;
use super::TicketService;
use crate::db;
use crate::db::timers::{AfterFailure, Removed};
use crate::domain::ticket::Ticket;
use crate::domain::timer::{Timer, TimerKind};
use crate::metrics;

/// Longest reminder text.
pub const REMINDER_MAX: usize = 1000;

impl TicketService {
    /// The user wrote in their ticket: a scheduled close is called off and
    /// staff waiting with `/alert` are pinged, in one message.
    pub(crate) async fn user_wrote(&self, ticket: &Ticket) -> TicketResult<()> {
        let mut tx = self.db.begin().await?;
        let cancelled = db::timers::cancel_close(&mut *tx, ticket.id).await?;
        if cancelled.is_some() {
            db::events::record(&mut *tx, ticket.id, "close_cancelled", None, "the user wrote").await?;
        }
        tx.commit().await?;
        let alerted = db::alerts::take_all(&self.db, ticket.id).await?;
        if cancelled.is_none() && alerted.is_empty() {
            return Ok(());
        }
        let mut lines = Vec::new();
        if cancelled.is_some() {
            lines.push("⏰ The user wrote again, so the scheduled close was cancelled.".to_owned());
        }
        if !alerted.is_empty() {
            let mentions: Vec<String> = alerted.iter().map(|u| format!("<@{u}>")).collect();
            lines.push(format!("🔔 {}: the user replied.", mentions.join(" ")));
        }
        let message = OutgoingMessage { ping_users: alerted, ..OutgoingMessage::text(lines.join("\n")) };
        self.discord.send_message(ticket.channel, &message).await?;
        Ok(())
    }

    /// `/add_reminder time:2h content:…`: pings the staff member in the ticket later.
    #[tracing::instrument(skip(self, ctx, content), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn add_reminder(&self, ctx: &StaffContext, delay: Duration, content: &str) -> TicketResult<Outcome> {
        let (ticket, settings) = self.staff_ticket(ctx).await?;
        let content = content.trim();
        if content.is_empty() || content.chars().count() > REMINDER_MAX {
            return Err(Refusal::ReminderText { prefix: settings.command_prefix }.into());
        }
        let due = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_else(|_| chrono::Duration::days(30));
        let payload = json!({ "content": content, "source": ctx.source.to_string() });
        let mut tx = self.db.begin().await?;
        let (id, number, due) =
            db::timers::add_reminder(&mut tx, ticket.guild, ticket.id, ctx.actor.user, due, payload).await?;
        db::events::record(&mut *tx, ticket.id, "reminder_added", Some(ctx.actor.user), &format!("#{number}")).await?;
        tx.commit().await?;
        self.index_timer(id, due).await;
        Ok(Outcome::Notice(format!(
            "⏰ Reminder #{number} set for <t:{ts}:f> (<t:{ts}:R>). Remove it with `{}remove_reminder {number}`.",
            settings.command_prefix,
            ts = due.timestamp()
        )))
    }

    #[tracing::instrument(skip(self, ctx), fields(guild = %ctx.guild, channel = %ctx.channel))]
    pub async fn remove_reminder(&self, ctx: &StaffContext, number: i32) -> TicketResult<Outcome> {
        let (ticket, _settings) = self.staff_ticket(ctx).await?;
        let mut tx = self.db.begin().await?;
        match db::timers::cancel_reminder(&mut tx, ticket.id, number).await? {
            Removed::Cancelled => {
                db::events::record(
                    &mut *tx,
                    ticket.id,
                    "reminder_removed",
                    Some(ctx.actor.user),
                    &format!("#{number}"),
                )
                .await?;
                tx.commit().await?;
                Ok(Outcome::Notice(format!("Reminder #{number} removed.")))
            }
            Removed::AlreadyDone => Ok(Outcome::Notice(format!("Reminder #{number} already went off or was removed."))),
            Removed::Unknown => Err(Refusal::NotFound { what: Missing::Reminder { number } }.into()),
        }
    }

    /// Puts a timer in the Redis index. If Redis is down the timer is still
    /// safe in PostgreSQL: the next rebuild of the index picks it up.
    pub(crate) async fn index_timer(&self, id: i64, due: chrono::DateTime<Utc>) {
        if let Err(e) = self.timer_index.add(&[(id, due)]).await {
            tracing::warn!(error = %e, timer = id, "could not index a timer; the next rebuild will");
        }
    }

    /// Runs a claimed timer. Idempotent: a close of a closed ticket does
    /// nothing, and a reminder's send carries a nonce.
    #[tracing::instrument(skip(self, timer), fields(timer = timer.id, kind = timer.kind.as_str()))]
    pub async fn fire_timer(&self, timer: &Timer) -> TicketResult<()> {
        let ticket = match timer.ticket_id {
            Some(id) => db::tickets::by_id(&self.db, id).await?,
            None => None,
        };
        match timer.kind {
            TimerKind::Close => {
                let Some(ticket) = ticket.filter(Ticket::is_open) else {
                    return Ok(());
                };
                let silent = timer.payload["silent"].as_bool().unwrap_or(false);
                self.close_ticket(&ticket, timer.created_by, !silent).await?;
            }
            TimerKind::Reminder => {
                let Some(ticket) = ticket.filter(Ticket::is_open) else {
                    return Ok(());
                };
                let content = timer.payload["content"].as_str().unwrap_or_default();
                let number = timer.number.unwrap_or_default();
                let (text, ping) = match timer.created_by {
                    Some(staff) => (format!("⏰ <@{staff}>, reminder #{number}: {content}"), vec![staff]),
                    None => (format!("⏰ Reminder #{number}: {content}"), Vec::new()),
                };
                let message = OutgoingMessage { ping_users: ping, ..OutgoingMessage::text(text) }
                    .with_nonce(timer.id.unsigned_abs());
                self.discord.send_message(ticket.channel, &message).await?;
            }
            TimerKind::CategoryPrompt => self.category_prompt_timed_out(timer).await?,
            TimerKind::ServerChoice => self.server_choice_timed_out(timer).await?,
            TimerKind::MenuRefresh => {
                self.refresh_menu(timer.guild).await?;
            }
        }
        metrics::timer_fired(timer.kind.as_str());
        Ok(())
    }

    /// A run of a claimed timer failed with `error`: it is tried again after
    /// a wait that doubles with each attempt, unless the error is one retrying
    /// cannot fix or the attempts are spent; then it is marked `failed` and,
    /// if it belongs to a ticket, a `timer_failed` event says so (`/logs`,
    /// the API). Returns what became of it.
    #[tracing::instrument(skip(self, timer, error, policy), fields(timer = timer.id, kind = timer.kind.as_str()))]
    pub async fn timer_run_failed(
        &self,
        timer: &Timer,
        error: &TicketError,
        policy: &RetryPolicy,
    ) -> TicketResult<AfterFailure> {
        let permanent = is_permanent(error);
        let give_up = permanent || timer.attempts >= i32::try_from(policy.max_attempts).unwrap_or(i32::MAX);
        let reason = super::render::truncate(&error.to_string(), 300);
        let wait = match error {
            // The fleet's REST budget (or Discord) had no room for it: nothing
            // is wrong with the timer, the bot is busy. Soon again, so a menu
            // refresh starved by a storm of openings shows the count seconds
            // after the storm, not half a minute; never sooner than asked.
            TicketError::Discord(e @ PortError::RateLimited { .. }) => {
                policy.backoff_when_busy(timer.attempts, e.retry_after().unwrap_or_default())
            }
            _ => policy.backoff(timer.attempts),
        };
        self.record_timer_failure(timer, &reason, give_up, permanent, wait).await
    }

    /// A claimed timer whose earlier runs all ended without an outcome (the
    /// process running it stopped each time: a crash, an OOM kill, a run
    /// that outlived its lease) and whose attempts are spent: it is marked
    /// `failed` without being run again, so a timer that takes its process
    /// down cannot do so for ever.
    #[tracing::instrument(skip(self, timer, policy), fields(timer = timer.id, kind = timer.kind.as_str()))]
    pub async fn timer_never_finished(&self, timer: &Timer, policy: &RetryPolicy) -> TicketResult<AfterFailure> {
        let reason = format!("its runs never finished ({} started, none ended)", timer.attempts - 1);
        self.record_timer_failure(timer, &reason, true, false, policy.backoff(timer.attempts)).await
    }

    async fn record_timer_failure(
        &self,
        timer: &Timer,
        reason: &str,
        give_up: bool,
        permanent: bool,
        wait: Duration,
    ) -> TicketResult<AfterFailure> {
        // The failure and the event that tells of it are kept together.
        let mut tx = self.db.begin().await?;
        let after = db::timers::record_failure(&mut *tx, timer.id, reason, give_up, wait).await?;
        match after {
            AfterFailure::Retry(at) => {
                metrics::timer_failure(timer.kind.as_str(), false);
                tracing::warn!(attempts = timer.attempts, %at, error = %reason, "timer failed; it will be retried");
            }
            AfterFailure::Failed => {
                metrics::timer_failure(timer.kind.as_str(), true);
                tracing::error!(attempts = timer.attempts, permanent, error = %reason, "timer failed; given up");
                if let Some(ticket) = timer.ticket_id {
                    let attempts = match timer.attempts {
                        1 => "1 attempt".to_owned(),
                        n => format!("{n} attempts"),
                    };
                    let detail = format!("{} after {attempts}: {reason}", describe(timer));
                    db::events::record(&mut *tx, ticket, "timer_failed", None, &detail).await?;
                }
            }
            AfterFailure::Gone => {}
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Rebuilds the Redis index from PostgreSQL (after a Redis restart, or a
    /// timer whose indexing failed). Returns how many pending timers there are.
    pub async fn reindex_timers(&self) -> TicketResult<usize> {
        let pending = db::timers::pending(&self.db).await?;
        self.timer_index.add(&pending).await?;
        Ok(pending.len())
    }

    pub fn timer_index(&self) -> &crate::redis::timer_index::TimerIndex {
        &self.timer_index
    }
}

/// How failed timers are tried again (`TICKETEER_TIMER_RETRY_*`,
/// `TICKETEER_TIMER_MAX_ATTEMPTS`).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Wait after the first failed run; doubled after each further one.
    pub base: Duration,
    /// Longest wait.
    pub max: Duration,
    /// Runs before giving up.
    pub max_attempts: u32,
}

impl RetryPolicy {
    /// The wait before the next run, after `attempts` runs failed.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let doublings = attempts.saturating_sub(1).clamp(0, 20).unsigned_abs();
        self.base.saturating_mul(1 << doublings).min(self.max)
    }

    /// The wait before the next run after `attempts` runs were refused for
    /// want of REST budget, the last asking to wait `asked`: from
    /// `BUSY_BASE`, doubled each time, at most `max`, never under `asked`.
    /// Such runs still count toward `max_attempts`.
    pub fn backoff_when_busy(&self, attempts: i32, asked: Duration) -> Duration {
        let doublings = attempts.saturating_sub(1).clamp(0, 20).unsigned_abs();
        BUSY_BASE.saturating_mul(1 << doublings).min(self.max).max(asked)
    }
}

/// First wait after a run the REST budget had no room for.
const BUSY_BASE: Duration = Duration::from_secs(3);

/// Whether retrying cannot fix `error`. Discord's answers are classified
/// once, in `discord/errors.rs` (`PortError::is_transient`: 429, 5xx,
/// timeouts); the core's refusals are final, except another process holding
/// the guild's lock; PostgreSQL or Redis being unreachable is retried.
pub fn is_permanent(error: &TicketError) -> bool {
    match error {
        // Another process holds the guild's menu lock: it is running.
        TicketError::Refused(Refusal::Busy) => false,
        TicketError::Refused(_) => true,
        TicketError::Discord(e) => !e.is_transient(),
        TicketError::Database(_) | TicketError::Redis(_) => false,
    }
}

/// The timer as a person reads it in `/logs`.
fn describe(timer: &Timer) -> String {
    match timer.kind {
        TimerKind::Close => "the scheduled close".to_owned(),
        TimerKind::Reminder => format!("reminder #{}", timer.number.unwrap_or_default()),
        TimerKind::CategoryPrompt => "the category prompt's timeout".to_owned(),
        TimerKind::MenuRefresh => "the ticket menu refresh".to_owned(),
        TimerKind::ServerChoice => "the server menu's timeout".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tickets::ports::PortError;

    #[test]
    fn the_wait_between_runs_doubles_up_to_its_cap() {
        let policy = RetryPolicy { base: Duration::from_secs(30), max: Duration::from_secs(300), max_attempts: 6 };
        let waits: Vec<u64> = (1..=6).map(|n| policy.backoff(n).as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 300, 300]);
        let busy: Vec<u64> = (1..=6).map(|n| policy.backoff_when_busy(n, Duration::from_secs(1)).as_secs()).collect();
        assert_eq!(busy, [3, 6, 12, 24, 48, 96], "a run the budget had no room for is tried again sooner");
        assert_eq!(
            policy.backoff_when_busy(1, Duration::from_secs(20)),
            Duration::from_secs(20),
            "never sooner than asked"
        );
        assert_eq!(policy.backoff(i32::MAX), Duration::from_secs(300), "no overflow");
    }

    #[test]
    fn discord_refusals_are_permanent_and_outages_are_not() {
        let discord = |e: PortError| is_permanent(&TicketError::Discord(e));
        assert!(discord(PortError::NotFound));
        assert!(discord(PortError::MissingPermissions));
        assert!(discord(PortError::Other("HTTP 400: {\"code\": 50035}".into())));
        assert!(!discord(PortError::Unavailable("HTTP 500".into())));
        assert!(!discord(PortError::Unavailable("request timed out".into())));
        assert!(!is_permanent(&TicketError::Refused(Refusal::Busy)));
        assert!(is_permanent(&TicketError::Refused(Refusal::NotStaff)));
    }
}
