//! The two cookies the API sets: the session id after login, and the OAuth2
//! `state` between the login redirect and the callback (CSRF protection: the
//! callback accepts only the `state` this browser was given).

use axum::http::{header, HeaderMap, HeaderValue};

pub const SESSION: &str = "ticketeer_session";
pub const OAUTH_STATE: &str = "ticketeer_oauth_state";

/// The value of cookie `name` in the request, if present.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Secure` unless turned
/// off for local HTTP use. `max_age` 0 deletes the cookie.
pub fn set(name: &str, value: &str, path: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path={path}; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}");
    HeaderValue::from_str(&text).expect("cookie names and URL-safe values are valid header text")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_among_others_and_set_with_the_safe_attributes() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; ticketeer_session=abc; b=2"));
        assert_eq!(read(&headers, SESSION).as_deref(), Some("abc"));
        assert_eq!(read(&headers, OAUTH_STATE), None);
        let cookie = set(SESSION, "xyz", "/", 60, true);
        let text = cookie.to_str().unwrap();
        for part in ["ticketeer_session=xyz", "HttpOnly", "SameSite=Lax", "Secure", "Max-Age=60"] {
            assert!(text.contains(part), "{text}");
        }
        assert!(!set(SESSION, "xyz", "/", 60, false).to_str().unwrap().contains("Secure"));
    }
}
