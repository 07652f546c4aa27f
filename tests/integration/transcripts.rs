//! Transcripts: made when a ticket closes from every message of its channel
//! (read page by page), stored, DMed to the opener and attached to the log.

use serde_json::Value;

use crate::panel_open::{open_panel_ticket, set_up_panel, support_member};
use crate::support::fixtures::{alice_ticket, modmail_member, AliceTicket, ModmailMember};
use crate::support::{eventually, text_of, TestApp};

/// The `.html` file attached to a message, downloaded.
pub async fn attached_html(message: &Value) -> String {
    let file = message["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["filename"].as_str().is_some_and(|n| n.ends_with(".html")));
    let url = file.unwrap_or_else(|| panic!("no .html attached: {message}"))["url"].as_str().unwrap().to_owned();
    reqwest::get(url).await.unwrap().text().await.unwrap()
}

async fn close_from_panel(app: &TestApp, member: u64, channel: u64) {
    let panel = crate::panel_control::control_panel(app, channel).await;
    crate::panel_control::close_with_confirmation(app, member, channel, &panel).await;
}

#[tokio::test]
async fn a_closed_panel_ticket_transcript_has_every_message_escaped_and_reaches_the_opener_and_the_log() {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    let panel = set_up_panel(&app, &acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let sam = support_member(&app, &acme, &panel, "sam").await;
    let channel = open_panel_ticket(&app, &panel, alice).await;

    app.control.post_message(channel, alice, "**my order** is late <script>alert('x')</script>").await.unwrap();
    let mention = format!("see <#{}> or ask <@&{}>", panel.menu_channel, panel.support_role);
    app.control.post_message(channel, sam, &mention).await.unwrap();
    app.control.post_message(channel, sam, "<img src=x onerror=alert(1)> ||spoiler|| `code`").await.unwrap();
    // More than a page: Discord hands out at most 100 messages per request.
    for i in 0..150 {
        app.control.post_message(channel, sam, &format!("filler message {i:03}")).await.unwrap();
    }
    close_from_panel(&app, alice, channel).await;
    app.wait_until_closed(channel).await;

    let dm = app.wait_for_bot_dm(alice, "The transcript of your ticket #1").await;
    let page = attached_html(&dm).await;
    assert!(page.contains("<strong>my order</strong>") && page.contains("<span class=\"spoiler\">spoiler</span>"));
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), "shown as text");
    assert!(
        page.contains("<span class=\"mention\">#open-a-ticket</span>")
            && page.contains("<span class=\"mention\">@Support</span>"),
        "channel and role mentions by name"
    );
    assert!(!page.contains("<script") && !page.contains("<img src=x"), "nothing injected");
    for i in [0, 99, 100, 149] {
        assert!(page.contains(&format!("filler message {i:03}")), "message {i} is in the transcript");
    }
    let shown = page.matches("class=\"message\"").count();
    assert!(shown >= 153, "every message, across pages: {shown}");

    let log = eventually("the closing log entry", || async {
        let log = app.control.channel_messages(panel.log_channel).await.ok()?;
        log.into_iter().find(|m| m["embeds"][0]["title"] == "Ticket closed")
    })
    .await;
    assert_eq!(attached_html(&log).await, page, "the same file in the log");
    let (count, days): (i32, f64) = sqlx::query_as(
        "SELECT message_count, EXTRACT(EPOCH FROM expires_at - created_at)::FLOAT8 / 86400 FROM transcripts",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(count >= 153, "{count}");
    assert!((days - 30.0).abs() < 0.01, "kept 30 days: {days}");
    app.shutdown().await;
}

#[tokio::test]
async fn a_modmail_ticket_gets_a_transcript_and_closed_dms_do_not_stop_the_close() {
    let ModmailMember { app, acme, alice } = modmail_member().await;
    let bob = app.member("bob", &[&acme]).await;

    let channel = app.open_ticket(&acme, alice, "my parcel never came").await;
    app.control.post_message(channel, acme.staff, "!reply We will look into it").await.unwrap();
    app.wait_for_bot_dm(alice, "We will look into it").await;
    app.control.post_message(channel, acme.staff, "!close").await.unwrap();
    app.wait_until_closed(channel).await;
    let dm = app.wait_for_bot_dm(alice, "The transcript of your ticket #1").await;
    assert!(text_of(&dm).contains("closed"), "one DM: the close message with the transcript: {dm}");
    let page = attached_html(&dm).await;
    assert!(page.contains("my parcel never came") && page.contains("We will look into it"), "{page}");
    assert!(page.contains("Modmail ticket #1"));

    // Bob's DMs close before his ticket does: the close still happens and
    // the failed delivery is on record.
    let channel = app.open_ticket(&acme, bob, "hello").await;
    app.control.set_dms_closed(bob, true).await.unwrap();
    app.control.post_message(channel, acme.staff, "!close").await.unwrap();
    app.wait_until_closed(channel).await;
    eventually("the failed delivery is recorded", || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM ticket_events WHERE kind = 'transcript_undelivered'")
            .fetch_one(&app.db.pool)
            .await
            .ok()?;
        (n == 1).then_some(())
    })
    .await;
    assert!(!app.bot_dms(bob).await.iter().any(|m| text_of(m).contains("transcript")));

    // A silent close keeps the transcript and sends the user nothing.
    let carol = app.member("carol", &[&acme]).await;
    let channel = app.open_ticket(&acme, carol, "hi").await;
    app.control.post_message(channel, acme.staff, "!close -s").await.unwrap();
    app.wait_until_closed(channel).await;
    let stored: i64 = eventually("three transcripts", || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM transcripts").fetch_one(&app.db.pool).await.ok()?;
        (n == 3).then_some(n)
    })
    .await;
    assert_eq!(stored, 3, "every transcript is kept");
    // The barrier: the channel goes after any close message would have.
    app.wait_until_channel_gone(channel).await;
    assert!(!app.bot_dms(carol).await.iter().any(|m| text_of(m).contains("transcript")), "silent means silent");
    app.shutdown().await;
}

#[tokio::test]
async fn transcripts_past_their_retention_are_deleted_and_others_kept() {
    let ModmailMember { app, acme, alice } = modmail_member().await;
    let bob = app.member("bob", &[&acme]).await;
    let one = app.open_ticket(&acme, alice, "one").await;
    let two = app.open_ticket(&acme, bob, "two").await;
    for channel in [one, two] {
        app.control.post_message(channel, acme.staff, "!close -s").await.unwrap();
        app.wait_until_closed(channel).await;
    }
    let kept: i64 = eventually("both transcripts stored", || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM transcripts").fetch_one(&app.db.pool).await.ok()?;
        (n == 2).then_some(n)
    })
    .await;
    assert_eq!(kept, 2);
    // Alice's ticket was closed long ago: its retention has run out.
    sqlx::query(
        "UPDATE transcripts SET expires_at = now() - interval '1 day'
         WHERE ticket_id = (SELECT ticket_id FROM tickets WHERE opener_id = $1)",
    )
    .bind(alice as i64)
    .execute(&app.db.pool)
    .await
    .unwrap();

    assert_eq!(app.bot().tickets.purge_expired_transcripts().await.unwrap(), 1);
    assert_eq!(app.bot().tickets.purge_expired_transcripts().await.unwrap(), 0, "a second run finds nothing");
    let left: Vec<i64> = sqlx::query_scalar("SELECT t.opener_id FROM transcripts x JOIN tickets t USING (ticket_id)")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(left, vec![bob as i64]);
    let tickets: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets").fetch_one(&app.db.pool).await.unwrap();
    assert_eq!(tickets, 2, "the ticket records stay");
    app.shutdown().await;
}

#[tokio::test]
async fn a_channel_that_cannot_be_read_keeps_the_ticket_open_until_a_close_can_make_the_transcript() {
    use discord_standin::client::FaultSpec;

    let AliceTicket { app, acme, alice, channel } = alice_ticket("keep this").await;
    app.control
        .inject_fault(FaultSpec {
            method: "GET".into(),
            route: "/channels/{channel_id}/messages".into(),
            status: 500,
            count: 20,
            retry_after_ms: None,
            scope: None,
        })
        .await
        .unwrap();
    app.control.post_message(channel, acme.staff, "!close").await.unwrap();
    app.wait_for_channel_text(channel, "went wrong").await;
    assert_eq!(app.ticket_status(channel).await, "open", "nothing changed");
    assert!(app.control.channel(channel).await.is_ok(), "the channel is kept");

    app.control.clear_faults().await.unwrap();
    app.control.post_message(channel, acme.staff, "!close").await.unwrap();
    app.wait_until_closed(channel).await;
    let dm = app.wait_for_bot_dm(alice, "The transcript of your ticket #1").await;
    assert!(attached_html(&dm).await.contains("keep this"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_transcript_of_a_flooded_channel_keeps_its_first_messages_and_says_it_was_cut() {
    let options = crate::support::Options { transcript_max_messages: Some(100), ..Default::default() };
    let app = TestApp::spawn_with(options).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let channel = app.open_ticket(&acme, alice, "the start").await;
    for i in 0..130 {
        app.control.post_message(channel, acme.staff, &format!("flood line {i:03}")).await.unwrap();
    }
    app.control.post_message(channel, acme.staff, "!close").await.unwrap();
    app.wait_until_closed(channel).await;
    let html: String = eventually("the transcript is stored", || async {
        sqlx::query_scalar("SELECT html FROM transcripts").fetch_optional(&app.db.pool).await.ok().flatten()
    })
    .await;
    assert!(html.contains("the start") && html.contains("flood line 000"), "the first messages are kept");
    assert!(!html.contains("flood line 129"), "the last ones are not");
    assert!(html.contains("keeps the first 100 messages"), "the cut is said");
    assert_eq!(html.matches("class=\"message\"").count(), 101, "100 messages and the note");
    app.shutdown().await;
}
