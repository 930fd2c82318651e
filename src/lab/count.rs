//! How many objects a run has made so far, readable from another thread
//! (the progress line of a long build, `progress.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};

use super::Object;

#[derive(Default)]
pub struct Counts {
    netns: AtomicUsize,
    links: AtomicUsize,
    all: AtomicUsize,
}

impl Counts {
    pub(super) fn made(&self, o: &Object) {
        match o {
            Object::Netns { .. } => &self.netns,
            Object::Link { .. } => &self.links,
            _ => &self.all,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    /// Namespaces, links, and everything (those two included) made so far.
    pub fn now(&self) -> (usize, usize, usize) {
        let netns = self.netns.load(Ordering::Relaxed);
        let links = self.links.load(Ordering::Relaxed);
        (
            netns,
            links,
            netns + links + self.all.load(Ordering::Relaxed),
        )
    }
}
