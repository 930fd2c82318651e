//! The `addr` module: address arithmetic for topologies (pools of host
//! addresses, subnets of a block).

use std::net::IpAddr;

use rhai::{Array, Dynamic, Module, NativeCallContext};

use super::convert::{OrRaise, Res, raise};
use super::func;
use crate::cidr;
use crate::error::Error;

fn bits(ip: IpAddr) -> u32 {
    if ip.is_ipv4() { 32 } else { 128 }
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u32::from(v4) as u128,
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn from_u128(v: u128, like: IpAddr) -> IpAddr {
    match like {
        IpAddr::V4(_) => IpAddr::V4((v as u32).into()),
        IpAddr::V6(_) => IpAddr::V6(v.into()),
    }
}

/// The n-th address of `block` ("10.0.0.0/24", 5 -> "10.0.0.5/24").
fn host(block: &str, n: i64) -> crate::error::Result<String> {
    let (ip, len) = cidr::parse(block)?;
    let net = to_u128(cidr::network_of(ip, len));
    let size: u128 = if bits(ip) - u32::from(len) >= 128 {
        u128::MAX
    } else {
        1u128 << (bits(ip) - u32::from(len))
    };
    if n < 0 || (n as u128) >= size {
        return Err(Error::invalid(
            format!("take address {n} of {block}"),
            format!("{block} has addresses 0 to {}", size - 1),
        )
        .at_arg(1));
    }
    Ok(cidr::format((from_u128(net + n as u128, ip), len)))
}

/// The first `count` subnets of length `prefix` inside `block`.
fn subnets(block: &str, prefix: i64, count: i64) -> crate::error::Result<Vec<String>> {
    let (ip, len) = cidr::parse(block)?;
    let action = format!("split {block} into /{prefix} subnets");
    if prefix < i64::from(len) || prefix > i64::from(bits(ip)) {
        return Err(Error::invalid(
            action,
            format!("the prefix must be between {len} and {}", bits(ip)),
        )
        .at_arg(1));
    }
    let available = 1u128
        .checked_shl((prefix - i64::from(len)) as u32)
        .unwrap_or(u128::MAX);
    if count < 0 || count as u128 > available {
        return Err(Error::invalid(action, format!("it has {available} of them")).at_arg(2));
    }
    let step = 1u128.checked_shl(bits(ip) - prefix as u32).unwrap_or(0);
    let net = to_u128(cidr::network_of(ip, len));
    Ok((0..count as u128)
        .map(|i| cidr::format((from_u128(net + i * step, ip), prefix as u8)))
        .collect())
}

pub fn module() -> Module {
    let mut m = Module::new();
    func(
        "host",
        &["block: &str", "n: int", "String"],
        r#"
The n-th address of a block, with the block's prefix length: address
pools for topologies (0 is the network address itself).

```rhai
print(addr::host("10.0.0.0/24", 5));       // 10.0.0.5/24
print(addr::host("2001:db8::/64", 10));    // 2001:db8::a/64
```"#,
    )
    .set_into_module(
        &mut m,
        |ctx: NativeCallContext<'_>, block: &str, n: rhai::INT| -> Res<String> {
            host(block, n).or_raise(&ctx)
        },
    );

    func(
        "network",
        &["cidr: &str", "String"],
        r#"
The network a CIDR address is in.

```rhai
print(addr::network("10.1.2.3/16"));   // 10.1.0.0/16
```"#,
    )
    .set_into_module(
        &mut m,
        |ctx: NativeCallContext<'_>, text: &str| -> Res<String> {
            let (ip, len) = cidr::parse(text).or_raise(&ctx)?;
            Ok(cidr::format((cidr::network_of(ip, len), len)))
        },
    );

    func(
        "subnets",
        &["block: &str", "prefix: int", "count: int", "Array"],
        r#"
The first `count` subnets of length `prefix` inside a block.

```rhai
print(addr::subnets("10.0.0.0/16", 24, 3));   // ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
```"#,
    )
    .set_into_module(
        &mut m,
        |ctx: NativeCallContext<'_>,
         block: &str,
         prefix: rhai::INT,
         count: rhai::INT|
         -> Res<Array> {
            if count > 65_536 {
                return Err(raise(
                    &ctx,
                    Error::invalid("split a block", "at most 65536 subnets at a time").at_arg(2),
                ));
            }
            Ok(subnets(block, prefix, count)
                .or_raise(&ctx)?
                .into_iter()
                .map(Dynamic::from)
                .collect())
        },
    );
    m
}

#[cfg(test)]
mod tests {
    #[test]
    fn pools_and_subnets() {
        assert_eq!(super::host("10.0.0.0/24", 1).unwrap(), "10.0.0.1/24");
        assert_eq!(super::host("10.0.0.7/24", 1).unwrap(), "10.0.0.1/24");
        assert!(super::host("10.0.0.0/30", 4).is_err());
        assert_eq!(
            super::host("2001:db8::/64", 255).unwrap(),
            "2001:db8::ff/64"
        );
        assert_eq!(
            super::subnets("10.0.0.0/16", 30, 2).unwrap(),
            ["10.0.0.0/30", "10.0.0.4/30"]
        );
        assert!(super::subnets("10.0.0.0/24", 16, 1).is_err());
        assert!(super::subnets("10.0.0.0/24", 26, 5).is_err());
    }
}
