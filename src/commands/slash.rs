//! Slash commands: interaction data into the same [`Command`] text commands make.

use twilight_model::application::interaction::application_command::{
    CommandData, CommandDataOption, CommandOptionValue,
};

use super::{CategoryAction, CloseWhen, Command, SnippetAction};
use crate::domain::ids::{ChannelId, RoleId, UserId};
use crate::tickets::duration;
use crate::tickets::modmail::setup::ModmailSetup;

/// `None` for a command we do not know (registered by an older version).
pub fn parse(data: &CommandData) -> Option<Result<Command, String>> {
    let command = match data.name.as_str() {
        "reply" => Ok(Command::Reply {
            content: string(&data.options, "content").unwrap_or_default(),
            anonymous: boolean(&data.options, "anonymous").unwrap_or(false),
        }),
        "close" => close(&data.options),
        "take" => Ok(Command::Take),
        "recover" => Ok(Command::Recover),
        "release" => Ok(Command::Release),
        "logs" => Ok(Command::Logs),
        "alert" => Ok(Command::Alert { cancel: boolean(&data.options, "cancel").unwrap_or(false) }),
        "add_staff" => user(&data.options).map(|user| Command::AddStaff { user }),
        "remove_staff" => user(&data.options).map(|user| Command::RemoveStaff { user }),
        "new_thread" => user(&data.options).map(|user| Command::NewThread { user }),
        "unblock" => user(&data.options).map(|user| Command::Unblock { user }),
        "block" => user(&data.options).and_then(|user| {
            let length = string(&data.options, "duration").map(|d| duration::parse(&d)).transpose()?;
            Ok(Command::Block { user, length, reason: string(&data.options, "reason").unwrap_or_default() })
        }),
        "snippet" => snippet(data),
        "category" => category(data),
        "ticket" => ticket(data),
        "move_thread" => Ok(Command::MoveThread { category: string(&data.options, "category").unwrap_or_default() }),
        "add_reminder" => match string(&data.options, "time").map(|t| duration::parse(&t)) {
            Some(Ok(delay)) => {
                Ok(Command::AddReminder { delay, content: string(&data.options, "content").unwrap_or_default() })
            }
            Some(Err(e)) => Err(e),
            None => Err(format!("Give a delay: {}.", duration::FORMATS)),
        },
        "remove_reminder" => match integer(&data.options, "reminder_id") {
            Some(number) => Ok(Command::RemoveReminder { number }),
            None => Err("Give the reminder's number (it was shown when the reminder was set).".to_owned()),
        },
        "force_close" => Ok(Command::ForceClose),
        "id" => Ok(Command::Id),
        "edit" => match integer(&data.options, "message_id") {
            Some(number) => {
                Ok(Command::Edit { number, content: string(&data.options, "new_content").unwrap_or_default() })
            }
            None => Err("Give the number of the message to edit (it is in the reply's footer).".to_owned()),
        },
        "delete" => match integer(&data.options, "message_id") {
            Some(number) => Ok(Command::Delete { number }),
            None => Err("Give the number of the message to delete (it is in the reply's footer).".to_owned()),
        },
        "modmail" => match data.options.first().map(|o| (o.name.as_str(), &o.value)) {
            Some(("setup", CommandOptionValue::SubCommand(options))) => {
                match (id(options, "inbox-category"), id(options, "staff-role")) {
                    (Some(inbox_category), Some(staff_role)) => Ok(Command::ModmailSetup(ModmailSetup {
                        inbox_category: ChannelId(inbox_category),
                        staff_role: RoleId(staff_role),
                        log_channel: id(options, "log-channel").map(ChannelId),
                    })),
                    _ => Err("Pick an inbox category and a staff role.".to_owned()),
                }
            }
            Some(("disable", CommandOptionValue::SubCommand(_))) => Ok(Command::ModmailDisable),
            Some(("settings", CommandOptionValue::SubCommand(options))) => Ok(Command::ModmailSettings {
                changes: options.iter().filter_map(|o| Some((o.name.clone(), option_text(&o.value)?))).collect(),
            }),
            _ => Err("Unknown modmail subcommand.".to_owned()),
        },
        _ => return None,
    };
    Some(command)
}

fn close(options: &[CommandDataOption]) -> Result<Command, String> {
    let silent = boolean(options, "silent").unwrap_or(false);
    let when = if boolean(options, "cancel").unwrap_or(false) {
        CloseWhen::Cancel
    } else {
        match string(options, "time").as_deref().map(str::trim) {
            None => CloseWhen::GuildDefault,
            Some("now" | "0") => CloseWhen::Now,
            Some(time) => CloseWhen::After(duration::parse(time)?),
        }
    };
    Ok(Command::Close { silent, when })
}

/// `/snippet create|edit|delete|list|send`.
fn snippet(data: &CommandData) -> Result<Command, String> {
    let Some((sub, CommandOptionValue::SubCommand(options))) =
        data.options.first().map(|o| (o.name.as_str(), &o.value))
    else {
        return Err("Pick a snippet subcommand.".to_owned());
    };
    let name = string(options, "name").unwrap_or_default();
    let content = string(options, "content").unwrap_or_default();
    Ok(match sub {
        "create" => Command::Snippet(SnippetAction::Create { name, content }),
        "edit" => Command::Snippet(SnippetAction::Edit { name, content }),
        "delete" => Command::Snippet(SnippetAction::Delete { name }),
        "list" => Command::Snippet(SnippetAction::List),
        "send" => Command::SendSnippet { name, anonymous: boolean(options, "anonymous").unwrap_or(false) },
        _ => return Err("Unknown snippet subcommand.".to_owned()),
    })
}

/// `/ticket setup`.
fn ticket(data: &CommandData) -> Result<Command, String> {
    match data.options.first().map(|o| (o.name.as_str(), &o.value)) {
        Some(("setup", CommandOptionValue::SubCommand(options))) => {
            match (id(options, "menu-channel"), id(options, "category")) {
                (Some(menu_channel), Some(category)) => Ok(Command::TicketSetup(super::PanelSetup {
                    menu_channel: ChannelId(menu_channel),
                    category: ChannelId(category),
                    log_channel: id(options, "log-channel").map(ChannelId),
                    support_role: id(options, "support-role").map(RoleId),
                    max_open_per_member: integer(options, "max-open-tickets"),
                })),
                _ => Err("Pick the menu channel and the category for ticket channels.".to_owned()),
            }
        }
        _ => Err("Unknown ticket subcommand.".to_owned()),
    }
}

/// `/category create|list|edit|delete|on|off|timeout`.
fn category(data: &CommandData) -> Result<Command, String> {
    let Some((sub, CommandOptionValue::SubCommand(options))) =
        data.options.first().map(|o| (o.name.as_str(), &o.value))
    else {
        return Err("Pick a category subcommand.".to_owned());
    };
    let name = string(options, "name").unwrap_or_default();
    let discord_category = id(options, "discord_category").map(|c| c.to_string());
    Ok(Command::Category(match sub {
        "create" => CategoryAction::Create {
            discord_category: discord_category.unwrap_or_default(),
            name,
            description: string(options, "description").unwrap_or_default(),
            emoji: string(options, "emoji"),
        },
        "list" => CategoryAction::List,
        "edit" => CategoryAction::Edit {
            name,
            new_name: string(options, "new_name"),
            description: string(options, "description"),
            emoji: string(options, "emoji"),
            discord_category,
        },
        "delete" => CategoryAction::Delete { name },
        "on" => CategoryAction::On,
        "off" => CategoryAction::Off,
        "timeout" => match find(options, "seconds") {
            Some(CommandOptionValue::Integer(seconds)) => CategoryAction::Timeout { value: seconds.to_string() },
            _ => return Err("Give the timeout in seconds.".to_owned()),
        },
        _ => return Err("Unknown category subcommand.".to_owned()),
    }))
}

fn user(options: &[CommandDataOption]) -> Result<UserId, String> {
    id(options, "user").map(UserId).ok_or_else(|| "Pick a user.".to_owned())
}

/// A setting's value as text, whatever the option's type.
fn option_text(value: &CommandOptionValue) -> Option<String> {
    match value {
        CommandOptionValue::String(s) => Some(s.clone()),
        CommandOptionValue::Boolean(b) => Some(b.to_string()),
        CommandOptionValue::Integer(n) => Some(n.to_string()),
        CommandOptionValue::Channel(id) => Some(id.get().to_string()),
        _ => None,
    }
}

fn find<'a>(options: &'a [CommandDataOption], name: &str) -> Option<&'a CommandOptionValue> {
    options.iter().find(|o| o.name == name).map(|o| &o.value)
}

fn string(options: &[CommandDataOption], name: &str) -> Option<String> {
    match find(options, name)? {
        CommandOptionValue::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn integer(options: &[CommandDataOption], name: &str) -> Option<i32> {
    match find(options, name)? {
        CommandOptionValue::Integer(n) => i32::try_from(*n).ok().filter(|n| *n > 0),
        _ => None,
    }
}

fn boolean(options: &[CommandDataOption], name: &str) -> Option<bool> {
    match find(options, name)? {
        CommandOptionValue::Boolean(b) => Some(*b),
        _ => None,
    }
}

fn id(options: &[CommandDataOption], name: &str) -> Option<u64> {
    match find(options, name)? {
        CommandOptionValue::Channel(id) => Some(id.get()),
        CommandOptionValue::Role(id) => Some(id.get()),
        CommandOptionValue::User(id) => Some(id.get()),
        CommandOptionValue::Mentionable(id) => Some(id.get()),
        _ => None,
    }
}
