//! A cluster is ready when every one of its shards has a live session
//! (READY or RESUMED), not when their tasks are spawned: `/healthz` is what
//! orchestrators wait on before starting the next cluster, and what alerts
//! read. A shard that disconnects makes the cluster not ready until it is
//! back.

use std::collections::HashSet;
use std::sync::Mutex;

use crate::api::HealthCheck;

pub struct Readiness {
    health: HealthCheck,
    expected: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    connected: HashSet<u32>,
    stopping: bool,
}

impl Readiness {
    pub fn new(health: HealthCheck, expected: usize) -> Self {
        health.set_ready(false);
        Self { health, expected, state: Mutex::default() }
    }

    /// `shard` has a live session (`true`) or lost it (`false`).
    pub fn shard(&self, shard: u32, connected: bool) {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if connected {
            state.connected.insert(shard);
        } else {
            state.connected.remove(&shard);
        }
        self.health.set_ready(!state.stopping && state.connected.len() == self.expected);
    }

    /// The cluster is shutting down: not ready again, whatever shards say.
    pub fn stopping(&self) {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).stopping = true;
        self.health.set_ready(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_is_ready_only_while_every_shard_is_connected() {
        let health = HealthCheck::new();
        let readiness = Readiness::new(health.clone(), 2);
        readiness.shard(0, true);
        assert!(!health.is_ready(), "one of two shards");
        readiness.shard(1, true);
        assert!(health.is_ready());
        readiness.shard(1, false);
        assert!(!health.is_ready(), "a shard lost its session");
        readiness.shard(1, true);
        readiness.stopping();
        readiness.shard(0, true);
        assert!(!health.is_ready(), "never ready again once stopping");
    }
}
