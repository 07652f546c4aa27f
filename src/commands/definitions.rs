//! The slash commands Ticketeer registers with Discord (a global bulk
//! overwrite, idempotent, done at start-up by cluster 0).

use twilight_model::application::command::{Command, CommandOption, CommandType};
use twilight_model::application::interaction::InteractionContextType;
use twilight_model::channel::ChannelType;
use twilight_model::guild::Permissions;
use twilight_util::builder::command::{
    AttachmentBuilder, BooleanBuilder, ChannelBuilder, CommandBuilder, IntegerBuilder, RoleBuilder, StringBuilder,
    SubCommandBuilder, UserBuilder,
};

use crate::tickets::modmail::setting_specs::{SettingKind, SettingSpec, SETTINGS};

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
        staff("take", "Assign this ticket to yourself"),
        staff("recover", "Fetch messages the user sent while the bot was offline"),
        staff("release", "Remove the assignment of this ticket"),
        staff("logs", "Show this ticket's activity and the user's earlier tickets"),
        with_user("add_staff", "Give a member access to this ticket"),
        with_user("remove_staff", "Remove a member's own access to this ticket"),
        with_user("new_thread", "Open a modmail ticket for a member"),
        with_user("unblock", "Let a blocked user open tickets again"),
        block(),
        add_reminder(),
        remove_reminder(),
        alert(),
        snippet(),
        category(),
        move_thread(),
        ticket(),
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
        .option(settings())
        .option(SubCommandBuilder::new(
            "disable",
            "Turn modmail off: members can no longer DM me to reach staff (set it up again to turn it on)",
        ))
        .build()
}

/// `/modmail settings`: with no option it shows them; each option changes one.
fn settings() -> SubCommandBuilder {
    SETTINGS
        .iter()
        .fold(SubCommandBuilder::new("settings", "Show or change this server's modmail settings"), |command, spec| {
            command.option(setting_option(spec))
        })
}

/// One setting as a `/modmail settings` option, built from the settings
/// table so the command offers exactly the settings the core knows. Values
/// reach the core as text (`option_text` in `slash.rs`) and are read there
/// as `!modmail set` reads them.
fn setting_option(spec: &SettingSpec) -> CommandOption {
    let (name, about) = (spec.name, spec.description);
    // Durations are typed as in chat (`2h`), so they are strings here.
    let duration = |hint: String| StringBuilder::new(name, format!("{about}: {hint}")).max_length(20).build();
    match spec.kind {
        SettingKind::Text { max, resets: false } => {
            StringBuilder::new(name, format!("{about} (1-{max} characters)")).max_length(option_length(max)).build()
        }
        SettingKind::Text { max, resets: true } => {
            StringBuilder::new(name, format!("{about}; `default` resets")).max_length(option_length(max)).build()
        }
        SettingKind::Flag => BooleanBuilder::new(name, about).build(),
        SettingKind::Choice(words) => {
            StringBuilder::new(name, about).choices(words.iter().map(|word| (*word, *word))).build()
        }
        SettingKind::Category => ChannelBuilder::new(name, about).channel_types([ChannelType::GuildCategory]).build(),
        SettingKind::Delay => duration("30m, 2h, 1d (off: at once)".to_owned()),
        SettingKind::Seconds { min, max } => duration(format!("seconds ({min}-{max}), or 5m")),
    }
}

/// A text limit as Discord's option length (at most 6,000).
fn option_length(max: usize) -> u16 {
    u16::try_from(max).unwrap_or(u16::MAX).min(6000)
}

/// `/category`: the modmail categories users pick from.
fn category() -> Command {
    let name = || StringBuilder::new("name", "The category's name").required(true).max_length(80);
    let discord_category = |required: bool| {
        ChannelBuilder::new("discord_category", "The Discord category its tickets open in")
            .channel_types([ChannelType::GuildCategory])
            .required(required)
    };
    let description = || StringBuilder::new("description", "Shown under its name in the menu").max_length(100);
    let emoji = || StringBuilder::new("emoji", "One emoji, like 💳, or a server emoji").max_length(64);
    CommandBuilder::new("category", "Ticket categories users pick from", CommandType::ChatInput)
        .default_member_permissions(Permissions::MANAGE_GUILD)
        .contexts([InteractionContextType::Guild])
        .option(
            SubCommandBuilder::new("create", "Add a category")
                .option(discord_category(true))
                .option(name())
                .option(description())
                .option(emoji()),
        )
        .option(SubCommandBuilder::new("list", "Show the categories and the prompt's settings"))
        .option(
            SubCommandBuilder::new("edit", "Change a category")
                .option(name())
                .option(StringBuilder::new("new_name", "Its new name").max_length(80))
                .option(description())
                .option(emoji())
                .option(discord_category(false)),
        )
        .option(SubCommandBuilder::new("delete", "Delete a category").option(name()))
        .option(SubCommandBuilder::new("on", "Ask users to pick a category before their ticket opens"))
        .option(SubCommandBuilder::new("off", "Open tickets in the inbox without asking"))
        .option(SubCommandBuilder::new("timeout", "How long the prompt waits before using the inbox").option(
            IntegerBuilder::new("seconds", "Seconds (10 to 86400)").required(true).min_value(10).max_value(86_400),
        ))
        .build()
}

/// `/ticket`: panel tickets (the ticket menu).
fn ticket() -> Command {
    CommandBuilder::new("ticket", "Set up the ticket menu", CommandType::ChatInput)
        .default_member_permissions(Permissions::MANAGE_GUILD)
        .contexts([InteractionContextType::Guild])
        .option(
            SubCommandBuilder::new("setup", "Post the ticket menu and choose where tickets open")
                .option(
                    ChannelBuilder::new("menu-channel", "Where the ticket menu is posted")
                        .channel_types([ChannelType::GuildText])
                        .required(true),
                )
                .option(
                    ChannelBuilder::new("category", "The category ticket channels are created in")
                        .channel_types([ChannelType::GuildCategory])
                        .required(true),
                )
                .option(
                    ChannelBuilder::new("log-channel", "Where openings, closings, claims and added users are logged")
                        .channel_types([ChannelType::GuildText]),
                )
                .option(RoleBuilder::new("support-role", "Pinged on new tickets; answers them"))
                .option(
                    IntegerBuilder::new("max-open-tickets", "Open tickets a member may have at once (default 1)")
                        .min_value(1)
                        .max_value(10),
                ),
        )
        .option(SubCommandBuilder::new("admin", "Manage the ticket types and their questions"))
        .build()
}

fn move_thread() -> Command {
    CommandBuilder::new("move_thread", "Move this ticket to another category", CommandType::ChatInput)
        .default_member_permissions(Permissions::SEND_MESSAGES)
        .contexts([InteractionContextType::Guild])
        .option(StringBuilder::new("category", "The category's name").required(true).max_length(80))
        .build()
}

fn reply() -> Command {
    CommandBuilder::new("reply", "Reply to the user of this ticket", CommandType::ChatInput)
        .default_member_permissions(Permissions::SEND_MESSAGES)
        .contexts([InteractionContextType::Guild])
        .option(StringBuilder::new("content", "What to send").required(true).max_length(REPLY_MAX_LENGTH))
        .option(BooleanBuilder::new("anonymous", "Hide your name from the user"))
        .option(AttachmentBuilder::new("attachment", "A file to send (up to 10 MB)"))
        .build()
}

fn close() -> Command {
    CommandBuilder::new("close", "Close this ticket, now or later", CommandType::ChatInput)
        .default_member_permissions(Permissions::SEND_MESSAGES)
        .contexts([InteractionContextType::Guild])
        .option(BooleanBuilder::new("silent", "Close without messaging the user"))
        .option(StringBuilder::new("time", "Close after a delay: 30m, 2h, 1d, 1d12h (or now)").max_length(20))
        .option(BooleanBuilder::new("cancel", "Cancel a scheduled close"))
        .build()
}

/// A staff command that takes one user.
fn with_user(name: &str, description: &str) -> Command {
    CommandBuilder::new(name, description, CommandType::ChatInput)
        .default_member_permissions(Permissions::SEND_MESSAGES)
        .contexts([InteractionContextType::Guild])
        .option(UserBuilder::new("user", "The member").required(true))
        .build()
}

fn block() -> Command {
    CommandBuilder::new("block", "Stop a user's DMs from opening tickets here", CommandType::ChatInput)
        .default_member_permissions(Permissions::SEND_MESSAGES)
        .contexts([InteractionContextType::Guild])
        .option(UserBuilder::new("user", "Who to block").required(true))
        .option(StringBuilder::new("duration", "How long: 30m, 2h, 7d (default: until unblocked)").max_length(20))
        .option(StringBuilder::new("reason", "Why (kept for staff)").max_length(500))
        .build()
}

fn add_reminder() -> Command {
    CommandBuilder::new("add_reminder", "Get pinged in this ticket after a delay", CommandType::ChatInput)
        .default_member_permissions(Permissions::SEND_MESSAGES)
        .contexts([InteractionContextType::Guild])
        .option(StringBuilder::new("time", "When: 30m, 2h, 1d, 1d12h").required(true).max_length(20))
        .option(StringBuilder::new("content", "What to remind you of").required(true).max_length(1000))
        .build()
}

fn remove_reminder() -> Command {
    CommandBuilder::new("remove_reminder", "Remove a reminder of this ticket", CommandType::ChatInput)
        .default_member_permissions(Permissions::SEND_MESSAGES)
        .contexts([InteractionContextType::Guild])
        .option(IntegerBuilder::new("reminder_id", "The reminder's number").required(true).min_value(1))
        .build()
}

fn snippet() -> Command {
    let name =
        || StringBuilder::new("name", "The snippet's name (letters, digits, - and _)").required(true).max_length(32);
    let content = || {
        StringBuilder::new("content", "The text ({user}, {guild}, {ticket_number}, {staff} are filled in)")
            .required(true)
            .max_length(REPLY_MAX_LENGTH)
    };
    CommandBuilder::new("snippet", "Saved answers", CommandType::ChatInput)
        .default_member_permissions(Permissions::SEND_MESSAGES)
        .contexts([InteractionContextType::Guild])
        .option(SubCommandBuilder::new("create", "Save a new answer").option(name()).option(content()))
        .option(SubCommandBuilder::new("edit", "Change a saved answer").option(name()).option(content()))
        .option(SubCommandBuilder::new("delete", "Delete a saved answer").option(name()))
        .option(SubCommandBuilder::new("list", "List the saved answers"))
        .option(
            SubCommandBuilder::new("send", "Send a saved answer to this ticket's user")
                .option(name())
                .option(BooleanBuilder::new("anonymous", "Hide your name from the user")),
        )
        .build()
}

fn alert() -> Command {
    CommandBuilder::new("alert", "Get pinged when the user next writes", CommandType::ChatInput)
        .default_member_permissions(Permissions::SEND_MESSAGES)
        .contexts([InteractionContextType::Guild])
        .option(BooleanBuilder::new("cancel", "Cancel your alert"))
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
