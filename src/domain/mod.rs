//! The domain's vocabulary: ids, tickets, guild settings, the ticket menu
//! and its types, modmail categories, snippets, timers, who acts, direct messages and
//! plans. Plain types that depend on nothing else in the crate,
//! so every layer — the database (`db`), Redis (`redis`), billing, the ticket
//! core and the transports — depends on them one way and never on each other
//! for a type.

pub mod actor;
pub mod category;
pub mod dm;
pub mod ids;
pub mod panel;
pub mod plan;
pub mod settings;
pub mod snippet;
pub mod ticket;
pub mod timer;
