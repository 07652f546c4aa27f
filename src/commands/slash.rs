//! Slash commands: interaction data into the same [`Command`] text commands make.

use twilight_model::application::interaction::application_command::{
    CommandData, CommandDataOption, CommandOptionValue,
};

use super::Command;

/// `None` for a command we do not know (registered by an older version).
pub fn parse(data: &CommandData) -> Option<Result<Command, String>> {
    let command = match data.name.as_str() {
        "reply" => Ok(Command::Reply {
            content: string(&data.options, "content").unwrap_or_default(),
            anonymous: boolean(&data.options, "anonymous").unwrap_or(false),
        }),
        "close" => Ok(Command::Close { silent: boolean(&data.options, "silent").unwrap_or(false) }),
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
                    (Some(inbox_category), Some(staff_role)) => Ok(Command::ModmailSetup {
                        inbox_category,
                        staff_role,
                        log_channel: id(options, "log-channel"),
                    }),
                    _ => Err("Pick an inbox category and a staff role.".to_owned()),
                }
            }
            _ => Err("Unknown modmail subcommand.".to_owned()),
        },
        _ => return None,
    };
    Some(command)
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
