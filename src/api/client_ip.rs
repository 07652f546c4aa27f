//! Which address a request comes from, for the per-address rate limits.
//!
//! By default it is the socket's peer: `X-Forwarded-For` is written by
//! whoever sends the request, so trusting it would let a client pick a fresh
//! address for each request. Behind proxies that append to it (nginx's
//! `$proxy_add_x_forwarded_for`, cloud load balancers), set
//! `TICKETEER_TRUSTED_PROXY_HOPS` to how many there are: the client is then
//! the address that many entries from the right, the one the outermost
//! trusted proxy saw. Entries further left were written by the client and
//! are ignored.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

/// The client's address: the peer, or with `trusted_hops` > 0 the address
/// that many entries from the right of `X-Forwarded-For`. A header with fewer
/// entries, or an entry that is not an address, falls back to the peer (the
/// nearest proxy), which can be throttled but not spoofed.
pub fn client_address(parts: &Parts, trusted_hops: u8) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(address)| address.ip());
    if trusted_hops == 0 {
        return peer;
    }
    let entries: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect();
    let hops = usize::from(trusted_hops);
    if entries.len() < hops {
        return peer;
    }
    parse_entry(entries[entries.len() - hops]).unwrap_or(peer)
}

/// An `X-Forwarded-For` entry: an address, possibly with a port.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry.parse::<IpAddr>().ok().or_else(|| entry.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

/// The rate limit bucket of an address: IPv4 addresses one by one; IPv6 by
/// /64, the block one subscriber is usually given (so rotating through it
/// gains nothing). IPv4-mapped IPv6 counts as its IPv4 address.
pub fn bucket(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(peer: &str, forwarded: &[&str]) -> Parts {
        let mut request = Request::builder();
        for value in forwarded {
            request = request.header("x-forwarded-for", *value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        parts.extensions.insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        parts
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        assert_eq!(client_address(&parts("10.0.0.1:5000", &["1.2.3.4"]), 0), ip("10.0.0.1"));
        assert_eq!(client_address(&parts("10.0.0.1:5000", &[]), 0), ip("10.0.0.1"));
    }

    #[test]
    fn with_trusted_proxies_the_client_is_counted_from_the_right() {
        // The client claims 6.6.6.6; the one trusted proxy appended what it saw.
        let request = parts("10.0.0.1:5000", &["6.6.6.6, 1.2.3.4"]);
        assert_eq!(client_address(&request, 1), ip("1.2.3.4"));
        // Two proxies: the outer one appended the client, the inner one the outer one.
        let request = parts("10.0.0.2:5000", &["6.6.6.6", "1.2.3.4, 10.0.0.1"]);
        assert_eq!(client_address(&request, 2), ip("1.2.3.4"));
        assert_eq!(client_address(&parts("10.0.0.1:1", &["[2001:db8::1]:443"]), 1), ip("2001:db8::1"));
        // Fewer entries than proxies, or garbage: the peer.
        assert_eq!(client_address(&parts("10.0.0.1:1", &["1.2.3.4"]), 2), ip("10.0.0.1"));
        assert_eq!(client_address(&parts("10.0.0.1:1", &["not-an-address"]), 1), ip("10.0.0.1"));
        assert_eq!(client_address(&parts("10.0.0.1:1", &[]), 1), ip("10.0.0.1"));
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_slash_64() {
        assert_eq!(bucket(ip("203.0.113.9")), "203.0.113.9");
        assert_eq!(bucket(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(bucket(ip("2001:db8:1:2:ffff::9")), bucket(ip("2001:db8:1:2::1")));
        assert_ne!(bucket(ip("2001:db8:1:3::1")), bucket(ip("2001:db8:1:2::1")));
        assert_eq!(bucket(ip("::ffff:203.0.113.9")), "203.0.113.9");
    }
}
