//! How many gateway events a cluster handles at once, and fairly.
//!
//! Three bounds, so a flood neither exhausts the process nor starves other
//! servers:
//! - **Admission**: a cluster holds at most [`EventLanes::held`] events at a
//!   time (running or waiting). A shard loop waits for a place before it
//!   hands an event on, so a backlog slows reading from Discord (which
//!   buffers) instead of growing memory without end: back-pressure.
//! - **Lanes**: events of one server (or, for DMs and for interactions,
//!   which must be answered within 3 s, of one user) run at most `per_lane`
//!   at a time; the rest wait in
//!   their lane, in arrival order, without taking a handler slot.
//! - **Slots**: at most `TICKETEER_HANDLER_CONCURRENCY` handlers run in the
//!   cluster at once, taken in arrival order among the lanes' heads.
//!
//! So a server flooding the bot holds `per_lane` slots; every other server's
//! events go straight past its waiting line.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use twilight_gateway::Event;

/// Whose line an event waits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lane {
    Guild(u64),
    User(u64),
    /// Events about the connection itself (READY, RESUMED…): no line.
    Free,
}

impl Lane {
    pub fn of(event: &Event) -> Lane {
        // Discord fails an interaction not answered within 3 s, so a click
        // never waits behind its server's other work: it waits only behind
        // the same person's.
        if let Event::InteractionCreate(i) = event {
            return i.author_id().map_or(Lane::Free, |user| Lane::User(user.get()));
        }
        if let Some(guild) = event.guild_id() {
            return Lane::Guild(guild.get());
        }
        match event {
            Event::MessageCreate(m) => Lane::User(m.author.id.get()),
            Event::MessageUpdate(m) => Lane::User(m.author.id.get()),
            _ => Lane::Free,
        }
    }
}

pub struct EventLanes {
    admission: Arc<Semaphore>,
    slots: Arc<Semaphore>,
    per_lane: usize,
    lanes: Mutex<HashMap<Lane, Arc<Semaphore>>>,
    held: usize,
    concurrency: usize,
}

/// An event's place in the cluster, from admission until its handler ends.
pub struct Admitted {
    _place: Option<OwnedSemaphorePermit>,
    lane: Lane,
}

/// A running handler's lane place and slot; freed when dropped.
pub struct Running {
    _slot: Option<OwnedSemaphorePermit>,
    _lane: Option<OwnedSemaphorePermit>,
    lanes: Arc<EventLanes>,
    lane: Lane,
}

/// Events a cluster may hold (waiting in their lanes) per handler it runs,
/// before its shard loops wait: room for a server's burst, bounded memory.
const HELD_PER_HANDLER: usize = 16;

impl EventLanes {
    /// The lanes of one cluster, sized by its configuration.
    pub fn for_cluster(config: &crate::config::Config) -> Arc<Self> {
        Self::new(config.handler_concurrency, config.handler_per_server, config.handler_concurrency * HELD_PER_HANDLER)
    }

    /// `concurrency` handlers at once, `per_lane` of one server or user,
    /// `held` events admitted in all.
    pub fn new(concurrency: usize, per_lane: usize, held: usize) -> Arc<Self> {
        Arc::new(Self {
            admission: Arc::new(Semaphore::new(held)),
            slots: Arc::new(Semaphore::new(concurrency)),
            per_lane: per_lane.max(1),
            lanes: Mutex::new(HashMap::new()),
            held,
            concurrency,
        })
    }

    /// Waits (back-pressure on the shard loop) for a place for one more event.
    pub async fn admit(&self, lane: Lane) -> Admitted {
        let started = std::time::Instant::now();
        // The semaphores are never closed, so acquiring cannot fail.
        let place = self.admission.clone().acquire_owned().await.ok();
        let waited = started.elapsed();
        if !waited.is_zero() {
            crate::metrics::event_admission_wait(waited);
        }
        self.report();
        Admitted { _place: place, lane }
    }

    /// Waits for the event's turn in its lane, then for a handler slot.
    pub async fn run(self: &Arc<Self>, admitted: &Admitted) -> Running {
        let lane = admitted.lane;
        let lane_place = match lane {
            Lane::Free => None,
            lane => {
                let semaphore = {
                    let mut lanes = self.lanes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    lanes.entry(lane).or_insert_with(|| Arc::new(Semaphore::new(self.per_lane))).clone()
                };
                semaphore.acquire_owned().await.ok()
            }
        };
        let slot = self.slots.clone().acquire_owned().await.ok();
        self.report();
        Running { _slot: slot, _lane: lane_place, lanes: self.clone(), lane }
    }

    /// Events admitted and handlers running, as gauges.
    fn report(&self) {
        let held = self.held - self.admission.available_permits();
        let running = self.concurrency - self.slots.available_permits();
        crate::metrics::events_in_cluster(held, running);
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        drop(self._lane.take());
        // Forget an idle lane (the map's copy is the only one left), so the
        // map holds only servers and users with events right now.
        if self.lane != Lane::Free {
            let mut lanes = self.lanes.lanes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if lanes.get(&self.lane).is_some_and(|s| Arc::strong_count(s) == 1) {
                lanes.remove(&self.lane);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn start(lanes: &Arc<EventLanes>, lane: Lane) -> (Admitted, Option<Running>) {
        let admitted = lanes.admit(lane).await;
        let running = tokio::time::timeout(Duration::from_millis(30), lanes.run(&admitted)).await.ok();
        (admitted, running)
    }

    #[tokio::test]
    async fn a_flooding_server_holds_its_lane_share_and_another_server_runs_at_once() {
        let lanes = EventLanes::new(4, 2, 100);
        let mut flood = Vec::new();
        for _ in 0..6 {
            flood.push(start(&lanes, Lane::Guild(1)).await);
        }
        let running = flood.iter().filter(|(_, r)| r.is_some()).count();
        assert_eq!(running, 2, "one server runs at most its lane's share");
        let (_, other) = start(&lanes, Lane::Guild(2)).await;
        assert!(other.is_some(), "another server's event runs past the flood");
    }

    #[tokio::test]
    async fn handlers_never_exceed_the_cluster_slots_and_admission_pushes_back() {
        let lanes = EventLanes::new(2, 8, 3);
        let a = start(&lanes, Lane::Guild(1)).await;
        let b = start(&lanes, Lane::Guild(2)).await;
        let c = start(&lanes, Lane::Guild(3)).await;
        assert!(a.1.is_some() && b.1.is_some());
        assert!(c.1.is_none(), "a third handler waits for a slot");
        let fourth = tokio::time::timeout(Duration::from_millis(30), lanes.admit(Lane::Guild(4))).await;
        assert!(fourth.is_err(), "with three events held, the shard loop waits");
        drop(a);
        let fourth = tokio::time::timeout(Duration::from_millis(30), lanes.admit(Lane::Guild(4))).await;
        assert!(fourth.is_ok(), "a finished event makes room");
    }

    #[tokio::test]
    async fn idle_lanes_are_forgotten() {
        let lanes = EventLanes::new(4, 2, 10);
        let (admitted, running) = start(&lanes, Lane::User(7)).await;
        drop(running);
        drop(admitted);
        assert!(lanes.lanes.lock().unwrap().is_empty());
    }
}
