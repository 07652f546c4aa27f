//! `/ticket admin`: the ephemeral panel where a server manager manages ticket
//! types and their questions with buttons, selects and forms. Turns each
//! interaction into a call of `tickets::panel::admin` and answers with the
//! view from `tickets::panel::admin_view` (replacing the panel in place, or,
//! after a form, as a new private message).

use twilight_model::application::interaction::modal::ModalInteractionData;
use twilight_model::application::interaction::Interaction;
use twilight_model::http::interaction::{InteractionResponse, InteractionResponseType};

use super::panel::{answers, modal, place};
use super::respond::{message, respond, text_of};
use crate::bot::Bot;
use crate::discord::payload;
use crate::domain::actor::Actor;
use crate::domain::ids::GuildId;
use crate::tickets::panel::admin::{QuestionChange, QuestionFields, TypeFields};
use crate::tickets::panel::admin_view::{self as view, AdminAction};
use crate::tickets::ports::OutgoingMessage;
use crate::tickets::{TicketError, TicketResult};

/// `/ticket admin`: the list of types.
pub async fn open(bot: &Bot, interaction: &Interaction) {
    let Some((guild, _, actor)) = place(interaction) else {
        return respond(bot, interaction, message("This works only in a server.", true)).await;
    };
    match bot.tickets.admin_types(guild, &actor).await {
        Ok(types) => respond(bot, interaction, private(&view::home(&types, None))).await,
        Err(e) => refuse(bot, interaction, e).await,
    }
}

/// A button or select of the panel.
pub async fn component(bot: &Bot, interaction: &Interaction, custom_id: &str, values: &[String]) {
    let (Some(action), Some((guild, _, actor))) = (AdminAction::parse(custom_id), place(interaction)) else {
        return respond(
            bot,
            interaction,
            message("This control is no longer in use; run `/ticket admin` again.", true),
        )
        .await;
    };
    let picked = values.first().and_then(|v| v.parse::<i64>().ok());
    let result: TicketResult<InteractionResponse> = async {
        let tickets = &bot.tickets;
        let types = tickets.admin_types(guild, &actor).await?;
        let find = |id: i64| types.iter().find(|t| t.id == id).ok_or_else(gone);
        Ok(match action {
            AdminAction::Home => update(&view::home(&types, None)),
            AdminAction::PickType => update(&view::type_view(find(picked.unwrap_or(0))?, None)),
            AdminAction::OpenType(id) => update(&view::type_view(find(id)?, None)),
            AdminAction::AddType => modal(&view::type_form(None)),
            AdminAction::EditType(id) => modal(&view::type_form(Some(find(id)?))),
            AdminAction::AddQuestion(id) => modal(&view::question_form(id, None, None)),
            AdminAction::DeleteType(id) => {
                let name = find(id)?.name.clone();
                tickets.remove_ticket_type(guild, &actor, id).await?;
                let types = tickets.admin_types(guild, &actor).await?;
                update(&view::home(&types, Some(&format!("🗑️ **{name}** was deleted."))))
            }
            AdminAction::PickQuestion(id) => {
                let index = usize::try_from(picked.unwrap_or(0)).unwrap_or(0);
                update(&view::question_view(find(id)?, index))
            }
            AdminAction::EditQuestion(id, index) => {
                modal(&view::question_form(id, Some(index), find(id)?.questions.get(index)))
            }
            AdminAction::MoveUp(id, i) => {
                changed(bot, guild, &actor, id, QuestionChange::MoveUp(i), "Moved up.").await?
            }
            AdminAction::MoveDown(id, i) => {
                changed(bot, guild, &actor, id, QuestionChange::MoveDown(i), "Moved down.").await?
            }
            AdminAction::RemoveQuestion(id, i) => {
                changed(bot, guild, &actor, id, QuestionChange::Remove(i), "Question removed.").await?
            }
            AdminAction::TypeForm(_) | AdminAction::QuestionForm(..) => return Err(gone().into()),
        })
    }
    .await;
    match result {
        Ok(response) => respond(bot, interaction, response).await,
        Err(e) => refuse(bot, interaction, e).await,
    }
}

/// A submitted form of the panel: the change, then the type as it is now.
pub async fn form(bot: &Bot, interaction: &Interaction, data: &ModalInteractionData) {
    let (Some(action), Some((guild, _, actor))) = (AdminAction::parse(&data.custom_id), place(interaction)) else {
        return respond(bot, interaction, message("This form is no longer in use; run `/ticket admin` again.", true))
            .await;
    };
    let given = answers(&data.components);
    let text = |key: &str| given.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
    let result: TicketResult<InteractionResponse> = async {
        let tickets = &bot.tickets;
        let (stored, note) = match action {
            AdminAction::TypeForm(existing) => {
                let emoji = Some(text("emoji")).filter(|e| !e.trim().is_empty());
                let fields = TypeFields { name: text("name"), description: text("description"), emoji };
                match existing {
                    None => (tickets.add_ticket_type(guild, &actor, &fields).await?, "✅ Type added."),
                    Some(id) => {
                        (tickets.edit_ticket_type(guild, &actor, id, &(&fields).into()).await?, "✅ Type saved.")
                    }
                }
            }
            AdminAction::QuestionForm(id, index) => {
                let fields = QuestionFields {
                    label: text("label"),
                    style: text("style"),
                    required: text("required"),
                    length: text("length"),
                    placeholder: text("placeholder"),
                };
                let change = match index {
                    None => QuestionChange::Add(fields),
                    Some(i) => QuestionChange::Edit(i, fields),
                };
                (tickets.change_question(guild, &actor, id, change).await?, "✅ Question saved.")
            }
            _ => return Err(gone().into()),
        };
        Ok(private(&view::type_view(&stored, Some(note))))
    }
    .await;
    match result {
        Ok(response) => respond(bot, interaction, response).await,
        Err(e) => refuse(bot, interaction, e).await,
    }
}

/// A question changed: the type as it is now, replacing the panel.
async fn changed(
    bot: &Bot,
    guild: GuildId,
    actor: &Actor,
    type_id: i64,
    change: QuestionChange,
    note: &str,
) -> TicketResult<InteractionResponse> {
    let stored = bot.tickets.change_question(guild, actor, type_id, change).await?;
    Ok(update(&view::type_view(&stored, Some(note))))
}

fn gone() -> crate::tickets::Refusal {
    crate::tickets::Refusal::NotFound { what: crate::tickets::error::Missing::TicketType }
}

/// Replaces the panel the control was on.
fn update(view: &OutgoingMessage) -> InteractionResponse {
    InteractionResponse {
        kind: InteractionResponseType::UpdateMessage,
        data: Some(payload::response_data(view, false)),
    }
}

/// A new message only the manager sees.
fn private(view: &OutgoingMessage) -> InteractionResponse {
    InteractionResponse {
        kind: InteractionResponseType::ChannelMessageWithSource,
        data: Some(payload::response_data(view, true)),
    }
}

async fn refuse(bot: &Bot, interaction: &Interaction, error: TicketError) {
    respond(bot, interaction, message(&text_of(&Err(error)), true)).await;
}
