//! Topology and operations (issue 13, part 6): the jobs the fleet needs once
//! run on whichever gateway process holds the singleton lease, and a cluster
//! running fewer shards than Discord recommends says so.

use std::time::Duration;

use crate::support::child_cluster::ChildCluster;
use crate::support::{eventually_within, Options, TestApp};

/// The value of an unlabelled metric on a `/metrics` page.
fn metric(page: &str, name: &str) -> Option<f64> {
    page.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

async fn holds_lease(cluster: &ChildCluster) -> bool {
    metric(&cluster.metrics().await, "ticketeer_singleton_lease_held") == Some(1.0)
}

#[tokio::test]
async fn exactly_one_of_two_clusters_holds_the_lease_and_the_other_takes_over_its_jobs_when_it_is_killed() {
    let lease_ms = 3_000;
    let app = TestApp::spawn_with(Options {
        shards: 2,
        clusters: 2,
        in_process: false,
        // A short lease and frequent sweeps, so the takeover is seen quickly.
        config: vec![("TICKETEER_SINGLETON_LEASE_MS", lease_ms.to_string())],
        inbox_sweep_ms: 300,
        ..Options::default()
    })
    .await;
    let first = app.start_child_cluster(0).await;
    let second = app.start_child_cluster(1).await;

    let first_holds = eventually_within(Duration::from_secs(15), "one cluster holds the lease", || async {
        match (holds_lease(&first).await, holds_lease(&second).await) {
            (true, false) => Some(true),
            (false, true) => Some(false),
            _ => None,
        }
    })
    .await;
    let (holder, other) = if first_holds { (first, second) } else { (second, first) };
    // Held, not flickering: still exactly one a couple of renewals later.
    tokio::time::sleep(Duration::from_millis(2 * lease_ms / 3)).await;
    assert!(holds_lease(&holder).await && !holds_lease(&other).await, "exactly one holder");
    // Only the holder runs the singleton jobs: the Redis watch and the
    // inbox sweeper report from there alone.
    let holder_page = holder.metrics().await;
    assert_eq!(metric(&holder_page, "ticketeer_redis_up"), Some(1.0), "the holder watches Redis");
    assert!(metric(&holder_page, "ticketeer_discord_invalid_requests_10m").is_some(), "the holder sweeps");
    let other_page = other.metrics().await;
    assert_eq!(metric(&other_page, "ticketeer_redis_up"), None, "the other cluster runs no singleton job");
    assert_eq!(metric(&other_page, "ticketeer_discord_invalid_requests_10m"), None);

    holder.kill(&app).await;
    let killed_at = tokio::time::Instant::now();
    eventually_within(Duration::from_secs(15), "the surviving cluster takes the lease over", || async {
        holds_lease(&other).await.then_some(())
    })
    .await;
    let took = killed_at.elapsed();
    assert!(took < Duration::from_millis(2 * lease_ms), "taken over within the lease's TTL and a try: {took:?}");
    eventually_within(Duration::from_secs(10), "the singleton jobs run on the survivor", || async {
        let page = other.metrics().await;
        (metric(&page, "ticketeer_redis_up") == Some(1.0)
            && metric(&page, "ticketeer_discord_invalid_requests_10m").is_some())
        .then_some(())
    })
    .await;
    other.stop().await;
}

#[tokio::test]
async fn a_cluster_started_with_fewer_shards_than_recommended_reports_it() {
    let app = TestApp::spawn_with(Options { in_process: false, ..Options::default() }).await;
    // The bot grew: Discord now recommends 4 shards; the fleet runs 1.
    app.control.set_recommended_shards(4).await.unwrap();
    let cluster = app.start_child_cluster(0).await;
    let page = cluster.metrics().await;
    assert_eq!(metric(&page, "ticketeer_shards_recommended"), Some(4.0), "{page}");
    assert_eq!(metric(&page, "ticketeer_shards_configured"), Some(1.0));
    let warned = cluster.logs().iter().any(|line| line.contains("Discord recommends more shards"));
    assert!(warned, "the cluster logs a warning to reshard");
    cluster.stop().await;
}
