//! Message templates from `templates/messages/`, compiled into the binary, with
//! `{placeholder}` substitution. Guilds may override some (welcome, close);
//! overrides use the same placeholders.

/// The message texts Ticketeer sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    Welcome,
    Close,
    NoModmailGuild,
    ChooseGuild,
    GuildChosen,
    ChooseCategory,
    CategoryChosen,
    CategoryTimedOut,
    GuildChoiceExpired,
}

impl Template {
    pub const fn default_text(self) -> &'static str {
        match self {
            Self::Welcome => include_str!("../templates/messages/welcome.md"),
            Self::Close => include_str!("../templates/messages/close.md"),
            Self::NoModmailGuild => include_str!("../templates/messages/no_modmail_guild.md"),
            Self::ChooseGuild => include_str!("../templates/messages/choose_guild.md"),
            Self::GuildChosen => include_str!("../templates/messages/guild_chosen.md"),
            Self::ChooseCategory => include_str!("../templates/messages/choose_category.md"),
            Self::CategoryChosen => include_str!("../templates/messages/category_chosen.md"),
            Self::CategoryTimedOut => include_str!("../templates/messages/category_timed_out.md"),
            Self::GuildChoiceExpired => include_str!("../templates/messages/guild_choice_expired.md"),
        }
    }
}

/// Values for the placeholders; one left `None` renders as an empty string.
#[derive(Debug, Default, Clone)]
pub struct Placeholders<'a> {
    pub user: Option<&'a str>,
    pub guild: Option<&'a str>,
    pub ticket_number: Option<i32>,
    pub staff: Option<&'a str>,
    /// A modmail category's name.
    pub category: Option<&'a str>,
    /// How long a prompt waits, as staff wrote it (`5m`).
    pub timeout: Option<&'a str>,
}

/// Renders `text` (a template or a guild's override). Unknown `{words}` are
/// left as they are, so a guild's text with braces is never mangled.
///
/// One pass from left to right: a value is written out and never read again,
/// so a display name such as `{guild}` stays literal instead of being
/// replaced by a later placeholder.
pub fn render(text: &str, values: &Placeholders<'_>) -> String {
    let number = values.ticket_number.map(|n| n.to_string());
    let value_of = |key: &str| -> Option<&str> {
        let value = match key {
            "{user}" => values.user,
            "{guild}" => values.guild,
            "{ticket_number}" => number.as_deref(),
            "{staff}" => values.staff,
            "{category}" => values.category,
            "{timeout}" => values.timeout,
            _ => return None,
        };
        Some(value.unwrap_or(""))
    };
    let mut rest = text.trim();
    let mut out = String::with_capacity(rest.len());
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let from_brace = &rest[open..];
        let placeholder = from_brace.find('}').map(|close| &from_brace[..=close]);
        match placeholder.and_then(|key| value_of(key).map(|value| (key.len(), value))) {
            Some((len, value)) => {
                out.push_str(value);
                rest = &from_brace[len..];
            }
            None => {
                // Not one of ours: keep the brace and look again just after it.
                out.push('{');
                rest = &from_brace[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_unknown_ones_kept() {
        let text = render(
            "Hi {user}, ticket #{ticket_number} in {guild} {unknown}",
            &Placeholders {
                user: Some("alice"),
                guild: Some("Acme"),
                ticket_number: Some(7),
                ..Placeholders::default()
            },
        );
        assert_eq!(text, "Hi alice, ticket #7 in Acme {unknown}");
    }

    #[test]
    fn values_that_look_like_placeholders_stay_literal() {
        let values = Placeholders {
            user: Some("{guild}"),
            guild: Some("{ticket_number} {staff}"),
            ticket_number: Some(3),
            staff: Some("{user}"),
            ..Placeholders::default()
        };
        assert_eq!(
            render("{user} | {guild} | #{ticket_number} | {staff}", &values),
            "{guild} | {ticket_number} {staff} | #3 | {user}"
        );
    }

    #[test]
    fn braces_around_and_inside_placeholders_are_kept() {
        let values = Placeholders { user: Some("alice"), guild: Some("Acme"), ..Placeholders::default() };
        assert_eq!(render("{{user}} {user{guild} {} { } }{", &values), "{alice} {userAcme {} { } }{");
        assert_eq!(render("{staff}{ticket_number}", &values), "", "unset values render empty");
        assert_eq!(render("  Hello {user}  ", &values), "Hello alice", "the text is trimmed, not the values");
        assert_eq!(render("ünï {user} ✓", &values), "ünï alice ✓");
    }

    #[test]
    fn every_template_renders_without_leftover_placeholders() {
        let values = Placeholders {
            user: Some("u"),
            guild: Some("g"),
            ticket_number: Some(1),
            staff: Some("s"),
            category: Some("c"),
            timeout: Some("5m"),
        };
        for t in [
            Template::Welcome,
            Template::Close,
            Template::NoModmailGuild,
            Template::ChooseGuild,
            Template::GuildChosen,
            Template::ChooseCategory,
            Template::CategoryChosen,
            Template::CategoryTimedOut,
            Template::GuildChoiceExpired,
        ] {
            let text = render(t.default_text(), &values);
            assert!(!text.contains('{'), "{t:?} left a placeholder: {text}");
            assert!(!text.is_empty());
        }
    }
}
