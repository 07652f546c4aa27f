//! How a gateway receive error is logged. twilight's error text for an event
//! it could not deserialize is the whole event (a DM's text, a member's
//! name, signed attachment links), so logs get what identifies the problem —
//! the event's name, its size, serde's reason with quoted values blanked —
//! and never the payload.

use twilight_gateway::error::{ReceiveMessageError, ReceiveMessageErrorType};

/// A log-safe description of `error`.
pub fn describe(error: &ReceiveMessageError) -> String {
    match error.kind() {
        ReceiveMessageErrorType::Deserializing { event } => {
            let name = event_name(event).unwrap_or_else(|| "an unnamed event".to_owned());
            let reason = std::error::Error::source(error).map(|e| blank_quoted(&e.to_string())).unwrap_or_default();
            format!("could not deserialize {name} ({} bytes) {reason}", event.len()).trim_end().to_owned()
        }
        // Every other kind's text names only what failed (compression, the
        // socket, a reconnect), never an event's contents.
        _ => error.to_string(),
    }
}

/// serde quotes the values it trips over (`invalid type: string "…"`), and
/// a value may be a user's text: every quoted part is blanked.
fn blank_quoted(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut open: Option<char> = None;
    for c in reason.chars() {
        match open {
            Some(quote) if c == quote => {
                out.push(c);
                open = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '"' || c == '`' {
                    out.push('…');
                    open = Some(c);
                }
            }
        }
    }
    out
}

/// The `t` of a gateway payload, if it has a sensible one.
fn event_name(event: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        t: Option<String>,
    }
    let name = serde_json::from_str::<Envelope>(event).ok()?.t?;
    // Only what Discord's event names look like, in case `t` itself is junk.
    let plain = !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_uppercase() || c == '_');
    plain.then_some(name)
}

#[cfg(test)]
mod tests {
    use twilight_gateway::EventTypeFlags;

    use super::*;

    #[test]
    fn an_event_that_fails_to_parse_is_logged_without_its_contents() {
        // A MESSAGE_CREATE missing a field twilight requires (`tts`).
        let event = r#"{"op":0,"s":4,"t":"MESSAGE_CREATE","d":{"id":"5","channel_id":"6","author":{"id":"7","username":"alice","discriminator":"0"},"content":"my address is 1 Secret Lane","timestamp":"2026-11-21T05:00:00.000000+00:00","mention_everyone":false,"mention_roles":[],"mentions":[],"pinned":false,"type":0,"embeds":[],"attachments":[{"id":"8","filename":"id.png","size":1,"url":"https://cdn.discordapp.com/attachments/6/8/id.png?hm=signed","proxy_url":"https://media.discordapp.net/x"}]}}"#;
        let error = twilight_gateway::parse(event.to_owned(), EventTypeFlags::all()).expect_err("tts is missing");
        assert!(error.to_string().contains("Secret Lane"), "twilight's own text carries the event: {error}");
        let described = describe(&error);
        assert!(described.contains("MESSAGE_CREATE") && described.contains("bytes"), "{described}");
        for secret in ["Secret Lane", "cdn.discordapp.com", "hm=signed", "alice"] {
            assert!(!described.contains(secret), "{secret} leaked: {described}");
        }
    }

    #[test]
    fn junk_is_described_without_being_echoed() {
        let error = twilight_gateway::parse("not json <script>".to_owned(), EventTypeFlags::all()).unwrap_err();
        let described = describe(&error);
        assert!(described.contains("an unnamed event") && !described.contains("script"), "{described}");
        assert_eq!(event_name(r#"{"t":"a secret"}"#), None);
    }

    #[test]
    fn values_serde_quotes_are_blanked() {
        assert_eq!(
            blank_quoted(r#"invalid type: string "1 Secret Lane", expected u64 at line 1 column 9"#),
            r#"invalid type: string "…", expected u64 at line 1 column 9"#
        );
        assert_eq!(blank_quoted("unknown variant `secret`, expected `a`"), "unknown variant `…`, expected `…`");
        assert_eq!(blank_quoted("unterminated \"secret"), "unterminated \"…");
    }
}
