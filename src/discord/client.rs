//! Builds the twilight HTTP client from configuration.

use std::sync::Once;

use secrecy::ExposeSecret;
use twilight_http::Client;

use axum::http::{HeaderMap, HeaderValue};

use super::gate::RestGate;
use crate::config::DiscordConfig;

/// rustls needs a process-wide crypto provider before any TLS client is built.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // An error means another part of the process installed one first: fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The REST client. It sends every request to this process's REST gate
/// (`discord/gate`), which forwards it to Discord (or the stand-in named by
/// `DISCORD_API_URL`) within the fleet's budget; so twilight's own rate
/// limiter is off: the gate never hands it a 429.
pub fn build_http_client(config: &DiscordConfig, gate: &RestGate) -> Client {
    build(config, gate, None)
}

/// The same client, its requests marked as background work: the gate lets
/// them fill only part of each second (`discord/gate/routes.rs`).
pub fn build_background_http_client(config: &DiscordConfig, gate: &RestGate) -> Client {
    build(config, gate, Some("background"))
}

fn build(config: &DiscordConfig, gate: &RestGate, priority: Option<&'static str>) -> Client {
    install_crypto_provider();
    let mut builder = Client::builder()
        .token(config.token.expose_secret().to_owned())
        .timeout(super::gate::CLIENT_TIMEOUT)
        .ratelimiter(None)
        .proxy(gate.addr().to_string(), true);
    if let Some(priority) = priority {
        let mut headers = HeaderMap::new();
        headers.insert(super::gate::routes::PRIORITY_HEADER, HeaderValue::from_static(priority));
        builder = builder.default_headers(headers);
    }
    builder.build()
}
