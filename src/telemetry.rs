//! Logging set-up: one `tracing` subscriber per process, human-readable for a
//! terminal or one JSON object per line for log shippers.
//!
//! Logs go to stderr so that a command's own output on stdout (`ticketeer
//! migrate`, `ticketeer demo`) stays clean; journald and Kubernetes collect both.

use std::fmt;
use std::str::FromStr;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Coloured, aligned lines for a person at a terminal.
    #[default]
    Human,
    /// One JSON object per line, with span fields, for Loki/Elasticsearch & co.
    Json,
}

/// A log format name that is neither `human` nor `json`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown log format {0:?}: expected \"human\" or \"json\"")]
pub struct UnknownLogFormat(pub String);

impl FromStr for LogFormat {
    type Err = UnknownLogFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "human" => Ok(Self::Human),
            "json" => Ok(Self::Json),
            _ => Err(UnknownLogFormat(s.to_owned())),
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Human => "human",
            Self::Json => "json",
        })
    }
}

/// Installs the global subscriber. The filter comes from `RUST_LOG` when it is
/// set and valid, else from `default_filter` (e.g. `"info,ticketeer=debug"`).
///
/// Calling it again (tests, the demo starting several components) does nothing:
/// the first subscriber stays.
pub fn init(format: LogFormat, default_filter: &str) {
    let (filter, problem) = choose_filter(std::env::var("RUST_LOG").ok(), default_filter);

    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(true);
    let installed = match format {
        LogFormat::Human => builder.try_init().is_ok(),
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).try_init().is_ok(),
    };

    // Only now can the problem be reported through the subscriber itself.
    if let (true, Some(problem)) = (installed, problem) {
        tracing::warn!("{problem}");
    }
}

/// Picks the filter to use and, when a given filter was rejected, says why.
fn choose_filter(rust_log: Option<String>, default_filter: &str) -> (EnvFilter, Option<String>) {
    if let Some(directives) = rust_log.filter(|d| !d.trim().is_empty()) {
        match EnvFilter::try_new(&directives) {
            Ok(filter) => return (filter, None),
            Err(error) => {
                let problem =
                    format!("RUST_LOG={directives:?} is not a valid filter ({error}); using {default_filter:?}");
                return match EnvFilter::try_new(default_filter) {
                    Ok(filter) => (filter, Some(problem)),
                    Err(_) => (EnvFilter::new("info"), Some(problem)),
                };
            }
        }
    }
    match EnvFilter::try_new(default_filter) {
        Ok(filter) => (filter, None),
        Err(error) => (
            EnvFilter::new("info"),
            Some(format!("default log filter {default_filter:?} is not valid ({error}); using \"info\"")),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_formats() {
        assert_eq!("human".parse::<LogFormat>(), Ok(LogFormat::Human));
        assert_eq!("JSON".parse::<LogFormat>(), Ok(LogFormat::Json));
        assert_eq!(" json ".parse::<LogFormat>(), Ok(LogFormat::Json));
        assert_eq!(LogFormat::Json.to_string().parse::<LogFormat>(), Ok(LogFormat::Json));
    }

    #[test]
    fn rejects_unknown_format_with_a_clear_message() {
        let err = "yaml".parse::<LogFormat>().unwrap_err();
        assert_eq!(err.to_string(), "unknown log format \"yaml\": expected \"human\" or \"json\"");
    }

    #[test]
    fn invalid_rust_log_falls_back_to_default() {
        let (filter, problem) = choose_filter(Some("=[bad".to_owned()), "warn");
        assert_eq!(filter.to_string(), "warn");
        assert!(problem.is_some_and(|p| p.contains("RUST_LOG")));

        let (filter, problem) = choose_filter(Some("debug".to_owned()), "warn");
        assert_eq!(filter.to_string(), "debug");
        assert!(problem.is_none());

        let (filter, problem) = choose_filter(None, "info,ticketeer=debug");
        assert!(filter.to_string().contains("ticketeer=debug"));
        assert!(problem.is_none());
    }

    #[test]
    fn init_twice_does_not_panic() {
        init(LogFormat::Human, "warn");
        init(LogFormat::Json, "warn");
    }
}
