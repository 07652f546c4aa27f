//! One shard's loop: read events, update the cache and metrics, store DMs in
//! order, and hand each event to a tracked task. Every event is held in the
//! shard's [`Checkpoint`] until its handling ends, and the checkpoint is
//! written every few seconds, so a replacement for a crashed process resumes
//! before anything unfinished. On shutdown it closes with the RESUME code and
//! saves the session for the next start. A fatal close from Discord ends the
//! loop without touching the (ended) connection again and stops the cluster
//! ([`FatalClose`]). Guild, role and channel events also go, in order, to
//! the fleet's guild facts in Redis ([`FactsWriter`]), which a resumed
//! process needs (its gateway cache starts empty).

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;
use twilight_gateway::{CloseFrame, Event, Message, Shard, ShardState, StreamExt as _};

use super::checkpoint::{self, Checkpoint};
use super::dm_spool::DmSpool;
use super::event_lanes::Lane;
use super::facts_writer::FactsWriter;
use super::member_requests::MemberRequester;
use super::queue::RedisIdentifyQueue;
use super::sessions;
use super::{dispatch::dispatch, dispatch::for_handler, WANTED_EVENTS};
use crate::bot::Bot;
use crate::handlers::direct_message;
use crate::metrics::{self, ShardStatus};

/// A shard's fatal close, shared by a cluster's shards: the first one
/// recorded is what the cluster exits with.
#[derive(Clone, Default)]
pub struct FatalClose(Arc<std::sync::Mutex<Option<String>>>);

impl FatalClose {
    fn record(&self, reason: String) {
        let mut first = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        first.get_or_insert(reason);
    }

    /// Why the cluster must stop, if a shard was closed fatally.
    pub fn reason(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// What every shard of a cluster shares.
#[derive(Clone)]
pub struct ClusterShared {
    pub bot: Arc<Bot>,
    /// The bot's shard count.
    pub total: u32,
    /// Event handlers in flight, drained on shutdown.
    pub handlers: TaskTracker,
    pub shutdown: CancellationToken,
    pub fatal: FatalClose,
    pub readiness: Arc<super::readiness::Readiness>,
    /// Full member list requests, over whichever shard owns the guild.
    pub members: Arc<MemberRequester>,
    /// How many events the cluster handles at once, fairly between servers.
    pub event_lanes: Arc<super::event_lanes::EventLanes>,
}

pub async fn run(mut shard: Shard<RedisIdentifyQueue>, shared: ClusterShared) {
    let ClusterShared { bot, total, handlers, shutdown, fatal, readiness, members, event_lanes } = shared;
    let id = shard.id().number();
    let span = tracing::info_span!("shard", shard = id);
    metrics::shard_status(id, ShardStatus::Connecting);
    // Its own token: the spool finishes storing after the loop stops.
    let spool_stop = CancellationToken::new();
    let (spool, spool_task) = DmSpool::start(bot.clone(), handlers.clone(), spool_stop.clone());
    let checkpoint = Arc::new(Checkpoint::default());
    let (facts, facts_task) = FactsWriter::start(bot.guild_facts_store());
    let checkpoint_stop = CancellationToken::new();
    let checkpoint_task =
        tokio::spawn(checkpoint::run(bot.clone(), checkpoint.clone(), id, total, checkpoint_stop.clone()));
    async {
        // The code of the last close Discord sent, for a fatal close's report.
        let mut last_close: Option<u16> = None;
        loop {
            let next = tokio::select! {
                () = shutdown.cancelled() => break,
                next = shard.next_event(WANTED_EVENTS) => next,
            };
            let event = match next {
                Some(Ok(event)) => event,
                Some(Err(e)) => {
                    // Discord's RATE_LIMITED does not parse with twilight 0.18.
                    if let Some(refusal) = super::rate_limited::from_receive_error(&e) {
                        members.refused(&refusal);
                        continue;
                    }
                    let error = super::receive_error::describe(&e);
                    tracing::warn!(%error, "could not receive or parse a gateway event");
                    continue;
                }
                None => break,
            };
            if let Event::GatewayClose(Some(frame)) = &event {
                last_close = Some(frame.code);
            }
            let hold = checkpoint.received(shard.session(), shard.resume_url());
            observe(&shard, id, &event);
            match &event {
                Event::Ready(_) | Event::Resumed => readiness.shard(id, true),
                Event::GatewayClose(_) | Event::GatewayReconnect | Event::GatewayInvalidateSession(_) => {
                    readiness.shard(id, false);
                }
                _ => {}
            }
            if id == 0 && matches!(event, Event::Ready(_)) && bot.config.recover_on_start {
                // A new session: Discord replays nothing the old one missed.
                handlers.spawn(crate::jobs::recovery::after_new_session(bot.clone(), shutdown.clone()));
            }
            bot.cache.update(&event);
            facts.observe(&event, &hold);
            if let Event::MessageCreate(message) = &event {
                if let Some(dm) = direct_message::incoming(message) {
                    // Awaited here, not on the handler task: DMs are stored in
                    // the order Discord sent them (or queued behind those
                    // waiting to be stored; never dropped). A DM that waits
                    // keeps its own hold on the checkpoint.
                    spool.store_in_order(&bot, dm, hold.again()).await;
                }
            }
            let handler_span = tracing::info_span!("event", shard = id, kind = ?event.kind());
            // Waits while the cluster is full: back-pressure on this loop.
            let admitted = event_lanes.admit(Lane::of(&event)).await;
            let lanes = event_lanes.clone();
            let (bot, members, event) = (bot.clone(), members.clone(), for_handler(event));
            handlers.spawn(
                async move {
                    // The server's lane, then a handler slot.
                    let running = lanes.run(&admitted).await;
                    // Boxed, and only now: the handler's state is as large as
                    // the largest handler's, and thousands of events may wait
                    // for a slot (after an identify); a waiting task holds
                    // just its event.
                    Box::pin(dispatch(bot, members, event)).await;
                    drop(running);
                    drop(admitted);
                    drop(hold);
                }
                .instrument(handler_span),
            );
        }
        // Queued facts are written before the session is saved, so the next
        // process resumes after them rather than replaying them.
        drop(facts);
        if tokio::time::timeout(FACTS_FLUSH, facts_task).await.is_err() {
            tracing::warn!("guild facts were still being written at shutdown; the resume replays their events");
        }
        // The last checkpoint stays until the shutdown's own save replaces it.
        checkpoint_stop.cancel();
        let _ = checkpoint_task.await;
        if let ShardState::FatallyClosed = shard.state() {
            // The stream has ended: polling it again would panic, and the
            // session cannot be resumed, so there is nothing to save.
            let code = last_close.map_or_else(|| "unknown".to_owned(), |code| code.to_string());
            metrics::shard_status(id, ShardStatus::Disconnected);
            metrics::shard_fatal_close(id);
            tracing::error!(close_code = %code, "Discord closed the shard fatally; stopping the cluster");
            fatal.record(format!("shard {id} was closed by Discord with fatal code {code} ({})", fatal_meaning(&code)));
            shutdown.cancel();
        } else {
            close_and_save(&bot, &mut shard, &checkpoint, total).await;
        }
        // DMs still waiting are stored before the process goes, as long as
        // PostgreSQL lets us within the shutdown grace.
        spool_stop.cancel();
        if tokio::time::timeout(SPOOL_FLUSH, spool_task).await.is_err() {
            tracing::error!(
                waiting = spool.waiting(),
                "DMs could not be stored before shutdown; recovery reads them back for users it knows"
            );
        }
    }
    .instrument(span)
    .await;
}

/// What a fatal close code means, for the operator reading the exit error.
fn fatal_meaning(code: &str) -> &'static str {
    match code {
        "4004" => {
            "authentication failed: the bot token is wrong or was reset (spending the day's identifies resets it)"
        }
        "4010" => "invalid shard: --total-shards or the cluster split is wrong",
        "4011" => "sharding required: the bot needs more shards",
        "4012" => "invalid API version",
        "4013" => "invalid intents",
        "4014" => "disallowed intents: enable MESSAGE_CONTENT and GUILD_MEMBERS in the developer portal",
        _ => "Discord will not accept this session again",
    }
}

/// How long a stopping shard waits for its queued guild facts writes.
const FACTS_FLUSH: Duration = Duration::from_secs(5);

/// How long a stopping shard waits for its spooled DMs to be stored.
const SPOOL_FLUSH: Duration = Duration::from_secs(10);

fn observe(shard: &Shard<RedisIdentifyQueue>, id: u32, event: &Event) {
    metrics::gateway_event(id, event.kind().name().unwrap_or("UNKNOWN"));
    match event {
        Event::Ready(_) | Event::Resumed => metrics::shard_status(id, ShardStatus::Ready),
        Event::GatewayClose(_) => metrics::shard_status(id, ShardStatus::Disconnected),
        Event::GatewayReconnect => metrics::shard_status(id, ShardStatus::Resuming),
        Event::GatewayInvalidateSession(_) => metrics::shard_status(id, ShardStatus::Identifying),
        Event::GatewayHeartbeatAck => {
            if let Some(average) = shard.latency().average() {
                metrics::shard_latency(id, average.as_secs_f64());
            }
        }
        _ => {}
    }
}

/// Closes with the RESUME code (4000), waits for the close to complete, then
/// saves the session so the next start resumes it — from before any event
/// still being handled, which may not finish before the process ends.
async fn close_and_save(bot: &Bot, shard: &mut Shard<RedisIdentifyQueue>, checkpoint: &Checkpoint, total: u32) {
    let id = shard.id().number();
    shard.close(CloseFrame::RESUME);
    let drained = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(item) = shard.next().await {
            if let Ok(Message::Close(_)) = item {
                break;
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!("the gateway did not acknowledge the close in time");
    }
    metrics::shard_status(id, ShardStatus::Disconnected);
    if let Some(saved) = checkpoint.safe_point() {
        if let Err(e) = sessions::save(&bot.redis, &bot.keys, id, total, &saved).await {
            tracing::warn!(error = %e, "could not save the gateway session; the next start will identify");
        }
    }
}
