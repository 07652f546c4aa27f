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

/// The REST client. Against a plain-HTTP stand-in (`http://host:port`) requests
/// go to `http://host:port/api/v10/...`; against Discord, to discord.com.
pub fn build_http_client(config: &DiscordConfig) -> Client {
    install_crypto_provider();
    let mut builder =
        Client::builder().token(config.token.expose_secret().to_owned()).timeout(std::time::Duration::from_secs(15));
    if let Some(host) = config.api_url.strip_prefix("http://") {
        builder = builder.proxy(host.trim_end_matches('/').to_owned(), true);
    } else if let Some(host) = config.api_url.strip_prefix("https://") {
        if host.trim_end_matches('/') != "discord.com" {
            builder = builder.proxy(host.trim_end_matches('/').to_owned(), false);
        }
    }
    builder.build()
}
