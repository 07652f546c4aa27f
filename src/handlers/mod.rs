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

use crate::tickets::TicketError;

/// Logs and counts a failed handler; refusals are ordinary and only logged at
/// debug level.
pub fn report(handler: &'static str, error: &TicketError) {
    if error.is_internal() {
        crate::metrics::handler_error(handler);
        tracing::error!(handler, error = %error, "handler failed");
    } else {
        tracing::debug!(handler, error = %error, "request refused");
    }
}
