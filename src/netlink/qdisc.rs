//! Queueing disciplines on a link's egress: `tc qdisc` for the token
//! bucket filter (netem is in netem.rs). rtnetlink has no tbf support, so its attributes are
//! built here (struct tc_tbf_qopt, include/uapi/linux/pkt_sched.h).

use rtnetlink::packet_core::{DefaultNla, Nla, NlasIterator};
use rtnetlink::packet_route::RouteNetlinkMessage as M;
use rtnetlink::packet_route::tc::{TcAttribute, TcHandle, TcMessage, TcOption};

use super::Netlink;
use super::kstruct::{NS_PER_TICK, u32_at};
use super::netem::Netem;
use super::request::{self, CHANGE, DUMP};
use crate::error::{Error, Result};
use crate::ns::Ns;

const TCA_TBF_PARMS: u16 = 1;
const TCA_TBF_RATE64: u16 = 4;
const TCA_TBF_BURST: u16 = 6;
const TC_LINKLAYER_ETHERNET: u8 = 1;

/// Token bucket filter settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tbf {
    /// Bytes per second.
    pub rate: u64,
    /// Bytes that may leave at once (the bucket).
    pub burst: u32,
    /// Bytes that may wait in the queue.
    pub limit: u32,
}

impl Tbf {
    /// The arguments `tc qdisc ... tbf` takes for these settings.
    pub fn tc_args(&self) -> String {
        format!(
            "rate {} burst {} limit {}",
            crate::units::rate_text(self.rate),
            self.burst,
            self.limit
        )
    }
}

/// The root qdisc of a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Qdisc {
    pub kind: String,
    /// Added by someone (it has a handle), not the kernel's default.
    pub added: bool,
    pub tbf: Option<Tbf>,
    pub netem: Option<Netem>,
}

impl Netlink {
    /// `tc -n NS qdisc replace dev X root tbf rate R burst B limit L`
    pub fn set_tbf(&self, ns: &Ns, index: u32, tbf: &Tbf) -> Result<()> {
        let options = TcAttribute::Options(vec![
            TcOption::Other(DefaultNla::new(TCA_TBF_PARMS, tbf_parms(tbf))),
            TcOption::Other(DefaultNla::new(
                TCA_TBF_RATE64,
                tbf.rate.to_ne_bytes().to_vec(),
            )),
            TcOption::Other(DefaultNla::new(
                TCA_TBF_BURST,
                tbf.burst.to_ne_bytes().to_vec(),
            )),
        ]);
        self.replace_root(ns, index, "tbf", options, "shape")
    }

    /// `tc -n NS qdisc replace dev X root KIND ...`: `what` names the
    /// action in errors ("shape", "impair").
    pub(super) fn replace_root(
        &self,
        ns: &Ns,
        index: u32,
        kind: &str,
        options: TcAttribute,
        what: &str,
    ) -> Result<()> {
        let mut msg = root_message(index);
        msg.attributes.push(TcAttribute::Kind(kind.into()));
        msg.attributes.push(options);
        let handle = self.handle(ns)?;
        let flags =
            CHANGE | rtnetlink::packet_core::NLM_F_CREATE | rtnetlink::packet_core::NLM_F_REPLACE;
        self.block_on(request::send(&handle, M::NewQueueDiscipline(msg), flags))
            .map(|_| ())
            .map_err(|errno| {
                let e = Error::errno(format!("{what} {}", self.link_label(ns, index)), errno)
                    .in_netns(ns.name());
                if errno == libc::ENOENT || errno == libc::EOPNOTSUPP {
                    Error {
                        kind: crate::error::Kind::Unsupported,
                        reason: format!("this kernel has no {kind} qdisc"),
                        help: Some(format!(
                            "load its module (modprobe sch_{kind}), or use a kernel built with \
                             CONFIG_NET_SCH_{}",
                            kind.to_uppercase()
                        )),
                        ..e
                    }
                } else {
                    e
                }
            })
    }

    /// The root qdisc of a link, as `tc qdisc show dev X` lists it (None
    /// when the link has none, like a veth's default "noqueue").
    pub fn qdisc(&self, ns: &Ns, index: u32) -> Result<Option<Qdisc>> {
        Ok(self
            .root_qdiscs(ns)?
            .into_iter()
            .find_map(|(i, q)| (i == index).then_some(q)))
    }

    /// Every link's root qdisc in `ns`, by link index (`tc qdisc show`).
    pub fn root_qdiscs(&self, ns: &Ns) -> Result<Vec<(u32, Qdisc)>> {
        let handle = self.handle(ns)?;
        let replies = self
            .block_on(request::send(
                &handle,
                M::GetQueueDiscipline(TcMessage::default()),
                DUMP,
            ))
            .map_err(|e| Error::errno("list qdiscs", e).in_netns(ns.name()))?;
        Ok(replies
            .into_iter()
            .filter_map(|r| {
                let M::NewQueueDiscipline(m) = r else {
                    return None;
                };
                (m.header.parent == TcHandle::ROOT).then(|| (m.header.index as u32, parse_qdisc(m)))
            })
            .collect())
    }

    /// `tc -n NS qdisc del dev X root`; nothing to do is not an error.
    pub fn clear_qdisc(&self, ns: &Ns, index: u32) -> Result<()> {
        let handle = self.handle(ns)?;
        match self.block_on(request::send(
            &handle,
            M::DelQueueDiscipline(root_message(index)),
            CHANGE,
        )) {
            Ok(_) | Err(libc::ENOENT) | Err(libc::EINVAL) => Ok(()),
            Err(errno) => Err(Error::errno(
                format!("remove the qdisc of {}", self.link_label(ns, index)),
                errno,
            )
            .in_netns(ns.name())),
        }
    }
}

impl Qdisc {
    /// As `tc qdisc add ... root` would be given it: "netem limit 1000
    /// delay 40ms", "tbf rate 10mbit burst 32768 limit 65536", or the kind.
    pub fn describe(&self) -> String {
        match (&self.tbf, &self.netem) {
            (Some(t), _) => format!("tbf {}", t.tc_args()),
            (_, Some(n)) => format!("netem {}", n.tc_args()),
            _ => self.kind.clone(),
        }
    }
}

fn root_message(index: u32) -> TcMessage {
    let mut msg = TcMessage::default();
    msg.header.index = index as i32;
    msg.header.parent = TcHandle::ROOT;
    msg.header.handle = TcHandle::UNSPEC;
    msg
}

/// struct tc_tbf_qopt: rate and peak rate (struct tc_ratespec), then
/// limit, buffer (in ticks) and mtu.
fn tbf_parms(tbf: &Tbf) -> Vec<u8> {
    let mut out = Vec::with_capacity(36);
    // tc_ratespec: cell_log, linklayer, overhead, cell_align, mpu, rate.
    out.push(0u8);
    out.push(TC_LINKLAYER_ETHERNET);
    out.extend_from_slice(&0u16.to_ne_bytes());
    out.extend_from_slice(&0i16.to_ne_bytes());
    out.extend_from_slice(&0u16.to_ne_bytes());
    out.extend_from_slice(&u32::try_from(tbf.rate).unwrap_or(u32::MAX).to_ne_bytes());
    out.extend_from_slice(&[0u8; 12]); // no peak rate
    out.extend_from_slice(&tbf.limit.to_ne_bytes());
    let buffer_ns = u64::from(tbf.burst) * 1_000_000_000 / tbf.rate.max(1);
    let ticks = u32::try_from(buffer_ns / NS_PER_TICK).unwrap_or(u32::MAX);
    out.extend_from_slice(&ticks.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes()); // mtu: no peak rate
    out
}

fn parse_qdisc(m: TcMessage) -> Qdisc {
    let added = m.header.handle != TcHandle::UNSPEC;
    let mut kind = String::new();
    let mut netem = None;
    let mut parms: Option<Vec<u8>> = None;
    let mut rate64 = None;
    let mut burst = None;
    for a in m.attributes {
        match a {
            TcAttribute::Kind(k) => kind = k,
            TcAttribute::Options(opts) => {
                // rtnetlink knows neither tbf nor netem: their whole
                // TCA_OPTIONS arrives as one opaque attribute, read here.
                for o in opts {
                    let TcOption::Other(nest) = o else { continue };
                    let mut bytes = vec![0u8; nest.value_len()];
                    nest.emit_value(&mut bytes);
                    if kind == "netem" {
                        netem = super::netem::parse(&bytes);
                        continue;
                    }
                    for nla in NlasIterator::new(&bytes[..]).flatten() {
                        let value = nla.value();
                        match nla.kind() {
                            TCA_TBF_PARMS => parms = Some(value.to_vec()),
                            TCA_TBF_RATE64 if value.len() == 8 => {
                                rate64 = value.try_into().ok().map(u64::from_ne_bytes)
                            }
                            TCA_TBF_BURST if value.len() == 4 => {
                                burst = value.try_into().ok().map(u32::from_ne_bytes)
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let tbf = (kind == "tbf")
        .then_some(parms)
        .flatten()
        .filter(|p| p.len() >= 36)
        .map(|p| {
            let field = |i: usize| u32_at(&p, i).unwrap_or_default();
            let rate = rate64.unwrap_or(u64::from(field(8)));
            let buffer_ticks = u64::from(field(28));
            let from_buffer = buffer_ticks * NS_PER_TICK * rate / 1_000_000_000;
            Tbf {
                rate,
                burst: burst.unwrap_or(u32::try_from(from_buffer).unwrap_or(u32::MAX)),
                limit: field(24),
            }
        });
    Qdisc {
        kind,
        added,
        tbf,
        netem,
    }
}
