//! Staff and admin commands: one [`Command`] value whether it came from a
//! slash command or a text command, executed by one function.

pub mod categories;
pub mod definitions;
pub mod settings;
pub mod setup;
pub mod slash;
pub mod snippets;
pub mod text;

use std::time::Duration;

pub use self::categories::CategoryAction;
pub use self::snippets::SnippetAction;
use crate::domain::actor::Actor;
use crate::domain::dm::Attachment;
use crate::domain::ids::{ChannelId, GuildId, UserId};
pub use crate::domain::panel::PanelSetup;
pub use crate::tickets::close::CloseWhen;
use crate::tickets::modmail::setup::ModmailSetup;
use crate::tickets::reply::StaffContext;
use crate::tickets::{Outcome, TicketResult, TicketService};

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Reply {
        content: String,
        anonymous: bool,
    },
    Close {
        silent: bool,
        when: CloseWhen,
    },
    ForceClose,
    Id,
    Edit {
        number: i32,
        content: String,
    },
    Delete {
        number: i32,
    },
    Take,
    Release,
    AddStaff {
        user: UserId,
    },
    RemoveStaff {
        user: UserId,
    },
    AddReminder {
        delay: Duration,
        content: String,
    },
    RemoveReminder {
        number: i32,
    },
    Alert {
        cancel: bool,
    },
    Logs,
    NewThread {
        user: UserId,
    },
    Block {
        user: UserId,
        length: Option<Duration>,
        reason: String,
    },
    Unblock {
        user: UserId,
    },
    Snippet(SnippetAction),
    SendSnippet {
        name: String,
        anonymous: bool,
    },
    Recover,
    Category(CategoryAction),
    TicketSetup(PanelSetup),
    MoveThread {
        category: String,
    },
    ModmailSetup(ModmailSetup),
    /// Turns modmail off (`/modmail disable`); setting it up again turns it on.
    ModmailDisable,
    /// No changes: show the settings.
    ModmailSettings {
        changes: Vec<(String, String)>,
    },
}

impl Command {
    /// Commands whose work may remove the place they were invoked from (closing
    /// deletes the channel): an interaction must be acknowledged before.
    pub fn acknowledge_first(&self) -> bool {
        matches!(self, Self::Close { when: CloseWhen::Now | CloseWhen::GuildDefault, .. } | Self::ForceClose)
    }
}

/// Where and by whom a command was invoked.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub guild: GuildId,
    pub channel: ChannelId,
    pub actor: Actor,
    /// The command message id or the interaction id (replays share it).
    pub source: u64,
    /// Files attached to the command message or interaction.
    pub attachments: Vec<Attachment>,
}

/// Runs a command, whatever its entry point.
pub async fn execute(tickets: &TicketService, command: Command, at: &Invocation) -> TicketResult<Outcome> {
    let ctx = StaffContext {
        guild: at.guild,
        channel: at.channel,
        actor: at.actor.clone(),
        source: at.source,
        attachments: at.attachments.clone(),
    };
    match command {
        Command::Reply { content, anonymous } => tickets.reply(&ctx, &content, anonymous).await,
        Command::Close { silent, when } => tickets.close(&ctx, silent, when).await,
        Command::ForceClose => tickets.force_close(&ctx).await,
        Command::Id => tickets.opener_id(&ctx).await,
        Command::Edit { number, content } => tickets.edit_staff_message(&ctx, number, &content).await,
        Command::Delete { number } => tickets.delete_staff_message(&ctx, number).await,
        Command::Take => tickets.take(&ctx).await,
        Command::Release => tickets.release(&ctx).await,
        Command::AddStaff { user } => tickets.add_staff(&ctx, user).await,
        Command::RemoveStaff { user } => tickets.remove_staff(&ctx, user).await,
        Command::AddReminder { delay, content } => tickets.add_reminder(&ctx, delay, &content).await,
        Command::RemoveReminder { number } => tickets.remove_reminder(&ctx, number).await,
        Command::Alert { cancel } => tickets.alert(&ctx, cancel).await,
        Command::Logs => tickets.logs(&ctx).await,
        Command::NewThread { user } => tickets.new_ticket_for(at.guild, &at.actor, user).await,
        Command::Block { user, length, reason } => tickets.block(at.guild, &at.actor, user, length, &reason).await,
        Command::Unblock { user } => tickets.unblock(at.guild, &at.actor, user).await,
        Command::Recover => tickets.recover_ticket(&ctx).await,
        Command::Category(action) => categories::manage(tickets, at.guild, &at.actor, action).await,
        Command::MoveThread { category } => tickets.move_ticket(&ctx, &category).await,
        Command::TicketSetup(setup) => setup::panel(tickets, at.guild, &at.actor, &setup).await,
        Command::Snippet(action) => snippets::manage(tickets, at.guild, &at.actor, action).await,
        Command::SendSnippet { name, anonymous } => tickets.send_snippet(&ctx, &name, anonymous).await,
        Command::ModmailSettings { changes } => settings::show_or_change(tickets, at.guild, &at.actor, &changes).await,
        Command::ModmailDisable => setup::disable_modmail(tickets, at.guild, &at.actor).await,
        Command::ModmailSetup(setup) => setup::modmail(tickets, at.guild, &at.actor, &setup).await,
    }
}
