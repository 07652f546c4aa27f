//! A change and the row that records it (an audit entry, a ticket event) are
//! written in one transaction: both are kept, or neither. Each test makes the
//! record's insert fail (a trigger in the test's own database) and checks
//! the change was not made either, then lets it through and sees both.

use serde_json::json;

use crate::support::fixtures::{alice_ticket, modmail_guild, AliceTicket, ModmailGuild};
use crate::support::TestApp;

/// Makes every insert into `table` fail until [`allow`] is called.
async fn refuse_inserts(app: &TestApp, table: &str) {
    for sql in [
        "CREATE OR REPLACE FUNCTION refuse_insert() RETURNS trigger AS $$
         BEGIN RAISE EXCEPTION 'this test refuses the insert'; END $$ LANGUAGE plpgsql"
            .to_owned(),
        format!("CREATE TRIGGER refuse_insert BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse_insert()"),
    ] {
        sqlx::query(&sql).execute(&app.db.pool).await.unwrap();
    }
}

async fn allow(app: &TestApp, table: &str) {
    sqlx::query(&format!("DROP TRIGGER refuse_insert ON {table}")).execute(&app.db.pool).await.unwrap();
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db.pool).await.unwrap()
}

#[tokio::test]
async fn a_snippet_whose_audit_entry_cannot_be_written_is_not_saved() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let create = json!([{ "name": "create", "type": 1, "options": [
        {"name": "name", "type": 3, "value": "hours"},
        {"name": "content", "type": 3, "value": "We answer 9 to 5."},
    ]}]);

    refuse_inserts(&app, "audit_log").await;
    let refused = app.slash(acme.staff, &acme, acme.general, "snippet", create.clone()).await;
    assert!(!refused.contains("saved"), "the bot does not claim success: {refused}");
    assert_eq!(count(&app, "SELECT count(*) FROM snippets").await, 0, "no snippet without its audit entry");

    allow(&app, "audit_log").await;
    let saved = app.slash(acme.staff, &acme, acme.general, "snippet", create).await;
    assert!(saved.contains("saved"), "{saved}");
    assert_eq!(count(&app, "SELECT count(*) FROM snippets").await, 1);
    assert_eq!(count(&app, "SELECT count(*) FROM audit_log WHERE action = 'snippet.create'").await, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn a_take_whose_ticket_event_cannot_be_written_leaves_the_ticket_unassigned() {
    let AliceTicket { app, acme, alice: _, channel } = alice_ticket("hello").await;

    refuse_inserts(&app, "ticket_events").await;
    let refused = app.slash(acme.staff, &acme, channel, "take", json!([])).await;
    assert!(!refused.contains("You took"), "the bot does not claim success: {refused}");
    let assigned = "SELECT count(*) FROM tickets WHERE assigned_to IS NOT NULL";
    assert_eq!(count(&app, assigned).await, 0, "not assigned without its event");

    allow(&app, "ticket_events").await;
    let taken = app.slash(acme.staff, &acme, channel, "take", json!([])).await;
    assert!(taken.contains("You took"), "{taken}");
    assert_eq!(count(&app, assigned).await, 1);
    assert_eq!(count(&app, "SELECT count(*) FROM ticket_events WHERE kind = 'taken'").await, 1);
    app.shutdown().await;
}

#[tokio::test]
async fn a_ticket_whose_opening_event_cannot_be_written_is_opened_once_the_database_takes_it() {
    let app = TestApp::spawn_with(crate::support::Options {
        inbox_sweep_ms: 300,
        inbox_stale_ms: 300,
        inbox_retry_ms: 200,
        ..Default::default()
    })
    .await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let alice = app.member("alice", &[&acme]).await;

    refuse_inserts(&app, "ticket_events").await;
    app.control.user_dm(alice, "first words").await.unwrap();
    // The opening made its channel, then failed to commit: the channel is
    // taken back, and the DM stays pending for the sweeper's next try.
    crate::support::eventually("the failed opening's channel is deleted", || async {
        let counts = app.control.request_counts().await.ok()?;
        (counts.get("DELETE /channels/{channel_id}").copied().unwrap_or(0) >= 1).then_some(())
    })
    .await;
    let pending = "SELECT count(*) FROM inbound_dms WHERE state = 'pending'";
    assert_eq!(count(&app, pending).await, 1, "the DM waits, pending");
    assert_eq!(app.ticket_count().await, 0, "no ticket without its opening event");

    allow(&app, "ticket_events").await;
    let channel = crate::support::eventually("the ticket opens on a retry", || async {
        sqlx::query_scalar::<_, i64>("SELECT channel_id FROM tickets WHERE opener_id = $1")
            .bind(alice as i64)
            .fetch_optional(&app.db.pool)
            .await
            .ok()
            .flatten()
    })
    .await as u64;
    app.wait_for_channel_text(channel, "first words").await;
    assert_eq!(app.ticket_count().await, 1);
    let opened = "SELECT count(*) FROM ticket_events WHERE kind = 'opened'";
    assert_eq!(count(&app, opened).await, 1);
    let copies = app.control.channel_messages(channel).await.unwrap();
    assert_eq!(copies.iter().filter(|m| crate::support::text_of(m).contains("first words")).count(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn a_close_whose_ticket_event_cannot_be_written_leaves_the_ticket_open_and_its_timer_pending() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "hello").await;
    app.control.post_message(channel, acme.staff, "!close 2h").await.unwrap();
    app.wait_for_channel_text(channel, "will close").await;
    let pending = "SELECT count(*) FROM timers WHERE state = 'pending'";
    assert_eq!(count(&app, pending).await, 1);

    refuse_inserts(&app, "ticket_events").await;
    app.slash(acme.staff, &acme, channel, "force_close", json!([])).await;
    assert_eq!(app.ticket_status(channel).await, "open", "not closed without its event");
    assert_eq!(count(&app, pending).await, 1, "and its scheduled close still stands");

    allow(&app, "ticket_events").await;
    app.slash(acme.staff, &acme, channel, "force_close", json!([])).await;
    app.wait_until_closed(channel).await;
    assert_eq!(count(&app, pending).await, 0, "the close took its timer along");
    assert_eq!(count(&app, "SELECT count(*) FROM ticket_events WHERE kind = 'closed'").await, 1);
    app.shutdown().await;
}
