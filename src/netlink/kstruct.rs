//! Reading the kernel's C structs that qdisc options carry (rtnetlink has
//! no types for tbf or netem).

/// The kernel's psched tick: 64 ns.
pub(super) const NS_PER_TICK: u64 = 64;

/// The native-endian u32 at byte `i` of a kernel struct, if it is there.
pub(super) fn u32_at(bytes: &[u8], i: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(i..i + 4)?.try_into().ok()?))
}
