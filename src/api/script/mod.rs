//! The script modules (`netns::`, `link::`, `bridge::`, ...), one file per
//! module name.

pub(super) mod bridge;
pub(super) mod link;
pub(super) mod netns;
