//! Guild messages that are not ours cost nothing: the guild's prefix comes
//! from the in-process cache, counted from outside (bytes the bot sends
//! PostgreSQL through a proxy, every command Redis receives via MONITOR).
//! And the cache stays correct across clusters: a prefix changed elsewhere is
//! used at once (long before the cache's 60 s backstop expires), even where
//! the old one was cached.

use std::time::{Duration, Instant};

use deadpool_redis::redis;
use futures_util::StreamExt as _;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::api::Auth;
use crate::support::{eventually, eventually_within, text_of, Guild, Options, TestApp};

/// Every command the private Redis receives, as MONITOR prints it, in order.
struct RedisMonitor {
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RedisMonitor {
    async fn start(url: &str) -> RedisMonitor {
        let client = redis::Client::open(url).unwrap();
        let monitor = client.get_async_monitor().await.expect("MONITOR starts");
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let into = lines.clone();
        let task = tokio::spawn(async move {
            let mut stream = monitor.into_on_message::<String>();
            while let Some(line) = stream.next().await {
                into.lock().unwrap().push(line);
            }
        });
        RedisMonitor { lines, task }
    }

    fn count(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    fn since(&self, from: usize) -> Vec<String> {
        self.lines.lock().unwrap()[from..].to_vec()
    }
}

impl Drop for RedisMonitor {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The command of a MONITOR line (`1733… [0 127.0.0.1:5555] "SET" "key" …`).
fn command_of(line: &str) -> String {
    line.split_once("] \"").map(|(_, rest)| rest.split('"').next().unwrap_or_default()).unwrap_or_default().to_owned()
}

/// The sequence a checkpoint line writes (`"SET" "…:gateway:session:…" "{…\"sequence\":N…}"`).
fn checkpoint_sequence(line: &str) -> Option<u64> {
    if command_of(line) != "SET" || !line.contains(":gateway:session:") {
        return None;
    }
    let (_, rest) = line.split_once("sequence\\\":")?;
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

#[tokio::test]
async fn two_hundred_ordinary_guild_messages_cost_no_database_or_redis_round_trip() {
    let app = TestApp::spawn_with(Options {
        postgres_proxy: true,
        private_redis: true,
        recover_on_start: false,
        // The periodic jobs are slowed down so that what remains in the
        // window is what messages cause (and two kinds of background named
        // below, which do not depend on messages).
        inbox_sweep_ms: 3_600_000,
        // The membership index fill looks once, at start, and the singleton
        // lease is renewed every 100 s, so neither falls in the window.
        config: vec![
            ("TICKETEER_TIMER_POLL_MS", "3600000".into()),
            ("TICKETEER_TIMER_REINDEX_MS", "3600000".into()),
            ("TICKETEER_MEMBER_FILL_POLL_MS", "3600000".into()),
            ("TICKETEER_SINGLETON_LEASE_MS", "300000".into()),
        ],
        ..Options::default()
    })
    .await;
    let acme = app.guild("acme").await;
    // Set up without waiting for the index fill (its look is an hour away):
    // members joining from now on are indexed as they join.
    let setup = serde_json::json!([{
        "name": "setup", "type": 1,
        "options": [
            {"name": "inbox-category", "type": 7, "value": acme.inbox.to_string()},
            {"name": "staff-role", "type": 8, "value": acme.staff_role.to_string()},
        ]
    }]);
    app.command(acme.owner, &acme, acme.general, "modmail", setup).await;
    let chatter = app.member("chatter", &[&acme]).await;

    // The first message of the guild reads the prefix (once).
    app.control.post_message(acme.general, acme.owner, "!modmail set anonymous_label Team").await.unwrap();
    app.wait_for_channel_text(acme.general, "Saved: anonymous_label").await;
    // Nothing of the setup is still being handled when the counting starts.
    app.wait_until_events_handled().await;

    let proxy = app.postgres_proxy.as_ref().unwrap();
    let monitor = RedisMonitor::start(&app.private_redis.as_ref().unwrap().url()).await;
    let (pg_before, redis_before) = (proxy.bytes_sent_upstream(), monitor.count());
    let started = Instant::now();
    let texts = ["hello everyone", "?not our prefix", "anyone around? !reply is how staff answer", "🙂", "! spaced"];
    for n in 0..200 {
        let author = if n % 2 == 0 { chatter } else { acme.staff };
        app.control.post_message(acme.general, author, texts[n % texts.len()]).await.unwrap();
    }
    // Every one of them has been handled once the shard's checkpoint (which
    // stays before the oldest event still being handled) passes the last.
    let sent_up_to = app.control.gateway_sessions().await.unwrap()[0]["seq"].as_u64().unwrap();
    let monitored = eventually("the checkpoint passes the last message", || async {
        let lines = monitor.since(redis_before);
        lines.iter().any(|l| checkpoint_sequence(l).is_some_and(|s| s >= sent_up_to)).then_some(lines)
    })
    .await;
    let pg_bytes = proxy.bytes_sent_upstream() - pg_before;
    let elapsed = started.elapsed();

    // What runs whether messages come or not: the lease holder's Redis health ping
    // (every second), the pool's check of a connection before lending it
    // (`UNWATCH` + `PING n`), the invalidation subscription's ping, and the
    // shard's session checkpoint (at most every 2 s).
    let health = |l: &&String| matches!(command_of(l).as_str(), "PING" | "UNWATCH");
    let pings = monitored.iter().filter(health).count();
    let checkpoints = monitored.iter().filter(|l| checkpoint_sequence(l).is_some()).count();
    let others: Vec<&String> = monitored.iter().filter(|l| !health(l) && checkpoint_sequence(l).is_none()).collect();
    println!(
        "200 guild messages in {elapsed:?}: {pg_bytes} bytes sent to PostgreSQL, {} other Redis commands \
         (besides {pings} health checks and {checkpoints} session checkpoints, which do not depend on messages)",
        others.len()
    );
    assert_eq!(pg_bytes, 0, "no request reached PostgreSQL");
    assert!(others.is_empty(), "no Redis command but the background's: {others:#?}");

    // The bot still answers commands, with the cached prefix.
    app.control.post_message(acme.general, acme.owner, "!modmail set anonymous_label Crew").await.unwrap();
    app.wait_for_channel_text(acme.general, "Saved: anonymous_label").await;
    eventually("the command reached PostgreSQL", || async {
        (proxy.bytes_sent_upstream() > pg_before + pg_bytes).then_some(())
    })
    .await;
    app.shutdown().await;
}

/// A guild whose shard (of 2) is `shard`.
async fn guild_on_shard(app: &TestApp, shard: u64, name: &str) -> Guild {
    let mut n = 0;
    loop {
        let guild = app.guild(&format!("{name}{n}")).await;
        if (guild.id >> 22) % 2 == shard {
            return guild;
        }
        n += 1;
    }
}

/// Posts `text` in `channel` and waits for the bot's answer containing `answer`.
async fn answered(app: &TestApp, guild: &Guild, channel: u64, text: &str, answer: &str) -> Duration {
    let before = app.control.channel_messages(channel).await.unwrap().len();
    let asked = Instant::now();
    app.control.post_message(channel, guild.owner, text).await.unwrap();
    let control = app.control.clone();
    // 10 s: what a loaded CI machine keeps, and still far inside the prefix
    // cache's 60 s TTL, so only the cross-cluster invalidation can pass it
    // (the time taken is printed; the load tests measure it).
    eventually_within(Duration::from_secs(10), &format!("the bot answers {text:?}"), || {
        let control = control.clone();
        async move {
            let messages = control.channel_messages(channel).await.ok()?;
            messages[before.min(messages.len())..].iter().any(|m| text_of(m).contains(answer)).then_some(())
        }
    })
    .await;
    asked.elapsed()
}

#[tokio::test]
async fn a_prefix_changed_elsewhere_is_used_by_the_cluster_that_cached_the_old_one_before_the_cache_expires() {
    let app = TestApp::spawn_with(Options { shards: 2, clusters: 2, ..Options::default() }).await;
    assert_eq!(app.clusters[1].info.shards, vec![1]);
    let zero = guild_on_shard(&app, 0, "zero").await;
    let one = guild_on_shard(&app, 1, "one").await;
    let api = app.api().await;
    for guild in [&zero, &one] {
        app.setup_modmail(guild).await;
        // Each owning cluster now holds the guild's old prefix, `!`.
        answered(&app, guild, guild.general, "!modmail set anonymous_label Team", "`Team`").await;

        // Changed through the API (neither cluster's process).
        let session = Auth::Session(api.login(&app, guild.owner).await);
        let changed = api
            .call(
                Method::PATCH,
                &format!("/v1/guilds/{}/settings", guild.id),
                &session,
                Some(json!({"modmail": {"prefix": "?"}})),
            )
            .await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);

        // The old prefix is no longer a command; the new one is, at once.
        app.control.post_message(guild.general, guild.owner, "!modmail set anonymous_label Old").await.unwrap();
        let took = answered(&app, guild, guild.general, "?modmail set anonymous_label Crew", "`Crew`").await;
        println!("guild on shard {}: the new prefix answered {took:?} after it was used", (guild.id >> 22) % 2);
        let label: String = sqlx::query_scalar("SELECT anonymous_label FROM guild_settings WHERE guild_id = $1")
            .bind(guild.id as i64)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        assert_eq!(label, "Crew");
        let messages = app.control.channel_messages(guild.general).await.unwrap();
        assert!(!messages.iter().any(|m| text_of(m).contains("`Old`")), "the command under the old prefix was not run");
    }

    // A ticket opened from a DM (cluster 0) in the guild of cluster 1, whose
    // cluster has the guild's prefix cached: staff answer with it there.
    let alice = app.member("alice", &[&one]).await;
    let channel = app.open_ticket(&one, alice, "hello from shard zero").await;
    app.control.post_message(channel, one.staff, "?reply answered by cluster one").await.unwrap();
    app.wait_for_bot_dm(alice, "answered by cluster one").await;
    app.shutdown().await;
}

/// Sets the guild's prefix in PostgreSQL only, as a change whose
/// invalidation was lost would leave things.
async fn set_prefix_behind_the_bots_back(app: &TestApp, guild: &Guild, prefix: &str) {
    sqlx::query("UPDATE guild_settings SET command_prefix = $2 WHERE guild_id = $1")
        .bind(guild.id as i64)
        .bind(prefix)
        .execute(&app.db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn without_redis_the_prefix_is_read_from_postgresql_and_the_cache_starts_empty_when_redis_is_back() {
    let mut app = TestApp::spawn_with(Options { private_redis: true, ..Options::default() }).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let cache = app.bot().tickets.prefix_cache().clone();
    answered(&app, &acme, acme.general, "!modmail set anonymous_label One", "`One`").await;

    // Redis goes: invalidations could be missed, so the cache is not used.
    app.private_redis.as_mut().unwrap().kill().await;
    eventually("the cache stops being used", || async { (!cache.is_listening()).then_some(()) }).await;
    set_prefix_behind_the_bots_back(&app, &acme, "?").await;
    answered(&app, &acme, acme.general, "?modmail set anonymous_label Two", "`Two`").await;

    // Redis is back: subscribed again, with nothing cached from before.
    set_prefix_behind_the_bots_back(&app, &acme, "%").await;
    app.private_redis.as_mut().unwrap().restart().await;
    eventually("the cache is used again", || async { cache.is_listening().then_some(()) }).await;
    answered(&app, &acme, acme.general, "%modmail set anonymous_label Three", "`Three`").await;
    app.shutdown().await;
}
