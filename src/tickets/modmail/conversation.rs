//! What tells a user where their DMs go: the "switch server" button on the
//! bot's messages, the server menu it opens, and the notice a user gets when
//! staff open a ticket *for* them (which never captures their DMs; see
//! `routing.rs`).

use super::super::ports::{ChoiceMenu, ChoiceOption, OutgoingMessage};
use crate::db::members::ModmailGuild;

/// Custom id (prefix) of the "switch server" button in DMs.
pub const SWITCH_GUILD_BUTTON: &str = "modmail:switch-guild";

/// The "switch server" button, as a row under a DM.
pub fn switch_button() -> ChoiceMenu {
    ChoiceMenu {
        custom_id: SWITCH_GUILD_BUTTON.to_owned(),
        placeholder: String::new(),
        options: vec![ChoiceOption {
            label: "Switch server".to_owned(),
            value: "menu".to_owned(),
            emoji: Some("🔀".to_owned()),
            ..ChoiceOption::default()
        }],
        buttons: true,
    }
}

/// The server menu opened by "switch server": the user's open tickets and
/// modmail servers, the current one marked.
pub fn switch_guild_prompt(guilds: &[ModmailGuild], current: Option<crate::domain::ids::GuildId>) -> OutgoingMessage {
    let now = current
        .and_then(|c| guilds.iter().find(|g| g.guild == c))
        .map(|g| format!("Your messages go to **{}** now. ", g.name))
        .unwrap_or_default();
    OutgoingMessage {
        content: Some(format!("{now}Which server should your next messages go to?")),
        menu: Some(Box::new(super::super::render::guild_choice_menu(guilds, current))),
        ..OutgoingMessage::default()
    }
}

/// Where a staff-opened ticket leaves the user's DMs.
pub enum StaffOpenedReach<'a> {
    /// Their DMs go to this ticket (it is their only conversation).
    Here,
    /// Their DMs keep going to another server until they switch.
    Elsewhere { current: &'a str },
    /// A server menu they have not answered holds their messages.
    MenuWaiting,
}

/// Sent under the welcome text when staff open a ticket for a user: which
/// server it is, and how to talk to it.
pub fn staff_opened_note(guild_name: &str, number: i32, reach: StaffOpenedReach<'_>) -> String {
    match reach {
        StaffOpenedReach::Here => format!(
            "-# Staff of **{guild_name}** opened ticket #{number} with you. Reply here to answer them."
        ),
        StaffOpenedReach::Elsewhere { current } => format!(
            "-# Staff of **{guild_name}** opened ticket #{number} with you. Your messages still go to **{current}**: press **Switch server** to answer **{guild_name}** instead."
        ),
        StaffOpenedReach::MenuWaiting => format!(
            "-# Staff of **{guild_name}** opened ticket #{number} with you. Your messages wait for your pick in the server menu above: pick **{guild_name}** there, or press **Switch server**, to answer them."
        ),
    }
}

impl super::super::TicketService {
    /// The DM for a user whose ticket staff opened (`/new_thread`, a channel
    /// named with their id): the guild's welcome when their DMs will reach
    /// this ticket, else only where their messages go now; always with the
    /// "switch server" button when they have another conversation.
    pub(crate) async fn staff_opened_message(
        &self,
        ticket: &crate::domain::ticket::Ticket,
        opener_name: &str,
        staff_name: Option<&str>,
    ) -> super::super::error::TicketResult<OutgoingMessage> {
        use crate::db;
        let guild_name = db::guilds::name(&self.db, ticket.guild).await?.unwrap_or_default();
        let open = db::tickets::open_modmail_of_user(&self.db, ticket.opener).await?;
        let conversation = db::conversations::get(&self.db, ticket.opener).await?;
        let current = match conversation {
            Some(c) if c.guild != ticket.guild && open.iter().any(|t| t.guild == c.guild) => Some(c.guild),
            // No conversation yet, but other tickets: the user will be asked;
            // name the oldest, which they opened first.
            _ => open.iter().find(|t| t.guild != ticket.guild).map(|t| t.guild),
        };
        // An expired menu holds nothing the user can still pick from: their
        // next DM asks again.
        let menu_waiting =
            db::choices::get(&self.db, ticket.opener).await?.is_some_and(|c| c.chosen.is_none() && !c.expired);
        let mut message = match current {
            None if menu_waiting => {
                let note = staff_opened_note(&guild_name, ticket.number, StaffOpenedReach::MenuWaiting);
                OutgoingMessage::text(note.trim_start_matches("-# ").to_owned())
            }
            None => {
                let welcome =
                    self.guild_text(ticket, crate::templates::Template::Welcome, Some(opener_name), staff_name).await?;
                let note = staff_opened_note(&guild_name, ticket.number, StaffOpenedReach::Here);
                OutgoingMessage::text(format!("{welcome}\n{note}"))
            }
            Some(other) => {
                let current = db::guilds::name(&self.db, other).await?.unwrap_or_else(|| other.to_string());
                let note =
                    staff_opened_note(&guild_name, ticket.number, StaffOpenedReach::Elsewhere { current: &current });
                OutgoingMessage::text(note.trim_start_matches("-# ").to_owned())
            }
        };
        if open.len() > 1 || menu_waiting {
            message.more_menus.push(switch_button());
        }
        Ok(message)
    }
}
