//! Discord's markdown as safe HTML, for transcripts.
//!
//! Safety comes first and by construction: code blocks are cut out, then
//! *all* remaining text is HTML-escaped, and only then are the markdown
//! markers (which contain no `<`, `>`, `&` or quotes) turned into the few
//! tags we emit. No user text ever becomes a tag or an attribute, so
//! `<script>` or `onerror=` in a message can only ever show as text.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// Names to show for mentions, by id.
#[derive(Debug, Default, Clone)]
pub struct Names {
    pub users: HashMap<u64, String>,
    pub roles: HashMap<u64, String>,
    pub channels: HashMap<u64, String>,
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

static CODE_BLOCK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)```(?:([A-Za-z0-9_+-]+)\n)?(.*?)```").unwrap());
static INLINE_CODE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"`([^`\n]+)`").unwrap());
static BOLD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)\*\*(.+?)\*\*").unwrap());
static UNDERLINE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)__(.+?)__").unwrap());
static ITALIC_STAR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)\*(.+?)\*").unwrap());
static ITALIC_UNDERSCORE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)\b_(.+?)_\b").unwrap());
static STRIKE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)~~(.+?)~~").unwrap());
static SPOILER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)\|\|(.+?)\|\|").unwrap());
// Mentions, as they look once escaped: `&lt;@123&gt;`, `&lt;@!123&gt;`,
// `&lt;@&amp;123&gt;` (a role), `&lt;#123&gt;` (a channel).
static USER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"&lt;@!?(\d+)&gt;").unwrap());
static ROLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"&lt;@&amp;(\d+)&gt;").unwrap());
static CHANNEL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"&lt;#(\d+)&gt;").unwrap());
static EVERYONE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"@(everyone|here)\b").unwrap());

/// A message's text as HTML.
pub fn to_html(text: &str, names: &Names) -> String {
    let mut out = String::new();
    let mut last = 0;
    for block in CODE_BLOCK.captures_iter(text) {
        let whole = block.get(0).map_or(0..0, |m| m.range());
        out.push_str(&inline(&text[last..whole.start], names));
        let code = block.get(2).map_or("", |m| m.as_str());
        out.push_str("<pre><code>");
        let code = code.strip_prefix('\n').unwrap_or(code);
        out.push_str(&escape(code.strip_suffix('\n').unwrap_or(code)));
        out.push_str("</code></pre>");
        last = whole.end;
    }
    out.push_str(&inline(&text[last..], names));
    out
}

/// Everything outside code blocks: quotes by line, then inline markup.
fn inline(text: &str, names: &Names) -> String {
    let mut out = String::new();
    let mut quote: Vec<String> = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        if let Some(quoted) = line.strip_prefix("> ").or_else(|| (*line == ">").then_some("")) {
            quote.push(spans(quoted, names));
            continue;
        }
        if !quote.is_empty() {
            out.push_str(&format!("<blockquote>{}</blockquote>", quote.join("<br>")));
            quote.clear();
        }
        out.push_str(&spans(line, names));
        if i + 1 < lines.len() {
            out.push_str("<br>");
        }
    }
    if !quote.is_empty() {
        out.push_str(&format!("<blockquote>{}</blockquote>", quote.join("<br>")));
    }
    out
}

/// One line: escaped, then inline code protected, then the markers.
fn spans(line: &str, names: &Names) -> String {
    let escaped = escape(line);
    let mut code_spans = Vec::new();
    // Inline code is kept apart (as a numbered placeholder without markup
    // characters) so markers inside it stay literal.
    let protected = INLINE_CODE.replace_all(&escaped, |c: &Captures| {
        code_spans.push(format!("<code>{}</code>", &c[1]));
        format!("\u{0}{}\u{0}", code_spans.len() - 1)
    });
    let mut html = protected.into_owned();
    for (re, open, close) in [
        (&*SPOILER, "<span class=\"spoiler\">", "</span>"),
        (&*BOLD, "<strong>", "</strong>"),
        (&*UNDERLINE, "<u>", "</u>"),
        (&*ITALIC_STAR, "<em>", "</em>"),
        (&*ITALIC_UNDERSCORE, "<em>", "</em>"),
        (&*STRIKE, "<s>", "</s>"),
    ] {
        html = re.replace_all(&html, |c: &Captures| format!("{open}{}{close}", &c[1])).into_owned();
    }
    html = ROLE.replace_all(&html, |c: &Captures| mention("@", names.roles.get(&id(&c[1])), &c[1])).into_owned();
    html = USER.replace_all(&html, |c: &Captures| mention("@", names.users.get(&id(&c[1])), &c[1])).into_owned();
    html = CHANNEL.replace_all(&html, |c: &Captures| mention("#", names.channels.get(&id(&c[1])), &c[1])).into_owned();
    html = EVERYONE.replace_all(&html, "<span class=\"mention\">@$1</span>").into_owned();
    for (i, code) in code_spans.iter().enumerate() {
        html = html.replace(&format!("\u{0}{i}\u{0}"), code);
    }
    html
}

fn id(digits: &str) -> u64 {
    digits.parse().unwrap_or(0)
}

/// A mention shown by name (escaped), or by id when the name is unknown.
fn mention(sigil: &str, name: Option<&String>, digits: &str) -> String {
    let shown = name.map_or_else(|| digits.to_owned(), |n| escape(n));
    format!("<span class=\"mention\">{sigil}{shown}</span>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(text: &str) -> String {
        let mut names = Names::default();
        names.users.insert(42, "Alice <b>".into());
        names.roles.insert(7, "Support".into());
        names.channels.insert(9, "general".into());
        to_html(text, &names)
    }

    #[test]
    fn markup_becomes_tags() {
        assert_eq!(
            html("**bold** *it* __under__ ~~gone~~ ||secret||"),
            "<strong>bold</strong> <em>it</em> <u>under</u> <s>gone</s> <span class=\"spoiler\">secret</span>"
        );
        assert_eq!(html("a\nb"), "a<br>b");
        assert_eq!(html("> quoted\n> twice\nafter"), "<blockquote>quoted<br>twice</blockquote>after");
    }

    #[test]
    fn code_is_literal() {
        assert_eq!(html("`**not bold**`"), "<code>**not bold**</code>");
        assert_eq!(html("```rust\nlet x = 1 < 2;\n```"), "<pre><code>let x = 1 &lt; 2;</code></pre>");
        assert_eq!(html("```\nplain\n```"), "<pre><code>plain</code></pre>");
    }

    #[test]
    fn mentions_show_names_escaped() {
        assert_eq!(html("hi <@42>"), "hi <span class=\"mention\">@Alice &lt;b&gt;</span>");
        assert_eq!(html("<@&7> <#9> <@1>"),
            "<span class=\"mention\">@Support</span> <span class=\"mention\">#general</span> <span class=\"mention\">@1</span>");
    }

    #[test]
    fn injected_html_stays_text() {
        for attack in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "**<img src=x onerror=\"alert(1)\">**",
            "```\n</code></pre><script>alert(1)</script>\n```",
            "`<script>`",
            "> <iframe src=javascript:alert(1)>",
        ] {
            let out = html(attack);
            assert!(!out.contains("<script") && !out.contains("<img") && !out.contains("<iframe"), "{attack} → {out}");
            assert!(!out.contains("\"alert"), "no attribute breaks out: {out}");
        }
    }
}
