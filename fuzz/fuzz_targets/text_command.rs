//! Text commands (`!reply hi`) as staff may type them. Input: `prefix`, the
//! unit separator (0x1F), the message; without a separator the prefix is `!`.
//! Beyond never panicking, a parse must be deterministic, ignore messages
//! without the prefix, and keep numbers, ids and delays within their limits.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ticketeer::commands::text::parse;
use ticketeer::commands::{CloseWhen, Command};
use ticketeer::tickets::duration;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let (prefix, message) = input.split_once('\u{1f}').unwrap_or(("!", input));
    let parsed = parse(prefix, message);
    assert_eq!(parsed, parse(prefix, message), "parsing is deterministic");
    if !message.starts_with(prefix) {
        assert!(parsed.is_none(), "{message:?} lacks the prefix {prefix:?} but parsed as {parsed:?}");
    }
    let Some(Ok(command)) = parsed else { return };
    let delay_ok = |d: std::time::Duration| !d.is_zero() && d <= duration::MAX;
    // Ids are parsed once, into newtypes: never 0, never above what a BIGINT holds.
    let id_ok = |id: u64| id > 0 && id <= i64::MAX as u64;
    match command {
        Command::Reply { content, .. } => {
            assert_eq!(content, content.trim(), "a reply's text is trimmed");
            assert!(message.contains(&content), "a reply's text is what was typed");
        }
        Command::Edit { number, .. } | Command::Delete { number } | Command::RemoveReminder { number } => {
            assert!(number > 0, "message and reminder numbers start at 1: {number}");
        }
        Command::AddStaff { user }
        | Command::RemoveStaff { user }
        | Command::NewThread { user }
        | Command::Unblock { user } => assert!(id_ok(user.get()), "{user} is not a storable id"),
        Command::Close { when: CloseWhen::After(delay), .. } | Command::AddReminder { delay, .. } => {
            assert!(delay_ok(delay), "{delay:?} is outside (0, 30 days]");
        }
        Command::Block { user, length, .. } => {
            assert!(id_ok(user.get()), "{user} is not a storable id");
            assert!(length.is_none_or(delay_ok), "{length:?} is outside (0, 30 days]");
        }
        Command::ModmailSetup(setup) => {
            assert!(id_ok(setup.inbox_category.get()) && id_ok(setup.staff_role.get()));
            assert!(setup.log_channel.is_none_or(|id| id_ok(id.get())));
        }
        _ => {}
    }
});
