//! One REST budget for the whole fleet: two `ticketeer gateway` processes
//! and an API replica (this test's process) send at once — a storm of first
//! DMs, DMs into open tickets, staff replies on both clusters, and API calls
//! that each ask Discord for a channel — and Discord (the stand-in, with its
//! per-route limits and a 50/s global limit over a rolling second) answers
//! no global 429, while everything is delivered.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::json;

use crate::support::api::Auth;
use crate::support::{eventually_within, text_of, Guild, Options, TestApp};

const GUILDS: usize = 4;
/// Per guild: users who already have a ticket, and users writing their first DM.
const OPEN: usize = 5;
const NEW: usize = 12;
/// API requests that each cost one `GET /channels/{id}`.
const API_CALLS: usize = 60;

#[tokio::test]
async fn two_clusters_and_an_api_under_dm_reply_and_api_storms_get_no_global_429_and_deliver_everything() {
    let app = TestApp::spawn_with(Options {
        shards: 2,
        clusters: 2,
        in_process: false,
        route_limits: true,
        config: vec![("TICKETEER_API_RATE_LIMIT", "100000".into())],
        ..Options::default()
    })
    .await;
    let first = app.start_child_cluster(0).await;
    let second = app.start_child_cluster(1).await;

    // Guilds on both shards, so both clusters take staff replies.
    let mut guilds: Vec<Guild> = Vec::new();
    let mut n = 0;
    while guilds.len() < GUILDS {
        let guild = app.guild(&format!("g{n}")).await;
        n += 1;
        let shard = (guild.id >> 22) % 2;
        if guilds.iter().filter(|g| (g.id >> 22) % 2 == shard).count() < GUILDS / 2 {
            guilds.push(guild);
        }
    }
    let mut open = Vec::new(); // (guild index, user, channel)
    let mut new_users = Vec::new(); // (guild index, user)
    for (g, guild) in guilds.iter().enumerate() {
        app.setup_modmail(guild).await;
        for i in 0..OPEN {
            let user = app.member(&format!("open{g}-{i}"), &[guild]).await;
            let channel = app.open_ticket(guild, user, &format!("hello from open{g}-{i}")).await;
            open.push((g, user, channel));
        }
        for i in 0..NEW {
            new_users.push((g, app.member(&format!("new{g}-{i}"), &[guild]).await));
        }
    }
    let api = app.api().await;
    let owner = &guilds[0];
    let session = Auth::Session(api.login(&app, owner.owner).await);
    // The setup's requests leave Discord's rolling second (and the fleet's
    // budget window) before the storm: a window that must pass, not an effect.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    app.control.clear_requests().await.unwrap();
    app.control.clear_early_retries().await.unwrap();

    // The storms, all at once.
    let mut storms = tokio::task::JoinSet::new();
    for (g, user) in new_users.clone() {
        let control = app.control.clone();
        storms.spawn(async move {
            control.user_dm(user, &format!("first words of new{g}-{user}")).await.unwrap();
        });
    }
    for (g, user, channel) in open.clone() {
        let control = app.control.clone();
        let staff = guilds[g].staff;
        storms.spawn(async move {
            for k in 0..2 {
                control.user_dm(user, &format!("more from {user} #{k}")).await.unwrap();
                control.post_message(channel, staff, &format!("!reply answer {k} to {user}")).await.unwrap();
            }
        });
    }
    // The API replica, meanwhile: each call asks Discord what the channel
    // is (it is not a category), then refuses it.
    let categories = format!("/v1/guilds/{}/categories", owner.id);
    let mut statuses = Vec::new();
    for _ in 0..API_CALLS {
        let reply = api
            .call(
                Method::POST,
                &categories,
                &session,
                Some(json!({"discord_category_id": owner.general.to_string(), "name": "Nope"})),
            )
            .await;
        statuses.push(reply.status.as_u16());
    }
    while let Some(done) = storms.join_next().await {
        done.unwrap();
    }

    // Everything arrives: each new user's DM in a ticket of theirs, each
    // DM into an open ticket, each reply to its user.
    eventually_within(Duration::from_secs(90), "every DM and reply is delivered", || async {
        let mut texts: Vec<String> = Vec::new();
        for guild in &guilds {
            for channel in app.control.guild_channels(guild.id).await.ok()? {
                if channel["type"] != 0 {
                    continue;
                }
                let id: u64 = channel["id"].as_str()?.parse().ok()?;
                texts.extend(app.control.channel_messages(id).await.ok()?.iter().map(text_of));
            }
        }
        let all = texts.join("\n");
        for (g, user) in &new_users {
            if !all.contains(&format!("first words of new{g}-{user}")) {
                return None;
            }
        }
        for (_, user, _) in &open {
            for k in 0..2 {
                if !all.contains(&format!("more from {user} #{k}")) {
                    return None;
                }
                let dms = app.bot_dms(*user).await;
                if !dms.iter().any(|m| text_of(m).contains(&format!("answer {k} to {user}"))) {
                    return None;
                }
            }
        }
        Some(())
    })
    .await;
    assert!(statuses.iter().all(|s| *s == 422), "the API answered every call after asking Discord: {statuses:?}");

    let limits = app.control.early_retries().await.unwrap();
    assert_eq!(limits.limited_global, 0, "no global 429: the fleet shares one budget ({limits:?})");
    assert_eq!(limits.early, 0, "no request came before a 429's wait: {:?}", limits.examples);

    // The rate Discord saw: requests counting toward the global limit.
    let mut times: Vec<DateTime<Utc>> = app
        .control
        .requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| {
            let route = r["route"].as_str().unwrap_or("");
            !route.contains("/interactions/") && !route.contains("/webhooks/") && !route.contains("/attachments/")
        })
        .filter_map(|r| r["at"].as_str().and_then(|t| DateTime::parse_from_rfc3339(t).ok()))
        .map(|t| t.with_timezone(&Utc))
        .collect();
    times.sort();
    let busiest_second = (0..times.len())
        .map(|i| times[i..].iter().take_while(|t| **t - times[i] < chrono::Duration::seconds(1)).count())
        .max()
        .unwrap_or(0);
    let span = (*times.last().unwrap() - times[0]).num_milliseconds() as f64 / 1000.0;
    let mut per_second: HashMap<i64, usize> = HashMap::new();
    for t in &times {
        *per_second.entry(t.timestamp()).or_default() += 1;
    }
    eprintln!(
        "fleet REST: {} requests in {span:.1} s ({:.1}/s), busiest rolling second {busiest_second} (ceiling 50)",
        times.len(),
        times.len() as f64 / span.max(0.001)
    );
    assert!(busiest_second <= 50, "Discord never saw more than 50 in a second: {busiest_second}");
    assert!(times.len() >= 250, "the storm was big enough to press on the budget: {}", times.len());

    first.stop().await;
    second.stop().await;
    app.shutdown().await;
}

#[tokio::test]
async fn when_the_budget_is_short_relays_go_before_background_history_reads() {
    use twilight_model::id::Id;
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    // A gate of its own (as in any process), with a budget of 6 a second: background work may fill 4 of them.
    let mut discord = app.config.discord.clone();
    discord.rest_per_second = 6;
    let redis = ticketeer::redis::connect(app.config.redis_url()).unwrap();
    let gate = ticketeer::discord::RestGate::start(&discord, redis).await.unwrap();
    let http = std::sync::Arc::new(ticketeer::discord::build_http_client(&discord, &gate));
    let background = std::sync::Arc::new(ticketeer::discord::build_background_http_client(&discord, &gate));
    let channel = Id::new(acme.general);
    app.control.clear_requests().await.unwrap();

    // Twenty history reads queue up first, then five relays arrive.
    let mut work = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let background = background.clone();
        work.spawn(async move { background.channel_messages(channel).limit(1).await.map(|_| ()) });
    }
    // Pacing: the reads are queued at the gate before the relays arrive.
    tokio::time::sleep(Duration::from_millis(50)).await;
    for i in 0..5 {
        let http = http.clone();
        work.spawn(async move { http.create_message(channel).content(&format!("relay {i}")).await.map(|_| ()) });
    }
    while let Some(done) = work.join_next().await {
        done.unwrap().expect("every request is answered");
    }

    let order: Vec<String> = app
        .control
        .requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r["path"].as_str().is_some_and(|p| p.contains(&acme.general.to_string())))
        .map(|r| r["method"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(order.len(), 25, "{order:?}");
    let last_relay = order.iter().rposition(|m| m == "POST").unwrap();
    assert!(last_relay < 12, "the relays went out ahead of most of the background reads queued before them: {order:?}");
    let limits = app.control.early_retries().await.unwrap();
    assert_eq!(limits.limited, 0, "and nothing was rate limited: {limits:?}");
    app.shutdown().await;
}
