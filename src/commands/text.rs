//! Text commands (`!reply hello`): parsed from a guild message with the
//! guild's prefix into the same [`Command`] the slash commands produce.

use super::Command;

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
        "close" => match args {
            "" => Ok(Command::Close { silent: false }),
            "-s" | "silent" => Ok(Command::Close { silent: true }),
            _ => Err(format!("Usage: `{prefix}close` or `{prefix}close -s` (silent).")),
        },
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
        "modmail" => parse_modmail(prefix, args),
        _ => return None,
    };
    Some(command)
}

fn parse_modmail(prefix: &str, args: &str) -> Result<Command, String> {
    let usage = format!("Usage: `{prefix}modmail setup <inbox category id> <staff role id> [log channel id]`.");
    let mut words = args.split_whitespace();
    if words.next() != Some("setup") {
        return Err(usage);
    }
    let ids: Vec<Option<u64>> = words.map(snowflake).collect();
    match ids.as_slice() {
        [Some(category), Some(role)] => {
            Ok(Command::ModmailSetup { inbox_category: *category, staff_role: *role, log_channel: None })
        }
        [Some(category), Some(role), Some(log)] => {
            Ok(Command::ModmailSetup { inbox_category: *category, staff_role: *role, log_channel: Some(*log) })
        }
        _ => Err(usage),
    }
}

/// An id, or a channel/role/user mention of one.
fn snowflake(word: &str) -> Option<u64> {
    let inner = word.trim_start_matches("<#").trim_start_matches("<@&").trim_start_matches("<@").trim_end_matches('>');
    inner.parse().ok().filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
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
    fn close_knows_silent_and_refuses_junk() {
        assert_eq!(parse("!", "!close"), Some(Ok(Command::Close { silent: false })));
        assert_eq!(parse("!", "!close -s"), Some(Ok(Command::Close { silent: true })));
        assert!(matches!(parse("!", "!close soon"), Some(Err(_))));
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
            Some(Ok(Command::ModmailSetup { inbox_category: 10, staff_role: 20, log_channel: Some(30) }))
        );
        assert!(matches!(parse("!", "!modmail setup x"), Some(Err(_))));
    }
}
