//! A typed Rust client for the control API, used by tests, the demo and
//! load tests. Ids go in and come out as `u64`; richer results are the
//! stand-in's JSON (Discord shapes, ids as strings).

use anyhow::{anyhow, Context, Result};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The handle of a fired interaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InteractionRef {
    pub id: u64,
    pub token: String,
}

/// Gateway counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct GatewayStats {
    pub identifies: u64,
    pub resumes: u64,
    pub identify_violations: u64,
    pub live_sessions: u64,
    /// Identifies past `session_start_limit.total` (each resets the token).
    #[serde(default)]
    pub identifies_over_budget: u64,
    #[serde(default)]
    pub token_reset: bool,
    /// Guild id (decimal) → full member list requests answered with chunks.
    #[serde(default)]
    pub full_member_requests: std::collections::HashMap<String, u64>,
    /// Full member list requests refused with a `RATE_LIMITED` dispatch.
    #[serde(default)]
    pub member_requests_rate_limited: u64,
}

impl GatewayStats {
    /// Full member list requests for `guild` that were answered.
    pub fn full_member_requests_of(&self, guild: u64) -> u64 {
        self.full_member_requests.get(&guild.to_string()).copied().unwrap_or(0)
    }
}

/// A REST fault to inject.
#[derive(Clone, Debug, Serialize)]
pub struct FaultSpec {
    pub method: String,
    /// Route template as in the request log, e.g. `/guilds/{guild_id}/channels`.
    pub route: String,
    /// 403 (Missing Access), 404 (also an expired attachment link), 429 or 500–599.
    pub status: u16,
    pub count: u32,
    pub retry_after_ms: Option<u64>,
    /// "user" (default) or "shared", for 429s.
    pub scope: Option<String>,
}

/// A storm: every route (attachment downloads too) fails for `for_ms`,
/// answering `statuses` in turn, one per request. Its 429s carry Discord's
/// headers and a JSON `retry_after` of `retry_after_ms`.
#[derive(Clone, Debug, Serialize)]
pub struct StormSpec {
    /// 429 and 500–599, e.g. `[429, 500, 502, 503]`.
    pub statuses: Vec<u16>,
    pub for_ms: u64,
    pub retry_after_ms: u64,
    /// Of the 429s: "user" (default), "shared" or "global".
    pub scope: Option<String>,
}

/// What the stand-in's 429s asked for and what came too early.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct EarlyRetries {
    /// 429s answered (injected and real limits).
    pub limited: u64,
    /// Of them, global ones.
    #[serde(default)]
    pub limited_global: u64,
    /// Requests to a bucket (any request, after a global 429) that came
    /// before the wait a 429 gave had passed.
    pub early: u64,
    /// The first few, in full: `{bucket, major, request, limited_at, at,
    /// retry_after_ms, early_by_ms}`.
    pub examples: Vec<Value>,
}

/// A file for a message a person sends.
#[derive(Clone, Debug)]
pub struct FileSpec {
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

#[derive(Clone, Debug)]
pub struct ControlClient {
    base: String,
    http: reqwest::Client,
}

/// Reads a snowflake string (or number) out of JSON.
pub fn id_of(v: &Value, key: &str) -> Result<u64> {
    match v.get(key) {
        Some(Value::String(s)) => s.parse().with_context(|| format!("{key} is not a snowflake")),
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| anyhow!("{key} is not a snowflake")),
        _ => Err(anyhow!("response has no {key:?}: {v}")),
    }
}

fn files_json(files: &[FileSpec]) -> Value {
    let list: Vec<Value> = files
        .iter()
        .map(|f| {
            json!({
                "filename": f.filename,
                "content_type": f.content_type,
                "content_base64": base64::engine::general_purpose::STANDARD.encode(&f.bytes),
            })
        })
        .collect();
    Value::Array(list)
}

impl ControlClient {
    pub fn new(base_url: &str) -> Self {
        Self { base: base_url.trim_end_matches('/').to_string(), http: reqwest::Client::new() }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("{}/_standin{path}", self.base);
        let mut req = self.http.request(method.clone(), &url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.with_context(|| format!("{method} {url}"))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let value: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text.clone()))
        };
        if !status.is_success() {
            return Err(anyhow!("{method} {path} failed with {status}: {text}"));
        }
        Ok(value)
    }

    async fn get(&self, path: &str) -> Result<Value> {
        self.call(reqwest::Method::GET, path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
    async fn put(&self, path: &str, body: Value) -> Result<Value> {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }
    async fn patch(&self, path: &str, body: Value) -> Result<Value> {
        self.call(reqwest::Method::PATCH, path, Some(body)).await
    }
    async fn delete(&self, path: &str) -> Result<Value> {
        self.call(reqwest::Method::DELETE, path, None).await
    }

    fn list(v: Value) -> Result<Vec<Value>> {
        match v {
            Value::Array(a) => Ok(a),
            other => Err(anyhow!("expected a list, got {other}")),
        }
    }

    // ---- users ----

    /// Creates a person; returns their user id.
    pub async fn create_user(&self, username: &str) -> Result<u64> {
        id_of(&self.create_user_with(json!({"username": username})).await?, "id")
    }

    /// Creates a user from `{username, global_name?, avatar?, bot?}`; returns the user.
    pub async fn create_user_with(&self, spec: Value) -> Result<Value> {
        self.post("/users", spec).await
    }

    /// Opens or closes a user's DMs (closed → the bot gets 50007).
    pub async fn set_dms_closed(&self, user_id: u64, closed: bool) -> Result<()> {
        self.patch(&format!("/users/{user_id}"), json!({"dms_closed": closed})).await?;
        Ok(())
    }

    // ---- guilds ----

    /// Creates a guild owned by `owner_id`; returns its id (= @everyone role id).
    pub async fn create_guild(&self, name: &str, owner_id: u64) -> Result<u64> {
        let v = self.post("/guilds", json!({"name": name, "owner_id": owner_id.to_string()})).await?;
        id_of(&v, "id")
    }

    /// Creates a role; returns its id.
    pub async fn create_role(&self, guild_id: u64, name: &str, permissions: u64) -> Result<u64> {
        let v = self
            .post(&format!("/guilds/{guild_id}/roles"), json!({"name": name, "permissions": permissions.to_string()}))
            .await?;
        id_of(&v, "id")
    }

    /// The owner transfers the guild to a member (GUILD_UPDATE).
    pub async fn transfer_guild(&self, guild_id: u64, new_owner: u64) -> Result<()> {
        self.patch(&format!("/guilds/{guild_id}"), json!({"owner_id": new_owner.to_string()})).await?;
        Ok(())
    }

    /// An admin renames a role and/or replaces its permissions (GUILD_ROLE_UPDATE).
    pub async fn update_role(
        &self,
        guild_id: u64,
        role_id: u64,
        name: Option<&str>,
        permissions: Option<u64>,
    ) -> Result<()> {
        let mut body = json!({});
        if let Some(name) = name {
            body["name"] = json!(name);
        }
        if let Some(p) = permissions {
            body["permissions"] = json!(p.to_string());
        }
        self.patch(&format!("/guilds/{guild_id}/roles/{role_id}"), body).await?;
        Ok(())
    }

    /// An admin deletes a role (GUILD_ROLE_DELETE).
    pub async fn delete_role(&self, guild_id: u64, role_id: u64) -> Result<()> {
        self.delete(&format!("/guilds/{guild_id}/roles/{role_id}")).await?;
        Ok(())
    }

    /// An admin edits a channel with a modify-channel body (CHANNEL_UPDATE).
    pub async fn modify_channel(&self, channel_id: u64, body: Value) -> Result<Value> {
        self.patch(&format!("/channels/{channel_id}"), body).await
    }

    /// Creates a channel as an admin (type 0 text, 4 category); returns its id.
    pub async fn create_channel(&self, guild_id: u64, name: &str, kind: u8, parent_id: Option<u64>) -> Result<u64> {
        let mut body = json!({"name": name, "type": kind});
        if let Some(p) = parent_id {
            body["parent_id"] = json!(p.to_string());
        }
        id_of(&self.create_channel_with(guild_id, body).await?, "id")
    }

    /// Creates a channel from a Discord create-channel body; returns the channel.
    pub async fn create_channel_with(&self, guild_id: u64, body: Value) -> Result<Value> {
        self.post(&format!("/guilds/{guild_id}/channels"), body).await
    }

    /// Joins a user to a guild with these roles, or replaces a member's roles.
    pub async fn put_member(&self, guild_id: u64, user_id: u64, roles: &[u64]) -> Result<()> {
        let roles: Vec<String> = roles.iter().map(u64::to_string).collect();
        self.put(&format!("/guilds/{guild_id}/members/{user_id}"), json!({"roles": roles})).await?;
        Ok(())
    }

    /// The user leaves the guild.
    pub async fn remove_member(&self, guild_id: u64, user_id: u64) -> Result<()> {
        self.delete(&format!("/guilds/{guild_id}/members/{user_id}")).await?;
        Ok(())
    }

    /// Adds the bot (managed role with `permissions`, default the bot set).
    pub async fn add_bot(&self, guild_id: u64, permissions: Option<u64>) -> Result<()> {
        let body = match permissions {
            Some(p) => json!({"permissions": p.to_string()}),
            None => json!({}),
        };
        self.put(&format!("/guilds/{guild_id}/bot"), body).await?;
        Ok(())
    }

    pub async fn remove_bot(&self, guild_id: u64) -> Result<()> {
        self.delete(&format!("/guilds/{guild_id}/bot")).await?;
        Ok(())
    }

    /// The guild with roles, channels and members.
    pub async fn guild(&self, guild_id: u64) -> Result<Value> {
        self.get(&format!("/guilds/{guild_id}")).await
    }

    // ---- acting as people ----

    /// The user DMs the bot; returns the message.
    pub async fn user_dm(&self, user_id: u64, content: &str) -> Result<Value> {
        self.user_dm_with_files(user_id, content, &[]).await
    }

    pub async fn user_dm_with_files(&self, user_id: u64, content: &str, files: &[FileSpec]) -> Result<Value> {
        self.post(&format!("/users/{user_id}/dm"), json!({"content": content, "attachments": files_json(files)})).await
    }

    /// A member posts in a guild channel; returns the message.
    pub async fn post_message(&self, channel_id: u64, author_id: u64, content: &str) -> Result<Value> {
        self.post_message_with_files(channel_id, author_id, content, &[]).await
    }

    pub async fn post_message_with_files(
        &self,
        channel_id: u64,
        author_id: u64,
        content: &str,
        files: &[FileSpec],
    ) -> Result<Value> {
        self.post(
            &format!("/channels/{channel_id}/messages"),
            json!({"author_id": author_id.to_string(), "content": content, "attachments": files_json(files)}),
        )
        .await
    }

    /// The author edits their message; returns it.
    pub async fn edit_message(&self, channel_id: u64, message_id: u64, content: &str) -> Result<Value> {
        self.patch(&format!("/channels/{channel_id}/messages/{message_id}"), json!({"content": content})).await
    }

    /// Signs `user_id` in to the stand-in's "browser": `/oauth2/authorize`
    /// then approves for them.
    pub async fn sign_in(&self, user_id: u64) -> Result<()> {
        self.put("/oauth2/user", json!({"user_id": user_id.to_string()})).await?;
        Ok(())
    }

    /// A member deletes a guild channel in the client (CHANNEL_DELETE follows).
    pub async fn delete_channel(&self, channel_id: u64) -> Result<()> {
        self.delete(&format!("/channels/{channel_id}")).await?;
        Ok(())
    }

    /// The author deletes their message.
    pub async fn delete_message(&self, channel_id: u64, message_id: u64) -> Result<()> {
        self.delete(&format!("/channels/{channel_id}/messages/{message_id}")).await?;
        Ok(())
    }

    // ---- interactions ----

    fn interaction_ref(v: &Value) -> Result<InteractionRef> {
        Ok(InteractionRef {
            id: id_of(v, "id")?,
            token: v.get("token").and_then(Value::as_str).unwrap_or_default().to_string(),
        })
    }

    /// Runs a slash command. `options` is Discord's option list
    /// (`[{name, value}]`, `type` optional, subcommands nested).
    pub async fn run_command(
        &self,
        user_id: u64,
        guild_id: Option<u64>,
        channel_id: Option<u64>,
        name: &str,
        options: Value,
    ) -> Result<InteractionRef> {
        let mut body = json!({"user_id": user_id.to_string(), "name": name, "options": options});
        if let Some(g) = guild_id {
            body["guild_id"] = json!(g.to_string());
        }
        if let Some(c) = channel_id {
            body["channel_id"] = json!(c.to_string());
        }
        Self::interaction_ref(&self.post("/interactions/command", body).await?)
    }

    /// Runs a slash command with files: an attachment option's `value` is the
    /// index of its file in `files`.
    pub async fn run_command_with_files(
        &self,
        user_id: u64,
        guild_id: u64,
        channel_id: u64,
        name: &str,
        options: Value,
        files: &[FileSpec],
    ) -> Result<InteractionRef> {
        let body = json!({
            "user_id": user_id.to_string(),
            "guild_id": guild_id.to_string(),
            "channel_id": channel_id.to_string(),
            "name": name,
            "options": options,
            "attachments": files_json(files),
        });
        Self::interaction_ref(&self.post("/interactions/command", body).await?)
    }

    /// Clicks a button (component_type 2) or picks select values.
    pub async fn click(
        &self,
        user_id: u64,
        channel_id: u64,
        message_id: u64,
        custom_id: &str,
        component_type: u8,
        values: Option<Vec<String>>,
    ) -> Result<InteractionRef> {
        let mut body = json!({
            "user_id": user_id.to_string(),
            "channel_id": channel_id.to_string(),
            "message_id": message_id.to_string(),
            "custom_id": custom_id,
            "component_type": component_type,
        });
        if let Some(v) = values {
            body["values"] = json!(v);
        }
        Self::interaction_ref(&self.post("/interactions/component", body).await?)
    }

    /// Submits a modal the bot opened for this user.
    pub async fn submit_modal(&self, user_id: u64, custom_id: &str, values: &[(&str, &str)]) -> Result<InteractionRef> {
        let map: BTreeMap<&str, &str> = values.iter().copied().collect();
        let body = json!({"user_id": user_id.to_string(), "custom_id": custom_id, "values": map});
        Self::interaction_ref(&self.post("/interactions/modal", body).await?)
    }

    /// `{callbacks, followups, original, acknowledged, …}` of an interaction.
    pub async fn interaction(&self, interaction_id: u64) -> Result<Value> {
        self.get(&format!("/interactions/{interaction_id}")).await
    }

    /// Commands the bot registered.
    pub async fn commands(&self) -> Result<Vec<Value>> {
        Self::list(self.get("/commands").await?)
    }

    // ---- inspection ----

    pub async fn guild_channels(&self, guild_id: u64) -> Result<Vec<Value>> {
        Self::list(self.get(&format!("/guilds/{guild_id}/channels")).await?)
    }

    pub async fn channel(&self, channel_id: u64) -> Result<Value> {
        self.get(&format!("/channels/{channel_id}")).await
    }

    /// All messages, oldest first (deleted flagged, `history` of edits).
    pub async fn channel_messages(&self, channel_id: u64) -> Result<Vec<Value>> {
        Self::list(self.get(&format!("/channels/{channel_id}/messages")).await?)
    }

    /// The user's DM with the bot, oldest first.
    pub async fn dm_messages(&self, user_id: u64) -> Result<Vec<Value>> {
        Self::list(self.get(&format!("/users/{user_id}/dm/messages")).await?)
    }

    pub async fn pins(&self, channel_id: u64) -> Result<Vec<Value>> {
        Self::list(self.get(&format!("/channels/{channel_id}/pins")).await?)
    }

    /// The REST request log: `{method, route, path, status, at}`.
    pub async fn requests(&self) -> Result<Vec<Value>> {
        Self::list(self.get("/requests").await?)
    }

    /// Requests per route template (`"POST /channels/{channel_id}/messages"`).
    pub async fn request_counts(&self) -> Result<BTreeMap<String, u64>> {
        Ok(serde_json::from_value(self.get("/requests/counts").await?)?)
    }

    /// The attachment download log (the CDN's side), oldest first:
    /// `{method, route, path, status, at}`.
    pub async fn downloads(&self) -> Result<Vec<Value>> {
        Self::list(self.get("/downloads").await?)
    }

    pub async fn clear_requests(&self) -> Result<()> {
        self.delete("/requests").await?;
        Ok(())
    }

    pub async fn gateway_sessions(&self) -> Result<Vec<Value>> {
        Self::list(self.get("/gateway/sessions").await?)
    }

    /// Makes `GET /gateway/bot` recommend `shards` (the bot outgrew its count).
    pub async fn set_recommended_shards(&self, shards: u32) -> Result<()> {
        self.put("/gateway/recommended-shards", json!({"shards": shards})).await?;
        Ok(())
    }

    pub async fn gateway_stats(&self) -> Result<GatewayStats> {
        Ok(serde_json::from_value(self.get("/gateway/stats").await?)?)
    }

    // ---- faults ----

    pub async fn inject_fault(&self, fault: FaultSpec) -> Result<()> {
        self.post("/faults", serde_json::to_value(fault)?).await?;
        Ok(())
    }

    /// `fault`, for requests to one concrete `path` only (e.g.
    /// `/channels/42/messages`): one channel failing while the rest work.
    pub async fn inject_fault_on(&self, fault: FaultSpec, path: &str) -> Result<()> {
        let mut body = serde_json::to_value(fault)?;
        body["path"] = json!(path);
        self.post("/faults", body).await?;
        Ok(())
    }

    /// The next `count` requests of `method` to `path` (under the template
    /// `route`) are answered normally, `delay_ms` late: a slow Discord.
    pub async fn slow_down(&self, method: &str, route: &str, path: &str, delay_ms: u64, count: u32) -> Result<()> {
        let body = json!({"method": method, "route": route, "path": path, "delay_ms": delay_ms, "count": count});
        self.post("/faults", body).await?;
        Ok(())
    }

    /// Starts a storm on every route (see [`StormSpec`]); it ends by itself.
    pub async fn storm(&self, storm: StormSpec) -> Result<()> {
        let mut body = serde_json::to_value(storm)?;
        body["route"] = json!("*");
        self.post("/faults", body).await?;
        Ok(())
    }

    /// The 429s answered so far and the requests that came before their wait
    /// had passed.
    pub async fn early_retries(&self) -> Result<EarlyRetries> {
        Ok(serde_json::from_value(self.get("/ratelimits/early").await?)?)
    }

    /// Forgets the 429s answered so far.
    pub async fn clear_early_retries(&self) -> Result<()> {
        self.delete("/ratelimits/early").await?;
        Ok(())
    }

    pub async fn clear_faults(&self) -> Result<()> {
        self.delete("/faults").await?;
        Ok(())
    }

    /// Sends op 7 RECONNECT to one shard's sessions or all; returns how many.
    pub async fn gateway_reconnect(&self, shard: Option<u32>) -> Result<u64> {
        let v = self.post("/gateway/reconnect", json!({"shard": shard})).await?;
        Ok(v["sessions"].as_u64().unwrap_or(0))
    }

    /// Sends op 9 INVALID_SESSION (resumable or not).
    pub async fn gateway_invalidate(&self, shard: Option<u32>, resumable: bool) -> Result<u64> {
        let v = self.post("/gateway/invalidate", json!({"shard": shard, "resumable": resumable})).await?;
        Ok(v["sessions"].as_u64().unwrap_or(0))
    }

    /// Delivers the dispatches the shard's sessions got after sequence
    /// `after_seq` once more (READY and RESUMED excepted); returns how many.
    pub async fn gateway_replay(&self, shard: Option<u32>, after_seq: u64) -> Result<u64> {
        let v = self.post("/gateway/replay", json!({"shard": shard, "after_seq": after_seq})).await?;
        Ok(v["replayed"].as_u64().unwrap_or(0))
    }

    /// Drops sockets without a close frame.
    /// Closes the live sessions of `shard` (or all) with close `code`, as
    /// Discord does; 4004 and 4010–4014 end them for good.
    pub async fn gateway_close(&self, shard: Option<u32>, code: u16) -> Result<u64> {
        let v = self.post("/gateway/close", json!({"shard": shard, "code": code})).await?;
        Ok(v["sessions"].as_u64().unwrap_or(0))
    }

    pub async fn gateway_drop(&self, shard: Option<u32>) -> Result<u64> {
        let v = self.post("/gateway/drop", json!({"shard": shard})).await?;
        Ok(v["sessions"].as_u64().unwrap_or(0))
    }
}
