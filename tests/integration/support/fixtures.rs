//! The worlds most tests start from, built in one call: a fresh app with
//! `acme`, a guild whose owner has run `/modmail setup`; optionally `alice`, a
//! member of it; optionally a ticket alice has opened. Tests destructure the
//! piece they need (`let ModmailMember { app, acme, alice } = modmail_member().await;`),
//! so the names in a test read the same as when it spelled the setup out.

use super::{Guild, TestApp};

/// A fresh app and `acme`, with modmail set up there.
pub struct ModmailGuild {
    pub app: TestApp,
    pub acme: Guild,
}

/// [`ModmailGuild`] and `alice`, a member the bot has indexed.
pub struct ModmailMember {
    pub app: TestApp,
    pub acme: Guild,
    pub alice: u64,
}

/// [`ModmailMember`] and the ticket alice opened: her first DM is in
/// `channel` and she has been welcomed.
pub struct AliceTicket {
    pub app: TestApp,
    pub acme: Guild,
    pub alice: u64,
    pub channel: u64,
}

/// A fresh app with `acme`, whose owner has run `/modmail setup`.
pub async fn modmail_guild() -> ModmailGuild {
    let app = TestApp::spawn().await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    ModmailGuild { app, acme }
}

/// [`modmail_guild`] with `alice`, a member of acme.
pub async fn modmail_member() -> ModmailMember {
    let ModmailGuild { app, acme } = modmail_guild().await;
    let alice = app.member("alice", &[&acme]).await;
    ModmailMember { app, acme, alice }
}

/// [`modmail_member`] with the ticket alice opens by DMing `first_words`.
pub async fn alice_ticket(first_words: &str) -> AliceTicket {
    let ModmailMember { app, acme, alice } = modmail_member().await;
    let channel = app.open_ticket(&acme, alice, first_words).await;
    AliceTicket { app, acme, alice, channel }
}
