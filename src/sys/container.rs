//! Asking the container engine on the machine (Docker, then Podman) for
//! the PID of a running container, as `docker inspect` does.

use std::process::Command;

use crate::error::{Error, Result};

const ENGINES: &[&str] = &["docker", "podman"];

pub fn pid(name: &str) -> Result<u32> {
    let action = format!("find the PID of container \"{name}\"");
    crate::sys::privileges::unconfined(&action)?;
    // Docker's and podman's rule for names (IDs fit it too). It also keeps
    // a name from reaching `inspect` as an option ("--help").
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !valid {
        return Err(Error::invalid(
            action,
            "a container name is letters, digits, '_', '.' and '-', starting with a letter or digit",
        )
        .with_help("`docker ps` lists the names")
        .about(name));
    }
    if crate::sys::world::current().is_some() {
        return Err(Error::new(
            crate::error::Kind::Permission,
            action,
            "containers run outside the sandbox, and a sandbox cannot reach a namespace outside it",
        )
        .with_help(
            "run the lab on the machine to wire containers into it (sudo netscript FILE), \
             or start the program inside the lab (ns.spawn)",
        )
        .about(name));
    }
    let mut asked = Vec::new();
    let mut reasons = Vec::new();
    for engine in ENGINES {
        let out = match Command::new(engine)
            .args([
                "inspect",
                "--type",
                "container",
                "--format",
                "{{.State.Pid}}",
                name,
            ])
            .output()
        {
            Ok(out) => out,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::from_io(action, &e)),
        };
        asked.push(*engine);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            return match stdout.trim().parse::<u32>() {
                Ok(0) => Err(Error::not_found(
                    action,
                    format!("{engine} says container \"{name}\" is not running"),
                )
                .with_help(format!("start it: {engine} start {name}"))),
                Ok(pid) => Ok(pid),
                Err(_) => Err(Error::invalid(
                    action,
                    format!("{engine} answered {:?}", stdout.trim()),
                )),
            };
        }
        reasons.push(format!(
            "{engine}: {}",
            stderr.trim().lines().last().unwrap_or("failed")
        ));
    }
    if asked.is_empty() {
        return Err(Error::not_found(
            action,
            "no container engine (docker or podman) is installed",
        )
        .with_help("give the PID instead: netns::attach(NAME, PID)"));
    }
    Err(Error::not_found(
        action,
        format!("no running container of that name ({})", reasons.join("; ")),
    )
    .with_help(format!("list them with `{} ps`", asked[0])))
}
