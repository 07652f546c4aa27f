//! What the gate needs to know of a request from its method and path alone:
//! its rate-limit bucket (the route with its major parameter, as Discord
//! keys buckets), whether it counts toward the global limit, and its
//! priority when the budget is short.

use std::fmt;

/// Who goes first when the fleet's budget is short. Each class may fill the
/// rolling second only up to its share ([`Priority::share_of`]), so a burst
/// of background work always leaves room for what a person is waiting on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// A person waits on it: relays, replies, opening a ticket, answers to
    /// interactions.
    Urgent,
    /// Everything else done for someone (permissions, renames, lookups).
    Normal,
    /// Nobody waits on it: history reads (recovery, transcripts), cleanup
    /// (deletes, pins), menu refreshes, and whatever a background job sends
    /// (marked with [`PRIORITY_HEADER`]).
    Background,
}

/// The header a client sets to mark its requests' priority (`background`).
/// The gate removes it before the request goes on to Discord.
pub const PRIORITY_HEADER: &str = "x-ticketeer-priority";

impl Priority {
    /// Of a budget of `per_second`, how many requests of one rolling second
    /// this class may fill: all of it, 90 %, or two thirds.
    pub fn share_of(self, per_second: u32) -> u32 {
        let share = match self {
            Priority::Urgent => per_second,
            Priority::Normal => per_second * 9 / 10,
            Priority::Background => per_second * 2 / 3,
        };
        share.max(1)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Urgent => "urgent",
            Priority::Normal => "normal",
            Priority::Background => "background",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request as the budget sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteKey {
    /// `"POST channels/{id}/messages|channels/42"`: the route template and
    /// its major parameter, one bucket per channel, guild or webhook.
    pub bucket: String,
    /// A fixed name of the route without ids, for metrics.
    pub route: String,
    /// Interaction callbacks and webhooks are outside the global limit.
    pub counts_global: bool,
    pub priority: Priority,
}

/// Classifies `method path` (path as sent: `/api/v10/channels/42/messages`).
/// `marked` is a priority the client asked for with [`PRIORITY_HEADER`]; it
/// can only lower a request's priority, never raise it.
pub fn classify(method: &str, path: &str, marked: Option<&str>) -> RouteKey {
    let path = path.split('?').next().unwrap_or("");
    let mut segments: Vec<&str> = path.trim_start_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    // Drop the `api/vN` prefix.
    if segments.first() == Some(&"api") {
        segments.remove(0);
        if segments.first().is_some_and(|s| s.starts_with('v')) {
            segments.remove(0);
        }
    }
    let top = segments.first().copied().unwrap_or("");
    // The major parameter: the id after channels/guilds/webhooks (and a
    // webhook's or interaction's token).
    let major_len = match top {
        "channels" | "guilds" => 2,
        "webhooks" | "interactions" => 3,
        _ => 0,
    };
    let mut template = Vec::with_capacity(segments.len());
    let mut previous = "";
    for (i, segment) in segments.iter().enumerate() {
        let generic = if i < major_len {
            *segment
        } else if previous == "reactions" {
            "{emoji}"
        } else if segment.bytes().all(|b| b.is_ascii_digit()) {
            "{id}"
        } else {
            segment
        };
        template.push(generic);
        previous = segment;
    }
    let major = segments.iter().take(major_len).copied().collect::<Vec<_>>().join("/");
    let shape: Vec<&str> =
        template.iter().enumerate().map(|(i, s)| if i > 0 && i < major_len { "{major}" } else { *s }).collect();
    let route = format!("{method} {}", shape.join("/"));
    let bucket = format!("{route}|{major}");
    let counts_global = !matches!(top, "webhooks" | "interactions");
    let by_route = priority_of(method, &shape);
    let priority = match marked {
        Some("background") => Priority::Background,
        Some("normal") => by_route.max(Priority::Normal),
        _ => by_route,
    };
    RouteKey { bucket, route, counts_global, priority }
}

/// The priority a route has unless its sender marked it lower.
fn priority_of(method: &str, shape: &[&str]) -> Priority {
    match (method, shape) {
        // Interaction answers and follow-ups: someone clicked.
        (_, ["webhooks" | "interactions", ..]) => Priority::Urgent,
        // Relays, replies, DMs, notes; opening a DM channel; creating a
        // ticket channel.
        ("POST", ["channels", _, "messages"]) => Priority::Urgent,
        ("POST", ["users", "@me", "channels"]) => Priority::Urgent,
        ("POST", ["guilds", _, "channels"]) => Priority::Urgent,
        // Reading history (recovery, transcripts), deleting, pinning.
        ("GET", ["channels", _, "messages"]) => Priority::Background,
        ("DELETE", _) => Priority::Background,
        (_, ["channels", _, "pins", ..] | ["channels", _, "messages", "pins", ..]) => Priority::Background,
        _ => Priority::Normal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channels_messages_share_one_bucket_and_another_channel_has_its_own() {
        let a = classify("POST", "/api/v10/channels/42/messages", None);
        let b = classify("POST", "/api/v10/channels/42/messages", None);
        let c = classify("POST", "/api/v10/channels/43/messages", None);
        assert_eq!(a.bucket, b.bucket);
        assert_ne!(a.bucket, c.bucket);
        assert_eq!(a.route, "POST channels/{major}/messages");
        assert_eq!(a.priority, Priority::Urgent);
        assert!(a.counts_global);
    }

    #[test]
    fn minor_ids_and_emoji_are_generic_and_queries_ignored() {
        let a = classify("PATCH", "/api/v10/channels/42/messages/7", None);
        let b = classify("PATCH", "/api/v10/channels/42/messages/8?x=1", None);
        assert_eq!(a.bucket, b.bucket);
        let r = classify("PUT", "/api/v10/channels/42/messages/7/reactions/%F0%9F%91%8D/@me", None);
        assert_eq!(r.route, "PUT channels/{major}/messages/{id}/reactions/{emoji}/@me");
    }

    #[test]
    fn interaction_answers_are_outside_the_global_limit_and_urgent() {
        let k = classify("POST", "/api/v10/interactions/9/tok/callback", None);
        assert!(!k.counts_global);
        assert_eq!(k.priority, Priority::Urgent);
        let w = classify("PATCH", "/api/v10/webhooks/1/tok/messages/@original", None);
        assert!(!w.counts_global);
        assert_ne!(k.bucket, classify("POST", "/api/v10/interactions/9/other/callback", None).bucket);
    }

    #[test]
    fn history_reads_and_deletes_are_background_and_a_mark_only_lowers() {
        assert_eq!(classify("GET", "/api/v10/channels/1/messages", None).priority, Priority::Background);
        assert_eq!(classify("DELETE", "/api/v10/channels/1", None).priority, Priority::Background);
        assert_eq!(classify("PATCH", "/api/v10/channels/1", None).priority, Priority::Normal);
        assert_eq!(classify("PUT", "/api/v10/channels/1/pins/2", None).priority, Priority::Background);
        assert_eq!(classify("PUT", "/api/v10/channels/1/messages/pins/2", None).priority, Priority::Background);
        assert_eq!(classify("POST", "/api/v10/channels/1/messages", Some("background")).priority, Priority::Background);
        assert_eq!(classify("GET", "/api/v10/channels/1/messages", Some("urgent")).priority, Priority::Background);
    }

    #[test]
    fn each_class_leaves_room_for_the_ones_above_it() {
        assert_eq!(Priority::Urgent.share_of(45), 45);
        assert_eq!(Priority::Normal.share_of(45), 40);
        assert_eq!(Priority::Background.share_of(45), 30);
        assert_eq!(Priority::Background.share_of(1), 1);
    }
}
