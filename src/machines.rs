//! Which machine a run builds on, and the other machines of a lab that
//! spans several: `--machine NAME` (default: this machine's hostname) and
//! `--machines FILE`, a JSON or YAML object of machine names and underlay
//! addresses (`{"a": "192.0.2.1", "b": "192.0.2.2"}`, also under a
//! `"machines"` key), an Ansible inventory in YAML, or what
//! `ansible-inventory --list` prints (each host's `netscript_underlay`
//! variable, else its `ansible_host`).

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
    let text = read_small(file).map_err(|e| Error::from_io(action.clone(), &e))?;
    let doc = read_doc(&text).map_err(|why| Error::invalid(action.clone(), why))?;
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

/// A machines file is small: more than 1 MiB (or a device that never
/// ends, /dev/zero) is refused rather than read.
fn read_small(file: &Path) -> std::io::Result<String> {
    use std::io::Read;
    const LIMIT: u64 = 1 << 20;
    let mut text = String::new();
    std::fs::File::open(file)?
        .take(LIMIT + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > LIMIT {
        return Err(std::io::Error::other(
            "it is over 1 MiB: not a machines file",
        ));
    }
    Ok(text)
}

/// The file as JSON, or as YAML (which Ansible's inventories often are;
/// read with yaml-rust2, made JSON).
fn read_doc(text: &str) -> std::result::Result<Value, String> {
    let json_error = match serde_json::from_str(text) {
        Ok(doc) => return Ok(doc),
        Err(e) => e,
    };
    refuse_hostile_yaml(text)?;
    match yaml_rust2::YamlLoader::load_from_str(text) {
        Ok(docs) if docs.len() == 1 => Ok(yaml_to_json(&docs[0])),
        _ => Err(format!("neither JSON ({json_error}) nor YAML")),
    }
}

/// Before a YAML text is loaded, its events are read one by one (the
/// loader and our conversion recurse): aliases are refused (the loader
/// copies what they name, so a few lines of them ask for gigabytes), and
/// so is nesting deeper than a machines file needs (a deep one would
/// overflow the stack).
fn refuse_hostile_yaml(text: &str) -> std::result::Result<(), String> {
    use yaml_rust2::Event;
    const DEEPEST: usize = 64;
    let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
    let mut depth = 0usize;
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) | Err(_) => return Ok(()),
            Ok((Event::Alias(_), _)) => {
                return Err("YAML aliases (*name) are not read in a machines file".into());
            }
            Ok((Event::SequenceStart(..) | Event::MappingStart(..), _)) => {
                depth += 1;
                if depth > DEEPEST {
                    return Err(format!("it nests deeper than {DEEPEST} levels"));
                }
            }
            Ok((Event::SequenceEnd | Event::MappingEnd, _)) => depth = depth.saturating_sub(1),
            Ok(_) => {}
        }
    }
}

fn yaml_to_json(y: &yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match y {
        Yaml::Real(s) | Yaml::String(s) => Value::String(s.clone()),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(items) => Value::Array(items.iter().map(yaml_to_json).collect()),
        Yaml::Hash(map) => Value::Object(
            map.iter()
                .filter_map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) | Yaml::Real(s) => s.clone(),
                        Yaml::Integer(i) => i.to_string(),
                        Yaml::Boolean(b) => b.to_string(),
                        _ => return None,
                    };
                    Some((key, yaml_to_json(v)))
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// A host's underlay address among its Ansible variables.
fn address_in(vars: &Value) -> Value {
    vars.get("netscript_underlay")
        .or_else(|| vars.get("ansible_host"))
        .cloned()
        .unwrap_or(Value::Null)
}

/// The hosts of an inventory group and of the groups in it (Ansible's
/// YAML inventory: `all: {hosts: {a: {ansible_host: ...}}, children:
/// {...}}`).
fn inventory_hosts(group: &Value, out: &mut Vec<(String, Value)>) {
    if let Some(Value::Object(hosts)) = group.get("hosts") {
        for (name, vars) in hosts {
            if !out.iter().any(|(n, _)| n == name) {
                // As Ansible: a host without an address is reached by its name.
                let addr = match address_in(vars) {
                    Value::Null => Value::String(name.clone()),
                    addr => addr,
                };
                out.push((name.clone(), addr));
            }
        }
    }
    if let Some(Value::Object(children)) = group.get("children") {
        for child in children.values() {
            inventory_hosts(child, out);
        }
    }
}

/// Names and addresses from a machines file, plain or as Ansible writes it.
fn parse(doc: &Value) -> std::result::Result<BTreeMap<String, IpAddr>, String> {
    let plain = doc.get("machines").unwrap_or(doc);
    let hosts = match (doc.pointer("/_meta/hostvars"), doc.get("all")) {
        (Some(Value::Object(vars)), _) => vars
            .iter()
            .map(|(name, v)| (name.clone(), address_in(v)))
            .collect(),
        (_, Some(all)) if all.is_object() => {
            let mut out = Vec::new();
            inventory_hosts(all, &mut out);
            out
        }
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
        // Ansible's YAML inventory, groups in groups
        let yaml = "all:\n  hosts:\n    a:\n      ansible_host: 192.0.2.1\n  children:\n    far:\n      hosts:\n        b:\n          netscript_underlay: 192.0.2.2\n          ansible_host: 203.0.113.2\n";
        let doc = super::read_doc(yaml).unwrap();
        let from_yaml = super::parse(&doc).unwrap();
        assert_eq!(from_yaml["a"].to_string(), "192.0.2.1");
        assert_eq!(from_yaml["b"].to_string(), "192.0.2.2");
        let plain_yaml = super::read_doc("a: 192.0.2.1\nb: 192.0.2.2\n").unwrap();
        assert_eq!(super::parse(&plain_yaml).unwrap().len(), 2);
        assert!(super::read_doc("{ not: [ closed").is_err());
        let laughs = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n";
        assert!(super::read_doc(laughs).unwrap_err().contains("aliases"));
        let deep = "- ".repeat(100_000) + "x\n";
        assert!(
            super::read_doc(&deep)
                .unwrap_err()
                .contains("deeper than 64")
        );
        // an inventory host without variables is its own address, if it is one
        let bare = super::read_doc("all:\n  hosts:\n    192.0.2.9:\n").unwrap();
        assert_eq!(
            super::parse(&bare).unwrap()["192.0.2.9"].to_string(),
            "192.0.2.9"
        );
        assert!(super::parse(&json!({})).is_err());
    }
}
