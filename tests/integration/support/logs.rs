//! What the bot logs during one test, captured in memory.
//!
//! The subscriber is the default of the test's own thread, not the global
//! one: `#[tokio::test]` runs a current-thread runtime, so the bot's tasks
//! (gateway, handlers, jobs) log on that thread, while tests running in
//! parallel on other threads are neither captured nor slowed down.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing::subscriber::DefaultGuard;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// Everything logged on this thread, at every level, while the guard lives.
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// Starts capturing: every level of every crate but the stand-in (which
    /// plays Discord and is not the bot), span fields included.
    pub fn start() -> (Self, DefaultGuard) {
        let logs = Self::default();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new("trace,discord_standin=off"))
            .with_writer(logs.clone())
            .with_ansi(false)
            .finish();
        (logs.clone(), tracing::subscriber::set_default(subscriber))
    }

    /// The log lines so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("the log buffer is not poisoned")).into_owned()
    }
}

impl Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("the log buffer is not poisoned").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for CapturedLogs {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// With `TEST_LOG` set, the bot's logs of every test go to the test's output
/// (shown for a failing test, or with `--nocapture`), filtered by `RUST_LOG`
/// (default `info`); without it nothing is printed. Installed once per test
/// binary, as the global default: `CapturedLogs` still takes its own
/// thread's logs while it is active.
pub fn init_test_log() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_none() {
            return;
        }
        let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,discord_standin=warn"));
        // `finish` + `set_global_default`, not `try_init`: that would also
        // forward the `log` crate's records (the stand-in's websocket
        // library logs every frame through it) into `CapturedLogs`.
        let subscriber = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().with_ansi(false).finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}
