//! Nothing lost when a cluster dies without a word: `kill -9` of the
//! `ticketeer gateway` process in the middle of a storm of first DMs, a
//! replacement started a second later. The replacement resumes from the
//! dead process's last session checkpoint, Discord replays everything after
//! it, and the idempotent handlers do what was left undone exactly once.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{eventually_within, text_of, Options, TestApp};

const USERS: usize = 40;

#[tokio::test]
async fn a_cluster_killed_mid_storm_and_restarted_gives_every_user_one_ticket_with_each_dm_once() {
    let app = TestApp::spawn_with(Options { in_process: false, ..Options::default() }).await;
    let cluster = app.start_child_cluster(0).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let mut users = Vec::new();
    for i in 0..USERS {
        users.push(app.member(&format!("user{i:02}"), &[&acme]).await);
    }
    app.wait_for_session_checkpoint().await;
    let before = app.control.gateway_stats().await.unwrap();

    // Forty first-time users write twice each, 20 ms apart, for about 1.6 s.
    let storm = {
        let control = app.control.clone();
        let users = users.clone();
        tokio::spawn(async move {
            for round in 1..=2 {
                for (i, user) in users.iter().enumerate() {
                    control.user_dm(*user, &format!("message {round} of user {i:02}")).await.unwrap();
                    // The storm's pacing (20 ms apart).
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        })
    };
    // The scenario's pacing: killed half a second into the storm, replaced
    // a second later.
    tokio::time::sleep(Duration::from_millis(500)).await;
    cluster.kill(&app).await;
    let killed = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let cluster = app.start_child_cluster(0).await;
    let restarted = Instant::now();
    storm.await.unwrap();

    // Within 30 s every user has one ticket holding both DMs, in order, and
    // no copy of any DM anywhere else in the guild.
    eventually_within(Duration::from_secs(30), "every DM is in its ticket exactly once", || async {
        let channels = app.control.guild_channels(acme.id).await.ok()?;
        let mut everything = Vec::new();
        for channel in channels.iter().filter(|c| c["type"] == 0) {
            let id: u64 = channel["id"].as_str()?.parse().ok()?;
            for message in app.control.channel_messages(id).await.ok()? {
                everything.push((id, message));
            }
        }
        for (i, user) in users.iter().enumerate() {
            let channel: i64 = sqlx::query_scalar("SELECT channel_id FROM tickets WHERE opener_id = $1")
                .bind(*user as i64)
                .fetch_optional(&app.db.pool)
                .await
                .ok()??;
            let mut seen = Vec::new();
            for round in 1..=2 {
                let needle = format!("message {round} of user {i:02}");
                let copies: Vec<&(u64, Value)> =
                    everything.iter().filter(|(_, m)| text_of(m).contains(&needle)).collect();
                assert!(copies.len() <= 1, "\"{needle}\" appears {} times", copies.len());
                let (where_, message) = copies.first()?;
                assert_eq!(*where_, channel as u64, "\"{needle}\" is in its user's ticket");
                seen.push(message["id"].as_str()?.parse::<u64>().ok()?);
            }
            assert!(seen[0] < seen[1], "user {i:02}'s DMs are relayed in order");
        }
        Some(())
    })
    .await;
    let recovered = restarted.elapsed();

    let per_user: Vec<(i64, i64)> =
        sqlx::query_as("SELECT opener_id, count(*) FROM tickets GROUP BY opener_id HAVING count(*) > 1")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert!(per_user.is_empty(), "users with more than one ticket: {per_user:?}");
    assert_eq!(app.ticket_count().await, USERS as i64, "one ticket per user");
    let numbers: Vec<i32> =
        sqlx::query_scalar("SELECT number FROM tickets ORDER BY number").fetch_all(&app.db.pool).await.unwrap();
    assert_eq!(numbers, (1..=USERS as i32).collect::<Vec<_>>(), "ticket numbers are gapless");
    let after = app.control.gateway_stats().await.unwrap();
    assert_eq!(after.identifies, before.identifies, "the replacement resumed: no identify spent");
    assert!(after.resumes > before.resumes, "the replacement resumed the dead process's session");
    println!(
        "kill -9 0.5 s into {} DMs from {USERS} users, restarted {:.1} s later: all relayed {:.1} s after the \
         restart, 0 lost, 0 doubled, {} identifies spent",
        USERS * 2,
        restarted.duration_since(killed).as_secs_f64(),
        recovered.as_secs_f64(),
        after.identifies - before.identifies,
    );
    cluster.stop().await;
    app.shutdown().await;
}
