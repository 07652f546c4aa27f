//! [`DiscordPort`] over twilight-http: each method is one metered REST call.
//! Channel lookups try the gateway cache first, which costs nothing; role and
//! channel names come from the guild facts (`super::facts`).

use std::sync::Arc;

use async_trait::async_trait;
use twilight_cache_inmemory::InMemoryCache;
use twilight_http::error::ErrorType;
use twilight_http::Client;
use twilight_model::channel::permission_overwrite::{PermissionOverwrite, PermissionOverwriteType};
use twilight_model::channel::ChannelType;
use twilight_model::guild::Permissions;
use twilight_model::id::marker::UserMarker;
use twilight_model::id::Id;

use super::errors::{is_invalid_request, port_error};
use super::facts::GuildFactsLookup;
use super::metered::metered;
use super::payload;
use crate::domain::dm::Attachment;
use crate::domain::ids::{ChannelId, GuildId, MessageId, RoleId, UserId};
use crate::redis::invalid_requests::InvalidRequests;
use crate::tickets::ports::{
    ArchiveSpec, ChannelInfo, ChannelKind, DiscordPort, ErrorClass, FetchedEmbed, FetchedMessage, KnownNames,
    OutgoingMessage, PortError, TicketChannelSpec, UPLOAD_LIMIT,
};

pub struct TwilightDiscord {
    http: Arc<Client>,
    /// The same, its requests marked as background work (see
    /// [`crate::discord::background`]); `http` when not given.
    background: Arc<Client>,
    cache: Arc<InMemoryCache>,
    facts: Arc<GuildFactsLookup>,
    bot_user: Id<UserMarker>,
    /// Fetches attachments to re-upload them (Discord's CDN, or the stand-in).
    files: reqwest::Client,
    /// The fleet's count of 401/403/429 answers, if this process keeps it.
    invalid: Option<InvalidRequests>,
}

impl TwilightDiscord {
    pub fn new(
        http: Arc<Client>,
        cache: Arc<InMemoryCache>,
        facts: Arc<GuildFactsLookup>,
        bot_user: Id<UserMarker>,
    ) -> Self {
        let files = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self { background: http.clone(), http, cache, facts, bot_user, files, invalid: None }
    }

    /// Sends requests made by background work with `client`.
    pub fn with_background_client(mut self, client: Arc<Client>) -> Self {
        self.background = client;
        self
    }

    /// The client for the current task's requests.
    fn client(&self) -> &Client {
        if super::background::is_background() {
            &self.background
        } else {
            &self.http
        }
    }

    /// Counts every 401, 403 and 429 answer into the fleet's total in Redis.
    pub fn counting_invalid_requests(mut self, invalid: InvalidRequests) -> Self {
        self.invalid = Some(invalid);
        self
    }

    /// Sends a request (one metered REST call); a failure is counted toward
    /// Discord's invalid-request limit if it is one, and mapped once.
    async fn call<T, R>(&self, route: &'static str, request: R) -> Result<twilight_http::Response<T>, PortError>
    where
        R: std::future::IntoFuture<Output = Result<twilight_http::Response<T>, twilight_http::Error>>,
    {
        match metered(route, request).await {
            Ok(response) => Ok(response),
            Err(e) => {
                self.count_if_invalid(&e).await;
                Err(port_error(&e))
            }
        }
    }

    async fn count_if_invalid(&self, error: &twilight_http::Error) {
        let status = match error.kind() {
            ErrorType::Response { status, .. } => status.get(),
            ErrorType::Unauthorized => 401,
            _ => return,
        };
        let Some(invalid) = self.invalid.as_ref().filter(|_| is_invalid_request(status)) else {
            return;
        };
        match invalid.record().await {
            Ok(total) => crate::metrics::discord_invalid_requests(total),
            Err(e) => tracing::warn!(error = %e, "could not count an invalid request in Redis"),
        }
    }

    /// Sends a request and decodes its body.
    async fn fetch<T, R>(&self, route: &'static str, request: R) -> Result<T, PortError>
    where
        T: serde::de::DeserializeOwned + Unpin + Send,
        R: std::future::IntoFuture<Output = Result<twilight_http::Response<T>, twilight_http::Error>>,
    {
        let response = self.call(route, request).await?;
        response.model().await.map_err(|e| PortError::Other(e.to_string()))
    }

    /// Sends a request whose answer carries nothing we need.
    async fn send<T, R>(&self, route: &'static str, request: R) -> Result<(), PortError>
    where
        R: std::future::IntoFuture<Output = Result<twilight_http::Response<T>, twilight_http::Error>>,
    {
        self.call(route, request).await?;
        Ok(())
    }

    /// Fetches files to re-upload. Each is at most [`UPLOAD_LIMIT`] (the core
    /// only passes those), checked again here as it streams. A file the CDN
    /// no longer has (an expired link: a held DM can wait for hours) is
    /// [`PortError::FileUnavailable`], for the core to relay without it.
    async fn download(
        &self,
        files: &[Attachment],
    ) -> Result<Vec<twilight_model::http::attachment::Attachment>, PortError> {
        let mut out = Vec::with_capacity(files.len());
        for (index, file) in files.iter().enumerate() {
            let bytes = self.download_one(file).await?;
            out.push(twilight_model::http::attachment::Attachment::from_bytes(
                file.filename.clone(),
                bytes,
                index as u64,
            ));
        }
        Ok(out)
    }

    /// One file, with a bounded retry of transient failures (5xx, timeouts,
    /// broken connections); a 4xx is final at once.
    async fn download_one(&self, file: &Attachment) -> Result<Vec<u8>, PortError> {
        let mut attempt = 1;
        loop {
            match self.try_download(file).await {
                Ok(bytes) => return Ok(bytes),
                Err(e) if e.is_transient() && attempt < DOWNLOAD_ATTEMPTS => {
                    tracing::info!(error = %e, attempt, "fetching an attachment failed; trying again");
                    crate::metrics::attachment_fetch_failure("retried");
                    // Never sooner than a 429 asked.
                    let backoff = DOWNLOAD_BACKOFF * 2u32.pow(attempt - 1);
                    tokio::time::sleep(backoff.max(e.retry_after().unwrap_or_default())).await;
                    attempt += 1;
                }
                Err(e) => {
                    if matches!(e, PortError::FileUnavailable { .. }) {
                        crate::metrics::attachment_fetch_failure("lost");
                    }
                    return Err(e);
                }
            }
        }
    }

    async fn try_download(&self, file: &Attachment) -> Result<Vec<u8>, PortError> {
        // reqwest's errors carry the URL, a signed link to a private file,
        // and these errors end up in logs: the file is named by its filename
        // instead.
        let unavailable = |e: reqwest::Error| {
            PortError::Unavailable(format!("could not fetch {}: {}", file.filename, e.without_url()))
        };
        let response = self.files.get(&file.url).send().await.map_err(unavailable)?;
        let status = response.status();
        if status.as_u16() == 429 {
            let header = response.headers().get(reqwest::header::RETRY_AFTER).and_then(|h| h.to_str().ok());
            let header = header.map(str::to_owned);
            let body = response.bytes().await.unwrap_or_default();
            let wait = super::errors::retry_after_of(&body, header.as_deref());
            return Err(super::errors::rate_limited(wait, format!("could not fetch {}: HTTP 429", file.filename)));
        }
        if !status.is_success() {
            return Err(match super::errors::class_of_status(status.as_u16()) {
                ErrorClass::Permanent => {
                    PortError::FileUnavailable { filename: file.filename.clone(), size: file.size }
                }
                ErrorClass::Transient => {
                    PortError::Unavailable(format!("could not fetch {}: HTTP {}", file.filename, status.as_u16()))
                }
            });
        }
        let bytes = response.bytes().await.map_err(unavailable)?;
        if bytes.len() as u64 > UPLOAD_LIMIT {
            return Err(PortError::Other(format!("{} is larger than the upload limit", file.filename)));
        }
        Ok(bytes.to_vec())
    }
}

/// Tries per attachment download before giving up on a transient failure.
const DOWNLOAD_ATTEMPTS: u32 = 3;
/// The first wait between download tries; doubled each time.
const DOWNLOAD_BACKOFF: std::time::Duration = std::time::Duration::from_millis(250);

/// What staff may do in a ticket channel.
fn staff_allow() -> Permissions {
    Permissions::VIEW_CHANNEL
        | Permissions::SEND_MESSAGES
        | Permissions::READ_MESSAGE_HISTORY
        | Permissions::ATTACH_FILES
        | Permissions::EMBED_LINKS
        | Permissions::ADD_REACTIONS
}

/// What the bot needs in a ticket channel (it may only grant what it has).
fn bot_allow() -> Permissions {
    Permissions::VIEW_CHANNEL
        | Permissions::SEND_MESSAGES
        | Permissions::READ_MESSAGE_HISTORY
        | Permissions::ATTACH_FILES
        | Permissions::EMBED_LINKS
        | Permissions::MANAGE_MESSAGES
        | Permissions::MANAGE_CHANNELS
}

impl TwilightDiscord {
    /// The overwrites of a private channel or category: @everyone (whose
    /// role id is the guild id) cannot see it, the staff role (if the guild
    /// has one) gets `staff_allow` minus `staff_deny`, the bot what it needs.
    fn private_overwrites(
        &self,
        guild: GuildId,
        staff_role: Option<RoleId>,
        staff_allow: Permissions,
        staff_deny: Permissions,
    ) -> Result<Vec<PermissionOverwrite>, PortError> {
        let mut overwrites = vec![PermissionOverwrite {
            id: id(guild.get())?,
            kind: PermissionOverwriteType::Role,
            allow: Permissions::empty(),
            deny: Permissions::VIEW_CHANNEL,
        }];
        if let Some(role) = staff_role {
            overwrites.push(PermissionOverwrite {
                id: id(role.get())?,
                kind: PermissionOverwriteType::Role,
                allow: staff_allow,
                deny: staff_deny,
            });
        }
        overwrites.push(PermissionOverwrite {
            id: self.bot_user.cast(),
            kind: PermissionOverwriteType::Member,
            allow: bot_allow(),
            deny: Permissions::empty(),
        });
        Ok(overwrites)
    }

    /// A channel's guild and permission overwrites, from the cache if it holds
    /// the channel (the cluster owning the guild does), else one GET.
    async fn overwrites_of(
        &self,
        channel: ChannelId,
    ) -> Result<(Option<Id<twilight_model::id::marker::GuildMarker>>, Vec<PermissionOverwrite>), PortError> {
        let channel_id = id(channel.get())?;
        if let Some(cached) = self.cache.channel(channel_id) {
            return Ok((cached.guild_id, cached.permission_overwrites.clone().unwrap_or_default()));
        }
        let fetched: twilight_model::channel::Channel =
            self.fetch("get_channel", self.client().channel(channel_id)).await?;
        Ok((fetched.guild_id, fetched.permission_overwrites.unwrap_or_default()))
    }
}

/// A moved ticket's overwrites: its new category's, except that `@everyone`
/// never sees the channel, the bot keeps its access, and members given access
/// to this ticket alone (`/add_staff`, a panel ticket's opener) keep theirs.
fn synced_overwrites(
    guild: Id<twilight_model::id::marker::GuildMarker>,
    bot: Id<UserMarker>,
    category: &[PermissionOverwrite],
    ticket: &[PermissionOverwrite],
) -> Vec<PermissionOverwrite> {
    let everyone = guild.cast();
    let ticket_members: Vec<&PermissionOverwrite> =
        ticket.iter().filter(|o| o.kind == PermissionOverwriteType::Member && o.id != bot.cast()).collect();
    let mut out: Vec<PermissionOverwrite> = category
        .iter()
        .filter(|o| o.id != everyone && o.id != bot.cast() && !ticket_members.iter().any(|m| m.id == o.id))
        .cloned()
        .collect();
    let everyone_from_category = category.iter().find(|o| o.id == everyone);
    out.push(PermissionOverwrite {
        id: everyone,
        kind: PermissionOverwriteType::Role,
        allow: everyone_from_category.map_or(Permissions::empty(), |o| o.allow) - Permissions::VIEW_CHANNEL,
        deny: everyone_from_category.map_or(Permissions::empty(), |o| o.deny) | Permissions::VIEW_CHANNEL,
    });
    out.extend(ticket_members.into_iter().cloned());
    out.push(PermissionOverwrite {
        id: bot.cast(),
        kind: PermissionOverwriteType::Member,
        allow: bot_allow(),
        deny: Permissions::empty(),
    });
    out
}

/// A message read back, as the core sees it.
fn fetched_message(m: twilight_model::channel::Message) -> FetchedMessage {
    let time =
        |t: twilight_model::util::Timestamp| chrono::DateTime::from_timestamp_micros(t.as_micros()).unwrap_or_default();
    FetchedMessage {
        id: MessageId(m.id.get()),
        author: UserId(m.author.id.get()),
        author_name: m.author.global_name.clone().unwrap_or_else(|| m.author.name.clone()),
        author_is_bot: m.author.bot,
        author_avatar_url: m
            .author
            .avatar
            .map(|hash| format!("https://cdn.discordapp.com/avatars/{}/{hash}.png?size=64", m.author.id)),
        attachments: m.attachments.iter().map(attachment).collect(),
        sent_at: time(m.timestamp),
        edited_at: m.edited_timestamp.map(time),
        embeds: m
            .embeds
            .iter()
            .map(|e| FetchedEmbed {
                title: e.title.clone(),
                description: e.description.clone(),
                fields: e.fields.iter().map(|f| (f.name.clone(), f.value.clone())).collect(),
                footer: e.footer.as_ref().map(|f| f.text.clone()),
                color: e.color,
            })
            .collect(),
        mentions: m.mentions.iter().map(|u| (UserId(u.id.get()), u.name.clone())).collect(),
        content: m.content,
    }
}

/// A twilight attachment as the ticket core sees it.
pub fn attachment(a: &twilight_model::channel::Attachment) -> Attachment {
    Attachment { filename: a.filename.clone(), url: a.url.clone(), size: a.size }
}

fn id<T>(raw: u64) -> Result<Id<T>, PortError> {
    Id::new_checked(raw).ok_or_else(|| PortError::Other(format!("invalid id {raw}")))
}

#[async_trait]
impl DiscordPort for TwilightDiscord {
    async fn create_ticket_channel(&self, spec: &TicketChannelSpec) -> Result<ChannelId, PortError> {
        let mut overwrites =
            self.private_overwrites(spec.guild, spec.staff_role, staff_allow(), Permissions::empty())?;
        for member in &spec.members {
            overwrites.push(PermissionOverwrite {
                id: id(member.get())?,
                kind: PermissionOverwriteType::Member,
                allow: staff_allow(),
                deny: Permissions::empty(),
            });
        }
        let request = self
            .client()
            .create_guild_channel(id(spec.guild.get())?, &spec.name)
            .kind(ChannelType::GuildText)
            .parent_id(id(spec.parent.get())?)
            .topic(&spec.topic)
            .permission_overwrites(&overwrites);
        let channel: twilight_model::channel::Channel = self.fetch("create_channel", request).await?;
        Ok(ChannelId(channel.id.get()))
    }

    async fn delete_channel(&self, channel: ChannelId) -> Result<(), PortError> {
        self.send("delete_channel", self.client().delete_channel(id(channel.get())?)).await
    }

    async fn channel_info(&self, channel: ChannelId) -> Result<ChannelInfo, PortError> {
        let channel_id = id(channel.get())?;
        let (guild, kind, name) = if let Some(cached) = self.cache.channel(channel_id) {
            (cached.guild_id, cached.kind, cached.name.clone().unwrap_or_default())
        } else {
            let fetched: twilight_model::channel::Channel =
                self.fetch("get_channel", self.client().channel(channel_id)).await?;
            (fetched.guild_id, fetched.kind, fetched.name.unwrap_or_default())
        };
        Ok(ChannelInfo {
            id: channel,
            guild: guild.map(|g| GuildId(g.get())),
            kind: match kind {
                ChannelType::GuildCategory => ChannelKind::Category,
                ChannelType::GuildText => ChannelKind::Text,
                _ => ChannelKind::Other,
            },
            name,
        })
    }

    async fn send_message(&self, channel: ChannelId, message: &OutgoingMessage) -> Result<MessageId, PortError> {
        let body = payload::create_message_body(message);
        let mut files = self.download(&message.files).await?;
        for upload in &message.uploads {
            let index = files.len() as u64;
            files.push(twilight_model::http::attachment::Attachment::from_bytes(
                upload.filename.clone(),
                upload.bytes.clone(),
                index,
            ));
        }
        let request = self.client().create_message(id(channel.get())?).payload_json(&body).attachments(&files);
        let sent: twilight_model::channel::Message = self.fetch("create_message", request).await?;
        Ok(MessageId(sent.id.get()))
    }

    async fn edit_message(
        &self,
        channel: ChannelId,
        message: MessageId,
        to: &OutgoingMessage,
    ) -> Result<(), PortError> {
        let embeds = payload::embeds(to);
        let mentions = payload::allowed_mentions(to);
        // The message's components become `to`'s: none, unless it has a menu.
        let components = payload::components(to);
        let request = self
            .client()
            .update_message(id(channel.get())?, id(message.get())?)
            .content(to.content.as_deref())
            .embeds(Some(&embeds))
            .components(Some(&components))
            .allowed_mentions(Some(&mentions));
        self.send("edit_message", request).await
    }

    async fn delete_message(&self, channel: ChannelId, message: MessageId) -> Result<(), PortError> {
        self.send("delete_message", self.client().delete_message(id(channel.get())?, id(message.get())?)).await
    }

    async fn open_dm(&self, user: UserId) -> Result<ChannelId, PortError> {
        let channel: twilight_model::channel::Channel =
            self.fetch("create_dm", self.client().create_private_channel(id(user.get())?)).await?;
        Ok(ChannelId(channel.id.get()))
    }

    async fn grant_member(&self, channel: ChannelId, user: UserId) -> Result<(), PortError> {
        use twilight_model::http::permission_overwrite as http_overwrite;
        let overwrite = http_overwrite::PermissionOverwrite {
            id: id(user.get())?,
            kind: http_overwrite::PermissionOverwriteType::Member,
            allow: Some(staff_allow()),
            deny: None,
        };
        self.send("update_permission", self.client().update_channel_permission(id(channel.get())?, &overwrite)).await
    }

    async fn revoke_member(&self, channel: ChannelId, user: UserId) -> Result<(), PortError> {
        let request = self.client().delete_channel_permission(id(channel.get())?).member(id::<UserMarker>(user.get())?);
        self.send("delete_permission", request).await
    }

    async fn archive_channel(&self, archive: &ArchiveSpec) -> Result<(), PortError> {
        // Staff keep reading; nobody writes any more.
        let overwrites = self.private_overwrites(
            archive.guild,
            Some(archive.staff_role),
            Permissions::VIEW_CHANNEL | Permissions::READ_MESSAGE_HISTORY,
            Permissions::SEND_MESSAGES | Permissions::ADD_REACTIONS,
        )?;
        let mut request = self.client().update_channel(id(archive.channel.get())?).permission_overwrites(&overwrites);
        if let Some(parent) = archive.parent {
            request = request.parent_id(Some(id(parent.get())?));
        }
        self.send("update_channel", request).await
    }

    async fn move_ticket_channel(&self, channel: ChannelId, parent: ChannelId) -> Result<(), PortError> {
        let (guild, ticket_overwrites) = self.overwrites_of(channel).await?;
        let (_, category_overwrites) = self.overwrites_of(parent).await?;
        let guild = guild.ok_or_else(|| PortError::Other(format!("channel {channel} is not in a guild")))?;
        let overwrites = synced_overwrites(guild, self.bot_user, &category_overwrites, &ticket_overwrites);
        let request = self
            .client()
            .update_channel(id(channel.get())?)
            .parent_id(Some(id(parent.get())?))
            .permission_overwrites(&overwrites);
        self.send("update_channel", request).await
    }

    async fn category_sizes(&self, guild: GuildId, categories: &[ChannelId]) -> Result<Vec<usize>, PortError> {
        let response = self.call("get_guild_channels", self.client().guild_channels(id(guild.get())?)).await?;
        let channels = response.models().await.map_err(|e| PortError::Other(e.to_string()))?;
        Ok(categories
            .iter()
            .map(|category| channels.iter().filter(|c| c.parent_id.is_some_and(|p| p.get() == category.get())).count())
            .collect())
    }

    async fn pin_message(&self, channel: ChannelId, message: MessageId) -> Result<(), PortError> {
        self.send("pin_message", self.client().create_pin(id(channel.get())?, id(message.get())?)).await
    }

    async fn user_name(&self, user: UserId) -> Result<String, PortError> {
        let user: twilight_model::user::User = self.fetch("get_user", self.client().user(id(user.get())?)).await?;
        Ok(user.global_name.unwrap_or(user.name))
    }

    async fn is_guild_member(&self, guild: GuildId, user: UserId) -> Result<bool, PortError> {
        let request = self.client().guild_member(id(guild.get())?, id(user.get())?);
        match self.call("get_guild_member", request).await {
            Ok(_) => Ok(true),
            Err(PortError::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn messages_after(
        &self,
        channel: ChannelId,
        after: MessageId,
        limit: u16,
    ) -> Result<Vec<FetchedMessage>, PortError> {
        let request = self.client().channel_messages(id(channel.get())?).after(id(after.get())?).limit(limit.min(100));
        let response = self.call("get_messages", request).await?;
        let messages = response.models().await.map_err(|e| PortError::Other(e.to_string()))?;
        let mut fetched: Vec<FetchedMessage> = messages.into_iter().map(fetched_message).collect();
        // Discord answers newest first.
        fetched.sort_by_key(|m| m.id);
        Ok(fetched)
    }

    async fn create_private_category(
        &self,
        guild: GuildId,
        name: &str,
        staff_role: Option<RoleId>,
    ) -> Result<ChannelId, PortError> {
        let overwrites = self.private_overwrites(guild, staff_role, staff_allow(), Permissions::empty())?;
        let request = self
            .client()
            .create_guild_channel(id(guild.get())?, name)
            .kind(ChannelType::GuildCategory)
            .permission_overwrites(&overwrites);
        let channel: twilight_model::channel::Channel = self.fetch("create_channel", request).await?;
        Ok(ChannelId(channel.id.get()))
    }

    async fn known_names(&self, guild: GuildId) -> KnownNames {
        self.facts.names(guild).await
    }

    fn known_channel_count(&self, guild: GuildId) -> Option<usize> {
        let guild = Id::new_checked(guild.get())?;
        // Only a guild whose GUILD_CREATE this process saw: after a resume
        // the cache holds just the channels created since.
        self.cache.guild(guild)?;
        self.cache.guild_channels(guild).map(|channels| channels.len())
    }
}
