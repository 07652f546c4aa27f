//! Discord's `RATE_LIMITED` dispatch: a gateway request it refused, so far
//! only a guild's full member list asked for again within 30 s:
//! `{"opcode": 8, "retry_after": 21.3, "meta": {"guild_id": "…", "nonce": "…"}}`.
//!
//! twilight-model 0.18 models `meta` as an externally tagged enum
//! (`{"RequestGuildMembers": {…}}`), which is not what Discord sends, so the
//! event reaches us as a deserializing error carrying its text: it is read
//! here from either form.

use serde::Deserialize;
use twilight_gateway::error::{ReceiveMessageError, ReceiveMessageErrorType};
use twilight_model::gateway::payload::incoming::rate_limited::RateLimitMetadata;
use twilight_model::gateway::payload::incoming::RateLimited;

use crate::domain::ids::GuildId;

/// A refused member list request.
#[derive(Debug, Clone, PartialEq)]
pub struct RefusedMemberRequest {
    pub guild: GuildId,
    pub nonce: Option<String>,
    /// Seconds until Discord accepts the request again.
    pub retry_after: f64,
}

/// From an event twilight did parse (should it ever match Discord's shape).
pub fn from_event(limited: &RateLimited) -> Option<RefusedMemberRequest> {
    match &limited.meta {
        RateLimitMetadata::RequestGuildMembers { guild_id, nonce } => Some(RefusedMemberRequest {
            guild: GuildId(guild_id.get()),
            nonce: nonce.clone(),
            retry_after: f64::from(limited.retry_after),
        }),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// From an event twilight could not parse, if it is a `RATE_LIMITED` one.
pub fn from_receive_error(error: &ReceiveMessageError) -> Option<RefusedMemberRequest> {
    let ReceiveMessageErrorType::Deserializing { event } = error.kind() else {
        return None;
    };
    parse(event)
}

#[derive(Deserialize)]
struct Envelope {
    t: Option<String>,
    d: Option<Payload>,
}

#[derive(Deserialize)]
struct Payload {
    opcode: u8,
    retry_after: f64,
    meta: Meta,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(deserialize_with = "snowflake")]
    guild_id: u64,
    nonce: Option<String>,
}

fn snowflake<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
}

/// Reads a gateway payload's text as Discord sends `RATE_LIMITED`.
fn parse(text: &str) -> Option<RefusedMemberRequest> {
    let envelope: Envelope = serde_json::from_str(text).ok()?;
    if envelope.t.as_deref() != Some("RATE_LIMITED") {
        return None;
    }
    let payload = envelope.d?;
    // Opcode 8 is REQUEST_GUILD_MEMBERS; Discord may add other limits.
    (payload.opcode == 8).then_some(RefusedMemberRequest {
        guild: GuildId(payload.meta.guild_id),
        nonce: payload.meta.nonce,
        retry_after: payload.retry_after,
    })
}

#[cfg(test)]
mod tests {
    use twilight_gateway::EventTypeFlags;

    use super::*;

    const DISCORDS: &str = r#"{"op":0,"s":7,"t":"RATE_LIMITED","d":{"opcode":8,"retry_after":21.5,"meta":{"guild_id":"4194304","nonce":"fill-0-ab"}}}"#;

    #[test]
    fn discords_rate_limited_dispatch_is_read_whether_or_not_twilight_parses_it() {
        let expected =
            RefusedMemberRequest { guild: GuildId(4194304), nonce: Some("fill-0-ab".into()), retry_after: 21.5 };
        match twilight_gateway::parse(DISCORDS.to_owned(), EventTypeFlags::all()) {
            Ok(Some(event)) => match twilight_gateway::Event::from(event) {
                twilight_gateway::Event::RateLimited(limited) => assert_eq!(from_event(&limited), Some(expected)),
                other => panic!("parsed as {:?}", other.kind()),
            },
            Ok(None) => panic!("RATE_LIMITED was skipped"),
            Err(error) => assert_eq!(from_receive_error(&error), Some(expected)),
        }
    }

    #[test]
    fn other_events_are_not_refusals() {
        assert_eq!(parse(r#"{"op":0,"t":"GUILD_CREATE","d":{}}"#), None);
        assert_eq!(parse("not json"), None);
        assert_eq!(
            parse(r#"{"op":0,"t":"RATE_LIMITED","d":{"opcode":3,"retry_after":1,"meta":{"guild_id":"1"}}}"#),
            None
        );
    }
}
