//! Tickets, statistics and transcripts through the API, over tickets made the
//! real way (DMs to the bot, staff commands in the ticket channels).

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::api::Auth;
use crate::support::fixtures::{modmail_guild, ModmailGuild};
use crate::support::{text_of, Guild, TestApp};

/// Three tickets in `acme`: alice's (taken by staff), bob's (answered), and
/// carol's (closed). Returns their channels.
async fn three_tickets(app: &TestApp, acme: &Guild) -> (u64, u64, u64, [u64; 3]) {
    let alice = app.member("alice", &[acme]).await;
    let bob = app.member("bob", &[acme]).await;
    let carol = app.member("carol", &[acme]).await;
    let first = app.open_ticket(acme, alice, "my order is late").await;
    let second = app.open_ticket(acme, bob, "I need a refund").await;
    let third = app.open_ticket(acme, carol, "where is my parcel").await;
    app.control.post_message(first, acme.staff, "!take").await.unwrap();
    app.wait_for_channel_text(first, "took this ticket").await;
    app.control.post_message(second, acme.staff, "!reply Refund on its way").await.unwrap();
    app.wait_for_bot_dm(bob, "Refund on its way").await;
    app.control.post_message(third, acme.staff, "!close").await.unwrap();
    app.wait_for_bot_dm(carol, "transcript").await;
    (first, second, third, [alice, bob, carol])
}

fn numbers(page: &Value) -> Vec<i64> {
    page["items"].as_array().unwrap().iter().map(|t| t["number"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn tickets_are_listed_filtered_and_paged_and_one_shows_its_messages_and_events() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let (_, _, _, [alice, _, _]) = three_tickets(&app, &acme).await;
    let api = app.api().await;
    let session = api.login(&app, acme.owner).await;
    let token = Auth::Token(api.token(&session, acme.id, &["tickets:read"]).await);
    let tickets = format!("/v1/guilds/{}/tickets", acme.id);
    let get = |query: &str| {
        let path = format!("{tickets}{query}");
        let api = &api;
        let token = token.clone();
        async move { api.get(&path, &token).await }
    };

    let all = get("").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert_eq!(numbers(&all.body), [3, 2, 1]);
    assert_eq!(numbers(&get("?status=closed").await.body), [3]);
    assert_eq!(numbers(&get(&format!("?opener={alice}")).await.body), [1]);
    assert_eq!(numbers(&get(&format!("?assigned_to={}", acme.staff)).await.body), [1]);
    assert_eq!(numbers(&get("?kind=panel").await.body), Vec::<i64>::new());
    assert_eq!(numbers(&get("?opened_after=2999-01-01T00:00:00Z").await.body), Vec::<i64>::new());

    // Pages follow the cursor to the end.
    let first_page = get("?status=open&limit=1").await;
    assert_eq!(numbers(&first_page.body), [2]);
    let next = first_page.body["next"].as_str().unwrap().to_owned();
    let second_page = get(&format!("?status=open&limit=1&before={next}")).await;
    assert_eq!(numbers(&second_page.body), [1]);
    assert!(second_page.body.get("next").is_none(), "the last page has no cursor: {}", second_page.body);

    assert_eq!(get("?status=maybe").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(get("?limit=0").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad_opener = get("?opener=abc").await;
    assert_eq!(bad_opener.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_opener.body["error"]["fields"]["opener"].is_array());

    let one = api.get(&format!("{tickets}/2"), &token).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(one.body["status"], "open");
    let contents: Vec<&str> =
        one.body["messages"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert!(contents.iter().any(|c| c.contains("I need a refund")), "{contents:?}");
    assert!(contents.iter().any(|c| c.contains("Refund on its way")), "{contents:?}");
    let kinds: Vec<&str> = one.body["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"opened"), "{kinds:?}");
    assert_eq!(api.get(&format!("{tickets}/99"), &token).await.status, StatusCode::NOT_FOUND);
    app.shutdown().await;
}

#[tokio::test]
async fn stats_count_open_tickets_per_day_and_per_staff_member() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    three_tickets(&app, &acme).await;
    let api = app.api().await;
    let session = Auth::Session(api.login(&app, acme.owner).await);

    let stats = api.get(&format!("/v1/guilds/{}/stats?days=7", acme.id), &session).await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.body);
    let body = &stats.body;
    assert_eq!(body["open_tickets"], 2);
    let days = body["per_day"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!((days[6]["opened"].as_i64(), days[6]["closed"].as_i64()), (Some(3), Some(1)), "today: {}", days[6]);
    assert!(body["median_first_response_seconds"].as_f64().unwrap() >= 0.0, "{body}");
    assert!(body["median_resolution_seconds"].as_f64().unwrap() >= 0.0, "{body}");
    let staff = body["per_staff"].as_array().unwrap();
    let staff_id = acme.staff.to_string();
    let me = staff.iter().find(|s| s["user_id"] == staff_id.as_str()).expect("the staff member is listed");
    assert_eq!((me["replies"].as_i64(), me["tickets_closed"].as_i64()), (Some(1), Some(1)), "{me}");
    assert_eq!(me["first_responses"], 2, "the take of #1 and the reply in #2: {me}");
    assert_eq!(
        api.get(&format!("/v1/guilds/{}/stats?days=0", acme.id), &session).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    app.shutdown().await;
}

#[tokio::test]
async fn transcripts_are_served_with_a_strict_policy_to_admins_and_to_the_opener_by_the_signed_link_in_their_dm() {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let (_, _, _, [_, _, carol]) = three_tickets(&app, &acme).await;
    let api = app.api().await;
    let session = Auth::Session(api.login(&app, acme.owner).await);

    let page = api.get(&format!("/v1/guilds/{}/tickets/3/transcript", acme.id), &session).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let policy = page.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(page.body.as_str().unwrap().contains("where is my parcel"));
    let open = api.get(&format!("/v1/guilds/{}/tickets/1/transcript", acme.id), &session).await;
    assert_eq!(open.status, StatusCode::NOT_FOUND, "an open ticket has no transcript yet");

    // The close DM carries a link that works without logging in…
    let dm = app.wait_for_bot_dm(carol, "/v1/transcripts/").await;
    let text = text_of(&dm);
    let link = text.split_whitespace().find(|w| w.contains("/v1/transcripts/")).unwrap();
    let path = &link[link.find("/v1/").unwrap()..];
    let by_link = api.get(path, &Auth::None).await;
    assert_eq!(by_link.status, StatusCode::OK, "{path}");
    assert!(by_link.body.as_str().unwrap().contains("where is my parcel"));
    // …but not once changed.
    let tampered = path.replace("signature=", "signature=x");
    assert_eq!(api.get(&tampered, &Auth::None).await.status, StatusCode::FORBIDDEN);
    let other_ticket =
        regex::Regex::new(r"/v1/transcripts/\d+").unwrap().replace(path, "/v1/transcripts/1").into_owned();
    assert_eq!(api.get(&other_ticket, &Auth::None).await.status, StatusCode::FORBIDDEN);
    app.shutdown().await;
}
