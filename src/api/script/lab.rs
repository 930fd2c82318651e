//! The `lab` module: seeing the lab from a script.

use rhai::plugin::*;
use rhai::{Array, Dynamic, INT, Map};

use crate::api::convert::{RhaiResultOf, check_options, raise, seconds};
use crate::api::session;
use crate::error::Error;
use crate::show::pingall;

#[export_module]
pub mod lab_module {
    use super::*;

    /// The name of the machine this run builds on, in a lab that spans
    /// machines: `--machine NAME`, else this machine's hostname.
    ///
    /// `netscript --machine a --machines machines.json lab.rhai`
    ///
    /// ```rhai
    /// print(lab::machine() != "");   // true
    /// ```
    pub fn machine(ctx: NativeCallContext) -> String {
        session::Session::of(&ctx).machines.this.clone()
    }

    /// The machines of a lab that spans machines, from `--machines FILE`:
    /// a map of each machine's name to its underlay address (the address
    /// the others reach it at); empty without `--machines`.
    /// `topo::stretch(br, id)` joins a bridge across all of them.
    ///
    /// ```rhai
    /// let all = lab::machines();
    /// print(all.len());   // 0
    /// for name in all.keys() { print(`${name} at ${all[name]}`); }
    /// ```
    pub fn machines(ctx: NativeCallContext) -> Map {
        let session = session::Session::of(&ctx);
        session
            .machines
            .all
            .iter()
            .map(|(name, addr)| (name.into(), addr.to_string().into()))
            .collect()
    }

    /// The live topology, read from the kernel, as `netscript show --json`
    /// gives it: `#{ namespaces: [#{ name, links: [#{ name, index, kind, up,
    /// state, mtu, mac, addresses, master, peer: #{ netns, link } }], routes }] }`.
    ///
    /// `netscript show --json`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// link::add_veth("eth0", "veth1", #{ netns: r1 });
    /// let snap = lab::snapshot();
    /// let host = snap.namespaces.filter(|ns| ns.name == "host")[0];
    /// print(host.links.filter(|l| l.name == "veth1")[0].peer);   // #{"link": "eth0", "netns": "r1"}
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn snapshot(ctx: NativeCallContext) -> RhaiResultOf<Map> {
        let snap = session::read(&ctx, |net| Ok(crate::show::snapshot(net, None)))?;
        Ok(to_dynamic(snap.to_json())
            .try_cast::<Map>()
            .unwrap_or_default())
    }

    /// Write `text` to file `name` in the lab's own directory
    /// (/run/netscript/LAB.files, beside its ledger), for programs that
    /// read a configuration file; returns its path. Recorded, and removed
    /// at teardown. Rhai's back-tick strings keep line breaks typed into
    /// them but do not turn `\n` into one; a "double-quoted" string does.
    ///
    /// `cat > /run/netscript/LAB.files/NAME`
    ///
    /// ```rhai
    /// let conf = lab::file("r1.conf", `hostname r1
    /// log stdout
    /// `);
    /// print(conf.ends_with("/r1.conf"));   // true
    /// print(netns::host().exec(["head", "-1", conf]).stdout == "hostname r1\n");   // true
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn file(ctx: NativeCallContext, name: &str, text: &str) -> RhaiResultOf<String> {
        session::op(&ctx, |op| op.lab_file(name, text))
    }

    /// Permanent neighbour entries (ARP and ND answered ahead of time),
    /// both ways, between the namespaces that share a subnet, from the
    /// addresses and MACs the kernel has now; with `#{ hubs: [Netns or
    /// name, ...] }`, only between each hub and the others (a star's 2N
    /// entries, not N²). No ARP or ND runs between them afterwards, and
    /// the machine's neighbour table, which every namespace shares, does
    /// not fill up: permanent entries are not counted against its
    /// gc_thresh limits. The bridges on the way get static forwarding
    /// entries too (`bridge fdb add MAC dev PORT master static`), so that
    /// the first frame to a host goes to its port alone instead of being
    /// flooded out of every port; `fdb: false` leaves them to learn (a lab
    /// whose bridges form a loop never gets them). Entries already there
    /// are left alone; those in namespaces the lab did not make are removed
    /// at teardown. Returns how many neighbour entries were added.
    ///
    /// `ip -n NS neigh add IP lladdr MAC dev DEV`, for each pair
    ///
    /// ```rhai
    /// import "topo" as topo;
    /// let s = topo::star("br0", 3, "10.0.0.0/24");
    /// print(lab::static_neighbours());   // 6
    /// print(s.hosts[0].neighs().map(|e| e.state));   // ["permanent", "permanent"]
    /// let mac = s.hosts[0].link("eth0").mac;
    /// print(s.bridge.fdb().filter(|e| e.mac == mac).map(|e| `${e.dev} ${e.state}`));   // ["br0p1 static"]
    /// ```
    #[rhai_fn(name = "static_neighbours", volatile, return_raw)]
    pub fn static_neighbours_with(ctx: NativeCallContext, options: Map) -> RhaiResultOf<INT> {
        session::op(&ctx, |op| {
            check_options("add static neighbours", &options, &["hubs", "fdb"])?;
            let fdb = crate::api::convert::bool_option(&options, "fdb")?.unwrap_or(true);
            let hubs = match options.get("hubs") {
                Some(list) => {
                    let list = list.clone().into_typed_array::<Dynamic>().map_err(|t| {
                        Error::invalid(
                            format!("use a {t} as hubs"),
                            "hubs is an array of namespaces",
                        )
                        .at_option("hubs")
                    })?;
                    let names = list.iter().map(|h| {
                        crate::api::convert::ns_arg("a hub", h).map(|ns| ns.name().to_string())
                    });
                    Some(names.collect::<crate::error::Result<Vec<String>>>()?)
                }
                None => None,
            };
            op.static_neighbours(hubs.as_deref(), fdb).map(|n| n as INT)
        })
    }

    #[rhai_fn(volatile, return_raw)]
    pub fn static_neighbours(ctx: NativeCallContext) -> RhaiResultOf<INT> {
        static_neighbours_with(ctx, Map::new())
    }

    /// The global `pingall()`, by its module name (for modules that define their own `pingall`).
    ///
    /// ```rhai
    /// print(lab::pingall().sent);   // 0
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn pingall(ctx: NativeCallContext) -> RhaiResultOf<Map> {
        run_pingall(&ctx, Map::new())
    }
}

fn to_dynamic(v: serde_json::Value) -> Dynamic {
    use serde_json::Value as V;
    match v {
        V::Null => Dynamic::UNIT,
        V::Bool(b) => b.into(),
        V::Number(n) => n.as_i64().map_or_else(
            || Dynamic::from_float(n.as_f64().unwrap_or(0.0)),
            Dynamic::from_int,
        ),
        V::String(s) => s.into(),
        V::Array(items) => Dynamic::from_array(items.into_iter().map(to_dynamic).collect()),
        V::Object(map) => {
            let mut m = Map::new();
            for (k, v) in map {
                m.insert(k.into(), to_dynamic(v));
            }
            Dynamic::from_map(m)
        }
    }
}

pub(in crate::api) fn run_pingall(ctx: &NativeCallContext, opts: Map) -> RhaiResultOf<Map> {
    check_options("ping all", &opts, &["pairs", "timeout", "neighbours"])
        .map_err(|e| raise(ctx, e))?;
    let mut o = pingall::Options::default();
    if let Some(p) = opts.get("pairs") {
        match p.to_string().as_str() {
            "spanning" => o.spanning = true,
            "all" => {}
            other => {
                let e = Error::invalid(
                    format!("ping {other:?} pairs"),
                    "pairs is \"all\" or \"spanning\"",
                );
                return Err(raise(ctx, e));
            }
        }
    }
    if let Some(n) = opts.get("neighbours") {
        match n.to_string().as_str() {
            // Only in the namespaces this run made.
            "static" => {
                let made = session::Session::of(ctx)
                    .lab
                    .objects()
                    .into_iter()
                    .filter_map(|o| match o {
                        crate::lab::Object::Netns { name, .. } => Some(name),
                        _ => None,
                    });
                o.static_in = Some(made.collect());
            }
            "learned" => {}
            other => {
                let e = Error::invalid(
                    format!("ping with {other:?} neighbours"),
                    "neighbours is \"static\" or \"learned\"",
                )
                .at_option("neighbours");
                return Err(raise(ctx, e));
            }
        }
    }
    if let Some(t) = opts.get("timeout") {
        o.timeout = seconds("option `timeout`", t).map_err(|e| raise(ctx, e))?;
    }
    // The temporary entries of neighbours: "static" are changes: traced.
    let results = session::op(ctx, |op| {
        let traced = |ns: &crate::ns::Ns, index, ip, mac| op.trace_neigh(ns, index, ip, mac);
        Ok(pingall::pingall(op.net, None, &o, &traced))
    })?;
    let dropped = results.iter().filter(|r| !r.ok).count();
    let pairs: Array = results
        .iter()
        .map(|r| {
            let mut m = Map::new();
            m.insert("from".into(), r.from.clone().into());
            m.insert("to".into(), r.to.clone().into());
            m.insert("address".into(), r.address.to_string().into());
            m.insert("ok".into(), r.ok.into());
            Dynamic::from_map(m)
        })
        .collect();
    let mut out = Map::new();
    out.insert("sent".into(), Dynamic::from_int(results.len() as INT));
    out.insert("dropped".into(), Dynamic::from_int(dropped as INT));
    out.insert("pairs".into(), pairs.into());
    Ok(out)
}
