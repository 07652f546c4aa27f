//! Gateway events turned into ticket actions: each handler translates one kind
//! of twilight event into calls of the transport-free ticket core.

pub mod direct_message;
pub mod guild_message;
pub mod interaction;
pub mod membership;
pub mod panel;
pub mod panel_admin;
mod respond;
mod retry;

// Handlers, jobs and timers report a failed action the same way.
pub use crate::tickets::error::report;
