//! A cluster that resumed after a restart knows its servers: Discord sends no
//! GUILD_CREATE after a RESUME, so the new process's gateway cache is empty,
//! and permission checks and names come from the guild facts the previous
//! process kept in Redis (or, on a miss, from one REST refill).

use deadpool_redis::redis;
use serde_json::json;

use crate::support::child_cluster::ChildCluster;
use crate::support::{eventually, Guild, Options, TestApp};

const ADMINISTRATOR: u64 = 1 << 3;

fn child_options() -> Options {
    Options { in_process: false, recover_on_start: false, ..Options::default() }
}

fn redis_pool(app: &TestApp) -> deadpool_redis::Pool {
    let url = app.env.iter().find(|(k, _)| *k == "REDIS_URL").map(|(_, v)| v.clone()).unwrap();
    ticketeer::redis::connect(&url).unwrap()
}

fn facts_key(app: &TestApp, guild: &Guild) -> String {
    ticketeer::redis::keys::Keys::new(app.application_id).guild_facts(ticketeer::domain::ids::GuildId(guild.id))
}

/// Waits until the guild's stored facts have `field` containing `needle`
/// (the running cluster has written the event).
async fn wait_for_fact(app: &TestApp, guild: &Guild, field: String, needle: &str) {
    let pool = redis_pool(app);
    let key = facts_key(app, guild);
    eventually("the guild facts show the change", || async {
        let mut conn = pool.get().await.ok()?;
        let value: Option<String> = redis::cmd("HGET").arg(&key).arg(&field).query_async(&mut conn).await.ok()?;
        value.filter(|v| v.contains(needle)).map(drop)
    })
    .await;
}

/// SIGTERM (the session is saved) and a new process, which must resume.
async fn restart_resuming(app: &TestApp, cluster: ChildCluster) -> ChildCluster {
    let before = app.control.gateway_stats().await.unwrap();
    cluster.stop().await;
    let cluster = app.start_child_cluster(0).await;
    let after = app.control.gateway_stats().await.unwrap();
    assert_eq!(after.identifies, before.identifies, "no new identify: the session was resumed");
    assert!(after.resumes > before.resumes, "the new process resumed the saved session");
    cluster
}

async fn says(app: &TestApp, channel: u64, author: u64, text: &str, answer: &str) {
    app.control.post_message(channel, author, text).await.unwrap();
    app.wait_for_channel_text(channel, answer).await;
}

#[tokio::test]
async fn after_a_resume_the_owner_may_use_a_manage_server_command_at_once() {
    let app = TestApp::spawn_with(child_options()).await;
    let cluster = app.start_child_cluster(0).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let billing = app.control.create_channel(acme.id, "Billing", 4, None).await.unwrap();

    let cluster = restart_resuming(&app, cluster).await;

    let command = format!("!category create {billing} Billing");
    says(&app, acme.general, acme.owner, &command, "Category **Billing** created").await;
    let texts: Vec<String> =
        app.control.channel_messages(acme.general).await.unwrap().iter().map(crate::support::text_of).collect();
    assert!(!texts.iter().any(|t| t.contains("Only staff")), "the owner was never refused: {texts:?}");
    cluster.stop().await;
    app.shutdown().await;
}

#[tokio::test]
async fn an_administrator_made_by_a_role_update_is_allowed_after_a_resume_and_a_member_without_it_is_still_refused() {
    let app = TestApp::spawn_with(child_options()).await;
    let cluster = app.start_child_cluster(0).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let billing = app.control.create_channel(acme.id, "Billing", 4, None).await.unwrap();
    let ada = app.member("ada", &[&acme]).await;
    let bob = app.member("bob", &[&acme]).await;
    // The role is made after GUILD_CREATE, with no permissions, and only
    // later given Administrator: only the events tell.
    let mods = app.control.create_role(acme.id, "Mods", 0).await.unwrap();
    app.control.put_member(acme.id, ada, &[mods]).await.unwrap();
    app.control.update_role(acme.id, mods, None, Some(ADMINISTRATOR)).await.unwrap();
    wait_for_fact(&app, &acme, format!("role:{mods}"), "\"permissions\":8").await;

    let cluster = restart_resuming(&app, cluster).await;

    says(&app, acme.general, bob, &format!("!category create {billing} Nope"), "Only staff").await;
    says(&app, acme.general, ada, &format!("!category create {billing} Billing"), "Category **Billing** created").await;
    let texts: Vec<String> =
        app.control.channel_messages(acme.general).await.unwrap().iter().map(crate::support::text_of).collect();
    assert!(!texts.iter().any(|t| t.contains("Category **Nope**")), "bob created nothing: {texts:?}");
    cluster.stop().await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_guild_transferred_while_the_cluster_ran_has_its_new_owner_allowed_and_the_old_one_refused_after_a_resume() {
    let app = TestApp::spawn_with(child_options()).await;
    let cluster = app.start_child_cluster(0).await;
    let acme = app.guild("acme").await;
    app.setup_modmail(&acme).await;
    let billing = app.control.create_channel(acme.id, "Billing", 4, None).await.unwrap();
    let olga = app.member("olga", &[&acme]).await;
    app.control.transfer_guild(acme.id, olga).await.unwrap();
    wait_for_fact(&app, &acme, "guild".to_owned(), &format!("\"owner_id\":{olga}")).await;

    let cluster = restart_resuming(&app, cluster).await;

    says(&app, acme.general, acme.owner, &format!("!category create {billing} Nope"), "Only staff").await;
    says(&app, acme.general, olga, &format!("!category create {billing} Billing"), "Category **Billing** created")
        .await;
    cluster.stop().await;
    app.shutdown().await;
}

#[tokio::test]
async fn names_changed_while_the_cluster_ran_show_after_the_resume_and_a_lost_guild_entry_is_refilled_over_rest_once() {
    let app = TestApp::spawn_with(child_options()).await;
    let cluster = app.start_child_cluster(0).await;
    let acme = app.guild("acme").await;
    app.make_premium(&acme).await;
    app.setup_modmail(&acme).await;
    let alice = app.member("alice", &[&acme]).await;
    let ticket = app.open_ticket(&acme, alice, "where is my parcel").await;
    let mention = format!("see <#{}> or ask <@&{}>", acme.general, acme.staff_role);
    app.control.post_message(ticket, acme.staff, &mention).await.unwrap();
    app.control.update_role(acme.id, acme.staff_role, Some("Helpers"), None).await.unwrap();
    app.control.modify_channel(acme.general, json!({"name": "lobby"})).await.unwrap();
    wait_for_fact(&app, &acme, format!("role:{}", acme.staff_role), "Helpers").await;
    wait_for_fact(&app, &acme, format!("channel:{}", acme.general), "lobby").await;

    let cluster = restart_resuming(&app, cluster).await;

    // Redis loses the guild's entry: a burst of commands refills it once.
    let mut conn = redis_pool(&app).get().await.unwrap();
    let _: i64 = redis::cmd("DEL").arg(facts_key(&app, &acme)).query_async(&mut conn).await.unwrap();
    let get_guild = "GET /guilds/{guild_id}";
    let before = app.control.request_counts().await.unwrap().get(get_guild).copied().unwrap_or(0);
    let mut categories = Vec::new();
    for name in ["One", "Two", "Three"] {
        let category = app.control.create_channel(acme.id, name, 4, None).await.unwrap();
        categories.push((category, name));
    }
    for (category, name) in &categories {
        let command = format!("!category create {category} {name}");
        app.control.post_message(acme.general, acme.owner, &command).await.unwrap();
    }
    for (_, name) in &categories {
        app.wait_for_channel_text(acme.general, &format!("Category **{name}** created")).await;
    }
    let after = app.control.request_counts().await.unwrap().get(get_guild).copied().unwrap_or(0);
    assert_eq!(after - before, 1, "one refill for the burst");

    // The staff channel's transcript names the role and channel as renamed.
    app.control.post_message(ticket, acme.staff, "!close").await.unwrap();
    app.wait_until_closed(ticket).await;
    let page: String = eventually("the transcript is stored", || async {
        sqlx::query_scalar("SELECT html FROM transcripts").fetch_optional(&app.db.pool).await.ok().flatten()
    })
    .await;
    assert!(
        page.contains("<span class=\"mention\">#lobby</span>")
            && page.contains("<span class=\"mention\">@Helpers</span>"),
        "the new names: {page}"
    );
    cluster.stop().await;
    app.shutdown().await;
}
