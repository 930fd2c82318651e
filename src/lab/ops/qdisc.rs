//! A link's root qdisc: shaping (tbf) and impairments (netem). One put on
//! a link the lab did not make is recorded (written ahead), so that teardown takes it off;
//! a qdisc someone else put there is replaced or removed only when forced
//! (teardown would leave the kernel's default, not theirs).

use super::{Op, ip_n, q};
use crate::error::{Error, Kind, Result};
use crate::lab::Object;
use crate::netlink::{LinkInfo, Netem, Tbf};
use crate::ns::Ns;

/// What `replace_qdisc` puts at a link's root.
pub enum RootQdisc {
    Tbf(Tbf),
    Netem(Netem),
}

impl Op<'_> {
    /// `tc qdisc replace dev X root tbf|netem ...`.
    pub fn replace_qdisc(
        &self,
        ns: &Ns,
        link: &LinkInfo,
        root: &RootQdisc,
        force: bool,
    ) -> Result<()> {
        self.qdisc_guard(ns, link, force, "replace")?;
        let record = (!self.lab_qdisc(ns, link.index)).then(|| Object::Qdisc {
            ns: ns.name().to_string(),
            ns_id: ns.id(),
            index: link.index,
            link: link.name.clone(),
        });
        let args = self.ahead(record.as_slice(), || match root {
            RootQdisc::Tbf(t) => {
                self.net.set_tbf(ns, link.index, t)?;
                Ok(format!("tbf {}", t.tc_args()))
            }
            RootQdisc::Netem(n) => {
                self.net.set_netem(ns, link.index, n)?;
                Ok(format!("netem {}", n.tc_args()))
            }
        })?;
        self.confirm(record.into_iter().collect())?;
        self.change(|| {
            format!(
                "tc {}qdisc replace dev {} root {args}",
                ip_n(ns),
                q(&link.name)
            )
        });
        Ok(())
    }

    /// `tc qdisc del dev X root`: back to the kernel's default.
    pub fn clear_qdisc(&self, ns: &Ns, link: &LinkInfo, force: bool) -> Result<()> {
        self.qdisc_guard(ns, link, force, "remove")?;
        self.net.clear_qdisc(ns, link.index)?;
        self.lab.removed(|o| {
            matches!(o, Object::Qdisc { ns: n, index, .. } if n == ns.name() && *index == link.index)
        });
        self.change(|| format!("tc {}qdisc del dev {} root", ip_n(ns), q(&link.name)));
        Ok(())
    }

    /// Whether the root qdisc of link `index` is the lab's to change: a
    /// link it made or in a namespace it made, or one it has shaped.
    fn lab_qdisc(&self, ns: &Ns, index: u32) -> bool {
        let here = ns.name();
        self.lab.owns_netns(here)
            || self.lab.made_link(here, index)
            || self.lab.objects().iter().any(
                |o| matches!(o, Object::Qdisc { ns: n, index: i, .. } if n == here && *i == index),
            )
    }

    fn qdisc_guard(&self, ns: &Ns, link: &LinkInfo, force: bool, verb: &str) -> Result<()> {
        if force || self.lab_qdisc(ns, link.index) {
            return Ok(());
        }
        match self.net.qdisc(ns, link.index)? {
            Some(q) if q.added => Err(Error::new(
                Kind::Permission,
                format!("{verb} the {} qdisc of \"{}\"", q.kind, link.name),
                "netscript did not put it there",
            )
            .in_netns(ns.name())
            .with_help(
                "teardown would leave the kernel's default qdisc, not this one; \
                 to do it anyway, pass #{ force: true }",
            )),
            _ => Ok(()),
        }
    }
}
