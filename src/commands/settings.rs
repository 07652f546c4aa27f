//! `/modmail settings` and `!modmail settings|set`: shows the modmail
//! settings, or changes them and shows what they are now.

use std::fmt::Write as _;

use crate::domain::actor::Actor;
use crate::domain::ids::GuildId;
use crate::domain::settings::GuildSettings;
use crate::tickets::modmail::settings::SETTINGS;
use crate::tickets::{Outcome, TicketResult, TicketService};

/// No changes: the settings. Changes: saved all or none (the core reads the
/// (name, value) pairs as typed), then named, then the settings.
pub async fn show_or_change(
    tickets: &TicketService,
    guild: GuildId,
    actor: &Actor,
    changes: &[(String, String)],
) -> TicketResult<Outcome> {
    if changes.is_empty() {
        let settings = tickets.modmail_settings_view(guild, actor).await?;
        return Ok(Outcome::Notice(describe(&settings)));
    }
    let settings = tickets.change_modmail_settings_as_typed(guild, actor, changes).await?;
    let names: Vec<&str> = changes.iter().map(|(name, _)| name.as_str()).collect();
    Ok(Outcome::Notice(format!("Saved: {}.\n\n{}", names.join(", "), describe(&settings))))
}

/// The settings as staff read them.
pub fn describe(s: &GuildSettings) -> String {
    let mut out = String::from("**Modmail settings**\n");
    for spec in &SETTINGS {
        let _ = writeln!(out, "`{}`: {}", spec.name, (spec.shown)(s));
    }
    let _ = write!(
        out,
        "Change one with `/modmail settings` or `{}modmail set <name> <value>`; `default` or `off` resets texts and delays.",
        s.command_prefix
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tickets::modmail::settings::names;

    #[test]
    fn the_description_names_every_setting() {
        let text = describe(&GuildSettings::defaults(GuildId(1)));
        for name in names() {
            assert!(text.contains(&format!("`{name}`")), "{name} missing");
        }
    }
}
