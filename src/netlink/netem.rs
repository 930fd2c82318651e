//! The network emulator qdisc: delay, jitter, loss, duplication,
//! corruption, reordering and a rate on a link's egress. rtnetlink has no
//! netem support, so its TCA_OPTIONS is built here: struct tc_netem_qopt,
//! then netlink attributes (include/uapi/linux/pkt_sched.h), as `tc` does.

use rtnetlink::packet_core::{DefaultNla, Emitable, NlasIterator};
use rtnetlink::packet_route::tc::TcAttribute;

use super::Netlink;
use super::kstruct::{NS_PER_TICK, u32_at};
use crate::error::Result;
use crate::ns::Ns;

const TCA_OPTIONS: u16 = 2;
const TCA_NETEM_REORDER: u16 = 3;
const TCA_NETEM_CORRUPT: u16 = 4;
const TCA_NETEM_RATE: u16 = 6;
const TCA_NETEM_RATE64: u16 = 8;
const TCA_NETEM_LATENCY64: u16 = 10;
const TCA_NETEM_JITTER64: u16 = 11;
/// struct tc_netem_qopt: six u32s.
const QOPT_LEN: usize = 24;

/// Netem settings. Probabilities are fractions of `u32::MAX` (the
/// kernel's unit: `u32::MAX` is 100%).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Netem {
    pub delay_ns: u64,
    pub jitter_ns: u64,
    pub loss: u32,
    pub duplicate: u32,
    pub corrupt: u32,
    /// Packets sent at once, out of order, instead of delayed.
    pub reorder: u32,
    /// Reorder every `gap`th packet (with probability `reorder`).
    pub gap: u32,
    /// Bytes per second; 0 is no limit.
    pub rate: u64,
    /// Packets the queue holds.
    pub limit: u32,
}

impl Netem {
    /// The percentages that are on, by the names `netem` takes them.
    pub fn percents(&self) -> impl Iterator<Item = (&'static str, u32)> {
        [
            ("loss", self.loss),
            ("duplicate", self.duplicate),
            ("corrupt", self.corrupt),
            ("reorder", self.reorder),
        ]
        .into_iter()
        .filter(|(_, p)| *p > 0)
    }

    /// The arguments `tc qdisc ... netem` takes for these settings.
    pub fn tc_args(&self) -> String {
        use crate::units::{percent_text, rate_text, time_text};
        let mut args = format!("limit {}", self.limit);
        if self.delay_ns > 0 {
            args.push_str(&format!(" delay {}", time_text(self.delay_ns)));
            if self.jitter_ns > 0 {
                args.push_str(&format!(" {}", time_text(self.jitter_ns)));
            }
        }
        for (key, p) in self.percents() {
            args.push_str(&format!(" {key} {}", percent_text(p)));
        }
        if self.reorder > 0 {
            args.push_str(&format!(" gap {}", self.gap));
        }
        if self.rate > 0 {
            args.push_str(&format!(" rate {}", rate_text(self.rate)));
        }
        args
    }
}

impl Netlink {
    /// `tc -n NS qdisc replace dev X root netem limit L delay D J loss P
    /// duplicate P corrupt P reorder P gap G rate R`
    pub fn set_netem(&self, ns: &Ns, index: u32, netem: &Netem) -> Result<()> {
        let options = TcAttribute::Other(DefaultNla::new(TCA_OPTIONS, options(netem)));
        self.replace_root(ns, index, "netem", options, "impair")
    }
}

fn ticks(ns: u64) -> u32 {
    u32::try_from(ns / NS_PER_TICK).unwrap_or(u32::MAX)
}

fn u32s(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_ne_bytes()).collect()
}

/// struct tc_netem_qopt, then the attributes it has no room for.
fn options(n: &Netem) -> Vec<u8> {
    let mut out = u32s(&[
        ticks(n.delay_ns),
        n.limit,
        n.loss,
        n.gap,
        n.duplicate,
        ticks(n.jitter_ns),
    ]);
    // Reorder, corruption and rate are sent even when off: on a replace
    // the kernel keeps the old value of an attribute left out.
    let rate32 = u32::try_from(n.rate).unwrap_or(u32::MAX);
    let mut nlas = vec![
        DefaultNla::new(
            TCA_NETEM_LATENCY64,
            (n.delay_ns as i64).to_ne_bytes().to_vec(),
        ),
        DefaultNla::new(
            TCA_NETEM_JITTER64,
            (n.jitter_ns as i64).to_ne_bytes().to_vec(),
        ),
        // struct tc_netem_reorder and tc_netem_corrupt: probability,
        // correlation.
        DefaultNla::new(TCA_NETEM_REORDER, u32s(&[n.reorder, 0])),
        DefaultNla::new(TCA_NETEM_CORRUPT, u32s(&[n.corrupt, 0])),
        // struct tc_netem_rate: rate, packet_overhead, cell_size,
        // cell_overhead; a rate past 32 bits goes in TCA_NETEM_RATE64.
        DefaultNla::new(TCA_NETEM_RATE, u32s(&[rate32, 0, 0, 0])),
    ];
    if rate32 == u32::MAX {
        nlas.push(DefaultNla::new(
            TCA_NETEM_RATE64,
            n.rate.to_ne_bytes().to_vec(),
        ));
    }
    let mut attrs = vec![0u8; nlas.as_slice().buffer_len()];
    nlas.as_slice().emit(&mut attrs);
    out.extend_from_slice(&attrs);
    out
}

fn u64_of(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_ne_bytes(bytes.get(..8)?.try_into().ok()?))
}

/// A netem TCA_OPTIONS payload as the kernel dumps it.
pub(super) fn parse(bytes: &[u8]) -> Option<Netem> {
    let mut n = Netem {
        delay_ns: u64::from(u32_at(bytes, 0)?) * NS_PER_TICK,
        limit: u32_at(bytes, 4)?,
        loss: u32_at(bytes, 8)?,
        gap: u32_at(bytes, 12)?,
        duplicate: u32_at(bytes, 16)?,
        jitter_ns: u64::from(u32_at(bytes, 20)?) * NS_PER_TICK,
        ..Netem::default()
    };
    let mut rate64 = None;
    for nla in NlasIterator::new(bytes.get(QOPT_LEN..)?).flatten() {
        let v = nla.value();
        match nla.kind() {
            TCA_NETEM_LATENCY64 => n.delay_ns = u64_of(v)?,
            TCA_NETEM_JITTER64 => n.jitter_ns = u64_of(v)?,
            TCA_NETEM_REORDER => n.reorder = u32_at(v, 0)?,
            TCA_NETEM_CORRUPT => n.corrupt = u32_at(v, 0)?,
            TCA_NETEM_RATE => n.rate = u64::from(u32_at(v, 0)?),
            TCA_NETEM_RATE64 => rate64 = u64_of(v),
            _ => {}
        }
    }
    if let Some(r) = rate64 {
        n.rate = r;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_read_back_as_written() {
        let n = Netem {
            delay_ns: 20_000_000,
            jitter_ns: 5_000_000,
            loss: u32::MAX / 100,
            duplicate: 7,
            corrupt: 9,
            reorder: 11,
            gap: 1,
            rate: 10_000_000_000,
            limit: 1000,
        };
        let bytes = options(&n);
        assert_eq!(u32_at(&bytes, 0), Some(312_500), "20 ms in 64 ns ticks");
        assert_eq!(parse(&bytes), Some(n));
        assert_eq!(parse(&bytes[..10]), None, "a short struct");
    }
}
