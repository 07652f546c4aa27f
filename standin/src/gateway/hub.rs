//! Gateway sessions and event fan-out.
//!
//! A session outlives its websocket: events keep being numbered and buffered
//! while it is disconnected, so a RESUME can replay exactly what was missed.
//! Events are routed like Discord routes them: a guild's events go to shard
//! `(guild_id >> 22) % total`, DMs only to shard 0, and only to sessions
//! whose intents ask for them.

use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

pub const GUILDS: u64 = 1 << 0;
pub const GUILD_MEMBERS: u64 = 1 << 1;
pub const GUILD_MESSAGES: u64 = 1 << 9;
pub const GUILD_MESSAGE_REACTIONS: u64 = 1 << 10;
pub const DIRECT_MESSAGES: u64 = 1 << 12;
pub const DIRECT_MESSAGE_REACTIONS: u64 = 1 << 13;
pub const MESSAGE_CONTENT: u64 = 1 << 15;
/// Every intent bit Discord defines (anything else is close code 4013).
pub const ALL_INTENTS: u64 = (1 << 26) - 1;

/// Events kept per session for resumes; older ones make a resume fail.
const BUFFER: usize = 20_000;
/// How long a disconnected session stays resumable.
const RESUMABLE_FOR: Duration = Duration::from_secs(300);

/// What a connection task is told to do.
#[derive(Debug)]
pub enum Outbound {
    Text(String),
    /// Send a close frame with this code and end the connection.
    Close(u16, String),
    /// End the connection without a close frame (a network failure).
    Drop,
}

pub struct Session {
    pub id: String,
    pub token: String,
    pub shard: u32,
    pub total: u32,
    pub intents: u64,
    pub seq: u64,
    pub buffer: VecDeque<(u64, String)>,
    /// The connection currently attached: (connection id, its sender).
    pub conn: Option<(u64, UnboundedSender<Outbound>)>,
    pub identified_at: String,
    pub disconnected_at: Option<Instant>,
}

impl Session {
    /// Numbers, buffers and (if connected) sends one dispatch.
    pub fn push(&mut self, event: &str, d: Value) {
        self.seq += 1;
        let frame = json!({"op": 0, "t": event, "s": self.seq, "d": d}).to_string();
        if self.buffer.len() >= BUFFER {
            self.buffer.pop_front();
        }
        self.buffer.push_back((self.seq, frame.clone()));
        self.send(Outbound::Text(frame));
    }

    pub fn send(&mut self, out: Outbound) {
        if let Some((_, tx)) = &self.conn {
            if tx.send(out).is_err() {
                self.conn = None;
                self.disconnected_at = Some(Instant::now());
            }
        }
    }

    pub fn live(&self) -> bool {
        self.conn.is_some()
    }
}

/// Where an event belongs.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    Guild(u64),
    /// DMs: shard 0 only.
    Dm,
}

/// Which shard a guild lives on.
pub fn shard_of(guild_id: u64, total: u32) -> u32 {
    ((guild_id >> 22) % u64::from(total.max(1))) as u32
}

/// Fault kinds the control API can inject.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    Reconnect,
    Invalidate {
        resumable: bool,
    },
    Drop,
    /// A close frame with this code; a fatal code (4004, 4010–4014) ends the
    /// session for good.
    Close {
        code: u16,
    },
}

#[derive(Default)]
pub struct Hub {
    pub sessions: HashMap<String, Session>,
    /// Identify bucket (`shard % max_concurrency`) → last identify.
    pub identify_last: HashMap<u32, Instant>,
    pub identifies: u64,
    pub resumes: u64,
    pub identify_violations: u64,
    pub starts_used: u32,
    /// The day's identifies were overspent: the token no longer works.
    pub token_reset: bool,
    /// Identifies attempted after the budget was spent.
    pub identifies_over_budget: u64,
    /// Guild → when its last full member list request was accepted.
    pub full_member_requests_at: HashMap<u64, Instant>,
    /// Guild → full member list requests accepted (answered with chunks).
    pub full_member_requests: HashMap<u64, u64>,
    /// Full member list requests refused with a `RATE_LIMITED` dispatch.
    pub member_requests_rate_limited: u64,
    /// `GET /gateway/bot`'s `shards` when set by the control API (the bot
    /// grew and Discord recommends more shards); else the configured count.
    pub recommended_shards: Option<u32>,
    next_conn: u64,
}

impl Hub {
    pub fn next_conn_id(&mut self) -> u64 {
        self.next_conn += 1;
        self.next_conn
    }

    /// Sends an event to every session of the right shard whose intents
    /// include `intent` (None: always delivered). `make` builds the payload
    /// for a session's intents (MESSAGE_CONTENT changes message bodies).
    pub fn dispatch(&mut self, target: Target, event: &str, intent: Option<u64>, make: impl Fn(u64) -> Value) {
        self.prune();
        for s in self.sessions.values_mut() {
            let shard_ok = match target {
                Target::Guild(g) => shard_of(g, s.total) == s.shard,
                Target::Dm => s.shard == 0,
            };
            if !shard_ok || intent.is_some_and(|i| s.intents & i == 0) {
                continue;
            }
            let d = make(s.intents);
            s.push(event, d);
        }
    }

    /// Drops sessions that have been disconnected too long to resume.
    fn prune(&mut self) {
        self.sessions.retain(|_, s| s.disconnected_at.is_none_or(|t| t.elapsed() < RESUMABLE_FOR));
    }

    /// Detaches a connection from its session when the socket ends.
    pub fn detach(&mut self, session_id: &str, conn_id: u64) {
        if let Some(s) = self.sessions.get_mut(session_id) {
            if s.conn.as_ref().is_some_and(|(c, _)| *c == conn_id) {
                s.conn = None;
                s.disconnected_at = Some(Instant::now());
            }
        }
    }

    /// Injects a gateway fault into live sessions (one shard or all).
    /// Delivers again the dispatches a live session already got after
    /// sequence `after` (from its resume buffer), with new sequence numbers:
    /// a client must handle each event twice without doing anything twice.
    /// READY and RESUMED, which start a session, are not repeated. Returns
    /// how many dispatches were sent again.
    pub fn replay(&mut self, shard: Option<u32>, after: u64) -> usize {
        let mut sent = 0;
        for s in self.sessions.values_mut() {
            if !s.live() || shard.is_some_and(|sh| sh != s.shard) {
                continue;
            }
            let frames: Vec<Value> = s
                .buffer
                .iter()
                .filter(|(seq, _)| *seq > after)
                .filter_map(|(_, frame)| serde_json::from_str::<Value>(frame).ok())
                .collect();
            for frame in frames {
                let Some(event) = frame["t"].as_str().filter(|t| !matches!(*t, "READY" | "RESUMED")) else {
                    continue;
                };
                let event = event.to_owned();
                s.push(&event, frame["d"].clone());
                sent += 1;
            }
        }
        sent
    }

    pub fn fault(&mut self, shard: Option<u32>, fault: Fault) -> usize {
        let mut hit = 0;
        let mut forget = Vec::new();
        for s in self.sessions.values_mut() {
            if !s.live() || shard.is_some_and(|sh| sh != s.shard) {
                continue;
            }
            hit += 1;
            match fault {
                Fault::Reconnect => s.send(Outbound::Text(json!({"op": 7, "d": null}).to_string())),
                Fault::Invalidate { resumable } => {
                    s.send(Outbound::Text(json!({"op": 9, "d": resumable}).to_string()));
                    if !resumable {
                        forget.push(s.id.clone());
                    }
                }
                Fault::Drop => s.send(Outbound::Drop),
                Fault::Close { code } => {
                    s.send(Outbound::Close(code, "Closed by the stand-in's control API.".into()));
                    if matches!(code, 4004 | 4010..=4014) {
                        forget.push(s.id.clone());
                    }
                }
            }
        }
        for id in forget {
            self.sessions.remove(&id);
        }
        hit
    }
}
