//! The command line: one binary, one subcommand per role. `demo` exists only
//! in a build with the `demo` feature (the default); the production build
//! (`--no-default-features`) has the three production roles alone.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::gateway::cluster::{self, ClusterOptions};

#[derive(Debug, Parser)]
#[command(
    name = "ticketeer",
    version,
    about = "A multi-tenant Discord bot for support tickets and modmail",
    long_about = "A multi-tenant Discord bot for support tickets and modmail.\n\n\
        Configuration comes from the environment (DISCORD_TOKEN, DISCORD_API_URL, DATABASE_URL, REDIS_URL, \
        TICKETEER_API_LISTEN, TICKETEER_OPS_LISTEN, TICKETEER_LOG_FORMAT), optionally layered over a TOML \
        file named by TICKETEER_CONFIG. See README.md."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Commands,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Run one gateway cluster: the shards `bucket(cluster, clusters, total)`.
    ///
    /// Serves /healthz and /metrics on TICKETEER_OPS_LISTEN. The gateway URL and
    /// (unless --total-shards is given) the shard count come from GET /gateway/bot.
    Gateway {
        /// This cluster's index, from 0 (in Kubernetes: the StatefulSet's
        /// pod index, through TICKETEER_CLUSTER).
        #[arg(long, env = "TICKETEER_CLUSTER", default_value_t = 0)]
        cluster: u16,
        /// How many clusters share the shards.
        #[arg(long, env = "TICKETEER_CLUSTERS", default_value_t = 1)]
        clusters: u16,
        /// Total shards of the bot (every cluster must use the same number);
        /// unset, Discord's recommendation at start-up. A reshard starts a
        /// new set of clusters with a new total beside the old set.
        #[arg(long, env = "TICKETEER_TOTAL_SHARDS")]
        total_shards: Option<u32>,
    },
    /// Run the HTTP API (/healthz, /readyz, /v1) on TICKETEER_API_LISTEN, and /metrics on TICKETEER_API_OPS_LISTEN.
    Api,
    /// Apply database migrations. Safe to run twice, and concurrently.
    Migrate,
    /// Run the whole system locally against the Discord stand-in, until Ctrl-C.
    ///
    /// Starts the stand-in seeded with demo guilds and users, PostgreSQL and
    /// Redis if none are running, migrations, a gateway cluster and the API, and
    /// prints how to act as a user.
    #[cfg(feature = "demo")]
    Demo {
        /// Port of the Discord stand-in (0 picks a free one).
        #[arg(long, default_value_t = 8900)]
        standin_port: u16,
    },
}

/// Parses the command line, runs it, and turns errors into one line and exit 1.
pub async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ticketeer: {e:#}");
            if e.downcast_ref::<crate::gateway::cluster::FatallyClosed>().is_some() {
                std::process::ExitCode::from(crate::gateway::cluster::FatallyClosed::EXIT_CODE)
            } else {
                std::process::ExitCode::FAILURE
            }
        }
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    #[cfg(feature = "demo")]
    if let Commands::Demo { standin_port } = cli.command {
        crate::telemetry::init(crate::telemetry::LogFormat::Human, "info,ticketeer=info,discord_standin=warn");
        return crate::demo::run(standin_port, shutdown_on_ctrl_c()).await;
    }
    let config = Config::load()?;
    crate::telemetry::init(config.log_format, "info");
    crate::metrics::install();
    match cli.command {
        Commands::Gateway { cluster, clusters, total_shards } => {
            // One process per cluster index on a host: a restarted cluster
            // takes over the locks its killed predecessor left. During a
            // reshard two sets run side by side, so a fixed shard total is
            // part of the slot: cluster K of the new set is not the
            // predecessor of cluster K of the old one, whose locks it must
            // leave alone.
            let slot = match total_shards {
                Some(total) => format!("gateway-{cluster}-of-{total}-shards"),
                None => format!("gateway-{cluster}"),
            };
            crate::redis::lock::set_process_slot(&slot);
            let bot = crate::bot::Bot::connect(&config).await?;
            let options =
                ClusterOptions { cluster, clusters, total_shards, ops_listen: config.cluster_ops_listen(cluster) };
            cluster::run(bot, options, shutdown_on_ctrl_c(), None).await
        }
        Commands::Api => {
            let state = crate::api::ApiState::connect(&config, crate::metrics::install()).await?;
            let listener = tokio::net::TcpListener::bind(config.api_listen)
                .await
                .with_context(|| format!("could not listen on {} (TICKETEER_API_LISTEN)", config.api_listen))?;
            let ops = tokio::net::TcpListener::bind(config.api_ops_listen)
                .await
                .with_context(|| format!("could not listen on {} (TICKETEER_API_OPS_LISTEN)", config.api_ops_listen))?;
            tracing::info!(addr = %listener.local_addr()?, ops = %ops.local_addr()?, "API listening");
            let shutdown = shutdown_on_ctrl_c();
            tokio::spawn(crate::jobs::session_purge::run(state.db.clone(), shutdown.clone()));
            crate::api::run(state, listener, ops, shutdown).await
        }
        Commands::Migrate => {
            let db = crate::db::connect_lazy(config.database_url(), 2)?;
            crate::db::migrate(&db).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        #[cfg(feature = "demo")]
        Commands::Demo { .. } => unreachable!("handled above"),
    }
}

/// A token cancelled on Ctrl-C or SIGTERM: every long-running part shuts down
/// gracefully from it.
pub fn shutdown_on_ctrl_c() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    cancel.cancel();
                    return;
                }
            };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down");
        cancel.cancel();
    });
    token
}
