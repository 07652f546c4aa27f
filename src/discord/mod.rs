//! The Discord side of the bot: the twilight HTTP client, the adapter that
//! implements the ticket core's [`crate::tickets::ports::DiscordPort`], and the
//! metering of every REST call.

pub mod client;
pub mod errors;
pub mod metered;
pub mod payload;
pub mod port;

pub use client::build_http_client;
pub use port::TwilightDiscord;
