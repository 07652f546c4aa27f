//! Background jobs. Each is idempotent and guarded by a Redis lock, so any
//! number of processes may run them. Those the fleet needs once run on the
//! gateway process holding the singleton lease (`singleton_lease`).

pub mod inbox_sweeper;
pub mod member_index_prune;
pub mod one_pass_at_a_time;
pub mod recovery;
pub mod redis_watch;
pub mod retention;
pub mod session_purge;
pub mod shard_advice;
pub mod singleton_lease;
pub mod timer_worker;
pub mod transcript_purge;
