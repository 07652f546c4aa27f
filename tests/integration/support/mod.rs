//! Test support: `TestApp::spawn()` starts the Discord stand-in, a fresh
//! database, and real gateway clusters (the same entry point as `ticketeer
//! gateway`) on port 0, and gives tests the stand-in's control client to act
//! as people.

pub mod api;
pub mod barriers;
pub mod child_cluster;
pub mod database;
pub mod fixtures;
pub mod logs;
pub mod private_redis;
pub mod stripe;
pub mod tcp_proxy;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use discord_standin::{ControlClient, StandIn};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use ticketeer::bot::Bot;
use ticketeer::config::{Config, Sources};
use ticketeer::gateway::cluster::{self, ClusterInfo, ClusterOptions};

pub use database::TestDatabase;

/// The secret key of every test configuration (64 hex digits).
pub const TEST_SECRET_KEY: &str = "5e7f1c0a9b3d4e2f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b7d9f1a3c5e7b9d0f";

pub struct Options {
    pub shards: u32,
    pub clusters: u16,
    /// Whether `spawn_with` starts the clusters in this process; tests that
    /// run them as processes of their own (`start_child_cluster`) say no.
    pub in_process: bool,
    /// The stand-in's `session_start_limit.total` (Discord's 1,000 a day).
    pub session_start_total: u32,
    /// Discord's per-route limits; off by default so tests run fast (the
    /// global 50/s limit always applies).
    pub route_limits: bool,
    /// Cluster 0 recovers missed DMs at start-up (tests of `/recover` turn
    /// it off to see the command do the work).
    pub recover_on_start: bool,
    /// The bot reaches PostgreSQL through a proxy the test can cut
    /// (`TestApp::postgres_proxy`); the test's own pool stays direct.
    pub postgres_proxy: bool,
    /// The bot uses a Redis server of this test's own
    /// (`TestApp::private_redis`), which the test may kill and restart.
    pub private_redis: bool,
    /// `TICKETEER_TRANSCRIPT_MAX_MESSAGES`, when not the default.
    pub transcript_max_messages: Option<usize>,
    /// Milliseconds between inbox sweeps, and before a pending DM counts as
    /// stale (the production defaults, 10 s and 15 s, unless a test needs
    /// several sweeps to happen quickly).
    pub inbox_sweep_ms: u64,
    pub inbox_stale_ms: u64,
    /// The first wait before a DM whose relay failed transiently is retried.
    pub inbox_retry_ms: u64,
    /// More configuration (`TICKETEER_…` keys), over the test defaults.
    pub config: Vec<(&'static str, String)>,
    /// The stand-in's window between two full member list requests of a
    /// guild (Discord's 30 s unless a test needs a refusal to end sooner).
    pub member_request_window_ms: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            shards: 1,
            clusters: 1,
            in_process: true,
            session_start_total: 1000,
            route_limits: false,
            recover_on_start: true,
            postgres_proxy: false,
            private_redis: false,
            transcript_max_messages: None,
            inbox_sweep_ms: 10_000,
            inbox_stale_ms: 15_000,
            inbox_retry_ms: 5_000,
            config: Vec::new(),
            member_request_window_ms: 30_000,
        }
    }
}

pub struct TestApp {
    pub standin: Option<StandIn>,
    pub control: ControlClient,
    pub db: TestDatabase,
    pub config: Config,
    /// The configuration as environment variables, for `ticketeer` processes
    /// a test starts (`start_child_cluster`).
    pub env: Vec<(&'static str, String)>,
    /// The Discord application the stand-in plays (its Redis keys' prefix).
    pub application_id: u64,
    pub clusters: Vec<RunningCluster>,
    pub options: Options,
    /// Between the bot and PostgreSQL, with `Options::postgres_proxy`.
    pub postgres_proxy: Option<tcp_proxy::TcpProxy>,
    /// The bot's own Redis server, with `Options::private_redis`.
    pub private_redis: Option<private_redis::PrivateRedis>,
}

pub struct RunningCluster {
    pub info: ClusterInfo,
    pub bot: Arc<Bot>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// A small world: one guild with modmail-ready channels.
#[derive(Debug, Clone, Copy)]
pub struct Guild {
    pub id: u64,
    pub owner: u64,
    pub staff_role: u64,
    pub staff: u64,
    pub inbox: u64,
    pub general: u64,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Options::default()).await
    }

    pub async fn spawn_with(options: Options) -> TestApp {
        logs::init_test_log();
        ticketeer::metrics::install();
        let application_id = 1_000_000 + rand::random::<u32>() as u64;
        let token = format!("test-token-{application_id}");
        let standin = StandIn::start(discord_standin::Config {
            bot_token: token.clone(),
            application_id,
            shards: options.shards,
            max_concurrency: 16,
            route_limits: options.route_limits,
            heartbeat_interval_ms: 5_000,
            session_start_total: options.session_start_total,
            member_request_window: Duration::from_millis(options.member_request_window_ms),
            ..discord_standin::Config::default()
        })
        .await
        .expect("stand-in starts");
        let db = TestDatabase::create().await;
        let (postgres_proxy, bot_database_url) = if options.postgres_proxy {
            let proxy = tcp_proxy::TcpProxy::start("127.0.0.1:5432".parse().unwrap()).await;
            let url = db.url.replace("127.0.0.1:5432", &proxy.addr.to_string());
            assert_ne!(url, db.url, "the test database is on 127.0.0.1:5432");
            (Some(proxy), url)
        } else {
            (None, db.url.clone())
        };
        let private_redis = if options.private_redis { Some(private_redis::PrivateRedis::start().await) } else { None };
        let redis_url = match &private_redis {
            Some(redis) => redis.url(),
            None => std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
        };
        let defaults = [
            ("DISCORD_TOKEN", token),
            ("DISCORD_API_URL", standin.base_url()),
            ("DATABASE_URL", bot_database_url),
            ("REDIS_URL", redis_url),
            ("TICKETEER_OPS_LISTEN", "127.0.0.1:0".into()),
            ("TICKETEER_API_LISTEN", "127.0.0.1:0".into()),
            // Timers are looked at often so tests that move a timer's due time
            // to now (see `advance_timers`) see it fire quickly.
            ("TICKETEER_TIMER_POLL_MS", "100".into()),
            ("TICKETEER_TIMER_REINDEX_MS", "500".into()),
            ("TICKETEER_RECOVER_ON_START", options.recover_on_start.to_string()),
            ("TICKETEER_INBOX_SWEEP_MS", options.inbox_sweep_ms.to_string()),
            ("TICKETEER_INBOX_STALE_MS", options.inbox_stale_ms.to_string()),
            ("TICKETEER_INBOX_RETRY_MS", options.inbox_retry_ms.to_string()),
            // What the API needs (tests that start it use `TestApp::api`).
            ("DISCORD_CLIENT_SECRET", discord_standin::Config::default().client_secret),
            ("TICKETEER_SECRET_KEY", TEST_SECRET_KEY.to_owned()),
            (
                "TICKETEER_TRANSCRIPT_MAX_MESSAGES",
                options.transcript_max_messages.map_or_else(|| "10000".to_owned(), |n| n.to_string()),
            ),
        ];
        let env: Vec<(&'static str, String)> = defaults.into_iter().chain(options.config.iter().cloned()).collect();
        let config =
            Config::from_sources(&Sources::from_pairs(env.iter().cloned())).expect("test configuration is valid");
        let control = standin.control();
        let mut app = TestApp {
            standin: Some(standin),
            control,
            db,
            config,
            env,
            application_id,
            clusters: Vec::new(),
            options,
            postgres_proxy,
            private_redis,
        };
        if app.options.in_process {
            for cluster in 0..app.options.clusters {
                app.start_cluster(cluster).await;
            }
        }
        app
    }

    /// Starts gateway cluster `index` of `options.clusters`, and waits until its
    /// shards are connected.
    pub async fn start_cluster(&mut self, index: u16) {
        self.start_cluster_with_shards_connected(index, None).await;
    }

    /// Starts gateway cluster `index` and waits until `connected` of its
    /// shards (all, with `None`) are connected.
    pub async fn start_cluster_with_shards_connected(&mut self, index: u16, connected: Option<usize>) {
        let bot = Bot::connect(&self.config).await.expect("bot connects");
        let shutdown = CancellationToken::new();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let options = ClusterOptions {
            cluster: index,
            clusters: self.options.clusters,
            total_shards: Some(self.options.shards),
            ops_listen: self.config.ops_listen.expect("tests set TICKETEER_OPS_LISTEN"),
        };
        let task = tokio::spawn(cluster::run(bot.clone(), options, shutdown.clone(), Some(started_tx)));
        let info = tokio::time::timeout(Duration::from_secs(20), started_rx)
            .await
            .expect("cluster starts within 20 s")
            .expect("cluster reports its start");
        let shards = info.shards.clone();
        let control = self.control.clone();
        eventually("the cluster's shards are connected", || {
            let control = control.clone();
            let shards = shards.clone();
            async move {
                let sessions = control.gateway_sessions().await.ok()?;
                let live: Vec<u64> = sessions.iter().filter_map(|s| s["shard"].as_u64()).collect();
                let up = shards.iter().filter(|s| live.contains(&u64::from(**s))).count();
                (up >= connected.unwrap_or(shards.len())).then_some(())
            }
        })
        .await;
        self.clusters.push(RunningCluster { info, bot, shutdown, task });
    }

    /// Stops cluster `index` gracefully (sessions saved for a resume).
    pub async fn stop_cluster(&mut self, position: usize) {
        let cluster = self.clusters.remove(position);
        cluster.shutdown.cancel();
        cluster.task.await.expect("cluster task joins").expect("cluster stops cleanly");
    }

    pub fn bot(&self) -> &Arc<Bot> {
        &self.clusters[0].bot
    }

    /// Creates a guild with an owner, a staff role and member, an inbox
    /// category and a general channel, and adds the bot. Waits until the bot
    /// has seen it.
    pub async fn guild(&self, name: &str) -> Guild {
        let c = &self.control;
        let owner = c.create_user(&format!("{name}-owner")).await.unwrap();
        let staff = c.create_user(&format!("{name}-staff")).await.unwrap();
        let id = c.create_guild(name, owner).await.unwrap();
        let staff_role = c.create_role(id, "Staff", 1 << 10 | 1 << 11 | 1 << 16).await.unwrap();
        c.put_member(id, staff, &[staff_role]).await.unwrap();
        let inbox = c.create_channel(id, "Inbox", 4, None).await.unwrap();
        let general = c.create_channel(id, "general", 0, None).await.unwrap();
        c.add_bot(id, None).await.unwrap();
        let db = self.db.pool.clone();
        eventually("the bot has recorded the guild", || {
            let db = db.clone();
            async move {
                let known: Option<i64> = sqlx::query_scalar("SELECT guild_id FROM guilds WHERE guild_id = $1")
                    .bind(id as i64)
                    .fetch_optional(&db)
                    .await
                    .ok()?;
                known.map(|_| ())
            }
        })
        .await;
        Guild { id, owner, staff_role, staff, inbox, general }
    }

    /// Makes `guild` Premium, as a paid subscription would (billing's own
    /// tests go through the Stripe webhook instead).
    pub async fn make_premium(&self, guild: &Guild) {
        sqlx::query(
            "INSERT INTO subscriptions (subscription_id, guild_id, customer_id, status, state_at)
             VALUES ($1, $2, 'cus_test', 'active', now())",
        )
        .bind(format!("sub_test_{}", guild.id))
        .bind(guild.id as i64)
        .execute(&self.db.pool)
        .await
        .unwrap();
    }

    /// A user who is a member of the given guilds (the bot sees the join).
    /// Waits until the membership index has them in those of the guilds
    /// with modmail on (the only ones it covers).
    pub async fn member(&self, name: &str, guilds: &[&Guild]) -> u64 {
        let user = self.control.create_user(name).await.unwrap();
        for guild in guilds {
            self.control.put_member(guild.id, user, &[]).await.unwrap();
        }
        let db = self.db.pool.clone();
        let ids: Vec<i64> = guilds.iter().map(|g| g.id as i64).collect();
        let expected: i64 =
            sqlx::query_scalar("SELECT count(*) FROM guild_settings WHERE guild_id = ANY($1) AND modmail_enabled")
                .bind(&ids)
                .fetch_one(&db)
                .await
                .unwrap();
        eventually("the bot has indexed the membership", || {
            let db = db.clone();
            async move {
                let n: i64 = sqlx::query_scalar("SELECT count(*) FROM guild_members WHERE user_id = $1")
                    .bind(user as i64)
                    .fetch_one(&db)
                    .await
                    .ok()?;
                (n == expected).then_some(())
            }
        })
        .await;
        user
    }

    /// Waits until the guild's membership index is filled, if modmail is on
    /// there (turning it on makes its cluster request the member list).
    pub async fn wait_for_member_index(&self, guild: &Guild) {
        let db = self.db.pool.clone();
        eventually("the guild's membership index is filled", || {
            let db = db.clone();
            async move {
                let done: bool = sqlx::query_scalar(
                    "SELECT NOT EXISTS (SELECT 1 FROM guild_settings
                     WHERE guild_id = $1 AND modmail_enabled AND members_filled_at IS NULL)",
                )
                .bind(guild.id as i64)
                .fetch_one(&db)
                .await
                .ok()?;
                done.then_some(())
            }
        })
        .await;
    }

    /// The guild's owner runs `/modmail setup` in its general channel.
    pub async fn setup_modmail(&self, guild: &Guild) -> Value {
        let options = json!([{
            "name": "setup", "type": 1,
            "options": [
                {"name": "inbox-category", "type": 7, "value": guild.inbox.to_string()},
                {"name": "staff-role", "type": 8, "value": guild.staff_role.to_string()},
            ]
        }]);
        let answer = self.command(guild.owner, guild, guild.general, "modmail", options).await;
        self.wait_for_member_index(guild).await;
        answer
    }

    /// Runs a slash command and waits for the bot's first answer to it.
    pub async fn command(&self, user: u64, guild: &Guild, channel: u64, name: &str, options: Value) -> Value {
        let fired = self.control.run_command(user, Some(guild.id), Some(channel), name, options).await.unwrap();
        let control = self.control.clone();
        eventually("the bot answers the interaction", || {
            let control = control.clone();
            async move {
                let state = control.interaction(fired.id).await.ok()?;
                let callbacks = state["callbacks"].as_array()?;
                callbacks.first().cloned()
            }
        })
        .await
    }

    /// The text channels under the inbox category.
    pub async fn ticket_channels(&self, guild: &Guild) -> Vec<Value> {
        self.control
            .guild_channels(guild.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c["parent_id"].as_str() == Some(&guild.inbox.to_string()) && c["type"] == 0)
            .collect()
    }

    pub async fn ticket_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM tickets").fetch_one(&self.db.pool).await.unwrap()
    }

    pub async fn shutdown(mut self) {
        while !self.clusters.is_empty() {
            self.stop_cluster(0).await;
        }
        if let Some(standin) = self.standin.take() {
            standin.shutdown().await;
        }
    }
}

/// Polls `check` until it returns `Some`, for up to 15 seconds.
pub async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    eventually_within(Duration::from_secs(15), what, check).await
}

/// [`eventually`] with a longer bound, for tests whose work is bounded by
/// Discord's rate limits rather than by the bot (their speed is measured by
/// the load tests in `loadtests/`, not here).
pub async fn eventually_within<T, F, Fut>(bound: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting until {what}");
        }
        // The poll interval of a wait bounded by `deadline`, not a wait for an effect.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The text of a stand-in message: its content, or its embeds' descriptions.
pub fn text_of(message: &Value) -> String {
    let mut text = message["content"].as_str().unwrap_or_default().to_owned();
    for embed in message["embeds"].as_array().into_iter().flatten() {
        if let Some(d) = embed["description"].as_str() {
            text.push('\n');
            text.push_str(d);
        }
    }
    text
}

impl TestApp {
    /// The user DMs the bot; returns the ticket channel once the DM is in it.
    pub async fn open_ticket(&self, guild: &Guild, user: u64, text: &str) -> u64 {
        self.control.user_dm(user, text).await.unwrap();
        let db = self.db.pool.clone();
        let guild_id = guild.id;
        let channel: i64 = eventually("the ticket opens", || {
            let db = db.clone();
            async move {
                sqlx::query_scalar(
                    "SELECT channel_id FROM tickets WHERE guild_id = $1 AND opener_id = $2 AND status = 'open'",
                )
                .bind(guild_id as i64)
                .bind(user as i64)
                .fetch_optional(&db)
                .await
                .ok()
                .flatten()
            }
        })
        .await;
        let channel = channel as u64;
        let control = self.control.clone();
        let text = text.to_owned();
        eventually("the DM is in the ticket channel", || {
            let control = control.clone();
            let text = text.clone();
            async move {
                let messages = control.channel_messages(channel).await.ok()?;
                messages.iter().any(|m| text_of(m).contains(&text)).then_some(())
            }
        })
        .await;
        // The welcome follows the first relay; wait for it so tests that count
        // DMs afterwards start from a settled conversation.
        let control = self.control.clone();
        eventually("the user has been welcomed", || {
            let control = control.clone();
            async move {
                let dms = control.dm_messages(user).await.ok()?;
                dms.iter().any(|m| !is_id(&m["author"]["id"], user) && text_of(m).contains("ticket #")).then_some(())
            }
        })
        .await;
        channel
    }

    /// Lets `user` see and write in a ticket channel without being staff.
    pub async fn grant_channel_access(&self, channel: u64, user: u64) {
        use twilight_model::guild::Permissions;
        use twilight_model::http::permission_overwrite::{PermissionOverwrite, PermissionOverwriteType};
        use twilight_model::id::Id;
        let overwrite = PermissionOverwrite {
            allow: Some(Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES),
            deny: None,
            id: Id::new(user),
            kind: PermissionOverwriteType::Member,
        };
        self.bot().http.update_channel_permission(Id::new(channel), &overwrite).await.expect("overwrite is set");
    }

    /// Messages the bot sent the user in DMs.
    pub async fn bot_dms(&self, user: u64) -> Vec<Value> {
        self.control.dm_messages(user).await.unwrap().into_iter().filter(|m| !is_id(&m["author"]["id"], user)).collect()
    }
}

/// Whether a JSON snowflake (Discord sends ids as strings) is `id`.
pub fn is_id(value: &Value, id: u64) -> bool {
    value.as_str().and_then(|s| s.parse::<u64>().ok()) == Some(id)
}

impl TestApp {
    /// Waits until the bot has sent `user` a DM containing `needle`; returns it.
    pub async fn wait_for_bot_dm(&self, user: u64, needle: &str) -> Value {
        eventually(&format!("the user receives {needle:?}"), || async {
            self.bot_dms(user).await.into_iter().find(|m| text_of(m).contains(needle))
        })
        .await
    }

    /// Waits until `count` messages containing `needle` are in `channel`.
    pub async fn wait_for_channel_count(&self, channel: u64, needle: &str, count: usize) {
        eventually(&format!("the channel shows {needle:?} {count} times"), || async {
            let messages = self.control.channel_messages(channel).await.ok()?;
            let visible = messages.iter().filter(|m| m["ephemeral"] != true);
            (visible.filter(|m| text_of(m).contains(needle)).count() >= count).then_some(())
        })
        .await
    }

    /// Waits until a message everyone sees (not an ephemeral answer)
    /// containing `needle` is in `channel`; returns it.
    pub async fn wait_for_channel_text(&self, channel: u64, needle: &str) -> Value {
        eventually(&format!("the channel shows {needle:?}"), || async {
            let messages = self.control.channel_messages(channel).await.ok()?;
            messages.into_iter().find(|m| m["ephemeral"] != true && text_of(m).contains(needle))
        })
        .await
    }
}

impl TestApp {
    /// Makes every pending timer due now, as if its delay had passed: the
    /// timer's row is the truth, and the Redis index is rebuilt from it within
    /// the reindex period. Returns how many timers were moved.
    pub async fn advance_timers(&self) -> u64 {
        sqlx::query("UPDATE timers SET due_at = now() WHERE state = 'pending'")
            .execute(&self.db.pool)
            .await
            .unwrap()
            .rows_affected()
    }

    /// Runs a slash command and returns the text of the bot's answer.
    pub async fn slash(&self, user: u64, guild: &Guild, channel: u64, name: &str, options: Value) -> String {
        let answer = self.command(user, guild, channel, name, options).await;
        answer["data"]["content"].as_str().unwrap_or_default().to_owned()
    }

    /// A staff member of `guild` as the ticket core sees them, for driving the
    /// core's entry points directly (duplicate-delivery tests).
    pub fn staff_invocation(&self, guild: &Guild, channel: u64, source: u64) -> ticketeer::commands::Invocation {
        use ticketeer::domain::ids::{ChannelId, GuildId, RoleId, UserId};
        ticketeer::commands::Invocation {
            guild: GuildId(guild.id),
            channel: ChannelId(channel),
            actor: ticketeer::domain::actor::Actor {
                user: UserId(guild.staff),
                name: "staff".into(),
                roles: vec![RoleId(guild.staff_role)],
                manage_guild: false,
                api_token: None,
            },
            source,
            attachments: vec![],
        }
    }

    /// The ticket's status in the database.
    pub async fn ticket_status(&self, channel: u64) -> String {
        sqlx::query_scalar("SELECT status FROM tickets WHERE channel_id = $1")
            .bind(channel as i64)
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    /// The barrier for "no more of the user's DMs show up" assertions: `user`
    /// DMs a marker and this waits until it is relayed into `channel`. A
    /// user's DMs are relayed by one drain at a time, oldest first
    /// (docs/ARCHITECTURE.md, the inbox), so every DM before the marker has
    /// been handled once it shows. Only for a user whose ticket is open (a DM
    /// held for a choice would never show).
    pub async fn dm_barrier(&self, user: u64, channel: u64) {
        let marker = format!("(barrier {})", rand::random::<u32>());
        self.control.user_dm(user, &marker).await.unwrap();
        self.wait_for_channel_text(channel, &marker).await;
    }

    /// Waits until a closed ticket's channel is gone: retiring the channel is
    /// the last thing a close does, after the user's close message (see
    /// `tickets/close.rs`), so once it is gone a close has sent every DM it
    /// will send. The barrier for "the close sent nothing" assertions.
    pub async fn wait_until_channel_gone(&self, channel: u64) {
        eventually("the channel is deleted", || async { self.control.channel(channel).await.is_err().then_some(()) })
            .await;
    }

    /// Waits until the ticket of `channel` is closed.
    pub async fn wait_until_closed(&self, channel: u64) {
        eventually("the ticket is closed", || async { (self.ticket_status(channel).await == "closed").then_some(()) })
            .await;
    }
}

impl TestApp {
    /// Stops cluster 0 and forgets its saved gateway sessions, so the next
    /// start identifies afresh and Discord replays nothing: what a crash or a
    /// session that expired during an outage looks like.
    pub async fn stop_and_lose_sessions(&mut self) {
        use deadpool_redis::redis;
        let (keys, redis_pool, total) =
            (self.bot().keys.clone(), self.bot().redis.clone(), self.clusters[0].info.total_shards);
        self.stop_cluster(0).await;
        let mut conn = redis_pool.get().await.unwrap();
        for shard in 0..total {
            let _: i64 = redis::cmd("DEL").arg(keys.shard_session(shard, total)).query_async(&mut conn).await.unwrap();
        }
    }
}
