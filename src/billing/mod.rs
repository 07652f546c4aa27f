//! Stripe billing, transport-free: checking a webhook's `Stripe-Signature`
//! (`signature.rs`), turning Stripe's events into each subscription's state
//! (`events.rs`) and Stripe's Checkout and Portal (`stripe_api.rs`). The
//! API's webhook route and billing routes call these. What each plan allows
//! is `domain/plan.rs`, which the ticket core asks for a guild's limits.

pub mod events;
pub mod signature;
pub mod stripe_api;
