//! Turns the core's [`OutgoingMessage`] into Discord's message JSON and into
//! twilight's interaction response data.

use serde::Serialize;
use twilight_model::channel::message::component::{
    ActionRow, Button, ButtonStyle, Component, SelectMenu, SelectMenuOption, SelectMenuType,
};
use twilight_model::channel::message::EmojiReactionType;
use twilight_model::channel::message::{AllowedMentions, Embed, MessageFlags};
use twilight_model::http::interaction::InteractionResponseData;
use twilight_model::id::Id;
use twilight_model::util::Timestamp;
use twilight_util::builder::embed::{EmbedAuthorBuilder, EmbedBuilder, EmbedFieldBuilder, EmbedFooterBuilder};

use crate::tickets::ports::{self, ChoiceMenu, OutgoingMessage};

/// Only the roles and users a message names may be pinged: never `@everyone`,
/// `@here`, other roles or users, whatever relayed text contains.
pub fn allowed_mentions(message: &OutgoingMessage) -> AllowedMentions {
    AllowedMentions {
        parse: Vec::new(),
        replied_user: false,
        roles: message.ping_roles.iter().map(|r| Id::new(r.get().max(1))).collect(),
        users: message.ping_users.iter().map(|u| Id::new(u.get().max(1))).collect(),
    }
}

pub fn embeds(message: &OutgoingMessage) -> Vec<Embed> {
    message.embeds.iter().map(embed).collect()
}

fn embed(source: &ports::Embed) -> Embed {
    let mut builder = EmbedBuilder::new();
    if let Some(author) = &source.author {
        let mut author = EmbedAuthorBuilder::new(author.clone());
        if let Some(icon) = &source.author_icon_url {
            if let Ok(url) = twilight_util::builder::embed::ImageSource::url(icon.clone()) {
                author = author.icon_url(url);
            }
        }
        builder = builder.author(author.build());
    }
    if let Some(title) = &source.title {
        builder = builder.title(title.clone());
    }
    if let Some(description) = &source.description {
        builder = builder.description(description.clone());
    }
    if let Some(color) = source.color {
        builder = builder.color(color);
    }
    for field in &source.fields {
        let mut f = EmbedFieldBuilder::new(field.name.clone(), field.value.clone());
        if field.inline {
            f = f.inline();
        }
        builder = builder.field(f.build());
    }
    if let Some(footer) = &source.footer {
        builder = builder.footer(EmbedFooterBuilder::new(footer.clone()).build());
    }
    if let Some(at) = source.timestamp {
        if let Ok(ts) = Timestamp::from_secs(at.timestamp()) {
            builder = builder.timestamp(ts);
        }
    }
    builder.build()
}

pub fn components(message: &OutgoingMessage) -> Vec<Component> {
    message.menu.as_deref().into_iter().chain(message.more_menus.iter()).map(action_row).collect()
}

/// One menu as one action row: its buttons, or its select menu.
fn action_row(menu: &ChoiceMenu) -> Component {
    let components = if menu.buttons {
        menu.options
            .iter()
            .map(|o| {
                Component::Button(Button {
                    custom_id: Some(format!("{}:{}", menu.custom_id, o.value)),
                    disabled: o.disabled,
                    emoji: o.emoji.as_deref().and_then(emoji),
                    id: None,
                    label: Some(o.label.clone()),
                    sku_id: None,
                    style: if o.danger { ButtonStyle::Danger } else { ButtonStyle::Primary },
                    url: None,
                })
            })
            .collect()
    } else {
        vec![Component::SelectMenu(SelectMenu {
            channel_types: None,
            custom_id: menu.custom_id.clone(),
            default_values: None,
            disabled: false,
            id: None,
            kind: SelectMenuType::Text,
            max_values: Some(1),
            min_values: Some(1),
            options: Some(
                menu.options
                    .iter()
                    .map(|o| SelectMenuOption {
                        default: false,
                        description: o.description.clone().filter(|d| !d.is_empty()),
                        emoji: o.emoji.as_deref().and_then(emoji),
                        label: o.label.clone(),
                        value: o.value.clone(),
                    })
                    .collect(),
            ),
            placeholder: Some(menu.placeholder.clone()),
            required: None,
        })]
    };
    Component::ActionRow(ActionRow { id: None, components })
}

/// A unicode emoji as it is, or a custom one from `<:name:id>` / `<a:name:id>`.
fn emoji(text: &str) -> Option<EmojiReactionType> {
    if let Some(inner) = text.strip_prefix('<').and_then(|t| t.strip_suffix('>')) {
        let (animated, rest) = match inner.strip_prefix("a:") {
            Some(rest) => (true, rest),
            None => (false, inner.strip_prefix(':')?),
        };
        let (name, id) = rest.split_once(':')?;
        let id = id.parse::<u64>().ok().and_then(twilight_model::id::Id::new_checked)?;
        return Some(EmojiReactionType::Custom { animated, id, name: Some(name.to_owned()) });
    }
    Some(EmojiReactionType::Unicode { name: text.to_owned() })
}

/// The JSON body of `POST /channels/{id}/messages`. Built here rather than with
/// twilight's builder because twilight has no `enforce_nonce`, which is what
/// makes a retried send idempotent at Discord.
#[derive(Serialize)]
struct CreateMessageBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    embeds: Vec<Embed>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<Component>,
    allowed_mentions: AllowedMentions,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    enforce_nonce: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_reference: Option<MessageReference>,
    /// With files: which uploaded part (`files[id]`) is which attachment.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<AttachmentRef<'a>>,
}

#[derive(Serialize)]
struct AttachmentRef<'a> {
    id: u64,
    filename: &'a str,
}

#[derive(Serialize)]
struct MessageReference {
    message_id: String,
    fail_if_not_exists: bool,
}

pub fn create_message_body(message: &OutgoingMessage) -> Vec<u8> {
    let body = CreateMessageBody {
        content: message.content.as_deref(),
        embeds: embeds(message),
        components: components(message),
        allowed_mentions: allowed_mentions(message),
        nonce: message.nonce.map(|n| n.to_string()),
        enforce_nonce: message.nonce.is_some(),
        message_reference: message
            .reply_to
            .map(|m| MessageReference { message_id: m.to_string(), fail_if_not_exists: false }),
        attachments: message
            .files
            .iter()
            .map(|f| f.filename.as_str())
            .chain(message.uploads.iter().map(|u| u.filename.as_str()))
            .enumerate()
            .map(|(id, filename)| AttachmentRef { id: id as u64, filename })
            .collect(),
    };
    // Serialising plain data cannot fail.
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The same message as an interaction response (type 4 or an update).
pub fn response_data(message: &OutgoingMessage, ephemeral: bool) -> InteractionResponseData {
    InteractionResponseData {
        allowed_mentions: Some(allowed_mentions(message)),
        components: Some(components(message)),
        content: message.content.clone(),
        embeds: Some(embeds(message)),
        flags: ephemeral.then_some(MessageFlags::EPHEMERAL),
        ..InteractionResponseData::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relayed_text_can_never_ping_everyone() {
        let body = create_message_body(&OutgoingMessage::text("@everyone @here <@&1>"));
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["allowed_mentions"]["parse"], serde_json::json!([]));
    }

    #[test]
    fn a_nonce_is_enforced() {
        let body = create_message_body(&OutgoingMessage::text("hi").with_nonce(42));
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["nonce"], "42");
        assert_eq!(json["enforce_nonce"], true);
    }
}
