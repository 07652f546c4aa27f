//! Discord markdown to transcript HTML. Input: the message, then the names of
//! user 1, role 2 and channel 3 (for `<@1>`, `<@&2>`, `<#3>`), separated by
//! the unit separator (0x1F). The invariant is the module's promise: the
//! only markup in the output is the renderer's own tags, so once those are
//! removed no `<`, `>`, quote or apostrophe is left — anything the user or a
//! name brought is escaped.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ticketeer::tickets::transcript::markdown::{escape, to_html, Names};

/// Every tag `to_html` may emit, exactly as it emits it.
const OWN_TAGS: &[&str] = &[
    "<pre><code>",
    "</code></pre>",
    "<code>",
    "</code>",
    "<blockquote>",
    "</blockquote>",
    "<br>",
    "<strong>",
    "</strong>",
    "<u>",
    "</u>",
    "<em>",
    "</em>",
    "<s>",
    "</s>",
    "<span class=\"spoiler\">",
    "<span class=\"mention\">",
    "</span>",
];

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let mut fields = input.split('\u{1f}');
    let text = fields.next().unwrap_or_default();
    let mut names = Names::default();
    if let Some(user) = fields.next() {
        names.users.insert(1, user.to_owned());
    }
    if let Some(role) = fields.next() {
        names.roles.insert(2, role.to_owned());
    }
    if let Some(channel) = fields.next() {
        names.channels.insert(3, channel.to_owned());
    }
    let html = to_html(text, &names);
    let mut rest = html.clone();
    for tag in OWN_TAGS {
        rest = rest.replace(tag, "");
    }
    assert!(!rest.contains(['<', '>', '"', '\'']), "unescaped markup from {text:?}: {html}");
    // Text without any markdown or HTML character comes out merely escaped.
    if !text.contains(|c: char| "*_~|`>@<#&\n\r\u{0}".contains(c)) {
        assert_eq!(html, escape(text), "plain text {text:?}");
    }
});
