//! Plans and Stripe billing, transport-free: what each plan allows
//! (`plan.rs`), checking a webhook's `Stripe-Signature` (`signature.rs`),
//! and turning Stripe's events into each subscription's state (`events.rs`).
//! The API's webhook route and billing routes call these; the ticket core asks
//! `plan.rs` for a guild's limits.

pub mod events;
pub mod signature;
pub mod stripe_api;

// The plans moved to `crate::domain::plan`; this path is kept while branches
// written against it are merged.
pub use crate::domain::plan;
pub use crate::domain::plan::{Limits, Plan};
