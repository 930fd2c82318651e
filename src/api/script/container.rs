//! The `container` module: container engines on the machine.

use rhai::INT;
use rhai::plugin::*;

use crate::api::convert::{RhaiResultOf, raise};

#[export_module]
pub mod container_module {
    use super::*;

    /// The PID of a running container, asked of the container engine on the
    /// machine (Docker, then Podman). Fails with kind "not_found" when no engine
    /// is installed, no container has that name, or it is not running, and
    /// with kind "permission" inside a sandbox: containers are outside it,
    /// and a sandbox cannot reach a namespace outside it.
    ///
    /// `docker inspect --format '{{.State.Pid}}' NAME`
    ///
    /// ```rhai
    /// try { container::pid("-v"); } catch (e) { print(e.kind); }   // invalid
    /// ```
    #[rhai_fn(volatile, return_raw)]
    pub fn pid(ctx: NativeCallContext, name: &str) -> RhaiResultOf<INT> {
        let pid = crate::sys::container::pid(name).map_err(|e| raise(&ctx, e))?;
        Ok(pid as INT)
    }
}
