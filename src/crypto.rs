//! The few cryptographic operations Ticketeer needs, in one place, on `ring`
//! (already in the tree through rustls):
//!
//! * random secrets (session ids, API tokens, OAuth2 `state`), URL-safe;
//! * SHA-256 of a secret, which is all the database keeps of it;
//! * authenticated encryption of Discord's OAuth2 tokens at rest;
//! * HMAC-SHA256 signatures (signed transcript links, Stripe webhooks).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::{digest, hmac};
use secrecy::{ExposeSecret, SecretSlice};

/// The service's 32-byte secret key (`TICKETEER_SECRET_KEY`, 64 hex digits).
/// Encryption and link signing use keys derived from it for each purpose, so
/// one leaked derived key does not give away the others.
#[derive(Clone)]
pub struct SecretKey(SecretSlice<u8>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey([REDACTED])")
    }
}

/// Text that is not 64 hex digits.
#[derive(Debug, thiserror::Error)]
#[error("must be 64 hexadecimal digits (32 random bytes, e.g. from `openssl rand -hex 32`)")]
pub struct BadKey;

/// Ciphertext that does not decrypt under this key (tampered, or another key).
#[derive(Debug, thiserror::Error)]
#[error("the stored secret does not decrypt under TICKETEER_SECRET_KEY")]
pub struct DecryptError;

impl SecretKey {
    pub fn from_hex(text: &str) -> Result<Self, BadKey> {
        let bytes = hex::decode(text.trim()).map_err(|_| BadKey)?;
        if bytes.len() != 32 {
            return Err(BadKey);
        }
        Ok(Self(SecretSlice::from(bytes)))
    }

    /// A key derived for one purpose: HMAC(master, purpose).
    fn derive(&self, purpose: &str) -> [u8; 32] {
        let master = hmac::Key::new(hmac::HMAC_SHA256, self.0.expose_secret());
        let tag = hmac::sign(&master, purpose.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// Encrypts `plain` (nonce || ciphertext || tag).
    pub fn encrypt(&self, plain: &[u8]) -> Vec<u8> {
        let key = self.aead_key();
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let mut sealed = plain.to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce_bytes), Aad::empty(), &mut sealed)
            .expect("ChaCha20-Poly1305 seals any input shorter than 256 GiB");
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// Decrypts what [`SecretKey::encrypt`] made.
    pub fn decrypt(&self, sealed: &[u8]) -> Result<Vec<u8>, DecryptError> {
        if sealed.len() < NONCE_LEN + CHACHA20_POLY1305.tag_len() {
            return Err(DecryptError);
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| DecryptError)?;
        let mut buffer = rest.to_vec();
        let plain = self.aead_key().open_in_place(nonce, Aad::empty(), &mut buffer).map_err(|_| DecryptError)?;
        Ok(plain.to_vec())
    }

    fn aead_key(&self) -> LessSafeKey {
        let key = UnboundKey::new(&CHACHA20_POLY1305, &self.derive("ticketeer/encryption/v1"))
            .expect("a 32-byte key fits ChaCha20-Poly1305");
        LessSafeKey::new(key)
    }

    /// A URL-safe signature of `message` for `purpose` (e.g. transcript links).
    pub fn sign(&self, purpose: &str, message: &[u8]) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.derive(purpose));
        URL_SAFE_NO_PAD.encode(hmac::sign(&key, message))
    }

    /// Whether `signature` is [`SecretKey::sign`]'s for this message (constant time).
    pub fn verify(&self, purpose: &str, message: &[u8], signature: &str) -> bool {
        let Ok(tag) = URL_SAFE_NO_PAD.decode(signature) else { return false };
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.derive(purpose));
        hmac::verify(&key, message, &tag).is_ok()
    }
}

/// `bytes` random bytes as URL-safe base64 (no padding).
pub fn random_secret(bytes: usize) -> String {
    let raw: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    URL_SAFE_NO_PAD.encode(raw)
}

/// SHA-256 of a secret: what the database stores of session ids and tokens.
pub fn hash_secret(secret: &str) -> Vec<u8> {
    digest::digest(&digest::SHA256, secret.as_bytes()).as_ref().to_vec()
}

/// Whether two secrets are equal, in time that does not depend on where they
/// differ (both are hashed first, so only equal hashes compare equal).
pub fn secrets_equal(a: &str, b: &str) -> bool {
    let key = hmac::Key::new(hmac::HMAC_SHA256, b"ticketeer/compare");
    hmac::verify(&key, a.as_bytes(), hmac::sign(&key, b.as_bytes()).as_ref()).is_ok()
}

/// HMAC-SHA256 of `message` under a raw secret, as lowercase hex (Stripe's
/// webhook signature scheme).
pub fn hmac_sha256_hex(secret: &[u8], message: &[u8]) -> String {
    hex::encode(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), message))
}

/// Whether `signature_hex` is the HMAC-SHA256 of `message` under `secret`
/// (constant time).
pub fn verify_hmac_sha256_hex(secret: &[u8], message: &[u8], signature_hex: &str) -> bool {
    let Ok(tag) = hex::decode(signature_hex) else { return false };
    hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, secret), message, &tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::from_hex(&"ab".repeat(32)).unwrap()
    }

    #[test]
    fn encrypted_secrets_round_trip_and_tampering_is_detected() {
        let sealed = key().encrypt(b"discord-access-token");
        assert!(!sealed.windows(6).any(|w| w == b"access"), "the plaintext must not show");
        assert_eq!(key().decrypt(&sealed).unwrap(), b"discord-access-token");
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(key().decrypt(&tampered).is_err());
        let other = SecretKey::from_hex(&"cd".repeat(32)).unwrap();
        assert!(other.decrypt(&sealed).is_err());
        assert_ne!(key().encrypt(b"x"), key().encrypt(b"x"), "each encryption has its own nonce");
    }

    #[test]
    fn signatures_verify_only_for_their_purpose_and_message() {
        let signature = key().sign("transcript", b"ticket 7");
        assert!(key().verify("transcript", b"ticket 7", &signature));
        assert!(!key().verify("transcript", b"ticket 8", &signature));
        assert!(!key().verify("other", b"ticket 7", &signature));
        assert!(!key().verify("transcript", b"ticket 7", "not-base64!"));
    }

    #[test]
    fn keys_must_be_64_hex_digits() {
        assert!(SecretKey::from_hex("abcd").is_err());
        assert!(SecretKey::from_hex(&"zz".repeat(32)).is_err());
        assert!(format!("{:?}", key()).contains("REDACTED"));
    }

    #[test]
    fn secrets_compare_and_hash() {
        assert!(secrets_equal("abc", "abc"));
        assert!(!secrets_equal("abc", "abd"));
        assert_eq!(hash_secret("x").len(), 32);
        assert_eq!(random_secret(32).len(), 43);
        let mac = hmac_sha256_hex(b"whsec", b"1.{}");
        assert!(verify_hmac_sha256_hex(b"whsec", b"1.{}", &mac));
        assert!(!verify_hmac_sha256_hex(b"whsec", b"1.{ }", &mac));
    }
}
