//! Load test: N members DM the bot at once; every ticket must open, numbered
//! exactly 1..N, with its first message relayed. Reports the wall time, the
//! REST calls per route and the time to each ticket. Loopback only; bounded.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use discord_standin::StandIn;
use futures_util::future::join_all;
use ticketeer_loadtests::{fresh_standin, wait_until, ThrowawayDatabase};
use tokio_util::sync::CancellationToken;

use ticketeer::config::{Config, Sources};
use ticketeer::gateway::cluster::{self, ClusterOptions};

#[derive(Parser)]
struct Args {
    /// Members who DM at the same moment (at most 2000).
    #[arg(long, default_value_t = 200)]
    users: u32,
    /// Guilds the members are spread over. A Discord category holds 50
    /// channels, so each guild's inbox takes at most 50 tickets (overflow
    /// categories are the next milestone).
    #[arg(long, default_value_t = 4)]
    guilds: u32,
    /// Turn on Discord's per-route rate limits in the stand-in.
    #[arg(long)]
    route_limits: bool,
    /// Give up after this long.
    #[arg(long, default_value_t = 180)]
    timeout_secs: u64,
    /// PostgreSQL server to create the throwaway database on.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    database_server: String,
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.users == 0 || args.users > 2000 {
        bail!("--users must be between 1 and 2000");
    }
    if args.guilds == 0 || args.users.div_ceil(args.guilds) > 50 {
        bail!("--guilds must give each guild at most 50 members (an inbox category holds 50 channels)");
    }
    let (standin, token) = fresh_standin(1, args.route_limits).await?;
    let control = standin.control();

    let database = ThrowawayDatabase::create(&args.database_server).await?;
    let result = run(&args, &standin, &control, &token, &database.url).await;
    database.drop_now().await?;
    standin.shutdown().await;
    result
}

async fn run(
    args: &Args,
    standin: &StandIn,
    control: &discord_standin::ControlClient,
    token: &str,
    db_url: &str,
) -> anyhow::Result<()> {
    let config = Config::from_sources(&Sources::from_pairs([
        ("DISCORD_TOKEN", token.to_owned()),
        ("DISCORD_API_URL", standin.base_url()),
        ("DATABASE_URL", db_url.to_owned()),
        ("REDIS_URL", args.redis_url.clone()),
        ("TICKETEER_OPS_LISTEN", "127.0.0.1:0".into()),
    ]))?;
    let db = ticketeer::db::connect_lazy(db_url, 4)?;
    ticketeer::db::migrate(&db).await?;
    let bot = ticketeer::bot::Bot::connect(&config).await?;
    let shutdown = CancellationToken::new();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let options = ClusterOptions {
        cluster: 0,
        clusters: 1,
        total_shards: None,
        ops_listen: config.ops_listen.unwrap_or_else(|| ([127, 0, 0, 1], 0).into()),
    };
    let gateway = tokio::spawn(cluster::run(bot, options, shutdown.clone(), Some(tx)));
    rx.await?;

    // The world: G guilds with modmail set up, the members spread over them.
    let owner = control.create_user("owner").await?;
    let mut users = Vec::new();
    let mut guilds = Vec::new();
    for g in 0..args.guilds {
        let guild = control.create_guild(&format!("Load {g}"), owner).await?;
        let staff_role = control.create_role(guild, "Staff", 1 << 10 | 1 << 11).await?;
        let inbox = control.create_channel(guild, "Inbox", 4, None).await?;
        let general = control.create_channel(guild, "general", 0, None).await?;
        guilds.push((guild, staff_role, inbox, general));
    }
    for i in 0..args.users {
        let user = control.create_user(&format!("member{i}")).await?;
        let (guild, ..) = guilds[(i % args.guilds) as usize];
        control.put_member(guild, user, &[]).await?;
        users.push(user);
    }
    for (guild, ..) in &guilds {
        control.add_bot(*guild, None).await?;
    }
    for (guild, staff_role, inbox, general) in &guilds {
        let setup = serde_json::json!([{"name": "setup", "type": 1, "options": [
            {"name": "inbox-category", "type": 7, "value": inbox.to_string()},
            {"name": "staff-role", "type": 8, "value": staff_role.to_string()}]}]);
        control.run_command(owner, Some(*guild), Some(*general), "modmail", setup).await?;
    }
    wait_until(Duration::from_secs(10), || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM guild_settings WHERE modmail_enabled")
            .fetch_one(&db)
            .await
            .unwrap_or(0);
        n == i64::from(args.guilds)
    })
    .await
    .context("modmail setup did not complete")?;
    control.clear_requests().await?;
    control.clear_early_retries().await?;
    // Only guilds with modmail on are indexed: their clusters fill the index
    // once it is turned on.
    wait_until(Duration::from_secs(60), || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM guild_members").fetch_one(&db).await.unwrap_or(0);
        n >= i64::from(args.users) + i64::from(args.guilds)
    })
    .await
    .context("the bot did not index the members")?;

    // The burst.
    let started = Instant::now();
    join_all(users.iter().map(|u| control.user_dm(*u, "load test: I need help"))).await;
    let sent = started.elapsed();
    let done = wait_until(Duration::from_secs(args.timeout_secs), || async {
        let relayed: i64 = sqlx::query_scalar("SELECT count(*) FROM inbound_dms WHERE state = 'relayed'")
            .fetch_one(&db)
            .await
            .unwrap_or(0);
        relayed >= i64::from(args.users)
    })
    .await;
    let elapsed = started.elapsed();
    shutdown.cancel();
    let _ = gateway.await;
    done.with_context(|| format!("not every ticket opened within {} s", args.timeout_secs))?;

    // Per guild, numbers must be exactly 1..n with n that guild's tickets.
    let per_guild: Vec<(i64, Vec<i32>)> =
        sqlx::query_as("SELECT guild_id, array_agg(number ORDER BY number) FROM tickets GROUP BY guild_id")
            .fetch_all(&db)
            .await?;
    let exact = per_guild.len() == args.guilds as usize
        && per_guild.iter().all(|(_, numbers)| *numbers == (1..=numbers.len() as i32).collect::<Vec<_>>())
        && per_guild.iter().map(|(_, n)| n.len()).sum::<usize>() == args.users as usize;
    let open_ms: Vec<f64> = sqlx::query_scalar(
        "SELECT (EXTRACT(EPOCH FROM (t.opened_at - d.received_at)) * 1000)::float8
         FROM tickets t JOIN inbound_dms d ON d.ticket_id = t.ticket_id ORDER BY 1",
    )
    .fetch_all(&db)
    .await?;
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    // Arrival times at "Discord" of requests counting toward the global limit.
    let mut arrivals: Vec<chrono::DateTime<chrono::Utc>> = Vec::new();
    for request in control.requests().await? {
        let route = request["route"].as_str().unwrap_or("?").to_owned();
        if !route.contains("/interactions/") && !route.contains("/webhooks/") && !route.contains("/attachments/") {
            if let Some(at) = request["at"].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) {
                arrivals.push(at.with_timezone(&chrono::Utc));
            }
            *counts.entry(route).or_insert(0) += 1;
        }
    }
    arrivals.sort();
    let second = chrono::Duration::seconds(1);
    let busiest = (0..arrivals.len())
        .map(|i| arrivals[i..].iter().take_while(|t| **t - arrivals[i] < second).count())
        .max()
        .unwrap_or(0);
    // The sustained rate: requests over the span from the first to the last.
    let span = match (arrivals.first(), arrivals.last()) {
        (Some(a), Some(b)) => (*b - *a).num_milliseconds() as f64 / 1000.0,
        _ => 0.0,
    };
    let limits = control.early_retries().await?;
    let total: u64 = counts.values().sum();
    let pct = |p: f64| open_ms.get(((open_ms.len() as f64 - 1.0) * p) as usize).copied().unwrap_or(0.0);
    println!(
        "modmail_burst: {} users in {} guilds, route limits {}",
        args.users,
        args.guilds,
        if args.route_limits { "on" } else { "off" }
    );
    println!("  DMs sent in           {:.2} s", sent.as_secs_f64());
    println!(
        "  all tickets open in   {:.2} s ({:.1} tickets/s)",
        elapsed.as_secs_f64(),
        f64::from(args.users) / elapsed.as_secs_f64()
    );
    println!("  DM stored → ticket row: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms", pct(0.5), pct(0.95), pct(1.0));
    println!("  per-guild numbering exactly 1..n, {} tickets in all: {exact}", args.users);
    println!("  REST calls: {total} ({:.2} per ticket)", total as f64 / f64::from(args.users));
    println!(
        "  REST rate at Discord: {:.1}/s sustained over {span:.1} s, busiest rolling second {busiest} (ceiling 50)",
        arrivals.len() as f64 / span.max(0.001)
    );
    println!("  429s: {} ({} global), early retries {}", limits.limited, limits.limited_global, limits.early);
    for (route, n) in &counts {
        println!("    {n:>6}  {route}");
    }
    if !exact {
        bail!("ticket numbers were not exactly 1..n in every guild");
    }
    Ok(())
}
