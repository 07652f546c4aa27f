//! Messages held while a user picks a guild or a modmail category: one sorted
//! set per user whose members are the messages' ids, zero-padded so that
//! Redis's order for equal scores (by bytes) is the ids' numeric order, which
//! is Discord's send order. Adding an id twice (a replayed event, a second
//! drain) changes nothing.
//!
//! The truth stays in PostgreSQL: a held message is a pending `inbound_dms`
//! row. Every drain that finds the user still choosing adds all their pending
//! ids again, so a queue lost with Redis is whole again at the next message,
//! sweep or choice; and the forward reads this queue together with the pending
//! rows, so nothing held is left behind.

use deadpool_redis::redis;

use super::keys::Keys;
use super::{RedisError, RedisPool};
use crate::domain::ids::{MessageId, UserId};

/// A prompt left unanswered is timed out long before this; the expiry only
/// stops an abandoned queue from living forever.
const EXPIRY_SECONDS: u64 = 7 * 24 * 3600;

#[derive(Clone)]
pub struct HeldQueue {
    pool: RedisPool,
    keys: Keys,
}

impl HeldQueue {
    pub fn new(pool: RedisPool, keys: Keys) -> Self {
        Self { pool, keys }
    }

    /// Holds messages (again): idempotent, order kept by id.
    pub async fn hold(&self, user: UserId, messages: &[MessageId]) -> Result<(), RedisError> {
        if messages.is_empty() {
            return Ok(());
        }
        let key = self.keys.held_messages(user);
        let mut zadd = redis::cmd("ZADD");
        zadd.arg(&key);
        for message in messages {
            zadd.arg(0).arg(member(*message));
        }
        let mut conn = self.pool.get().await?;
        let _: () = redis::pipe()
            .add_command(zadd)
            .ignore()
            .cmd("EXPIRE")
            .arg(&key)
            .arg(EXPIRY_SECONDS)
            .ignore()
            .query_async(&mut conn)
            .await?;
        Ok(())
    }

    /// The held messages, oldest first.
    pub async fn held(&self, user: UserId) -> Result<Vec<MessageId>, RedisError> {
        let mut conn = self.pool.get().await?;
        let members: Vec<String> =
            redis::cmd("ZRANGE").arg(self.keys.held_messages(user)).arg(0).arg(-1).query_async(&mut conn).await?;
        Ok(members.iter().filter_map(|m| m.parse::<u64>().ok()).map(MessageId).collect())
    }

    /// Forgets the queue once its messages are in the ticket.
    pub async fn clear(&self, user: UserId) -> Result<(), RedisError> {
        let mut conn = self.pool.get().await?;
        let _: i64 = redis::cmd("DEL").arg(self.keys.held_messages(user)).query_async(&mut conn).await?;
        Ok(())
    }
}

/// Twenty digits hold any u64, so byte order is numeric order.
fn member(message: MessageId) -> String {
    format!("{:020}", message.get())
}

#[cfg(test)]
mod tests {
    use super::member;
    use crate::domain::ids::MessageId;

    #[test]
    fn padded_members_sort_like_the_ids() {
        let mut ids = [MessageId(999), MessageId(1_000_000_000_000_000_000), MessageId(42)];
        let mut members: Vec<String> = ids.iter().map(|m| member(*m)).collect();
        members.sort();
        ids.sort();
        let back: Vec<u64> = members.iter().map(|m| m.parse().unwrap()).collect();
        assert_eq!(back, ids.iter().map(|m| m.get()).collect::<Vec<_>>());
    }
}
