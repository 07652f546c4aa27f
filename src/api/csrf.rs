//! Writes made with the session cookie must come from the API's own origin.
//!
//! A browser attaches the session cookie to requests other sites make it
//! send (a form posted from another page; `SameSite=Lax` stops that across
//! sites, not from a sibling subdomain, and not in older browsers). So a
//! request with an unsafe method (POST, PATCH, PUT, DELETE) that would be
//! authenticated by the cookie is let through only when the browser says it
//! comes from the configured public origin (`TICKETEER_PUBLIC_URL`):
//!
//! * `Sec-Fetch-Site`, when sent, must be `same-origin`;
//! * `Origin`, when sent, must equal the public origin;
//! * and at least one of them must be sent.
//!
//! Otherwise: 403 in the API's error shape, before any handler runs. API
//! tokens (`Authorization: Bearer`) are not affected: a browser never adds
//! that header to another site's request.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use super::auth::cookies;
use super::{ApiState, Error};

/// The middleware (see the module's documentation).
pub async fn same_origin_writes(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let cookie_write = !is_safe(request.method())
        && !headers.contains_key(header::AUTHORIZATION)
        && cookies::read(headers, cookies::session(state.auth.cookie_secure)).is_some();
    if cookie_write {
        if let Err(why) = from_origin(headers, &state.auth.public_url) {
            tracing::info!(method = %request.method(), why, "cross-origin cookie write refused");
            return Error::Forbidden(why.into()).into_response();
        }
    }
    next.run(request).await
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
}

/// Whether the browser's headers place the request on `public_origin`.
fn from_origin(headers: &HeaderMap, public_origin: &str) -> Result<(), &'static str> {
    let text = |name| headers.get(name).map(|v| v.to_str().unwrap_or_default().trim().to_ascii_lowercase());
    let fetch_site = text("sec-fetch-site");
    let origin = text(header::ORIGIN.as_str());
    if fetch_site.as_deref().is_some_and(|site| site != "same-origin") {
        return Err("a write with the session cookie must come from this site's own pages (Sec-Fetch-Site)");
    }
    if origin.as_deref().is_some_and(|origin| origin != public_origin.trim_end_matches('/').to_ascii_lowercase()) {
        return Err("a write with the session cookie must come from this site's own pages (Origin)");
    }
    if fetch_site.is_none() && origin.is_none() {
        return Err("a write with the session cookie must say where it comes from (Origin or Sec-Fetch-Site)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    const ORIGIN: &str = "https://api.example.com";

    #[test]
    fn only_the_public_origin_may_write_with_the_cookie() {
        let ok = [
            headers(&[("origin", "https://api.example.com")]),
            headers(&[("origin", "HTTPS://API.EXAMPLE.COM")]),
            headers(&[("sec-fetch-site", "same-origin")]),
            headers(&[("sec-fetch-site", "same-origin"), ("origin", "https://api.example.com")]),
        ];
        for h in ok {
            assert_eq!(from_origin(&h, ORIGIN), Ok(()), "{h:?}");
        }
        let refused = [
            headers(&[]),
            headers(&[("origin", "https://evil.example")]),
            headers(&[("origin", "null")]),
            headers(&[("origin", "https://api.example.com.evil.example")]),
            headers(&[("origin", "http://api.example.com")]),
            headers(&[("sec-fetch-site", "cross-site")]),
            headers(&[("sec-fetch-site", "same-site")]),
            headers(&[("sec-fetch-site", "none")]),
            headers(&[("sec-fetch-site", "cross-site"), ("origin", "https://api.example.com")]),
            headers(&[("sec-fetch-site", "same-origin"), ("origin", "https://evil.example")]),
        ];
        for h in refused {
            assert!(from_origin(&h, ORIGIN).is_err(), "{h:?}");
        }
    }
}
