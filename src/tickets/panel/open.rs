//! Opening a panel ticket: a member picks a type from the ticket menu, fills
//! in its form (if it asks anything), and the one ticket opening
//! (`super::super::open`) makes a private channel in the panel's category
//! where the answers are posted and the support role is pinged.

use super::super::error::{Missing, Refusal, TicketResult};
use super::super::open::{OpenRequest, Opened, PanelPick};
use super::super::outcome::Outcome;
use super::super::ports::{Embed, Form, FormField, OutgoingMessage};
use super::super::TicketService;
use crate::db;
use crate::domain::ids::{ChannelId, GuildId, UserId};
use crate::domain::panel::{QuestionStyle, TicketType};
use crate::domain::ticket::TicketKind;

/// Custom id of a type's form: `panel:form:{type_id}`; its fields are `q0`…`q4`.
pub const FORM_PREFIX: &str = "panel:form:";
const ANSWER_COLOR: u32 = 0x57F287;
/// Discord: at most 6,000 characters of embeds and 10 embeds per message.
const EMBED_BUDGET: usize = 5900;
const EMBEDS_PER_MESSAGE: usize = 10;

/// What picking a type from the menu leads to.
#[derive(Debug)]
pub enum MenuPick {
    /// Show this form; its answers come back to [`TicketService::open_from_menu`].
    Form(Form),
    /// The type asks nothing: open the ticket at once.
    OpenNow,
}

/// The member opening the ticket, as the interaction names them.
#[derive(Debug, Clone)]
pub struct Opener {
    pub user: UserId,
    pub name: String,
}

impl TicketService {
    /// A member picked `type_id` from the menu. Refuses at once (with a link)
    /// a member who already has as many open tickets as the guild allows.
    #[tracing::instrument(skip(self))]
    pub async fn pick_ticket_type(&self, guild: GuildId, member: UserId, type_id: i64) -> TicketResult<MenuPick> {
        let panel = db::panel::settings(&self.db, guild).await?.ok_or(Refusal::PanelNotSetUp)?;
        let ticket_type = self.ticket_type(guild, type_id).await?;
        let open: Vec<ChannelId> =
            db::tickets::open_panel_of(&self.db, guild, member).await?.into_iter().map(|t| t.channel).collect();
        if open.len() >= usize::try_from(panel.max_open_per_member).unwrap_or(1) {
            return Err(already_open(&open).into());
        }
        if ticket_type.questions.is_empty() {
            return Ok(MenuPick::OpenNow);
        }
        Ok(MenuPick::Form(form(&ticket_type)))
    }

    /// Opens the member's ticket of `type_id` with the form's answers
    /// (`(field custom id, value)`). Idempotent per member: a second submit
    /// finds the first ticket and links it.
    #[tracing::instrument(skip(self, opener, answers), fields(member = %opener.user))]
    pub async fn open_from_menu(
        &self,
        guild: GuildId,
        opener: &Opener,
        type_id: i64,
        answers: &[(String, String)],
    ) -> TicketResult<Outcome> {
        let ticket_type = self.ticket_type(guild, type_id).await?;
        let answers = match_answers(&ticket_type, answers)?;
        let request = OpenRequest {
            guild,
            opener: opener.user,
            opener_name: opener.name.clone(),
            opened_by: opener.user,
            kind: TicketKind::Panel,
            dm_channel: None,
            category: None,
            panel: Some(PanelPick { type_id, type_name: ticket_type.name.clone(), answers: answers.clone() }),
        };
        let ticket = match self.open_ticket(&request).await? {
            Opened::Existing(ticket) => return Err(already_open(&[ticket.channel]).into()),
            Opened::New(ticket) => ticket,
        };
        let support_role = db::panel::settings(&self.db, guild).await?.and_then(|p| p.support_role);
        for message in intake_messages(&ticket_type, ticket.number, opener.user, support_role, &answers) {
            self.discord.send_message(ticket.channel, &message).await?;
        }
        // The control panel, pinned (it is the ticket's status message).
        self.show_assignment(&ticket, None).await?;
        self.log_panel_event(&ticket, super::log::PanelEvent::Opened, None).await;
        self.menu_changed(guild).await;
        Ok(Outcome::Notice(format!("🎫 Your ticket is open: <#{}>", ticket.channel)))
    }

    async fn ticket_type(&self, guild: GuildId, type_id: i64) -> TicketResult<TicketType> {
        db::panel::types(&self.db, guild)
            .await?
            .into_iter()
            .find(|t| t.id == type_id)
            .ok_or_else(|| Refusal::NotFound { what: Missing::PickedTicketType }.into())
    }
}

fn already_open(channels: &[ChannelId]) -> Refusal {
    Refusal::AlreadyOpen { channels: channels.to_vec() }
}

/// The type's questions as a form; field `qN` is question N.
pub fn form(ticket_type: &TicketType) -> Form {
    Form {
        custom_id: format!("{FORM_PREFIX}{}", ticket_type.id),
        title: ticket_type.name.clone(),
        fields: ticket_type
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| FormField {
                custom_id: format!("q{i}"),
                label: q.label.clone(),
                long: q.style == QuestionStyle::Paragraph,
                required: q.required,
                min_length: q.min_length.and_then(|n| u16::try_from(n).ok()),
                max_length: q.max_length.and_then(|n| u16::try_from(n).ok()),
                placeholder: q.placeholder.clone(),
                value: None,
            })
            .collect(),
    }
}

/// The type id a submitted form is for.
pub fn form_type(custom_id: &str) -> Option<i64> {
    custom_id.strip_prefix(FORM_PREFIX)?.parse().ok()
}

/// Pairs each question with its answer; a required one left empty (which
/// Discord prevents, but a stale form could send) is refused.
fn match_answers(ticket_type: &TicketType, given: &[(String, String)]) -> Result<Vec<(String, String)>, Refusal> {
    let mut out = Vec::new();
    for (i, q) in ticket_type.questions.iter().enumerate() {
        let key = format!("q{i}");
        let answer = given.iter().find(|(k, _)| *k == key).map(|(_, v)| v.trim()).unwrap_or_default();
        if answer.is_empty() {
            if q.required {
                return Err(Refusal::Unanswered { question: q.label.clone() });
            }
            continue;
        }
        out.push((q.label.clone(), answer.to_owned()));
    }
    Ok(out)
}

/// The ticket's first messages: who opened it, for what, the support role
/// pinged, and every answer whole (each in its own embed, as many messages
/// as Discord's embed limits need).
pub fn intake_messages(
    ticket_type: &TicketType,
    number: i32,
    opener: UserId,
    support_role: Option<crate::domain::ids::RoleId>,
    answers: &[(String, String)],
) -> Vec<OutgoingMessage> {
    let emoji = ticket_type.emoji.as_deref().map(|e| format!("{e} ")).unwrap_or_default();
    let mut content = format!("{emoji}**{}** ticket #{number} opened by <@{opener}>.", ticket_type.name);
    if let Some(role) = support_role {
        content = format!("<@&{role}> {content}");
    }
    let embeds: Vec<Embed> = answers
        .iter()
        .map(|(question, answer)| Embed {
            title: Some(question.clone()),
            description: Some(answer.clone()),
            color: Some(ANSWER_COLOR),
            ..Embed::default()
        })
        .collect();
    let mut messages = vec![OutgoingMessage {
        content: Some(content),
        ping_roles: support_role.into_iter().collect(),
        ..OutgoingMessage::default()
    }];
    let mut used = 0;
    for embed in embeds {
        let size = embed.title.as_deref().map_or(0, str::len) + embed.description.as_deref().map_or(0, str::len);
        let last = messages.last_mut().filter(|m| m.embeds.len() < EMBEDS_PER_MESSAGE && used + size <= EMBED_BUDGET);
        match last {
            Some(message) => message.embeds.push(embed),
            None => {
                used = 0;
                messages.push(OutgoingMessage { embeds: vec![embed], ..OutgoingMessage::default() });
            }
        }
        used += size;
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::panel::Question;

    fn billing() -> TicketType {
        TicketType {
            id: 9,
            name: "Billing".into(),
            description: String::new(),
            emoji: Some("💳".into()),
            questions: vec![
                Question {
                    label: "Invoice".into(),
                    style: QuestionStyle::Short,
                    required: false,
                    min_length: None,
                    max_length: Some(100),
                    placeholder: None,
                },
                Question {
                    label: "Problem".into(),
                    style: QuestionStyle::Paragraph,
                    required: true,
                    min_length: None,
                    max_length: Some(4000),
                    placeholder: None,
                },
            ],
        }
    }

    #[test]
    fn a_type_becomes_a_form_with_one_field_per_question() {
        let form = form(&billing());
        assert_eq!(form.custom_id, "panel:form:9");
        assert_eq!(form_type(&form.custom_id), Some(9));
        assert_eq!(form.fields.len(), 2);
        assert!(!form.fields[0].long && form.fields[1].long && form.fields[1].required);
    }

    #[test]
    fn answers_are_paired_with_questions_and_required_ones_enforced() {
        let given = vec![("q1".to_owned(), "charged twice".to_owned()), ("q0".to_owned(), " ".to_owned())];
        assert_eq!(
            match_answers(&billing(), &given).unwrap(),
            vec![("Problem".to_owned(), "charged twice".to_owned())]
        );
        assert!(match_answers(&billing(), &[]).is_err());
    }

    #[test]
    fn long_answers_arrive_whole_across_messages() {
        let answers: Vec<(String, String)> = (0..5).map(|i| (format!("Q{i}"), "x".repeat(4000))).collect();
        let messages = intake_messages(&billing(), 42, UserId(1), Some(crate::domain::ids::RoleId(7)), &answers);
        assert_eq!(messages.iter().map(|m| m.embeds.len()).sum::<usize>(), 5);
        for m in &messages {
            let size: usize = m.embeds.iter().map(|e| e.description.as_deref().unwrap_or_default().len() + 2).sum();
            assert!(size <= 6000 && m.embeds.len() <= 10);
        }
        assert_eq!(messages[0].ping_roles, vec![crate::domain::ids::RoleId(7)]);
        assert!(messages[0].content.as_deref().unwrap().contains("**Billing** ticket #42"));
    }
}
