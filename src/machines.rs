//! Which machine a run builds on, and the other machines of a lab that
//! spans several: `--machine NAME` (default: this machine's hostname) and
//! `--machines FILE`, a JSON object of machine names and underlay
//! addresses (`{"a": "192.0.2.1", "b": "192.0.2.2"}`, also under a
//! `"machines"` key), or what `ansible-inventory --list` prints (each
//! host's `netscript_underlay` variable, else its `ansible_host`).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};

/// This machine's name, and every machine's underlay address by name
/// (empty without `--machines`).
#[derive(Clone, Debug, Default)]
pub struct Machines {
    pub this: String,
    pub all: BTreeMap<String, IpAddr>,
}

impl Machines {
    /// Only this machine, named for its hostname.
    pub fn here() -> Machines {
        Machines {
            this: hostname(),
            all: BTreeMap::new(),
        }
    }
}

/// The machines a run was given: `name` (else the hostname) and the file.
pub fn load(name: Option<&str>, file: Option<&Path>) -> Result<Machines> {
    let this = name.map_or_else(hostname, str::to_string);
    if this.is_empty() || this.chars().any(char::is_control) {
        return Err(Error::invalid(
            format!("use {this:?} as this machine's name"),
            "a machine's name is a word",
        ));
    }
    let Some(file) = file else {
        return Ok(Machines {
            this,
            all: BTreeMap::new(),
        });
    };
    let action = format!("read the machines from {}", file.display());
    let text = std::fs::read_to_string(file).map_err(|e| Error::from_io(action.clone(), &e))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| Error::invalid(action.clone(), format!("not JSON: {e}")))?;
    let all = parse(&doc).map_err(|why| {
        Error::invalid(action.clone(), why).with_help(
            "give a JSON object of names and underlay addresses: {\"a\": \"192.0.2.1\", \
             \"b\": \"192.0.2.2\"}, or what ansible-inventory --list prints",
        )
    })?;
    if !all.contains_key(&this) {
        let names: Vec<&str> = all.keys().map(String::as_str).collect();
        return Err(Error::invalid(
            action,
            format!("this machine, {this:?}, is not one of them"),
        )
        .with_help(format!(
            "name it with --machine NAME, one of: {}",
            names.join(", ")
        )));
    }
    Ok(Machines { this, all })
}

/// Names and addresses from a machines file, plain or as Ansible writes it.
fn parse(doc: &Value) -> std::result::Result<BTreeMap<String, IpAddr>, String> {
    let plain = doc.get("machines").unwrap_or(doc);
    let hosts = match doc.pointer("/_meta/hostvars") {
        Some(Value::Object(vars)) => vars
            .iter()
            .map(|(name, v)| {
                let addr = v
                    .get("netscript_underlay")
                    .or_else(|| v.get("ansible_host"));
                (name.clone(), addr.cloned().unwrap_or(Value::Null))
            })
            .collect(),
        _ => match plain {
            Value::Object(map) => map.clone().into_iter().collect::<Vec<_>>(),
            _ => return Err("it is not an object of machines".into()),
        },
    };
    let mut all = BTreeMap::new();
    for (name, addr) in hosts {
        let Some(text) = addr.as_str() else {
            return Err(format!("machine {name:?} has no underlay address"));
        };
        let ip: IpAddr = text
            .parse()
            .map_err(|_| format!("machine {name:?}: {text:?} is not an address"))?;
        all.insert(name, ip);
    }
    if all.is_empty() {
        return Err("it names no machine".into());
    }
    Ok(all)
}

/// This machine's hostname (`uname -n`).
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn plain_and_ansible_files() {
        let plain = super::parse(&json!({ "a": "192.0.2.1", "b": "2001:db8::2" })).unwrap();
        assert_eq!(plain.len(), 2);
        assert_eq!(plain["b"].to_string(), "2001:db8::2");
        let nested = super::parse(&json!({ "machines": { "a": "192.0.2.1" } })).unwrap();
        assert_eq!(nested.keys().collect::<Vec<_>>(), ["a"]);
        let ansible = json!({
            "_meta": { "hostvars": {
                "a": { "ansible_host": "198.51.100.1", "netscript_underlay": "192.0.2.1" },
                "b": { "ansible_host": "192.0.2.2" },
            }},
            "all": { "children": ["ungrouped"] },
        });
        let from_ansible = super::parse(&ansible).unwrap();
        assert_eq!(from_ansible["a"].to_string(), "192.0.2.1");
        assert_eq!(from_ansible["b"].to_string(), "192.0.2.2");
        assert!(
            super::parse(&json!({ "a": "nowhere" }))
                .unwrap_err()
                .contains("not an address")
        );
        assert!(
            super::parse(&json!({ "a": 7 }))
                .unwrap_err()
                .contains("no underlay")
        );
        assert!(super::parse(&json!([])).is_err());
        assert!(super::parse(&json!({})).is_err());
    }
}
