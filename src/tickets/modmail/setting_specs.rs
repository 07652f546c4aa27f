//! The modmail settings as one typed list: `SettingChange` is a change
//! whose value already has its type, and `SETTINGS` is the one table of
//! them, by the reference guide's names. Each row says what kind of value
//! the setting takes (the slash command's options and the API's schema are
//! built from it), how `!modmail set` and `/modmail settings` read a value
//! typed in chat, how the API's JSON value becomes a change (typed, never
//! through chat syntax), how the API and the audit log show it, and how
//! staff read it back.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use super::super::duration;
use super::super::error::Problem;
use crate::domain::ids::ChannelId;
use crate::domain::settings::{CloseAction, GuildSettings};

/// Bounds of `category_prompt_timeout`, in seconds (the column's CHECK too).
pub const PROMPT_TIMEOUT_MIN: u64 = 10;
pub const PROMPT_TIMEOUT_MAX: u64 = 86_400;

/// Longest welcome or close message (leaves room for the placeholders' values
/// within Discord's 2,000 characters).
pub const MESSAGE_MAX: usize = 1800;

/// A prefix's and an anonymous label's lengths.
pub const PREFIX_MAX: usize = 5;
pub const LABEL_MAX: usize = 64;

/// The settings that are on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    EmbeddedMessage,
    BlockQuote,
    ShowLogOnEdit,
    ShowLogOnDelete,
    CloseOnLeave,
    CreateTicketByCreateChannel,
    CategoryPrompt,
}

/// One change to one setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingChange {
    Prefix(String),
    /// `None`: the built-in text.
    WelcomeMessage(Option<String>),
    CloseMessage(Option<String>),
    AnonymousLabel(String),
    Flag(Flag, bool),
    CloseAction(CloseAction),
    ArchiveCategory(Option<ChannelId>),
    /// `None`: close at once.
    TimeToClose(Option<Duration>),
    CategoryPromptTimeout(Duration),
}

/// What kind of value a setting takes: each transport offers it in its own
/// way (a slash command option, a property of the API's schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    /// Text of at most `max` characters. `resets`: it can be reset to the
    /// built-in text (`default` in chat, null in the API).
    Text { max: usize, resets: bool },
    /// On or off.
    Flag,
    /// One of these words.
    Choice(&'static [&'static str]),
    /// A Discord category of the guild, or none.
    Category,
    /// A delay, or off: a duration such as `2h` in chat, seconds (a whole
    /// number of minutes) in the API.
    Delay,
    /// A wait of `min` to `max` seconds: seconds or a duration in chat.
    Seconds { min: u64, max: u64 },
}

/// One setting: its name, what it does, the kind of value it takes, how a
/// value typed in chat or sent as JSON becomes a change, and how its value is
/// shown (JSON for the API and the audit log; text for staff).
pub struct SettingSpec {
    pub name: &'static str,
    /// What it does, in a few words (a slash option's description, the API's).
    pub description: &'static str,
    pub kind: SettingKind,
    pub parse: fn(&str) -> Result<SettingChange, Problem>,
    pub from_json: fn(&Value) -> Result<SettingChange, Problem>,
    pub json: fn(&GuildSettings) -> Value,
    pub shown: fn(&GuildSettings) -> String,
}

/// Every setting, in the order staff see them.
pub const SETTINGS: [SettingSpec; 15] = [
    SettingSpec {
        name: "prefix",
        description: "Prefix of text commands, without spaces",
        kind: SettingKind::Text { max: PREFIX_MAX, resets: false },
        from_json: |v| Ok(SettingChange::Prefix(typed(v)?)),
        parse: |v| Ok(SettingChange::Prefix(v.to_owned())),
        json: |s| json!(s.command_prefix),
        shown: |s| format!("`{}`", s.command_prefix),
    },
    SettingSpec {
        name: "welcome_message",
        description: "Sent when a ticket opens ({user}, {guild}, {ticket_number})",
        kind: SettingKind::Text { max: MESSAGE_MAX, resets: true },
        from_json: |v| Ok(SettingChange::WelcomeMessage(typed(v)?)),
        parse: |v| Ok(SettingChange::WelcomeMessage(text(v))),
        json: |s| json!(s.welcome_message),
        shown: |s| custom(&s.welcome_message),
    },
    SettingSpec {
        name: "close_message",
        description: "Sent when a ticket closes",
        kind: SettingKind::Text { max: MESSAGE_MAX, resets: true },
        from_json: |v| Ok(SettingChange::CloseMessage(typed(v)?)),
        parse: |v| Ok(SettingChange::CloseMessage(text(v))),
        json: |s| json!(s.close_message),
        shown: |s| custom(&s.close_message),
    },
    SettingSpec {
        name: "anonymous_label",
        description: "Shown instead of names on anonymous replies",
        kind: SettingKind::Text { max: LABEL_MAX, resets: false },
        from_json: |v| Ok(SettingChange::AnonymousLabel(typed(v)?)),
        parse: |v| Ok(SettingChange::AnonymousLabel(v.to_owned())),
        json: |s| json!(s.anonymous_label),
        shown: |s| format!("`{}`", s.anonymous_label),
    },
    SettingSpec {
        name: "embedded_message",
        description: "Relay messages as embeds (off: plain text)",
        kind: SettingKind::Flag,
        from_json: |v| Ok(SettingChange::Flag(Flag::EmbeddedMessage, typed(v)?)),
        parse: |v| flag(Flag::EmbeddedMessage, v),
        json: |s| json!(s.embedded_message),
        shown: |s| on(s.embedded_message),
    },
    SettingSpec {
        name: "block_quote",
        description: "Quote relayed text",
        kind: SettingKind::Flag,
        from_json: |v| Ok(SettingChange::Flag(Flag::BlockQuote, typed(v)?)),
        parse: |v| flag(Flag::BlockQuote, v),
        json: |s| json!(s.block_quote),
        shown: |s| on(s.block_quote),
    },
    SettingSpec {
        name: "show_log_on_edit",
        description: "Log edits of staff messages in the ticket",
        kind: SettingKind::Flag,
        from_json: |v| Ok(SettingChange::Flag(Flag::ShowLogOnEdit, typed(v)?)),
        parse: |v| flag(Flag::ShowLogOnEdit, v),
        json: |s| json!(s.show_log_on_edit),
        shown: |s| on(s.show_log_on_edit),
    },
    SettingSpec {
        name: "show_log_on_delete",
        description: "Log deletions of staff messages in the ticket",
        kind: SettingKind::Flag,
        from_json: |v| Ok(SettingChange::Flag(Flag::ShowLogOnDelete, typed(v)?)),
        parse: |v| flag(Flag::ShowLogOnDelete, v),
        json: |s| json!(s.show_log_on_delete),
        shown: |s| on(s.show_log_on_delete),
    },
    SettingSpec {
        name: "close_action",
        description: "On close: delete the channel or archive it",
        kind: SettingKind::Choice(CloseAction::NAMES),
        from_json: |v| {
            let given: String = typed(v)?;
            close_action(&given)
        },
        parse: close_action,
        json: |s| json!(s.close_action.as_str()),
        shown: |s| s.close_action.as_str().to_owned(),
    },
    SettingSpec {
        name: "archive_category",
        description: "Where closed tickets are archived",
        kind: SettingKind::Category,
        from_json: |v| match typed::<Option<String>>(v)? {
            None => Ok(SettingChange::ArchiveCategory(None)),
            Some(given) => {
                let id = given.trim().parse().map_err(|error| Problem::NotAnId { given: given.clone(), error })?;
                Ok(SettingChange::ArchiveCategory(Some(id)))
            }
        },
        parse: |v| {
            if is_reset(v) {
                return Ok(SettingChange::ArchiveCategory(None));
            }
            let id = ChannelId::from_mention(v).map_err(|error| Problem::NotAnId { given: v.to_owned(), error })?;
            Ok(SettingChange::ArchiveCategory(Some(id)))
        },
        json: |s| s.archive_category.map(|c| Value::String(c.to_string())).unwrap_or(Value::Null),
        shown: |s| s.archive_category.map_or("none".to_owned(), |c| format!("<#{c}>")),
    },
    SettingSpec {
        name: "time_to_close_thread",
        description: "Default delay of a close",
        kind: SettingKind::Delay,
        from_json: |v| match typed::<Option<u64>>(v)? {
            None => Ok(SettingChange::TimeToClose(None)),
            Some(seconds) if seconds == 0 || seconds % 60 != 0 => Err(Problem::NotWholeMinutes),
            Some(seconds) => Ok(SettingChange::TimeToClose(Some(Duration::from_secs(seconds)))),
        },
        parse: |v| {
            if is_reset(v) {
                return Ok(SettingChange::TimeToClose(None));
            }
            let delay =
                duration::parse(v).map_err(|_| Problem::NotADuration { given: v.to_owned(), reset_word: true })?;
            Ok(SettingChange::TimeToClose(Some(delay)))
        },
        json: |s| json!(s.time_to_close.map(|d| d.as_secs())),
        shown: |s| s.time_to_close.map_or("off (close at once)".to_owned(), duration::format),
    },
    SettingSpec {
        name: "close_on_leave",
        description: "Close a ticket when its user leaves the server",
        kind: SettingKind::Flag,
        from_json: |v| Ok(SettingChange::Flag(Flag::CloseOnLeave, typed(v)?)),
        parse: |v| flag(Flag::CloseOnLeave, v),
        json: |s| json!(s.close_on_leave),
        shown: |s| on(s.close_on_leave),
    },
    SettingSpec {
        name: "create_ticket_by_create_channel",
        description: "A channel named with a user id in the inbox opens their ticket",
        kind: SettingKind::Flag,
        from_json: |v| Ok(SettingChange::Flag(Flag::CreateTicketByCreateChannel, typed(v)?)),
        parse: |v| flag(Flag::CreateTicketByCreateChannel, v),
        json: |s| json!(s.create_ticket_by_create_channel),
        shown: |s| on(s.create_ticket_by_create_channel),
    },
    SettingSpec {
        name: "category_prompt",
        description: "Ask users to pick a category before their ticket opens",
        kind: SettingKind::Flag,
        from_json: |v| Ok(SettingChange::Flag(Flag::CategoryPrompt, typed(v)?)),
        parse: |v| flag(Flag::CategoryPrompt, v),
        json: |s| json!(s.category_prompt),
        shown: |s| on(s.category_prompt),
    },
    SettingSpec {
        name: "category_prompt_timeout",
        description: "How long the category prompt waits",
        kind: SettingKind::Seconds { min: PROMPT_TIMEOUT_MIN, max: PROMPT_TIMEOUT_MAX },
        from_json: |v| Ok(SettingChange::CategoryPromptTimeout(Duration::from_secs(typed(v)?))),
        parse: |v| {
            // Seconds, as the reference's `!category timeout <seconds>`, or a duration.
            let wait = match v.parse::<u64>() {
                Ok(seconds) => Duration::from_secs(seconds),
                Err(_) => {
                    duration::parse(v).map_err(|_| Problem::NotADuration { given: v.to_owned(), reset_word: false })?
                }
            };
            Ok(SettingChange::CategoryPromptTimeout(wait))
        },
        json: |s| json!(s.category_prompt_timeout.as_secs()),
        shown: |s| duration::format(s.category_prompt_timeout),
    },
];

impl SettingChange {
    /// A change as typed in chat (`!modmail set <name> <value>`), or what is
    /// wrong with it.
    pub fn parse(name: &str, value: &str) -> Result<Self, Problem> {
        let spec = SETTINGS.iter().find(|s| s.name == name).ok_or(Problem::Unknown)?;
        (spec.parse)(value.trim())
    }

    /// A change as the API sends it: the setting's JSON value, typed by its
    /// kind (text, true/false, seconds, an id as a string, null to reset).
    pub fn from_json(name: &str, value: &Value) -> Result<Self, Problem> {
        let spec = SETTINGS.iter().find(|s| s.name == name).ok_or(Problem::Unknown)?;
        (spec.from_json)(value)
    }

    /// The setting's name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Prefix(_) => "prefix",
            Self::WelcomeMessage(_) => "welcome_message",
            Self::CloseMessage(_) => "close_message",
            Self::AnonymousLabel(_) => "anonymous_label",
            Self::Flag(flag, _) => flag.name(),
            Self::CloseAction(_) => "close_action",
            Self::ArchiveCategory(_) => "archive_category",
            Self::TimeToClose(_) => "time_to_close_thread",
            Self::CategoryPromptTimeout(_) => "category_prompt_timeout",
        }
    }

    /// Applies the change to `settings`, or says what is wrong with its value.
    pub fn apply(&self, settings: &mut GuildSettings) -> Result<(), Problem> {
        match self {
            Self::Prefix(prefix) => {
                let prefix = prefix.trim();
                if prefix.is_empty() || prefix.chars().count() > PREFIX_MAX || prefix.contains(char::is_whitespace) {
                    return Err(Problem::Length { min: 1, max: PREFIX_MAX });
                }
                if prefix.starts_with('/') {
                    return Err(Problem::Reserved);
                }
                settings.command_prefix = prefix.to_owned();
            }
            Self::WelcomeMessage(text) => settings.welcome_message = message(text)?,
            Self::CloseMessage(text) => settings.close_message = message(text)?,
            Self::AnonymousLabel(label) => {
                let label = label.trim();
                if label.is_empty() || label.chars().count() > LABEL_MAX {
                    return Err(Problem::Length { min: 1, max: LABEL_MAX });
                }
                settings.anonymous_label = label.to_owned();
            }
            Self::Flag(flag, value) => *flag.of(settings) = *value,
            Self::CloseAction(action) => settings.close_action = *action,
            Self::ArchiveCategory(category) => settings.archive_category = *category,
            Self::TimeToClose(delay) => {
                if delay.is_some_and(|d| d.is_zero() || d > duration::MAX) {
                    return Err(Problem::OutOfRange { min: 60, max: duration::MAX.as_secs() });
                }
                settings.time_to_close = *delay;
            }
            Self::CategoryPromptTimeout(wait) => {
                if !(PROMPT_TIMEOUT_MIN..=PROMPT_TIMEOUT_MAX).contains(&wait.as_secs()) {
                    return Err(Problem::OutOfRange { min: PROMPT_TIMEOUT_MIN, max: PROMPT_TIMEOUT_MAX });
                }
                settings.category_prompt_timeout = *wait;
            }
        }
        Ok(())
    }
}

impl Flag {
    pub fn name(self) -> &'static str {
        match self {
            Self::EmbeddedMessage => "embedded_message",
            Self::BlockQuote => "block_quote",
            Self::ShowLogOnEdit => "show_log_on_edit",
            Self::ShowLogOnDelete => "show_log_on_delete",
            Self::CloseOnLeave => "close_on_leave",
            Self::CreateTicketByCreateChannel => "create_ticket_by_create_channel",
            Self::CategoryPrompt => "category_prompt",
        }
    }

    fn of(self, s: &mut GuildSettings) -> &mut bool {
        match self {
            Self::EmbeddedMessage => &mut s.embedded_message,
            Self::BlockQuote => &mut s.block_quote,
            Self::ShowLogOnEdit => &mut s.show_log_on_edit,
            Self::ShowLogOnDelete => &mut s.show_log_on_delete,
            Self::CloseOnLeave => &mut s.close_on_leave,
            Self::CreateTicketByCreateChannel => &mut s.create_ticket_by_create_channel,
            Self::CategoryPrompt => &mut s.category_prompt,
        }
    }
}

/// The settings by their names, as the API shows them and the audit log
/// records them (delays in seconds, ids as strings).
pub fn as_json(s: &GuildSettings) -> Map<String, Value> {
    SETTINGS.iter().map(|spec| (spec.name.to_owned(), (spec.json)(s))).collect()
}

/// The settings' names, in order.
pub fn names() -> impl Iterator<Item = &'static str> {
    SETTINGS.iter().map(|spec| spec.name)
}

/// A JSON value of the type a setting takes, or serde's words for why not.
fn typed<T: DeserializeOwned>(value: &Value) -> Result<T, Problem> {
    T::deserialize(value).map_err(|error| Problem::WrongType { detail: error.to_string() })
}

fn close_action(given: &str) -> Result<SettingChange, Problem> {
    CloseAction::parse(&given.trim().to_ascii_lowercase())
        .map(SettingChange::CloseAction)
        .ok_or_else(|| Problem::NotOneOf { given: given.to_owned() })
}

fn is_reset(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "default" | "off" | "none" | "reset")
}

/// A text typed in chat: a reset word means the built-in one.
fn text(value: &str) -> Option<String> {
    (!is_reset(value)).then(|| value.to_owned())
}

fn flag(flag: Flag, value: &str) -> Result<SettingChange, Problem> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "enable" | "enabled" => Ok(SettingChange::Flag(flag, true)),
        "false" | "off" | "no" | "disable" | "disabled" => Ok(SettingChange::Flag(flag, false)),
        _ => Err(Problem::NotOneOf { given: value.to_owned() }),
    }
}

fn message(text: &Option<String>) -> Result<Option<String>, Problem> {
    let Some(text) = text else { return Ok(None) };
    let text = text.trim();
    if text.is_empty() {
        return Err(Problem::Empty);
    }
    if text.chars().count() > MESSAGE_MAX {
        return Err(Problem::Length { min: 1, max: MESSAGE_MAX });
    }
    Ok(Some(text.to_owned()))
}

fn on(b: bool) -> String {
    if b { "on" } else { "off" }.to_owned()
}

fn custom(m: &Option<String>) -> String {
    match m {
        Some(text) => format!("custom ({} characters)", text.chars().count()),
        None => "default".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::GuildId;

    #[test]
    fn every_setting_in_the_table_parses_to_a_change_of_its_own_name() {
        for (name, value) in [
            ("prefix", "?"),
            ("welcome_message", "Hi"),
            ("close_message", "default"),
            ("anonymous_label", "Mods"),
            ("embedded_message", "off"),
            ("block_quote", "on"),
            ("show_log_on_edit", "no"),
            ("show_log_on_delete", "yes"),
            ("close_action", "archive"),
            ("archive_category", "<#55>"),
            ("time_to_close_thread", "2h"),
            ("close_on_leave", "true"),
            ("create_ticket_by_create_channel", "false"),
            ("category_prompt", "on"),
            ("category_prompt_timeout", "90"),
        ] {
            let change = SettingChange::parse(name, value).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            assert_eq!(change.name(), name);
        }
        assert_eq!(names().count(), SETTINGS.len());
    }

    #[test]
    fn a_typed_change_is_checked_as_a_typed_one_not_as_chat_text() {
        let mut s = GuildSettings::defaults(GuildId(1));
        // "off" is a reset word in chat, but a text the API sends is a text.
        SettingChange::WelcomeMessage(Some("off".into())).apply(&mut s).unwrap();
        assert_eq!(s.welcome_message.as_deref(), Some("off"));
        let too_soon = SettingChange::CategoryPromptTimeout(Duration::from_secs(5)).apply(&mut s);
        assert_eq!(too_soon, Err(Problem::OutOfRange { min: PROMPT_TIMEOUT_MIN, max: PROMPT_TIMEOUT_MAX }));
        assert!(SettingChange::TimeToClose(Some(Duration::ZERO)).apply(&mut s).is_err());
    }
}
