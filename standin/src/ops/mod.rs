//! State changes shared by REST handlers and the control API. Each one
//! updates the world and dispatches the matching gateway event inside the
//! same lock, so event order always matches the order of changes.

pub mod channels;
pub mod guilds;
pub mod interactions;
pub mod messages;
pub mod validate;

use crate::gateway::hub::Target;
use crate::state::{App, State};
use serde_json::Value;

/// Dispatches a guild-scoped event (only while the bot is in the guild).
pub fn guild_event(app: &App, st: &mut State, guild_id: u64, event: &str, intent: u64, d: Value) {
    if !st.world.bot_in(guild_id, app.bot_id()) {
        return;
    }
    st.hub.dispatch(Target::Guild(guild_id), event, Some(intent), |_| d.clone());
}

/// The string value of a JSON field, if it is one.
pub fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A snowflake field given as a string or a number.
pub fn id_field(v: &Value, key: &str) -> Option<u64> {
    match v.get(key)? {
        Value::String(s) => crate::ids::parse(s),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}
