//! Client ops: HEARTBEAT, IDENTIFY (READY + GUILD_CREATEs), RESUME (replay);
//! REQUEST_GUILD_MEMBERS is in `member_requests`. Identify concurrency is checked like Discord:
//! one identify per bucket (`shard % max_concurrency`) per 5 seconds.

use super::conn::Conn;
use super::hub::{self, shard_of, Outbound, Session};
use crate::ids;
use crate::json;
use crate::state::App;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

const IDENTIFY_WINDOW: Duration = Duration::from_secs(5);

pub fn handle_op(app: &App, conn: &mut Conn, v: Value) {
    match v.get("op").and_then(Value::as_u64) {
        Some(1) => {
            let _ = conn.tx.send(Outbound::Text(json!({"op": 11, "d": null}).to_string()));
        }
        Some(2) => identify(app, conn, v.get("d").cloned().unwrap_or(Value::Null)),
        Some(6) => resume(app, conn, v.get("d").cloned().unwrap_or(Value::Null)),
        Some(8) => super::member_requests::handle(app, conn, v.get("d").cloned().unwrap_or(Value::Null)),
        // Presence and voice updates are accepted and ignored.
        Some(3) | Some(4) => {}
        _ => {
            let _ = conn.tx.send(Outbound::Close(4001, "Unknown opcode.".into()));
        }
    }
}

fn close(conn: &Conn, code: u16, reason: &str) {
    let _ = conn.tx.send(Outbound::Close(code, reason.into()));
}

/// `Bot abc` and `abc` both identify the bot.
fn strip_token(t: &str) -> &str {
    t.strip_prefix("Bot ").unwrap_or(t)
}

fn identify(app: &App, conn: &mut Conn, d: Value) {
    if conn.session_id.is_some() {
        return close(conn, 4005, "Already authenticated.");
    }
    let token = d.get("token").and_then(Value::as_str).unwrap_or("");
    if strip_token(token) != app.config.bot_token || app.state.lock().hub.token_reset {
        return close(conn, 4004, "Authentication failed.");
    }
    let Some(intents) = d.get("intents").and_then(Value::as_u64) else {
        return close(conn, 4013, "Invalid intent(s).");
    };
    if intents & !hub::ALL_INTENTS != 0 {
        return close(conn, 4013, "Invalid intent(s).");
    }
    let (shard, total) = match d.get("shard").and_then(Value::as_array) {
        Some(a) => {
            (a.first().and_then(Value::as_u64).unwrap_or(u64::MAX), a.get(1).and_then(Value::as_u64).unwrap_or(0))
        }
        None => (0, 1),
    };
    if total == 0 || shard >= total || total > 4096 {
        return close(conn, 4010, "Invalid shard.");
    }
    let (shard, total) = (shard as u32, total as u32);
    let bot_id = app.bot_id();
    let mut st = app.state.lock();
    let st = &mut *st;
    let bucket = shard % app.config.max_concurrency.max(1);
    if st.hub.identify_last.get(&bucket).is_some_and(|t| t.elapsed() < IDENTIFY_WINDOW) {
        st.hub.identify_violations += 1;
        tracing::warn!(shard, "identify concurrency violated");
        let _ = conn.tx.send(Outbound::Text(json!({"op": 9, "d": false}).to_string()));
        return;
    }
    if st.hub.starts_used >= app.config.session_start_total {
        // Discord resets the token of a bot that spends its day's identifies:
        // every session ends and the old token is refused from now on.
        tracing::warn!(shard, "identify past session_start_limit: the token is reset");
        st.hub.token_reset = true;
        st.hub.identifies_over_budget += 1;
        st.hub.fault(None, hub::Fault::Close { code: 4004 });
        return close(conn, 4004, "Authentication failed.");
    }
    st.hub.identify_last.insert(bucket, Instant::now());
    st.hub.identifies += 1;
    st.hub.starts_used += 1;

    let session_id = random_hex();
    let world = &st.world;
    let guild_ids: Vec<u64> = world
        .guilds
        .values()
        .filter(|g| g.has_member(bot_id) && shard_of(g.id, total) == shard)
        .map(|g| g.id)
        .collect();
    let bot_user = world
        .users
        .get(&bot_id)
        .map(json::user)
        .unwrap_or_else(|| json!({"id": bot_id.to_string(), "username": "Ticketeer"}));
    let mut user = bot_user;
    user["mfa_enabled"] = json!(false);
    user["verified"] = json!(true);
    user["email"] = Value::Null;
    let ready = json!({
        "v": 10,
        "user": user,
        "user_settings": {},
        "guilds": guild_ids.iter().map(|g| json!({"id": g.to_string(), "unavailable": true})).collect::<Vec<_>>(),
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": format!("{}/resume", app.ws_url()),
        "shard": [shard, total],
        "application": {"id": app.config.application_id.to_string(), "flags": 0},
        "_trace": ["discord-standin"],
    });
    let mut session = Session {
        id: session_id.clone(),
        token: app.config.bot_token.clone(),
        shard,
        total,
        intents,
        seq: 0,
        buffer: VecDeque::new(),
        conn: Some((conn.id, conn.tx.clone())),
        identified_at: ids::timestamp_now(),
        disconnected_at: None,
    };
    session.push("READY", ready);
    if intents & hub::GUILDS != 0 {
        for gid in &guild_ids {
            if let Some(g) = world.guilds.get(gid) {
                let payload = json::guild_create(world, g, bot_id, intents & hub::GUILD_MEMBERS != 0);
                session.push("GUILD_CREATE", payload);
            }
        }
    }
    st.hub.sessions.insert(session_id.clone(), session);
    conn.session_id = Some(session_id);
}

fn resume(app: &App, conn: &mut Conn, d: Value) {
    let token = d.get("token").and_then(Value::as_str).unwrap_or("");
    if strip_token(token) != app.config.bot_token || app.state.lock().hub.token_reset {
        return close(conn, 4004, "Authentication failed.");
    }
    let sid = d.get("session_id").and_then(Value::as_str).unwrap_or("");
    let seq = d.get("seq").and_then(Value::as_u64).unwrap_or(0);
    let mut st = app.state.lock();
    let invalid = || Outbound::Text(json!({"op": 9, "d": false}).to_string());
    let Some(s) = st.hub.sessions.get_mut(sid) else {
        let _ = conn.tx.send(invalid());
        return;
    };
    // A resume from before the oldest buffered event cannot be replayed.
    let oldest = s.buffer.front().map_or(s.seq + 1, |(n, _)| *n);
    if seq.saturating_add(1) < oldest || seq > s.seq {
        st.hub.sessions.remove(sid);
        let _ = conn.tx.send(invalid());
        return;
    }
    // A newer connection takes the session over from an older one.
    if let Some((old, tx)) = s.conn.take() {
        if old != conn.id {
            let _ = tx.send(Outbound::Close(4009, "Session taken over.".into()));
        }
    }
    s.conn = Some((conn.id, conn.tx.clone()));
    s.disconnected_at = None;
    for (n, frame) in &s.buffer {
        if *n > seq {
            let _ = conn.tx.send(Outbound::Text(frame.clone()));
        }
    }
    s.push("RESUMED", json!({"_trace": ["discord-standin"]}));
    st.hub.resumes += 1;
    conn.session_id = Some(sid.to_string());
}

fn random_hex() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
