//! The two cookies the API sets: the session id after login, and the OAuth2
//! `state` between the login redirect and the callback (CSRF protection: the
//! callback accepts only the `state` this browser was given).
//!
//! Both are `HttpOnly`, `SameSite=Lax`, `Path=/`, without `Domain`, and
//! `Secure` unless turned off for local plain-HTTP use. When secure, their
//! names carry the `__Host-` prefix: a browser then accepts them only from
//! this very host, over HTTPS, with `Path=/` and no `Domain`, so a sibling
//! subdomain cannot plant or overwrite them (cookie tossing). The API reads
//! only the name it sets, so an unprefixed cookie planted by a sibling is
//! never taken for a session.

use axum::http::{header, HeaderMap, HeaderValue};

/// The session cookie's name.
pub fn session(secure: bool) -> &'static str {
    if secure {
        "__Host-ticketeer_session"
    } else {
        "ticketeer_session"
    }
}

/// The OAuth2 state cookie's name.
pub fn oauth_state(secure: bool) -> &'static str {
    if secure {
        "__Host-ticketeer_oauth_state"
    } else {
        "ticketeer_oauth_state"
    }
}

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

/// A `Set-Cookie` value with the attributes above. `max_age` 0 deletes the
/// cookie.
pub fn set(name: &str, value: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}");
    HeaderValue::from_str(&text).expect("cookie names and URL-safe values are valid header text")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_among_others_and_set_with_the_safe_attributes() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; __Host-ticketeer_session=abc; b=2"));
        assert_eq!(read(&headers, session(true)).as_deref(), Some("abc"));
        assert_eq!(read(&headers, session(false)), None, "the prefixed name only");
        assert_eq!(read(&headers, oauth_state(true)), None);
        let cookie = set(session(true), "xyz", 60, true);
        let text = cookie.to_str().unwrap();
        for part in ["__Host-ticketeer_session=xyz", "Path=/;", "HttpOnly", "SameSite=Lax", "Secure", "Max-Age=60"] {
            assert!(text.contains(part), "{text}");
        }
        assert!(!text.contains("Domain"), "{text}");
        let plain = set(session(false), "xyz", 60, false);
        assert!(plain.to_str().unwrap().starts_with("ticketeer_session=xyz"));
        assert!(!plain.to_str().unwrap().contains("Secure"));
    }
}
