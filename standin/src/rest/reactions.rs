//! Pins and the bot's own reactions on messages.

use super::{access, messages::render, no_content, sf};
use crate::error::{ApiError, ApiResult};
use crate::gateway::hub::{self, Target};
use crate::json;
use crate::ops;
use crate::perms;
use crate::state::{App, Reaction};
use axum::extract::{MatchedPath, Path, State};
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};

/// Old route (`/pins`): an array of messages; new route
/// (`/messages/pins`): `{items: [{pinned_at, message}], has_more}`.
pub async fn pins(State(app): State<App>, matched: MatchedPath, Path(c): Path<String>) -> ApiResult<Json<Value>> {
    let cid = sf(&c, ApiError::unknown_channel)?;
    let st = app.state.lock();
    let ch = access::channel(&app, &st, cid)?;
    access::require(&app, &st, &ch, perms::READ_MESSAGE_HISTORY)?;
    let mut pinned: Vec<u64> =
        ops::messages::live_ids(&st, cid).into_iter().filter(|i| st.world.messages[i].pinned).collect();
    // Most recently pinned first.
    pinned.sort_by(|a, b| st.world.messages[b].pinned_at.cmp(&st.world.messages[a].pinned_at));
    if matched.as_str().ends_with("/messages/pins") {
        let items: Vec<Value> = pinned
            .iter()
            .map(|i| json!({"pinned_at": st.world.messages[i].pinned_at, "message": render(&app, &st, *i)}))
            .collect();
        return Ok(Json(json!({"items": items, "has_more": false})));
    }
    Ok(Json(Value::Array(pinned.iter().map(|i| render(&app, &st, *i)).collect())))
}

async fn set_pin(app: App, c: String, m: String, pinned: bool) -> ApiResult<Response> {
    let cid = sf(&c, ApiError::unknown_channel)?;
    let mid = sf(&m, ApiError::unknown_message)?;
    let mut st = app.state.lock();
    let ch = access::channel(&app, &st, cid)?;
    if ch.guild_id.is_some() {
        access::require(&app, &st, &ch, perms::MANAGE_MESSAGES)?;
    }
    ops::messages::set_pinned(&app, &mut st, cid, mid, pinned)?;
    Ok(no_content())
}

pub async fn pin(State(app): State<App>, Path((c, m)): Path<(String, String)>) -> ApiResult<Response> {
    set_pin(app, c, m, true).await
}

pub async fn unpin(State(app): State<App>, Path((c, m)): Path<(String, String)>) -> ApiResult<Response> {
    set_pin(app, c, m, false).await
}

async fn set_reaction(app: App, c: String, m: String, emoji: String, add: bool) -> ApiResult<Response> {
    let cid = sf(&c, ApiError::unknown_channel)?;
    let mid = sf(&m, ApiError::unknown_message)?;
    let bot = app.bot_id();
    let mut st = app.state.lock();
    let ch = access::channel(&app, &st, cid)?;
    let have = access::require(&app, &st, &ch, perms::READ_MESSAGE_HISTORY)?;
    let Some(msg) = st.world.messages.get_mut(&mid).filter(|m| m.channel_id == cid && !m.deleted) else {
        return Err(ApiError::unknown_message());
    };
    let existing = msg.reactions.iter().position(|r| r.emoji == emoji);
    if add {
        match existing {
            Some(i) if !msg.reactions[i].users.contains(&bot) => msg.reactions[i].users.push(bot),
            Some(_) => return Ok(no_content()),
            None => {
                if ch.guild_id.is_some() && have & perms::ADD_REACTIONS == 0 {
                    return Err(ApiError::missing_permissions());
                }
                msg.reactions.push(Reaction { emoji: emoji.clone(), users: vec![bot] });
            }
        }
    } else {
        match existing {
            Some(i) if msg.reactions[i].users.contains(&bot) => msg.reactions[i].users.retain(|u| *u != bot),
            _ => return Ok(no_content()),
        }
    }
    let author = msg.author_id;
    let mut d = json!({
        "user_id": json::id(bot),
        "channel_id": json::id(cid),
        "message_id": json::id(mid),
        "emoji": json::emoji_json(&emoji),
        "burst": false,
        "type": 0,
    });
    let event = if add { "MESSAGE_REACTION_ADD" } else { "MESSAGE_REACTION_REMOVE" };
    match ch.guild_id {
        Some(g) => {
            d["guild_id"] = json::id(g);
            if add {
                d["message_author_id"] = json::id(author);
                d["burst_colors"] = json!([]);
                if let Some(mem) = st.world.guilds[&g].members.get(&bot) {
                    d["member"] = json::member(&st.world, mem, true);
                }
            }
            ops::guild_event(&app, &mut st, g, event, hub::GUILD_MESSAGE_REACTIONS, d);
        }
        None => st.hub.dispatch(Target::Dm, event, Some(hub::DIRECT_MESSAGE_REACTIONS), |_| d.clone()),
    }
    Ok(no_content())
}

pub async fn react(State(app): State<App>, Path((c, m, e)): Path<(String, String, String)>) -> ApiResult<Response> {
    set_reaction(app, c, m, e, true).await
}

pub async fn unreact(State(app): State<App>, Path((c, m, e)): Path<(String, String, String)>) -> ApiResult<Response> {
    set_reaction(app, c, m, e, false).await
}
