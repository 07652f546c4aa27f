//! The slash commands Ticketeer registers with Discord (a global bulk
//! overwrite, idempotent, done at start-up by cluster 0).

use twilight_model::application::command::{Command, CommandType};
use twilight_model::application::interaction::InteractionContextType;
use twilight_model::channel::ChannelType;
use twilight_model::guild::Permissions;
use twilight_util::builder::command::{
    BooleanBuilder, ChannelBuilder, CommandBuilder, IntegerBuilder, RoleBuilder, StringBuilder, SubCommandBuilder,
};

/// Longest reply a slash command accepts; Discord's option limit is 6000 and an
/// embed description holds 4096.
pub const REPLY_MAX_LENGTH: u16 = 4000;

pub fn all() -> Vec<Command> {
    vec![
        modmail(),
        reply(),
        close(),
        edit(),
        delete(),
        staff("force_close", "Close an orphaned ticket without messaging anyone"),
        staff("id", "Show the ticket user's Discord id"),
    ]
}

fn modmail() -> Command {
    CommandBuilder::new("modmail", "Configure modmail for this server", CommandType::ChatInput)
        .default_member_permissions(Permissions::MANAGE_GUILD)
        .contexts([InteractionContextType::Guild])
        .option(
            SubCommandBuilder::new("setup", "Choose where modmail tickets open and who answers them")
                .option(
                    ChannelBuilder::new("inbox-category", "The category where ticket channels are created")
                        .channel_types([ChannelType::GuildCategory])
                        .required(true),
                )
                .option(RoleBuilder::new("staff-role", "The role that sees and answers tickets").required(true))
                .option(
                    ChannelBuilder::new("log-channel", "Where ticket events are logged")
                        .channel_types([ChannelType::GuildText]),
                ),
        )
        .build()
}

fn reply() -> Command {
    CommandBuilder::new("reply", "Reply to the user of this ticket", CommandType::ChatInput)
        .default_member_permissions(Permissions::SEND_MESSAGES)
        .contexts([InteractionContextType::Guild])
        .option(StringBuilder::new("content", "What to send").required(true).max_length(REPLY_MAX_LENGTH))
        .option(BooleanBuilder::new("anonymous", "Hide your name from the user"))
        .build()
}

fn close() -> Command {
    CommandBuilder::new("close", "Close this ticket", CommandType::ChatInput)
        .default_member_permissions(Permissions::SEND_MESSAGES)
        .contexts([InteractionContextType::Guild])
        .option(BooleanBuilder::new("silent", "Close without messaging the user"))
        .build()
}

/// A staff command without options.
fn staff(name: &str, description: &str) -> Command {
    CommandBuilder::new(name, description, CommandType::ChatInput)
        .default_member_permissions(Permissions::SEND_MESSAGES)
        .contexts([InteractionContextType::Guild])
        .build()
}

fn edit() -> Command {
    CommandBuilder::new("edit", "Edit one of your replies in this ticket (both copies)", CommandType::ChatInput)
        .default_member_permissions(Permissions::SEND_MESSAGES)
        .contexts([InteractionContextType::Guild])
        .option(IntegerBuilder::new("message_id", "The reply's number, from its footer").required(true).min_value(1))
        .option(StringBuilder::new("new_content", "The new text").required(true).max_length(REPLY_MAX_LENGTH))
        .build()
}

fn delete() -> Command {
    CommandBuilder::new("delete", "Delete a reply in this ticket (both copies)", CommandType::ChatInput)
        .default_member_permissions(Permissions::SEND_MESSAGES)
        .contexts([InteractionContextType::Guild])
        .option(IntegerBuilder::new("message_id", "The reply's number, from its footer").required(true).min_value(1))
        .build()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_command_passes_discord_validation() {
        for command in super::all() {
            twilight_validate::command::command(&command).unwrap_or_else(|e| panic!("{}: {e}", command.name));
        }
    }
}
