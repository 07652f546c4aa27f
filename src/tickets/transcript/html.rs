//! A ticket's messages as one self-contained HTML page in Discord's dark
//! style (`templates/transcript.html`): authors with avatars, times, edits,
//! embeds, attachments (linked), markdown and mentions. Every piece of user
//! content goes through [`markdown::to_html`] or [`markdown::escape`].

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::markdown::{self, escape, Names};
use crate::tickets::ports::{FetchedEmbed, FetchedMessage};

const TEMPLATE: &str = include_str!("../../../templates/transcript.html");

/// What the page's header says.
#[derive(Debug, Clone)]
pub struct TranscriptHeader {
    pub guild_name: String,
    pub ticket_number: i32,
    /// `Billing`, `Modmail`…
    pub kind_label: String,
    pub opener_name: String,
    pub opened_at: DateTime<Utc>,
    pub closed_at: DateTime<Utc>,
}

/// The whole page.
pub fn render(header: &TranscriptHeader, messages: &[FetchedMessage], names: &Names) -> String {
    let title = format!("{} ticket #{} · {}", header.kind_label, header.ticket_number, header.guild_name);
    let subtitle = format!(
        "Opened by {} on {} · closed {} · {} messages",
        header.opener_name,
        when(header.opened_at),
        when(header.closed_at),
        messages.len()
    );
    // Every mentioned user's name, gathered once for the whole page.
    let mut names = names.clone();
    for (id, name) in messages.iter().flat_map(|m| &m.mentions) {
        names.users.entry(id.get()).or_insert_with(|| name.clone());
    }
    let mut body = String::new();
    for message in messages {
        body.push_str(&message_html(message, &names));
    }
    // One pass over the template: the values are never scanned for
    // placeholders, so a message containing `{{footer}}` stays as it is.
    let mut out = String::with_capacity(TEMPLATE.len() + body.len());
    let mut rest = TEMPLATE;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        match &rest[start + 2..start + end] {
            "title" => out.push_str(&escape(&title)),
            "subtitle" => out.push_str(&escape(&subtitle)),
            "messages" => out.push_str(&body),
            "footer" => {
                out.push_str(&escape(&format!("Transcript generated {} by Ticketeer.", when(header.closed_at))))
            }
            other => {
                out.push_str("{{");
                out.push_str(other);
                out.push_str("}}");
            }
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn message_html(m: &FetchedMessage, names: &Names) -> String {
    let mut out = String::from("<div class=\"message\">");
    let initial = m.author_name.chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default();
    match m.author_avatar_url.as_deref().filter(|url| safe_url(url)) {
        Some(url) => {
            let _ = write!(out, "<div class=\"avatar\"><img src=\"{}\" alt=\"\"></div>", escape(url));
        }
        None => {
            let _ = write!(out, "<div class=\"avatar\">{}</div>", escape(&initial));
        }
    }
    let _ =
        write!(out, "<div class=\"body\"><div class=\"meta\"><span class=\"author\">{}</span>", escape(&m.author_name));
    if m.author_is_bot {
        out.push_str("<span class=\"bot\">BOT</span>");
    }
    let _ = write!(out, "<time datetime=\"{}\">{}</time>", m.sent_at.to_rfc3339(), when(m.sent_at));
    if let Some(edited) = m.edited_at {
        let _ = write!(out, " <span class=\"edited\" title=\"{}\">(edited)</span>", when(edited));
    }
    out.push_str("</div>");
    if !m.content.is_empty() {
        let _ = write!(out, "<div class=\"content\">{}</div>", markdown::to_html(&m.content, names));
    }
    for embed in &m.embeds {
        out.push_str(&embed_html(embed, names));
    }
    for file in &m.attachments {
        let link = if safe_url(&file.url) {
            format!("<a href=\"{}\" rel=\"noopener noreferrer\">📎 {}</a>", escape(&file.url), escape(&file.filename))
        } else {
            format!("📎 {}", escape(&file.filename))
        };
        let _ = write!(out, "<div class=\"attachment\">{link} ({})</div>", size(file.size));
    }
    out.push_str("</div></div>\n");
    out
}

fn embed_html(e: &FetchedEmbed, names: &Names) -> String {
    let color = e.color.map_or_else(|| "#1e1f22".to_owned(), |c| format!("#{:06x}", c & 0xFF_FFFF));
    let mut out = format!("<div class=\"embed\" style=\"border-left-color:{color}\">");
    if let Some(title) = &e.title {
        let _ = write!(out, "<div class=\"embed-title\">{}</div>", markdown::to_html(title, names));
    }
    if let Some(description) = &e.description {
        let _ = write!(out, "<div class=\"embed-description\">{}</div>", markdown::to_html(description, names));
    }
    for (name, value) in &e.fields {
        let _ = write!(
            out,
            "<div class=\"embed-field\"><div class=\"embed-field-name\">{}</div><div>{}</div></div>",
            markdown::to_html(name, names),
            markdown::to_html(value, names)
        );
    }
    if let Some(footer) = &e.footer {
        let _ = write!(out, "<div class=\"embed-footer\">{}</div>", escape(footer));
    }
    out.push_str("</div>");
    out
}

/// Only web links: no `javascript:` or `data:` URLs in an `href` or `src`.
fn safe_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

fn size(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // a displayed size
    let b = bytes as f64;
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MB", b / 1024.0 / 1024.0)
    } else if b >= 1024.0 {
        format!("{:.1} KB", b / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dm::Attachment;
    use crate::domain::ids::{MessageId, UserId};

    fn message(content: &str) -> FetchedMessage {
        FetchedMessage {
            id: MessageId(1),
            author: UserId(2),
            author_name: "Mallory <img src=x onerror=alert(1)>".into(),
            author_is_bot: false,
            author_avatar_url: Some("javascript:alert(1)".into()),
            content: content.into(),
            attachments: vec![Attachment {
                filename: "a\".html".into(),
                url: "javascript:alert(1)".into(),
                size: 2048,
            }],
            sent_at: Utc::now(),
            edited_at: Some(Utc::now()),
            embeds: vec![FetchedEmbed {
                title: Some("<script>x</script>".into()),
                description: Some("**ok**".into()),
                fields: vec![("f".into(), "<b>v</b>".into())],
                footer: Some("\"><script>".into()),
                color: Some(0x57F287),
            }],
            mentions: vec![],
        }
    }

    fn header() -> TranscriptHeader {
        TranscriptHeader {
            guild_name: "Acme </title><script>".into(),
            ticket_number: 7,
            kind_label: "Billing".into(),
            opener_name: "alice".into(),
            opened_at: Utc::now(),
            closed_at: Utc::now(),
        }
    }

    #[test]
    fn a_page_holds_every_message_and_no_injected_markup() {
        let page = render(
            &header(),
            &[message("<script>alert(1)</script> {{footer}}"), message("**bold**")],
            &Names::default(),
        );
        assert_eq!(page.matches("<script").count(), 0, "{page}");
        assert!(!page.contains("<img src=x") && !page.contains("javascript:"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt; {{footer}}"),
            "content as text, placeholders untouched"
        );
        assert!(page.contains("<strong>bold</strong>") && page.contains("(edited)") && page.contains("2.0 KB"));
        assert!(page.contains("border-left-color:#57f287"));
        assert!(page.contains("<title>Billing ticket #7 · Acme &lt;/title&gt;&lt;script&gt;</title>"));
        assert_eq!(page.matches("class=\"message\"").count(), 2);
    }
}
