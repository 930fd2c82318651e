//! `ns.name`, `ns.link`, `ns.links()`, `ns.del()`, text form and equality.

use rhai::plugin::*;
use rhai::{Array, Dynamic, Map};

use crate::api::convert::RhaiResultOf;
use crate::api::{Link, Netns, session};

#[export_module]
pub mod netns_props {
    use super::*;

    /// The namespace's name; "host" for `netns::host()`.
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// print(r1.name);   // r1
    /// ```
    #[rhai_fn(global, get = "name", pure, volatile)]
    pub fn name(ns: &mut Netns) -> String {
        ns.ns.name().to_string()
    }

    /// The link called `name` in this namespace. Fails with kind "not_found", and
    /// names the namespaces where a link of that name does exist.
    ///
    /// `ip -n NS link show NAME`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// let lo = r1.link("lo");
    /// print(lo.kind);   // loopback
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn link(ctx: NativeCallContext, ns: &mut Netns, name: &str) -> RhaiResultOf<Link> {
        let info = session::read(&ctx, |net| net.link_by_name(&ns.ns, name))?;
        Ok(Link::new(ns.ns.clone(), info.index))
    }

    /// Every link in this namespace, in index order.
    ///
    /// `ip -n NS link show`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// link::add_veth("a", "b", #{ netns: r1, peer_netns: r1 });
    /// for l in r1.links() { print(l.name); }   // lo, b, a
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn links(ctx: NativeCallContext, ns: &mut Netns) -> RhaiResultOf<Array> {
        let links = session::read(&ctx, |net| net.links(&ns.ns))?;
        Ok(links
            .into_iter()
            .map(|l| Dynamic::from(Link::new(ns.ns.clone(), l.index)))
            .collect())
    }

    /// Delete this namespace (see `netns::del`; one netscript did not make
    /// needs `#{ force: true }`).
    ///
    /// `ip netns del NS`
    ///
    /// ```rhai
    /// let r1 = netns::add("r1");
    /// r1.del();
    /// print(netns::exists("r1"));   // false
    /// ```
    #[rhai_fn(global, name = "del", pure, volatile, return_raw)]
    pub fn del_with(ctx: NativeCallContext, ns: &mut Netns, options: Map) -> RhaiResultOf<()> {
        crate::api::script::netns::delete(&ctx, &ns.ns, &options)
    }

    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn del(ctx: NativeCallContext, ns: &mut Netns) -> RhaiResultOf<()> {
        del_with(ctx, ns, Map::new())
    }

    /// Text form: `Netns("r1")`.
    #[rhai_fn(global, pure, volatile)]
    pub fn to_string(ns: &mut Netns) -> String {
        format!("Netns(\"{}\")", ns.ns.name())
    }

    /// Debug form: `Netns("r1")`.
    #[rhai_fn(global, pure, volatile)]
    pub fn to_debug(ns: &mut Netns) -> String {
        format!("Netns(\"{}\")", ns.ns.name())
    }

    /// Whether two handles name the same namespace.
    #[rhai_fn(global, name = "==", volatile)]
    pub fn same(a: Netns, b: Netns) -> bool {
        a == b
    }

    /// Whether two handles name different namespaces.
    #[rhai_fn(global, name = "!=", volatile)]
    pub fn different(a: Netns, b: Netns) -> bool {
        a != b
    }
}
