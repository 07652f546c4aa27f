//! Load test: resident memory per guild. Four real `ticketeer gateway`
//! processes (clusters 0..3 of 4, one shard each) connect to the stand-in,
//! which holds G small guilds (an owner, 3 roles, a category and 5 text
//! channels, 3 members besides the owner). Once every guild is in the
//! `guilds` table and things have settled, it reads each process's VmRSS
//! from /proc/PID/status and reports the total, each cluster, RSS/G, and the
//! marginal memory per guild between two sizes:
//! (RSS(G2) − RSS(G1)) / (G2 − G1). The default run measures G = 2,000 and
//! 10,000, each from a fresh stand-in, database and Redis namespace (a new
//! application id). Loopback only; bounded (at most 20,000 guilds, each step
//! with a time limit); the children get SIGTERM at the end and on error.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use discord_standin::{ControlClient, StandIn};
use futures_util::future::join_all;
use ticketeer_loadtests::{
    fresh_standin, release_binary, spawn_cluster, stop, vm_rss_kib, ClusterEnv, ThrowawayDatabase,
};
use tokio::process::Child;

/// Clusters started, each with one of the four shards.
const CLUSTERS: u16 = 4;
/// Guilds created at once.
const CHUNK: usize = 64;
/// Users who are members of the guilds (each guild takes 3 of them).
const MEMBER_POOL: usize = 256;

#[derive(Parser)]
struct Args {
    /// Guilds in the stand-in (at most 20000). Unset: 2000, then 10000, and
    /// the marginal memory per guild between the two.
    #[arg(long)]
    guilds: Option<u32>,
    /// The `ticketeer` binary (a release build). Default:
    /// $CARGO_TARGET_DIR/release/ticketeer, else target/release/ticketeer.
    #[arg(long)]
    bin: Option<PathBuf>,
    /// Wait this long after the last guild arrived before reading VmRSS.
    #[arg(long, default_value_t = 5)]
    settle_secs: u64,
    /// Give up on one size (creating the guilds, or the clusters receiving
    /// them) after this long.
    #[arg(long, default_value_t = 600)]
    timeout_secs: u64,
    /// PostgreSQL server to create the throwaway database on.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    database_server: String,
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
}

/// One measurement: VmRSS of each cluster, KiB.
struct Measure {
    guilds: u32,
    rss_kib: Vec<u64>,
}

impl Measure {
    fn total(&self) -> u64 {
        self.rss_kib.iter().sum()
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let sizes = match args.guilds {
        Some(g) if g == 0 || g > 20_000 => bail!("--guilds must be between 1 and 20000"),
        Some(g) => vec![g],
        None => vec![2_000, 10_000],
    };
    let bin = release_binary(args.bin.as_deref())?;
    let mut measures = Vec::new();
    for guilds in sizes {
        let measure = measure(&args, &bin, guilds).await.with_context(|| format!("with {guilds} guilds"))?;
        println!("guild_memory: {guilds} guilds, {CLUSTERS} clusters");
        println!(
            "  RSS total {} KiB ({:.1} MiB), {:.1} KiB per guild",
            measure.total(),
            measure.total() as f64 / 1024.0,
            measure.total() as f64 / f64::from(guilds)
        );
        for (k, rss) in measure.rss_kib.iter().enumerate() {
            println!("    cluster {k}: {rss} KiB");
        }
        measures.push(measure);
    }
    if let [a, b] = &measures[..] {
        let marginal = (b.total() as f64 - a.total() as f64) / f64::from(b.guilds - a.guilds);
        println!(
            "  marginal: (RSS({}) - RSS({})) / {} = {marginal:.1} KiB per guild (target <= 20)",
            b.guilds,
            a.guilds,
            b.guilds - a.guilds
        );
    }
    Ok(())
}

/// A fresh stand-in and database with `guilds` guilds; four clusters; their RSS.
async fn measure(args: &Args, bin: &std::path::Path, guilds: u32) -> anyhow::Result<Measure> {
    let (standin, token) = fresh_standin(u32::from(CLUSTERS), false).await?;
    let control = standin.control();

    let database = ThrowawayDatabase::create(&args.database_server).await?;
    let mut children = Vec::new();
    let result = run(args, bin, guilds, &standin, &control, &token, &database.url, &mut children).await;
    stop(children).await;
    database.drop_now().await?;
    standin.shutdown().await;
    result
}

#[allow(clippy::too_many_arguments)]
async fn run(
    args: &Args,
    bin: &std::path::Path,
    guilds: u32,
    standin: &StandIn,
    control: &ControlClient,
    token: &str,
    db_url: &str,
    children: &mut Vec<Child>,
) -> anyhow::Result<Measure> {
    let limit = Duration::from_secs(args.timeout_secs);
    let db = ticketeer::db::connect_lazy(db_url, 2)?;
    ticketeer::db::migrate(&db).await?;

    // The world, before the bot connects: every guild arrives in a
    // GUILD_CREATE after identify, as after a deploy.
    let started = Instant::now();
    let owner = control.create_user("owner").await?;
    let mut pool = Vec::with_capacity(MEMBER_POOL);
    for chunk in (0..MEMBER_POOL).collect::<Vec<_>>().chunks(CHUNK) {
        let created = join_all(chunk.iter().map(|i| {
            let name = format!("member{i}");
            async move { control.create_user(&name).await }
        }))
        .await;
        for user in created {
            pool.push(user?);
        }
    }
    let indices: Vec<u32> = (0..guilds).collect();
    for chunk in indices.chunks(CHUNK) {
        if started.elapsed() > limit {
            bail!("creating the guilds took over {} s", limit.as_secs());
        }
        for created in join_all(chunk.iter().map(|g| small_guild(control, owner, &pool, *g))).await {
            created?;
        }
    }
    let created = started.elapsed();
    eprintln!("guild_memory: {guilds} guilds created in {:.1} s", created.as_secs_f64());

    let started = Instant::now();
    let env = ClusterEnv {
        bin,
        token,
        discord_url: standin.base_url(),
        database_url: db_url,
        redis_url: &args.redis_url,
        clusters: CLUSTERS,
        total_shards: u32::from(CLUSTERS),
    };
    for k in 0..CLUSTERS {
        children.push(spawn_cluster(&env, k)?);
    }
    let deadline = Instant::now() + limit;
    loop {
        for (k, child) in children.iter_mut().enumerate() {
            if let Some(status) = child.try_wait()? {
                bail!("cluster {k} exited: {status}");
            }
        }
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM guilds").fetch_one(&db).await.unwrap_or(0);
        if n >= i64::from(guilds) {
            break;
        }
        if Instant::now() > deadline {
            bail!("the clusters had {n} of {guilds} guilds after {} s", limit.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("guild_memory: all {guilds} guilds received in {:.1} s", started.elapsed().as_secs_f64());
    tokio::time::sleep(Duration::from_secs(args.settle_secs)).await;
    let mut rss_kib = Vec::new();
    for (k, child) in children.iter_mut().enumerate() {
        if let Some(status) = child.try_wait()? {
            bail!("cluster {k} exited: {status}");
        }
        let pid = child.id().context("child pid")?;
        rss_kib.push(vm_rss_kib(pid)?);
    }
    Ok(Measure { guilds, rss_kib })
}

/// A small real server: the owner, 3 roles, a category with 5 text channels
/// (6 channels), 3 members from the pool, and the bot.
async fn small_guild(control: &ControlClient, owner: u64, pool: &[u64], g: u32) -> anyhow::Result<()> {
    let guild = control.create_guild(&format!("Server {g}"), owner).await?;
    let staff = control.create_role(guild, "Staff", 1 << 10 | 1 << 11 | 1 << 13).await?;
    let member = control.create_role(guild, "Member", 1 << 10 | 1 << 11).await?;
    control.create_role(guild, "Muted", 0).await?;
    let category = control.create_channel(guild, "Text Channels", 4, None).await?;
    for name in ["general", "rules", "support", "off-topic", "staff"] {
        control.create_channel(guild, name, 0, Some(category)).await?;
    }
    let g = g as usize;
    for (i, roles) in [vec![staff, member], vec![member], vec![]].iter().enumerate() {
        control.put_member(guild, pool[(g * 3 + i) % pool.len()], roles).await?;
    }
    control.add_bot(guild, None).await?;
    Ok(())
}
