//! Signed, expiring links to a transcript, for the ticket's opener: the bot
//! puts one in the close DM, and the API's `/v1/transcripts/{ticket_id}`
//! serves the page to whoever holds a valid one. Nobody can make a link
//! without `TICKETEER_SECRET_KEY`, change the ticket id or stretch the expiry.

use chrono::{DateTime, Utc};

use crate::crypto::SecretKey;

const PURPOSE: &str = "ticketeer/transcript-link/v1";

/// Makes and checks transcript links.
#[derive(Debug, Clone)]
pub struct TranscriptLinks {
    /// The API's public origin.
    base_url: String,
    key: SecretKey,
}

impl TranscriptLinks {
    pub fn new(base_url: &str, key: SecretKey) -> Self {
        Self { base_url: base_url.trim_end_matches('/').to_owned(), key }
    }

    /// The link to ticket `ticket_id`'s transcript, valid until `expires`.
    pub fn url(&self, ticket_id: i64, expires: DateTime<Utc>) -> String {
        let expires = expires.timestamp();
        let signature = self.key.sign(PURPOSE, message(ticket_id, expires).as_bytes());
        format!("{}/v1/transcripts/{ticket_id}?expires={expires}&signature={signature}", self.base_url)
    }

    /// Whether the link's parts are genuine and not yet expired.
    pub fn verify(&self, ticket_id: i64, expires: i64, signature: &str, now: DateTime<Utc>) -> bool {
        expires > now.timestamp() && self.key.verify(PURPOSE, message(ticket_id, expires).as_bytes(), signature)
    }
}

fn message(ticket_id: i64, expires: i64) -> String {
    format!("{ticket_id}.{expires}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_verifies_until_it_expires_and_not_for_another_ticket_or_expiry() {
        let links = TranscriptLinks::new("https://api.example.com/", SecretKey::from_hex(&"11".repeat(32)).unwrap());
        let now = Utc::now();
        let expires = now + chrono::Duration::days(30);
        let url = links.url(7, expires);
        assert!(url.starts_with("https://api.example.com/v1/transcripts/7?expires="), "{url}");
        let signature = url.split("signature=").nth(1).unwrap();
        let ts = expires.timestamp();
        assert!(links.verify(7, ts, signature, now));
        assert!(!links.verify(8, ts, signature, now), "another ticket");
        assert!(!links.verify(7, ts + 86_400, signature, now), "a stretched expiry");
        assert!(!links.verify(7, ts, signature, expires + chrono::Duration::seconds(1)), "expired");
    }
}
