//! Marks work nobody waits on (recovery, sweeps, purges, menu refreshes) so
//! its REST requests go out as background ones: the gate lets them fill only
//! part of each second, and what a person waits on goes first
//! (`discord/gate/routes.rs`). A task-local, so the ticket core, which knows
//! no transport, need not pass it along.

use std::future::Future;

tokio::task_local! {
    static BACKGROUND: ();
}

/// Runs `work` with its Discord requests marked as background.
pub async fn in_background<F: Future>(work: F) -> F::Output {
    BACKGROUND.scope((), work).await
}

/// Whether the current task runs background work.
pub fn is_background() -> bool {
    BACKGROUND.try_with(|_| ()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_work_inside_the_scope_is_background() {
        assert!(!is_background());
        assert!(in_background(async { is_background() }).await);
        assert!(!is_background());
    }
}
