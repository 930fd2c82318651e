//! The `addr` module: address arithmetic for topologies (pools of host
//! addresses, subnets of a block).

use rhai::plugin::*;
use rhai::{Array, Dynamic, INT};

use crate::api::convert::{RhaiResultOf, raise};
use crate::cidr;
use crate::error::Error;

#[export_module]
pub mod addr_module {
    use super::*;

    /// The n-th address of a block, with the block's prefix length: address
    /// pools for topologies (0 is the network address itself).
    ///
    /// ```rhai
    /// print(addr::host("10.0.0.0/24", 5));       // 10.0.0.5/24
    /// print(addr::host("2001:db8::/64", 10));    // 2001:db8::a/64
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn host(ctx: NativeCallContext, block: &str, n: INT) -> RhaiResultOf<String> {
        cidr::host(block, n).map_err(|e| raise(&ctx, e))
    }

    /// The network a CIDR address is in.
    ///
    /// ```rhai
    /// print(addr::network("10.1.2.3/16"));   // 10.1.0.0/16
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn network(ctx: NativeCallContext, cidr: &str) -> RhaiResultOf<String> {
        let (ip, len) = cidr::parse(cidr).map_err(|e| raise(&ctx, e))?;
        Ok(cidr::format((cidr::network_of(ip, len), len)))
    }

    /// The first `count` subnets of length `prefix` inside a block.
    ///
    /// ```rhai
    /// print(addr::subnets("10.0.0.0/16", 24, 3));   // ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn subnets(
        ctx: NativeCallContext,
        block: &str,
        prefix: INT,
        count: INT,
    ) -> RhaiResultOf<Array> {
        if count > 65_536 {
            let e = Error::invalid("split a block", "at most 65536 subnets at a time").at_arg(2);
            return Err(raise(&ctx, e));
        }
        let all = cidr::subnets(block, prefix, count).map_err(|e| raise(&ctx, e))?;
        Ok(all.into_iter().map(Dynamic::from).collect())
    }
}
