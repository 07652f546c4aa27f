//! Load test: restarting the fleet under traffic. Four real `ticketeer
//! gateway` processes (clusters 0..3 of 4, one shard each) hold G small
//! guilds and one support guild with modmail on, where U members each DM
//! the bot once a second. Meanwhile every cluster is restarted in turn,
//! first gracefully (SIGTERM, as a rolling deploy does), then by `kill -9`
//! (a crash: the replacement starts a second later). For each restart it
//! measures the pause: from the signal until the cluster's shard is live on
//! the stand-in again. At the end it counts identifies and resumes (target: 0
//! identifies, every replacement resumes) and checks that every DM sent was
//! relayed into its user's ticket exactly once.
//!
//! Loopback only; bounded (at most 2,000 guilds and 100 users, every step
//! with a time limit); the children get SIGTERM at the end and on error.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use discord_standin::ControlClient;
use futures_util::future::join_all;
use serde_json::Value;
use ticketeer_loadtests::{
    fresh_standin, release_binary, signal, spawn_cluster, stop, wait_until, ClusterEnv, ThrowawayDatabase,
};
use tokio::process::Child;

const CLUSTERS: u16 = 4;

#[derive(Parser)]
struct Args {
    /// Small guilds besides the support guild (at most 2000).
    #[arg(long, default_value_t = 400)]
    guilds: u32,
    /// Members of the support guild DMing the bot once a second each (at most 100).
    #[arg(long, default_value_t = 20)]
    users: u32,
    /// The `ticketeer` binary (a release build). Default:
    /// $CARGO_TARGET_DIR/release/ticketeer, else target/release/ticketeer.
    #[arg(long)]
    bin: Option<PathBuf>,
    /// Give up on any one step after this long.
    #[arg(long, default_value_t = 120)]
    timeout_secs: u64,
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    database_server: String,
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
}

/// One restart of one cluster.
struct Restart {
    cluster: u16,
    how: &'static str,
    /// From the signal until the shard was live again.
    pause: Duration,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.guilds > 2_000 || args.users == 0 || args.users > 100 {
        bail!("--guilds must be at most 2000 and --users between 1 and 100");
    }
    let bin = release_binary(args.bin.as_deref())?;
    let (standin, token) = fresh_standin(u32::from(CLUSTERS), false).await?;
    let control = standin.control();
    let database = ThrowawayDatabase::create(&args.database_server).await?;
    let env = ClusterEnv {
        bin: &bin,
        token: &token,
        discord_url: standin.base_url(),
        database_url: &database.url,
        redis_url: &args.redis_url,
        clusters: CLUSTERS,
        total_shards: u32::from(CLUSTERS),
    };
    let mut children: Vec<Option<Child>> = Vec::new();
    let result = run(&args, &env, &control, &mut children).await;
    stop(children.into_iter().flatten().collect()).await;
    database.drop_now().await?;
    standin.shutdown().await;
    result
}

async fn run(
    args: &Args,
    env: &ClusterEnv<'_>,
    control: &ControlClient,
    children: &mut Vec<Option<Child>>,
) -> anyhow::Result<()> {
    let limit = Duration::from_secs(args.timeout_secs);
    let db = ticketeer::db::connect_lazy(env.database_url, 2)?;
    ticketeer::db::migrate(&db).await?;

    // The world.
    let owner = control.create_user("owner").await?;
    for chunk in (0..args.guilds).collect::<Vec<_>>().chunks(64) {
        for created in join_all(chunk.iter().map(|g| small_guild(control, owner, *g))).await {
            created?;
        }
    }
    let support = control.create_guild("Support", owner).await?;
    let staff_role = control.create_role(support, "Staff", 1 << 10 | 1 << 11).await?;
    let inbox = control.create_channel(support, "Inbox", 4, None).await?;
    let general = control.create_channel(support, "general", 0, None).await?;
    let mut users = Vec::new();
    for i in 0..args.users {
        let user = control.create_user(&format!("member{i}")).await?;
        control.put_member(support, user, &[]).await?;
        users.push(user);
    }
    control.add_bot(support, None).await?;

    for k in 0..CLUSTERS {
        children.push(Some(spawn_cluster(env, k)?));
    }
    let everyone = i64::from(args.guilds) + 1;
    wait_until(limit, || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM guilds").fetch_one(&db).await.unwrap_or(0);
        n >= everyone
    })
    .await
    .context("the clusters did not receive every guild")?;
    let setup = serde_json::json!([{"name": "setup", "type": 1, "options": [
        {"name": "inbox-category", "type": 7, "value": inbox.to_string()},
        {"name": "staff-role", "type": 8, "value": staff_role.to_string()}]}]);
    control.run_command(owner, Some(support), Some(general), "modmail", setup).await?;
    wait_until(limit, || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM guild_members").fetch_one(&db).await.unwrap_or(0);
        n > i64::from(args.users)
    })
    .await
    .context("modmail was not set up and indexed")?;
    // Every shard has saved a checkpoint to resume from (they are written
    // every few seconds).
    tokio::time::sleep(Duration::from_secs(6)).await;
    let before = control.gateway_stats().await?;

    // The traffic: every user DMs once a second until the restarts are over.
    let sending = Arc::new(AtomicBool::new(true));
    let sent = Arc::new(AtomicU64::new(0));
    let traffic = tokio::spawn({
        let control = control.clone();
        let users = users.clone();
        let sending = sending.clone();
        let sent = sent.clone();
        async move {
            let mut round = 0u32;
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let mut failed = 0u32;
            while sending.load(Ordering::SeqCst) && round < 600 {
                tick.tick().await;
                round += 1;
                for (i, user) in users.iter().enumerate() {
                    match control.user_dm(*user, &format!("dm {round} of user {i}")).await {
                        Ok(_) => {
                            sent.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(_) => failed += 1,
                    }
                }
            }
            (round, failed)
        }
    });
    tokio::time::sleep(Duration::from_secs(3)).await;

    let mut restarts = Vec::new();
    for how in ["TERM", "KILL"] {
        for k in 0..CLUSTERS {
            let shown = control.gateway_stats().await?;
            let mut child = children[usize::from(k)].take().context("cluster running")?;
            let signalled = Instant::now();
            signal(&child, how);
            tokio::time::timeout(limit, child.wait()).await.context("the cluster did not exit")??;
            if how == "KILL" {
                // A crash is noticed and replaced after a while.
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            children[usize::from(k)] = Some(spawn_cluster(env, k)?);
            wait_until(limit, || async {
                control.gateway_stats().await.is_ok_and(|now| {
                    now.live_sessions == u64::from(CLUSTERS)
                        && now.resumes + now.identifies > shown.resumes + shown.identifies
                })
            })
            .await
            .with_context(|| format!("cluster {k} did not come back after SIG{how}"))?;
            let pause = signalled.elapsed();
            eprintln!("fleet_restart: cluster {k} back {:.2} s after SIG{how}", pause.as_secs_f64());
            restarts.push(Restart { cluster: k, how: if how == "TERM" { "SIGTERM" } else { "kill -9" }, pause });
            // Every replacement checkpoints before the next restart.
            tokio::time::sleep(Duration::from_secs(6)).await;
        }
    }
    sending.store(false, Ordering::SeqCst);
    let (rounds, failed) = traffic.await?;
    if failed > 0 {
        bail!("{failed} DMs could not be sent to the stand-in");
    }
    let after = control.gateway_stats().await?;

    // Every DM in its user's ticket exactly once.
    let sent = sent.load(Ordering::SeqCst);
    let relayed_at = Instant::now();
    let verdict = std::cell::Cell::new((0u64, 0u64));
    let settled = wait_until(limit, || async {
        match relayed_copies(control, &db, &users).await {
            Ok(copies) => {
                let once = copies.values().filter(|n| **n == 1).count() as u64;
                let doubled = copies.values().filter(|n| **n > 1).count() as u64;
                verdict.set((once, doubled));
                once + doubled == sent
            }
            Err(_) => false,
        }
    })
    .await;
    let (once, doubled) = verdict.get();
    let lost = sent - once - doubled;

    println!(
        "fleet_restart: {} guilds on {CLUSTERS} clusters, {} users DMing once a second ({rounds} rounds, {sent} DMs)",
        args.guilds + 1,
        args.users
    );
    for r in &restarts {
        println!("  cluster {} {}: shard live again after {:.2} s", r.cluster, r.how, r.pause.as_secs_f64());
    }
    let worst = |how: &str| restarts.iter().filter(|r| r.how == how).map(|r| r.pause.as_secs_f64()).fold(0.0, f64::max);
    println!(
        "  identifies spent by {} restarts: {} (target 0); resumes: {}; worst pause: SIGTERM {:.2} s, kill -9 {:.2} s",
        restarts.len(),
        after.identifies - before.identifies,
        after.resumes - before.resumes,
        worst("SIGTERM"),
        worst("kill -9"),
    );
    println!(
        "  DMs: {sent} sent, {once} relayed once, {doubled} doubled, {lost} lost (all relayed {:.1} s after the last restart)",
        relayed_at.elapsed().as_secs_f64()
    );
    settled.context("not every DM was relayed")?;
    if doubled > 0 || after.identifies != before.identifies {
        bail!("DMs doubled or identifies spent");
    }
    Ok(())
}

/// For every DM text ("dm R of user I") found in a ticket channel of its
/// own user, how many copies there are.
async fn relayed_copies(
    control: &ControlClient,
    db: &sqlx::PgPool,
    users: &[u64],
) -> anyhow::Result<HashMap<String, u64>> {
    let mut copies = HashMap::new();
    for (i, user) in users.iter().enumerate() {
        let channels: Vec<i64> = sqlx::query_scalar("SELECT channel_id FROM tickets WHERE opener_id = $1")
            .bind(*user as i64)
            .fetch_all(db)
            .await?;
        if channels.len() > 1 {
            bail!("user {i} has {} tickets", channels.len());
        }
        let suffix = format!(" of user {i}");
        for channel in channels {
            for message in control.channel_messages(channel as u64).await? {
                for text in texts(&message) {
                    if let Some(at) = text.find("dm ") {
                        let rest = &text[at..];
                        if let Some(end) = rest.find(&suffix) {
                            let key = rest[..end + suffix.len()].to_owned();
                            // "of user 1" is a prefix of "of user 12": only an exact end counts.
                            let next = rest[end + suffix.len()..].chars().next();
                            if next.is_none_or(|c| !c.is_ascii_digit()) {
                                *copies.entry(key).or_insert(0) += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(copies)
}

/// The texts a relayed message carries: its content and its embeds' descriptions.
fn texts(message: &Value) -> Vec<String> {
    let mut texts = vec![message["content"].as_str().unwrap_or_default().to_owned()];
    if let Some(embeds) = message["embeds"].as_array() {
        texts.extend(embeds.iter().filter_map(|e| e["description"].as_str()).map(str::to_owned));
    }
    texts
}

/// A small guild: the owner, a role, a category with 2 text channels, the bot.
async fn small_guild(control: &ControlClient, owner: u64, g: u32) -> anyhow::Result<()> {
    let guild = control.create_guild(&format!("Server {g}"), owner).await?;
    control.create_role(guild, "Member", 1 << 10 | 1 << 11).await?;
    let category = control.create_channel(guild, "Text Channels", 4, None).await?;
    for name in ["general", "support"] {
        control.create_channel(guild, name, 0, Some(category)).await?;
    }
    control.add_bot(guild, None).await?;
    Ok(())
}
