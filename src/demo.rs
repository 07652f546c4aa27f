//! `ticketeer demo`: the whole system on one machine, against the Discord
//! stand-in. Starts (or reuses) PostgreSQL and Redis, the stand-in seeded with
//! two guilds and a few people, migrations, one gateway cluster and the API;
//! sets modmail up in "Acme Support" the way an admin would (a real
//! `/modmail setup` interaction); then prints how to act as a user.

use std::net::SocketAddr;

use anyhow::Context as _;
use discord_standin::{seed_demo, StandIn};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::bot::Bot;
use crate::config::{Config, Sources};
use crate::gateway::cluster::{self, ClusterOptions};
use crate::local_services;

const DEMO_TOKEN: &str = "demo-bot-token";

pub async fn run(standin_port: u16, shutdown: CancellationToken) -> anyhow::Result<()> {
    // The layers every subcommand reads (TICKETEER_CONFIG's file, then the
    // environment); the demo puts its own values under and over them below.
    let sources = Sources::from_process()?;
    let given_db = sources.get("DATABASE_URL").map(str::to_owned);
    let given_redis = sources.get("REDIS_URL").map(str::to_owned);
    let (server_url, pg_service) = local_services::postgres(given_db.as_deref()).await?;
    // On a shared local server the demo gets a database of its own, fresh each
    // run; a throwaway server or an explicit DATABASE_URL is used as it is.
    let database_url =
        if given_db.is_none() && pg_service.is_none() { fresh_demo_database(&server_url).await? } else { server_url };
    let (redis_url, redis_service) = local_services::redis(given_redis.as_deref()).await?;

    let standin = StandIn::start(discord_standin::Config {
        bot_token: DEMO_TOKEN.into(),
        bind: SocketAddr::from(([127, 0, 0, 1], standin_port)),
        max_concurrency: 16,
        ..discord_standin::Config::default()
    })
    .await
    .with_context(|| format!("could not start the Discord stand-in on port {standin_port} (try --standin-port 0)"))?;
    let control = standin.control();
    let world = seed_demo(&control).await?;

    // Listen addresses, rate limits and the rest keep config.rs's defaults
    // unless the environment (or the file) sets them.
    let sources = sources
        .with_defaults([
            // A fresh key each run, unless one is given (a kept DATABASE_URL
            // holds tokens encrypted with the key of an earlier run).
            ("TICKETEER_SECRET_KEY", hex::encode(rand::random::<[u8; 32]>())),
            // Stripe's webhook checks signatures against this; checkout needs
            // a Stripe account (STRIPE_SECRET_KEY), which the demo does not have.
            ("STRIPE_WEBHOOK_SECRETS", "whsec_demo".to_owned()),
        ])
        .with_overrides([
            // Discord is the stand-in, PostgreSQL and Redis what was found above.
            ("DISCORD_TOKEN", DEMO_TOKEN.to_owned()),
            ("DISCORD_API_URL", standin.base_url()),
            ("DISCORD_CLIENT_SECRET", discord_standin::Config::default().client_secret),
            ("DATABASE_URL", database_url.clone()),
            ("REDIS_URL", redis_url.clone()),
            // Plain HTTP on localhost, so cookies without `Secure`.
            ("TICKETEER_COOKIE_SECURE", "false".to_owned()),
        ]);
    let config = Config::from_sources(&sources)?;
    // The API's socket first: its real address is the public URL that logins
    // return to and transcript links point at (the port may be 0).
    let api_listener = tokio::net::TcpListener::bind(config.api_listen)
        .await
        .with_context(|| format!("could not listen on {} for the API (set TICKETEER_API_LISTEN)", config.api_listen))?;
    let api_addr = api_listener.local_addr()?;
    let mut config = config;
    config.api.public_url = format!("http://{api_addr}");
    config.api.after_login_url = format!("http://{api_addr}/v1/me");
    crate::metrics::install();
    let db = crate::db::connect_lazy(config.database_url(), 4)?;
    crate::db::migrate(&db).await.context("migrations failed")?;

    let bot = Bot::connect(&config).await?;
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let options =
        ClusterOptions { cluster: 0, clusters: 1, total_shards: None, ops_listen: config.cluster_ops_listen(0) };
    let gateway = tokio::spawn(cluster::run(bot.clone(), options, shutdown.clone(), Some(started_tx)));
    let cluster_info = started_rx.await.context("the gateway cluster did not start")?;

    let api_state = crate::api::ApiState::connect(&config, crate::metrics::install()).await?;
    tokio::spawn(crate::jobs::session_purge::run(api_state.db.clone(), shutdown.clone()));
    let api_ops_listener = tokio::net::TcpListener::bind(config.api_ops_listen).await.with_context(|| {
        format!("could not listen on {} for the API's /metrics (set TICKETEER_API_OPS_LISTEN)", config.api_ops_listen)
    })?;
    let api_ops = api_ops_listener.local_addr()?;
    let api = tokio::spawn(crate::api::run(api_state, api_listener, api_ops_listener, shutdown.clone()));

    // The owner of Acme runs /modmail setup, exactly as in Discord.
    wait_for_guild(&db, world.acme_guild).await?;
    let setup = json!([{
        "name": "setup", "type": 1,
        "options": [
            {"name": "inbox-category", "type": 7, "value": world.acme_inbox_category.to_string()},
            {"name": "staff-role", "type": 8, "value": world.acme_staff_role.to_string()},
            {"name": "log-channel", "type": 7, "value": world.acme_log_channel.to_string()},
        ]
    }]);
    control
        .run_command(world.owner, Some(world.acme_guild), Some(world.acme_general_channel), "modmail", setup)
        .await?;

    // …and /ticket setup: the ticket menu in #open-a-ticket, tickets in "Tickets".
    let menu_channel = control.create_channel(world.acme_guild, "open-a-ticket", 0, None).await?;
    let ticket_category = control.create_channel(world.acme_guild, "Tickets", 4, None).await?;
    let panel = json!([{
        "name": "setup", "type": 1,
        "options": [
            {"name": "menu-channel", "type": 7, "value": menu_channel.to_string()},
            {"name": "category", "type": 7, "value": ticket_category.to_string()},
            {"name": "support-role", "type": 8, "value": world.acme_staff_role.to_string()},
            {"name": "log-channel", "type": 7, "value": world.acme_log_channel.to_string()},
        ]
    }]);
    control.run_command(world.owner, Some(world.acme_guild), Some(world.acme_general_channel), "ticket", panel).await?;

    let base = standin.base_url();
    println!(
        r#"
Ticketeer demo is running.

  Discord stand-in   {base}   (control API under {base}/_standin/)
  Gateway cluster    shards {shards:?} of {total}; metrics at http://{ops}/metrics
  HTTP API           http://{api_addr}/healthz  /readyz  /v1/…; metrics at http://{api_ops}/metrics
  PostgreSQL         {database_url}
  Redis              {redis_url}

Modmail and the ticket menu are set up in "Acme Support" (guild {acme}); staff role {staff_role}.
People: alice {alice} (in both guilds), bob {bob} (Acme only), sam {sam} (staff).

Try it:
  # bob DMs the bot: a ticket opens in Acme Support
  curl -s -X POST {base}/_standin/users/{bob}/dm -H 'content-type: application/json' -d '{{"content":"Hi, my order never arrived"}}'
  # see the ticket channel and what was relayed into it
  curl -s {base}/_standin/guilds/{acme}/channels
  psql {database_url} -c 'select number, kind, opener_id, channel_id, status from tickets'
  # sam answers in the ticket channel (replace CHANNEL with the ticket channel's id)
  curl -s -X POST {base}/_standin/channels/CHANNEL/messages -H 'content-type: application/json' -d '{{"author_id":"{sam}","content":"!reply We are on it!"}}'
  # what bob received
  curl -s {base}/_standin/users/{bob}/dm/messages

  # the ticket menu in #open-a-ticket (MENU: its message id; TYPE: an option's value)
  curl -s {base}/_standin/channels/{menu_channel}/messages
  # bob picks a type, then fills in its form
  curl -s -X POST {base}/_standin/interactions/component -H 'content-type: application/json' -d '{{"user_id":"{bob}","channel_id":"{menu_channel}","message_id":"MENU","custom_id":"panel:open","component_type":3,"values":["TYPE"]}}'
  curl -s -X POST {base}/_standin/interactions/modal -H 'content-type: application/json' -d '{{"user_id":"{bob}","custom_id":"panel:form:TYPE","values":{{"q0":"I need help"}}}}'

  # the admin API: the owner logs in with Discord (the stand-in approves at once)
  curl -s -X PUT {base}/_standin/oauth2/user -H 'content-type: application/json' -d '{{"user_id":"{owner}"}}'
  curl -s -L -c /tmp/ticketeer-demo.cookies http://{api_addr}/v1/auth/login
  curl -s -b /tmp/ticketeer-demo.cookies http://{api_addr}/v1/guilds/{acme}/settings
  # (a write with the session cookie names the API's own origin, as its pages would)
  curl -s -b /tmp/ticketeer-demo.cookies -X PATCH http://{api_addr}/v1/guilds/{acme}/settings -H 'content-type: application/json' -H 'Origin: http://{api_addr}' -d '{{"modmail":{{"anonymous_label":"Acme Staff"}}}}'
  # the API's OpenAPI document
  curl -s http://{api_addr}/v1/openapi.json

Press Ctrl-C to stop.
"#,
        owner = world.owner,
        shards = cluster_info.shards,
        total = cluster_info.total_shards,
        ops = cluster_info.ops_addr,
        acme = world.acme_guild,
        staff_role = world.acme_staff_role,
        alice = world.alice,
        bob = world.bob,
        sam = world.sam,
        menu_channel = menu_channel,
    );

    shutdown.cancelled().await;
    println!("Stopping…");
    let _ = gateway.await;
    let _ = api.await;
    standin.shutdown().await;
    if let Some(service) = redis_service {
        service.stop().await?;
    }
    if let Some(service) = pg_service {
        service.stop().await?;
    }
    println!("Stopped cleanly.");
    Ok(())
}

/// The gateway records a guild when its GUILD_CREATE arrives.
async fn wait_for_guild(db: &sqlx::PgPool, guild: u64) -> anyhow::Result<()> {
    for _ in 0..200 {
        let known = crate::db::guilds::name(db, crate::domain::ids::GuildId(guild)).await?;
        if known.is_some() {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    anyhow::bail!("the gateway did not receive the demo guild within 10 s")
}

/// Drops and recreates `ticketeer_demo` on the local server; returns its URL.
async fn fresh_demo_database(server_url: &str) -> anyhow::Result<String> {
    use sqlx::Connection as _;
    let mut admin = sqlx::PgConnection::connect(server_url).await?;
    sqlx::query("DROP DATABASE IF EXISTS ticketeer_demo WITH (FORCE)").execute(&mut admin).await?;
    sqlx::query("CREATE DATABASE ticketeer_demo").execute(&mut admin).await?;
    let base = server_url.rsplit_once('/').map_or(server_url, |(base, _)| base);
    Ok(format!("{base}/ticketeer_demo"))
}
