//! Creating, editing, deleting and pinning messages, with the gateway
//! events each one causes. Callers check permissions first.

use crate::error::{ApiError, ApiResult};
use crate::gateway::hub::{self, Target};
use crate::ids;
use crate::json;
use crate::perms;
use crate::state::{App, Attachment, Message, State, StoredFile};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// How long a nonce stays enforced.
const NONCE_WINDOW: Duration = Duration::from_secs(300);

/// A file to attach to a new message.
#[derive(Clone, Debug)]
pub struct NewFile {
    pub filename: String,
    pub description: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// Everything needed to create a message.
#[derive(Clone, Debug, Default)]
pub struct NewMessage {
    pub channel_id: u64,
    pub author_id: u64,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub files: Vec<NewFile>,
    pub nonce: Option<Value>,
    pub enforce_nonce: bool,
    pub allowed_mentions: Option<Value>,
    pub message_reference: Option<Value>,
    pub flags: u64,
    pub tts: bool,
    pub kind: u8,
    pub webhook_id: Option<u64>,
    pub interaction_id: Option<u64>,
    pub ephemeral: bool,
}

impl NewMessage {
    /// Reads the JSON fields of a create-message body.
    pub fn from_body(channel_id: u64, author_id: u64, body: &Value) -> Self {
        Self {
            channel_id,
            author_id,
            content: body.get("content").and_then(Value::as_str).unwrap_or("").to_string(),
            embeds: crate::ops::validate::normalize_embeds(
                body.get("embeds").and_then(Value::as_array).map_or(&[][..], |v| v.as_slice()),
            ),
            components: body.get("components").and_then(Value::as_array).cloned().unwrap_or_default(),
            nonce: body.get("nonce").filter(|n| !n.is_null()).cloned(),
            enforce_nonce: body.get("enforce_nonce").and_then(Value::as_bool).unwrap_or(false),
            allowed_mentions: body.get("allowed_mentions").filter(|n| !n.is_null()).cloned(),
            message_reference: body.get("message_reference").filter(|n| !n.is_null()).cloned(),
            flags: body.get("flags").and_then(Value::as_u64).unwrap_or(0),
            tts: body.get("tts").and_then(Value::as_bool).unwrap_or(false),
            ..Default::default()
        }
    }

    fn is_empty(&self) -> bool {
        self.content.trim().is_empty() && self.embeds.is_empty() && self.files.is_empty() && self.components.is_empty()
    }
}

/// Creates a message (or returns the existing one for an enforced nonce)
/// and dispatches MESSAGE_CREATE unless it is ephemeral.
pub fn create(app: &App, st: &mut State, m: NewMessage) -> ApiResult<u64> {
    if m.is_empty() {
        return Err(ApiError::empty_message());
    }
    let world = &mut st.world;
    let Some(channel) = world.channels.get(&m.channel_id) else {
        return Err(ApiError::unknown_channel());
    };
    let guild_id = channel.guild_id;
    let nonce_key = match (&m.nonce, m.enforce_nonce) {
        (Some(n), true) => Some((m.channel_id, n.to_string())),
        _ => None,
    };
    if let Some(key) = &nonce_key {
        world.nonces.retain(|_, (_, at)| at.elapsed() < NONCE_WINDOW);
        if let Some((existing, _)) = world.nonces.get(key) {
            return Ok(*existing);
        }
    }
    let id = app.ids.next();
    let (mentions, mention_roles, mention_everyone) = mentions(world, &m, guild_id);
    let mut attachments = Vec::new();
    for f in m.files {
        let aid = app.ids.next();
        attachments.push(Attachment {
            id: aid,
            filename: f.filename.clone(),
            content_type: f.content_type.clone(),
            size: f.bytes.len() as u64,
            description: f.description,
        });
        world.files.insert(
            aid,
            StoredFile { channel_id: m.channel_id, filename: f.filename, content_type: f.content_type, bytes: f.bytes },
        );
    }
    let msg = Message {
        id,
        channel_id: m.channel_id,
        guild_id,
        author_id: m.author_id,
        kind: m.kind,
        content: m.content,
        embeds: m.embeds,
        components: m.components,
        attachments,
        timestamp: ids::timestamp_now(),
        edited_timestamp: None,
        pinned: false,
        pinned_at: None,
        tts: m.tts,
        flags: m.flags,
        mentions,
        mention_roles,
        mention_everyone,
        nonce: m.nonce,
        message_reference: m.message_reference,
        webhook_id: m.webhook_id,
        interaction_id: m.interaction_id,
        ephemeral: m.ephemeral,
        deleted: false,
        history: Vec::new(),
        reactions: Vec::new(),
    };
    world.messages.insert(id, msg);
    if let Some(key) = nonce_key {
        world.nonces.insert(key, (id, Instant::now()));
    }
    if m.ephemeral {
        return Ok(id);
    }
    world.channel_messages.entry(m.channel_id).or_default().push(id);
    if let Some(c) = world.channels.get_mut(&m.channel_id) {
        c.last_message_id = Some(id);
    }
    dispatch(app, st, "MESSAGE_CREATE", id);
    Ok(id)
}

/// Computes `mentions`, `mention_roles`, `mention_everyone` from the
/// content, honouring `allowed_mentions` and MENTION_EVERYONE.
fn mentions(world: &crate::state::World, m: &NewMessage, guild_id: Option<u64>) -> (Vec<u64>, Vec<u64>, bool) {
    let (users, roles) = parse_mentions(&m.content);
    let am = m.allowed_mentions.as_ref();
    let parse: Vec<&str> = am
        .and_then(|a| a.get("parse"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let listed = |key: &str| -> Vec<u64> {
        am.and_then(|a| a.get(key))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().and_then(ids::parse)).collect())
            .unwrap_or_default()
    };
    let (user_ok, role_ok): (Vec<u64>, Vec<u64>) = (listed("users"), listed("roles"));
    let allow_user = |u: &u64| am.is_none() || parse.contains(&"users") || user_ok.contains(u);
    let allow_role = |r: &u64| am.is_none() || parse.contains(&"roles") || role_ok.contains(r);
    let mut out_users: Vec<u64> = users.into_iter().filter(|u| allow_user(u) && world.users.contains_key(u)).collect();
    let out_roles: Vec<u64> = roles
        .into_iter()
        .filter(|r| allow_role(r) && world.roles.get(r).is_some_and(|role| Some(role.guild_id) == guild_id))
        .collect();
    // Replies mention the replied-to author unless replied_user is false.
    let replied_ok = am.is_none_or(|a| a.get("replied_user").and_then(Value::as_bool).unwrap_or(false));
    if replied_ok {
        if let Some(rid) = m.message_reference.as_ref().and_then(|r| crate::ops::id_field(r, "message_id")) {
            if let Some(orig) = world.messages.get(&rid) {
                if !out_users.contains(&orig.author_id) {
                    out_users.push(orig.author_id);
                }
            }
        }
    }
    out_users.dedup();
    let wants_everyone = m.content.contains("@everyone") || m.content.contains("@here");
    let may_everyone = match (guild_id, world.channels.get(&m.channel_id)) {
        (Some(_), Some(c)) => perms::in_channel(world, c, m.author_id) & perms::MENTION_EVERYONE != 0,
        _ => false,
    };
    let everyone = wants_everyone && may_everyone && (am.is_none() || parse.contains(&"everyone"));
    (out_users, out_roles, everyone)
}

/// `<@id>`, `<@!id>` users and `<@&id>` roles in message text.
pub fn parse_mentions(content: &str) -> (Vec<u64>, Vec<u64>) {
    let (mut users, mut roles) = (Vec::new(), Vec::new());
    let mut rest = content;
    while let Some(start) = rest.find("<@") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find('>') else { break };
        let inner = &rest[..end];
        if let Some(r) = inner.strip_prefix('&') {
            if let Some(id) = ids::parse(r) {
                roles.push(id);
            }
        } else if let Some(id) = ids::parse(inner.trim_start_matches('!')) {
            if !users.contains(&id) {
                users.push(id);
            }
        }
        rest = &rest[end..];
    }
    (users, roles)
}

/// Dispatches MESSAGE_CREATE/UPDATE for a stored message. Guild messages
/// carry `guild_id` and a partial `member`; without MESSAGE_CONTENT the
/// body is blanked unless the bot wrote it or is mentioned; DMs go to
/// shard 0 and always carry content.
pub fn dispatch(app: &App, st: &mut State, event: &str, id: u64) {
    let bot = app.bot_id();
    let State { world, hub } = st;
    let Some(m) = world.messages.get(&id) else {
        return;
    };
    if m.ephemeral {
        return;
    }
    let base = &app.base_url;
    match m.guild_id {
        Some(g) => {
            if !world.bot_in(g, bot) {
                return;
            }
            let mentions_bot = m.author_id == bot || m.mentions.contains(&bot);
            let member = world.guilds.get(&g).and_then(|gd| gd.members.get(&m.author_id));
            let build = |intents: u64| {
                let full = mentions_bot || intents & hub::MESSAGE_CONTENT != 0;
                let mut v = json::message(world, base, m, full);
                v["guild_id"] = json::id(g);
                if let Some(mem) = member {
                    v["member"] = json::member(world, mem, false);
                }
                v
            };
            hub.dispatch(Target::Guild(g), event, Some(hub::GUILD_MESSAGES), build);
        }
        None => {
            let v = json::message(world, base, m, true);
            hub.dispatch(Target::Dm, event, Some(hub::DIRECT_MESSAGES), |_| v.clone());
        }
    }
}

/// Applies an edit (content, embeds, components, flags, attachments to
/// keep) and dispatches MESSAGE_UPDATE.
pub fn edit(app: &App, st: &mut State, id: u64, body: &Value) -> ApiResult<()> {
    let Some(m) = st.world.messages.get_mut(&id) else {
        return Err(ApiError::unknown_message());
    };
    if m.deleted {
        return Err(ApiError::unknown_message());
    }
    m.history.push(json!({
        "content": m.content,
        "embeds": m.embeds,
        "replaced_at": ids::timestamp_now(),
    }));
    if let Some(c) = body.get("content") {
        m.content = c.as_str().unwrap_or("").to_string();
    }
    if let Some(e) = body.get("embeds") {
        m.embeds = crate::ops::validate::normalize_embeds(e.as_array().map_or(&[][..], |v| v.as_slice()));
    }
    if let Some(c) = body.get("components") {
        m.components = c.as_array().cloned().unwrap_or_default();
    }
    if let Some(f) = body.get("flags").and_then(Value::as_u64) {
        // Only SUPPRESS_EMBEDS (4) may be toggled by an edit.
        m.flags = (m.flags & !4) | (f & 4);
    }
    if let Some(keep) = body.get("attachments").and_then(Value::as_array) {
        let keep: Vec<u64> = keep.iter().filter_map(|a| crate::ops::id_field(a, "id")).collect();
        m.attachments.retain(|a| keep.contains(&a.id));
    }
    // A deferred "thinking" response stops loading once edited.
    m.flags &= !128;
    m.edited_timestamp = Some(ids::timestamp_now());
    dispatch(app, st, "MESSAGE_UPDATE", id);
    Ok(())
}

/// Flags a message deleted and dispatches MESSAGE_DELETE.
pub fn delete(app: &App, st: &mut State, id: u64) -> ApiResult<()> {
    let Some(m) = st.world.messages.get_mut(&id) else {
        return Err(ApiError::unknown_message());
    };
    if m.deleted {
        return Err(ApiError::unknown_message());
    }
    m.deleted = true;
    m.pinned = false;
    if m.ephemeral {
        return Ok(());
    }
    let (channel_id, guild_id) = (m.channel_id, m.guild_id);
    let mut d = json!({"id": json::id(id), "channel_id": json::id(channel_id)});
    match guild_id {
        Some(g) => {
            d["guild_id"] = json::id(g);
            crate::ops::guild_event(app, st, g, "MESSAGE_DELETE", hub::GUILD_MESSAGES, d);
        }
        None => st.hub.dispatch(Target::Dm, "MESSAGE_DELETE", Some(hub::DIRECT_MESSAGES), |_| d.clone()),
    }
    Ok(())
}

/// Pins or unpins; dispatches CHANNEL_PINS_UPDATE and MESSAGE_UPDATE.
pub fn set_pinned(app: &App, st: &mut State, channel_id: u64, id: u64, pinned: bool) -> ApiResult<()> {
    let Some(m) = st.world.messages.get_mut(&id).filter(|m| m.channel_id == channel_id && !m.deleted) else {
        return Err(ApiError::unknown_message());
    };
    if m.pinned == pinned {
        return Ok(());
    }
    if pinned {
        let count = st
            .world
            .channel_messages
            .get(&channel_id)
            .map_or(0, |ids| ids.iter().filter(|i| st.world.messages.get(i).is_some_and(|m| m.pinned)).count());
        if count >= 250 {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                30003,
                "Maximum number of pins reached (250)",
            ));
        }
    }
    let Some(m) = st.world.messages.get_mut(&id) else {
        return Err(ApiError::unknown_message());
    };
    let now = ids::timestamp_now();
    m.pinned = pinned;
    m.pinned_at = pinned.then(|| now.clone());
    let guild_id = m.guild_id;
    if let Some(c) = st.world.channels.get_mut(&channel_id) {
        c.last_pin_timestamp = Some(now.clone());
    }
    let mut d = json!({"channel_id": json::id(channel_id), "last_pin_timestamp": now});
    match guild_id {
        Some(g) => {
            d["guild_id"] = json::id(g);
            crate::ops::guild_event(app, st, g, "CHANNEL_PINS_UPDATE", hub::GUILDS, d);
        }
        None => st.hub.dispatch(Target::Dm, "CHANNEL_PINS_UPDATE", Some(hub::DIRECT_MESSAGES), |_| d.clone()),
    }
    dispatch(app, st, "MESSAGE_UPDATE", id);
    Ok(())
}

/// The channel's live (not deleted, not ephemeral) message ids, oldest first.
pub fn live_ids(st: &State, channel_id: u64) -> Vec<u64> {
    st.world
        .channel_messages
        .get(&channel_id)
        .map(|v| v.iter().copied().filter(|i| st.world.messages.get(i).is_some_and(|m| !m.deleted)).collect())
        .unwrap_or_default()
}
