//! What a setting of a link the lab did not make was before the lab
//! changed it: recorded, and put back by teardown.

use serde::{Deserialize, Serialize};

/// What a link's setting was before the lab changed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Before {
    Up(bool),
    Mtu(u32),
    Name(String),
    /// Its bridge's index, or none (ledgers before `Bridge` have it for a
    /// bridge too).
    Master(Option<u32>),
    /// The bridge it was a port of, by index and name: put back only onto
    /// that bridge, not onto another that took its index.
    Bridge {
        index: u32,
        name: String,
    },
    /// Its hardware address, as "aa:bb:cc:dd:ee:ff".
    Mac(String),
    /// Its description ("" for none).
    Alias(String),
    /// Its transmit queue length.
    Txqlen(u32),
}

impl Before {
    /// "mtu of eth0: 1500", as teardown reports it.
    pub fn describe(&self, link: &str) -> String {
        match self {
            Before::Up(up) => format!("state of {link}: {}", if *up { "up" } else { "down" }),
            Before::Mtu(mtu) => format!("mtu of {link}: {mtu}"),
            Before::Name(name) => format!("name of {link}: {name}"),
            Before::Master(Some(b)) => format!("bridge of {link}: #{b}"),
            Before::Master(None) => format!("bridge of {link}: none"),
            Before::Bridge { name, .. } => format!("bridge of {link}: {name}"),
            Before::Mac(mac) => format!("MAC address of {link}: {mac}"),
            Before::Alias(alias) => format!("alias of {link}: {alias:?}"),
            Before::Txqlen(len) => format!("txqueuelen of {link}: {len}"),
        }
    }
}
