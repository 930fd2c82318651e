//! One netlink request, answered with its messages or an errno.

use futures::StreamExt;
use rtnetlink::Handle;
use rtnetlink::packet_core::{
    NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_DUMP, NLM_F_ECHO, NLM_F_EXCL, NLM_F_REPLACE,
    NLM_F_REQUEST, NetlinkMessage, NetlinkPayload,
};
use rtnetlink::packet_route::RouteNetlinkMessage;

/// Flags for a request that creates something and fails if it exists.
pub const CREATE: u16 = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
/// Flags for a create that also asks for the new object back (the kernel
/// sends its notification to the requester too), which saves reading it
/// afterwards. Kernels before 6.3 ignore the flag for links.
pub const CREATE_ECHO: u16 = CREATE | NLM_F_ECHO;
/// Flags for a create that takes the place of what is there.
pub const REPLACE: u16 = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
/// Flags for adding one more of a kind (a VXLAN's remotes for one MAC).
pub const APPEND: u16 = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND;
/// Flags for a request that changes or deletes something.
pub const CHANGE: u16 = NLM_F_REQUEST | NLM_F_ACK;
/// Flags for a dump.
pub const DUMP: u16 = NLM_F_REQUEST | NLM_F_DUMP;
/// Flags for a get of one object.
pub const GET: u16 = NLM_F_REQUEST;

/// How long a request may wait for the kernel's answer. The kernel drops
/// an answer to a full socket (and flags ENOBUFS on it) instead of
/// blocking, so a lost answer must end in an error, not a hang.
const NO_ANSWER: std::time::Duration = std::time::Duration::from_secs(60);

/// Send `msg` and collect the answers; a NACK becomes its errno. A read,
/// change or delete not answered within [`NO_ANSWER`] becomes ETIMEDOUT.
/// A create waits on: given up on, it could still be made afterwards,
/// unrecorded, and outlive the lab.
pub async fn send(
    handle: &Handle,
    msg: RouteNetlinkMessage,
    flags: u16,
) -> Result<Vec<RouteNetlinkMessage>, i32> {
    send_within(handle, msg, flags, NO_ANSWER).await
}

async fn send_within(
    handle: &Handle,
    msg: RouteNetlinkMessage,
    flags: u16,
    no_answer: std::time::Duration,
) -> Result<Vec<RouteNetlinkMessage>, i32> {
    if flags & NLM_F_CREATE != 0 {
        return exchange(handle, msg, flags).await;
    }
    tokio::time::timeout(no_answer, exchange(handle, msg, flags))
        .await
        .unwrap_or(Err(libc::ETIMEDOUT))
}

async fn exchange(
    handle: &Handle,
    msg: RouteNetlinkMessage,
    flags: u16,
) -> Result<Vec<RouteNetlinkMessage>, i32> {
    let mut req = NetlinkMessage::from(msg);
    req.header.flags = flags;
    let mut handle = handle.clone();
    let mut stream = handle.request(req).map_err(|_| libc::EIO)?;
    let mut out = Vec::new();
    while let Some(reply) = stream.next().await {
        match reply.payload {
            NetlinkPayload::InnerMessage(m) => out.push(m),
            NetlinkPayload::Error(e) => match e.code {
                Some(code) => return Err(-code.get()),
                None => break,
            },
            NetlinkPayload::Done(_) => break,
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtnetlink::packet_route::link::LinkMessage;

    /// A connection nobody drives never answers, like a kernel whose
    /// answer was dropped: the request ends in ETIMEDOUT, not a hang.
    #[test]
    fn an_unanswered_request_times_out() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (_connection, handle, _) = rtnetlink::new_connection().unwrap();
            let asked = send_within(
                &handle,
                RouteNetlinkMessage::GetLink(LinkMessage::default()),
                DUMP,
                std::time::Duration::from_millis(50),
            );
            assert_eq!(asked.await.err(), Some(libc::ETIMEDOUT));
        });
    }
}
