//! `netscript graph --merge a.json b.json ...`: one picture of a lab that
//! spans machines, from each machine's `netscript show --json` (gathered
//! by whatever ran the lab there). Each machine's namespaces are named
//! MACHINE:NS, the machine being the file's name without `.json` (the
//! picture joins VXLAN ends of one network on different machines:
//! `Graph::from`). `netscript pingall --merge` pings the
//! other machines' addresses found there too.

use std::path::Path;

use serde_json::Value;

use super::graph::Graph;
use super::snapshot::{LinkView, NetnsView, RouteView, Snapshot};
use crate::error::{Error, Result};

/// Read each file, name its namespaces for its machine, and draw them all.
pub fn graph(files: &[std::path::PathBuf], expand: bool) -> Result<Graph> {
    Ok(Graph::from(&read(files)?, expand))
}

/// The addresses of every machine's namespaces but its host (where the
/// underlay is), named MACHINE:NS, for `pingall --merge`.
pub fn addresses(files: &[std::path::PathBuf]) -> Result<Vec<(String, std::net::IpAddr)>> {
    let merged = read(files)?;
    let mut out = Vec::new();
    for ns in merged
        .namespaces
        .iter()
        .filter(|n| !n.name.ends_with(":host"))
    {
        for l in ns
            .links
            .iter()
            .filter(|l| l.kind != crate::netlink::LinkKind::Loopback)
        {
            for a in &l.addresses {
                if let Ok((ip, _)) = crate::cidr::parse(a)
                    && !crate::cidr::is_link_local(ip)
                    && !ip.is_loopback()
                {
                    out.push((ns.name.clone(), ip));
                }
            }
        }
    }
    Ok(out)
}

/// The shows of several machines as one snapshot, each machine's
/// namespaces named MACHINE:NS.
fn read(files: &[std::path::PathBuf]) -> Result<Snapshot> {
    let mut merged = Snapshot {
        namespaces: Vec::new(),
    };
    let mut seen = std::collections::HashSet::new();
    for file in files {
        let machine = machine_of(file);
        let action = format!("read {} (netscript show --json)", file.display());
        let text = std::fs::read_to_string(file).map_err(|e| Error::from_io(action.clone(), &e))?;
        let doc: Value = serde_json::from_str(&text)
            .map_err(|e| Error::invalid(action.clone(), format!("not JSON: {e}")))?;
        let Some(namespaces) = doc["namespaces"].as_array() else {
            return Err(Error::invalid(action, "it has no \"namespaces\"")
                .with_help("give files that netscript show --json wrote, one per machine"));
        };
        if !seen.insert(machine.clone()) {
            return Err(Error::invalid(
                action,
                format!("a file of machine {machine:?} was given already"),
            )
            .with_help("each machine's file is named for it: a.json, b.json, ..."));
        }
        merged
            .namespaces
            .extend(namespaces.iter().map(|ns| netns(&machine, ns)));
    }
    Ok(merged)
}

/// "a" for "out/a.json".
fn machine_of(file: &Path) -> String {
    file.file_stem().map_or_else(
        || file.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    )
}

fn netns(machine: &str, ns: &Value) -> NetnsView {
    let on = |name: &Value| format!("{machine}:{}", name.as_str().unwrap_or("?"));
    let place = |v: &Value| v.is_object().then(|| (on(&v["netns"]), text(&v["link"])));
    let links = array(&ns["links"])
        .iter()
        .map(|l| LinkView {
            name: text(&l["name"]),
            index: l["index"].as_u64().unwrap_or(0) as u32,
            kind: text(&l["kind"]).into(),
            up: l["up"].as_bool().unwrap_or(false),
            state: text(&l["state"]),
            mtu: l["mtu"].as_u64().unwrap_or(0) as u32,
            mac: text(&l["mac"]),
            addresses: array(&l["addresses"]).iter().map(text).collect(),
            master: l["master"].as_str().map(str::to_string),
            peer: place(&l["peer"]),
            parent: place(&l["parent"]),
            qdisc: l["qdisc"].as_str().map(str::to_string),
            vni: l["vni"].as_u64().map(|v| v as u32),
        })
        .collect();
    let routes = array(&ns["routes"])
        .iter()
        .map(|r| RouteView {
            dst: text(&r["dst"]),
            gateway: r["gateway"].as_str().map(str::to_string),
            dev: r["dev"].as_str().map(str::to_string),
        })
        .collect();
    NetnsView {
        name: on(&ns["name"]),
        links,
        routes,
        firewall: Vec::new(),
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn array(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}
