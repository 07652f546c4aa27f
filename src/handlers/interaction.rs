//! Interactions: slash commands and message components. Every interaction is
//! answered within Discord's 3-second window: the work runs against a 2.5 s
//! deadline; if it is slower the interaction is deferred and answered after.

use std::time::Duration;

use twilight_model::application::interaction::{Interaction, InteractionData, InteractionType};
use twilight_model::channel::message::MessageFlags;
use twilight_model::guild::Permissions;
use twilight_model::http::interaction::{InteractionResponse, InteractionResponseData, InteractionResponseType};

use crate::bot::Bot;
use crate::commands::{self, slash, Command, Invocation};
use crate::discord::payload;
use crate::tickets::conversation::SWITCH_GUILD_BUTTON;
use crate::tickets::ids::{ChannelId, GuildId, RoleId, UserId};
use crate::tickets::inbox::Attachment;
use crate::tickets::model::Actor;
use crate::tickets::panel::admin_view::ADMIN;
use crate::tickets::panel::control::{ADD_USER_FORM, CLOSE_CONFIRM, CONTROL};
use crate::tickets::panel::menu::TYPE_MENU;
use crate::tickets::panel::open::FORM_PREFIX;
use crate::tickets::ports::DiscordPort;
use crate::tickets::prompt::{self, CATEGORY_MENU};
use crate::tickets::routing::GUILD_CHOICE_MENU;
use crate::tickets::{Outcome, TicketResult};

const DEADLINE: Duration = Duration::from_millis(2500);

pub async fn handle(bot: &Bot, interaction: &Interaction) {
    match (&interaction.kind, &interaction.data) {
        (InteractionType::ApplicationCommand, Some(InteractionData::ApplicationCommand(data)))
            if data.name == "ticket" && data.options.first().is_some_and(|o| o.name == "admin") =>
        {
            super::panel_admin::open(bot, interaction).await;
        }
        (InteractionType::ApplicationCommand, Some(InteractionData::ApplicationCommand(data))) => {
            let command = match slash::parse(data) {
                Some(Ok(command)) => command,
                Some(Err(usage)) => return respond(bot, interaction, message(&usage, true)).await,
                None => return respond(bot, interaction, message("I don't know that command any more.", true)).await,
            };
            run_command(bot, interaction, command).await;
        }
        (InteractionType::MessageComponent, Some(InteractionData::MessageComponent(data)))
            if data.custom_id == GUILD_CHOICE_MENU =>
        {
            let Some(user) = interaction.author_id() else {
                return;
            };
            // The value is one we put in the menu, but it comes back from the
            // client: it goes through the one id parser like any other.
            let Some(guild) = data.values.first().and_then(|v| v.parse::<GuildId>().ok()) else {
                return respond(bot, interaction, message("Pick one of the servers in the menu.", true)).await;
            };
            let work = bot.tickets.choose_guild(UserId(user.get()), guild);
            answer_component(bot, interaction, work).await;
        }
        (InteractionType::MessageComponent, Some(InteractionData::MessageComponent(data)))
            if data.custom_id.starts_with(SWITCH_GUILD_BUTTON) =>
        {
            let Some(user) = interaction.author_id() else {
                return;
            };
            let result = bot.tickets.switch_guild_menu(UserId(user.get())).await;
            respond(bot, interaction, outcome_response(result)).await;
        }
        (InteractionType::MessageComponent, Some(InteractionData::MessageComponent(data)))
            if data.custom_id.starts_with(CATEGORY_MENU) =>
        {
            let Some(user) = interaction.author_id() else {
                return;
            };
            let Some(category) = prompt::chosen_category(&data.custom_id, &data.values) else {
                return respond(bot, interaction, message("Pick one of the categories offered.", true)).await;
            };
            let work = bot.tickets.choose_category(UserId(user.get()), category);
            answer_component(bot, interaction, work).await;
        }
        (InteractionType::MessageComponent, Some(InteractionData::MessageComponent(data)))
            if data.custom_id == TYPE_MENU =>
        {
            super::panel::type_picked(bot, interaction, &data.values).await;
        }
        (InteractionType::ModalSubmit, Some(InteractionData::ModalSubmit(data)))
            if data.custom_id.starts_with(FORM_PREFIX) =>
        {
            super::panel::form_submitted(bot, interaction, data).await;
        }
        (InteractionType::MessageComponent, Some(InteractionData::MessageComponent(data)))
            if data.custom_id.starts_with(CONTROL) =>
        {
            super::panel::control_pressed(bot, interaction, &data.custom_id).await;
        }
        (InteractionType::MessageComponent, Some(InteractionData::MessageComponent(data)))
            if data.custom_id.starts_with(CLOSE_CONFIRM) =>
        {
            super::panel::close_confirmed(bot, interaction).await;
        }
        (InteractionType::ModalSubmit, Some(InteractionData::ModalSubmit(data))) if data.custom_id == ADD_USER_FORM => {
            super::panel::add_user_submitted(bot, interaction, data).await;
        }
        (InteractionType::MessageComponent, Some(InteractionData::MessageComponent(data)))
            if data.custom_id.starts_with(ADMIN) =>
        {
            super::panel_admin::component(bot, interaction, &data.custom_id, &data.values).await;
        }
        (InteractionType::ModalSubmit, Some(InteractionData::ModalSubmit(data)))
            if data.custom_id.starts_with(ADMIN) =>
        {
            super::panel_admin::form(bot, interaction, data).await;
        }
        (InteractionType::Ping, _) => {
            let pong = InteractionResponse { kind: InteractionResponseType::Pong, data: None };
            respond(bot, interaction, pong).await;
        }
        _ => {
            tracing::debug!(kind = ?interaction.kind, "interaction not for us");
        }
    }
}

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
async fn answer_component(
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

fn outcome_response(result: TicketResult<Outcome>) -> InteractionResponse {
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
