//! Modmail tickets: a member DMs the bot and staff answer in a ticket
//! channel. Beside `panel/` (tickets opened from a server's menu), on the
//! same ticket model and the same open, reply and close (`tickets/*.rs`).
//!
//! A DM's way: stored and drained in order (`inbox`), sent to a server
//! (`routing`, with the server menu and "switch server" in `conversation`)
//! and a team (`prompt`, the category prompt), then relayed (`relay`); the
//! user's edits and deletions follow (`user_changes`); what was missed is
//! recovered (`recovery`); a channel staff made becomes a ticket (`adopt`).
//! Configuration: `/modmail setup` (`setup`), its settings (`settings`, one
//! table of them in `setting_specs`, what staff type in `staff_settings`) and
//! modmail categories (`categories`).

pub mod adopt;
pub mod categories;
pub mod conversation;
pub mod inbox;
pub mod prompt;
pub mod recovery;
pub mod relay;
pub mod routing;
pub mod setting_specs;
pub mod settings;
pub mod setup;
pub mod staff_settings;
pub mod user_changes;
