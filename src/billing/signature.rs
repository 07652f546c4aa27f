//! Stripe's webhook signature: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]`,
//! where each `v1` is HMAC-SHA256 of `"{t}.{raw body}"` under an endpoint
//! secret. Valid if any `v1` matches any of our secrets (several while a
//! secret is being rolled) and `t` is within the tolerance of now, so a
//! captured request cannot be replayed later.

use secrecy::{ExposeSecret, SecretString};

use crate::crypto;

/// Stripe's own default tolerance.
pub const TOLERANCE_SECS: i64 = 300;

/// The most `v1` values a header may carry. Stripe sends one per endpoint
/// secret (two or three while secrets are rolled); each is checked with an
/// HMAC over the whole body, so an unbounded list would let anyone make one
/// request cost thousands of hashes.
pub const MAX_SIGNATURES: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing or malformed")]
    Malformed,
    #[error("the Stripe-Signature timestamp is outside the {TOLERANCE_SECS} s tolerance")]
    Stale,
    #[error("no signature matches a webhook secret")]
    Mismatch,
}

/// Checks `header` against `body` at time `now` (Unix seconds).
pub fn verify(header: &str, body: &[u8], secrets: &[SecretString], now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() || signatures.len() > MAX_SIGNATURES {
        return Err(SignatureError::Malformed);
    }
    // `t` is whatever the sender wrote: `abs_diff` cannot overflow where
    // `now - t` would (t = i64::MIN), and the difference is compared unsigned.
    if now.abs_diff(timestamp) > TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    let matches = secrets.iter().any(|secret| {
        signatures
            .iter()
            .any(|signature| crypto::verify_hmac_sha256_hex(secret.expose_secret().as_bytes(), &signed, signature))
    });
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The header Stripe would send for `body` at `timestamp` (tests and the
/// local Stripe front use it).
pub fn sign(body: &[u8], secret: &str, timestamp: i64) -> String {
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    format!("t={timestamp},v1={}", crypto::hmac_sha256_hex(secret.as_bytes(), &signed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(values: &[&str]) -> Vec<SecretString> {
        values.iter().map(|v| SecretString::from(v.to_string())).collect()
    }

    #[test]
    fn a_good_signature_passes_and_a_changed_body_does_not() {
        let header = sign(b"{\"id\":\"evt_1\"}", "whsec_a", 1_000);
        assert_eq!(verify(&header, b"{\"id\":\"evt_1\"}", &secrets(&["whsec_a"]), 1_010), Ok(()));
        assert_eq!(
            verify(&header, b"{\"id\":\"evt_2\"}", &secrets(&["whsec_a"]), 1_010),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&header, b"{\"id\":\"evt_1\"}", &secrets(&["whsec_b"]), 1_010),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn old_or_future_timestamps_are_stale() {
        let header = sign(b"{}", "whsec_a", 1_000);
        assert_eq!(
            verify(&header, b"{}", &secrets(&["whsec_a"]), 1_000 + TOLERANCE_SECS + 1),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(&header, b"{}", &secrets(&["whsec_a"]), 1_000 - TOLERANCE_SECS - 1),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn during_a_secret_roll_any_signature_may_match_any_secret() {
        let old = sign(b"{}", "whsec_old", 1_000);
        let new = sign(b"{}", "whsec_new", 1_000);
        let both = format!("{},v1={}", new, old.split("v1=").nth(1).unwrap());
        let ours = secrets(&["whsec_new", "whsec_old"]);
        for header in [&old, &new, &both] {
            assert_eq!(verify(header, b"{}", &ours, 1_000), Ok(()), "{header}");
        }
        assert_eq!(verify(&old, b"{}", &secrets(&["whsec_new"]), 1_000), Err(SignatureError::Mismatch));
    }

    #[test]
    fn extreme_timestamps_are_stale_not_a_panic() {
        let ours = secrets(&["whsec_a"]);
        for (t, now) in [
            (i64::MIN, i64::MAX),
            (i64::MAX, i64::MIN),
            (i64::MIN, 0),
            (i64::MAX, 0),
            (i64::MIN, 1_700_000_000),
            (i64::MAX, 1_700_000_000),
            (-1, i64::MAX),
            (i64::MIN + 1, i64::MAX),
        ] {
            let header = sign(b"{}", "whsec_a", t);
            assert_eq!(verify(&header, b"{}", &ours, now), Err(SignatureError::Stale), "t={t} now={now}");
        }
        // Extremes that agree with the clock are judged like any timestamp.
        for t in [i64::MIN, i64::MAX, 0] {
            assert_eq!(verify(&sign(b"{}", "whsec_a", t), b"{}", &ours, t), Ok(()), "t={t}");
        }
        let edge = sign(b"{}", "whsec_a", i64::MAX - TOLERANCE_SECS);
        assert_eq!(verify(&edge, b"{}", &ours, i64::MAX), Ok(()), "exactly the tolerance away");
        // Numbers beyond i64 do not parse: malformed, not wrapped.
        let huge = "t=99999999999999999999999,v1=00";
        assert_eq!(verify(huge, b"{}", &ours, 0), Err(SignatureError::Malformed));
    }

    #[test]
    fn a_header_with_more_signatures_than_any_secret_roll_needs_is_refused() {
        let good = sign(b"{}", "whsec_a", 1_000);
        let padding = ",v1=00".repeat(MAX_SIGNATURES - 1);
        let at_limit = format!("{good}{padding}");
        assert_eq!(verify(&at_limit, b"{}", &secrets(&["whsec_a"]), 1_000), Ok(()));
        let over = format!("{at_limit},v1=00");
        assert_eq!(verify(&over, b"{}", &secrets(&["whsec_a"]), 1_000), Err(SignatureError::Malformed));
    }

    #[test]
    fn malformed_headers_are_refused() {
        for header in ["", "t=abc,v1=00", "v1=00", "t=1000", "t=1000,v0=00"] {
            assert_eq!(verify(header, b"{}", &secrets(&["x"]), 1_000), Err(SignatureError::Malformed), "{header}");
        }
    }
}
