//! Several clusters: shards split with `bucket`, DMs on shard 0 only.

use crate::support::fixtures::{modmail_member, ModmailMember};
use crate::support::{Options, TestApp};

#[tokio::test]
async fn a_dm_on_cluster_zero_opens_a_ticket_in_a_guild_owned_by_cluster_one() {
    let app = TestApp::spawn_with(Options { shards: 4, clusters: 2, ..Options::default() }).await;
    assert_eq!(app.clusters[0].info.shards, vec![0, 1]);
    assert_eq!(app.clusters[1].info.shards, vec![2, 3]);

    // Find a guild whose shard belongs to cluster 1.
    let mut guild = app.guild("g0").await;
    let mut n = 1;
    while !matches!((guild.id >> 22) % 4, 2 | 3) {
        guild = app.guild(&format!("g{n}")).await;
        n += 1;
    }
    app.setup_modmail(&guild).await;
    let alice = app.member("alice", &[&guild]).await;

    let channel = app.open_ticket(&guild, alice, "hello from shard zero").await;

    // Staff answer in the guild: that event arrives on cluster 1.
    app.control.post_message(channel, guild.staff, "!reply answered by cluster one").await.unwrap();
    app.wait_for_bot_dm(alice, "answered by cluster one").await;
    let stats = app.control.gateway_stats().await.unwrap();
    assert_eq!(stats.identify_violations, 0, "identifies were paced per bucket");
    app.shutdown().await;
}

#[tokio::test]
async fn a_cluster_restart_resumes_its_saved_session() {
    let ModmailMember { mut app, acme, alice } = modmail_member().await;
    let identifies_before = app.control.gateway_stats().await.unwrap().identifies;

    app.stop_cluster(0).await;
    app.control.user_dm(alice, "sent while the bot was down").await.unwrap();
    app.start_cluster(0).await;

    app.open_ticket(&acme, alice, "sent while the bot was down").await;
    let stats = app.control.gateway_stats().await.unwrap();
    assert_eq!(stats.identifies, identifies_before, "no new identify: the session was resumed");
    assert!(stats.resumes >= 1);
    app.shutdown().await;
}

#[tokio::test]
async fn a_cluster_takes_its_place_from_the_environment_and_reports_ready_once_its_shards_are_connected() {
    use crate::support::eventually;
    let app = TestApp::spawn_with(Options { shards: 4, clusters: 2, in_process: false, ..Options::default() }).await;
    // TICKETEER_CLUSTER=1, TICKETEER_CLUSTERS=2 and no flags: shards 2 and 3.
    let cluster = app.start_child_cluster_from_env(1).await;
    let live: Vec<u64> =
        app.control.gateway_sessions().await.unwrap().iter().filter_map(|s| s["shard"].as_u64()).collect();
    assert_eq!(live, [2, 3], "cluster 1 of 2 runs the second half of the shards");
    eventually("the cluster reports ready", || async { (cluster.healthz().await == 200).then_some(()) }).await;

    cluster.stop().await;
    app.shutdown().await;
}
