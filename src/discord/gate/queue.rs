//! The process's waiting line in front of the fleet's budget. Requests wait
//! here, most urgent first and in arrival order within a priority, and one
//! task asks the budget for the head of the line. So a process asks Redis
//! once per request that goes (plus once per wait), not once per waiting
//! request each time a slot frees: a backlog of hundreds does not turn into
//! a stampede on Redis.
//!
//! A request whose bucket is spent steps out of the line until its bucket
//! resets, so one busy channel never holds up the others; a global wait
//! holds the line, but a more urgent arrival is asked for at once (its
//! priority may fill more of the second). Requests outside the global limit
//! (interaction answers, webhooks) never stand in the line.
//!
//! Priorities alone would starve: while relays fill every second, a menu
//! refresh would wait until the storm ends (and give up first). So once a
//! second the line serves the longest-waiting request below `Urgent` that
//! has waited `STARVING_AFTER`, as if it were urgent: a backlog of
//! background work takes at most one request a second from urgent work
//! (2 % of Discord's 50), and nothing waits for ever.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{oneshot, Notify};
use tokio::time::{Duration, Instant};

use super::budget::{Answer, FleetBudget, WaitFor};
use super::routes::{Priority, RouteKey};

/// How long a request below `Urgent` waits before it may be served ahead.
const STARVING_AFTER: Duration = Duration::from_secs(3);
/// At most one request is served ahead of its priority in this time.
const STARVING_EVERY: Duration = Duration::from_secs(1);

pub struct Line {
    waiting: Mutex<(BinaryHeap<Waiting>, u64)>,
    arrived: Notify,
    budget: FleetBudget,
}

struct Waiting {
    priority: Priority,
    seq: u64,
    key: RouteKey,
    /// Its name in the budget's window.
    member: String,
    go: oneshot::Sender<()>,
    /// When it joined the line.
    since: Instant,
}

impl Ord for Waiting {
    /// The heap's greatest is served first: the most urgent (the smallest
    /// [`Priority`]), then the earliest.
    fn cmp(&self, other: &Self) -> Ordering {
        other.priority.cmp(&self.priority).then_with(|| other.seq.cmp(&self.seq))
    }
}

impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Waiting {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Waiting {}

impl Line {
    /// A line in front of `budget`, served by a task that ends when the
    /// line is dropped.
    pub fn start(budget: FleetBudget) -> Arc<Line> {
        let line = Arc::new(Line { waiting: Mutex::new((BinaryHeap::new(), 0)), arrived: Notify::new(), budget });
        tokio::spawn(serve(Arc::downgrade(&line)));
        line
    }

    pub fn budget(&self) -> &FleetBudget {
        &self.budget
    }

    /// Waits for the budget to let `key` go. Dropping the future leaves the
    /// line (the request is never sent).
    pub async fn wait_turn(&self, key: RouteKey, member: String) {
        if !key.counts_global {
            // Interaction answers and webhooks are outside the global limit:
            // a global wait must not hold them (Discord fails an interaction
            // unanswered after 3 s). Their buckets are per interaction token,
            // so they wait for no one else either.
            loop {
                match self.budget.take(&key, &member).await {
                    Answer::Go => return,
                    Answer::Wait(wait, _) => tokio::time::sleep(wait).await,
                }
            }
        }
        let (go, turn) = oneshot::channel();
        self.join(key, member, go);
        // The sender is dropped only with the line itself.
        let _ = turn.await;
    }

    fn join(&self, key: RouteKey, member: String, go: oneshot::Sender<()>) {
        {
            let mut waiting = self.lock();
            let (heap, seq) = &mut *waiting;
            *seq += 1;
            heap.push(Waiting { priority: key.priority, seq: *seq, key, member, go, since: Instant::now() });
        }
        self.arrived.notify_one();
    }

    fn rejoin(&self, request: Waiting) {
        self.lock().0.push(request);
        self.arrived.notify_one();
    }

    fn lock(&self) -> MutexGuard<'_, (BinaryHeap<Waiting>, u64)> {
        self.waiting.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The head of the line, skipping requests whose sender gave up; with
    /// `rescue`, a starving request first if there is one (the `bool`).
    fn next(&self, rescue: bool) -> Option<(Waiting, bool)> {
        let mut waiting = self.lock();
        if rescue {
            if let Some(starving) = take_starving(&mut waiting.0, Instant::now()) {
                return Some((starving, true));
            }
        }
        while let Some(head) = waiting.0.pop() {
            if !head.go.is_closed() {
                return Some((head, false));
            }
        }
        None
    }

    fn most_urgent_waiting(&self) -> Option<Priority> {
        self.lock().0.peek().map(|w| w.priority)
    }
}

/// Takes out of `heap` the longest-waiting live request below `Urgent` that
/// has waited `STARVING_AFTER` by `now`, promoted to `Urgent` (it may fill
/// the whole second, and keeps its place at the front if it must wait again).
fn take_starving(heap: &mut BinaryHeap<Waiting>, now: Instant) -> Option<Waiting> {
    let starving = |w: &Waiting| {
        w.priority > Priority::Urgent && now.saturating_duration_since(w.since) >= STARVING_AFTER && !w.go.is_closed()
    };
    // The common case, nobody starving, costs a scan and no rebuild.
    let oldest = heap.iter().filter(|w| starving(w)).map(|w| w.seq).min()?;
    let mut rest = std::mem::take(heap).into_vec();
    let at = rest.iter().position(|w| w.seq == oldest)?;
    let mut taken = rest.swap_remove(at);
    *heap = BinaryHeap::from(rest);
    taken.priority = Priority::Urgent;
    taken.key.priority = Priority::Urgent;
    Some(taken)
}

/// Serves the line while it exists.
async fn serve(line: std::sync::Weak<Line>) {
    let mut last_rescue: Option<Instant> = None;
    loop {
        let Some(live) = line.upgrade() else { return };
        let rescue = last_rescue.is_none_or(|at| at.elapsed() >= STARVING_EVERY);
        let Some((head, rescued)) = live.next(rescue) else {
            // Wake now and then to notice a dropped line (this task holds it
            // only while it waits).
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), live.arrived.notified()).await;
            continue;
        };
        if rescued {
            last_rescue = Some(Instant::now());
        }
        match live.budget.take(&head.key, &head.member).await {
            Answer::Go => {
                // A caller that left meanwhile wastes its slot; nothing else.
                let _ = head.go.send(());
            }
            Answer::Wait(wait, WaitFor::Bucket) => {
                let again = Arc::downgrade(&live);
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    if let Some(line) = again.upgrade() {
                        line.rejoin(head);
                    }
                });
            }
            Answer::Wait(wait, WaitFor::Global) => {
                let priority = head.priority;
                live.rejoin(head);
                let until = Instant::now() + wait;
                // Sleep out the wait unless something more urgent arrives.
                loop {
                    let arrived = live.arrived.notified();
                    tokio::select! {
                        () = tokio::time::sleep_until(until) => break,
                        () = arrived => {
                            if live.most_urgent_waiting().is_some_and(|p| p < priority) {
                                break;
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiting(priority: Priority, seq: u64) -> Waiting {
        waited(priority, seq, Duration::ZERO).0
    }

    /// A waiting request `waited` ago whose caller still waits (`turn` kept).
    fn waited(priority: Priority, seq: u64, waited: Duration) -> (Waiting, oneshot::Receiver<()>) {
        let (go, turn) = oneshot::channel();
        let mut key = super::super::routes::classify("GET", "/api/v10/users/@me", None);
        key.priority = priority;
        let since = Instant::now() - waited;
        (Waiting { priority, seq, key, member: String::new(), go, since }, turn)
    }

    #[test]
    fn the_longest_waiting_starving_request_is_taken_out_as_urgent() {
        let long = Duration::from_secs(10);
        let mut heap = BinaryHeap::new();
        let mut turns = Vec::new();
        for (priority, seq, waited_for) in [
            (Priority::Urgent, 1, long),
            (Priority::Background, 2, Duration::ZERO),
            (Priority::Normal, 3, long),
            (Priority::Background, 4, long),
            (Priority::Urgent, 5, Duration::ZERO),
        ] {
            let (w, turn) = waited(priority, seq, waited_for);
            heap.push(w);
            turns.push(turn);
        }
        let taken = take_starving(&mut heap, Instant::now()).expect("a request starves");
        assert_eq!((taken.seq, taken.priority, taken.key.priority), (3, Priority::Urgent, Priority::Urgent));
        let taken = take_starving(&mut heap, Instant::now()).expect("another starves");
        assert_eq!(taken.seq, 4);
        assert!(take_starving(&mut heap, Instant::now()).is_none(), "the rest waited too little or are urgent");
        let order: Vec<u64> = std::iter::from_fn(|| heap.pop().map(|w| w.seq)).collect();
        assert_eq!(order, [1, 5, 2], "the line keeps its order");
    }

    #[test]
    fn a_request_whose_caller_left_is_not_rescued() {
        let mut heap = BinaryHeap::new();
        let (w, turn) = waited(Priority::Background, 1, Duration::from_secs(10));
        drop(turn);
        heap.push(w);
        assert!(take_starving(&mut heap, Instant::now()).is_none());
    }

    #[test]
    fn the_most_urgent_goes_first_then_the_earliest() {
        let mut heap = BinaryHeap::new();
        heap.push(waiting(Priority::Background, 1));
        heap.push(waiting(Priority::Urgent, 3));
        heap.push(waiting(Priority::Normal, 2));
        heap.push(waiting(Priority::Urgent, 4));
        let order: Vec<(Priority, u64)> = std::iter::from_fn(|| heap.pop().map(|w| (w.priority, w.seq))).collect();
        assert_eq!(
            order,
            vec![(Priority::Urgent, 3), (Priority::Urgent, 4), (Priority::Normal, 2), (Priority::Background, 1)]
        );
    }
}
