//! Discord snowflake ids as distinct types, so a channel id is never passed
//! where a user id belongs. Transport-free: the ticket core uses these instead
//! of twilight's `Id<Marker>` so it does not depend on the Discord client.

use std::fmt;

macro_rules! snowflake {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub struct $name(pub u64);

        impl $name {
            pub const fn get(self) -> u64 {
                self.0
            }

            /// The id as PostgreSQL stores it (BIGINT). Snowflakes fit in 63 bits.
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
