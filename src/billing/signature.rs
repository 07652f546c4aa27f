//! Stripe's webhook signature: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]`,
//! where each `v1` is HMAC-SHA256 of `"{t}.{raw body}"` under an endpoint
//! secret. Valid if any `v1` matches any of our secrets (several while a
//! secret is being rolled) and `t` is within the tolerance of now, so a
//! captured request cannot be replayed later.

use secrecy::{ExposeSecret, SecretString};

use crate::crypto;

/// Stripe's own default tolerance.
pub const TOLERANCE_SECS: i64 = 300;

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
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
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
    fn malformed_headers_are_refused() {
        for header in ["", "t=abc,v1=00", "v1=00", "t=1000", "t=1000,v0=00"] {
            assert_eq!(verify(header, b"{}", &secrets(&["x"]), 1_000), Err(SignatureError::Malformed), "{header}");
        }
    }
}
