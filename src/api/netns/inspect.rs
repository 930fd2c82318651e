//! What runs in a namespace: `ns.pids()`, `ns.listening()`, `ns.fetch`.

use std::time::Duration;

use rhai::plugin::*;
use rhai::{Array, Dynamic, INT, Map};

use crate::api::Netns;
use crate::api::convert::{RhaiResultOf, check_options, seconds};
use crate::api::session;
use crate::sys::{http, netns_holders, sockets};

#[export_module]
pub mod netns_inspect {
    use super::*;

    /// The PIDs of the processes living in this namespace, like
    /// `ip netns pids NS`.
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let p = r1.spawn("sleep 10");
    /// print(r1.pids() == [p.pid]);   // true
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn pids(ctx: NativeCallContext, ns: &mut Netns) -> RhaiResultOf<Array> {
        let pids = session::read(&ctx, |_| netns_holders::pids_in(&ns.ns.open()?))?;
        Ok(pids
            .into_iter()
            .map(|p| Dynamic::from_int(p as INT))
            .collect())
    }

    /// The TCP sockets listening in this namespace, each
    /// `#{ proto, addr, port }` ("tcp" or "tcp6"), in port order.
    ///
    /// `ip netns exec NS ss -tln`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let server = r1.spawn("busybox nc -l -p 8080");
    /// let l = [];
    /// for i in 0..200 { l = r1.listening(); if l.len() > 0 { break; } }
    /// print(l);   // [#{"addr": "0.0.0.0", "port": 8080, "proto": "tcp"}]
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn listening(ctx: NativeCallContext, ns: &mut Netns) -> RhaiResultOf<Array> {
        let found = session::read(&ctx, |_| sockets::listening(&ns.ns.open()?))?;
        Ok(found
            .into_iter()
            .map(|l| {
                let mut map = Map::new();
                map.insert("proto".into(), l.proto.into());
                map.insert("addr".into(), l.addr.to_string().into());
                map.insert("port".into(), Dynamic::from_int(l.port as INT));
                Dynamic::from_map(map)
            })
            .collect())
    }

    /// An HTTP GET of a plain `http://` URL, from a socket inside this namespace
    /// (so `localhost` is the namespace's own). Returns `#{ status, headers, body }`.
    /// Hosts are IP addresses or `localhost`; `#{ timeout: seconds }` (default 5).
    ///
    /// `ip netns exec NS curl -s URL`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// try { r1.fetch("http://localhost:9/", #{ timeout: 1 }); } catch (e) { print(e.message.contains("refused")); }   // true
    /// ```
    #[rhai_fn(global, name = "fetch", pure, volatile, return_raw)]
    pub fn fetch_with(
        ctx: NativeCallContext,
        ns: &mut Netns,
        url: &str,
        options: Map,
    ) -> RhaiResultOf<Map> {
        let r = session::read(&ctx, |_| {
            check_options("fetch a URL", &options, &["timeout"])?;
            let timeout = match options.get("timeout") {
                Some(t) => seconds("option `timeout`", t)?,
                None => Duration::from_secs(5),
            };
            let file = ns.ns.open()?;
            // A malformed URL is the argument's fault; a failed fetch is not.
            http::get(&file, url, timeout).map_err(|e| e.in_netns(ns.ns.name()).invalid_arg(0))
        })?;
        let mut headers = Map::new();
        for (k, v) in r.headers {
            headers.insert(k.into(), v.into());
        }
        let mut map = Map::new();
        map.insert("status".into(), Dynamic::from_int(r.status as INT));
        map.insert("headers".into(), headers.into());
        map.insert("body".into(), r.body.into());
        Ok(map)
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn fetch(ctx: NativeCallContext, ns: &mut Netns, url: &str) -> RhaiResultOf<Map> {
        fetch_with(ctx, ns, url, Map::new())
    }
}
