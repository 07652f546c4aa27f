//! Interactions: slash commands and message components. This module only
//! routes: each kind of interaction goes to the code that answers it (the
//! ticket menu and control panel to `panel.rs`, `/ticket admin` to
//! `panel_admin.rs`, commands and the DM menus to the core, inline here).
//! Answers are built and sent with `respond.rs`, which keeps Discord's
//! 3-second window: the work runs against a 2.5 s deadline; if it is slower
//! the interaction is deferred and answered after.

use twilight_model::application::interaction::{Interaction, InteractionData, InteractionType};
use twilight_model::http::interaction::{InteractionResponse, InteractionResponseType};

use super::respond::{answer_component, message, outcome_response, respond, run_command};
use crate::bot::Bot;
use crate::commands::slash;
use crate::domain::ids::{GuildId, UserId};
use crate::tickets::modmail::conversation::SWITCH_GUILD_BUTTON;
use crate::tickets::modmail::prompt::{self, CATEGORY_MENU};
use crate::tickets::panel::admin_view::ADMIN;
use crate::tickets::panel::control::{ADD_USER_FORM, CLOSE_CONFIRM, CONTROL};
use crate::tickets::panel::menu::TYPE_MENU;
use crate::tickets::panel::open::FORM_PREFIX;
use crate::tickets::render::GUILD_CHOICE_MENU;

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
