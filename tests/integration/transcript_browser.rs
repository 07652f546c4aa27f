//! A transcript in a real browser: headless Chromium (Debian's `chromium`)
//! loads a page with every kind of content, runs whatever scripts the page
//! would run, and dumps the resulting document. What should show, shows;
//! what was injected never runs.

use std::time::Duration;

use chrono::Utc;
use ticketeer::domain::dm::Attachment;
use ticketeer::domain::ids::{MessageId, UserId};
use ticketeer::tickets::ports::{FetchedEmbed, FetchedMessage};
use ticketeer::tickets::transcript::html::{render, TranscriptHeader};
use ticketeer::tickets::transcript::markdown::Names;

/// What an injected script would do if it ran.
const PWN: &str = "document.body.setAttribute('data-pwned','yes')";

fn message(id: u64, author: &str, content: &str) -> FetchedMessage {
    FetchedMessage {
        id: MessageId(id),
        author: UserId(id),
        author_name: author.into(),
        author_is_bot: false,
        author_avatar_url: None,
        content: content.into(),
        attachments: vec![],
        sent_at: Utc::now(),
        edited_at: None,
        embeds: vec![],
        mentions: vec![],
    }
}

fn every_kind_of_content() -> Vec<FetchedMessage> {
    let mut bot = message(3, "Ticketeer", "");
    bot.author_is_bot = true;
    bot.embeds = vec![FetchedEmbed {
        title: Some("Billing ticket #7".into()),
        description: Some("Opened by <@1>".into()),
        fields: vec![("What is the problem?".into(), "Charged **twice**".into())],
        footer: Some("Open tickets: 3".into()),
        color: Some(0x57F287),
    }];
    let mut edited = message(4, "alice", "I meant order 4321");
    edited.edited_at = Some(Utc::now());
    let mut files = message(5, "alice", "the receipt");
    files.attachments = vec![Attachment {
        filename: "receipt.pdf".into(),
        url: "http://127.0.0.1:9/attachments/receipt.pdf".into(),
        size: 48_000,
    }];
    let mut mentions = message(6, "sam", "thanks <@1>, see <#9> and ping <@&7>");
    mentions.mentions = vec![(UserId(1), "alice".into())];
    vec![
        message(1, "alice", "**bold** *italic* __underline__ ~~strike~~ ||spoiler|| `inline code`"),
        message(2, "sam", "> a quote\n```\nfn main() { println!(\"<b>\"); }\n```"),
        bot,
        edited,
        files,
        mentions,
        message(7, "mallory", &format!("<script>{PWN}</script>")),
        message(8, "mallory", &format!("<img src=x onerror=\"{PWN}\">")),
        message(9, "mallory", &format!("**<svg onload=\"{PWN}\">**")),
        message(10, "mallory <img src=x onerror=alert(1)>", "[click](javascript:alert(1))"),
    ]
}

/// Loads `html` in headless Chromium, lets its scripts run, and returns the
/// resulting document.
async fn dump_dom(html: &str) -> String {
    let path = std::env::temp_dir().join(format!("ticketeer-transcript-{:016x}.html", rand::random::<u64>()));
    std::fs::write(&path, html).unwrap();
    let run = tokio::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--virtual-time-budget=2000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", path.display()))
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .expect("chromium finishes within 90 s")
        .expect("chromium runs (scripts/test.sh installs Debian's chromium)");
    if std::env::var_os("KEEP_TRANSCRIPT").is_none() {
        let _ = std::fs::remove_file(&path);
    }
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(dom.contains("<body"), "chromium dumped the page: {}", String::from_utf8_lossy(&output.stderr));
    dom
}

#[tokio::test]
async fn a_transcript_shows_every_kind_of_content_in_chromium_and_runs_no_injected_script() {
    let header = TranscriptHeader {
        guild_name: "Acme".into(),
        ticket_number: 7,
        kind_label: "Billing".into(),
        opener_name: "alice".into(),
        opened_at: Utc::now(),
        closed_at: Utc::now(),
    };
    let mut names = Names::default();
    names.channels.insert(9, "general".into());
    names.roles.insert(7, "Support".into());
    let page = render(&header, &every_kind_of_content(), &names);
    let dom = dump_dom(&page).await;

    // The check below can fail: the same script, when it does run, marks the page.
    let control = dump_dom(&format!("<!DOCTYPE html><html><body><script>{PWN}</script></body></html>")).await;
    assert!(control.contains("data-pwned=\"yes\""), "the control page's script ran: {control}");

    // What should show, shows.
    for shown in [
        "<strong>bold</strong>",
        "<em>italic</em>",
        "<u>underline</u>",
        "<s>strike</s>",
        "<span class=\"spoiler\">spoiler</span>",
        "<code>inline code</code>",
        "<blockquote>a quote</blockquote>",
        "println!(\"&lt;b&gt;\")",
        "<span class=\"bot\">BOT</span>",
        "Charged <strong>twice</strong>",
        "(edited)",
        "receipt.pdf",
        "<span class=\"mention\">@alice</span>",
        "<span class=\"mention\">#general</span>",
        "<span class=\"mention\">@Support</span>",
        "Billing ticket #7 · Acme",
    ] {
        assert!(dom.contains(shown), "the page shows {shown}");
    }
    // What was injected shows as text and never ran.
    assert!(!dom.contains("data-pwned=\"yes\""), "an injected script ran");
    assert_eq!(dom.matches("<script").count(), 0, "no script element");
    assert!(!dom.contains("<img src=\"x\"") && !dom.contains("<svg"), "no injected element");
    assert!(dom.contains("&lt;script&gt;"), "the attempt is visible as text");
    assert!(!dom.contains("href=\"javascript:"), "no javascript: link");
}
