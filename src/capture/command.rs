//! `netscript capture NS/LINK... [-w FILE|-] [-c COUNT] [--seconds S]
//! [FILTER]`: one line per packet, or pcapng to a file or stdout.

use std::io::Write;
use std::time::{Duration, Instant};

use super::pcapng::Pcapng;
use super::{Limits, Source};
use crate::error::{Error, Result};
use crate::exit::Exit;
use crate::netlink::Netlink;
use crate::sys::capture::Frame;

/// Where each packet goes: a pcapng file, or a line on stdout.
type Sink<'a> = Box<dyn FnMut(usize, &Frame) -> Result<()> + 'a>;

/// What `netscript capture` was asked.
pub struct Request<'a> {
    /// The links (NS/LINK), then the filter's words.
    pub args: &'a [String],
    pub write: Option<&'a str>,
    /// A JSON object per packet (JSON Lines) instead of a line of text.
    pub json: bool,
    pub limits: Limits,
}

pub fn run(req: &Request) -> Exit {
    match capture(req) {
        Ok(n) => {
            crate::say!("{n} packet{} captured", if n == 1 { "" } else { "s" });
            Exit::Ok
        }
        Err(e) => crate::exit::fail_with(&e),
    }
}

fn capture(req: &Request) -> Result<usize> {
    let split = req.args.iter().take_while(|a| a.contains('/')).count();
    let (links, words) = req.args.split_at(split);
    if links.is_empty() {
        return Err(Error::invalid(
            "capture",
            "name the links first, as NS/LINK (host/br0 for the namespace netscript runs in)",
        )
        .with_help("netscript capture h1/eth0 [more links] [-w FILE] [FILTER]"));
    }
    let filter = words.join(" ");
    let program = if filter.is_empty() {
        Vec::new()
    } else {
        crate::sys::bpf::compile(&filter)?
    };
    let net = Netlink::new()?;
    let sources = links
        .iter()
        .map(|l| super::open_named(&net, l, &program))
        .collect::<Result<Vec<Source>>>()?;
    let mut reader = super::Reader::new(sources);
    let names = reader.names();
    crate::interrupt::install();
    let mut sink: Sink = match req.write {
        Some(path) => {
            let out: Box<dyn Write> = if path == "-" {
                Box::new(std::io::stdout())
            } else {
                Box::new(
                    std::fs::File::create(path)
                        .map_err(|e| Error::from_io(format!("create {path}"), &e))?,
                )
            };
            let mut file = Pcapng::new(out, &names)?;
            Box::new(move |link, frame| file.write(link, frame))
        }
        // Written, not println!'d: a reader that goes away (`| head`)
        // ends the capture quietly instead of a panic.
        None => Box::new(|link, frame| {
            let mut out = std::io::stdout().lock();
            let text = if req.json {
                json_line(&names[link], frame)
            } else {
                line(&names[link], frame)
            };
            writeln!(out, "{text}")
                .and_then(|()| out.flush())
                .map_err(|e| Error::from_io("print a packet", &e))
        }),
    };
    if req.write != Some("-") {
        crate::say!(
            "netscript: capturing on {} (Ctrl-C stops)",
            names.join(", ")
        );
    }
    let began = Instant::now();
    let mut count = 0;
    while req.limits.count.is_none_or(|c| count < c)
        && req.limits.seconds.is_none_or(|s| began.elapsed() < s)
        && !crate::interrupt::requested()
    {
        for name in reader.newly_gone() {
            crate::say!("netscript: {name} is gone: no more packets from it");
        }
        if reader.all_gone() {
            break;
        }
        if let Some((link, frame)) = reader.next(Duration::from_millis(100)) {
            match sink(link, &frame) {
                Ok(()) => count += 1,
                // Nobody reads any more (`| head`): stop quietly.
                Err(e) if e.errno == Some(libc::EPIPE) => break,
                Err(e) => return Err(e),
            }
        }
    }
    Ok(count)
}

/// "12:00:01.123456 h1/eth0 out 10.0.0.1 > 10.0.0.2: ICMP echo request,
/// id 7, seq 1, length 98", times in UTC.
fn line(link: &str, frame: &Frame) -> String {
    let secs = frame.time.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:06} {link} {} {}, length {}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        frame.time.subsec_micros(),
        if frame.outgoing { "out" } else { "in " },
        super::decode::decode(&frame.data).text,
        frame.length
    )
}

/// A packet as one JSON object (schema in docs/operate.md): the fields
/// `l.capture()` gives a script, the time as Unix seconds.
fn json_line(link: &str, frame: &Frame) -> String {
    let s = super::decode::decode(&frame.data);
    serde_json::json!({
        "time": frame.time.as_secs_f64(),
        "link": link,
        "direction": if frame.outgoing { "out" } else { "in" },
        "length": frame.length,
        "protocol": s.protocol,
        "src": s.src,
        "dst": s.dst,
        "summary": s.text,
    })
    .to_string()
}
