//! The names `ip route` gives route protocols and scopes (iproute2's
//! rt_protos and rt_scopes), both ways.

use crate::error::{Error, Result};

/// Route protocols by the names of iproute2's rt_protos.
const PROTOS: &[(u8, &str)] = &[
    (1, "redirect"),
    (2, "kernel"),
    (3, "boot"),
    (4, "static"),
    (9, "ra"),
    (11, "zebra"),
    (12, "bird"),
    (16, "dhcp"),
    (18, "keepalived"),
    (42, "babel"),
    (99, "openr"),
    (186, "bgp"),
    (187, "isis"),
    (188, "ospf"),
    (189, "rip"),
    (192, "eigrp"),
];

/// Route scopes by the names of iproute2's rt_scopes.
const SCOPES: &[(u8, &str)] = &[(0, "global"), (200, "site"), (253, "link"), (254, "host")];

/// The protocol a route was made by, as `ip route` names it ("kernel",
/// "static", "bgp", or the number).
pub fn proto_name(n: u8) -> String {
    name(PROTOS, n)
}

pub fn scope_name(n: u8) -> String {
    name(SCOPES, n)
}

/// A protocol by its name or number (1 to 255).
pub fn proto_number(text: &str) -> Result<u8> {
    number(PROTOS, text, "protocol").map_err(|e| {
        e.with_help("use a name such as static, bgp, ospf, zebra, dhcp, or a number from 1 to 255")
    })
}

/// A scope by its name or number (0 to 255).
pub fn scope_number(text: &str) -> Result<u8> {
    number(SCOPES, text, "scope").map_err(|e| {
        e.with_help("the scopes are global, site, link, host, or a number from 0 to 255")
    })
}

fn name(table: &[(u8, &str)], n: u8) -> String {
    table
        .iter()
        .find(|(k, _)| *k == n)
        .map_or_else(|| n.to_string(), |(_, v)| v.to_string())
}

fn number(table: &[(u8, &str)], text: &str, what: &str) -> Result<u8> {
    let named = table.iter().find(|(_, v)| *v == text).map(|(k, _)| *k);
    named
        .or_else(|| text.parse().ok())
        .filter(|n| what != "protocol" || *n != 0)
        .ok_or_else(|| {
            Error::invalid(
                format!("use {text:?} as a route {what}"),
                format!("not a route {what}"),
            )
        })
}
