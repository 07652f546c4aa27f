//! A cluster handles a bounded number of events at once, fairly: a server
//! flooding the bot with slow work holds only its lane's share of the
//! handlers, and another server's staff reply goes out at once.

use std::time::Duration;

use crate::support::{eventually, eventually_within, text_of, Options, TestApp};

const FLOOD: usize = 12;

/// The value of an unlabelled gauge in Prometheus text.
fn gauge(metrics: &str, name: &str) -> Option<f64> {
    metrics.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test]
async fn a_server_flooding_the_bot_with_slow_replies_does_not_hold_up_another_servers_reply() {
    let app = TestApp::spawn_with(Options {
        in_process: false,
        config: vec![("TICKETEER_HANDLER_CONCURRENCY", "6".into()), ("TICKETEER_HANDLER_PER_SERVER", "2".into())],
        ..Options::default()
    })
    .await;
    let cluster = app.start_child_cluster(0).await;
    let flooding = app.guild("busy").await;
    let quiet = app.guild("quiet").await;
    app.setup_modmail(&flooding).await;
    app.setup_modmail(&quiet).await;
    let alice = app.member("alice", &[&flooding]).await;
    let bob = app.member("bob", &[&quiet]).await;
    let busy = app.open_ticket(&flooding, alice, "hello from alice").await;
    let calm = app.open_ticket(&quiet, bob, "hello from bob").await;

    // Each staff copy in the flooding server's ticket takes Discord 1.5 s.
    app.control
        .slow_down("POST", "/channels/{channel_id}/messages", &format!("/channels/{busy}/messages"), 1500, 100)
        .await
        .unwrap();
    for k in 0..FLOOD {
        app.control.post_message(busy, flooding.staff, &format!("!reply flood reply {k}")).await.unwrap();
    }
    eventually("the flood's first replies are running", || async {
        (gauge(&cluster.metrics().await, "ticketeer_gateway_handlers_running")? >= 2.0).then_some(())
    })
    .await;

    app.control.post_message(calm, quiet.staff, "!reply right away").await.unwrap();
    let answered = std::time::Instant::now();
    app.wait_for_bot_dm(bob, "right away").await;
    let waited = answered.elapsed();
    let metrics = cluster.metrics().await;
    let flood_delivered = app.bot_dms(alice).await.iter().filter(|m| text_of(m).contains("flood reply")).count();
    assert!(waited < Duration::from_secs(3), "the quiet server's reply took {waited:?}");
    assert!(
        flood_delivered < FLOOD / 2,
        "the flooding server ran at most its share meanwhile ({flood_delivered} of {FLOOD} replies out)"
    );
    let running = gauge(&metrics, "ticketeer_gateway_handlers_running").unwrap();
    let held = gauge(&metrics, "ticketeer_gateway_events_held").unwrap();
    assert!(running <= 6.0, "never more handlers than TICKETEER_HANDLER_CONCURRENCY: {running}");
    assert!(held > running, "the flood's other events wait in its lane: held {held}, running {running}");

    // Nothing is lost: every flood reply reaches alice, in time.
    eventually_within(Duration::from_secs(40), "every flood reply is delivered", || async {
        let out = app.bot_dms(alice).await.iter().filter(|m| text_of(m).contains("flood reply")).count();
        (out == FLOOD).then_some(())
    })
    .await;
    cluster.stop().await;
    app.shutdown().await;
}
