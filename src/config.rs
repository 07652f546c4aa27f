//! Configuration: layered from an optional TOML file, then the environment.
//!
//! The file (path in `TICKETEER_CONFIG`) holds the same keys as the environment
//! (`DISCORD_TOKEN = "..."`); a variable set in the environment wins. A missing or
//! malformed value stops start-up with one line naming the variable and what is
//! wrong. Secrets are `secrecy` types, so they never reach logs or `Debug` output.
//! Every default lives here, once: `ticketeer demo` reads the same layers with
//! its own values under them ([`Sources::with_defaults`]) and over them
//! ([`Sources::with_overrides`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;

use secrecy::{ExposeSecret, SecretString};

use crate::crypto::SecretKey;
use crate::telemetry::LogFormat;

/// Everything a Ticketeer process needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    pub discord: DiscordConfig,
    pub database_url: SecretString,
    pub redis_url: SecretString,
    /// Where `ticketeer api` listens.
    pub api_listen: SocketAddr,
    /// Where a gateway cluster serves `/healthz` and `/metrics`; unset,
    /// cluster K uses 127.0.0.1:(9100 + K).
    pub ops_listen: Option<SocketAddr>,
    /// Where `ticketeer api` serves `/metrics`, `/healthz` and `/livez`: never
    /// on the public API's port, so a scraper's view of the process (routes,
    /// error counts, Stripe event types) is not the world's.
    pub api_ops_listen: SocketAddr,
    pub log_format: LogFormat,
    /// Connections per process in the PostgreSQL pool.
    pub database_pool_size: u32,
    pub timers: TimerConfig,
    /// Whether gateway cluster 0 reads back DMs missed while no bot ran.
    pub recover_on_start: bool,
    /// Identifies of the day's budget no shard spends (kept for an
    /// operator's restarts): at this many left, shards wait for the reset.
    pub identify_reserve: u32,
    /// Gateway event handlers a cluster runs at once, and of them at most
    /// how many for one server (or one user's DMs): `gateway/event_lanes.rs`.
    pub handler_concurrency: usize,
    pub handler_per_server: usize,
    /// How long the singleton lease lasts unrenewed: a dead holder's jobs
    /// move to another gateway process within about this long. The holder
    /// renews it every third of it.
    pub singleton_lease: std::time::Duration,
    /// How often each gateway cluster looks for guilds of its shards whose
    /// membership index must be filled (modmail was turned on).
    pub member_fill_poll: std::time::Duration,
    /// The most messages a transcript keeps (the first ones; a note says so).
    pub transcript_max_messages: usize,
    pub inbox: InboxConfig,
    pub api: ApiConfig,
    pub billing: BillingConfig,
    /// Encrypts Discord's OAuth2 tokens at rest and signs transcript links.
    /// Required by `ticketeer api` (see [`Config::secret_key`]).
    pub secret_key: Option<SecretKey>,
}

/// What `ticketeer api` needs beyond the database: the Discord application's
/// OAuth2 client (for dashboard logins), its own public address, and limits.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The application's OAuth2 client secret. (The client id is the
    /// application id, which the API learns from Discord with the bot token.)
    pub client_secret: Option<SecretString>,
    /// The API's origin as browsers reach it (`https://api.example.com`); the
    /// OAuth2 redirect URI is `{public_url}/v1/auth/callback`.
    pub public_url: String,
    /// Where a browser goes after logging in (the dashboard).
    pub after_login_url: String,
    /// Whether cookies carry `Secure` (only ever off for local HTTP use).
    pub cookie_secure: bool,
    /// Requests per minute for one session or one API token.
    pub rate_limit_per_minute: u32,
    /// How long the verdict "this API token's creator still manages the
    /// guild" (either way) is trusted before Discord is asked again.
    pub token_authority_cache: std::time::Duration,
    /// Requests per minute one client address may make to each of the login,
    /// the OAuth2 callback and the signed transcript link.
    pub ip_rate_limit_per_minute: u32,
    /// Requests per minute one address may make to Stripe's webhook.
    pub webhook_rate_limit_per_minute: u32,
    /// How many proxies in front of the API append to `X-Forwarded-For`; 0
    /// (the default) ignores the header and uses the socket's peer.
    pub trusted_proxy_hops: u8,
}

/// Stripe. Billing is off (checkout answers 503) without a secret key, and
/// the webhook refuses everything without a webhook secret.
#[derive(Debug, Clone)]
pub struct BillingConfig {
    pub stripe_secret_key: Option<SecretString>,
    /// Stripe's API origin; a local Stripe-compatible server in tests.
    pub stripe_api_url: String,
    /// The webhook endpoint's signing secrets: one, or two while rolling.
    pub webhook_secrets: Vec<SecretString>,
    /// The recurring price of Premium.
    pub premium_price: Option<String>,
}

/// The OAuth2 client of the Discord application.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    /// The application id.
    pub id: u64,
    pub secret: SecretString,
}

/// How often gateway processes look for due timers (scheduled closes,
/// reminders, category-prompt timeouts).
#[derive(Debug, Clone, Copy)]
pub struct TimerConfig {
    /// Between two looks at the Redis index of due timers.
    pub poll: std::time::Duration,
    /// Between two rebuilds of the Redis index from PostgreSQL (which also
    /// restores it after Redis lost its data).
    pub reindex: std::time::Duration,
    /// Wait before a failed timer's first retry; each retry waits twice the
    /// one before, up to `retry_max`.
    pub retry_base: std::time::Duration,
    pub retry_max: std::time::Duration,
    /// Runs of a timer (the first and its retries) before it is marked failed.
    pub max_attempts: u32,
    /// Timers one process runs at the same time.
    pub concurrency: usize,
}

/// The inbox sweeper, which drains DMs whose drain died with its process.
#[derive(Debug, Clone, Copy)]
pub struct InboxConfig {
    /// Between two sweeps.
    pub sweep_every: std::time::Duration,
    /// A pending DM younger than this is most likely being drained now.
    pub stale_after: std::time::Duration,
    /// The wait before a DM whose relay failed transiently is retried,
    /// doubled per failure (at most 5 minutes, and never sooner than a 429
    /// asked).
    pub retry_wait: std::time::Duration,
    /// Users one sweep drains at most (oldest stranded DM first), so a sweep
    /// after a long outage stays short and the next one follows soon.
    pub sweep_users: i64,
    /// How long a server menu (a user in several modmail servers picks one)
    /// holds their DMs before it expires. Global, not per guild: the choice
    /// is between guilds, so no one guild's setting could apply.
    pub server_choice_timeout: std::time::Duration,
    /// A DM failing transiently is given up once it has failed 5 times *and*
    /// been failing for this long (`TICKETEER_INBOX_GIVE_UP_MS`, 10 minutes):
    /// a shorter outage or 429 storm costs retries, never the DM.
    pub give_up_after: std::time::Duration,
}

#[derive(Debug, Clone)]
pub struct DiscordConfig {
    pub token: SecretString,
    /// Base URL of Discord's API: `https://discord.com`, or a stand-in such as
    /// `http://127.0.0.1:PORT`. The gateway URL is learnt from `GET /gateway/bot`.
    pub api_url: String,
    /// REST requests per rolling second the whole fleet sends, of Discord's
    /// 50 per bot (`TICKETEER_REST_PER_SECOND`, 47: the margin covers a
    /// request in flight for more than a second, which the window stops
    /// counting before its answer moves it; see `discord/gate/budget.rs`).
    pub rest_per_second: u32,
    /// Requests per second one process sends while Redis, which holds the
    /// fleet's budget, cannot be reached (`TICKETEER_REST_FALLBACK_PER_SECOND`).
    pub rest_fallback_per_second: u32,
}

/// A configuration value that is missing or malformed.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {variable} {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl ConfigError {
    fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self { variable, problem: problem.into() }
    }
}

/// Where values come from, lowest priority first.
#[derive(Default)]
pub struct Sources {
    /// A caller's own defaults, under the file and the environment (the
    /// demo's: what it prefers where the operator said nothing).
    defaults: HashMap<String, String>,
    file: HashMap<String, String>,
    env: HashMap<String, String>,
    /// A caller's values that nothing outside may change (the demo's: the
    /// stand-in's token and address, the servers it found or started).
    overrides: HashMap<String, String>,
}

impl Sources {
    /// The process environment, plus the file named by `TICKETEER_CONFIG` if set.
    pub fn from_process() -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let file = match env.get("TICKETEER_CONFIG") {
            Some(path) => read_file(path)?,
            None => HashMap::new(),
        };
        Ok(Self { file, env, ..Self::default() })
    }

    /// Explicit values (tests build their configuration this way).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> Self {
        Self { env: owned(pairs), ..Self::default() }
    }

    /// These values under every other layer: each is used only where the
    /// file and the environment leave the key unset.
    pub fn with_defaults<'a>(mut self, pairs: impl IntoIterator<Item = (&'a str, String)>) -> Self {
        self.defaults.extend(owned(pairs));
        self
    }

    /// These values over every other layer.
    pub fn with_overrides<'a>(mut self, pairs: impl IntoIterator<Item = (&'a str, String)>) -> Self {
        self.overrides.extend(owned(pairs));
        self
    }

    /// The value of `key` from the highest layer that has it, before any
    /// default of [`Config::from_sources`]. A blank value is "unset": it
    /// hides the layers below (`REDIS_URL=` in the environment means the
    /// built-in default, not the file's value).
    pub fn get(&self, key: &str) -> Option<&str> {
        [&self.overrides, &self.env, &self.file, &self.defaults]
            .into_iter()
            .find_map(|layer| layer.get(key))
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    fn required(&self, key: &'static str, hint: &str) -> Result<&str, ConfigError> {
        self.get(key).ok_or_else(|| ConfigError::new(key, format!("is not set: {hint}")))
    }

    fn parsed<T: FromStr>(&self, key: &'static str, default: T, what: &str) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(key) {
            None => Ok(default),
            Some(raw) => {
                raw.trim().parse().map_err(|e| ConfigError::new(key, format!("is not {what} ({e}): got {raw:?}")))
            }
        }
    }

    /// A value with no default: `None` when unset.
    fn optional<T: FromStr>(&self, key: &'static str, what: &str) -> Result<Option<T>, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        self.get(key)
            .map(|raw| {
                raw.trim().parse().map_err(|e| ConfigError::new(key, format!("is not {what} ({e}): got {raw:?}")))
            })
            .transpose()
    }
}

fn owned<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> HashMap<String, String> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn read_file(path: &str) -> Result<HashMap<String, String>, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new("TICKETEER_CONFIG", format!("names {path:?}, which cannot be read: {e}")))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| ConfigError::new("TICKETEER_CONFIG", format!("names {path:?}, which is not valid TOML: {e}")))?;
    table
        .into_iter()
        .map(|(key, value)| {
            let value = match value {
                toml::Value::String(s) => s,
                other => other.to_string(),
            };
            Ok((key, value))
        })
        .collect()
}

pub const DEFAULT_DISCORD_API_URL: &str = "https://discord.com";
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

impl Config {
    /// Reads the configuration of this process.
    pub fn load() -> Result<Self, ConfigError> {
        Self::from_sources(&Sources::from_process()?)
    }

    pub fn from_sources(src: &Sources) -> Result<Self, ConfigError> {
        let token = src.required("DISCORD_TOKEN", "set it to the bot token from Discord's developer portal")?;
        if token.starts_with("Bot ") || token.chars().any(char::is_whitespace) {
            return Err(ConfigError::new(
                "DISCORD_TOKEN",
                "must be the bare token, without a \"Bot \" prefix or spaces",
            ));
        }
        let api_url = src.get("DISCORD_API_URL").unwrap_or(DEFAULT_DISCORD_API_URL);
        validate_http_url("DISCORD_API_URL", api_url)?;

        let database_url = src.get("DATABASE_URL").unwrap_or(DEFAULT_DATABASE_URL);
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(ConfigError::new("DATABASE_URL", "must start with postgres:// or postgresql://"));
        }
        let redis_url = src.get("REDIS_URL").unwrap_or(DEFAULT_REDIS_URL);
        if !(redis_url.starts_with("redis://") || redis_url.starts_with("rediss://")) {
            return Err(ConfigError::new("REDIS_URL", "must start with redis:// or rediss://"));
        }

        let api_listen: SocketAddr =
            src.parsed("TICKETEER_API_LISTEN", ([127, 0, 0, 1], 8080).into(), "an address like 127.0.0.1:8080")?;
        let public_url = src
            .get("TICKETEER_PUBLIC_URL")
            .map_or_else(|| format!("http://{api_listen}"), |u| u.trim_end_matches('/').to_owned());
        validate_http_url("TICKETEER_PUBLIC_URL", &public_url)?;
        let after_login_url =
            src.get("TICKETEER_AFTER_LOGIN_URL").map_or_else(|| format!("{public_url}/v1/me"), str::to_owned);
        if !(after_login_url.starts_with("https://") || after_login_url.starts_with("http://")) {
            return Err(ConfigError::new("TICKETEER_AFTER_LOGIN_URL", "must be an http:// or https:// URL"));
        }
        let secret_key = match src.get("TICKETEER_SECRET_KEY") {
            None => None,
            Some(hex) => {
                Some(SecretKey::from_hex(hex).map_err(|e| ConfigError::new("TICKETEER_SECRET_KEY", e.to_string()))?)
            }
        };
        let rate_limit_per_minute: u32 =
            src.parsed("TICKETEER_API_RATE_LIMIT", 300, "a whole number of requests per minute")?;
        if rate_limit_per_minute == 0 {
            return Err(ConfigError::new("TICKETEER_API_RATE_LIMIT", "must be at least 1"));
        }
        let ip_rate_limit_per_minute: u32 =
            src.parsed("TICKETEER_API_IP_RATE_LIMIT", 60, "a whole number of requests per minute")?;
        if ip_rate_limit_per_minute == 0 {
            return Err(ConfigError::new("TICKETEER_API_IP_RATE_LIMIT", "must be at least 1"));
        }
        let webhook_rate_limit_per_minute: u32 =
            src.parsed("TICKETEER_API_WEBHOOK_RATE_LIMIT", 1200, "a whole number of requests per minute")?;
        if webhook_rate_limit_per_minute == 0 {
            return Err(ConfigError::new("TICKETEER_API_WEBHOOK_RATE_LIMIT", "must be at least 1"));
        }
        let trusted_proxy_hops: u8 = src.parsed("TICKETEER_TRUSTED_PROXY_HOPS", 0, "a whole number from 0 to 10")?;
        if trusted_proxy_hops > 10 {
            return Err(ConfigError::new("TICKETEER_TRUSTED_PROXY_HOPS", "must be 0 to 10"));
        }
        let transcript_max_messages: usize =
            src.parsed("TICKETEER_TRANSCRIPT_MAX_MESSAGES", 10_000, "a whole number of messages")?;
        if !(100..=100_000).contains(&transcript_max_messages) {
            return Err(ConfigError::new("TICKETEER_TRANSCRIPT_MAX_MESSAGES", "must be 100 to 100000"));
        }
        let singleton_lease_ms: u64 =
            src.parsed("TICKETEER_SINGLETON_LEASE_MS", 15_000, "a whole number of milliseconds")?;
        if !(1_500..=300_000).contains(&singleton_lease_ms) {
            return Err(ConfigError::new("TICKETEER_SINGLETON_LEASE_MS", "must be 1500 to 300000 milliseconds"));
        }
        let member_fill_poll_ms: u64 =
            src.parsed("TICKETEER_MEMBER_FILL_POLL_MS", 1_000, "a whole number of milliseconds")?;
        if !(100..=3_600_000).contains(&member_fill_poll_ms) {
            return Err(ConfigError::new("TICKETEER_MEMBER_FILL_POLL_MS", "must be 100 to 3600000 milliseconds"));
        }
        let token_authority_secs: u64 =
            src.parsed("TICKETEER_TOKEN_AUTHORITY_CACHE_SECS", 60, "a whole number of seconds")?;
        if !(1..=3600).contains(&token_authority_secs) {
            return Err(ConfigError::new("TICKETEER_TOKEN_AUTHORITY_CACHE_SECS", "must be 1 to 3600 seconds"));
        }

        let rest_per_second: u32 =
            src.parsed("TICKETEER_REST_PER_SECOND", 47, "a whole number of requests per second")?;
        if !(1..=50).contains(&rest_per_second) {
            return Err(ConfigError::new("TICKETEER_REST_PER_SECOND", "must be 1 to 50 (Discord allows 50 per bot)"));
        }
        let rest_fallback_per_second: u32 =
            src.parsed("TICKETEER_REST_FALLBACK_PER_SECOND", 10, "a whole number of requests per second")?;
        if !(1..=rest_per_second).contains(&rest_fallback_per_second) {
            return Err(ConfigError::new(
                "TICKETEER_REST_FALLBACK_PER_SECOND",
                "must be 1 to TICKETEER_REST_PER_SECOND",
            ));
        }

        let handler_concurrency: usize =
            src.parsed("TICKETEER_HANDLER_CONCURRENCY", 256, "a whole number of handlers")?;
        if !(1..=65_536).contains(&handler_concurrency) {
            return Err(ConfigError::new("TICKETEER_HANDLER_CONCURRENCY", "must be 1 to 65536"));
        }
        let handler_per_server: usize = src.parsed("TICKETEER_HANDLER_PER_SERVER", 8, "a whole number of handlers")?;
        if !(1..=handler_concurrency).contains(&handler_per_server) {
            return Err(ConfigError::new("TICKETEER_HANDLER_PER_SERVER", "must be 1 to TICKETEER_HANDLER_CONCURRENCY"));
        }

        Ok(Self {
            discord: DiscordConfig {
                token: SecretString::from(token.to_owned()),
                api_url: api_url.trim_end_matches('/').to_owned(),
                rest_per_second,
                rest_fallback_per_second,
            },
            database_url: SecretString::from(database_url.to_owned()),
            redis_url: SecretString::from(redis_url.to_owned()),
            api_listen,
            ops_listen: src.optional("TICKETEER_OPS_LISTEN", "an address like 127.0.0.1:9100")?,
            api_ops_listen: src.parsed(
                "TICKETEER_API_OPS_LISTEN",
                ([127, 0, 0, 1], 9180).into(),
                "an address like 127.0.0.1:9180",
            )?,
            log_format: src.parsed("TICKETEER_LOG_FORMAT", LogFormat::Human, "\"human\" or \"json\"")?,
            database_pool_size: src.parsed("TICKETEER_DATABASE_POOL_SIZE", 32, "a whole number")?,
            recover_on_start: src.parsed("TICKETEER_RECOVER_ON_START", true, "true or false")?,
            identify_reserve: src.parsed("TICKETEER_IDENTIFY_RESERVE", 10, "a whole number")?,
            singleton_lease: std::time::Duration::from_millis(singleton_lease_ms),
            member_fill_poll: std::time::Duration::from_millis(member_fill_poll_ms),
            transcript_max_messages,
            handler_concurrency,
            handler_per_server,
            api: ApiConfig {
                client_secret: src.get("DISCORD_CLIENT_SECRET").map(|s| SecretString::from(s.to_owned())),
                public_url,
                after_login_url,
                cookie_secure: src.parsed("TICKETEER_COOKIE_SECURE", true, "true or false")?,
                rate_limit_per_minute,
                token_authority_cache: std::time::Duration::from_secs(token_authority_secs),
                ip_rate_limit_per_minute,
                webhook_rate_limit_per_minute,
                trusted_proxy_hops,
            },
            billing: BillingConfig {
                stripe_secret_key: src.get("STRIPE_SECRET_KEY").map(|k| SecretString::from(k.to_owned())),
                stripe_api_url: {
                    let url = src.get("STRIPE_API_URL").unwrap_or("https://api.stripe.com");
                    validate_http_url("STRIPE_API_URL", url)?;
                    url.trim_end_matches('/').to_owned()
                },
                webhook_secrets: src
                    .get("STRIPE_WEBHOOK_SECRETS")
                    .map(|all| {
                        all.split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(|s| SecretString::from(s.to_owned()))
                            .collect()
                    })
                    .unwrap_or_default(),
                premium_price: src.get("STRIPE_PREMIUM_PRICE").map(str::to_owned),
            },
            secret_key,
            inbox: InboxConfig {
                sweep_every: std::time::Duration::from_millis(src.parsed(
                    "TICKETEER_INBOX_SWEEP_MS",
                    10_000,
                    "a whole number of milliseconds",
                )?),
                stale_after: std::time::Duration::from_millis(src.parsed(
                    "TICKETEER_INBOX_STALE_MS",
                    15_000,
                    "a whole number of milliseconds",
                )?),
                retry_wait: std::time::Duration::from_millis(src.parsed(
                    "TICKETEER_INBOX_RETRY_MS",
                    5_000,
                    "a whole number of milliseconds",
                )?),
                sweep_users: src.parsed::<i64>("TICKETEER_INBOX_SWEEP_USERS", 100, "a whole number")?.max(1),
                server_choice_timeout: std::time::Duration::from_secs(
                    src.parsed::<u64>("TICKETEER_SERVER_CHOICE_TIMEOUT_SECS", 900, "a whole number of seconds")?
                        .clamp(1, 30 * 24 * 3600),
                ),
                give_up_after: std::time::Duration::from_millis(src.parsed(
                    "TICKETEER_INBOX_GIVE_UP_MS",
                    600_000,
                    "a whole number of milliseconds",
                )?),
            },
            timers: TimerConfig {
                poll: std::time::Duration::from_millis(src.parsed(
                    "TICKETEER_TIMER_POLL_MS",
                    1000,
                    "a whole number of milliseconds",
                )?),
                reindex: std::time::Duration::from_millis(src.parsed(
                    "TICKETEER_TIMER_REINDEX_MS",
                    30_000,
                    "a whole number of milliseconds",
                )?),
                retry_base: std::time::Duration::from_millis(src.parsed(
                    "TICKETEER_TIMER_RETRY_BASE_MS",
                    30_000,
                    "a whole number of milliseconds",
                )?),
                retry_max: std::time::Duration::from_millis(src.parsed(
                    "TICKETEER_TIMER_RETRY_MAX_MS",
                    900_000,
                    "a whole number of milliseconds",
                )?),
                max_attempts: src.parsed::<u32>("TICKETEER_TIMER_MAX_ATTEMPTS", 6, "a whole number")?.max(1),
                concurrency: src.parsed::<usize>("TICKETEER_TIMER_CONCURRENCY", 8, "a whole number")?.max(1),
            },
        })
    }

    /// Where gateway cluster `cluster` serves its ops port: `TICKETEER_OPS_LISTEN`,
    /// else 127.0.0.1:(9100 + cluster), so two clusters on one host never collide.
    pub fn cluster_ops_listen(&self, cluster: u16) -> SocketAddr {
        self.ops_listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 9100u16.saturating_add(cluster))))
    }

    /// Host and port of the Discord API when it is a plain-HTTP stand-in
    /// (`http://127.0.0.1:PORT`); `None` for real Discord over HTTPS.
    pub fn discord_proxy(&self) -> Option<String> {
        self.discord.api_url.strip_prefix("http://").map(|rest| rest.trim_end_matches('/').to_owned())
    }

    /// The OAuth2 client of application `id`, which `ticketeer api` cannot
    /// run without.
    pub fn oauth_client(&self, id: u64) -> Result<OAuthClient, ConfigError> {
        let secret = self.api.client_secret.clone().ok_or_else(|| {
            ConfigError::new(
                "DISCORD_CLIENT_SECRET",
                "is not set: the OAuth2 client secret from Discord's developer portal",
            )
        })?;
        Ok(OAuthClient { id, secret })
    }

    /// The secret key, which `ticketeer api` cannot run without.
    pub fn secret_key(&self) -> Result<SecretKey, ConfigError> {
        self.secret_key.clone().ok_or_else(|| {
            ConfigError::new("TICKETEER_SECRET_KEY", "is not set: 64 hex digits, e.g. from `openssl rand -hex 32`")
        })
    }

    pub fn database_url(&self) -> &str {
        self.database_url.expose_secret()
    }

    pub fn redis_url(&self) -> &str {
        self.redis_url.expose_secret()
    }
}

fn validate_http_url(key: &'static str, url: &str) -> Result<(), ConfigError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| ConfigError::new(key, format!("must start with https:// or http://, got {url:?}")))?;
    let host = rest.trim_end_matches('/');
    if host.is_empty() || host.contains('/') {
        return Err(ConfigError::new(
            key,
            format!("must be a bare origin like https://discord.com or http://127.0.0.1:8900, got {url:?}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&'static str, &str)]) -> Result<Config, ConfigError> {
        Config::from_sources(&Sources::from_pairs(pairs.iter().map(|(k, v)| (*k, v.to_string()))))
    }

    #[test]
    fn a_missing_token_names_the_variable() {
        let err = with(&[]).unwrap_err();
        assert_eq!(err.variable, "DISCORD_TOKEN");
        assert!(err.to_string().contains("DISCORD_TOKEN is not set"));
    }

    #[test]
    fn a_malformed_listen_address_names_the_variable() {
        let err = with(&[("DISCORD_TOKEN", "abc"), ("TICKETEER_API_LISTEN", "nope")]).unwrap_err();
        assert_eq!(err.variable, "TICKETEER_API_LISTEN");
    }

    #[test]
    fn the_api_url_must_be_an_origin() {
        let err = with(&[("DISCORD_TOKEN", "abc"), ("DISCORD_API_URL", "ftp://x")]).unwrap_err();
        assert_eq!(err.variable, "DISCORD_API_URL");
        let err = with(&[("DISCORD_TOKEN", "abc"), ("DISCORD_API_URL", "http://x/api/v10")]).unwrap_err();
        assert_eq!(err.variable, "DISCORD_API_URL");
    }

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let config =
            with(&[("DISCORD_TOKEN", "super-secret-token"), ("DATABASE_URL", "postgres://u:hunter2@db/x")]).unwrap();
        let debug = format!("{config:?}");
        assert!(!debug.contains("super-secret-token"));
        assert!(!debug.contains("hunter2"));
    }

    #[test]
    fn a_stand_in_url_becomes_a_proxy_address() {
        let config = with(&[("DISCORD_TOKEN", "t"), ("DISCORD_API_URL", "http://127.0.0.1:8900/")]).unwrap();
        assert_eq!(config.discord_proxy().as_deref(), Some("127.0.0.1:8900"));
        let config = with(&[("DISCORD_TOKEN", "t")]).unwrap();
        assert_eq!(config.discord_proxy(), None);
    }

    #[test]
    fn the_api_needs_its_oauth_client_and_secret_key_named_when_missing() {
        let config = with(&[("DISCORD_TOKEN", "t")]).unwrap();
        assert_eq!(config.oauth_client(42).unwrap_err().variable, "DISCORD_CLIENT_SECRET");
        assert_eq!(config.secret_key().unwrap_err().variable, "TICKETEER_SECRET_KEY");
        let config = with(&[("DISCORD_TOKEN", "t"), ("DISCORD_CLIENT_SECRET", "s")]).unwrap();
        assert_eq!(config.oauth_client(42).unwrap().id, 42);
        let err = with(&[("DISCORD_TOKEN", "t"), ("TICKETEER_SECRET_KEY", "short")]).unwrap_err();
        assert_eq!(err.variable, "TICKETEER_SECRET_KEY");
        let config = with(&[("DISCORD_TOKEN", "t"), ("TICKETEER_API_LISTEN", "127.0.0.1:9000")]).unwrap();
        assert_eq!(config.api.public_url, "http://127.0.0.1:9000");
        assert_eq!(config.api.after_login_url, "http://127.0.0.1:9000/v1/me");
        assert!(config.api.cookie_secure, "cookies are Secure unless turned off");
        assert_eq!(config.api.trusted_proxy_hops, 0, "X-Forwarded-For is ignored unless proxies are configured");
    }

    #[test]
    fn the_api_edge_limits_are_checked_and_named_when_wrong() {
        for (variable, value) in [
            ("TICKETEER_API_IP_RATE_LIMIT", "0"),
            ("TICKETEER_API_WEBHOOK_RATE_LIMIT", "lots"),
            ("TICKETEER_TRUSTED_PROXY_HOPS", "11"),
            ("TICKETEER_TRUSTED_PROXY_HOPS", "-1"),
            ("TICKETEER_TOKEN_AUTHORITY_CACHE_SECS", "0"),
            ("TICKETEER_API_OPS_LISTEN", "nope"),
        ] {
            let err = with(&[("DISCORD_TOKEN", "t"), (variable, value)]).unwrap_err();
            assert_eq!(err.variable, variable, "{value}");
        }
        let config = with(&[("DISCORD_TOKEN", "t"), ("TICKETEER_TRUSTED_PROXY_HOPS", "2")]).unwrap();
        assert_eq!(config.api.trusted_proxy_hops, 2);
    }

    #[test]
    fn overrides_win_over_the_environment_which_wins_over_defaults() {
        let src = Sources::from_pairs([
            ("DISCORD_TOKEN", "env".to_string()),
            ("TICKETEER_API_LISTEN", "127.0.0.1:7000".into()),
        ])
        .with_defaults([
            ("TICKETEER_API_LISTEN", "127.0.0.1:1".to_string()),
            ("TICKETEER_COOKIE_SECURE", "false".into()),
        ])
        .with_overrides([("DISCORD_TOKEN", "override".to_string())]);
        let config = Config::from_sources(&src).unwrap();
        assert_eq!(config.discord.token.expose_secret(), "override");
        assert_eq!(config.api_listen, "127.0.0.1:7000".parse().unwrap(), "the environment wins over a default");
        assert!(!config.api.cookie_secure, "a default applies where nothing else sets the key");
    }

    #[test]
    fn a_blank_value_is_unset_and_hides_the_layers_below() {
        let src = Sources::from_pairs([("REDIS_URL", "  ".to_string())])
            .with_defaults([("REDIS_URL", "redis://demo:6379".to_string()), ("DATABASE_URL", "postgres://d/b".into())]);
        assert_eq!(src.get("REDIS_URL"), None);
        assert_eq!(src.get("DATABASE_URL"), Some("postgres://d/b"));
        assert_eq!(src.get("DISCORD_API_URL"), None, "Config's own defaults are not a layer");
    }

    #[test]
    fn an_unset_ops_address_gives_each_cluster_its_own_port() {
        let config = with(&[("DISCORD_TOKEN", "t")]).unwrap();
        assert_eq!(config.cluster_ops_listen(0), "127.0.0.1:9100".parse().unwrap());
        assert_eq!(config.cluster_ops_listen(3), "127.0.0.1:9103".parse().unwrap());
        let config = with(&[("DISCORD_TOKEN", "t"), ("TICKETEER_OPS_LISTEN", "0.0.0.0:9000")]).unwrap();
        assert_eq!(config.cluster_ops_listen(3), "0.0.0.0:9000".parse().unwrap());
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let mut src = Sources::from_pairs([("DISCORD_TOKEN", "env".to_string())]);
        src.file.insert("DISCORD_TOKEN".into(), "file".into());
        src.file.insert("REDIS_URL".into(), "redis://file:6379".into());
        let config = Config::from_sources(&src).unwrap();
        assert_eq!(config.discord.token.expose_secret(), "env");
        assert_eq!(config.redis_url(), "redis://file:6379");
    }
}
