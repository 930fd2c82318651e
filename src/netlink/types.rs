//! Plain data read from the kernel, free of netlink types.

use std::net::IpAddr;

/// One link as RTM_GETLINK describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkInfo {
    pub index: u32,
    pub name: String,
    /// "veth", "bridge", "loopback", … ("device" when the kernel names no kind).
    pub kind: String,
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
}

/// An address with its prefix length, as `ip addr` shows it.
pub type Cidr = (IpAddr, u8);
