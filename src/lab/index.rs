//! What a run's objects make, looked up by key: the links it made (and
//! the other ends of its veths) and the namespaces it made. Every
//! operation asks whether its link or namespace is the lab's; a search
//! of the objects would make a lab of N objects cost N² comparisons.

use std::collections::HashMap;

use super::Object;

/// How many records name each link and each namespace.
#[derive(Default)]
pub struct Index {
    links: HashMap<(String, u32), usize>,
    netns: HashMap<String, usize>,
}

impl Index {
    pub fn add(&mut self, o: &Object) {
        let (links, netns) = keys(o);
        for key in links {
            *self.links.entry(key).or_default() += 1;
        }
        if let Some(name) = netns {
            *self.netns.entry(name).or_default() += 1;
        }
    }

    pub fn remove(&mut self, o: &Object) {
        let (links, netns) = keys(o);
        for key in links {
            forget(&mut self.links, key);
        }
        if let Some(name) = netns {
            forget(&mut self.netns, name);
        }
    }

    pub fn clear(&mut self) {
        *self = Index::default();
    }

    /// Whether a record is of link `index` of `ns`, or of a veth whose
    /// other end it is.
    pub fn has_link(&self, ns: &str, index: u32) -> bool {
        self.links.contains_key(&(ns.to_string(), index))
    }

    pub fn has_netns(&self, name: &str) -> bool {
        self.netns.contains_key(name)
    }
}

fn forget<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, usize>, key: K) {
    if let Some(n) = counts.get_mut(&key) {
        *n -= 1;
        if *n == 0 {
            counts.remove(&key);
        }
    }
}

/// The links (itself, a veth's other end) and the namespace a record is of.
fn keys(o: &Object) -> (Vec<(String, u32)>, Option<String>) {
    match o {
        Object::Link {
            ns, index, peer, ..
        } => {
            let mut links = vec![(ns.clone(), *index)];
            links.extend(peer.as_ref().map(|p| (p.ns.clone(), p.index)));
            (links, None)
        }
        Object::Netns { name, .. } => (Vec::new(), Some(name.clone())),
        _ => (Vec::new(), None),
    }
}
