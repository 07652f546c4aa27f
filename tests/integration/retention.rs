//! Retention: refused DMs (people who are nobody's customers) and finished
//! timers are deleted after 30 days; pending DMs and pending timers never.

use crate::support::database::TestDatabase;

#[tokio::test]
async fn refused_dms_and_finished_timers_past_retention_are_purged_and_everything_live_is_kept() {
    let db = TestDatabase::create().await;
    let dm = |id: i64, state: &'static str, days: i32| {
        let pool = db.pool.clone();
        async move {
            sqlx::query(
                "INSERT INTO inbound_dms (message_id, user_id, dm_channel_id, author_name, content, state, received_at)
                 VALUES ($1, 7, 8, 'someone', 'text', $2, now() - make_interval(days => $3))",
            )
            .bind(id)
            .bind(state)
            .bind(days)
            .execute(&pool)
            .await
            .unwrap();
        }
    };
    dm(1, "refused", 40).await;
    dm(2, "refused", 5).await;
    dm(3, "pending", 40).await;
    let timer = |state: &'static str, days: i32| {
        let pool = db.pool.clone();
        async move {
            sqlx::query(
                "INSERT INTO timers (kind, guild_id, due_at, state, finished_at)
                 VALUES ('reminder', 1, now() - make_interval(days => $2), $1,
                         CASE WHEN $1 = 'pending' THEN NULL ELSE now() - make_interval(days => $2) END)",
            )
            .bind(state)
            .bind(days)
            .execute(&pool)
            .await
            .unwrap();
        }
    };
    timer("fired", 40).await;
    timer("cancelled", 31).await;
    timer("fired", 2).await;
    timer("pending", 40).await;

    let purged = ticketeer::db::retention::purge(&db.pool, 30).await.unwrap();
    assert_eq!((purged.refused_dms, purged.finished_timers), (1, 2));
    let dms: Vec<i64> =
        sqlx::query_scalar("SELECT message_id FROM inbound_dms ORDER BY 1").fetch_all(&db.pool).await.unwrap();
    assert_eq!(dms, [2, 3], "a recent refusal and a pending DM stay");
    let timers: Vec<String> =
        sqlx::query_scalar("SELECT state FROM timers ORDER BY timer_id").fetch_all(&db.pool).await.unwrap();
    assert_eq!(timers, ["fired", "pending"], "a recent and a pending timer stay");
    let again = ticketeer::db::retention::purge(&db.pool, 30).await.unwrap();
    assert_eq!((again.refused_dms, again.finished_timers), (0, 0), "a second run finds nothing");
}
