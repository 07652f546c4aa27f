//! What an action asks its transport to show once it has run.

use super::ports::OutgoingMessage;

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Show this in the channel where the action was invoked, to everyone
    /// (a staff reply's copy in the ticket channel).
    Post(OutgoingMessage),
    /// Tell only the person who acted (ephemeral for interactions).
    Notice(String),
    /// The action posted its own public result (a staff reply's copy in the
    /// ticket, recorded by the core): the command that asked for it may go
    /// (a text command is deleted); the note is for the actor alone.
    Delivered(String),
    /// Nothing to show: the work is done, or was done before (a replay).
    Done,
}
