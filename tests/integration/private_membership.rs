//! Private by default: access ends when membership does, even when the bot
//! was not listening as it ended.

use crate::support::fixtures::{modmail_guild, ModmailGuild};
use crate::support::{eventually, TestApp};

async fn indexed(app: &TestApp, guild: u64, user: u64) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM guild_members WHERE guild_id = $1 AND user_id = $2)")
        .bind(guild as i64)
        .bind(user as i64)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_member_who_left_while_the_cluster_was_stopped_opens_nothing_after_it_identifies_again() {
    let ModmailGuild { mut app, acme } = modmail_guild().await;
    // A server without modmail that alice stays in, so the bot can still
    // answer her (Discord lets a bot DM only users it shares a server with).
    let lobby = app.guild("lobby").await;
    let alice = app.member("alice", &[&acme, &lobby]).await;
    let bob = app.member("bob", &[&acme]).await;
    let carol = app.member("carol", &[&acme, &lobby]).await;
    let carols_ticket = app.open_ticket(&acme, carol, "an open question").await;

    // No session is listening when alice and carol leave: their
    // MEMBER_REMOVE events are lost.
    app.stop_and_lose_sessions().await;
    app.control.remove_member(acme.id, alice).await.unwrap();
    app.control.remove_member(acme.id, carol).await.unwrap();
    app.start_cluster(0).await;

    eventually("the index forgets alice after the new identify", || async {
        (!indexed(&app, acme.id, alice).await).then_some(())
    })
    .await;
    assert!(indexed(&app, acme.id, bob).await, "members who stayed keep their place");
    app.control.user_dm(alice, "let me in").await.unwrap();
    app.wait_for_bot_dm(alice, "couldn't find a server we share").await;
    assert_eq!(app.ticket_count().await, 1, "her DM opened nothing in acme");
    // Staff of carol's open ticket learn she left, as a live MEMBER_REMOVE
    // would have told them.
    app.wait_for_channel_text(carols_ticket, "The user left the server").await;
    // Bob, still a member, is routed as before.
    app.open_ticket(&acme, bob, "hello").await;
    app.shutdown().await;
}
