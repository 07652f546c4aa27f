//! Every Prometheus metric Ticketeer exports, declared in one place.
//!
//! Code elsewhere never calls the `metrics` macros directly: it calls the typed
//! helpers below, so each metric's name, labels and help text live here and the
//! dashboard (`dashboards/ticketeer.json`) and alerts (`infra/prometheus/alerts.yml`)
//! have a single source to agree with.
//!
//! Labels are bounded on purpose: shard numbers, static route/event/kind names and
//! HTTP status codes. Guild, channel and user ids never become labels, because a
//! public bot in many thousands of guilds would create a time series per guild and
//! take Prometheus down with it.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Gateway dispatch events received, by shard and event name.
pub const GATEWAY_EVENTS: &str = "ticketeer_gateway_events_total";
/// Current state of each shard, see [`ShardStatus`].
pub const SHARD_STATUS: &str = "ticketeer_shard_status";
/// Last heartbeat round trip of each shard.
pub const SHARD_LATENCY: &str = "ticketeer_shard_latency_seconds";
/// The bot's identifies left today, as the fleet counts them.
pub const IDENTIFY_BUDGET: &str = "ticketeer_identify_budget_remaining";
/// Identifies refused because the day's budget is at the reserve.
pub const IDENTIFIES_REFUSED: &str = "ticketeer_identifies_refused_total";
/// Shards Discord closed with a code no retry can fix (4004, 4010–4014).
pub const SHARD_FATAL_CLOSES: &str = "ticketeer_shard_fatal_closes_total";
/// Whether Redis answers the singleton lease holder's pings (1) or not (0).
pub const REDIS_UP: &str = "ticketeer_redis_up";
/// Whether this process holds the singleton lease, so runs the jobs that run
/// once in the fleet (1) or not (0).
pub const SINGLETON_LEASE_HELD: &str = "ticketeer_singleton_lease_held";
/// The shard count Discord recommends (`GET /gateway/bot`).
pub const SHARDS_RECOMMENDED: &str = "ticketeer_shards_recommended";
/// The shard count this cluster runs with.
pub const SHARDS_CONFIGURED: &str = "ticketeer_shards_configured";
/// Full member list requests for the membership index, by outcome.
pub const MEMBER_REQUESTS: &str = "ticketeer_member_requests_total";
/// Membership index rows pruned (guilds without modmail, or the bot gone).
pub const MEMBER_INDEX_PRUNED: &str = "ticketeer_member_index_pruned_total";
/// Session checkpoints written (where a replacement would resume), by shard.
pub const SESSION_CHECKPOINTS: &str = "ticketeer_session_checkpoints_total";
/// Discord REST requests, by route and HTTP status.
pub const DISCORD_REQUESTS: &str = "ticketeer_discord_requests_total";
/// Discord REST requests that failed, by route and class (`permanent`:
/// recorded and moved on from; `transient`: retried with backoff, bounded).
pub const DISCORD_ERRORS: &str = "ticketeer_discord_errors_total";
/// Answers counting toward Discord's invalid-request limit (401, 403, 429)
/// seen by the whole fleet over the last 10 minutes (Redis; Discord bans the
/// IP for a while at 10,000).
pub const DISCORD_INVALID_REQUESTS: &str = "ticketeer_discord_invalid_requests_10m";
/// Attachments that could not be fetched for a relay, by outcome
/// (`lost`: relayed without the file; `retried`: a transient failure retried).
pub const ATTACHMENT_FETCH_FAILURES: &str = "ticketeer_attachment_fetch_failures_total";
/// DMs (or messages to their author) the drain gave up on, by reason
/// (`undeliverable`: the user cannot get DMs from the bot; `permanent`:
/// Discord refused a DM's relay for good; `failed`: transient errors past the
/// retry cap).
pub const INBOX_GIVEN_UP: &str = "ticketeer_inbox_given_up_total";
/// Discord REST request latency, by route.
pub const DISCORD_REQUEST_DURATION: &str = "ticketeer_discord_request_duration_seconds";
/// Tickets opened, by kind.
pub const TICKETS_OPENED: &str = "ticketeer_tickets_opened_total";
/// Tickets closed, by kind.
pub const TICKETS_CLOSED: &str = "ticketeer_tickets_closed_total";
/// Requests served by Ticketeer's own HTTP servers, by route template and status.
pub const HTTP_REQUESTS: &str = "ticketeer_http_requests_total";
/// Latency of Ticketeer's own HTTP servers, by route template.
pub const HTTP_REQUEST_DURATION: &str = "ticketeer_http_request_duration_seconds";
/// Modmail messages relayed, by direction.
pub const RELAYED_MESSAGES: &str = "ticketeer_relayed_messages_total";
/// Redis locks that were already held when asked for, by lock name.
pub const LOCK_CONTENDED: &str = "ticketeer_redis_lock_contended_total";
/// Errors returned by event/command handlers, by handler name.
pub const HANDLER_ERRORS: &str = "ticketeer_handler_errors_total";
pub const HANDLER_RETRIES: &str = "ticketeer_handler_retries_total";
/// Scheduled timers (auto-close, reminders, ...) that fired, by kind.
pub const TIMERS_FIRED: &str = "ticketeer_timers_fired_total";
/// Timer runs that failed, by kind and outcome (`retry`: a transient error,
/// tried again later; `failed`: given up, permanent error or attempts spent).
pub const TIMER_FAILURES: &str = "ticketeer_timer_failures_total";
/// DMs read back from Discord that the gateway never delivered.
pub const RECOVERED_MESSAGES: &str = "ticketeer_recovered_messages_total";
/// Whether the last readiness check could reach a dependency (1) or not (0).
pub const DEPENDENCY_UP: &str = "ticketeer_dependency_up";
/// Requests the API made to Discord's OAuth2 and user endpoints, by endpoint.
pub const DISCORD_OAUTH_REQUESTS: &str = "ticketeer_discord_oauth_requests_total";
/// API requests refused with 429, by caller kind (session or token).
pub const API_RATE_LIMITED: &str = "ticketeer_api_rate_limited_total";
/// Requests to the API's routes without a caller refused with 429, by route.
pub const API_IP_RATE_LIMITED: &str = "ticketeer_api_ip_rate_limited_total";
/// Stripe webhook events received, by type and what processing did.
pub const STRIPE_EVENTS: &str = "ticketeer_stripe_events_total";
/// DMs the shard loop could not store at once, queued until PostgreSQL answers.
pub const DMS_SPOOLED: &str = "ticketeer_dms_spooled_total";
/// Guild prefix lookups of guild messages, by where the answer came from.
pub const PREFIX_LOOKUPS: &str = "ticketeer_prefix_lookups_total";
/// Guild facts (owner, roles, channels) looked up for a permission check or
/// names, by where they came from.
pub const GUILD_FACTS_LOOKUPS: &str = "ticketeer_guild_facts_lookups_total";
/// Guild facts fetched over REST because Redis had none.
pub const GUILD_FACTS_REFILLS: &str = "ticketeer_guild_facts_refills_total";
/// Guild facts writes lost (Redis failing or the writer's queue full); the
/// guild's facts are then dropped and refilled on their next read.
pub const GUILD_FACTS_WRITE_FAILURES: &str = "ticketeer_guild_facts_write_failures_total";
/// Whether the process listens for cache invalidations (its cache is used).
pub const PREFIX_CACHE_LISTENING: &str = "ticketeer_prefix_cache_listening";
/// Cache invalidations published and received, by direction and outcome.
pub const CACHE_INVALIDATIONS: &str = "ticketeer_cache_invalidations_total";

/// REST requests the gate let through to Discord, by priority.
pub const REST_GATE_SENT: &str = "ticketeer_rest_gate_sent_total";
/// How long requests waited in the gate for the fleet's budget, by priority.
pub const REST_GATE_WAIT: &str = "ticketeer_rest_gate_wait_duration_seconds";
/// 429s Discord answered the gate, by scope (`global`, `user`, `shared`).
pub const REST_RATE_LIMITED: &str = "ticketeer_rest_rate_limited_total";
/// Requests the gate answered itself without sending them on, by reason
/// (`budget`: no room in the budget in time; `limited`: 429s past the retry cap).
pub const REST_GATE_REFUSED: &str = "ticketeer_rest_gate_refused_total";
/// Whether this process paces itself alone (1) because Redis, which holds the
/// fleet's REST budget, cannot be reached.
pub const REST_BUDGET_FALLBACK: &str = "ticketeer_rest_budget_fallback";

/// Gateway events a cluster holds (admitted, running or waiting in their
/// server's lane), and handlers running (`gateway/event_lanes.rs`).
pub const EVENTS_HELD: &str = "ticketeer_gateway_events_held";
pub const HANDLERS_RUNNING: &str = "ticketeer_gateway_handlers_running";
/// Time shard loops waited for room to hand on an event (back-pressure).
pub const EVENT_ADMISSION_WAIT: &str = "ticketeer_gateway_admission_wait_microseconds_total";

/// Histogram buckets (seconds) for request latencies. Discord REST calls usually
/// take 50–300 ms and rate-limit waits can take seconds, so the buckets run from
/// 5 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// How often histogram samples are folded into their buckets when nobody scrapes.
/// Without this, samples pile up in memory between scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide Prometheus recorder and returns a handle to render it.
///
/// Only the first call installs anything; later calls (many tests in one process,
/// the API and a gateway cluster in one demo process) return a clone of the same
/// handle. If some other recorder was already installed globally, ours is kept
/// unregistered: its handle still renders (empty) output and a warning is logged,
/// rather than failing start-up over metrics.
pub fn install() -> PrometheusHandle {
    HANDLE.get_or_init(build_and_install).clone()
}

fn build_and_install() -> PrometheusHandle {
    let builder = PrometheusBuilder::new();
    // Both latency histograms end in `_duration_seconds`; give them real buckets
    // (the exporter's default is a summary, which cannot be aggregated across
    // processes in PromQL).
    let builder = match builder.set_buckets_for_metric(Matcher::Suffix("_duration_seconds".to_owned()), LATENCY_BUCKETS)
    {
        Ok(builder) => builder,
        Err(error) => {
            tracing::warn!(%error, "could not set latency histogram buckets; using defaults");
            PrometheusBuilder::new()
        }
    };
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    if let Err(error) = metrics::set_global_recorder(recorder) {
        tracing::warn!(%error, "another metrics recorder is already installed; /metrics will be empty");
    }
    describe();
    spawn_upkeep(handle.clone());
    handle
}

/// Runs the exporter's upkeep on a plain thread, so `install` works with or
/// without a Tokio runtime around it.
fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new().name("metrics-upkeep".to_owned()).spawn(move || loop {
        std::thread::sleep(UPKEEP_INTERVAL);
        handle.run_upkeep();
    });
    if let Err(error) = spawned {
        tracing::warn!(%error, "could not start the metrics upkeep thread");
    }
}

/// Registers the help text of every metric with the installed recorder.
fn describe() {
    describe_counter!(GATEWAY_EVENTS, "Gateway dispatch events received, by shard and event name.");
    describe_gauge!(
        SHARD_STATUS,
        "Shard state: 0 = disconnected, 1 = connecting, 2 = identifying, 3 = resuming, 4 = ready."
    );
    describe_gauge!(SHARD_LATENCY, Unit::Seconds, "Most recent gateway heartbeat round trip of the shard.");
    describe_gauge!(
        IDENTIFY_BUDGET,
        "Identifies the bot has left today (session_start_limit.remaining, counted down by the fleet)."
    );
    describe_counter!(
        IDENTIFIES_REFUSED,
        "Shards that did not identify because the day's identifies are at TICKETEER_IDENTIFY_RESERVE."
    );
    describe_counter!(
        SHARD_FATAL_CLOSES,
        "Shards Discord closed fatally (4004 token, 4010-4014 sharding/version/intents); the cluster stops."
    );
    describe_counter!(REST_GATE_SENT, "REST requests the gate let through to Discord, by priority.");
    describe_histogram!(
        REST_GATE_WAIT,
        Unit::Seconds,
        "How long REST requests waited in the gate for the fleet's budget, by priority."
    );
    describe_counter!(
        REST_RATE_LIMITED,
        "429s Discord answered the gate, by scope (global should stay at 0: the fleet shares one budget)."
    );
    describe_counter!(
        REST_GATE_REFUSED,
        "REST requests the gate answered itself with a 503, by reason (budget: no room in time; limited: 429s past the retry cap)."
    );
    describe_gauge!(
        REST_BUDGET_FALLBACK,
        "1 while this process paces REST alone (TICKETEER_REST_FALLBACK_PER_SECOND) because Redis is unreachable."
    );
    describe_gauge!(
        EVENTS_HELD,
        "Gateway events the cluster holds: running, or waiting in their server's lane (at most 16 x TICKETEER_HANDLER_CONCURRENCY)."
    );
    describe_gauge!(HANDLERS_RUNNING, "Gateway event handlers running (at most TICKETEER_HANDLER_CONCURRENCY).");
    describe_counter!(
        EVENT_ADMISSION_WAIT,
        "Microseconds shard loops waited for room to hand on an event (back-pressure: the cluster was full)."
    );
    describe_gauge!(REDIS_UP, "Whether Redis answers gateway cluster 0's pings, every second (1 = yes).");
    describe_gauge!(REDIS_UP, "Whether Redis answers the singleton lease holder's pings, every second (1 = yes).");
    describe_gauge!(
        SINGLETON_LEASE_HELD,
        "Whether this gateway process holds the singleton lease and runs the fleet's once-only jobs (1 = yes)."
    );
    describe_gauge!(
        SHARDS_RECOMMENDED,
        "The shard count Discord recommends (GET /gateway/bot), checked at start and hourly."
    );
    describe_gauge!(
        SHARDS_CONFIGURED,
        "The shard count this gateway cluster runs with; below the recommendation means: reshard."
    );
    describe_counter!(
        MEMBER_REQUESTS,
        "Full member list requests for the membership index, by outcome (sent; deferred: the guild's 30 s slot \
         was taken; refused: Discord answered RATE_LIMITED; gave_up: retries spent, the next fill pass asks again)."
    );
    describe_counter!(
        MEMBER_INDEX_PRUNED,
        "Membership index rows deleted by the prune job (guilds without modmail, or that the bot left)."
    );
    describe_counter!(
        SESSION_CHECKPOINTS,
        "Gateway session checkpoints written to Redis (where a replacement for a crashed process resumes)."
    );
    describe_counter!(DISCORD_REQUESTS, "Discord REST requests made, by route and HTTP status (429 = rate limited).");
    describe_histogram!(DISCORD_REQUEST_DURATION, Unit::Seconds, "Discord REST request latency, by route.");
    describe_counter!(
        DISCORD_ERRORS,
        "Discord REST requests that failed, by route and class (permanent: recorded, never retried; transient: retried with backoff up to a cap)."
    );
    describe_gauge!(
        DISCORD_INVALID_REQUESTS,
        "401, 403 and 429 answers the whole fleet got from Discord in the last 10 minutes (Discord bans the IP at 10,000)."
    );
    describe_counter!(
        ATTACHMENT_FETCH_FAILURES,
        "Attachment downloads that failed, by outcome (lost: relayed without the file; retried: a transient failure retried)."
    );
    describe_counter!(
        INBOX_GIVEN_UP,
        "DMs or messages to their author the drain gave up on, by reason (undeliverable, permanent, or failed after retries)."
    );
    describe_counter!(TICKETS_OPENED, "Tickets opened, by kind.");
    describe_counter!(TICKETS_CLOSED, "Tickets closed, by kind.");
    describe_counter!(HTTP_REQUESTS, "Requests served by Ticketeer's HTTP servers, by route template and status.");
    describe_histogram!(
        HTTP_REQUEST_DURATION,
        Unit::Seconds,
        "Latency of Ticketeer's HTTP servers, by route template."
    );
    describe_counter!(RELAYED_MESSAGES, "Modmail messages relayed, by direction (to_staff or to_user).");
    describe_counter!(
        LOCK_CONTENDED,
        "Redis locks that were already held by someone else when requested, by lock name."
    );
    describe_counter!(HANDLER_ERRORS, "Errors returned by event and command handlers, by handler name.");
    describe_counter!(
        HANDLER_RETRIES,
        "Handler runs tried again after a transient database error (full pool, dropped connection), by handler name."
    );
    describe_counter!(
        DMS_SPOOLED,
        "DMs the shard loop could not store at once (PostgreSQL unreachable), kept in order until stored."
    );
    describe_counter!(
        GUILD_FACTS_LOOKUPS,
        "Guild facts lookups for permission checks and names, by source (memory: this process's gateway cache; \
         redis: the fleet's store; refill: missing, refilled over REST)."
    );
    describe_counter!(GUILD_FACTS_REFILLS, "Guild facts fetched over REST (GET guild and channels) after a miss.");
    describe_counter!(
        GUILD_FACTS_WRITE_FAILURES,
        "Guild facts writes lost (Redis failing or the queue full); the guild's facts are dropped and refilled."
    );
    describe_counter!(
        PREFIX_LOOKUPS,
        "Guild command prefix lookups, by source (cached: no round trip; read: PostgreSQL, then cached; \
         not_listening: PostgreSQL, the cache being off while invalidations cannot be received)."
    );
    describe_gauge!(
        PREFIX_CACHE_LISTENING,
        "Whether this process is subscribed to cache invalidations, so its prefix cache is used (1 = yes)."
    );
    describe_counter!(
        CACHE_INVALIDATIONS,
        "Settings-cache invalidations, by outcome (published, publish_failed, received)."
    );
    describe_counter!(TIMERS_FIRED, "Scheduled timers that fired, by kind.");
    describe_counter!(
        TIMER_FAILURES,
        "Timer runs that failed, by kind and outcome (retry: transient, tried again later; \
         failed: permanent error or attempts spent, given up)."
    );
    describe_counter!(
        RECOVERED_MESSAGES,
        "DMs read back from Discord at start-up or by /recover that the gateway never delivered."
    );
    describe_counter!(
        DISCORD_OAUTH_REQUESTS,
        "Requests the API made to Discord's OAuth2 and user endpoints (logins, guild lists), by endpoint."
    );
    describe_counter!(API_RATE_LIMITED, "API requests refused with 429, by caller kind (session or token).");
    describe_counter!(
        API_IP_RATE_LIMITED,
        "Requests to the API's routes without a caller (login, callback, transcript link, Stripe webhook) \
         refused with 429 because their client address spent its minute's budget, by route."
    );
    describe_counter!(
        STRIPE_EVENTS,
        "Stripe webhook events with a valid signature, by type and result (applied, duplicate, ignored)."
    );
    describe_gauge!(DEPENDENCY_UP, "1 if the last readiness check reached the dependency (postgres, redis), else 0.");
}

/// The state of one gateway shard, exported as the value of `ticketeer_shard_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ShardStatus {
    Disconnected = 0,
    Connecting = 1,
    Identifying = 2,
    Resuming = 3,
    Ready = 4,
}

impl ShardStatus {
    /// The gauge value of this state.
    pub fn value(self) -> f64 {
        f64::from(self as u8)
    }
}

/// One gateway dispatch event received by `shard`.
pub fn gateway_event(shard: u32, event: &'static str) {
    metrics::counter!(GATEWAY_EVENTS, "shard" => shard.to_string(), "event" => event).increment(1);
}

/// `shard` moved to `status`.
pub fn shard_status(shard: u32, status: ShardStatus) {
    metrics::gauge!(SHARD_STATUS, "shard" => shard.to_string()).set(status.value());
}

/// The identifies left today.
pub fn identify_budget(remaining: u32) {
    metrics::gauge!(IDENTIFY_BUDGET).set(f64::from(remaining));
}

/// A shard did not identify: the budget is at the reserve.
pub fn identify_refused() {
    metrics::counter!(IDENTIFIES_REFUSED).increment(1);
}

/// Discord closed `shard` fatally.
pub fn shard_fatal_close(shard: u32) {
    metrics::counter!(SHARD_FATAL_CLOSES, "shard" => shard.to_string()).increment(1);
}

/// The gate sent a request of `priority` after it waited `waited` for the budget.
pub fn rest_gate_sent(priority: &'static str, waited: Duration) {
    metrics::counter!(REST_GATE_SENT, "priority" => priority).increment(1);
    metrics::histogram!(REST_GATE_WAIT, "priority" => priority).record(waited.as_secs_f64());
}

/// Discord answered the gate with a 429 of `scope`.
pub fn rest_rate_limited(scope: &'static str) {
    metrics::counter!(REST_RATE_LIMITED, "scope" => scope).increment(1);
}

/// The gate answered a request itself, for `reason`.
pub fn rest_gate_refused(reason: &'static str) {
    metrics::counter!(REST_GATE_REFUSED, "reason" => reason).increment(1);
}

/// Whether this process paces its REST requests alone (Redis unreachable).
pub fn rest_budget_fallback(alone: bool) {
    metrics::gauge!(REST_BUDGET_FALLBACK).set(if alone { 1.0 } else { 0.0 });
}

/// Events held and handlers running in this cluster now.
pub fn events_in_cluster(held: usize, running: usize) {
    metrics::gauge!(EVENTS_HELD).set(held as f64);
    metrics::gauge!(HANDLERS_RUNNING).set(running as f64);
}

/// A shard loop waited `waited` to hand on an event.
pub fn event_admission_wait(waited: Duration) {
    metrics::counter!(EVENT_ADMISSION_WAIT).increment(waited.as_micros() as u64);
}

/// Whether Redis answered the last ping.
pub fn redis_up(up: bool) {
    metrics::gauge!(REDIS_UP).set(if up { 1.0 } else { 0.0 });
}

/// Whether this process holds the singleton lease.
pub fn singleton_lease_held(held: bool) {
    metrics::gauge!(SINGLETON_LEASE_HELD).set(if held { 1.0 } else { 0.0 });
}

/// The shard counts Discord recommends and this cluster runs with.
pub fn shard_counts(recommended: u32, configured: u32) {
    metrics::gauge!(SHARDS_RECOMMENDED).set(f64::from(recommended));
    metrics::gauge!(SHARDS_CONFIGURED).set(f64::from(configured));
}

/// A full member list request had this `outcome`.
pub fn member_request(outcome: &'static str) {
    metrics::counter!(MEMBER_REQUESTS, "outcome" => outcome).increment(1);
}

/// Rows the prune job deleted from the membership index.
pub fn member_index_pruned(rows: u64) {
    metrics::counter!(MEMBER_INDEX_PRUNED).increment(rows);
}

/// A guild message's prefix was found in `source` (`cached`, `read`, `not_listening`).
pub fn prefix_lookup(source: &'static str) {
    metrics::counter!(PREFIX_LOOKUPS, "source" => source).increment(1);
}

/// Guild facts were looked up in `source` (`memory`, `redis`, `refill`).
pub fn guild_facts_lookup(source: &'static str) {
    metrics::counter!(GUILD_FACTS_LOOKUPS, "source" => source).increment(1);
}

/// A guild's facts were fetched over REST.
pub fn guild_facts_refill() {
    metrics::counter!(GUILD_FACTS_REFILLS).increment(1);
}

/// A guild facts write was lost.
pub fn guild_facts_write_failure() {
    metrics::counter!(GUILD_FACTS_WRITE_FAILURES).increment(1);
}

/// The process subscribed to invalidations, or lost the subscription.
pub fn prefix_cache_listening(listening: bool) {
    metrics::gauge!(PREFIX_CACHE_LISTENING).set(if listening { 1.0 } else { 0.0 });
}

/// A cache invalidation was `published`, `publish_failed` or `received`.
pub fn cache_invalidation(outcome: &'static str) {
    metrics::counter!(CACHE_INVALIDATIONS, "outcome" => outcome).increment(1);
}

/// `shard` wrote a session checkpoint.
pub fn session_checkpoint(shard: u32) {
    metrics::counter!(SESSION_CHECKPOINTS, "shard" => shard.to_string()).increment(1);
}

/// The latest heartbeat round trip of `shard`.
pub fn shard_latency(shard: u32, seconds: f64) {
    metrics::gauge!(SHARD_LATENCY, "shard" => shard.to_string()).set(seconds);
}

/// One Discord REST request finished. `route` is a static route name such as
/// `"create_message"`, never a URL with ids in it.
pub fn discord_request(route: &'static str, status: u16, seconds: f64) {
    metrics::counter!(DISCORD_REQUESTS, "route" => route, "status" => status.to_string()).increment(1);
    metrics::histogram!(DISCORD_REQUEST_DURATION, "route" => route).record(seconds);
}

/// A Discord REST request on `route` failed; `class` is `"permanent"` or
/// `"transient"` (`crate::discord::errors::class_of`).
pub fn discord_error(route: &'static str, class: &'static str) {
    metrics::counter!(DISCORD_ERRORS, "route" => route, "class" => class).increment(1);
}

/// The fleet's invalid requests (401/403/429) over the last 10 minutes, as
/// last read from Redis by this process.
pub fn discord_invalid_requests(count: u64) {
    metrics::gauge!(DISCORD_INVALID_REQUESTS).set(count as f64);
}

/// An attachment download failed; `outcome` is `"lost"` or `"retried"`.
pub fn attachment_fetch_failure(outcome: &'static str) {
    metrics::counter!(ATTACHMENT_FETCH_FAILURES, "outcome" => outcome).increment(1);
}

/// The drain gave up on a DM (or a message to its author) for `reason`.
pub fn inbox_given_up(reason: &'static str) {
    metrics::counter!(INBOX_GIVEN_UP, "reason" => reason).increment(1);
}

/// A ticket of `kind` (e.g. `"panel"`, `"modmail"`) was opened.
pub fn ticket_opened(kind: &'static str) {
    metrics::counter!(TICKETS_OPENED, "kind" => kind).increment(1);
}

/// A ticket of `kind` was closed.
pub fn ticket_closed(kind: &'static str) {
    metrics::counter!(TICKETS_CLOSED, "kind" => kind).increment(1);
}

/// One request to Ticketeer's own HTTP servers finished. `route` must be the
/// matched path template (`/guilds/{id}`), or `"unmatched"`, never the raw path.
pub fn http_request(route: &str, status: u16, seconds: f64) {
    metrics::counter!(HTTP_REQUESTS, "route" => route.to_owned(), "status" => status.to_string()).increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION, "route" => route.to_owned()).record(seconds);
}

/// One modmail message relayed; `direction` is `"to_staff"` or `"to_user"`.
pub fn relayed_message(direction: &'static str) {
    metrics::counter!(RELAYED_MESSAGES, "direction" => direction).increment(1);
}

/// The Redis lock `name` (a static lock kind, not the full key) was already held.
pub fn lock_contended(name: &'static str) {
    metrics::counter!(LOCK_CONTENDED, "lock" => name).increment(1);
}

/// The handler `handler` returned an error.
pub fn handler_error(handler: &'static str) {
    metrics::counter!(HANDLER_ERRORS, "handler" => handler).increment(1);
}

/// The handler `handler` is tried again after a transient database error.
pub fn handler_retried(handler: &'static str) {
    metrics::counter!(HANDLER_RETRIES, "handler" => handler).increment(1);
}

/// A DM could not be stored at once and waits in the spool.
pub fn dm_spooled() {
    metrics::counter!(DMS_SPOOLED).increment(1);
}

/// `n` DMs were recovered.
pub fn recovered_messages(n: u64) {
    metrics::counter!(RECOVERED_MESSAGES).increment(n);
}

/// A scheduled timer of `kind` fired.
pub fn timer_fired(kind: &'static str) {
    metrics::counter!(TIMERS_FIRED, "kind" => kind).increment(1);
}

/// A run of a timer of `kind` failed; `gave_up` if the timer is now `failed`.
pub fn timer_failure(kind: &'static str, gave_up: bool) {
    let outcome = if gave_up { "failed" } else { "retry" };
    metrics::counter!(TIMER_FAILURES, "kind" => kind, "outcome" => outcome).increment(1);
}

/// The readiness check reached `dependency` (`"postgres"`, `"redis"`) or not.
pub fn dependency_up(dependency: &'static str, up: bool) {
    metrics::gauge!(DEPENDENCY_UP, "dependency" => dependency).set(if up { 1.0 } else { 0.0 });
}

/// The API called Discord's OAuth2 `endpoint` (`token`, `users_me`, `users_me_guilds`).
pub fn discord_oauth_request(endpoint: &'static str) {
    metrics::counter!(DISCORD_OAUTH_REQUESTS, "endpoint" => endpoint).increment(1);
}

/// An API caller of `kind` (`session`, `token`) was refused with 429.
pub fn api_rate_limited(kind: &'static str) {
    metrics::counter!(API_RATE_LIMITED, "caller" => kind).increment(1);
}

/// A client address was refused with 429 on `route` (`login`, `callback`,
/// `transcript_link`, `stripe_webhook`).
pub fn api_ip_rate_limited(route: &'static str) {
    metrics::counter!(API_IP_RATE_LIMITED, "route" => route).increment(1);
}

/// A signed Stripe event of `kind` was processed with `result`. Event types
/// are Stripe's bounded set; anything we do not act on counts as `other`.
pub fn stripe_event(kind: &str, result: &'static str) {
    const KNOWN: [&str; 8] = [
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.payment_failed",
        "customer.created",
    ];
    let kind = KNOWN.iter().find(|k| **k == kind).copied().unwrap_or("other");
    metrics::counter!(STRIPE_EVENTS, "type" => kind, "result" => result).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_is_idempotent_and_renders_described_metrics() {
        let handle = install();
        let again = install();

        gateway_event(0, "MESSAGE_CREATE");
        shard_status(0, ShardStatus::Ready);
        discord_request("create_message", 200, 0.12);

        // Both handles render the same recorder.
        for rendered in [handle.render(), again.render()] {
            assert!(rendered.contains("# HELP ticketeer_gateway_events_total Gateway dispatch events"), "{rendered}");
            assert!(rendered.contains("ticketeer_gateway_events_total{"), "{rendered}");
            assert!(rendered.contains("# HELP ticketeer_shard_status"), "{rendered}");
            assert!(rendered.contains("ticketeer_shard_status{shard=\"0\"} 4"), "{rendered}");
            // Latency histograms get buckets, not a summary.
            assert!(
                rendered.contains(
                    "ticketeer_discord_request_duration_seconds_bucket{route=\"create_message\",le=\"0.25\"}"
                ),
                "{rendered}"
            );
        }
    }

    #[test]
    fn shard_status_values_match_help_text() {
        assert_eq!(ShardStatus::Disconnected.value(), 0.0);
        assert_eq!(ShardStatus::Connecting.value(), 1.0);
        assert_eq!(ShardStatus::Identifying.value(), 2.0);
        assert_eq!(ShardStatus::Resuming.value(), 3.0);
        assert_eq!(ShardStatus::Ready.value(), 4.0);
    }
}
