//! Twilight's models (gateway events and REST answers) as guild facts: only
//! what permission checks and names need.

use std::collections::BTreeMap;

use twilight_model::channel::permission_overwrite::PermissionOverwriteType;
use twilight_model::channel::Channel;
use twilight_model::guild::Role;
use twilight_model::id::marker::UserMarker;
use twilight_model::id::Id;

use crate::redis::guild_facts::{ChannelFact, GuildFact, GuildFacts, OverwriteFact, RoleFact};

/// A whole guild: GUILD_CREATE, or GET guild plus GET guild channels.
pub fn guild(owner: Id<UserMarker>, name: &str, roles: &[Role], channels: &[Channel]) -> GuildFacts {
    GuildFacts {
        guild: GuildFact { owner_id: owner.get(), name: name.to_owned() },
        roles: roles.iter().map(|r| (r.id.get(), role(r))).collect::<BTreeMap<_, _>>(),
        channels: channels.iter().map(|c| (c.id.get(), channel(c))).collect::<BTreeMap<_, _>>(),
    }
}

pub fn role(role: &Role) -> RoleFact {
    RoleFact { name: role.name.clone(), permissions: role.permissions.bits() }
}

pub fn channel(channel: &Channel) -> ChannelFact {
    let overwrites = channel.permission_overwrites.as_deref().unwrap_or_default();
    ChannelFact {
        name: channel.name.clone(),
        parent_id: channel.parent_id.map(|p| p.get()),
        kind: u8::from(channel.kind),
        overwrites: overwrites
            .iter()
            .map(|o| OverwriteFact {
                id: o.id.get(),
                kind: match o.kind {
                    PermissionOverwriteType::Member => 1,
                    _ => 0,
                },
                allow: o.allow.bits(),
                deny: o.deny.bits(),
            })
            .collect(),
    }
}
