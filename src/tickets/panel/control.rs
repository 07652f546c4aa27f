//! The control panel pinned in every panel ticket: **Claim** (staff: the
//! ticket becomes theirs; the button greys out and names them), **Add User**
//! (staff: a form asks for a member's id, who then sees the channel) and
//! **Close** (the opener or staff, after a confirmation). The panel is the
//! ticket's status message, so `/take` and `/release` update it too.

use super::super::error::{Refusal, TicketResult};
use super::super::outcome::Outcome;
use super::super::ports::{ChoiceMenu, ChoiceOption, Embed, Form, FormField, OutgoingMessage};
use super::super::TicketService;
use crate::db;
use crate::domain::ids::{ChannelId, GuildId, UserId};
use crate::domain::{actor::Actor, ticket::Ticket};

/// Custom id of the panel's buttons: `panel:control:{claim|add-user|close}`.
pub const CONTROL: &str = "panel:control";
/// The confirmation button Close answers with.
pub const CLOSE_CONFIRM: &str = "panel:close-confirm";
/// The Add User form and its one field.
pub const ADD_USER_FORM: &str = "panel:add-user";
pub const ADD_USER_FIELD: &str = "user";
const PANEL_COLOR: u32 = 0x5865F2;

/// A button of the control panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlButton {
    Claim,
    AddUser,
    Close,
}

impl ControlButton {
    pub fn from_custom_id(custom_id: &str) -> Option<Self> {
        match custom_id.strip_prefix(CONTROL)?.strip_prefix(':')? {
            "claim" => Some(Self::Claim),
            "add-user" => Some(Self::AddUser),
            "close" => Some(Self::Close),
            _ => None,
        }
    }
}

/// The panel, showing who claimed the ticket, if anyone.
pub fn control_panel(ticket: &Ticket, claimed: Option<(UserId, &str)>) -> OutgoingMessage {
    let state = match claimed {
        Some((id, _)) => format!("Claimed by <@{id}>."),
        None => "Not claimed yet.".to_owned(),
    };
    let embed = Embed {
        title: Some(format!("Ticket #{}", ticket.number)),
        description: Some(format!(
            "{state}\n**Claim** takes this ticket on (staff). **Add User** lets another member in (staff). \
             **Close** closes it after a confirmation (staff, or the member who opened it)."
        )),
        color: Some(PANEL_COLOR),
        ..Embed::default()
    };
    let button =
        |label: String, value: &str| ChoiceOption { label, value: value.to_owned(), ..ChoiceOption::default() };
    let claim = match claimed {
        Some((_, name)) => ChoiceOption {
            disabled: true,
            ..button(super::super::render::truncate(&format!("Claimed by {name}"), 80), "claim")
        },
        None => ChoiceOption { emoji: Some("🙋".into()), ..button("Claim".into(), "claim") },
    };
    let options = vec![
        claim,
        ChoiceOption { emoji: Some("➕".into()), ..button("Add User".into(), "add-user") },
        ChoiceOption { emoji: Some("🔒".into()), danger: true, ..button("Close".into(), "close") },
    ];
    OutgoingMessage {
        embeds: vec![embed],
        menu: Some(Box::new(ChoiceMenu {
            custom_id: CONTROL.to_owned(),
            placeholder: String::new(),
            options,
            buttons: true,
        })),
        ..OutgoingMessage::default()
    }
}

/// The confirmation Close asks for (shown only to who pressed it).
pub fn close_confirmation() -> OutgoingMessage {
    OutgoingMessage {
        content: Some("Close this ticket? The channel will be deleted.".to_owned()),
        menu: Some(Box::new(ChoiceMenu {
            custom_id: CLOSE_CONFIRM.to_owned(),
            placeholder: String::new(),
            options: vec![ChoiceOption {
                label: "Close the ticket".into(),
                value: "yes".into(),
                danger: true,
                ..ChoiceOption::default()
            }],
            buttons: true,
        })),
        ..OutgoingMessage::default()
    }
}

/// The Add User form.
pub fn add_user_form() -> Form {
    Form {
        custom_id: ADD_USER_FORM.to_owned(),
        title: "Add a member to this ticket".to_owned(),
        fields: vec![FormField {
            custom_id: ADD_USER_FIELD.to_owned(),
            label: "The member's user id".to_owned(),
            long: false,
            required: true,
            min_length: Some(15),
            max_length: Some(22),
            placeholder: Some("Right-click the member → Copy User ID".to_owned()),
            value: None,
        }],
    }
}

impl TicketService {
    /// Close pressed: who may close this ticket (the opener or staff) gets
    /// the confirmation; anyone else a refusal.
    #[tracing::instrument(skip(self, actor))]
    pub async fn may_close_panel_ticket(&self, guild: GuildId, channel: ChannelId, actor: &Actor) -> TicketResult<()> {
        self.closable_ticket(guild, channel, actor).await.map(|_| ())
    }

    /// Close confirmed: the ticket closes (any path that closes a ticket
    /// also updates the menu).
    #[tracing::instrument(skip(self, actor))]
    pub async fn close_panel_ticket(&self, guild: GuildId, channel: ChannelId, actor: &Actor) -> TicketResult<Outcome> {
        let ticket = self.closable_ticket(guild, channel, actor).await?;
        self.close_ticket(&ticket, Some(actor.user), false).await
    }

    async fn closable_ticket(&self, guild: GuildId, channel: ChannelId, actor: &Actor) -> TicketResult<Ticket> {
        let ticket = db::tickets::open_by_channel(&self.db, channel)
            .await?
            .filter(|t| t.guild == guild)
            .ok_or_else(|| Refusal::InvalidInput("This ticket is already closed.".into()))?;
        let settings = db::settings::get(&self.db, guild).await?;
        if actor.user != ticket.opener && !self.is_ticket_staff(&ticket, actor, &settings).await? {
            return Err(
                Refusal::InvalidInput("Only staff or the member who opened this ticket can close it.".into()).into()
            );
        }
        Ok(ticket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_are_named_by_their_custom_ids() {
        assert_eq!(ControlButton::from_custom_id("panel:control:claim"), Some(ControlButton::Claim));
        assert_eq!(ControlButton::from_custom_id("panel:control:add-user"), Some(ControlButton::AddUser));
        assert_eq!(ControlButton::from_custom_id("panel:control:close"), Some(ControlButton::Close));
        assert_eq!(ControlButton::from_custom_id("panel:controlx:close"), None);
    }
}
