//! `netscript show` and `netscript pingall`.

use crate::exit::Exit;
use crate::netlink::Netlink;

fn ledger(lab: Option<&str>) -> Result<Option<crate::lab::Ledger>, Exit> {
    let Some(name) = lab else { return Ok(None) };
    let name = crate::lab::name_from_arg(name);
    match crate::lab::load(&name) {
        Ok(Some(l)) => Ok(Some(l)),
        Ok(None) => {
            crate::say!("netscript: no lab named \"{name}\" is up (netscript ls lists them)");
            Err(Exit::Failed)
        }
        Err(e) => Err(crate::exit::fail(e)),
    }
}

fn backend() -> Result<Netlink, Exit> {
    Netlink::new().map_err(crate::exit::fail)
}

/// `netscript show [LAB] [--json]`
pub fn show(lab: Option<&str>, json: bool) -> Exit {
    let (ledger, net) = match (ledger(lab), backend()) {
        (Ok(l), Ok(n)) => (l, n),
        (Err(c), _) | (_, Err(c)) => return c,
    };
    let snap = super::snapshot(&net, ledger.as_ref());
    if json {
        crate::out!(
            "{}",
            serde_json::to_string_pretty(&snap.to_json()).unwrap_or_default()
        );
    } else {
        crate::out_part!("{}", snap.to_tree());
    }
    Exit::Ok
}

/// `netscript graph [LAB | --merge FILE...] --format dot|mermaid|svg`
pub fn graph(
    lab: Option<&str>,
    merge: &[std::path::PathBuf],
    format: crate::cli::GraphFormat,
    expand: bool,
) -> Exit {
    let g = if merge.is_empty() {
        let (ledger, net) = match (ledger(lab), backend()) {
            (Ok(l), Ok(n)) => (l, n),
            (Err(c), _) | (_, Err(c)) => return c,
        };
        let snap = super::snapshot_without_qdiscs(&net, ledger.as_ref());
        super::graph::Graph::from(&snap, expand)
    } else {
        match super::merge::graph(merge, expand) {
            Ok(g) => g,
            Err(e) => return crate::exit::fail_with(&e),
        }
    };
    // Then a big lab's alike leaf bridges, each over its group of hosts.
    let g = if expand {
        g
    } else {
        super::group::alike_bridges(g)
    };
    crate::out_part!(
        "{}",
        match format {
            crate::cli::GraphFormat::Dot => g.dot(),
            crate::cli::GraphFormat::Mermaid => g.mermaid(),
            crate::cli::GraphFormat::Svg => g.svg(),
        }
    );
    Exit::Ok
}

/// How `netscript pingall` pings: `--json`, `--spanning`,
/// `--static-neighbours`.
pub struct PingallHow {
    pub json: bool,
    pub spanning: bool,
    pub static_neighbours: bool,
}

/// `netscript pingall [LAB] [--merge FILE...] [--json] [--spanning]`:
/// exit status 1 if anything dropped.
pub fn pingall(lab: Option<&str>, merge: &[std::path::PathBuf], how: PingallHow) -> Exit {
    let PingallHow {
        json,
        spanning,
        static_neighbours,
    } = how;
    let remote = match super::merge::addresses(merge) {
        Ok(r) => r,
        Err(e) => return crate::exit::fail_with(&e),
    };
    let (ledger, net) = match (ledger(lab), backend()) {
        (Ok(l), Ok(n)) => (l, n),
        (Err(c), _) | (_, Err(c)) => return c,
    };
    let only: Option<Vec<String>> = ledger.as_ref().map(|l| {
        let mut names: Vec<String> = l
            .objects
            .iter()
            .filter_map(|o| match o {
                crate::lab::Object::Netns { name, .. }
                | crate::lab::Object::Attached { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect();
        names.push("host".into());
        names
    });
    // Static entries go only into namespaces a lab made: this lab's, or
    // without one, those of every lab that is up.
    let made = |l: &crate::lab::Ledger| -> Vec<String> {
        l.objects
            .iter()
            .filter_map(|o| match o {
                crate::lab::Object::Netns { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect()
    };
    let static_in = static_neighbours.then(|| match &ledger {
        Some(l) => made(l),
        None => crate::lab::all().iter().flat_map(made).collect(),
    });
    let opts = super::pingall::Options {
        spanning,
        static_in,
        remote,
        ..Default::default()
    };
    let results = super::pingall::pingall(&net, only.as_deref(), &opts, &|_, _, _, _| {});
    if json {
        let pairs: Vec<_> = results
            .iter()
            .map(|r| serde_json::json!({"from": r.from, "to": r.to, "address": r.address.to_string(), "ok": r.ok}))
            .collect();
        let dropped = results.iter().filter(|r| !r.ok).count();
        let doc = serde_json::json!({"sent": results.len(), "dropped": dropped, "pairs": pairs});
        crate::out!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        crate::out_part!("{}", super::pingall::matrix(&results));
    }
    if results.iter().any(|r| !r.ok) {
        Exit::Failed
    } else {
        Exit::Ok
    }
}
