//! The state one bot process shares across its shards and handlers.

use std::sync::Arc;

use anyhow::Context as _;
use twilight_cache_inmemory::{DefaultInMemoryCache, ResourceType};
use twilight_http::Client;
use twilight_model::id::marker::{ApplicationMarker, UserMarker};
use twilight_model::id::Id;

use crate::config::Config;
use crate::db::{self, PgPool};
use crate::discord::facts::GuildFactsLookup;
use crate::discord::{self, metered::metered, TwilightDiscord};
use crate::redis::{self, keys::Keys, RedisPool};
use crate::tickets::transcript::link::TranscriptLinks;
use crate::tickets::TicketService;

pub struct Bot {
    pub tickets: TicketService,
    /// The Discord adapter the ticket core uses, for transports' own sends.
    pub discord: Arc<TwilightDiscord>,
    pub http: Arc<Client>,
    /// Guilds, channels and roles of the guilds this process's shards own:
    /// enough to check permissions without REST calls. No members, no messages.
    pub cache: Arc<DefaultInMemoryCache>,
    /// The guild facts permission checks and names need: this cache first,
    /// else the fleet's store in Redis, else REST (a resumed process).
    pub guild_facts: Arc<GuildFactsLookup>,
    pub application_id: Id<ApplicationMarker>,
    pub bot_user: Id<UserMarker>,
    pub db: PgPool,
    /// A few connections only DM storage uses, so a burst of openings in one
    /// guild (each holding a connection) never keeps a DM from being stored.
    pub ingest_db: PgPool,
    pub redis: RedisPool,
    pub keys: Keys,
    pub config: Config,
}

/// Connections reserved for storing DMs (one shard loop stores them in
/// order, so a few are plenty).
const INGEST_CONNECTIONS: u32 = 4;

impl Bot {
    /// Connects to Discord (one `GET /users/@me` to learn who we are),
    /// PostgreSQL and Redis.
    pub async fn connect(config: &Config) -> anyhow::Result<Arc<Bot>> {
        let redis = redis::connect(config.redis_url())?;
        let gate =
            discord::RestGate::start(&config.discord, redis.clone()).await.context("could not start the REST gate")?;
        let http = Arc::new(discord::build_http_client(&config.discord, &gate));
        let me = metered("get_current_user", http.current_user())
            .await
            .context("could not reach Discord's API (GET /users/@me): check DISCORD_API_URL and DISCORD_TOKEN")?
            .model()
            .await?;
        // A bot's application id equals its user id.
        let application_id: Id<ApplicationMarker> = me.id.cast();
        let cache = Arc::new(
            DefaultInMemoryCache::builder()
                .resource_types(ResourceType::GUILD | ResourceType::CHANNEL | ResourceType::ROLE)
                .message_cache_size(0)
                .build(),
        );
        let db = db::connect_lazy(config.database_url(), config.database_pool_size)?;
        let ingest_db = db::connect_lazy(config.database_url(), INGEST_CONNECTIONS)?;
        let keys = Keys::new(application_id.get());
        let invalid = redis::invalid_requests::InvalidRequests::new(redis.clone(), keys.clone());
        gate.count_invalid_requests(invalid.clone());
        let background = Arc::new(discord::build_background_http_client(&config.discord, &gate));
        let guild_facts = Arc::new(GuildFactsLookup::new(cache.clone(), http.clone(), redis.clone(), keys.clone()));
        let discord = Arc::new(
            TwilightDiscord::new(http.clone(), cache.clone(), guild_facts.clone(), me.id)
                .with_background_client(background)
                .counting_invalid_requests(redis::invalid_requests::InvalidRequests::new(redis.clone(), keys.clone())),
        );
        let mut tickets = TicketService::new(db.clone(), redis.clone(), keys.clone(), discord.clone())
            .with_transcript_limit(config.transcript_max_messages)
            .with_inbox_retry_wait(config.inbox.retry_wait)
            .with_server_choice_timeout(config.inbox.server_choice_timeout)
            .with_inbox_give_up_after(config.inbox.give_up_after);
        if let Some(key) = &config.secret_key {
            tickets = tickets.with_transcript_links(TranscriptLinks::new(&config.api.public_url, key.clone()));
        }
        // Guild messages learn their guild's prefix from this cache; the
        // listener keeps it correct across processes (and ends with it).
        redis::invalidation::spawn_listener(
            config.redis_url().to_owned(),
            &keys,
            Arc::downgrade(tickets.prefix_cache()),
        );
        Ok(Arc::new(Bot {
            tickets,
            discord,
            http,
            cache,
            guild_facts,
            application_id,
            bot_user: me.id,
            db,
            ingest_db,
            redis,
            keys,
            config: config.clone(),
        }))
    }
}

impl Bot {
    /// The Redis side of the guild facts, which this process's shards write.
    pub fn guild_facts_store(&self) -> redis::guild_facts::GuildFactStore {
        redis::guild_facts::GuildFactStore::new(self.redis.clone(), self.keys.clone())
    }
}
