//! discord-standin: a local Discord (API v10, REST + gateway) for tests, the
//! demo and load tests. twilight-http and twilight-gateway talk to it as if
//! it were Discord; a control API under `/_standin/` lets tests act as
//! people (DM the bot, post in channels, run slash commands, click buttons,
//! submit modals), inspect what the bot did and inject faults.

pub mod client;
pub mod control;
pub mod demo;
pub mod error;
pub mod gateway;
pub mod ids;
pub mod json;
pub mod ops;
pub mod perms;
pub mod ratelimit;
pub mod rest;
pub mod state;
pub mod throttles;

pub use client::ControlClient;
pub use demo::{seed_demo, DemoWorld};

use parking_lot::Mutex;
use state::{App, Shared, State, User};
use std::net::SocketAddr;
use std::sync::Arc;

/// How the stand-in behaves.
#[derive(Clone, Debug)]
pub struct Config {
    /// The token the bot must present (`Authorization: Bot <token>`).
    pub bot_token: String,
    /// The application id, which is also the bot user's id.
    pub application_id: u64,
    /// Recommended shard count returned by `GET /gateway/bot`.
    pub shards: u32,
    /// Identify concurrency (`session_start_limit.max_concurrency`).
    pub max_concurrency: u32,
    /// Identifies allowed per day (`session_start_limit.total`, 1,000 on
    /// Discord). The identify past it resets the bot token, as Discord does:
    /// every session is closed with 4004 and no identify succeeds again.
    pub session_start_total: u32,
    /// Global REST limit, requests per second per token.
    pub global_rate_limit: u32,
    /// Per-route buckets on; off means only the global limit applies.
    pub route_limits: bool,
    pub heartbeat_interval_ms: u64,
    pub bind: SocketAddr,
    /// The application's OAuth2 client secret (`/api/v10/oauth2/token`).
    pub client_secret: String,
    /// A guild's full member list (REQUEST_GUILD_MEMBERS with an empty query
    /// and no limit) may be asked for once per this window; Discord's is 30 s.
    /// A request inside it is answered with a `RATE_LIMITED` dispatch.
    pub member_request_window: std::time::Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bot_token: "standin-bot-token".into(),
            application_id: 1000,
            shards: 1,
            max_concurrency: 1,
            session_start_total: 1000,
            global_rate_limit: 50,
            route_limits: true,
            heartbeat_interval_ms: 41_250,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            client_secret: "standin-client-secret".into(),
            member_request_window: std::time::Duration::from_secs(30),
        }
    }
}

/// A running stand-in server.
pub struct StandIn {
    addr: SocketAddr,
    app: App,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl StandIn {
    /// Binds, seeds the bot user and starts serving.
    pub async fn start(config: Config) -> anyhow::Result<StandIn> {
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let bot_id = config.application_id;
        let mut state = State::default();
        state.world.bot_id = bot_id;
        state.world.users.insert(
            bot_id,
            User {
                id: bot_id,
                username: "Ticketeer".into(),
                global_name: None,
                avatar: None,
                bot: true,
                dms_closed: false,
            },
        );
        let app: App = Arc::new(Shared {
            base_url: format!("http://{addr}"),
            config,
            ids: Default::default(),
            state: Mutex::new(state),
            ratelimit: Default::default(),
            log: Default::default(),
            downloads: Default::default(),
            faults: Default::default(),
            throttles: Default::default(),
        });
        let router = axum::Router::new()
            .merge(gateway::routes())
            .nest("/api/v10", rest::routes(app.clone()))
            .nest("/_standin", control::routes())
            .route(rest::files::DOWNLOAD_ROUTE, axum::routing::get(rest::files::serve))
            .route("/oauth2/authorize", axum::routing::get(rest::oauth::authorize))
            .fallback(rest::not_found)
            .layer(axum::extract::DefaultBodyLimit::max(rest::files::MAX_BODY))
            .with_state(app.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!("stand-in server failed: {e}");
            }
        });
        Ok(StandIn { addr, app, shutdown: tx, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A typed client for this server's control API.
    pub fn control(&self) -> ControlClient {
        ControlClient::new(&self.base_url())
    }

    /// Stops serving. Open websockets are dropped.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(());
        // Upgraded websockets run in their own tasks: tell each to go.
        {
            let mut st = self.app.state.lock();
            for s in st.hub.sessions.values_mut() {
                s.send(gateway::hub::Outbound::Drop);
            }
            st.hub.sessions.clear();
        }
        let mut task = self.task;
        if tokio::time::timeout(std::time::Duration::from_secs(2), &mut task).await.is_err() {
            task.abort();
            let _ = task.await;
        }
    }
}
