//! Message templates with `{placeholder}` values. Input: the template, then
//! up to six values (user, guild, ticket number, staff, category, timeout),
//! separated by the unit separator (0x1F); an empty field is an unset value.
//! The renderer must agree with a plain reference that tries each
//! placeholder at each position: one pass, values never read again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ticketeer::templates::{render, Placeholders};

/// The obvious implementation, slow and independent of the real one.
fn reference(text: &str, values: &[(&str, Option<String>)]) -> String {
    let mut out = String::new();
    let mut rest = text.trim();
    'scan: while let Some(c) = rest.chars().next() {
        for (key, value) in values {
            if let Some(after) = rest.strip_prefix(key) {
                out.push_str(value.as_deref().unwrap_or(""));
                rest = after;
                continue 'scan;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let mut fields = input.split('\u{1f}');
    let text = fields.next().unwrap_or_default();
    let mut value = || fields.next().filter(|v| !v.is_empty());
    let (user, guild, number, staff, category, timeout) = (value(), value(), value(), value(), value(), value());
    let ticket_number = number.map(|n| n.bytes().fold(0i32, |acc, b| acc.wrapping_mul(31).wrapping_add(b as i32)));
    let values = Placeholders { user, guild, ticket_number, staff, category, timeout };
    let rendered = render(text, &values);
    let expected = reference(
        text,
        &[
            ("{user}", user.map(str::to_owned)),
            ("{guild}", guild.map(str::to_owned)),
            ("{ticket_number}", ticket_number.map(|n| n.to_string())),
            ("{staff}", staff.map(str::to_owned)),
            ("{category}", category.map(str::to_owned)),
            ("{timeout}", timeout.map(str::to_owned)),
        ],
    );
    assert_eq!(rendered, expected, "template {text:?}");
});
