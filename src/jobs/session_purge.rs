//! Deletes dashboard sessions past their expiry (`api_sessions.expires_at`).
//! Expired sessions already log nobody in (every lookup filters them); this
//! keeps the table from growing. Each API process runs it hourly; the delete
//! is idempotent, so replicas running it at once only share the work.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::db;

const EVERY: Duration = Duration::from_secs(3600);

pub async fn run(db: PgPool, shutdown: CancellationToken) {
    loop {
        match db::api_sessions::purge_expired(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "deleted expired dashboard sessions"),
            Err(e) => tracing::warn!(error = %e, "session purge failed"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}
