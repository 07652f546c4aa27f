//! `/modmail setup`, `/modmail disable` and `/ticket setup` (and their text
//! forms): runs the core's setup actions and words what they stored for the
//! chat.

use std::fmt::Write as _;

use crate::domain::actor::Actor;
use crate::domain::ids::GuildId;
use crate::domain::panel::PanelSetup;
use crate::tickets::modmail::setup::ModmailSetup;
use crate::tickets::panel::setup::PanelSetUp;
use crate::tickets::{Outcome, TicketResult, TicketService};

pub async fn modmail(
    tickets: &TicketService,
    guild: GuildId,
    actor: &Actor,
    setup: &ModmailSetup,
) -> TicketResult<Outcome> {
    let setup = tickets.setup_modmail(guild, actor, setup).await?;
    let log = setup.log_channel.map(|c| format!(", events are logged in <#{c}>")).unwrap_or_default();
    Ok(Outcome::Notice(format!(
        "Modmail is set up: tickets open in <#{}>, visible to <@&{}>{log}. Members can now DM me.",
        setup.inbox_category, setup.staff_role
    )))
}

pub async fn disable_modmail(tickets: &TicketService, guild: GuildId, actor: &Actor) -> TicketResult<Outcome> {
    let text = if tickets.disable_modmail(guild, actor).await? {
        "Modmail is off: members can no longer reach staff by DM. Run `/modmail setup` to turn it on again."
    } else {
        "Modmail is not on in this server."
    };
    Ok(Outcome::Notice(text.to_owned()))
}

pub async fn panel(
    tickets: &TicketService,
    guild: GuildId,
    actor: &Actor,
    setup: &PanelSetup,
) -> TicketResult<Outcome> {
    Ok(Outcome::Notice(panel_set_up(&tickets.setup_panel(guild, actor, setup).await?)))
}

/// What `/ticket setup` answers: where the menu is, what it offers, who
/// answers and the limits.
fn panel_set_up(done: &PanelSetUp) -> String {
    let (settings, types) = (&done.settings, &done.types);
    let mut text = format!("✅ The ticket menu is in <#{}> with {} ticket types", settings.menu_channel, types.len());
    if done.created > 0 {
        let names = types.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ");
        let _ = write!(text, " (the {} defaults: {names})", done.created);
    }
    let _ = write!(text, ". Tickets open in <#{}>", settings.category);
    match settings.support_role {
        Some(role) => {
            let _ = write!(text, ", <@&{role}> is pinged and answers them");
        }
        None => text.push_str(", answered by members with Manage Server (add a `support-role` to change that)"),
    }
    match settings.log_channel {
        Some(log) => {
            let _ = write!(text, "; events are logged in <#{log}>.");
        }
        None => text.push_str("; no log channel."),
    }
    let _ = write!(
        text,
        " Each member may have {} open ticket{} at once.",
        settings.max_open_per_member,
        if settings.max_open_per_member == 1 { "" } else { "s" }
    );
    text.push_str(" Change the types and their questions with `/ticket admin`.");
    text
}
