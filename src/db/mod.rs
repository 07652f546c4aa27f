//! PostgreSQL: the source of truth. All SQL lives in this folder, one file per
//! table family, as compile-checked `sqlx::query!` calls (offline data in `.sqlx/`).
//!
//! The caller owns the transaction: every function takes an executor and none
//! opens a transaction. One statement takes `impl PgExecutor` (a pool, a
//! connection or a transaction); statements that must hold together take
//! `&mut PgConnection` (the caller's transaction); reads or batched deletes
//! that need one connection but no transaction take `impl Acquire`.

pub mod alerts;
pub mod api_sessions;
pub mod api_tokens;
pub mod audit_log;
pub mod billing;
pub mod blocks;
pub mod categories;
pub mod choices;
pub mod conversations;
pub mod events;
pub mod guild_data;
pub mod guilds;
pub mod inbound;
pub mod member_index;
pub mod members;
pub mod overflow_categories;
pub mod panel;
pub mod prompts;
pub mod relay_log;
pub mod retention;
pub mod settings;
pub mod snippets;
pub mod ticket_reports;
pub mod tickets;
pub mod timers;
pub mod transcripts;

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
pub use sqlx::PgPool;

/// Opens a pool. Connections are made lazily so a process can start (and answer
/// `/readyz` with 503) while PostgreSQL is still down.
pub fn connect_lazy(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_lazy(url)?)
}

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Applies pending migrations. Safe to run twice and concurrently: sqlx takes a
/// PostgreSQL advisory lock for the duration and skips applied migrations.
/// The one function here that takes the pool: the migrator opens a
/// transaction per migration itself, so it never runs in a caller's.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Whether an error is a unique-constraint violation (SQLSTATE 23505).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("23505"))
}

/// Whether `err` may pass if the same statement is tried again shortly: the
/// pool had no free connection in time, the connection broke, PostgreSQL is
/// restarting or refuses more connections, or the transaction lost a
/// serialization or deadlock race. A constraint violation, a bad query or a
/// missing row never passes by waiting.
pub fn is_transient(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        // A connection cut while it was being set up reads as garbage ("unexpected
        // response from SSLRequest"); retries are few, so one that is a real
        // protocol fault still ends soon.
        sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exception; 53300: too many connections;
            // 57P01..57P03: the server is shutting down or starting.
            code.starts_with("08") || matches!(code.as_ref(), "40001" | "40P01" | "53300" | "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}
