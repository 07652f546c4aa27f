//! Ticketeer: a multi-tenant Discord bot for support tickets and modmail.
//!
//! Where things are (see docs/ARCHITECTURE.md):
//! - `gateway/`: where Discord's events enter (clusters, shards, dispatch).
//! - `handlers/`: events turned into ticket actions (`direct_message.rs`: a DM).
//! - `tickets/`: the transport-free ticket core (`inbox.rs`: a DM becomes a ticket).
//! - `commands/`: slash and text commands, parsed into one `Command`.
//! - `discord/`: the twilight REST adapter the core talks through.
//! - `db/`: all SQL. `redis/`: locks and the key scheme. `api/`: the HTTP API.

pub mod api;
pub mod billing;
pub mod bot;
pub mod cli;
pub mod commands;
pub mod config;
pub mod crypto;
pub mod db;
/// Only with the `demo` feature, which the production binary is built without.
#[cfg(feature = "demo")]
pub mod demo;
pub mod discord;
pub mod domain;
pub mod gateway;
pub mod handlers;
pub mod jobs;
/// The demo's throwaway servers: only with the `demo` feature.
#[cfg(feature = "demo")]
pub mod local_services;
pub mod metrics;
pub mod redis;
pub mod telemetry;
pub mod templates;
pub mod tickets;
