//! Interactions: building INTERACTION_CREATE payloads for commands,
//! components and modal submits (as the control API's "people" trigger
//! them), and applying the bot's callbacks and webhook follow-ups.

use crate::error::{ApiError, ApiResult};
use crate::gateway::hub::Target;
use crate::ids;
use crate::json;
use crate::ops::messages::{self, NewFile, NewMessage};
use crate::ops::validate;
use crate::perms;
use crate::state::{App, Interaction, OpenModal, State, StoredFile};
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

/// Interaction tokens stay valid for follow-ups this long.
const TOKEN_TTL: Duration = Duration::from_secs(15 * 60);

/// A request from the control API to fire an interaction.
pub struct Fire {
    pub kind: u8,
    pub user_id: u64,
    pub channel_id: u64,
    pub message_id: Option<u64>,
    pub data: Value,
}

/// Creates an interaction and dispatches INTERACTION_CREATE (guild
/// interactions to the guild's shard, DM ones to shard 0). Returns (id, token).
pub fn fire(app: &App, st: &mut State, f: Fire) -> Result<(u64, String), String> {
    let bot = app.bot_id();
    let world = &st.world;
    let channel = world.channels.get(&f.channel_id).ok_or("unknown channel")?;
    let user = world.users.get(&f.user_id).ok_or("unknown user")?;
    let guild_id = channel.guild_id;
    if let Some(g) = guild_id {
        let guild = world.guilds.get(&g).ok_or("unknown guild")?;
        if !guild.has_member(f.user_id) {
            return Err("the user is not a member of the channel's guild".into());
        }
        if !guild.has_member(bot) {
            return Err("the bot is not in the channel's guild".into());
        }
    }
    let id = app.ids.next();
    let token = format!("aW50ZXJhY3Rpb246{id}:{}", random_token());
    let mut d = json!({
        "id": json::id(id),
        "application_id": json::id(app.config.application_id),
        "type": f.kind,
        "data": f.data,
        "channel_id": json::id(f.channel_id),
        "channel": json::channel(world, channel),
        "token": token,
        "version": 1,
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": 26_214_400u64,
        "context": if guild_id.is_some() { 0 } else { 1 },
    });
    match guild_id {
        Some(g) => {
            let member = &world.guilds[&g].members[&f.user_id];
            let mut m = json::member(world, member, true);
            m["permissions"] = json!(perms::in_channel(world, channel, f.user_id).to_string());
            d["member"] = m;
            d["guild_id"] = json::id(g);
            d["guild_locale"] = json!("en-US");
            d["guild"] = json!({"id": json::id(g), "locale": "en-US", "features": []});
            d["app_permissions"] = json!(perms::in_channel(world, channel, bot).to_string());
            d["authorizing_integration_owners"] = json!({"0": json::id(g)});
        }
        None => {
            d["user"] = json::user(user);
            d["app_permissions"] = json!(perms::in_channel(world, channel, bot).to_string());
            d["authorizing_integration_owners"] = json!({"1": json::id(f.user_id)});
        }
    }
    if let Some(mid) = f.message_id {
        let m = world.messages.get(&mid).filter(|m| m.channel_id == f.channel_id && !m.deleted);
        let m = m.ok_or("unknown message in that channel")?;
        let mut mv = json::message(world, &app.base_url, m, true);
        if let Some(g) = guild_id {
            mv["guild_id"] = json::id(g);
        }
        d["message"] = mv;
    }
    st.world.interactions.insert(
        id,
        Interaction {
            id,
            token: token.clone(),
            kind: f.kind,
            user_id: f.user_id,
            guild_id,
            channel_id: f.channel_id,
            message_id: f.message_id,
            acknowledged: false,
            callbacks: vec![],
            followups: vec![],
            original_id: None,
            deferred_update: false,
            created: Instant::now(),
        },
    );
    st.world.interaction_tokens.insert(token.clone(), id);
    let target = guild_id.map_or(Target::Dm, Target::Guild);
    st.hub.dispatch(target, "INTERACTION_CREATE", None, |_| d.clone());
    Ok((id, token))
}

fn random_token() -> String {
    let bytes: [u8; 24] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Builds slash-command data from the registered command: its id, the
/// options (types filled in from the registration when omitted) and
/// `resolved` for user, role, channel and mentionable options.
/// Stores files given to a slash command as Discord's ephemeral attachments
/// (served under `/attachments/…` like any other) and returns each one's
/// JSON as `resolved.attachments` shows it.
pub fn upload_command_files(app: &App, st: &mut State, channel_id: u64, files: Vec<NewFile>) -> Vec<Value> {
    files
        .into_iter()
        .map(|f| {
            let id = app.ids.next();
            let url = format!("{}/attachments/{channel_id}/{id}/{}", app.base_url, f.filename);
            let v = json!({
                "id": json::id(id),
                "filename": f.filename,
                "content_type": f.content_type,
                "size": f.bytes.len(),
                "url": url,
                "proxy_url": url,
                "ephemeral": true,
            });
            st.world.files.insert(
                id,
                StoredFile { channel_id, filename: f.filename, content_type: f.content_type, bytes: f.bytes },
            );
            v
        })
        .collect()
}

pub fn command_data(
    st: &State,
    name: &str,
    guild_id: Option<u64>,
    options: &[Value],
    uploads: &[Value],
) -> Result<Value, String> {
    let world = &st.world;
    let cmd = world
        .commands
        .values()
        .find(|c| c.name == name && c.guild_id.is_some() && c.guild_id == guild_id)
        .or_else(|| world.commands.values().find(|c| c.name == name && c.guild_id.is_none()))
        .ok_or_else(|| format!("the bot has not registered a command named {name:?}"))?;
    let defs = cmd.data.get("options").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut options = fill_options(options, &defs);
    let mut resolved = Map::new();
    attach(&mut options, uploads, &mut resolved)?;
    resolve(st, guild_id, &options, &mut resolved);
    let mut d = json!({
        "id": json::id(cmd.id),
        "name": cmd.name,
        "type": cmd.kind,
        "options": options,
    });
    if let Some(g) = cmd.guild_id {
        d["guild_id"] = json::id(g);
    }
    if !resolved.is_empty() {
        d["resolved"] = Value::Object(resolved);
    }
    Ok(d)
}

/// Fills in option `type`s from the command's definitions and turns id
/// values into strings, recursing into subcommands.
fn fill_options(given: &[Value], defs: &[Value]) -> Vec<Value> {
    given
        .iter()
        .map(|o| {
            let name = o.get("name").and_then(Value::as_str).unwrap_or("");
            let def = defs.iter().find(|d| d.get("name").and_then(Value::as_str) == Some(name));
            let kind = o
                .get("type")
                .and_then(Value::as_u64)
                .or_else(|| def.and_then(|d| d.get("type")).and_then(Value::as_u64))
                .unwrap_or(3);
            let mut out = json!({"name": name, "type": kind});
            if matches!(kind, 1 | 2) {
                let sub_defs =
                    def.and_then(|d| d.get("options")).and_then(Value::as_array).cloned().unwrap_or_default();
                let sub = o.get("options").and_then(Value::as_array).cloned().unwrap_or_default();
                out["options"] = json!(fill_options(&sub, &sub_defs));
            } else if let Some(v) = o.get("value") {
                out["value"] = match (kind, v) {
                    (6..=9, Value::Number(n)) => json!(n.to_string()),
                    _ => v.clone(),
                };
                if let Some(f) = o.get("focused") {
                    out["focused"] = f.clone();
                }
            }
            out
        })
        .collect()
}

/// Attachment options name an uploaded file by index; Discord sends the
/// attachment's id as the value and the attachment in `resolved`.
fn attach(options: &mut [Value], uploads: &[Value], out: &mut Map<String, Value>) -> Result<(), String> {
    for o in options.iter_mut() {
        if let Some(sub) = o.get_mut("options").and_then(Value::as_array_mut) {
            attach(sub, uploads, out)?;
        }
        if o.get("type").and_then(Value::as_u64) != Some(11) {
            continue;
        }
        let index = o
            .get("value")
            .and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
            .ok_or("an attachment option's value is the index of a file in \"attachments\"")?;
        let upload = uploads
            .get(usize::try_from(index).unwrap_or(usize::MAX))
            .ok_or_else(|| format!("no file at index {index} in \"attachments\""))?;
        let id = upload["id"].clone();
        let bucket = out.entry("attachments").or_insert_with(|| json!({}));
        bucket[id.as_str().unwrap_or_default()] = upload.clone();
        o["value"] = id;
    }
    Ok(())
}

fn resolve(st: &State, guild_id: Option<u64>, options: &[Value], out: &mut Map<String, Value>) {
    let world = &st.world;
    for o in options {
        let kind = o.get("type").and_then(Value::as_u64).unwrap_or(0);
        if let Some(sub) = o.get("options").and_then(Value::as_array) {
            resolve(st, guild_id, sub, out);
        }
        let Some(id) = o.get("value").and_then(Value::as_str).and_then(ids::parse) else {
            continue;
        };
        let mut put = |bucket: &str, key: u64, v: Value| {
            let m = out.entry(bucket).or_insert_with(|| json!({}));
            m[key.to_string()] = v;
        };
        if matches!(kind, 6 | 9) {
            if let Some(u) = world.users.get(&id) {
                put("users", id, json::user(u));
                if let Some(m) = guild_id.and_then(|g| world.guilds.get(&g)).and_then(|g| g.members.get(&id)) {
                    let mut mv = json::member(world, m, false);
                    let perms = guild_id.map_or(0, |g| perms::base(world, g, id));
                    mv["permissions"] = json!(perms.to_string());
                    put("members", id, mv);
                }
            }
        }
        if matches!(kind, 8 | 9) {
            if let Some(r) = world.roles.get(&id) {
                put("roles", id, json::role(r));
            }
        }
        if kind == 7 {
            if let Some(c) = world.channels.get(&id) {
                let mut cv = json!({
                    "id": json::id(id),
                    "type": c.kind,
                    "name": c.name.clone().unwrap_or_default(),
                    "permissions": perms::in_channel(world, c, st.world.bot_id).to_string(),
                });
                if let Some(p) = c.parent_id {
                    cv["parent_id"] = json::id(p);
                }
                put("channels", id, cv);
            }
        }
    }
}

/// Whether a message's components contain `custom_id` anywhere.
pub fn has_custom_id(components: &[Value], custom_id: &str) -> bool {
    fn walk(v: &Value, id: &str) -> bool {
        match v {
            Value::Object(m) => {
                m.get("custom_id").and_then(Value::as_str) == Some(id) || m.values().any(|x| walk(x, id))
            }
            Value::Array(a) => a.iter().any(|x| walk(x, id)),
            _ => false,
        }
    }
    components.iter().any(|c| walk(c, custom_id))
}

/// Builds modal-submit `components` mirroring the modal the bot showed,
/// with the values a person typed (missing fields submit empty).
pub fn modal_components(modal: &Value, values: &Map<String, Value>) -> Vec<Value> {
    let mut next_id = 0;
    let comps = modal.get("components").and_then(Value::as_array).cloned().unwrap_or_default();
    comps.iter().map(|c| submit_component(c, values, &mut next_id)).collect()
}

fn submit_component(c: &Value, values: &Map<String, Value>, next_id: &mut i64) -> Value {
    *next_id += 1;
    let id = c.get("id").and_then(Value::as_i64).unwrap_or(*next_id);
    let kind = c.get("type").and_then(Value::as_u64).unwrap_or(0);
    match kind {
        1 => {
            let inner = c.get("components").and_then(Value::as_array).cloned().unwrap_or_default();
            json!({"type": 1, "id": id, "components": inner.iter().map(|i| submit_component(i, values, next_id)).collect::<Vec<_>>()})
        }
        18 => {
            let inner = c.get("component").cloned().unwrap_or(Value::Null);
            json!({"type": 18, "id": id, "component": submit_component(&inner, values, next_id)})
        }
        4 => {
            let cid = c.get("custom_id").and_then(Value::as_str).unwrap_or("");
            let value = match values.get(cid) {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            json!({"type": 4, "id": id, "custom_id": cid, "value": value})
        }
        3 | 5..=8 => {
            let cid = c.get("custom_id").and_then(Value::as_str).unwrap_or("");
            let vals = match values.get(cid) {
                Some(Value::Array(a)) => a.clone(),
                Some(Value::String(s)) => vec![json!(s)],
                _ => vec![],
            };
            json!({"type": kind, "id": id, "custom_id": cid, "values": vals})
        }
        _ => json!({"type": kind, "id": id}),
    }
}

/// Looks an interaction up by token, checking it has not expired.
pub fn by_token(st: &State, token: &str) -> ApiResult<u64> {
    let id = *st.world.interaction_tokens.get(token).ok_or_else(ApiError::unknown_webhook)?;
    let i = st.world.interactions.get(&id).ok_or_else(ApiError::unknown_webhook)?;
    if i.created.elapsed() > TOKEN_TTL {
        return Err(ApiError::new(axum::http::StatusCode::UNAUTHORIZED, 50027, "Invalid Webhook Token"));
    }
    Ok(id)
}

/// Applies `POST /interactions/{id}/{token}/callback`.
pub fn callback(app: &App, st: &mut State, id: u64, token: &str, body: &Value) -> ApiResult<()> {
    let Some(i) = st.world.interactions.get(&id) else {
        return Err(ApiError::unknown_interaction());
    };
    if i.token != token || i.created.elapsed() > TOKEN_TTL {
        return Err(ApiError::unknown_interaction());
    }
    if i.acknowledged {
        return Err(ApiError::already_acknowledged());
    }
    let (kind, user_id, channel_id, message_id, itype) =
        (body.get("type").and_then(Value::as_u64).unwrap_or(0), i.user_id, i.channel_id, i.message_id, i.kind);
    let data = body.get("data").cloned().unwrap_or_else(|| json!({}));
    let mut original = None;
    let mut deferred_update = false;
    match kind {
        1 | 8 => {}
        4 | 5 => {
            if kind == 4 {
                validate::message(&data)?;
            }
            let mut m = NewMessage::from_body(channel_id, app.bot_id(), &data);
            m.ephemeral = m.flags & 64 != 0;
            m.interaction_id = Some(id);
            m.webhook_id = Some(app.config.application_id);
            m.kind = if itype == 2 { 20 } else { 0 };
            if kind == 5 {
                // A deferred response shows a "thinking" placeholder.
                m.flags |= 128;
                m.content = String::new();
                m.embeds.clear();
                m.components.clear();
                original = Some(create_loading(app, st, m)?);
            } else {
                original = Some(messages::create(app, st, m)?);
            }
        }
        6 | 7 => {
            let Some(mid) = message_id else {
                return Err(ApiError::form(
                    "type",
                    "INTERACTION_RESPONSE_TYPE_INVALID",
                    "Interaction has no message to update",
                ));
            };
            if kind == 7 {
                validate::message(&data)?;
                messages::edit(app, st, mid, &data)?;
            }
            original = Some(mid);
            deferred_update = true;
        }
        9 => {
            let custom_id = data.get("custom_id").and_then(Value::as_str).unwrap_or("").to_string();
            let title = data.get("title").and_then(Value::as_str).unwrap_or("");
            let n = data.get("components").and_then(Value::as_array).map_or(0, Vec::len);
            if custom_id.is_empty() || title.is_empty() || !(1..=5).contains(&n) {
                return Err(ApiError::form(
                    "data",
                    "BASE_TYPE_REQUIRED",
                    "A modal needs a custom_id, a title and 1-5 components",
                ));
            }
            let guild_id = st.world.interactions.get(&id).and_then(|i| i.guild_id);
            st.world.modals.insert(
                (user_id, custom_id),
                OpenModal { interaction_id: id, channel_id, guild_id, data: data.clone() },
            );
        }
        _ => {
            return Err(ApiError::form("type", "BASE_TYPE_CHOICES", "Value must be one of (1, 4, 5, 6, 7, 8, 9)."));
        }
    }
    if let Some(i) = st.world.interactions.get_mut(&id) {
        i.acknowledged = true;
        i.callbacks.push(body.clone());
        if original.is_some() {
            i.original_id = original;
        }
        i.deferred_update = deferred_update;
    }
    Ok(())
}

/// Creates the "thinking" placeholder of a deferred response, which has no
/// content (so it bypasses the empty-message check).
fn create_loading(app: &App, st: &mut State, mut m: NewMessage) -> ApiResult<u64> {
    m.content = "\u{200b}".into();
    let id = messages::create(app, st, m)?;
    if let Some(msg) = st.world.messages.get_mut(&id) {
        msg.content.clear();
    }
    Ok(id)
}

/// `POST /webhooks/{app}/{token}`: a follow-up message. The first
/// follow-up after a deferred response replaces the "thinking" message.
pub fn followup(app: &App, st: &mut State, id: u64, body: &Value, files: Vec<messages::NewFile>) -> ApiResult<u64> {
    validate::message(body)?;
    let i = st.world.interactions.get(&id).ok_or_else(ApiError::unknown_webhook)?;
    if !i.acknowledged {
        return Err(ApiError::unknown_webhook());
    }
    let (channel_id, original, itype) = (i.channel_id, i.original_id, i.kind);
    if let Some(orig) = original {
        let loading = st.world.messages.get(&orig).is_some_and(|m| m.flags & 128 != 0 && !m.deleted);
        if loading && files.is_empty() {
            messages::edit(app, st, orig, body)?;
            return Ok(orig);
        }
    }
    let mut m = NewMessage::from_body(channel_id, app.bot_id(), body);
    m.files = files;
    m.ephemeral = m.flags & 64 != 0;
    m.interaction_id = Some(id);
    m.webhook_id = Some(app.config.application_id);
    m.kind = if itype == 2 { 20 } else { 0 };
    let mid = messages::create(app, st, m)?;
    if let Some(i) = st.world.interactions.get_mut(&id) {
        i.followups.push(mid);
    }
    Ok(mid)
}

/// Resolves `@original` or a message id to a message of this interaction.
pub fn webhook_message(st: &State, id: u64, which: &str) -> ApiResult<u64> {
    let i = st.world.interactions.get(&id).ok_or_else(ApiError::unknown_webhook)?;
    let mid = if which == "@original" {
        i.original_id.ok_or_else(ApiError::unknown_message)?
    } else {
        let mid = ids::parse(which).ok_or_else(ApiError::unknown_message)?;
        if Some(mid) != i.original_id && !i.followups.contains(&mid) {
            return Err(ApiError::unknown_message());
        }
        mid
    };
    match st.world.messages.get(&mid) {
        Some(m) if !m.deleted => Ok(mid),
        _ => Err(ApiError::unknown_message()),
    }
}
