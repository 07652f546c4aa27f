//! The Discord side of the bot: the twilight HTTP client, the adapter that
//! implements the ticket core's [`crate::tickets::ports::DiscordPort`], and the
//! metering of every REST call.

pub mod background;
pub mod client;
pub mod errors;
pub mod facts;
pub mod gate;
pub mod metered;
pub mod payload;
pub mod port;

pub use client::{build_background_http_client, build_http_client};
pub use gate::RestGate;
pub use port::TwilightDiscord;

/// The permissions the bot asks for when it is invited: manage channels (ticket
/// channels and categories), view, send, manage messages (pins and menu
/// edits), embed links, attach files (transcripts, relayed files), read
/// history (recovery) and manage roles (ticket channel overwrites).
pub const INVITE_PERMISSIONS: u64 = 1 << 4 | 1 << 10 | 1 << 11 | 1 << 13 | 1 << 14 | 1 << 15 | 1 << 16 | 1 << 28;
