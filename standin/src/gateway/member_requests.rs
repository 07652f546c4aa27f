//! REQUEST_GUILD_MEMBERS (op 8): answered with GUILD_MEMBERS_CHUNK
//! dispatches of up to 1,000 members each.
//!
//! Like Discord since October 2025, a guild's *full* member list (an empty
//! `query`, no `limit`, no `user_ids`) may be requested once per
//! `Config::member_request_window` (30 s). A full request inside the window
//! gets no chunks but a `RATE_LIMITED` dispatch in Discord's shape:
//! `{"opcode": 8, "retry_after": seconds, "meta": {"guild_id", "nonce"}}`.
//! Searches by name prefix and by user ids are not limited.

use super::conn::Conn;
use crate::ids;
use crate::json;
use crate::state::App;
use serde_json::{json, Value};
use std::time::Instant;

pub fn handle(app: &App, conn: &mut Conn, d: Value) {
    let Some(sid) = conn.session_id.clone() else {
        let _ = conn.tx.send(super::hub::Outbound::Close(4003, "Not authenticated.".into()));
        return;
    };
    let gids: Vec<u64> = match d.get("guild_id") {
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().and_then(ids::parse)).collect(),
        Some(Value::String(s)) => ids::parse(s).into_iter().collect(),
        _ => vec![],
    };
    let query = d.get("query").and_then(Value::as_str).unwrap_or("").to_lowercase();
    let limit = d.get("limit").and_then(Value::as_u64).unwrap_or(0) as usize;
    let wanted: Option<Vec<u64>> = d.get("user_ids").map(|u| match u {
        Value::Array(a) => a.iter().filter_map(|v| v.as_str().and_then(ids::parse)).collect(),
        Value::String(s) => ids::parse(s).into_iter().collect(),
        _ => vec![],
    });
    let full = wanted.is_none() && query.is_empty() && limit == 0;
    let nonce = d.get("nonce").cloned();
    let window = app.config.member_request_window;
    let mut st = app.state.lock();
    let st = &mut *st;
    for gid in gids {
        let Some(g) = st.world.guilds.get(&gid) else {
            continue;
        };
        if full {
            let last = st.hub.full_member_requests_at.get(&gid).copied();
            if let Some(wait) = last.and_then(|at| window.checked_sub(at.elapsed())) {
                st.hub.member_requests_rate_limited += 1;
                tracing::info!(guild = gid, "full member request inside the window: RATE_LIMITED");
                let mut meta = json!({"guild_id": gid.to_string()});
                if let Some(n) = &nonce {
                    meta["nonce"] = n.clone();
                }
                if let Some(s) = st.hub.sessions.get_mut(&sid) {
                    s.push("RATE_LIMITED", json!({"opcode": 8, "retry_after": wait.as_secs_f64(), "meta": meta}));
                }
                continue;
            }
            st.hub.full_member_requests_at.insert(gid, Instant::now());
            *st.hub.full_member_requests.entry(gid).or_default() += 1;
        }
        let mut members: Vec<Value> = Vec::new();
        let mut not_found: Vec<Value> = Vec::new();
        if let Some(ids) = &wanted {
            for u in ids {
                match g.members.get(u) {
                    Some(m) => members.push(json::member(&st.world, m, true)),
                    None => not_found.push(json!(u.to_string())),
                }
            }
        } else {
            for m in g.members.values() {
                let name = st.world.users.get(&m.user_id).map(|u| u.username.to_lowercase()).unwrap_or_default();
                if name.starts_with(&query) {
                    members.push(json::member(&st.world, m, true));
                }
                if limit > 0 && members.len() >= limit {
                    break;
                }
            }
        }
        let chunks: Vec<Vec<Value>> =
            if members.is_empty() { vec![vec![]] } else { members.chunks(1000).map(<[Value]>::to_vec).collect() };
        let count = chunks.len();
        let Some(s) = st.hub.sessions.get_mut(&sid) else {
            return;
        };
        for (i, chunk) in chunks.into_iter().enumerate() {
            let mut d = json!({
                "guild_id": gid.to_string(),
                "members": chunk,
                "chunk_index": i,
                "chunk_count": count,
                "not_found": if i == 0 { not_found.clone() } else { vec![] },
            });
            if let Some(n) = &nonce {
                d["nonce"] = n.clone();
            }
            s.push("GUILD_MEMBERS_CHUNK", d);
        }
    }
}
