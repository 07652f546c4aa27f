//! Staff and admin commands: one [`Command`] value whether it came from a
//! slash command or a text command, executed by one function.

pub mod definitions;
pub mod slash;
pub mod text;

use crate::tickets::ids::{ChannelId, GuildId};
use crate::tickets::model::Actor;
use crate::tickets::reply::StaffContext;
use crate::tickets::setup::ModmailSetup;
use crate::tickets::{Outcome, TicketResult, TicketService};

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Reply { content: String, anonymous: bool },
    Close { silent: bool },
    ForceClose,
    Id,
    Edit { number: i32, content: String },
    Delete { number: i32 },
    ModmailSetup { inbox_category: u64, staff_role: u64, log_channel: Option<u64> },
}

impl Command {
    /// Commands whose work removes the place they were invoked from (closing
    /// deletes the channel): an interaction must be acknowledged before.
    pub fn acknowledge_first(&self) -> bool {
        matches!(self, Self::Close { .. } | Self::ForceClose)
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
}

/// Runs a command, whatever its entry point.
pub async fn execute(tickets: &TicketService, command: Command, at: &Invocation) -> TicketResult<Outcome> {
    let ctx = StaffContext { guild: at.guild, channel: at.channel, actor: at.actor.clone(), source: at.source };
    match command {
        Command::Reply { content, anonymous } => tickets.reply(&ctx, &content, anonymous).await,
        Command::Close { silent } => tickets.close(&ctx, silent).await,
        Command::ForceClose => tickets.force_close(&ctx).await,
        Command::Id => tickets.opener_id(&ctx).await,
        Command::Edit { number, content } => tickets.edit_staff_message(&ctx, number, &content).await,
        Command::Delete { number } => tickets.delete_staff_message(&ctx, number).await,
        Command::ModmailSetup { inbox_category, staff_role, log_channel } => {
            let setup = ModmailSetup {
                inbox_category: ChannelId(inbox_category),
                staff_role: crate::tickets::ids::RoleId(staff_role),
                log_channel: log_channel.map(ChannelId),
            };
            tickets.setup_modmail(at.guild, &at.actor, &setup).await
        }
    }
}
