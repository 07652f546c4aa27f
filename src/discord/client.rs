//! Builds the twilight HTTP client from configuration.

use std::sync::Once;

use secrecy::ExposeSecret;
use twilight_http::Client;

use crate::config::DiscordConfig;

/// rustls needs a process-wide crypto provider before any TLS client is built.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // An error means another part of the process installed one first: fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Requests per second this process lets twilight send, of Discord's 50.
///
/// Half, because the two count differently: twilight opens a one-second
/// window at its first request and counts 50 in it, while Discord's window
/// is its own (rolling), so two of ours can fall into one of Discord's and
/// 100 requests reach it in a second. The global 429 that follows is one
/// twilight cannot honour: it names no bucket, so twilight sends on (and
/// retries the limited request) at once, each request before the wait
/// Discord asked for. At 25 per window, no second of Discord's sees more
/// than 50. Found by fault test 4 (`rest_storms`): the backlog a REST storm
/// leaves is sent as one burst when it ends.
const GLOBAL_REQUESTS_PER_WINDOW: u16 = 25;

/// The REST client. Against a plain-HTTP stand-in (`http://host:port`) requests
/// go to `http://host:port/api/v10/...`; against Discord, to discord.com.
/// Needs a Tokio runtime (the rate limiter runs as a task).
pub fn build_http_client(config: &DiscordConfig) -> Client {
    install_crypto_provider();
    let mut builder = Client::builder()
        .token(config.token.expose_secret().to_owned())
        .timeout(std::time::Duration::from_secs(15))
        .ratelimiter(Some(twilight_http_ratelimiting::RateLimiter::new(GLOBAL_REQUESTS_PER_WINDOW)));
    if let Some(host) = config.api_url.strip_prefix("http://") {
        builder = builder.proxy(host.trim_end_matches('/').to_owned(), true);
    } else if let Some(host) = config.api_url.strip_prefix("https://") {
        if host.trim_end_matches('/') != "discord.com" {
            builder = builder.proxy(host.trim_end_matches('/').to_owned(), false);
        }
    }
    builder.build()
}
