//! Stripe's webhook signature header (`t=…,v1=…`). Input: 8 bytes of the
//! clock, then the header, the unit separator (0x1F) and the body.
//! Whatever arrives, checking never panics, and it passes only when the
//! header carries the real signature of the body for one of its `t=` values,
//! within the tolerance of the clock; a header we sign ourselves at any `t`
//! passes exactly when the clock is within the tolerance.

#![no_main]

use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;
use ticketeer::billing::signature::{sign, verify, SignatureError, TOLERANCE_SECS};

const SECRET: &str = "whsec_fuzz";

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (clock, rest) = data.split_at(8);
    let now = i64::from_le_bytes(clock.try_into().unwrap_or_default());
    let secrets = [SecretString::from(SECRET)];
    let rest = String::from_utf8_lossy(rest);
    let (header, body) = rest.split_once('\u{1f}').unwrap_or((&rest, ""));

    if verify(header, body.as_bytes(), &secrets, now).is_ok() {
        let genuine =
            header.split(',').filter_map(|part| part.trim().strip_prefix("t=")?.parse::<i64>().ok()).any(|t| {
                let signature = sign(body.as_bytes(), SECRET, t);
                let v1 = signature.split_once(",v1=").map_or("", |(_, v1)| v1);
                now.abs_diff(t) <= TOLERANCE_SECS.unsigned_abs() && header.to_ascii_lowercase().contains(v1)
            });
        assert!(genuine, "accepted a header that is not Stripe's: {header:?}");
    }

    // Our own signature at a `t` taken from the input, checked at `now`.
    let t = now.wrapping_add(i64::from(clock[0] as i8) * 3);
    let ours = sign(body.as_bytes(), SECRET, t);
    let expected = if now.abs_diff(t) <= TOLERANCE_SECS.unsigned_abs() { Ok(()) } else { Err(SignatureError::Stale) };
    assert_eq!(verify(&ours, body.as_bytes(), &secrets, now), expected, "t={t} now={now}");
    if expected.is_ok() {
        let mut tampered = body.as_bytes().to_vec();
        tampered.push(b'!');
        assert_eq!(verify(&ours, &tampered, &secrets, now), Err(SignatureError::Mismatch));
    }
});
