//! The script modules (`netns::`, `link::`, `bridge::`, ...), one file per
//! module name, and the functions found without a prefix (`control`).

pub(super) mod addr;
pub(super) mod bridge;
pub(super) mod container;
pub(super) mod control;
pub(super) mod lab;
pub(super) mod link;
pub(super) mod netns;
