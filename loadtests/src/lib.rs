//! What the load tests share: a throwaway database, real `ticketeer gateway`
//! processes started against the stand-in and stopped again, and reading a
//! process's resident memory. Loopback only.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use sqlx::{Connection, PgConnection};
use tokio::process::{Child, Command};

/// A database created for one run and dropped after it.
pub struct ThrowawayDatabase {
    admin: PgConnection,
    name: String,
    /// Its URL.
    pub url: String,
}

impl ThrowawayDatabase {
    /// Creates a fresh database on `server` (a URL naming any database of it).
    pub async fn create(server: &str) -> anyhow::Result<Self> {
        let name = format!("ticketeer_load_{:016x}", rand::random::<u64>());
        let mut admin = PgConnection::connect(server).await.context("PostgreSQL")?;
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
        let url = format!("{}/{name}", server.rsplit_once('/').context("database URL")?.0);
        Ok(Self { admin, name, url })
    }

    /// Drops it, whoever is still connected.
    pub async fn drop_now(mut self) -> anyhow::Result<()> {
        sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut self.admin).await?;
        Ok(())
    }
}

/// The `ticketeer` binary: `given`, else `$CARGO_TARGET_DIR/release/ticketeer`,
/// else `target/release/ticketeer`. Build it the way production does, on its
/// own and without the demo: `cargo build --release -p ticketeer --no-default-features`.
pub fn release_binary(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    let bin = match given {
        Some(path) => path.to_path_buf(),
        None => {
            let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| "target".into());
            target.join("release").join("ticketeer")
        }
    };
    if !bin.is_file() {
        bail!(
            "no ticketeer binary at {} (cargo build --release -p ticketeer --no-default-features, or --bin)",
            bin.display()
        );
    }
    Ok(bin)
}

/// Where a gateway process finds everything it talks to.
pub struct ClusterEnv<'a> {
    pub bin: &'a Path,
    pub token: &'a str,
    pub discord_url: String,
    pub database_url: &'a str,
    pub redis_url: &'a str,
    pub clusters: u16,
    pub total_shards: u32,
}

/// Starts `ticketeer gateway --cluster index` with a clean environment:
/// `PATH`, what `env` names, and any `MALLOC_*` or `TICKETEER_*` setting
/// the load test itself was given (which wins, to compare settings). Its
/// stdout is dropped; warnings and errors go to this process's stderr.
pub fn spawn_cluster(env: &ClusterEnv<'_>, index: u16) -> anyhow::Result<Child> {
    let mut command = Command::new(env.bin);
    command
        .args(["gateway", "--cluster", &index.to_string(), "--clusters", &env.clusters.to_string()])
        .args(["--total-shards", &env.total_shards.to_string()])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DISCORD_TOKEN", env.token)
        .env("DISCORD_API_URL", &env.discord_url)
        .env("DATABASE_URL", env.database_url)
        .env("REDIS_URL", env.redis_url)
        .env("TICKETEER_OPS_LISTEN", "127.0.0.1:0")
        // Four clusters of 16 + 4 connections stay under PostgreSQL's
        // default max_connections (100); the default 32 would not.
        .env("TICKETEER_DATABASE_POOL_SIZE", "16")
        .env("TICKETEER_LOG_FORMAT", "human")
        .env("RUST_LOG", "warn");
    for (name, value) in std::env::vars_os() {
        let text = name.to_string_lossy();
        if text.starts_with("MALLOC_") || text.starts_with("TICKETEER_") {
            command.env(name, value);
        }
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", env.bin.display()))
}

/// Sends `signal` (`TERM`, `KILL`) to `child`.
pub fn signal(child: &Child, signal: &str) {
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]).status();
    }
}

/// SIGTERM to each child, then up to 15 s for it to exit (SIGKILL past that).
pub async fn stop(children: Vec<Child>) {
    for child in &children {
        signal(child, "TERM");
    }
    for mut child in children {
        if tokio::time::timeout(Duration::from_secs(15), child.wait()).await.is_err() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }
}

/// VmRSS of a process, KiB.
pub fn vm_rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc/PID/status")
}

/// Polls `check` every 100 ms until it holds; an error after `limit`.
pub async fn wait_until<F, Fut>(limit: Duration, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("timed out after {} s", limit.as_secs())
}

/// A fresh stand-in for a new bot (its own application id and token, so its
/// Redis keys are its own) with `shards` shards and Discord's per-route
/// limits on or off. Returns it with the bot's token.
pub async fn fresh_standin(shards: u32, route_limits: bool) -> anyhow::Result<(discord_standin::StandIn, String)> {
    let application_id = 2_000_000 + u64::from(rand::random::<u32>());
    let token = format!("load-{application_id}");
    let standin = discord_standin::StandIn::start(discord_standin::Config {
        bot_token: token.clone(),
        application_id,
        shards,
        max_concurrency: 16,
        route_limits,
        ..discord_standin::Config::default()
    })
    .await?;
    Ok((standin, token))
}
