//! Answering interactions within Discord's 3-second window: the response
//! builders, the 2.5 s deadline after which slow work is deferred and answered
//! later, and running a command against it. `interaction.rs` (the router),
//! `panel.rs` and `panel_admin.rs` all use these helpers. They live here, not
//! in the router, and this module uses none of those three: the router
//! imports the panel handlers, so helpers in the router made the modules
//! depend on each other in a circle (`scripts/module_cycles.py`).

use std::time::Duration;

use twilight_model::application::interaction::{Interaction, InteractionData};
use twilight_model::channel::message::MessageFlags;
use twilight_model::guild::Permissions;
use twilight_model::http::interaction::{InteractionResponse, InteractionResponseData, InteractionResponseType};

use crate::bot::Bot;
use crate::commands::{self, Command, Invocation};
use crate::discord::payload;
use crate::domain::actor::Actor;
use crate::domain::dm::Attachment;
use crate::domain::ids::{ChannelId, GuildId, RoleId, UserId};
use crate::tickets::ports::DiscordPort;
use crate::tickets::{Outcome, TicketResult};

/// How long work may run before the interaction is deferred: Discord takes the
/// first answer only within 3 s, and the deferral itself needs time to get there.
const DEADLINE: Duration = Duration::from_millis(2500);

/// The invoking member as the core sees them (interactions carry permissions).
pub(super) fn actor(interaction: &Interaction) -> Option<Actor> {
    let member = interaction.member.as_ref()?;
    let user = member.user.as_ref()?;
    let permissions = member.permissions.unwrap_or(Permissions::empty());
    Some(Actor {
        user: UserId(user.id.get()),
        name: member.nick.clone().or_else(|| user.global_name.clone()).unwrap_or_else(|| user.name.clone()),
        roles: member.roles.iter().map(|r| RoleId(r.get())).collect(),
        manage_guild: permissions.intersects(Permissions::ADMINISTRATOR | Permissions::MANAGE_GUILD),
        api_token: None,
    })
}

/// Files given to a slash command (`/reply attachment:`).
fn attachments(interaction: &Interaction) -> Vec<Attachment> {
    let Some(InteractionData::ApplicationCommand(data)) = &interaction.data else {
        return Vec::new();
    };
    let Some(resolved) = &data.resolved else {
        return Vec::new();
    };
    let mut files: Vec<Attachment> = resolved.attachments.values().map(crate::discord::port::attachment).collect();
    files.sort_by(|a, b| a.filename.cmp(&b.filename));
    files
}

pub(super) async fn run_command(bot: &Bot, interaction: &Interaction, command: Command) {
    let (Some(guild), Some(channel), Some(actor)) =
        (interaction.guild_id, interaction.channel.as_ref(), actor(interaction))
    else {
        return respond(bot, interaction, message("This command works only in a server.", true)).await;
    };
    let at = Invocation {
        guild: GuildId(guild.get()),
        channel: ChannelId(channel.id.get()),
        actor,
        source: interaction.id.get(),
        attachments: attachments(interaction),
    };
    // Files are fetched and re-uploaded, which may take longer than the 3 s an
    // answer may take; and a reply's staff copy must carry them, which only a
    // channel message (not the interaction answer) does.
    if command.acknowledge_first() || !at.attachments.is_empty() {
        defer(bot, interaction, InteractionResponseType::DeferredChannelMessageWithSource).await;
        let result = commands::execute(&bot.tickets, command, &at).await;
        // The channel may be gone by now (a close): failing to edit is fine.
        finish_deferred(bot, interaction, at.channel, result).await;
        return;
    }
    let work = commands::execute(&bot.tickets, command, &at);
    tokio::pin!(work);
    match tokio::time::timeout(DEADLINE, &mut work).await {
        Ok(result) => respond(bot, interaction, outcome_response(result)).await,
        Err(_slow) => {
            defer(bot, interaction, InteractionResponseType::DeferredChannelMessageWithSource).await;
            let result = work.await;
            finish_deferred(bot, interaction, at.channel, result).await;
        }
    }
}

/// A component's answer replaces the message that carried it (its menu goes).
pub(super) async fn answer_component(
    bot: &Bot,
    interaction: &Interaction,
    work: impl std::future::Future<Output = TicketResult<Outcome>>,
) {
    tokio::pin!(work);
    let result = match tokio::time::timeout(DEADLINE, &mut work).await {
        Ok(result) => result,
        Err(_slow) => {
            defer(bot, interaction, InteractionResponseType::DeferredUpdateMessage).await;
            let result = work.await;
            let text = text_of(&result);
            let client = bot.http.interaction(bot.application_id);
            if let Err(e) = client.update_response(&interaction.token).content(Some(&text)).components(Some(&[])).await
            {
                tracing::warn!(error = %e, "could not update a deferred component response");
            }
            return;
        }
    };
    let response = match &result {
        Ok(_) => InteractionResponse {
            kind: InteractionResponseType::UpdateMessage,
            data: Some(InteractionResponseData {
                content: Some(text_of(&result)),
                components: Some(Vec::new()),
                ..InteractionResponseData::default()
            }),
        },
        Err(_) => message(&text_of(&result), true),
    };
    respond(bot, interaction, response).await;
}

pub(super) fn text_of(result: &TicketResult<Outcome>) -> String {
    match result {
        Ok(Outcome::Notice(text) | Outcome::Delivered(text)) => text.clone(),
        Ok(Outcome::Post(post)) => post.content.clone().unwrap_or_else(|| "Done.".into()),
        Ok(Outcome::Done) => "Done.".into(),
        Err(e) => {
            super::report("interaction", e);
            e.user_message()
        }
    }
}

pub(super) fn outcome_response(result: TicketResult<Outcome>) -> InteractionResponse {
    match result {
        Ok(Outcome::Post(post)) => InteractionResponse {
            kind: InteractionResponseType::ChannelMessageWithSource,
            data: Some(payload::response_data(&post, false)),
        },
        other => message(&text_of(&other), true),
    }
}

pub(super) fn message(text: &str, ephemeral: bool) -> InteractionResponse {
    InteractionResponse {
        kind: InteractionResponseType::ChannelMessageWithSource,
        data: Some(InteractionResponseData {
            content: Some(text.to_owned()),
            flags: ephemeral.then_some(MessageFlags::EPHEMERAL),
            allowed_mentions: Some(Default::default()),
            ..InteractionResponseData::default()
        }),
    }
}

pub(super) async fn defer(bot: &Bot, interaction: &Interaction, kind: InteractionResponseType) {
    let response = InteractionResponse {
        kind,
        data: Some(InteractionResponseData {
            flags: Some(MessageFlags::EPHEMERAL),
            ..InteractionResponseData::default()
        }),
    };
    respond(bot, interaction, response).await;
}

/// After a deferral: a public post goes to the channel as a normal message and
/// the ephemeral placeholder says so; anything else edits the placeholder.
async fn finish_deferred(bot: &Bot, interaction: &Interaction, channel: ChannelId, result: TicketResult<Outcome>) {
    let text = match result {
        Ok(Outcome::Post(post)) => match bot.discord.send_message(channel, &post).await {
            Ok(_) => "Sent.".to_owned(),
            Err(e) => {
                tracing::warn!(error = %e, "could not post a command's result");
                "Done, but I couldn't post the copy in this channel.".to_owned()
            }
        },
        other => text_of(&other),
    };
    let client = bot.http.interaction(bot.application_id);
    if let Err(e) = client.update_response(&interaction.token).content(Some(&text)).await {
        tracing::debug!(error = %e, "could not edit a deferred response (the channel may be gone)");
    }
}

pub(super) async fn respond(bot: &Bot, interaction: &Interaction, response: InteractionResponse) {
    let client = bot.http.interaction(bot.application_id);
    let sent = crate::discord::metered::metered(
        "interaction_callback",
        client.create_response(interaction.id, &interaction.token, &response),
    )
    .await;
    if let Err(e) = sent {
        // A replayed interaction was acknowledged the first time: that is fine.
        tracing::warn!(error = %e, "could not answer an interaction");
    }
}
