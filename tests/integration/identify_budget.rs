//! Identifying within Discord's budget, and fatal closes. Discord allows a
//! bot `session_start_limit.total` identifies a day and resets the token of
//! one that spends them; a fatal close (4004, 4010–4014) cannot be resumed
//! or retried.

use crate::support::{eventually, Options, TestApp};

#[tokio::test]
async fn shards_stop_identifying_at_the_days_reserve_and_the_token_is_never_reset() {
    // Three identifies left today, four shards, no reserve kept.
    let app = TestApp::spawn_with(Options {
        shards: 4,
        in_process: false,
        session_start_total: 3,
        config: vec![("TICKETEER_IDENTIFY_RESERVE", "0".into())],
        ..Options::default()
    })
    .await;
    let cluster = app.start_child_cluster_with_shards_connected(0, Some(3)).await;

    // The fourth shard is refused by the bot itself, which says so and waits.
    let metrics = eventually("the bot reports a refused identify", || async {
        let metrics = cluster.metrics().await;
        metrics.contains("ticketeer_identifies_refused_total 1").then_some(metrics)
    })
    .await;
    assert!(metrics.contains("ticketeer_identify_budget_remaining 0"), "{metrics}");
    assert!(
        cluster.logs().iter().any(|l| l.contains("not identifying: the bot's daily identifies are at the reserve")),
        "an error line says why: {:#?}",
        cluster.logs()
    );
    let stats = app.control.gateway_stats().await.unwrap();
    assert_eq!(stats.identifies, 3, "three identifies, the whole budget");
    assert_eq!(stats.identifies_over_budget, 0, "none past it");
    assert!(!stats.token_reset, "the token still works");
    assert_eq!(stats.live_sessions, 3, "the other shards keep running");
    assert_eq!(cluster.healthz().await, 503, "not ready while a shard has no session");
    cluster.stop().await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_fatal_close_ends_the_cluster_with_a_non_zero_exit_naming_the_code() {
    let app = TestApp::spawn_with(Options { shards: 2, in_process: false, ..Options::default() }).await;
    let cluster = app.start_child_cluster(0).await;
    let identifies = app.control.gateway_stats().await.unwrap().identifies;

    // Discord closes shard 1 with 4004 (authentication failed): nothing a
    // resume or a new identify can fix.
    assert_eq!(app.control.gateway_close(Some(1), 4004).await.unwrap(), 1);
    let (status, logs) = cluster.exited().await;
    assert_eq!(status.code(), Some(78), "the process exits with EX_CONFIG, which supervisors do not restart");
    assert!(
        logs.iter().any(|l| l.contains("fatal code 4004") && l.contains("authentication failed")),
        "the exit names the code and what it means: {logs:#?}"
    );
    assert!(!logs.iter().any(|l| l.contains("panicked")), "no panic on the way out: {logs:#?}");
    let stats = app.control.gateway_stats().await.unwrap();
    assert_eq!(stats.identifies, identifies, "no identify was tried after the fatal close");
    app.shutdown().await;
}

#[tokio::test]
async fn a_shard_identifies_on_its_own_pacing_while_redis_is_down() {
    let mut app = TestApp::spawn_with(Options { private_redis: true, ..Options::default() }).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let identifies = app.control.gateway_stats().await.unwrap().identifies;

    // Redis dies, then Discord ends shard 0's session for good: the shard
    // must identify again, and the fleet's queue lives in Redis.
    app.private_redis.as_mut().unwrap().kill().await;
    app.control.gateway_invalidate(Some(0), false).await.unwrap();
    let started = std::time::Instant::now();
    eventually("shard 0 identified again while Redis is down", || async {
        let stats = app.control.gateway_stats().await.ok()?;
        (stats.identifies == identifies + 1 && stats.live_sessions == 1).then_some(())
    })
    .await;
    println!("identified again {:.1} s after the session ended, Redis down", started.elapsed().as_secs_f64());
    assert_eq!(app.control.gateway_stats().await.unwrap().identify_violations, 0);

    // DMs are received (and relayed once Redis is back).
    app.control.user_dm(alice, "written while Redis is down").await.unwrap();
    app.private_redis.as_mut().unwrap().restart().await;
    app.open_ticket(&acme, alice, "written while Redis is down").await;
    app.shutdown().await;
}
