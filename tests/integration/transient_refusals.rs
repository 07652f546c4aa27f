//! Nothing lost: a refusal that is not final leaves the DMs pending, and a
//! lock left by a killed process does not stall its users.

use std::time::Duration;

use deadpool_redis::redis;
use ticketeer::domain::ids::{GuildId, UserId};

use crate::support::fixtures::{modmail_member, ModmailMember};
use crate::support::{eventually, eventually_within, text_of, TestApp};

/// Plants the per-user opening lock as another process would hold it.
async fn hold_opening_lock(app: &TestApp, guild: u64, user: u64, token: &str, ttl: Duration) {
    let key = app.bot().keys.ticket_open_lock(GuildId(guild), UserId(user));
    let mut conn = app.bot().redis.get().await.unwrap();
    let _: () = redis::cmd("SET")
        .arg(key)
        .arg(token)
        .arg("PX")
        .arg(ttl.as_millis() as u64)
        .query_async(&mut conn)
        .await
        .unwrap();
}

async fn dm_state(app: &TestApp, user: u64) -> Vec<String> {
    sqlx::query_scalar("SELECT state FROM inbound_dms WHERE user_id = $1 ORDER BY message_id")
        .bind(user as i64)
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn dms_that_meet_another_openings_lock_stay_pending_and_are_relayed_once_it_is_free() {
    let ModmailMember { app, acme, alice } = modmail_member().await;
    // A live process elsewhere holds alice's opening for 25 s: longer than
    // an opening waits (20 s), so this drain is told "busy".
    hold_opening_lock(&app, acme.id, alice, "other-host/gateway-3@1/0123", Duration::from_secs(25)).await;

    app.control.user_dm(alice, "are you there?").await.unwrap();
    app.control.user_dm(alice, "hello?").await.unwrap();
    let channel = eventually_within(Duration::from_secs(75), "the ticket opens once the lock is free", || async {
        let channel: Option<i64> = sqlx::query_scalar("SELECT channel_id FROM tickets WHERE opener_id = $1")
            .bind(alice as i64)
            .fetch_optional(&app.db.pool)
            .await
            .ok()?;
        channel
    })
    .await as u64;
    app.wait_for_channel_text(channel, "hello?").await;
    let texts: Vec<String> = app.control.channel_messages(channel).await.unwrap().iter().map(text_of).collect();
    let first = texts.iter().position(|t| t.contains("are you there?")).expect("the first DM is relayed");
    let second = texts.iter().position(|t| t.contains("hello?")).unwrap();
    assert!(first < second, "in order: {texts:?}");
    assert_eq!(dm_state(&app, alice).await, ["relayed", "relayed"], "never refused");
    assert!(
        !app.bot_dms(alice).await.iter().any(|m| text_of(m).contains("couldn't open your ticket")),
        "a busy lock is not an answer for the user"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_lock_left_by_this_slots_killed_predecessor_is_taken_over_at_once() {
    let ModmailMember { app, acme, alice } = modmail_member().await;
    // The same slot, started earlier: the process this one replaced.
    let me = ticketeer::redis::lock::process_owner();
    let (slot, started) = me.rsplit_once('@').unwrap();
    let started: u128 = started.parse().unwrap();
    let predecessor = format!("{slot}@{}/deadbeef", started - 60_000);
    hold_opening_lock(&app, acme.id, alice, &predecessor, Duration::from_secs(60)).await;

    let started = std::time::Instant::now();
    app.control.user_dm(alice, "after the crash").await.unwrap();
    // `eventually` gives up after 15 s, well before the opening would stop
    // waiting (20 s) or the lock would expire (60 s).
    eventually("the ticket opens without waiting for the dead lock", || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets").fetch_one(&app.db.pool).await.ok()?;
        (n == 1).then_some(())
    })
    .await;
    println!("the ticket opened {:?} after the DM", started.elapsed());
    app.shutdown().await;
}
