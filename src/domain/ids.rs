//! Discord snowflake ids as distinct types, so a channel id is never passed
//! where a user id belongs. Transport-free: the ticket core uses these instead
//! of twilight's `Id<Marker>` so it does not depend on the Discord client.
//!
//! Text from people (commands, forms, the API) becomes an id through one
//! parsing path, [`FromStr`] and `from_mention`: digits only, never 0, and at
//! most `i64::MAX`, because ids are stored as BIGINT (see `db`) and a larger
//! number would be stored wrapped to a negative, someone else's, id.

use std::fmt;
use std::str::FromStr;

/// Why some text is not an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdError {
    /// Empty, or something other than digits (a name, a sign, a mention of
    /// another kind).
    NotANumber,
    /// Discord never hands out 0.
    Zero,
    /// More than `i64::MAX`: no Discord id is that large, and storing it would
    /// wrap it negative.
    TooLarge,
}

impl fmt::Display for IdError {
    // Read after "… is not a Discord id:" or "must be a user id (digits):".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotANumber => "an id is a number made of digits only",
            Self::Zero => "an id is never 0",
            Self::TooLarge => "the number is larger than any Discord id can be",
        })
    }
}

impl std::error::Error for IdError {}

/// The one check behind every id type: plain ASCII digits (no sign, no
/// spaces: `u64::from_str` alone would take `+5`), non-zero, at most
/// `i64::MAX`.
fn parse_snowflake(text: &str) -> Result<u64, IdError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdError::NotANumber);
    }
    // Only digits: the one way left for `parse` to fail is overflow.
    let value = text.parse::<u64>().map_err(|_| IdError::TooLarge)?;
    match value {
        0 => Err(IdError::Zero),
        v if v > i64::MAX as u64 => Err(IdError::TooLarge),
        v => Ok(v),
    }
}

/// The digits inside `<{sigil}…>` for each of `sigils`, or the text itself
/// when it is not a mention (so a plain number is accepted too).
fn mention_inner<'a>(text: &'a str, sigils: &[&str]) -> &'a str {
    let text = text.trim();
    let Some(inner) = text.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
        return text;
    };
    // Longest sigil first, so `<@&1>` is not read as `@` followed by `&1`.
    sigils.iter().find_map(|sigil| inner.strip_prefix(sigil)).unwrap_or(text)
}

macro_rules! snowflake {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub struct $name(pub u64);

        impl $name {
            pub const fn get(self) -> u64 {
                self.0
            }

            /// The id as PostgreSQL stores it (BIGINT). Snowflakes fit in 63
            /// bits; ids from people are held to that by [`FromStr`].
            pub const fn db(self) -> i64 {
                self.0 as i64
            }

            pub const fn from_db(value: i64) -> Self {
                Self(value as u64)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        /// Plain digits only (callers trim); see [`IdError`] for what is refused.
        impl FromStr for $name {
            type Err = IdError;

            fn from_str(text: &str) -> Result<Self, IdError> {
                parse_snowflake(text).map(Self)
            }
        }
    )*};
}

snowflake!(
    /// A Discord guild (server).
    GuildId,
    /// A Discord user.
    UserId,
    /// A channel: a guild text channel, a category, or a DM channel.
    ChannelId,
    /// A message.
    MessageId,
    /// A guild role.
    RoleId,
);

impl UserId {
    /// `<@id>`, `<@!id>` (the older nickname form) or the plain id, as people
    /// paste them; spaces around are ignored.
    pub fn from_mention(text: &str) -> Result<Self, IdError> {
        mention_inner(text, &["@!", "@"]).parse()
    }
}

impl ChannelId {
    /// `<#id>` or the plain id; spaces around are ignored.
    pub fn from_mention(text: &str) -> Result<Self, IdError> {
        mention_inner(text, &["#"]).parse()
    }
}

impl RoleId {
    /// `<@&id>` or the plain id; spaces around are ignored.
    pub fn from_mention(text: &str) -> Result<Self, IdError> {
        mention_inner(text, &["@&"]).parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LARGEST: u64 = i64::MAX as u64;

    #[test]
    fn plain_digits_parse_into_every_id_type() {
        assert_eq!("123456789012345678".parse(), Ok(GuildId(123_456_789_012_345_678)));
        assert_eq!("42".parse(), Ok(UserId(42)));
        assert_eq!("42".parse(), Ok(ChannelId(42)));
        assert_eq!("42".parse(), Ok(MessageId(42)));
        assert_eq!("42".parse(), Ok(RoleId(42)));
    }

    #[test]
    fn zero_is_never_an_id() {
        assert_eq!("0".parse::<UserId>(), Err(IdError::Zero));
        assert_eq!("000".parse::<GuildId>(), Err(IdError::Zero));
        assert_eq!(UserId::from_mention("<@0>"), Err(IdError::Zero));
        assert_eq!(ChannelId::from_mention("<#0>"), Err(IdError::Zero));
        assert_eq!(RoleId::from_mention("<@&0>"), Err(IdError::Zero));
    }

    #[test]
    fn the_largest_bigint_is_accepted_and_one_more_is_refused() {
        let largest = LARGEST.to_string();
        let one_more = (LARGEST + 1).to_string();
        assert_eq!(largest.parse(), Ok(UserId(LARGEST)));
        assert_eq!(UserId(LARGEST).db(), i64::MAX, "stored as is, not wrapped");
        assert_eq!(one_more.parse::<UserId>(), Err(IdError::TooLarge));
        assert_eq!(one_more.parse::<GuildId>(), Err(IdError::TooLarge));
        assert_eq!(UserId::from_mention(&format!("<@{largest}>")), Ok(UserId(LARGEST)));
        assert_eq!(UserId::from_mention(&format!("<@{one_more}>")), Err(IdError::TooLarge));
        assert_eq!(ChannelId::from_mention(&format!("<#{largest}>")), Ok(ChannelId(LARGEST)));
        assert_eq!(ChannelId::from_mention(&format!("<#{one_more}>")), Err(IdError::TooLarge));
        assert_eq!(RoleId::from_mention(&format!("<@&{largest}>")), Ok(RoleId(LARGEST)));
        assert_eq!(RoleId::from_mention(&format!("<@&{one_more}>")), Err(IdError::TooLarge));
    }

    #[test]
    fn numbers_beyond_u64_are_too_large_not_garbage() {
        let max = u64::MAX.to_string();
        assert_eq!(max.parse::<UserId>(), Err(IdError::TooLarge));
        assert_eq!(format!("{max}0").parse::<ChannelId>(), Err(IdError::TooLarge));
        assert_eq!(UserId::from_mention(&format!("<@!{max}>")), Err(IdError::TooLarge));
        assert_eq!(RoleId::from_mention(&format!("<@&{max}>")), Err(IdError::TooLarge));
    }

    #[test]
    fn garbage_signs_and_spaces_are_not_numbers() {
        for text in ["", "alice", "12a", "-5", "+5", "1.0", "1 2", " 42", "42 ", "٤٢"] {
            assert_eq!(text.parse::<UserId>(), Err(IdError::NotANumber), "{text:?}");
        }
    }

    #[test]
    fn user_mentions_with_or_without_the_nickname_mark_are_read() {
        assert_eq!(UserId::from_mention("<@42>"), Ok(UserId(42)));
        assert_eq!(UserId::from_mention("<@!42>"), Ok(UserId(42)));
        assert_eq!(UserId::from_mention(" 123456789012345678 "), Ok(UserId(123_456_789_012_345_678)));
        assert_eq!(UserId::from_mention("<@!123456789012345678>"), Ok(UserId(123_456_789_012_345_678)));
    }

    #[test]
    fn channel_mentions_are_read() {
        assert_eq!(ChannelId::from_mention("<#10>"), Ok(ChannelId(10)));
        assert_eq!(ChannelId::from_mention(" 10 "), Ok(ChannelId(10)));
    }

    #[test]
    fn role_mentions_are_read() {
        assert_eq!(RoleId::from_mention("<@&20>"), Ok(RoleId(20)));
        assert_eq!(RoleId::from_mention("20"), Ok(RoleId(20)));
    }

    #[test]
    fn a_mention_of_another_kind_is_not_an_id_of_this_kind() {
        assert_eq!(UserId::from_mention("<#42>"), Err(IdError::NotANumber));
        assert_eq!(UserId::from_mention("<@&42>"), Err(IdError::NotANumber));
        assert_eq!(ChannelId::from_mention("<@42>"), Err(IdError::NotANumber));
        assert_eq!(ChannelId::from_mention("<@&42>"), Err(IdError::NotANumber));
        assert_eq!(RoleId::from_mention("<@42>"), Err(IdError::NotANumber));
        assert_eq!(RoleId::from_mention("<#42>"), Err(IdError::NotANumber));
    }

    #[test]
    fn broken_mentions_and_garbage_are_refused() {
        for text in ["<@42", "@42>", "<@>", "<@!>", "<@!!42>", "<@ 42>", "<@42>>", "<<@42>", "alice", ""] {
            assert_eq!(UserId::from_mention(text), Err(IdError::NotANumber), "{text:?}");
        }
        for text in ["<#>", "<##42>", "#42", "<#x>"] {
            assert_eq!(ChannelId::from_mention(text), Err(IdError::NotANumber), "{text:?}");
        }
        for text in ["<@&>", "<@&&42>", "&42", "<&42>"] {
            assert_eq!(RoleId::from_mention(text), Err(IdError::NotANumber), "{text:?}");
        }
    }

    #[test]
    fn refusals_read_as_reasons() {
        assert_eq!(IdError::TooLarge.to_string(), "the number is larger than any Discord id can be");
        assert_eq!(IdError::Zero.to_string(), "an id is never 0");
        assert_eq!(IdError::NotANumber.to_string(), "an id is a number made of digits only");
    }
}
