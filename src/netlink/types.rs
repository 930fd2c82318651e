//! Plain data read from the kernel, free of netlink types.

use std::fmt;
use std::net::IpAddr;

/// What kind of link it is, as `ip -d link` names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(from = "String", into = "String")]
pub enum LinkKind {
    Loopback,
    Veth,
    Bridge,
    Dummy,
    Vlan,
    Vrf,
    Macvlan,
    Vxlan,
    /// The kernel names no kind (a physical NIC).
    Device,
    /// Any other kind the kernel names (bond, wireguard, ...).
    Other(String),
}

impl LinkKind {
    pub fn as_str(&self) -> &str {
        match self {
            LinkKind::Loopback => "loopback",
            LinkKind::Veth => "veth",
            LinkKind::Bridge => "bridge",
            LinkKind::Dummy => "dummy",
            LinkKind::Vlan => "vlan",
            LinkKind::Vrf => "vrf",
            LinkKind::Macvlan => "macvlan",
            LinkKind::Vxlan => "vxlan",
            LinkKind::Device => "device",
            LinkKind::Other(name) => name,
        }
    }
}

impl From<String> for LinkKind {
    fn from(name: String) -> LinkKind {
        match name.as_str() {
            "loopback" => LinkKind::Loopback,
            "veth" => LinkKind::Veth,
            "bridge" => LinkKind::Bridge,
            "dummy" => LinkKind::Dummy,
            "vlan" => LinkKind::Vlan,
            "vrf" => LinkKind::Vrf,
            "macvlan" => LinkKind::Macvlan,
            "vxlan" => LinkKind::Vxlan,
            "device" => LinkKind::Device,
            _ => LinkKind::Other(name),
        }
    }
}

impl From<LinkKind> for String {
    fn from(kind: LinkKind) -> String {
        kind.as_str().to_string()
    }
}

impl fmt::Display for LinkKind {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        // `pad`, so `{:<10}` lines it up in tables (`netscript show`).
        f.pad(self.as_str())
    }
}

/// One link as RTM_GETLINK describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkInfo {
    pub index: u32,
    pub name: String,
    pub kind: LinkKind,
    pub mtu: u32,
    pub mac: String,
    /// Administrative state (IFF_UP).
    pub up: bool,
    /// Carrier (IFF_LOWER_UP): a veth has it when both ends are up.
    pub carrier: bool,
    /// Operational state as `ip` prints it: "UP", "DOWN", "LOWERLAYERDOWN", "UNKNOWN", …
    pub oper: String,
    /// Index of the bridge (or other controller) this link is a port of.
    pub master: Option<u32>,
    /// IFLA_LINK: for a veth, the peer's index in the peer's namespace.
    pub link: Option<u32>,
    /// IFLA_LINK_NETNSID: the peer's namespace id, when it is another namespace.
    pub link_netnsid: Option<i32>,
    /// Its counters (IFLA_STATS64), as `ip -s link` shows them.
    pub stats: LinkStats,
    /// IFLA_IFALIAS: a description, "" for none.
    pub alias: String,
    /// IFLA_TXQLEN: the length of its transmit queue, in packets.
    pub txqlen: u32,
}

/// One route of the main table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteInfo {
    /// Destination prefix, or None for the default route.
    pub dst: Option<(IpAddr, u8)>,
    pub gateway: Option<IpAddr>,
    pub dev: Option<u32>,
    /// "unicast", "blackhole", "unreachable" or "prohibit".
    pub kind: String,
    /// RTA_PRIORITY, if the kernel reports one.
    pub metric: Option<u32>,
    /// The paths of a multipath (ECMP) route; empty for a single path
    /// (then `gateway` and `dev` say it).
    pub nexthops: Vec<NextHop>,
    /// Who made it (RTPROT_*: 2 kernel, 3 boot, 4 static, ...).
    pub proto: u8,
    /// RT_SCOPE_* (0 global, 253 link, 254 host).
    pub scope: u8,
    /// The preferred source address (RTA_PREFSRC).
    pub src: Option<IpAddr>,
}

/// One path of a multipath route, as `ip route` lists it after `nexthop`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextHop {
    pub gateway: Option<IpAddr>,
    pub dev: u32,
    /// `weight` (the kernel's hops + 1).
    pub weight: u16,
}

/// An address with its prefix length, as `ip addr` shows it.
pub type Cidr = (IpAddr, u8);

/// A link's counters since it was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    pub rx_packets: u64,
    pub tx_packets: u64,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub rx_errors: u64,
    pub tx_errors: u64,
    pub rx_dropped: u64,
    pub tx_dropped: u64,
}
