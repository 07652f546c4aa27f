//! The ticket core's refusals as API errors: a Free plan limit is a 402
//! naming Premium, a bad value a 422 on the field it concerns, anything else
//! the core refuses a 409 with its message; failures of ours stay 500s.

use crate::api::Error;
use crate::domain::ids::IdError;
use crate::tickets::error::{Refusal, TicketError};

/// `error` of a core action whose input is `field`.
pub fn api_error(error: TicketError, field: &'static str) -> Error {
    match error {
        TicketError::Refused(Refusal::NeedsPremium(message)) => Error::PlanRequired(message.into()),
        TicketError::Refused(Refusal::InvalidInput(message)) => Error::unprocessable([(field, plain(&message))]),
        TicketError::Refused(Refusal::InvalidSettings(problems)) => {
            Error::unprocessable(problems.into_iter().map(|(name, problem)| (name, plain(&problem))))
        }
        TicketError::Refused(refusal) => Error::Conflict(plain(&refusal.to_string()).into()),
        other => Error::Internal(other.into()),
    }
}

/// A message without Discord's markdown.
pub fn plain(message: &str) -> String {
    message.replace(['`', '*'], "")
}

/// The 422 text for an id field that did not parse: `what` is "a user id",
/// "a category id" or "an id". A number that cannot be an id (0, or too
/// large to store) says why, as it looks like the right shape.
pub fn id_problem(what: &str, error: IdError) -> String {
    match error {
        IdError::NotANumber => format!("must be {what} (digits)"),
        IdError::Zero | IdError::TooLarge => format!("must be {what} (digits): {error}"),
    }
}
