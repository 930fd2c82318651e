//! `ns.etc_file(name, text)`: a file of the namespace's own /etc.

use rhai::plugin::*;

use crate::api::Netns;
use crate::api::convert::RhaiResultOf;
use crate::api::session::op;

#[export_module]
pub mod netns_etc {
    use super::*;

    /// Write `text` to /etc/netns/NS/`name` (`hosts`, `resolv.conf`, ...):
    /// programs started in the namespace (`ns.exec`, `ns.spawn`, and `ip
    /// netns exec`) see it as /etc/`name`. Returns its path. Recorded, and
    /// removed at teardown with the directories made for it; a file that
    /// is there already and not the lab's is left alone (kind "exists").
    /// In a sandbox, /etc/netns is the sandbox's own.
    ///
    /// `mkdir -p /etc/netns/NS && cat > /etc/netns/NS/NAME`
    ///
    /// ```rhai
    /// let a = netns::add("a");
    /// a.etc_file("hosts", "10.0.0.2 web\n");
    /// let found = a.exec(["getent", "hosts", "web"]).stdout;
    /// print(found.contains("10.0.0.2"));   // true
    /// ```
    #[rhai_fn(global, pure, volatile, return_raw)]
    pub fn etc_file(
        ctx: NativeCallContext,
        ns: &mut Netns,
        name: &str,
        text: &str,
    ) -> RhaiResultOf<String> {
        op(&ctx, |op| op.etc_file(&ns.ns, name, text))
    }
}
