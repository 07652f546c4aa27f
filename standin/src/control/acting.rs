//! Control API: acting as a person — DMing the bot, posting in a guild
//! channel, editing and deleting one's own messages. Each change is
//! dispatched to the bot like a real user's would be.

use super::{attachments, body, need_id, sf, CtlError, CtlResult};
use crate::json;
use crate::ops::{self, messages::NewMessage};
use crate::perms;
use crate::state::{App, State as World};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

fn render(app: &App, st: &World, id: u64) -> Value {
    let m = &st.world.messages[&id];
    let mut v = json::message(&st.world, &app.base_url, m, true);
    if let Some(g) = m.guild_id {
        v["guild_id"] = json::id(g);
    }
    v
}

/// `POST /_standin/users/{u}/dm`: the user DMs the bot (shard 0).
pub async fn dm(State(app): State<App>, Path(u): Path<String>, b: Bytes) -> CtlResult {
    let uid = sf(&u, "user id")?;
    let b = body(&b)?;
    let files = attachments(&b)?;
    let mut st = app.state.lock();
    if !st.world.users.contains_key(&uid) {
        return Err(CtlError::not_found("unknown user"));
    }
    let cid = ops::channels::dm_channel(&app, &mut st, uid);
    let mut m = NewMessage::from_body(cid, uid, &b);
    m.files = files;
    let id = ops::messages::create(&app, &mut st, m)?;
    Ok(Json(render(&app, &st, id)))
}

/// `POST /_standin/channels/{c}/messages {author_id, content}`: a member
/// posts in a guild channel (they need VIEW_CHANNEL and SEND_MESSAGES).
pub async fn post(State(app): State<App>, Path(c): Path<String>, b: Bytes) -> CtlResult {
    let cid = sf(&c, "channel id")?;
    let b = body(&b)?;
    let author = need_id(&b, "author_id")?;
    let files = attachments(&b)?;
    ops::validate::message(&b)?;
    let mut st = app.state.lock();
    let ch = st.world.channels.get(&cid).cloned().ok_or_else(|| CtlError::not_found("unknown channel"))?;
    match ch.guild_id {
        Some(g) => {
            if !st.world.guilds.get(&g).is_some_and(|g| g.has_member(author)) {
                return Err(CtlError(
                    axum::http::StatusCode::FORBIDDEN,
                    json!({"error": "the author is not a member of this guild"}),
                ));
            }
            let have = perms::in_channel(&st.world, &ch, author);
            if have & (perms::VIEW_CHANNEL | perms::SEND_MESSAGES) != perms::VIEW_CHANNEL | perms::SEND_MESSAGES {
                return Err(CtlError(
                    axum::http::StatusCode::FORBIDDEN,
                    json!({"error": "the author cannot send messages in this channel", "code": 50013}),
                ));
            }
        }
        None => {
            if ch.recipient != Some(author) {
                return Err(CtlError::bad("only the DM's recipient can post in it"));
            }
        }
    }
    let mut m = NewMessage::from_body(cid, author, &b);
    m.files = files;
    let id = ops::messages::create(&app, &mut st, m)?;
    Ok(Json(render(&app, &st, id)))
}

fn own_message(st: &World, cid: u64, mid: u64) -> CtlResult<()> {
    match st.world.messages.get(&mid) {
        Some(m) if m.channel_id == cid && !m.deleted => Ok(()),
        _ => Err(CtlError::not_found("unknown message")),
    }
}

/// The author edits their message: MESSAGE_UPDATE.
pub async fn edit(State(app): State<App>, Path((c, m)): Path<(String, String)>, b: Bytes) -> CtlResult {
    let cid = sf(&c, "channel id")?;
    let mid = sf(&m, "message id")?;
    let b = body(&b)?;
    ops::validate::message(&b)?;
    let mut st = app.state.lock();
    own_message(&st, cid, mid)?;
    ops::messages::edit(&app, &mut st, mid, &b)?;
    Ok(Json(render(&app, &st, mid)))
}

/// The author deletes their message: MESSAGE_DELETE.
pub async fn delete_message(State(app): State<App>, Path((c, m)): Path<(String, String)>) -> CtlResult {
    let cid = sf(&c, "channel id")?;
    let mid = sf(&m, "message id")?;
    let mut st = app.state.lock();
    own_message(&st, cid, mid)?;
    ops::messages::delete(&app, &mut st, mid)?;
    Ok(Json(json!({"ok": true})))
}
