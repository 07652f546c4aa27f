//! The `ticketeer` binary: everything is in the library; see `cli.rs`.
//!
//! Its allocator is jemalloc: a gateway cluster allocates in bursts (every
//! GUILD_CREATE at once after an identify) and then runs for weeks; jemalloc
//! gives the burst's pages back to the system (its background thread purges
//! what has been unused for a few seconds), where the system allocator kept
//! them resident (`loadtests/README.md`, guild_memory).

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read when it starts: purge pages unused for 1 s from
/// a background thread, so an idle process shrinks too.
#[cfg(not(target_env = "msvc"))]
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: &[u8] = b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:1000\0";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    ticketeer::cli::main().await
}
