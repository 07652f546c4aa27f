//! Proves twilight-http 0.18 and twilight-gateway 0.18 accept the
//! stand-in as Discord: REST calls, gateway events, routing across shards,
//! resumes, rate limits, Discord's channel limits, nonces and interactions.

use discord_standin::client::{FaultSpec, FileSpec, StormSpec};
use discord_standin::{seed_demo, Config, ControlClient, StandIn};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use twilight_gateway::queue::InMemoryQueue;
use twilight_gateway::{ConfigBuilder, Event, EventTypeFlags, Intents, Shard, ShardId, StreamExt as _};
use twilight_http::Client;
use twilight_model::id::Id;

const TOKEN: &str = "test-token";

fn config() -> Config {
    Config { bot_token: TOKEN.into(), route_limits: false, global_rate_limit: 1000, ..Config::default() }
}

async fn start(config: Config) -> StandIn {
    let _ = rustls::crypto::ring::default_provider().install_default();
    StandIn::start(config).await.expect("stand-in starts")
}

fn http(si: &StandIn) -> Client {
    Client::builder()
        .proxy(si.addr().to_string(), true)
        .token(TOKEN.to_string())
        .remember_invalid_token(false)
        .timeout(Duration::from_secs(20))
        .build()
}

/// A shard whose identify queue lets `concurrency` shards identify at once.
fn shard(si: &StandIn, id: u32, total: u32, intents: Intents, concurrency: u16) -> Shard {
    let ws = si.base_url().replace("http://", "ws://");
    let queue = InMemoryQueue::new(concurrency, 1000, Duration::from_secs(86_400), 1000);
    let config = ConfigBuilder::new(TOKEN.to_string(), intents).proxy_url(ws).queue(queue).build();
    Shard::with_config(ShardId::new(id, total), config)
}

/// The next event matching `want`, skipping others; panics on timeout.
async fn wait_for(shard: &mut Shard, what: &str, want: impl Fn(&Event) -> bool) -> Event {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, shard.next_event(EventTypeFlags::all())).await {
            Err(_) => panic!("timed out waiting for {what}"),
            Ok(None) => panic!("shard stream ended waiting for {what}"),
            Ok(Some(Err(e))) => {
                // Reconnects surface as errors; deserialisation failures must not.
                let text = e.to_string();
                assert!(!text.contains("deserializ"), "event failed to parse: {text}");
            }
            Ok(Some(Ok(ev))) if want(&ev) => return ev,
            Ok(Some(Ok(_))) => {}
        }
    }
}

/// Collects events for `dur`.
async fn drain(shard: &mut Shard, dur: Duration) -> Vec<Event> {
    let mut out = Vec::new();
    let deadline = Instant::now() + dur;
    while let Ok(Some(ev)) = tokio::time::timeout(
        deadline.saturating_duration_since(Instant::now()),
        shard.next_event(EventTypeFlags::all()),
    )
    .await
    {
        if let Ok(ev) = ev {
            out.push(ev);
        }
    }
    out
}

fn id(v: &Value) -> u64 {
    v["id"].as_str().and_then(|s| s.parse().ok()).expect("an id")
}

async fn guild_with_bot(c: &ControlClient) -> (u64, u64, u64) {
    let owner = c.create_user("owner").await.unwrap();
    let guild = c.create_guild("Test Guild", owner).await.unwrap();
    let channel = c.create_channel(guild, "general", 0, None).await.unwrap();
    c.add_bot(guild, None).await.unwrap();
    (owner, guild, channel)
}

#[tokio::test]
async fn twilight_http_reads_the_bot_user_and_creates_a_channel_and_a_message() {
    let si = start(config()).await;
    let c = si.control();
    let (_, guild, _) = guild_with_bot(&c).await;
    let http = http(&si);

    let me = http.current_user().await.unwrap().model().await.unwrap();
    assert_eq!(me.id.get(), 1000);
    assert!(me.bot);

    let channel = http.create_guild_channel(Id::new(guild), "Support Room").await.unwrap().model().await.unwrap();
    assert_eq!(channel.name.as_deref(), Some("support-room"));

    let msg = http.create_message(channel.id).content("hello there").await.unwrap().model().await.unwrap();
    assert_eq!(msg.content, "hello there");
    let listed = http.channel_messages(channel.id).await.unwrap().models().await.unwrap();
    assert_eq!(listed.len(), 1);

    let stored = c.channel_messages(channel.id.get()).await.unwrap();
    assert_eq!(stored[0]["content"], "hello there");
    si.shutdown().await;
}

#[tokio::test]
async fn a_wrong_token_gets_a_discord_shaped_401() {
    let si = start(config()).await;
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v10/users/@me", si.base_url()))
        .header("Authorization", "Bot nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, json!({"code": 0, "message": "401: Unauthorized"}));
    si.shutdown().await;
}

#[tokio::test]
async fn twilight_uploads_files_and_the_attachment_url_serves_them() {
    let si = start(config()).await;
    let c = si.control();
    let (_, _, channel) = guild_with_bot(&c).await;
    let http = http(&si);
    let files =
        [twilight_model::http::attachment::Attachment::from_bytes("notes.txt".into(), b"ticket notes".to_vec(), 1)];
    let msg = http
        .create_message(Id::new(channel))
        .content("see attached")
        .attachments(&files)
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    assert_eq!(msg.attachments.len(), 1);
    let body = reqwest::get(&msg.attachments[0].url).await.unwrap().bytes().await.unwrap();
    assert_eq!(&body[..], b"ticket notes");
    si.shutdown().await;
}

#[tokio::test]
async fn a_shard_receives_ready_and_a_guild_create_twilight_can_parse() {
    let si = start(config()).await;
    let c = si.control();
    let (_, guild, _) = guild_with_bot(&c).await;
    let mut shard = shard(&si, 0, 1, Intents::GUILDS | Intents::GUILD_MESSAGES, 1);
    let ready = wait_for(&mut shard, "READY", |e| matches!(e, Event::Ready(_))).await;
    let Event::Ready(ready) = ready else { unreachable!() };
    assert_eq!(ready.guilds.len(), 1);
    let gc = wait_for(&mut shard, "GUILD_CREATE", |e| matches!(e, Event::GuildCreate(_))).await;
    let Event::GuildCreate(gc) = gc else { unreachable!() };
    assert_eq!(gc.id().get(), guild);
    assert!(matches!(*gc, twilight_model::gateway::payload::incoming::GuildCreate::Available(_)));
    si.shutdown().await;
}

#[tokio::test]
async fn rest_and_control_actions_are_dispatched_as_events() {
    let si = start(config()).await;
    let c = si.control();
    let (owner, guild, general) = guild_with_bot(&c).await;
    let intents = Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::GUILD_MEMBERS | Intents::MESSAGE_CONTENT;
    let mut shard = shard(&si, 0, 1, intents, 1);
    wait_for(&mut shard, "GUILD_CREATE", |e| matches!(e, Event::GuildCreate(_))).await;
    let http = http(&si);

    let ch = http.create_guild_channel(Id::new(guild), "ticket-1").await.unwrap().model().await.unwrap();
    wait_for(&mut shard, "CHANNEL_CREATE", |e| matches!(e, Event::ChannelCreate(c) if c.id == ch.id)).await;

    let msg = c.post_message(general, owner, "hi bot").await.unwrap();
    let ev = wait_for(&mut shard, "MESSAGE_CREATE", |e| matches!(e, Event::MessageCreate(_))).await;
    let Event::MessageCreate(m) = ev else { unreachable!() };
    assert_eq!(m.content, "hi bot");
    assert_eq!(m.guild_id.map(|g| g.get()), Some(guild));
    assert!(m.member.is_some());

    c.edit_message(general, id(&msg), "hi bot (edited)").await.unwrap();
    wait_for(&mut shard, "MESSAGE_UPDATE", |e| matches!(e, Event::MessageUpdate(_))).await;
    c.delete_message(general, id(&msg)).await.unwrap();
    wait_for(&mut shard, "MESSAGE_DELETE", |e| matches!(e, Event::MessageDelete(_))).await;

    let newbie = c.create_user("newbie").await.unwrap();
    c.put_member(guild, newbie, &[]).await.unwrap();
    wait_for(&mut shard, "GUILD_MEMBER_ADD", |e| matches!(e, Event::MemberAdd(_))).await;
    let role = c.create_role(guild, "Helpers", 0).await.unwrap();
    wait_for(&mut shard, "GUILD_ROLE_CREATE", |e| matches!(e, Event::RoleCreate(_))).await;
    c.put_member(guild, newbie, &[role]).await.unwrap();
    wait_for(&mut shard, "GUILD_MEMBER_UPDATE", |e| matches!(e, Event::MemberUpdate(_))).await;
    c.remove_member(guild, newbie).await.unwrap();
    wait_for(&mut shard, "GUILD_MEMBER_REMOVE", |e| matches!(e, Event::MemberRemove(_))).await;

    http.delete_channel(ch.id).await.unwrap();
    wait_for(&mut shard, "CHANNEL_DELETE", |e| matches!(e, Event::ChannelDelete(_))).await;
    c.remove_bot(guild).await.unwrap();
    wait_for(&mut shard, "GUILD_DELETE", |e| matches!(e, Event::GuildDelete(_))).await;
    si.shutdown().await;
}

#[tokio::test]
async fn without_message_content_guild_messages_arrive_blank_but_dms_do_not() {
    let si = start(config()).await;
    let c = si.control();
    let (owner, _, general) = guild_with_bot(&c).await;
    let mut shard = shard(&si, 0, 1, Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::DIRECT_MESSAGES, 1);
    wait_for(&mut shard, "GUILD_CREATE", |e| matches!(e, Event::GuildCreate(_))).await;
    c.post_message(general, owner, "secret words").await.unwrap();
    let Event::MessageCreate(m) = wait_for(&mut shard, "guild message", |e| matches!(e, Event::MessageCreate(_))).await
    else {
        unreachable!()
    };
    assert_eq!(m.content, "");
    c.user_dm(owner, "dm words").await.unwrap();
    let Event::MessageCreate(m) = wait_for(&mut shard, "DM", |e| matches!(e, Event::MessageCreate(_))).await else {
        unreachable!()
    };
    assert_eq!(m.content, "dm words");
    si.shutdown().await;
}

#[tokio::test]
async fn a_dm_reaches_only_shard_zero_of_two() {
    let si = start(Config { shards: 2, max_concurrency: 2, ..config() }).await;
    let c = si.control();
    let (owner, _, _) = guild_with_bot(&c).await;
    let intents = Intents::GUILDS | Intents::DIRECT_MESSAGES;
    let mut s0 = shard(&si, 0, 2, intents, 2);
    let mut s1 = shard(&si, 1, 2, intents, 2);
    wait_for(&mut s0, "READY 0", |e| matches!(e, Event::Ready(_))).await;
    wait_for(&mut s1, "READY 1", |e| matches!(e, Event::Ready(_))).await;

    c.user_dm(owner, "help me").await.unwrap();
    let Event::MessageCreate(m) = wait_for(&mut s0, "DM on shard 0", |e| matches!(e, Event::MessageCreate(_))).await
    else {
        unreachable!()
    };
    assert_eq!(m.content, "help me");
    assert!(m.guild_id.is_none());
    let on_shard_1 = drain(&mut s1, Duration::from_millis(500)).await;
    assert!(!on_shard_1.iter().any(|e| matches!(e, Event::MessageCreate(_))), "shard 1 got a DM");
    let stats = c.gateway_stats().await.unwrap();
    assert_eq!(stats.identify_violations, 0);
    assert_eq!(c.gateway_sessions().await.unwrap().len(), 2);
    si.shutdown().await;
}

#[tokio::test]
async fn a_resume_after_a_dropped_socket_replays_missed_events() {
    let si = start(config()).await;
    let c = si.control();
    let (owner, _, _) = guild_with_bot(&c).await;
    let mut shard = shard(&si, 0, 1, Intents::GUILDS | Intents::DIRECT_MESSAGES, 1);
    wait_for(&mut shard, "GUILD_CREATE", |e| matches!(e, Event::GuildCreate(_))).await;

    assert_eq!(c.gateway_drop(None).await.unwrap(), 1);
    // Sent while the shard is reconnecting: it must be replayed.
    c.user_dm(owner, "while you were away").await.unwrap();
    let Event::MessageCreate(m) = wait_for(&mut shard, "replayed DM", |e| matches!(e, Event::MessageCreate(_))).await
    else {
        unreachable!()
    };
    assert_eq!(m.content, "while you were away");
    wait_for(&mut shard, "RESUMED", |e| matches!(e, Event::Resumed)).await;
    assert_eq!(c.gateway_stats().await.unwrap().resumes, 1);

    // An op 7 RECONNECT also ends in a resume, not a new identify.
    c.gateway_reconnect(Some(0)).await.unwrap();
    wait_for(&mut shard, "RESUMED after op 7", |e| matches!(e, Event::Resumed)).await;
    let stats = c.gateway_stats().await.unwrap();
    assert_eq!((stats.identifies, stats.resumes), (1, 2));
    si.shutdown().await;
}

#[tokio::test]
async fn identifying_two_shards_of_one_bucket_at_once_is_counted_as_a_violation() {
    let si = start(Config { shards: 2, max_concurrency: 1, ..config() }).await;
    // A queue with concurrency 0 does not wait: both shards identify at once.
    let mut s0 = shard(&si, 0, 2, Intents::GUILDS, 0);
    let mut s1 = shard(&si, 1, 2, Intents::GUILDS, 0);
    let _ = tokio::join!(drain(&mut s0, Duration::from_secs(1)), drain(&mut s1, Duration::from_secs(1)));
    assert!(si.control().gateway_stats().await.unwrap().identify_violations >= 1);
    si.shutdown().await;
}

#[tokio::test]
async fn twilight_waits_out_a_429_with_headers_and_retries() {
    let si = start(config()).await;
    let c = si.control();
    let (_, _, channel) = guild_with_bot(&c).await;
    c.inject_fault(FaultSpec {
        method: "POST".into(),
        route: "/channels/{channel_id}/messages".into(),
        status: 429,
        count: 1,
        retry_after_ms: Some(700),
        scope: None,
    })
    .await
    .unwrap();
    let http = http(&si);
    let started = Instant::now();
    http.create_message(Id::new(channel)).content("after the limit").await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(600), "twilight did not wait");
    let statuses: Vec<u64> = c
        .requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r["route"] == "POST /channels/{channel_id}/messages")
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, vec![429, 200]);
    si.shutdown().await;
}

#[tokio::test]
async fn route_buckets_limit_message_creates_per_channel_with_discord_headers() {
    let si = start(Config { route_limits: true, ..config() }).await;
    let c = si.control();
    let (_, _, channel) = guild_with_bot(&c).await;
    let url = format!("{}/api/v10/channels/{channel}/messages", si.base_url());
    let client = reqwest::Client::new();
    let mut last = None;
    for i in 0..6 {
        let r = client
            .post(&url)
            .header("Authorization", format!("Bot {TOKEN}"))
            .json(&json!({"content": format!("m{i}")}))
            .send()
            .await
            .unwrap();
        last = Some(r);
    }
    let r = last.unwrap();
    assert_eq!(r.status(), 429);
    for h in
        ["x-ratelimit-bucket", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset-after", "retry-after"]
    {
        assert!(r.headers().contains_key(h), "missing {h}");
    }
    assert_eq!(r.headers()["x-ratelimit-scope"], "user");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["global"], false);
    si.shutdown().await;
}

#[tokio::test]
async fn a_category_refuses_its_fifty_first_channel_and_a_guild_its_five_hundred_first() {
    let si = start(config()).await;
    let c = si.control();
    let (_, guild, _) = guild_with_bot(&c).await;
    let cat = c.create_channel(guild, "Inbox", 4, None).await.unwrap();
    for i in 0..50 {
        c.create_channel(guild, &format!("t{i}"), 0, Some(cat)).await.unwrap();
    }
    let http = http(&si);
    let err = http.create_guild_channel(Id::new(guild), "one-too-many").parent_id(Id::new(cat)).await.unwrap_err();
    let text = format!("{err:?}");
    assert!(text.contains("50035") && text.contains("CHANNEL_PARENT_MAX_CHANNELS"), "{text}");

    // 52 channels exist; fill the guild to 500.
    for i in 0..448 {
        c.create_channel(guild, &format!("x{i}"), 0, None).await.unwrap();
    }
    assert_eq!(c.guild_channels(guild).await.unwrap().len(), 500);
    let err = http.create_guild_channel(Id::new(guild), "overflow").await.unwrap_err();
    assert!(format!("{err:?}").contains("30013"), "{err:?}");
    si.shutdown().await;
}

#[tokio::test]
async fn a_repeated_nonce_with_enforce_nonce_returns_the_first_message() {
    let si = start(config()).await;
    let c = si.control();
    let (_, _, channel) = guild_with_bot(&c).await;
    let http = http(&si);
    let payload = br#"{"content":"only once","nonce":"42","enforce_nonce":true}"#;
    let a = http.create_message(Id::new(channel)).payload_json(payload).await.unwrap().model().await.unwrap();
    let b = http.create_message(Id::new(channel)).payload_json(payload).await.unwrap().model().await.unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(c.channel_messages(channel).await.unwrap().len(), 1);
    si.shutdown().await;
}

#[tokio::test]
async fn a_closed_dm_answers_50007() {
    let si = start(config()).await;
    let c = si.control();
    let (owner, _, _) = guild_with_bot(&c).await;
    c.set_dms_closed(owner, true).await.unwrap();
    let http = http(&si);
    let dm = http.create_private_channel(Id::new(owner)).await.unwrap().model().await.unwrap();
    let err = http.create_message(dm.id).content("hello").await.unwrap_err();
    assert!(format!("{err:?}").contains("50007"), "{err:?}");
    si.shutdown().await;
}

#[tokio::test]
async fn missing_manage_channels_is_a_403_50013() {
    let si = start(config()).await;
    let c = si.control();
    let owner = c.create_user("owner").await.unwrap();
    let guild = c.create_guild("Locked", owner).await.unwrap();
    c.add_bot(guild, Some(1 << 10 | 1 << 11)).await.unwrap();
    let err = http(&si).create_guild_channel(Id::new(guild), "nope").await.unwrap_err();
    assert!(format!("{err:?}").contains("50013"), "{err:?}");
    si.shutdown().await;
}

#[tokio::test]
#[allow(deprecated)] // TextInput::label: twilight marks it deprecated, Discord still accepts it.
async fn a_slash_command_opens_a_modal_and_its_submission_gets_a_reply() {
    use twilight_model::application::interaction::InteractionData;
    use twilight_model::channel::message::component::{ActionRow, Component, TextInput, TextInputStyle};
    use twilight_model::http::interaction::{InteractionResponse, InteractionResponseData, InteractionResponseType};

    let si = start(config()).await;
    let c = si.control();
    let world = seed_demo(&c).await.unwrap();
    reqwest::Client::new()
        .put(format!("{}/api/v10/applications/1000/commands", si.base_url()))
        .header("Authorization", format!("Bot {TOKEN}"))
        .json(&json!([{"name": "ticket", "description": "Open a ticket", "type": 1,
            "options": [{"name": "topic", "description": "What about", "type": 3}]}]))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let mut shard = shard(&si, 0, 1, Intents::GUILDS, 1);
    wait_for(&mut shard, "READY", |e| matches!(e, Event::Ready(_))).await;
    let http = http(&si);

    let cmd = c
        .run_command(
            world.alice,
            Some(world.acme_guild),
            Some(world.acme_general_channel),
            "ticket",
            json!([{"name": "topic", "value": "billing"}]),
        )
        .await
        .unwrap();
    let Event::InteractionCreate(i) =
        wait_for(&mut shard, "command", |e| matches!(e, Event::InteractionCreate(_))).await
    else {
        unreachable!()
    };
    let Some(InteractionData::ApplicationCommand(data)) = &i.data else { panic!("not a command") };
    assert_eq!(data.name, "ticket");
    assert_eq!(i.author_id().map(|a| a.get()), Some(world.alice));

    let modal = InteractionResponse {
        kind: InteractionResponseType::Modal,
        data: Some(InteractionResponseData {
            custom_id: Some("ticket-form".into()),
            title: Some("New ticket".into()),
            components: Some(vec![Component::ActionRow(ActionRow {
                id: None,
                components: vec![Component::TextInput(TextInput {
                    custom_id: "details".into(),
                    id: None,
                    label: Some("Details".into()),
                    max_length: None,
                    min_length: None,
                    placeholder: None,
                    required: Some(true),
                    style: TextInputStyle::Paragraph,
                    value: None,
                })],
            })]),
            ..Default::default()
        }),
    };
    http.interaction(i.application_id).create_response(i.id, &i.token, &modal).await.unwrap();
    // A second response to the same interaction is refused.
    let again = http.interaction(i.application_id).create_response(i.id, &i.token, &modal).await.unwrap_err();
    assert!(format!("{again:?}").contains("40060"), "{again:?}");

    c.submit_modal(world.alice, "ticket-form", &[("details", "my invoice is wrong")]).await.unwrap();
    let Event::InteractionCreate(submit) =
        wait_for(&mut shard, "modal submit", |e| matches!(e, Event::InteractionCreate(_))).await
    else {
        unreachable!()
    };
    let Some(InteractionData::ModalSubmit(form)) = &submit.data else { panic!("not a modal submit") };
    assert_eq!(form.custom_id, "ticket-form");
    let reply = InteractionResponse {
        kind: InteractionResponseType::ChannelMessageWithSource,
        data: Some(InteractionResponseData { content: Some("Ticket opened".into()), ..Default::default() }),
    };
    http.interaction(submit.application_id).create_response(submit.id, &submit.token, &reply).await.unwrap();
    let original =
        http.interaction(submit.application_id).response(&submit.token).await.unwrap().model().await.unwrap();
    assert_eq!(original.content, "Ticket opened");

    let recorded = c.interaction(cmd.id).await.unwrap();
    assert_eq!(recorded["callbacks"][0]["type"], 9);
    let msgs = c.channel_messages(world.acme_general_channel).await.unwrap();
    assert_eq!(msgs.last().unwrap()["content"], "Ticket opened");
    // Submitting a modal the bot never opened fails clearly.
    assert!(c.submit_modal(world.bob, "ticket-form", &[]).await.is_err());
    si.shutdown().await;
}

#[tokio::test]
async fn a_button_click_can_update_the_message_it_sits_on() {
    use twilight_model::http::interaction::{InteractionResponse, InteractionResponseData, InteractionResponseType};
    let si = start(config()).await;
    let c = si.control();
    let (owner, _, channel) = guild_with_bot(&c).await;
    let http = http(&si);
    let payload = serde_json::to_vec(&json!({"content": "Close this ticket?", "components": [
        {"type": 1, "components": [{"type": 2, "style": 4, "label": "Close", "custom_id": "close"}]}]}))
    .unwrap();
    let msg = http.create_message(Id::new(channel)).payload_json(&payload).await.unwrap().model().await.unwrap();
    let mut shard = shard(&si, 0, 1, Intents::GUILDS, 1);
    wait_for(&mut shard, "READY", |e| matches!(e, Event::Ready(_))).await;

    assert!(c.click(owner, channel, msg.id.get(), "nope", 2, None).await.is_err());
    c.click(owner, channel, msg.id.get(), "close", 2, None).await.unwrap();
    let Event::InteractionCreate(i) = wait_for(&mut shard, "click", |e| matches!(e, Event::InteractionCreate(_))).await
    else {
        unreachable!()
    };
    assert_eq!(i.message.as_ref().map(|m| m.id), Some(msg.id));
    let update = InteractionResponse {
        kind: InteractionResponseType::UpdateMessage,
        data: Some(InteractionResponseData {
            content: Some("Closed".into()),
            components: Some(vec![]),
            ..Default::default()
        }),
    };
    http.interaction(i.application_id).create_response(i.id, &i.token, &update).await.unwrap();
    let stored = c.channel_messages(channel).await.unwrap();
    assert_eq!(stored[0]["content"], "Closed");
    assert_eq!(stored[0]["history"][0]["content"], "Close this ticket?");
    si.shutdown().await;
}

#[tokio::test]
async fn people_can_send_files_in_dms_and_the_demo_world_is_seeded() {
    let si = start(config()).await;
    let c = si.control();
    let world = seed_demo(&c).await.unwrap();
    let file = FileSpec { filename: "shot.png".into(), content_type: Some("image/png".into()), bytes: vec![1, 2, 3] };
    let m = c.user_dm_with_files(world.alice, "screenshot", &[file]).await.unwrap();
    let url = m["attachments"][0]["url"].as_str().unwrap().to_string();
    assert_eq!(reqwest::get(url).await.unwrap().bytes().await.unwrap().to_vec(), vec![1, 2, 3]);
    assert_eq!(c.dm_messages(world.alice).await.unwrap().len(), 1);
    let acme = c.guild(world.acme_guild).await.unwrap();
    assert_eq!(acme["name"], "Acme Support");
    assert_eq!(acme["bot_present"], true);
    si.shutdown().await;
}

async fn register_ticket_command(si: &StandIn) {
    reqwest::Client::new()
        .put(format!("{}/api/v10/applications/1000/commands", si.base_url()))
        .header("Authorization", format!("Bot {TOKEN}"))
        .json(&json!([{"name": "ticket", "description": "Open a ticket", "type": 1, "options": [
            {"name": "open", "description": "Open one", "type": 1, "options": [
                {"name": "user", "description": "For whom", "type": 6}]}]}]))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

#[tokio::test]
async fn a_deferred_reply_is_replaced_by_the_first_follow_up_and_commands_list_in_twilight() {
    use twilight_model::application::interaction::InteractionData;
    use twilight_model::http::interaction::{InteractionResponse, InteractionResponseType};
    let si = start(config()).await;
    let c = si.control();
    let world = seed_demo(&c).await.unwrap();
    register_ticket_command(&si).await;
    let http = http(&si);
    let listed = http.interaction(Id::new(1000)).global_commands().await.unwrap().models().await.unwrap();
    assert_eq!(listed[0].name, "ticket");

    let mut shard = shard(&si, 0, 1, Intents::GUILDS, 1);
    wait_for(&mut shard, "READY", |e| matches!(e, Event::Ready(_))).await;
    let options = json!([{"name": "open", "options": [{"name": "user", "value": world.bob.to_string()}]}]);
    c.run_command(world.sam, Some(world.acme_guild), Some(world.acme_general_channel), "ticket", options)
        .await
        .unwrap();
    let Event::InteractionCreate(i) =
        wait_for(&mut shard, "command", |e| matches!(e, Event::InteractionCreate(_))).await
    else {
        unreachable!()
    };
    let Some(InteractionData::ApplicationCommand(data)) = &i.data else { panic!("not a command") };
    assert_eq!(data.id, listed[0].id.unwrap());
    let resolved = data.resolved.as_ref().expect("resolved users");
    assert!(resolved.users.contains_key(&Id::new(world.bob)));

    let defer = InteractionResponse { kind: InteractionResponseType::DeferredChannelMessageWithSource, data: None };
    let client = http.interaction(i.application_id);
    client.create_response(i.id, &i.token, &defer).await.unwrap();
    let follow = client.create_followup(&i.token).content("Ticket #1 opened").await.unwrap().model().await.unwrap();
    let original = client.response(&i.token).await.unwrap().model().await.unwrap();
    assert_eq!(follow.id, original.id);
    assert_eq!(original.content, "Ticket #1 opened");
    client.update_response(&i.token).content(Some("Ticket #1 opened (edited)")).await.unwrap();
    let second = client.create_followup(&i.token).content("another").await.unwrap().model().await.unwrap();
    assert_ne!(second.id, original.id);
    si.shutdown().await;
}

#[tokio::test]
async fn a_command_in_a_dm_carries_the_user_and_goes_to_shard_zero() {
    use twilight_model::http::interaction::{InteractionResponse, InteractionResponseData, InteractionResponseType};
    let si = start(Config { shards: 2, max_concurrency: 2, ..config() }).await;
    let c = si.control();
    let (owner, _, _) = guild_with_bot(&c).await;
    register_ticket_command(&si).await;
    let mut s0 = shard(&si, 0, 2, Intents::DIRECT_MESSAGES, 2);
    wait_for(&mut s0, "READY", |e| matches!(e, Event::Ready(_))).await;
    let r = c.run_command(owner, None, None, "ticket", json!([{"name": "open", "options": []}])).await.unwrap();
    let Event::InteractionCreate(i) =
        wait_for(&mut s0, "DM command", |e| matches!(e, Event::InteractionCreate(_))).await
    else {
        unreachable!()
    };
    assert!(i.guild_id.is_none());
    assert_eq!(i.user.as_ref().map(|u| u.id.get()), Some(owner));
    let reply = InteractionResponse {
        kind: InteractionResponseType::ChannelMessageWithSource,
        data: Some(InteractionResponseData {
            content: Some("only you can see this".into()),
            flags: Some(twilight_model::channel::message::MessageFlags::EPHEMERAL),
            ..Default::default()
        }),
    };
    http(&si).interaction(i.application_id).create_response(i.id, &i.token, &reply).await.unwrap();
    let recorded = c.interaction(r.id).await.unwrap();
    assert_eq!(recorded["original"]["ephemeral"], true);
    assert!(c.dm_messages(owner).await.unwrap().is_empty(), "ephemeral replies are not in the channel");
    si.shutdown().await;
}

#[tokio::test]
async fn pins_work_through_both_routes_and_dispatch_a_pins_update() {
    let si = start(config()).await;
    let c = si.control();
    let (_, _, channel) = guild_with_bot(&c).await;
    let mut shard = shard(&si, 0, 1, Intents::GUILDS, 1);
    wait_for(&mut shard, "GUILD_CREATE", |e| matches!(e, Event::GuildCreate(_))).await;
    let http = http(&si);
    let msg = http.create_message(Id::new(channel)).content("pin me").await.unwrap().model().await.unwrap();
    http.create_pin(msg.channel_id, msg.id).await.unwrap();
    wait_for(&mut shard, "CHANNEL_PINS_UPDATE", |e| matches!(e, Event::ChannelPinsUpdate(_))).await;
    let listing = http.pins(msg.channel_id).await.unwrap().model().await.unwrap();
    assert_eq!(listing.items.len(), 1);
    assert_eq!(c.pins(channel).await.unwrap().len(), 1);
    http.delete_pin(msg.channel_id, msg.id).await.unwrap();
    assert!(c.pins(channel).await.unwrap().is_empty());
    si.shutdown().await;
}

#[tokio::test]
async fn requesting_guild_members_returns_a_chunk_with_the_nonce() {
    use twilight_model::gateway::payload::outgoing::RequestGuildMembers;
    let si = start(config()).await;
    let c = si.control();
    let world = seed_demo(&c).await.unwrap();
    let mut shard = shard(&si, 0, 1, Intents::GUILDS | Intents::GUILD_MEMBERS, 1);
    wait_for(&mut shard, "GUILD_CREATE", |e| matches!(e, Event::GuildCreate(_))).await;
    let req = RequestGuildMembers::builder(Id::new(world.acme_guild)).nonce("abc").query("", None);
    shard.command(&req);
    let Event::MemberChunk(chunk) =
        wait_for(&mut shard, "GUILD_MEMBERS_CHUNK", |e| matches!(e, Event::MemberChunk(_))).await
    else {
        unreachable!()
    };
    assert_eq!(chunk.nonce.as_deref(), Some("abc"));
    // olivia, alice, bob, sam and the bot.
    assert_eq!(chunk.members.len(), 5);
    si.shutdown().await;
}

#[tokio::test]
async fn a_second_full_member_request_inside_the_window_gets_a_rate_limited_dispatch() {
    use twilight_model::gateway::payload::outgoing::RequestGuildMembers;
    let si = start(Config { member_request_window: Duration::from_secs(30), ..config() }).await;
    let c = si.control();
    let world = seed_demo(&c).await.unwrap();
    let mut shard = shard(&si, 0, 1, Intents::GUILDS | Intents::GUILD_MEMBERS, 1);
    wait_for(&mut shard, "GUILD_CREATE", |e| matches!(e, Event::GuildCreate(_))).await;
    let guild = Id::new(world.acme_guild);
    shard.command(&RequestGuildMembers::builder(guild).nonce("first").query("", None));
    wait_for(&mut shard, "GUILD_MEMBERS_CHUNK", |e| matches!(e, Event::MemberChunk(_))).await;
    // A search by name is not limited; the second full list is.
    shard.command(&RequestGuildMembers::builder(guild).nonce("search").query("ali", None));
    shard.command(&RequestGuildMembers::builder(guild).nonce("second").query("", None));
    // twilight 0.18 cannot parse Discord's RATE_LIMITED: it arrives as a
    // deserializing error carrying the payload.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut searched = false;
    let refused: Value = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, shard.next_event(EventTypeFlags::all())).await {
            Err(_) | Ok(None) => panic!("no RATE_LIMITED dispatch in 15 s"),
            Ok(Some(Ok(Event::MemberChunk(chunk)))) => searched |= chunk.nonce.as_deref() == Some("search"),
            Ok(Some(Ok(Event::RateLimited(limited)))) => break serde_json::to_value(limited).unwrap(),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => {
                if let twilight_gateway::error::ReceiveMessageErrorType::Deserializing { event } = e.kind() {
                    let frame: Value = serde_json::from_str(event).unwrap();
                    if frame["t"] == "RATE_LIMITED" {
                        break frame["d"].clone();
                    }
                }
            }
        }
    };
    // Discord's shape: the refused opcode, seconds to wait, the guild and nonce.
    assert_eq!(refused["opcode"], 8);
    let retry_after = refused["retry_after"].as_f64().unwrap();
    assert!(retry_after > 25.0 && retry_after <= 30.0, "{refused}");
    assert_eq!(refused["meta"], json!({"guild_id": world.acme_guild.to_string(), "nonce": "second"}));
    searched |= drain(&mut shard, Duration::from_millis(300)).await.iter().any(|e| matches!(e, Event::MemberChunk(_)));
    assert!(searched, "the search was answered");
    let stats = c.gateway_stats().await.unwrap();
    assert_eq!(stats.full_member_requests_of(world.acme_guild), 1);
    assert_eq!(stats.member_requests_rate_limited, 1);
    si.shutdown().await;
}

#[tokio::test]
async fn allowed_mentions_decide_who_is_mentioned() {
    let si = start(config()).await;
    let c = si.control();
    let (owner, _, channel) = guild_with_bot(&c).await;
    let http = http(&si);
    let text = format!("<@{owner}> hello @everyone");
    let none = serde_json::to_vec(&json!({"content": text, "allowed_mentions": {"parse": []}})).unwrap();
    let m = http.create_message(Id::new(channel)).payload_json(&none).await.unwrap().model().await.unwrap();
    assert!(m.mentions.is_empty());
    let users =
        serde_json::to_vec(&json!({"content": text, "allowed_mentions": {"parse": ["users", "everyone"]}})).unwrap();
    let m = http.create_message(Id::new(channel)).payload_json(&users).await.unwrap().model().await.unwrap();
    assert_eq!(m.mentions.len(), 1);
    // The bot lacks MENTION_EVERYONE by default.
    assert!(!m.mention_everyone);
    si.shutdown().await;
}

#[tokio::test]
async fn a_third_rename_within_ten_minutes_is_rate_limited() {
    let si = start(Config { route_limits: true, ..config() }).await;
    let c = si.control();
    let (_, _, channel) = guild_with_bot(&c).await;
    let client = reqwest::Client::new();
    let url = format!("{}/api/v10/channels/{channel}", si.base_url());
    let mut statuses = Vec::new();
    for name in ["one", "two", "three"] {
        let r = client
            .patch(&url)
            .header("Authorization", format!("Bot {TOKEN}"))
            .json(&json!({"name": name}))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 429]);
    si.shutdown().await;
}

#[tokio::test]
async fn oauth2_code_grant_gives_a_bearer_token_that_sees_only_its_user_and_their_guilds() {
    let si = start(config()).await;
    let c = si.control();
    let (_, guild, channel) = guild_with_bot(&c).await;
    let admin_role = c.create_role(guild, "Admins", 1 << 5).await.unwrap(); // MANAGE_GUILD
    let member = c.create_user("mia").await.unwrap();
    c.put_member(guild, member, &[admin_role]).await.unwrap();
    let other = c.create_user("other").await.unwrap();
    let elsewhere = c.create_guild("Elsewhere", other).await.unwrap();
    let web = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let base = si.base_url();
    let authorize = format!(
        "{base}/oauth2/authorize?response_type=code&client_id=1000&scope=identify%20guilds&state=s%201&redirect_uri=http://127.0.0.1:1/callback"
    );

    // Nobody signed in: a clear refusal.
    let refused = web.get(&authorize).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "login_required");

    c.sign_in(member).await.unwrap();
    let redirect = web.get(&authorize).send().await.unwrap();
    assert!(redirect.status().is_redirection(), "{}", redirect.status());
    let location = redirect.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("http://127.0.0.1:1/callback?code=") && location.ends_with("&state=s%201"),
        "{location}"
    );
    let code = location.split("code=").nth(1).unwrap().split('&').next().unwrap().to_owned();

    let token_url = format!("{base}/api/v10/oauth2/token");
    let form = |code: &str, secret: &str| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", "http://127.0.0.1:1/callback".to_owned()),
            ("client_id", "1000".to_owned()),
            ("client_secret", secret.to_owned()),
        ]
    };
    let wrong = web.post(&token_url).form(&form(&code, "nope")).send().await.unwrap();
    assert_eq!(wrong.status(), 401, "a wrong client secret");
    let granted: Value =
        web.post(&token_url).form(&form(&code, "standin-client-secret")).send().await.unwrap().json().await.unwrap();
    assert_eq!(granted["token_type"], "Bearer");
    assert_eq!(granted["scope"], "identify guilds");
    let again = web.post(&token_url).form(&form(&code, "standin-client-secret")).send().await.unwrap();
    assert_eq!(again.status(), 400, "a code works once");

    let bearer = format!("Bearer {}", granted["access_token"].as_str().unwrap());
    let me: Value = web
        .get(format!("{base}/api/v10/users/@me"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(id(&me), member);
    let guilds: Value = web
        .get(format!("{base}/api/v10/users/@me/guilds"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let guilds = guilds.as_array().unwrap();
    assert_eq!(guilds.len(), 1, "only the user's guilds: {guilds:?}");
    assert_eq!(id(&guilds[0]), guild);
    assert_eq!(guilds[0]["owner"], false);
    let perms: u64 = guilds[0]["permissions"].as_str().unwrap().parse().unwrap();
    assert_ne!(perms & (1 << 5), 0, "Manage Server through the role");
    assert!(!guilds.iter().any(|g| id(g) == elsewhere));

    // A user's token reaches nothing of the bot's.
    let denied =
        web.get(format!("{base}/api/v10/channels/{channel}")).header("authorization", &bearer).send().await.unwrap();
    assert_eq!(denied.status(), 401);

    // Refreshing gives a new token.
    let refreshed: Value = web
        .post(&token_url)
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", granted["refresh_token"].as_str().unwrap()),
            ("client_id", "1000"),
            ("client_secret", "standin-client-secret"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(refreshed["access_token"], granted["access_token"]);
    si.shutdown().await;
}

#[tokio::test]
async fn a_storm_fails_every_route_in_turn_for_its_window_and_requests_that_ignore_a_429s_wait_are_counted_early() {
    let si = start(config()).await;
    let c = si.control();
    let (_, guild, channel) = guild_with_bot(&c).await;
    c.clear_requests().await.unwrap();
    c.storm(StormSpec { statuses: vec![429, 500, 502, 503], for_ms: 1_500, retry_after_ms: 300, scope: None })
        .await
        .unwrap();

    // A careless client: straight on after every answer, on two routes.
    let client = reqwest::Client::new();
    let auth = format!("Bot {TOKEN}");
    let messages = format!("{}/api/v10/channels/{channel}/messages", si.base_url());
    let guild_url = format!("{}/api/v10/guilds/{guild}", si.base_url());
    let mut statuses = Vec::new();
    for i in 0..4 {
        let r = client.post(&messages).header("Authorization", &auth).json(&json!({"content": i})).send().await;
        let r = r.unwrap();
        if r.status() == 429 {
            // Shaped like every injected 429.
            assert_eq!(r.headers()["x-ratelimit-scope"], "user");
            assert_eq!(r.headers()["x-ratelimit-reset-after"], "0.300");
            assert_eq!(r.headers()["retry-after"], "1");
            let body: Value = r.json().await.unwrap();
            assert_eq!((body["retry_after"].as_f64(), body["global"].as_bool()), (Some(0.3), Some(false)));
            statuses.push(429);
        } else {
            statuses.push(r.status().as_u16());
        }
    }
    assert_eq!(statuses, vec![429, 500, 502, 503], "the storm's answers in turn, on one route");
    let r = client.get(&guild_url).header("Authorization", &auth).send().await.unwrap();
    assert_eq!(r.status(), 429, "every route is in the storm");

    // The three requests after the 429 on the messages bucket came before its
    // 300 ms had passed; the guild read is another bucket.
    let early = c.early_retries().await.unwrap();
    assert_eq!((early.limited, early.early), (2, 3), "{:?}", early.examples);
    let example = &early.examples[0];
    assert_eq!(example["bucket"], "POST /channels/{channel_id}/messages");
    assert_eq!(example["request"], format!("POST /channels/{channel}/messages"));
    assert!(example["early_by_ms"].as_f64().unwrap() > 0.0);

    // Twilight waits out each 429's bucket: its next request on the bucket
    // comes late enough, whatever the storm answers it.
    c.clear_early_retries().await.unwrap();
    let http = http(&si);
    let until_end = Instant::now() + Duration::from_millis(1_600);
    while Instant::now() < until_end {
        let _ = http.channel(Id::new(channel)).await;
    }
    let early = c.early_retries().await.unwrap();
    assert!(early.limited >= 1, "twilight met the storm's 429s");
    assert_eq!(early.early, 0, "{:?}", early.examples);

    // The storm is over: answers are normal again.
    http.create_message(Id::new(channel)).content("after the storm").await.unwrap();
    si.shutdown().await;
}

#[tokio::test]
async fn after_a_global_429_any_request_by_the_bot_before_its_wait_is_early() {
    let si = start(config()).await;
    let c = si.control();
    let (_, _, channel) = guild_with_bot(&c).await;
    let mut fault = FaultSpec {
        method: "GET".into(),
        route: "/users/@me".into(),
        status: 429,
        count: 1,
        retry_after_ms: Some(2_000),
        scope: Some("global".into()),
    };
    c.inject_fault(fault.clone()).await.unwrap();
    let client = reqwest::Client::new();
    let auth = format!("Bot {TOKEN}");
    let r = client.get(format!("{}/api/v10/users/@me", si.base_url())).header("Authorization", &auth).send().await;
    let r = r.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["x-ratelimit-global"], "true");
    assert!(!r.headers().contains_key("x-ratelimit-bucket"), "a global 429 names no bucket");
    let url = format!("{}/api/v10/channels/{channel}", si.base_url());
    assert_eq!(client.get(&url).header("Authorization", &auth).send().await.unwrap().status(), 200);
    let early = c.early_retries().await.unwrap();
    assert_eq!(early.early, 1, "another route, but within the global wait");
    assert_eq!(early.examples[0]["bucket"], "global");

    // Counted faults keep working beside the new ones.
    fault.scope = None;
    fault.status = 503;
    c.inject_fault(fault).await.unwrap();
    let r = client.get(format!("{}/api/v10/users/@me", si.base_url())).header("Authorization", &auth).send().await;
    assert_eq!(r.unwrap().status(), 503);
    si.shutdown().await;
}
