//! Operations on namespaces: creating, deleting and naming them, their
//! sysctls, and pings sent from them.

use std::net::IpAddr;
use std::time::Duration;

use super::{Op, exec_prefix, q};
use crate::error::{Error, Kind, Result};
use crate::lab::Object;
use crate::ns::Ns;
use crate::sys::{netns_fs, ping, probe, sysctl};

impl Op<'_> {
    /// `ip netns add NAME && ip -n NAME link set lo up`, with the lab's
    /// defaults (`sysctl::LAB_DEFAULTS`, traced too); without IPv6 on any of its links when `ipv6` is false.
    /// Nothing half-built: a namespace that cannot be set up goes again.
    /// The ledger records it before it has its name, so no run, however
    /// it ends, leaves a namespace it named unrecorded.
    pub fn add_netns(&self, name: &str, ipv6: bool) -> Result<Ns> {
        let recorded = std::cell::Cell::new(None);
        let made = self.net.add_netns(name, ipv6, |id| {
            let record = Object::Netns {
                name: name.to_string(),
                id,
            };
            // Kept in memory even when the line cannot be written: the
            // call then fails, and the record goes again below (the
            // namespace was never named; a rollback would call it gone).
            let written = self.lab.created(record.clone());
            recorded.set(Some(record));
            written
        });
        if let Err(e) = made {
            if let Some(record) = recorded.take() {
                self.lab.removed(|o| *o == record);
            }
            return Err(e);
        }
        self.change(|| {
            let name = q(name);
            format!(
                "ip netns add {name} && ip -n {name} link set lo up && {}",
                sysctl::lab_defaults_command(&name)
            )
        });
        let ns = Ns::Named(name.to_string());
        // No IPv6 on any link of it, lo and links made later included:
        // set as it was made (see `sysctl::lab_defaults_here`).
        if !ipv6 {
            for (key, value) in sysctl::IPV6_OFF {
                self.change(|| sysctl_command(&ns, key, value));
            }
        }
        Ok(ns)
    }

    /// `ip netns add NAME` unless it exists (then it must be a namespace).
    ///
    /// Two runs may ensure the same name at once: the one that loses the
    /// race to make it uses the winner's (waiting a moment for an entry
    /// being mounted, making again one deleted between the look and the
    /// use), a few times before giving up (a stale entry stays stale).
    pub fn ensure_netns(&self, name: &str) -> Result<Ns> {
        if name == "host" {
            return Ok(Ns::Host);
        }
        // Another run makes a namespace in tens of milliseconds (more on a
        // busy machine); a stale entry is still stale after a second.
        let deadline = std::time::Instant::now() + Duration::from_secs(1);
        let mut tries = 0;
        loop {
            tries += 1;
            let again = tries < 10 && std::time::Instant::now() < deadline;
            if netns_fs::exists(name) {
                match netns_fs::open(name) {
                    Ok(_) => return Ok(Ns::Named(name.to_string())),
                    Err(e) if e.kind == Kind::NotFound && again => continue,
                    // Not mounted yet (or stale, or not a namespace at all).
                    Err(e) if e.kind == Kind::Invalid && std::time::Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            match self.add_netns(name, true) {
                Err(e) if e.kind == Kind::Exists && again => continue,
                made => return made,
            }
        }
    }

    /// `ip netns del NAME`: the processes the lab spawned there first, then
    /// the name; everything recorded in it goes from the ledger.
    pub fn del_netns(&self, name: &str, force: bool) -> Result<()> {
        if !force && !self.netns_made_by_netscript(name) {
            return Err(Error::new(
                Kind::Permission,
                format!("delete namespace \"{name}\""),
                "netscript did not create it",
            )
            .with_help(
                "it was there before this run (another tool's, or a container's name); \
                 its programs and links would go with it; to delete it anyway, pass \
                 #{ force: true }",
            ));
        }
        crate::sys::spawn::stop_in(name);
        let orphans = self.orphans_of(name, None);
        self.net.del_netns(name)?;
        self.change(|| format!("ip netns del {}", q(name)));
        self.lab.removed(|o| o.lives_in(name));
        self.lab.removed(|o| orphans.iter().any(|x| x.same(o)));
        Ok(())
    }

    /// Whether namespace `name` (as it is now) is one this run or another
    /// netscript lab still up made or named. An entry that names nothing
    /// (gone, or left unmounted by a killed run) protects nothing.
    pub(super) fn netns_made_by_netscript(&self, name: &str) -> bool {
        let Some(id) = Ns::named(name).id() else {
            return true;
        };
        let is_it = |o: &Object| {
            matches!(o, Object::Netns { name: n, id: i } | Object::Attached { name: n, id: i }
                if n == name && *i == id)
        };
        self.lab.objects().iter().any(is_it)
            || crate::lab::all()
                .iter()
                .any(|l| l.objects.iter().any(is_it))
    }

    /// `ip netns attach NAME PID`: a name for a process's namespace.
    /// Recorded before the name is made, as `add_netns` is: no run, however
    /// it ends, leaves a name it made unrecorded.
    pub fn attach_netns(&self, name: &str, pid: u32) -> Result<Ns> {
        netns_fs::validate_name(name)?;
        let record = match netns_fs::net_of(pid) {
            // A taken name fails in `attach` without touching it, and is
            // never recorded as the lab's.
            Some(id) if !netns_fs::exists(name) => Some(Object::Attached {
                name: name.to_string(),
                id,
            }),
            _ => None,
        };
        if let Some(r) = &record
            && let Err(e) = self.lab.created(r.clone())
        {
            self.lab.removed(|o| o == r);
            return Err(e);
        }
        let attached = netns_fs::attach(name, pid);
        if let Err(e) = attached {
            if let Some(r) = &record {
                self.lab.removed(|o| o == r);
            }
            return Err(e);
        }
        self.change(|| format!("ip netns attach {} {pid}", q(name)));
        Ok(Ns::Named(name.to_string()))
    }

    /// `sysctl -w KEY=VALUE` for each setting inside `ns`. A new namespace
    /// copies some of the host's IPv4 settings, so the namespace made
    /// ahead is not used once the host's may have changed (said before and
    /// after each write).
    ///
    /// In a namespace the lab did not make, the value a key had before its
    /// first change is recorded (written ahead), and teardown writes it
    /// back.
    pub fn set_sysctls(&self, ns: &Ns, settings: &[(&str, &str)]) -> Result<()> {
        let file = ns.open()?;
        host_settings_may_change(ns);
        for (key, value) in settings {
            let was = self.sysctl_was(ns, &file, key)?;
            let written = self.ahead(was.as_slice(), || sysctl::write(&file, key, value));
            host_settings_may_change(ns);
            written.map_err(|e| e.in_netns(ns.name()))?;
            self.confirm(was.into_iter().collect())?;
            self.change(|| sysctl_command(ns, key, value));
        }
        Ok(())
    }

    /// The record of what `key` was, when this is the run's first change
    /// of it in a namespace it did not make.
    fn sysctl_was(&self, ns: &Ns, file: &std::fs::File, key: &str) -> Result<Option<Object>> {
        if !self.outlives(ns) {
            return Ok(None);
        }
        let id = ns.id();
        let known = self.lab.any(|o| {
            matches!(o, Object::Sysctl { ns: n, ns_id, key: k, .. } if n == ns.name() && *ns_id == id && k == key)
        });
        if known {
            return Ok(None);
        }
        let mut record = Object::Sysctl {
            ns: ns.name().to_string(),
            ns_id: id,
            key: key.to_string(),
            before: sysctl::read(file, key).map_err(|e| e.in_netns(ns.name()))?,
        };
        // Changed by another lab that is up: what it was before that.
        crate::lab::shared::take_first_before(&self.lab.name, &mut record);
        Ok(Some(record))
    }

    /// One echo (retried within `timing`) from `ns` to `address`.
    pub fn ping(&self, ns: &Ns, address: &str, timing: ping::Timing) -> Result<bool> {
        let ip = ping_target(address)?;
        let file = ns.open()?;
        self.look(|| {
            format!(
                "{}ping -c 1{} {address}",
                exec_prefix(ns),
                ttl_flag(&timing)
            )
        });
        ping::ping(&file, ip, timing).map_err(|e| e.in_netns(ns.name()))
    }

    /// One echo from `ns` to `address`, and what came back for it.
    pub fn probe(&self, ns: &Ns, address: &str, timing: ping::Timing) -> Result<probe::Answer> {
        let ip = ping_target(address)?;
        let file = ns.open()?;
        self.look(|| {
            format!(
                "{}ping -c 1 -v{} {address}",
                exec_prefix(ns),
                ttl_flag(&timing)
            )
        });
        probe::probe(&file, ip, timing).map_err(|e| e.in_netns(ns.name()))
    }

    /// A run of echoes from `ns` to `address`, with their round trips.
    pub fn ping_stats(&self, ns: &Ns, address: &str, e: &Echoes) -> Result<ping::Stats> {
        let ip = ping_target(address)?;
        let file = ns.open()?;
        self.look(|| {
            let (exec, count) = (exec_prefix(ns), e.count);
            let (i, w) = (e.interval.as_secs_f64(), e.timeout.as_secs_f64());
            format!("{exec}ping -c {count} -i {i} -W {w} {address}")
        });
        ping::stats(&file, ip, e.count, e.interval, e.timeout).map_err(|e| e.in_netns(ns.name()))
    }

    /// Ping every address at once (64 at a time): which answered. The
    /// neighbour entries the probes made go afterwards (unanswered ones
    /// would linger as FAILED in a table the whole machine shares): only
    /// learned entries for these addresses that were not there before.
    pub fn ping_many(
        &self,
        ns: &Ns,
        addresses: &[String],
        timing: ping::Timing,
    ) -> Result<Vec<bool>> {
        let ips = addresses
            .iter()
            .map(|a| ping_target(a))
            .collect::<Result<Vec<_>>>()?;
        let file = ns.open()?;
        self.look(|| {
            let exec = exec_prefix(ns);
            let all = addresses.join(" ");
            format!("for a in {all}; do {exec}ping -c 1 $a & done; wait")
        });
        let before = self.net.neighs(ns).unwrap_or_default();
        let answers =
            ping::ping_many(&file, &ips, timing, 64).map_err(|e| e.in_netns(ns.name()))?;
        for n in self.net.neighs(ns).unwrap_or_default() {
            let learned = !matches!(n.state.as_str(), "permanent" | "noarp");
            let new = !before.iter().any(|b| b.ip == n.ip && b.index == n.index);
            if learned && new && ips.contains(&n.ip) {
                let _ = self.net.neigh_del(ns, n.index, n.ip);
            }
        }
        Ok(answers)
    }
}

/// ` -t TTL` when echoes leave with a TTL of their own.
fn ttl_flag(timing: &ping::Timing) -> String {
    timing.ttl.map_or(String::new(), |t| format!(" -t {t}"))
}

/// An address to ping: an IP without a prefix length.
pub fn ping_target(address: &str) -> Result<IpAddr> {
    address.parse().map_err(|_| {
        Error::invalid(
            format!("ping {address:?}"),
            format!("{address:?} is not an IPv4 or IPv6 address"),
        )
        .with_help("give an address like 10.0.0.2 or 2001:db8::2, without a prefix length")
        .about(address)
    })
}

/// How `ping_stats` sends: `count` echoes, one every `interval`, then
/// `timeout` for the last answers.
pub struct Echoes {
    pub count: u32,
    pub interval: Duration,
    pub timeout: Duration,
}

/// A new namespace copies some of the host's IPv4 settings (`ip netns add`
/// after `sysctl -w net.ipv4.ip_forward=1` forwards too): a sysctl set in
/// `ns`, or a program run there, may change them if `ns` is the host's,
/// and the namespace made ahead is then not used.
pub fn host_settings_may_change(ns: &Ns) {
    if ns.is_host() {
        crate::sys::netns_spare::host_may_change();
    }
}

/// A sysctl write as a shell command (no sysctl binary needed).
pub fn sysctl_command(ns: &Ns, key: &str, value: &str) -> String {
    let path = sysctl::path_of(key).unwrap_or_default();
    let command = format!("echo {} > {}", q(value), q(&path));
    format!("{}sh -c {}", exec_prefix(ns), q(&command))
}
