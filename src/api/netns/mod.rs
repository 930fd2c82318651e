//! Methods and properties of a `Netns` handle, by what they touch: its
//! links and itself (`props`), its sysctls (`sysctl`), pings sent from it
//! (`ping`), its routes (`routes`), rules (`rules`) and neighbours (`neigh`), programs run
//! in it (`programs`) and what they do there (`inspect`), its firewall
//! (`firewall`), its /etc files (`etc`).

mod etc;
mod firewall;
mod inspect;
mod neigh;
mod ping;
mod programs;
mod props;
mod routes;
mod rules;
mod sysctl;

use rhai::Module;
use rhai::plugin::*;

/// Register every `Netns` method into the global module `m`.
pub(super) fn register(m: &mut Module) {
    m.combine_flatten(exported_module!(props::netns_props));
    m.combine_flatten(exported_module!(sysctl::netns_sysctl));
    m.combine_flatten(exported_module!(ping::netns_ping));
    m.combine_flatten(exported_module!(routes::netns_routes));
    m.combine_flatten(exported_module!(rules::netns_rules));
    m.combine_flatten(exported_module!(neigh::netns_neigh));
    m.combine_flatten(exported_module!(programs::netns_programs));
    m.combine_flatten(exported_module!(inspect::netns_inspect));
    m.combine_flatten(exported_module!(firewall::netns_firewall));
    m.combine_flatten(exported_module!(etc::netns_etc));
}
