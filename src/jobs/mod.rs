//! Background jobs. Each is idempotent and guarded by a Redis lock, so any
//! number of processes may run them.

pub mod inbox_sweeper;
pub mod recovery;
pub mod redis_watch;
pub mod retention;
pub mod session_purge;
pub mod timer_worker;
pub mod transcript_purge;
