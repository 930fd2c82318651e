//! The lab's firewall: an nftables table of its own in each namespace it
//! touches (`inet netscript_LAB`), made with its base chains on first use
//! and recorded (written ahead where it outlives the lab), so teardown
//! deletes exactly it (a table of that name that lacks the run's mark is
//! left alone). Every rule goes in it; tables others own are never
//! changed.

use super::{Op, exec_prefix, q};
use crate::error::{Error, Kind, Result};
use crate::lab::Object;
use crate::ns::Ns;
use crate::sys::nft;

/// The base chains of a lab's table: NAT before and after routing (and
/// for the namespace's own traffic), and filtering of what it forwards and
/// what it receives. Policies accept until the script says otherwise.
const CHAINS: &[(&str, &str)] = &[
    (
        "prerouting",
        "type nat hook prerouting priority dstnat; policy accept;",
    ),
    (
        "output",
        "type nat hook output priority -100; policy accept;",
    ),
    (
        "postrouting",
        "type nat hook postrouting priority srcnat; policy accept;",
    ),
    (
        "forward",
        "type filter hook forward priority filter; policy accept;",
    ),
    (
        "input",
        "type filter hook input priority filter; policy accept;",
    ),
];

/// "inet netscript_LAB": lab `name`'s table, as nft names it. A name nft
/// would not take as it is gets its odd bytes replaced and a hash of the
/// name added after a `.` (which a name taken as it is never has), so two
/// labs never share a table.
pub fn table_of(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        return format!("inet netscript_{name}");
    }
    let safe: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(64)
        .collect();
    // FNV-1a: stable across runs and machines.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("inet netscript_{safe}.{:08x}", hash as u32)
}

impl Op<'_> {
    /// The lab's table (`table_of`).
    pub fn table(&self) -> String {
        table_of(&self.lab.name)
    }

    /// Run the commands `build` writes for the lab's table in `ns`, one
    /// transaction; the first in a namespace also makes the table and its
    /// chains, so a call that fails leaves nothing, not even the table.
    pub(super) fn apply(&self, ns: &Ns, build: impl FnOnce(&str) -> Vec<String>) -> Result<()> {
        let table = self.table();
        let id = ns.id();
        let made = self.lab.any(|o| {
            matches!(o, Object::NftTable { ns: n, ns_id, table: t, .. } if n == ns.name() && *ns_id == id && *t == table)
        });
        let file = ns.open()?;
        let mut commands = Vec::new();
        let mut record = None;
        if !made {
            if nft::run(&file, &format!("list table {table}")).is_ok() {
                let e = Error::new(
                    Kind::Exists,
                    format!("make table {table}"),
                    format!("namespace \"{}\" has it already", ns.name()),
                );
                return Err(e.with_help(format!(
                    "another run of this lab made it, or someone else did: `netscript down {}` removes a lab's, `nft delete table {table}` any",
                    self.lab.name
                )));
            }
            // `create` fails if someone made the table meanwhile; the
            // comment marks it as this run's for teardown.
            let nonce = nonce();
            commands.push(format!(
                "create table {table} {{ comment \"netscript {nonce}\"; }}"
            ));
            commands.extend(
                CHAINS
                    .iter()
                    .map(|(name, spec)| format!("add chain {table} {name} {{ {spec} }}")),
            );
            record = Some(Object::NftTable {
                ns: ns.name().to_string(),
                ns_id: id,
                table: table.clone(),
                nonce,
            });
        }
        commands.extend(build(&table));
        let intents: Vec<Object> = record
            .iter()
            .filter(|_| self.outlives(ns))
            .cloned()
            .collect();
        self.ahead(&intents, || {
            nft::run(&file, &commands.join("\n")).map_err(|e| e.in_netns(ns.name()))
        })?;
        for c in &commands {
            self.change(|| format!("{}nft {}", exec_prefix(ns), q(c)));
        }
        record.map_or(Ok(()), |r| self.lab.created(r))
    }

    /// `nft chain inet netscript_LAB CHAIN { policy POLICY; }`.
    pub(super) fn nft_policy(&self, ns: &Ns, chain: &str, policy: &str) -> Result<()> {
        self.apply(ns, |table| {
            vec![format!("chain {table} {chain} {{ policy {policy}; }}")]
        })
    }

    /// nft text loaded into the lab's table: `table inet netscript_LAB {
    /// TEXT }`, one transaction. Text that would close that block (and so
    /// reach other tables) or include files is refused before nft sees it.
    pub fn nft_text(&self, ns: &Ns, text: &str) -> Result<()> {
        confined(text)?;
        self.apply(ns, |table| vec![format!("table {table} {{\n{text}\n}}")])
    }

    /// The lab's table in `ns` as `nft -a list table` prints it; "" when
    /// the lab has none there.
    pub fn nft_list(&self, ns: &Ns) -> Result<String> {
        let table = self.table();
        self.look(|| format!("{}nft -a list table {table}", exec_prefix(ns)));
        self.listing(ns)
    }

    /// `nft_list` without a trace, for the operations' own reading.
    pub(super) fn listing(&self, ns: &Ns) -> Result<String> {
        let table = self.table();
        match nft::run(&ns.open()?, &format!("list table {table}")) {
            Ok(text) => Ok(text),
            Err(e) if e.kind == Kind::NotFound => Ok(String::new()),
            Err(e) => Err(e.in_netns(ns.name())),
        }
    }
}

/// A mark no other run's table has: this process and the time.
fn nonce() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{}", std::process::id(), now.as_nanos())
}

/// Refuse nft text that would leave the lab's table: a `}` that closes
/// it, or an `include`. Strings ("...") and comments (# ...) are skipped.
fn confined(text: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::invalid("load nft text into the lab's table", why)
            .with_help("write what goes inside the table: chains, sets, rules (`chain forward { tcp dport 22 drop }`)"))
    };
    let (mut depth, mut in_string, mut comment, mut word) = (0i32, false, false, String::new());
    for c in text.chars() {
        if comment {
            comment = c != '\n';
            continue;
        }
        if in_string {
            in_string = c != '"';
            continue;
        }
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if word == "include" {
            return bad("`include` could load another table");
        }
        word.clear();
        match c {
            '"' => in_string = true,
            '#' => comment = true,
            '{' => depth += 1,
            '}' if depth == 0 => return bad("a `}` would close the lab's table"),
            '}' => depth -= 1,
            _ => {}
        }
    }
    if word == "include" {
        return bad("`include` could load another table");
    }
    if depth != 0 || in_string {
        return bad("a `{` or a `\"` is not closed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_stays_inside_the_lab_table() {
        assert!(confined("chain forward { tcp dport 22 drop }").is_ok());
        assert!(confined("chain c { comment \"}\" ; } # } in a comment").is_ok());
        assert!(confined("} table ip filter { chain x { } ").is_err());
        assert!(confined("chain c { }\n}").is_err());
        assert!(confined("include \"/etc/nftables.conf\"").is_err());
        assert!(confined("chain c {").is_err());
        assert!(confined("set s { type ipv4_addr; elements = { 10.0.0.1 } }").is_ok());
    }
}
