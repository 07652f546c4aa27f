//! Delays as staff type them (`1d12h`). Beyond never panicking: an accepted
//! delay is within (0, 30 days] and reads back the same once formatted; and
//! any whole-minute delay within the limit formats to text that parses back.

#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use ticketeer::tickets::duration::{format, parse, MAX};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(delay) = parse(text) {
            assert!(!delay.is_zero() && delay <= MAX, "{text:?} gave {delay:?}");
            assert_eq!(delay.as_secs() % 60, 0, "{text:?} gave seconds");
            let shown = format(delay);
            assert_eq!(parse(&shown.replace(' ', "")), Ok(delay), "{text:?} → {shown:?}");
        }
    }
    // The same bytes read as a number of seconds: formatting never panics, and
    // what `format` shows for a whole-minute delay parses back to it.
    let mut raw = [0u8; 8];
    let n = data.len().min(8);
    raw[..n].copy_from_slice(&data[..n]);
    let secs = u64::from_le_bytes(raw);
    let shown = format(Duration::from_secs(secs));
    let minutes = Duration::from_secs(secs % (MAX.as_secs() + 1) / 60 * 60);
    if !minutes.is_zero() {
        let shown = format(minutes);
        assert_eq!(parse(&shown.replace(' ', "")), Ok(minutes), "{minutes:?} → {shown:?}");
    }
    assert!(!shown.is_empty());
});
