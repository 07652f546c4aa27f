//! The ticket menu's interactions: a type picked from the dropdown (answered
//! with the type's form, or by opening at once) and a submitted form. Turns
//! twilight's interaction types into calls of `tickets::panel`.

use twilight_model::application::interaction::modal::{ModalInteractionComponent, ModalInteractionData};
use twilight_model::application::interaction::Interaction;
use twilight_model::channel::message::component::{Component, Label, TextInput, TextInputStyle};
use twilight_model::http::interaction::{InteractionResponse, InteractionResponseData, InteractionResponseType};

use super::respond::{defer, message, respond, run_command, text_of};
use crate::bot::Bot;
use crate::commands::Command;
use crate::discord::payload;
use crate::domain::actor::Actor;
use crate::domain::ids::{ChannelId, GuildId, IdError, UserId};
use crate::tickets::panel::control::{self, ControlButton, ADD_USER_FIELD};
use crate::tickets::panel::open::{form_type, MenuPick, Opener};
use crate::tickets::ports::Form;
use crate::tickets::reply::StaffContext;

/// A member picked a type from the menu: show its form (a modal must be the
/// first answer, so nothing slow runs before it), or open the ticket.
pub async fn type_picked(bot: &Bot, interaction: &Interaction, values: &[String]) {
    let (Some(guild), Some(opener)) = (interaction.guild_id, opener(interaction)) else {
        return respond(bot, interaction, message("The ticket menu works only in a server.", true)).await;
    };
    let Some(type_id) = values.first().and_then(|v| v.parse::<i64>().ok()) else {
        return respond(bot, interaction, message("Pick one of the ticket types in the menu.", true)).await;
    };
    let guild = GuildId(guild.get());
    match bot.tickets.pick_ticket_type(guild, opener.user, type_id).await {
        Ok(MenuPick::Form(form)) => respond(bot, interaction, modal(&form)).await,
        Ok(MenuPick::OpenNow) => open(bot, interaction, guild, &opener, type_id, &[]).await,
        Err(e) => respond(bot, interaction, message(&text_of(&Err(e)), true)).await,
    }
}

/// A member submitted a type's form: the ticket opens (deferred first, since
/// creating a channel may take longer than Discord's 3 seconds).
pub async fn form_submitted(bot: &Bot, interaction: &Interaction, data: &ModalInteractionData) {
    let (Some(guild), Some(opener), Some(type_id)) =
        (interaction.guild_id, opener(interaction), form_type(&data.custom_id))
    else {
        return respond(bot, interaction, message("This form is no longer valid; pick the type again.", true)).await;
    };
    let answers = answers(&data.components);
    open(bot, interaction, GuildId(guild.get()), &opener, type_id, &answers).await;
}

async fn open(
    bot: &Bot,
    interaction: &Interaction,
    guild: GuildId,
    opener: &Opener,
    type_id: i64,
    answers: &[(String, String)],
) {
    defer(bot, interaction, InteractionResponseType::DeferredChannelMessageWithSource).await;
    let result = bot.tickets.open_from_menu(guild, opener, type_id, answers).await;
    let text = text_of(&result);
    let client = bot.http.interaction(bot.application_id);
    if let Err(e) = client.update_response(&interaction.token).content(Some(&text)).await {
        tracing::warn!(error = %e, "could not answer a ticket opening");
    }
}

/// A button of a ticket's control panel.
pub async fn control_pressed(bot: &Bot, interaction: &Interaction, custom_id: &str) {
    let Some((guild, channel, actor)) = place(interaction) else {
        return respond(bot, interaction, message("This works only in a ticket channel.", true)).await;
    };
    match ControlButton::from_custom_id(custom_id) {
        // `/take`: the same claim, and the panel shows it.
        Some(ControlButton::Claim) => run_command(bot, interaction, Command::Take).await,
        Some(ControlButton::AddUser) => {
            let ctx = StaffContext { guild, channel, actor, source: interaction.id.get(), attachments: Vec::new() };
            match bot.tickets.staff_ticket(&ctx).await {
                Ok(_) => respond(bot, interaction, modal(&control::add_user_form())).await,
                Err(e) => respond(bot, interaction, message(&text_of(&Err(e)), true)).await,
            }
        }
        Some(ControlButton::Close) => match bot.tickets.may_close_panel_ticket(guild, channel, &actor).await {
            Ok(()) => {
                let ask = control::close_confirmation();
                let response = InteractionResponse {
                    kind: InteractionResponseType::ChannelMessageWithSource,
                    data: Some(InteractionResponseData {
                        content: ask.content.clone(),
                        components: Some(payload::components(&ask)),
                        flags: Some(twilight_model::channel::message::MessageFlags::EPHEMERAL),
                        ..InteractionResponseData::default()
                    }),
                };
                respond(bot, interaction, response).await;
            }
            Err(e) => respond(bot, interaction, message(&text_of(&Err(e)), true)).await,
        },
        None => respond(bot, interaction, message("This button is no longer in use.", true)).await,
    }
}

/// Close confirmed: the ticket closes and its channel goes (so the answer
/// may have nowhere left to show; that is fine).
pub async fn close_confirmed(bot: &Bot, interaction: &Interaction) {
    let Some((guild, channel, actor)) = place(interaction) else {
        return respond(bot, interaction, message("This works only in a ticket channel.", true)).await;
    };
    defer(bot, interaction, InteractionResponseType::DeferredUpdateMessage).await;
    let result = bot.tickets.close_panel_ticket(guild, channel, &actor).await;
    if result.is_err() {
        let text = text_of(&result);
        let client = bot.http.interaction(bot.application_id);
        if let Err(e) = client.update_response(&interaction.token).content(Some(&text)).components(Some(&[])).await {
            tracing::debug!(error = %e, "could not answer a close confirmation");
        }
    }
}

/// The Add User form was submitted: `/add_staff` for that member.
pub async fn add_user_submitted(bot: &Bot, interaction: &Interaction, data: &ModalInteractionData) {
    let typed = answers(&data.components).into_iter().find(|(k, _)| k == ADD_USER_FIELD).map(|(_, v)| v);
    // The id as typed, or pasted as a mention; one too large to store is
    // refused here with its reason, never wrapped.
    match typed.as_deref().map(UserId::from_mention) {
        Some(Ok(user)) => run_command(bot, interaction, Command::AddStaff { user: user.get() }).await,
        refused => {
            let why = match refused {
                Some(Err(e @ (IdError::Zero | IdError::TooLarge))) => format!(" ({e})"),
                _ => String::new(),
            };
            let text = format!(
                "That is not a user id{why}. Right-click the member (Developer Mode on) → Copy User ID, and paste it."
            );
            respond(bot, interaction, message(&text, true)).await;
        }
    }
}

/// Where a control-panel interaction happened, and who acted.
pub(super) fn place(interaction: &Interaction) -> Option<(GuildId, ChannelId, Actor)> {
    let guild = GuildId(interaction.guild_id?.get());
    let channel = ChannelId(interaction.channel.as_ref()?.id.get());
    Some((guild, channel, super::respond::actor(interaction)?))
}

fn opener(interaction: &Interaction) -> Option<Opener> {
    let actor = super::respond::actor(interaction)?;
    Some(Opener { user: actor.user, name: actor.name })
}

/// `(field custom id, value)` of every text field, whatever layout holds it.
pub(super) fn answers(components: &[ModalInteractionComponent]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for component in components {
        match component {
            ModalInteractionComponent::TextInput(input) => out.push((input.custom_id.clone(), input.value.clone())),
            ModalInteractionComponent::Label(label) => out.extend(answers(std::slice::from_ref(&label.component))),
            ModalInteractionComponent::ActionRow(row) => out.extend(answers(&row.components)),
            _ => {}
        }
    }
    out
}

/// The form as Discord's modal: each field a text input inside a label.
pub(super) fn modal(form: &Form) -> InteractionResponse {
    let components = form
        .fields
        .iter()
        .map(|f| {
            #[allow(deprecated)] // `label` moved to the Label component, which is what we use.
            let input = TextInput {
                custom_id: f.custom_id.clone(),
                id: None,
                label: None,
                max_length: f.max_length,
                min_length: f.min_length,
                placeholder: f.placeholder.clone(),
                required: Some(f.required),
                style: if f.long { TextInputStyle::Paragraph } else { TextInputStyle::Short },
                value: f.value.clone(),
            };
            Component::Label(Label {
                component: Box::new(Component::TextInput(input)),
                description: None,
                id: None,
                label: f.label.clone(),
            })
        })
        .collect();
    InteractionResponse {
        kind: InteractionResponseType::Modal,
        data: Some(InteractionResponseData {
            custom_id: Some(form.custom_id.clone()),
            title: Some(form.title.clone()),
            components: Some(components),
            ..InteractionResponseData::default()
        }),
    }
}
