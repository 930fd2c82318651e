//! The `netns` module: `ip netns` as functions.

use rhai::plugin::*;
use rhai::{Array, Dynamic, INT, Map};

use crate::api::Netns;
use crate::api::convert::{RhaiResultOf, bool_option, check_options, pid};
use crate::api::session::{self, op};
use crate::error::Error;
use crate::ns::Ns;
use crate::sys::netns_fs;

#[export_module]
pub mod netns_module {
    use super::*;

    /// Create a network namespace, visible to `ip netns list`, with its loopback up
    /// and IPv6 duplicate address detection off (addresses, link-local ones too,
    /// work at once). Fails with kind "exists" if the name is taken.
    ///
    /// With `#{ ipv6: false }`, no link in it has IPv6, lo and links made later
    /// included: no addresses, not even link-local ones, and so no multicast
    /// reports or router solicitations. For IPv4-only labs; on a bridge shared
    /// by hundreds of hosts, that IPv6 chatter is most of the kernel's work
    /// while the lab comes up (docs/performance.md).
    ///
    /// `ip netns add NAME && ip -n NAME link set lo up`
    /// (`ipv6: false`: `ip netns exec NAME sysctl -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1`)
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// print(r1.name);   // r1
    /// let v4 = netns::add("v4", #{ ipv6: false });
    /// print(v4.sysctl("net.ipv6.conf.default.disable_ipv6"));   // 1
    /// ```
    #[rhai_fn(name = "add", volatile, return_raw)]
    pub fn add_with(ctx: NativeCallContext, name: &str, options: Map) -> RhaiResultOf<Netns> {
        op(&ctx, |op| {
            check_options("create a namespace", &options, &["ipv6"])?;
            let ipv6 = bool_option(&options, "ipv6")?.unwrap_or(true);
            Ok(Netns {
                ns: op.add_netns(name, ipv6)?,
            })
        })
    }

    #[rhai_fn(volatile, return_raw)]
    pub fn add(ctx: NativeCallContext, name: &str) -> RhaiResultOf<Netns> {
        add_with(ctx, name, Map::new())
    }

    /// Create a network namespace, or reuse it if it already exists.
    ///
    /// `ip netns add NAME` unless `ip netns list` shows it
    ///
    /// ```rhai
    /// let a = netns::ensure("r1");
    /// let b = netns::ensure("r1");   // the same namespace, no error
    /// print(netns::list());          // ["r1"]
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn ensure(ctx: NativeCallContext, name: &str) -> RhaiResultOf<Netns> {
        op(&ctx, |op| {
            Ok(Netns {
                ns: op.ensure_netns(name)?,
            })
        })
    }

    /// A handle on an existing namespace (also one made by `ip netns add`).
    /// Fails with kind "not_found" if there is none.
    ///
    /// `ip netns list | grep NAME`
    ///
    /// ```rhai
    /// netns::add("r1");
    /// let r1 = netns::get("r1");
    /// print(r1.links().len());   // 1 (lo)
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn get(ctx: NativeCallContext, name: &str) -> RhaiResultOf<Netns> {
        session::read(&ctx, |_| {
            if name != "host" {
                netns_fs::open(name)?;
            }
            Ok(Netns {
                ns: Ns::named(name),
            })
        })
    }

    /// Delete a namespace. Its links go with it, and so do the other ends of its
    /// veth pairs: the kernel removes those in the background (in batches, so
    /// deleting many namespaces is fast), and netscript waits for them before the
    /// next call that could still see them, and before it exits.
    ///
    /// Only a namespace netscript made or named (in this run, or a lab still
    /// up) is deleted as asked; another tool's needs `#{ force: true }`, as
    /// its programs and links go with it (an error of kind `permission`
    /// otherwise).
    ///
    /// `ip netns del NAME`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// link::add_veth("eth0", "veth1", #{ netns: r1 });
    /// netns::del("r1");
    /// print(netns::exists("r1"));   // false
    /// print(link::list().len());    // 1 (only lo: veth1 went too)
    /// ```
    #[rhai_fn(name = "del", volatile, return_raw)]
    pub fn del_with(ctx: NativeCallContext, name: &str, options: Map) -> RhaiResultOf<()> {
        op(&ctx, |op| {
            let force = force_option(&format!("delete namespace \"{name}\""), &options)?;
            op.del_netns(name, force)
        })
    }

    #[rhai_fn(volatile, return_raw)]
    pub fn del(ctx: NativeCallContext, name: &str) -> RhaiResultOf<()> {
        del_with(ctx, name, Map::new())
    }

    /// Whether a namespace of that name exists.
    ///
    /// `ip netns list | grep -qx NAME`
    ///
    /// ```rhai
    /// print(netns::exists("r1"));   // false
    /// netns::add("r1");
    /// print(netns::exists("r1"));   // true
    /// ```
    #[rhai_fn(volatile)]
    pub fn exists(name: &str) -> bool {
        name == "host" || netns_fs::exists(name)
    }

    /// Names of all named namespaces, in the order `ip netns list` shows them.
    ///
    /// `ip netns list`
    ///
    /// ```rhai
    /// netns::add("r1");
    /// netns::add("r2");
    /// print(netns::list());   // ["r2", "r1"] (directory order, like ip)
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn list(ctx: NativeCallContext) -> RhaiResultOf<Array> {
        let names = session::read(&ctx, |_| netns_fs::list())?;
        Ok(names.into_iter().map(Dynamic::from).collect())
    }

    /// The namespace netscript was started in (inside `--sandbox`, the sandbox's).
    /// Its name is "host".
    ///
    /// plain `ip` without `-n`
    ///
    /// ```rhai
    /// let h = netns::host();
    /// print(h.name);                 // host
    /// print(h.link("lo").is_up);     // true
    /// ```
    #[rhai_fn(volatile)]
    pub fn host() -> Netns {
        Netns { ns: Ns::Host }
    }

    /// Give the network namespace of process `pid` (a container's) a name, like
    /// `ip netns attach`: it shows in `ip netns list` and works with every
    /// netscript call. It is a bind mount, so it stays valid (a symlink to
    /// /proc/PID/ns/net, as the classic tutorial makes, dangles when the process
    /// exits). `netns::del(name)` removes only the name: the process and its
    /// links stay.
    ///
    /// `ip netns attach NAME PID`
    ///
    /// ```rhai
    /// // A stand-in container: a process in a network namespace of its own.
    /// let server = netns::host().spawn(["unshare", "--net", "sh", "-c", "echo ready; exec sleep 30"]);
    /// while !server.output().stdout.contains("ready") { }
    /// let ctr = netns::attach("ctr", server.pid);
    /// print(netns::identify(server.pid));   // ctr
    /// print(ctr.pids() == [server.pid]);     // true
    /// netns::del("ctr");
    /// print(server.alive);                   // true
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn attach(ctx: NativeCallContext, name: &str, pid: INT) -> RhaiResultOf<Netns> {
        op(&ctx, |op| {
            Ok(Netns {
                ns: op.attach_netns(name, super::pid(pid)?)?,
            })
        })
    }

    /// The name of the namespace process `pid` is in, or `()` when no name under
    /// /run/netns refers to it.
    ///
    /// `ip netns identify PID`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let p = r1.spawn("sleep 10");
    /// print(netns::identify(p.pid));   // r1
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn identify(ctx: NativeCallContext, pid: INT) -> RhaiResultOf<Dynamic> {
        let name = session::read(&ctx, |_| netns_fs::identify(super::pid(pid)?))?;
        Ok(name.map_or(Dynamic::UNIT, Dynamic::from))
    }
}

/// `ns.del()` of a handle: not the namespace netscript runs in.
pub(crate) fn delete(ctx: &NativeCallContext, ns: &Ns, options: &Map) -> RhaiResultOf<()> {
    op(ctx, |op| match ns {
        Ns::Host => Err(Error::invalid(
            "delete the host namespace",
            "it is the namespace netscript runs in",
        )),
        Ns::Named(name) => {
            let force = force_option(&format!("delete namespace \"{name}\""), options)?;
            op.del_netns(name, force)
        }
    })
}

/// `#{ force }`, the only option of a deletion.
fn force_option(action: &str, options: &Map) -> crate::error::Result<bool> {
    check_options(action, options, &["force"])?;
    Ok(bool_option(options, "force")?.unwrap_or(false))
}
