//! Signed links to users' private files never reach the logs, at any level,
//! even when fetching the file fails and the error is logged.

use discord_standin::client::{FaultSpec, FileSpec};

use crate::support::eventually;
use crate::support::fixtures::{alice_ticket, AliceTicket};
use crate::support::logs::CapturedLogs;

#[tokio::test]
async fn a_relayed_attachment_is_logged_by_its_filename_never_by_its_url() {
    let (logs, _capture) = CapturedLogs::start();
    let AliceTicket { app, acme: _, alice, channel } = alice_ticket("hello").await;

    // Every try of the download fails (the bot tries three times), so the
    // relay fails and its error is logged; the DM stays pending.
    app.control
        .inject_fault(FaultSpec {
            method: "GET".into(),
            route: "/attachments/{channel_id}/{attachment_id}/{filename}".into(),
            status: 500,
            count: 3,
            retry_after_ms: None,
            scope: None,
        })
        .await
        .unwrap();
    let file = FileSpec {
        filename: "passport-scan.png".into(),
        content_type: Some("image/png".into()),
        bytes: b"not really a passport".to_vec(),
    };
    let sent = app.control.user_dm_with_files(alice, "my passport", &[file]).await.unwrap();
    let url = sent["attachments"][0]["url"].as_str().expect("the DM has an attachment URL").to_owned();
    eventually("the failed fetch is logged", || async {
        logs.text().contains("could not fetch passport-scan.png").then_some(())
    })
    .await;

    // Once the failure is on record (the drain that failed has let go of her
    // inbox), her next DM relays both, the file now fetched and re-uploaded.
    eventually("the failed relay is on record", || async {
        let failed: i64 =
            sqlx::query_scalar("SELECT count(*) FROM inbound_dms WHERE attempts > 0 AND state = 'pending'")
                .fetch_one(&app.db.pool)
                .await
                .ok()?;
        (failed == 1).then_some(())
    })
    .await;
    app.control.user_dm(alice, "did it arrive?").await.unwrap();
    let relayed = app.wait_for_channel_text(channel, "my passport").await;
    assert_eq!(relayed["attachments"][0]["filename"], "passport-scan.png", "{relayed}");
    app.wait_for_channel_text(channel, "did it arrive?").await;

    let text = logs.text();
    assert!(text.contains("passport-scan.png"), "the file is named in the logs");
    assert!(!text.contains(&url), "the URL {url} is in the logs:\n{text}");
    assert!(!text.contains("/attachments/"), "an attachment path is in the logs:\n{text}");
    app.shutdown().await;
}
