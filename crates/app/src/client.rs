//! Who the client is: the address the audit log records and per-source
//! limits count by.
//!
//! The TCP peer is the client, unless the peer is one of the configured
//! reverse proxies (`--trusted-proxies`): then `X-Forwarded-For` is read
//! from the right, each trusted proxy's entry skipped, and the first
//! address not of a trusted proxy is the client. Anyone else's
//! `X-Forwarded-For` is ignored, so a client cannot put another address in
//! the audit log. The `client_addr` middleware decides once per request
//! and leaves the answer in the `x-udrul-client-addr` header (any such
//! header the client sent is removed first), the way `x-request-id` is
//! left by its layer.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use crate::state::AppState;

/// The header the middleware leaves the decided client address in.
pub const CLIENT_HEADER: &str = "x-udrul-client-addr";

/// The client behind `peer`, given the request's `X-Forwarded-For` lines.
/// `None` when the peer is unknown (a request that did not come over a
/// socket, as in tests through the router).
pub fn decide(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = canonical(peer?);
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    // Several header lines are one list, in order.
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for entry in entries.iter().rev().take(32) {
        let Some(ip) = parse_entry(entry) else {
            // Garbage from beyond the last trusted hop: that hop is all we know.
            return Some(client);
        };
        client = ip;
        if !is_trusted(&ip) {
            return Some(ip);
        }
    }
    Some(client)
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:5678`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical)
}

/// IPv4 addresses as themselves, also when they come mapped into IPv6.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The address `client_addr` decided for this request.
pub fn of(headers: &HeaderMap) -> Option<IpAddr> {
    headers
        .get(CLIENT_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Decides the client address of every request (see the module).
pub async fn client_addr(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let client = decide(peer, req.headers(), &st.config.trusted_proxies);
    let headers = req.headers_mut();
    headers.remove(CLIENT_HEADER);
    if let Some(ip) = client
        && let Ok(v) = HeaderValue::from_str(&ip.to_string())
    {
        headers.insert(CLIENT_HEADER, v);
    }
    next.run(req).await
}

/// `--trusted-proxies`: addresses and networks, separated by commas or
/// spaces (`10.0.0.5, 10.1.0.0/16, ::1`).
pub fn parse_trusted(list: &str) -> anyhow::Result<Vec<IpNet>> {
    list.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| anyhow::anyhow!("trusted proxy {s:?}: not an address or network"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn untrusted_peers_are_the_client() {
        let trusted = parse_trusted("10.0.0.5").unwrap();
        let h = xff(&["203.0.113.9"]);
        assert_eq!(decide(ip("198.51.100.7"), &h, &trusted), ip("198.51.100.7"));
        assert_eq!(decide(ip("198.51.100.7"), &h, &[]), ip("198.51.100.7"));
        // No socket, no knowing.
        assert_eq!(decide(None, &h, &trusted), None);
    }

    #[test]
    fn trusted_proxies_are_skipped_from_the_right() {
        let trusted = parse_trusted("10.0.0.5, 10.1.0.0/16").unwrap();
        // The client put a spoofed address first; the proxies appended.
        let h = xff(&["1.1.1.1, 203.0.113.9", "10.1.2.3"]);
        assert_eq!(decide(ip("10.0.0.5"), &h, &trusted), ip("203.0.113.9"));
        // Without the header, the proxy itself.
        assert_eq!(
            decide(ip("10.0.0.5"), &HeaderMap::new(), &trusted),
            ip("10.0.0.5")
        );
        // Garbage beyond the last trusted hop: that hop.
        let h = xff(&["nonsense, 10.1.2.3"]);
        assert_eq!(decide(ip("10.0.0.5"), &h, &trusted), ip("10.1.2.3"));
        // Ports and brackets, and mapped IPv4.
        let h = xff(&["[2001:db8::1]:443"]);
        assert_eq!(decide(ip("10.0.0.5"), &h, &trusted), ip("2001:db8::1"));
        assert_eq!(
            decide(ip("::ffff:10.0.0.5"), &xff(&["203.0.113.9:5"]), &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn trusted_list_parses() {
        assert_eq!(parse_trusted("").unwrap(), Vec::<IpNet>::new());
        assert_eq!(parse_trusted("::1 127.0.0.1,10.0.0.0/8").unwrap().len(), 3);
        assert!(parse_trusted("10.0.0.0/33").is_err());
        assert!(parse_trusted("proxy.example").is_err());
    }
}
