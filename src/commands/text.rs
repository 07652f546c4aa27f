//! Text commands (`!reply hello`): parsed from a guild message with the
//! guild's prefix into the same [`Command`] the slash commands produce.

use super::{CategoryAction, CloseWhen, Command, SnippetAction};
use crate::domain::ids::{ChannelId, IdError, RoleId, UserId};
use crate::tickets::duration;
use crate::tickets::modmail::setup::ModmailSetup;

/// `None` if the message is not a command of ours; `Some(Err(usage))` if it is
/// one, but malformed.
pub fn parse(prefix: &str, content: &str) -> Option<Result<Command, String>> {
    let rest = content.strip_prefix(prefix)?;
    let (name, args) = match rest.split_once(char::is_whitespace) {
        Some((name, args)) => (name, args.trim()),
        None => (rest, ""),
    };
    let command = match name.to_ascii_lowercase().as_str() {
        "reply" | "r" => Ok(Command::Reply { content: args.to_owned(), anonymous: false }),
        "anonreply" | "ar" => Ok(Command::Reply { content: args.to_owned(), anonymous: true }),
        "close" => parse_close(prefix, args),
        "force_close" => Ok(Command::ForceClose),
        "id" => Ok(Command::Id),
        "edit" => match args.split_once(char::is_whitespace) {
            Some((number, text)) if number.parse::<i32>().is_ok_and(|n| n > 0) => {
                Ok(Command::Edit { number: number.parse().unwrap_or(0), content: text.trim().to_owned() })
            }
            _ => {
                Err(format!("Usage: `{prefix}edit <message number> <new text>` (the number is in the reply's footer)."))
            }
        },
        "delete" => match args.parse::<i32>() {
            Ok(number) if number > 0 => Ok(Command::Delete { number }),
            _ => Err(format!("Usage: `{prefix}delete <message number>` (the number is in the reply's footer).")),
        },
        "take" => Ok(Command::Take),
        "recover" => Ok(Command::Recover),
        "release" => Ok(Command::Release),
        "logs" => Ok(Command::Logs),
        "alert" => match args {
            "" => Ok(Command::Alert { cancel: false }),
            "cancel" | "-c" => Ok(Command::Alert { cancel: true }),
            _ => Err(format!("Usage: `{prefix}alert` or `{prefix}alert cancel`.")),
        },
        "add_staff" => user_arg(args, || format!("Usage: `{prefix}add_staff <user id or @mention>`."))
            .map(|user| Command::AddStaff { user }),
        "remove_staff" => user_arg(args, || format!("Usage: `{prefix}remove_staff <user id or @mention>`."))
            .map(|user| Command::RemoveStaff { user }),
        "new_thread" => user_arg(args, || format!("Usage: `{prefix}new_thread <user id or @mention>`."))
            .map(|user| Command::NewThread { user }),
        "unblock" => user_arg(args, || format!("Usage: `{prefix}unblock <user id or @mention>`."))
            .map(|user| Command::Unblock { user }),
        "block" => parse_block(prefix, args),
        command @ ("s" | "as") => match args.split_whitespace().collect::<Vec<_>>().as_slice() {
            [snippet] => Ok(Command::SendSnippet { name: (*snippet).to_owned(), anonymous: command == "as" }),
            _ => Err(format!("Usage: `{prefix}s <snippet name>` (`{prefix}as <name>` sends it anonymously).")),
        },
        "snippet" | "snippets" => parse_snippet(prefix, args),
        "add_reminder" => parse_reminder(prefix, args),
        "remove_reminder" => match args.parse::<i32>() {
            Ok(number) if number > 0 => Ok(Command::RemoveReminder { number }),
            _ => Err(format!("Usage: `{prefix}remove_reminder <reminder number>`.")),
        },
        "modmail" => parse_modmail(prefix, args),
        "category" | "categories" => parse_category(prefix, args),
        "move_thread" | "move" => match args {
            "" => Err(format!("Usage: `{prefix}move_thread <category name>`; `{prefix}category list` shows them.")),
            name => Ok(Command::MoveThread { category: name.to_owned() }),
        },
        _ => return None,
    };
    Some(command)
}

/// `!close`, `!close -s`, `!close 2h`, `!close -s 2h`, `!close now`, `!close -c`.
fn parse_close(prefix: &str, args: &str) -> Result<Command, String> {
    let usage = || {
        format!(
            "Usage: `{prefix}close` (add `-s` to close silently), `{prefix}close <delay>` to schedule it (formats: {}), `{prefix}close now`, or `{prefix}close -c` to cancel a scheduled close.",
            duration::FORMATS
        )
    };
    let mut silent = false;
    let mut when = CloseWhen::GuildDefault;
    for word in args.split_whitespace() {
        match word.to_ascii_lowercase().as_str() {
            "-s" | "silent" | "--silent" => silent = true,
            "-c" | "cancel" | "--cancel" => when = CloseWhen::Cancel,
            "now" => when = CloseWhen::Now,
            other if other.starts_with(|c: char| c.is_ascii_digit()) => {
                when = CloseWhen::After(duration::parse(other).map_err(|e| format!("{e}\n{}", usage()))?);
            }
            _ => return Err(usage()),
        }
    }
    Ok(Command::Close { silent, when })
}

/// `!snippet create <name> <text>`, `edit <name> <text>`, `delete <name>`, `list`.
fn parse_snippet(prefix: &str, args: &str) -> Result<Command, String> {
    let usage = format!(
        "Usage: `{prefix}snippet create <name> <text>`, `{prefix}snippet edit <name> <text>`, `{prefix}snippet delete <name>` or `{prefix}snippet list`."
    );
    let (action, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let (name, text) = rest.trim().split_once(char::is_whitespace).unwrap_or((rest.trim(), ""));
    let (name, content) = (name.to_owned(), text.trim().to_owned());
    match (action.to_ascii_lowercase().as_str(), name.is_empty(), content.is_empty()) {
        ("create" | "add", false, false) => Ok(Command::Snippet(SnippetAction::Create { name, content })),
        ("edit", false, false) => Ok(Command::Snippet(SnippetAction::Edit { name, content })),
        ("delete" | "remove", false, true) => Ok(Command::Snippet(SnippetAction::Delete { name })),
        ("list" | "", true, true) => Ok(Command::Snippet(SnippetAction::List)),
        _ => Err(usage),
    }
}

/// `!category create <discord_category_id> <name> | <description> | <emoji>`,
/// `list`, `edit <name> | <field> | <value>`, `delete <name>`, `on`, `off`,
/// `timeout <seconds>`.
fn parse_category(prefix: &str, args: &str) -> Result<Command, String> {
    let usage = format!(
        "Usage: `{prefix}category create <discord_category_id> <name> | <description> | <emoji>`, `{prefix}category list`, `{prefix}category edit <name> | <name, description, emoji or discord_category> | <value>`, `{prefix}category delete <name>`, `{prefix}category on`, `{prefix}category off` or `{prefix}category timeout <seconds>`."
    );
    let (action, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let rest = rest.trim();
    let action = match action.to_ascii_lowercase().as_str() {
        "create" | "add" => {
            let (discord_category, rest) = rest.split_once(char::is_whitespace).ok_or_else(|| usage.clone())?;
            let mut parts = rest.split('|').map(str::trim);
            let name = parts.next().filter(|n| !n.is_empty()).ok_or_else(|| usage.clone())?.to_owned();
            let description = parts.next().unwrap_or_default().to_owned();
            let emoji = parts.next().filter(|e| !e.is_empty()).map(str::to_owned);
            if parts.next().is_some() {
                return Err(usage);
            }
            CategoryAction::Create { discord_category: discord_category.to_owned(), name, description, emoji }
        }
        "list" | "" if rest.is_empty() => CategoryAction::List,
        "edit" => {
            let parts: Vec<&str> = rest.split('|').map(str::trim).collect();
            let [name, field, value] = parts.as_slice() else {
                return Err(usage);
            };
            let (name, value) = ((*name).to_owned(), Some((*value).to_owned()));
            let mut edit =
                CategoryAction::Edit { name, new_name: None, description: None, emoji: None, discord_category: None };
            if let CategoryAction::Edit { new_name, description, emoji, discord_category, .. } = &mut edit {
                match field.to_ascii_lowercase().as_str() {
                    "name" => *new_name = value,
                    "description" => *description = value,
                    "emoji" => *emoji = value,
                    "discord_category" | "category" | "channel" => *discord_category = value,
                    _ => return Err(usage),
                }
            }
            edit
        }
        "delete" | "remove" if !rest.is_empty() => CategoryAction::Delete { name: rest.to_owned() },
        "on" | "enable" if rest.is_empty() => CategoryAction::On,
        "off" | "disable" if rest.is_empty() => CategoryAction::Off,
        "timeout" if !rest.is_empty() => CategoryAction::Timeout { value: rest.to_owned() },
        _ => return Err(usage),
    };
    Ok(Command::Category(action))
}

/// `!add_reminder 2h Check if the user answered`.
fn parse_reminder(prefix: &str, args: &str) -> Result<Command, String> {
    let usage =
        format!("Usage: `{prefix}add_reminder <delay> <text>`, for example `{prefix}add_reminder 2h Check back`.");
    let Some((delay, content)) = args.split_once(char::is_whitespace) else {
        return Err(usage);
    };
    let delay = duration::parse(delay)?;
    Ok(Command::AddReminder { delay, content: content.trim().to_owned() })
}

/// `!block <user> [delay] [reason…]`.
fn parse_block(prefix: &str, args: &str) -> Result<Command, String> {
    let usage = format!("Usage: `{prefix}block <user id or @mention> [duration, e.g. 7d] [reason]`.");
    let mut words = args.splitn(2, char::is_whitespace);
    let user = user_arg(words.next().unwrap_or(""), || usage)?;
    let rest = words.next().unwrap_or("").trim();
    let (first, after) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    match duration::parse(first) {
        Ok(length) => Ok(Command::Block { user, length: Some(length), reason: after.trim().to_owned() }),
        Err(_) => Ok(Command::Block { user, length: None, reason: rest.to_owned() }),
    }
}

/// One user argument: `<@id>`, `<@!id>` or the id. Not a number at all gets
/// the usage; a number that cannot be an id (0, too large) says so first, as
/// it would otherwise look like a typo of the right shape.
fn user_arg(args: &str, usage: impl FnOnce() -> String) -> Result<UserId, String> {
    let word = args.trim();
    if word.is_empty() || word.contains(char::is_whitespace) {
        return Err(usage());
    }
    UserId::from_mention(word).map_err(|e| refusal(word, e, usage()))
}

/// Why `word` is not an id, then the usage.
fn refusal(word: &str, error: IdError, usage: String) -> String {
    match error {
        IdError::NotANumber => usage,
        IdError::Zero | IdError::TooLarge => format!("`{word}` is not a Discord id: {error}.\n{usage}"),
    }
}

fn parse_modmail(prefix: &str, args: &str) -> Result<Command, String> {
    let usage = format!(
        "Usage: `{prefix}modmail setup <inbox category id> <staff role id> [log channel id]`, `{prefix}modmail settings`, `{prefix}modmail set <name> <value>`, or `{prefix}modmail disable`."
    );
    let mut words = args.split_whitespace();
    match words.next() {
        Some("setup") => {}
        Some("settings") => return Ok(Command::ModmailSettings { changes: Vec::new() }),
        Some("disable") => return Ok(Command::ModmailDisable),
        Some("set") => {
            let rest = args.trim_start().strip_prefix("set").unwrap_or("").trim();
            return match rest.split_once(char::is_whitespace) {
                Some((name, value)) => {
                    Ok(Command::ModmailSettings { changes: vec![(name.to_ascii_lowercase(), value.trim().to_owned())] })
                }
                None => Err(format!("Usage: `{prefix}modmail set <name> <value>`; see `{prefix}modmail settings`.")),
            };
        }
        _ => return Err(usage),
    }
    // Each argument takes its own kind: a category `<#…>`, a role `<@&…>`, a
    // log channel `<#…>`, or the plain id.
    let words: Vec<&str> = words.collect();
    let (category, role, log) = match words.as_slice() {
        [category, role] => (*category, *role, None),
        [category, role, log] => (*category, *role, Some(*log)),
        _ => return Err(usage),
    };
    let inbox_category = ChannelId::from_mention(category).map_err(|e| refusal(category, e, usage.clone()))?;
    let staff_role = RoleId::from_mention(role).map_err(|e| refusal(role, e, usage.clone()))?;
    let log_channel = match log {
        Some(log) => Some(ChannelId::from_mention(log).map_err(|e| refusal(log, e, usage))?),
        None => None,
    };
    Ok(Command::ModmailSetup(ModmailSetup { inbox_category, staff_role, log_channel }))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn reply_takes_the_rest_of_the_message() {
        assert_eq!(
            parse("!", "!reply Hello there\nsecond line"),
            Some(Ok(Command::Reply { content: "Hello there\nsecond line".into(), anonymous: false }))
        );
    }

    #[test]
    fn other_messages_are_not_commands() {
        assert_eq!(parse("!", "hello !reply"), None);
        assert_eq!(parse("!", "!unknown x"), None);
        assert_eq!(parse("?", "!reply x"), None);
    }

    #[test]
    fn close_knows_silent_delays_cancel_and_refuses_junk() {
        let close = |silent, when| Some(Ok(Command::Close { silent, when }));
        assert_eq!(parse("!", "!close"), close(false, CloseWhen::GuildDefault));
        assert_eq!(parse("!", "!close -s"), close(true, CloseWhen::GuildDefault));
        assert_eq!(parse("!", "!close 1d12h"), close(false, CloseWhen::After(Duration::from_secs(129_600))));
        assert_eq!(parse("!", "!close -s 30m"), close(true, CloseWhen::After(Duration::from_secs(1800))));
        assert_eq!(parse("!", "!close -c"), close(false, CloseWhen::Cancel));
        assert_eq!(parse("!", "!close now"), close(false, CloseWhen::Now));
        assert!(matches!(parse("!", "!close soon"), Some(Err(_))));
        let Some(Err(bad)) = parse("!", "!close 2x") else { panic!("2x parsed") };
        assert!(bad.contains("`1d12h`"), "{bad}");
    }

    #[test]
    fn staff_workflow_commands_take_users_delays_and_numbers() {
        assert_eq!(parse("!", "!add_staff <@!42>"), Some(Ok(Command::AddStaff { user: UserId(42) })));
        assert_eq!(parse("!", "!remove_staff 42"), Some(Ok(Command::RemoveStaff { user: UserId(42) })));
        assert_eq!(
            parse("!", "!add_reminder 2h Check back"),
            Some(Ok(Command::AddReminder { delay: Duration::from_secs(7200), content: "Check back".into() }))
        );
        assert_eq!(parse("!", "!remove_reminder 5"), Some(Ok(Command::RemoveReminder { number: 5 })));
        assert_eq!(parse("!", "!alert cancel"), Some(Ok(Command::Alert { cancel: true })));
        assert_eq!(
            parse("!", "!block 42 7d spam links"),
            Some(Ok(Command::Block {
                user: UserId(42),
                length: Some(Duration::from_secs(604_800)),
                reason: "spam links".into()
            }))
        );
        assert_eq!(
            parse("!", "!block <@42> rude"),
            Some(Ok(Command::Block { user: UserId(42), length: None, reason: "rude".into() }))
        );
        assert!(matches!(parse("!", "!add_staff bob"), Some(Err(_))));
        assert!(matches!(parse("!", "!add_reminder 2h"), Some(Err(_))));
    }

    #[test]
    fn category_commands_parse_in_their_text_form() {
        let category = |action| Some(Ok(Command::Category(action)));
        assert_eq!(
            parse("!", "!category create 123 Billing | Payments and refunds | 💳"),
            category(CategoryAction::Create {
                discord_category: "123".into(),
                name: "Billing".into(),
                description: "Payments and refunds".into(),
                emoji: Some("💳".into()),
            })
        );
        assert_eq!(
            parse("!", "!category create 123 Escalations"),
            category(CategoryAction::Create {
                discord_category: "123".into(),
                name: "Escalations".into(),
                description: String::new(),
                emoji: None,
            })
        );
        assert_eq!(
            parse("!", "!category edit Billing | description | Invoices"),
            category(CategoryAction::Edit {
                name: "Billing".into(),
                new_name: None,
                description: Some("Invoices".into()),
                emoji: None,
                discord_category: None,
            })
        );
        assert_eq!(parse("!", "!category list"), category(CategoryAction::List));
        assert_eq!(parse("!", "!category delete Billing"), category(CategoryAction::Delete { name: "Billing".into() }));
        assert_eq!(parse("!", "!category on"), category(CategoryAction::On));
        assert_eq!(parse("!", "!category off"), category(CategoryAction::Off));
        assert_eq!(parse("!", "!category timeout 90"), category(CategoryAction::Timeout { value: "90".into() }));
        assert!(matches!(parse("!", "!category create 123"), Some(Err(_))));
        assert!(matches!(parse("!", "!category edit Billing | colour | red"), Some(Err(_))));
        assert_eq!(
            parse("!", "!move_thread Billing Team"),
            Some(Ok(Command::MoveThread { category: "Billing Team".into() }))
        );
        assert!(matches!(parse("!", "!move_thread"), Some(Err(_))));
    }

    #[test]
    fn snippet_commands_parse_in_their_text_form() {
        let snippet = |action| Some(Ok(Command::Snippet(action)));
        assert_eq!(
            parse("!", "!snippet create refund We refund within 14 days."),
            snippet(SnippetAction::Create { name: "refund".into(), content: "We refund within 14 days.".into() })
        );
        assert_eq!(parse("!", "!snippet delete refund"), snippet(SnippetAction::Delete { name: "refund".into() }));
        assert_eq!(parse("!", "!snippet list"), snippet(SnippetAction::List));
        assert_eq!(parse("!", "!s refund"), Some(Ok(Command::SendSnippet { name: "refund".into(), anonymous: false })));
        assert_eq!(parse("!", "!as refund"), Some(Ok(Command::SendSnippet { name: "refund".into(), anonymous: true })));
        assert!(matches!(parse("!", "!snippet create refund"), Some(Err(_))));
        assert!(matches!(parse("!", "!s"), Some(Err(_))));
    }

    #[test]
    fn modmail_set_takes_a_name_and_the_rest_as_value() {
        assert_eq!(
            parse("!", "!modmail set welcome_message Hello {user}, welcome!"),
            Some(Ok(Command::ModmailSettings {
                changes: vec![("welcome_message".into(), "Hello {user}, welcome!".into())]
            }))
        );
        assert_eq!(parse("!", "!modmail settings"), Some(Ok(Command::ModmailSettings { changes: vec![] })));
    }

    #[test]
    fn edit_and_delete_take_a_message_number() {
        assert_eq!(parse("!", "!edit 3 New text"), Some(Ok(Command::Edit { number: 3, content: "New text".into() })));
        assert_eq!(parse("!", "!delete 3"), Some(Ok(Command::Delete { number: 3 })));
        assert!(matches!(parse("!", "!edit three x"), Some(Err(_))));
        assert!(matches!(parse("!", "!edit 3"), Some(Err(_))));
        assert!(matches!(parse("!", "!delete -1"), Some(Err(_))));
    }

    #[test]
    fn modmail_setup_accepts_ids_and_mentions() {
        assert_eq!(
            parse("!", "!modmail setup <#10> <@&20> 30"),
            Some(Ok(Command::ModmailSetup(ModmailSetup {
                inbox_category: ChannelId(10),
                staff_role: RoleId(20),
                log_channel: Some(ChannelId(30))
            })))
        );
        assert!(matches!(parse("!", "!modmail setup x"), Some(Err(_))));
    }

    #[test]
    fn modmail_setup_takes_each_argument_in_its_own_kind_only() {
        assert!(matches!(parse("!", "!modmail setup <@&10> <@&20>"), Some(Err(_))), "a role is not a category");
        assert!(matches!(parse("!", "!modmail setup <#10> <#20>"), Some(Err(_))), "a channel is not a role");
        assert!(matches!(parse("!", "!modmail setup <#10> <@&20> <@30>"), Some(Err(_))), "a user is not a channel");
    }

    #[test]
    fn ids_too_large_to_store_are_refused_with_a_reason() {
        let too_large = (i64::MAX as u64 + 1).to_string();
        for command in [
            format!("!add_staff {too_large}"),
            format!("!block <@{too_large}> spam"),
            format!("!unblock <@!{too_large}>"),
            format!("!modmail setup {too_large} 20"),
            format!("!modmail setup 10 <@&{too_large}>"),
        ] {
            let Some(Err(refusal)) = parse("!", &command) else { panic!("{command} parsed") };
            assert!(refusal.contains("larger than any Discord id"), "{command}: {refusal}");
        }
        assert_eq!(
            parse("!", &format!("!add_staff {}", i64::MAX)),
            Some(Ok(Command::AddStaff { user: UserId(i64::MAX as u64) }))
        );
    }

    #[test]
    fn user_arguments_take_user_mentions_only() {
        assert!(matches!(parse("!", "!add_staff <#42>"), Some(Err(_))));
        assert!(matches!(parse("!", "!unblock <@&42>"), Some(Err(_))));
        assert!(matches!(parse("!", "!new_thread 0"), Some(Err(_))));
    }
}
