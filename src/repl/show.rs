//! How the REPL shows values: a handle as a one-line summary, an array of
//! handles as an aligned table, a map one entry per line.

use rhai::{Dynamic, Map};

use crate::api::{LinkHandle, NetnsHandle};
use crate::netlink::LinkKind;
use crate::netlink::Netlink;
use crate::ns::Ns;

/// The text for a value; None for `()`, and for what the engine's own
/// `to_debug` shows best (numbers, arrays of mixed values, processes),
/// which the caller asks for.
pub fn show(net: &Netlink, value: &Dynamic) -> Option<String> {
    if value.is_unit() {
        return None;
    }
    if let Some(l) = value.clone().try_cast::<LinkHandle>() {
        return Some(labelled("Link", &link_row(net, &l)));
    }
    if let Some(ns) = value.clone().try_cast::<NetnsHandle>() {
        return Some(labelled("Netns", &netns_row(net, &ns.ns)));
    }
    if let Some(items) = value.read_lock::<rhai::Array>() {
        if !items.is_empty() && items.iter().all(|v| v.is::<LinkHandle>()) {
            let rows: Vec<_> = items
                .iter()
                .map(|v| link_row(net, &v.clone().cast::<LinkHandle>()))
                .collect();
            return Some(table(&rows, true));
        }
        if !items.is_empty() && items.iter().all(|v| v.is::<NetnsHandle>()) {
            let rows: Vec<_> = items
                .iter()
                .map(|v| netns_row(net, &v.clone().cast::<NetnsHandle>().ns))
                .collect();
            return Some(table(&rows, true));
        }
    }
    if let Some(map) = value.read_lock::<Map>() {
        if let Some(matrix) = pingall_matrix(&map) {
            return Some(matrix);
        }
        return Some(pretty_map(&map));
    }
    if value.is_string() {
        return Some(value.to_string().trim_end_matches('\n').to_string());
    }
    None
}

/// What `pingall()` returned, drawn as `netscript pingall` draws it.
fn pingall_matrix(map: &Map) -> Option<String> {
    let mut keys: Vec<&str> = map.keys().map(|k| k.as_str()).collect();
    keys.sort_unstable();
    if keys != ["dropped", "pairs", "sent"] {
        return None;
    }
    let pairs = map.get("pairs")?.read_lock::<rhai::Array>()?.clone();
    let mut results = Vec::new();
    for p in pairs {
        let p = p.read_lock::<Map>()?.clone();
        let text = |k: &str| p.get(k).map(|v| v.to_string());
        results.push(crate::show::pingall::Pair {
            from: text("from")?,
            to: text("to")?,
            address: text("address")?.parse().ok()?,
            ok: p.get("ok")?.as_bool().ok()?,
        });
    }
    Some(
        crate::show::pingall::matrix(&results)
            .trim_end()
            .to_string(),
    )
}

type Row = Vec<(&'static str, String)>;

fn link_row(net: &Netlink, l: &LinkHandle) -> Row {
    let ns = l.ns();
    let Ok(info) = net.link_by_index(&ns, l.index()) else {
        return vec![
            ("NAME", format!("#{} (gone)", l.index())),
            ("NETNS", ns.name().to_string()),
        ];
    };
    let addrs = net.addrs(&ns, info.index).unwrap_or_default();
    let master = info
        .master
        .and_then(|m| net.link_by_index(&ns, m).ok())
        .map_or("-".to_string(), |m| m.name);
    let peer = match net.peer_of(&ns, &info) {
        Ok(Some((pns, pi))) => net.link_by_index(&pns, pi).map_or("?".to_string(), |p| {
            if pns == ns {
                p.name
            } else {
                format!("{}@{}", p.name, pns.name())
            }
        }),
        _ => "-".to_string(),
    };
    let state = if info.up {
        info.oper.clone()
    } else {
        "down".to_string()
    };
    vec![
        ("NAME", info.name.clone()),
        ("KIND", info.kind.to_string()),
        ("STATE", state),
        ("ADDRESSES", join_addrs(&addrs)),
        ("MASTER", master),
        ("PEER", peer),
        ("NETNS", ns.name().to_string()),
    ]
}

fn netns_row(net: &Netlink, ns: &Ns) -> Row {
    let links = net.links(ns).unwrap_or_default();
    let addrs: Vec<_> = net
        .all_addrs(ns)
        .unwrap_or_default()
        .into_iter()
        .filter(|(i, _)| {
            links
                .iter()
                .any(|l| l.index == *i && l.kind != LinkKind::Loopback)
        })
        .map(|(_, c)| c)
        .collect();
    let names: Vec<_> = links.iter().map(|l| l.name.as_str()).collect();
    vec![
        ("NETNS", ns.name().to_string()),
        ("LINKS", names.join(", ")),
        ("ADDRESSES", join_addrs(&addrs)),
    ]
}

/// Global addresses only: link-local ones are noise in a summary.
fn join_addrs(addrs: &[crate::cidr::Cidr]) -> String {
    let shown: Vec<String> = addrs
        .iter()
        .filter(|(ip, _)| !crate::cidr::is_link_local(*ip))
        .map(|c| crate::cidr::format(*c))
        .collect();
    if shown.is_empty() {
        "-".into()
    } else {
        shown.join(", ")
    }
}

/// One row on one line: `Link eth0  kind veth  state UP  …`, empty
/// fields left out.
fn labelled(what: &str, row: &Row) -> String {
    let mut out = format!("{what} {}", row.first().map_or("", |(_, v)| v.as_str()));
    for (name, value) in row.iter().skip(1) {
        if value != "-" {
            out.push_str(&format!("  {} {value}", name.to_lowercase()));
        }
    }
    out
}

/// Rows as aligned columns, with a header line when `header` is set.
fn table(rows: &[Row], header: bool) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; cols];
    for row in rows {
        for (i, (name, value)) in row.iter().enumerate() {
            widths[i] =
                widths[i]
                    .max(value.chars().count())
                    .max(if header { name.len() } else { 0 });
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(c);
            } else {
                out.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        out
    };
    let mut out = Vec::new();
    if header && let Some(first) = rows.iter().max_by_key(|r| r.len()) {
        out.push(line(first.iter().map(|(n, _)| *n).collect()));
    }
    for row in rows {
        out.push(line(row.iter().map(|(_, v)| v.as_str()).collect()));
    }
    out.join("\n")
}

fn pretty_map(map: &Map) -> String {
    if map.is_empty() {
        return "#{}".into();
    }
    let mut out = String::from("#{\n");
    for (k, v) in map.iter() {
        let text = v.to_string();
        if v.is_string() && text.trim_end().contains('\n') {
            // Command output reads best as the lines it is.
            out.push_str(&format!("    {k}:\n"));
            for line in text.trim_end().lines() {
                out.push_str(&format!("        {}\n", line.trim_end()));
            }
        } else if v.is_string() {
            out.push_str(&format!("    {k}: {text:?},\n"));
        } else {
            out.push_str(&format!("    {k}: {v:?},\n"));
        }
    }
    out.push('}');
    out
}
