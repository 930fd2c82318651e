//! A netlink connection and how one is opened, in the namespace where its
//! socket lives.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rtnetlink::Handle;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::sys::netns_fs::NsId;

/// A live rtnetlink connection whose socket was opened inside `id`.
pub(super) struct Conn {
    pub handle: Handle,
    pub id: NsId,
    pub task: JoinHandle<()>,
}

pub(super) type Opened = Result<(
    rtnetlink::proto::Connection<rtnetlink::packet_route::RouteNetlinkMessage>,
    Handle,
)>;

/// What a new lab namespace gets, run inside it: the lab's sysctl
/// defaults (IPv6 on or off, as `ipv6` says when it runs), `lo` up, and
/// the netlink socket it will be driven through; with whether IPv6 is on.
pub(super) fn lab_namespace(
    rt: tokio::runtime::Handle,
    ipv6: Arc<AtomicBool>,
) -> impl Fn() -> (bool, Opened) + Send + 'static {
    move || {
        let v6 = ipv6.load(Ordering::SeqCst);
        let opened = crate::sys::sysctl::lab_defaults_here(v6)
            .map_err(|e| Error::from_io("turn IPv6 off", &e))
            .and_then(|()| {
                crate::sys::loopback::up_here().map_err(|e| Error::from_io("bring up lo", &e))
            })
            .and_then(|()| open_socket(&rt));
        (v6, opened)
    }
}

pub(super) fn open_socket(rt: &tokio::runtime::Handle) -> Opened {
    let _guard = rt.enter();
    let (connection, handle, _) =
        rtnetlink::new_connection().map_err(|e| Error::from_io("open a netlink socket", &e))?;
    Ok((connection, handle))
}
