//! A plain HTTP/1.0 GET from a socket opened inside a namespace: `curl
//! http://localhost` without needing curl in the namespace's view.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::error::{Error, Kind, Result};
use crate::sys::netns_fs;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// (addresses to try, Host header, path) of "http://HOST[:PORT][/PATH]".
fn parse(url: &str) -> Result<(Vec<SocketAddr>, String, String)> {
    let action = format!("fetch {url:?}");
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        let reason = if url.starts_with("https://") {
            "https needs TLS, which netscript does not speak"
        } else {
            "the URL does not start with http://"
        };
        Error::invalid(action.clone(), reason)
            .with_help("fetch a plain http:// URL, e.g. http://10.0.0.1:8080/")
    })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| Error::invalid(action.clone(), "an unclosed '[' in the host"))?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port: u16 = match port {
        None => 80,
        Some(p) => p
            .parse()
            .map_err(|_| Error::invalid(action.clone(), format!("{p:?} is not a port number")))?,
    };
    let addrs: Vec<IpAddr> = if host == "localhost" {
        vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()]
    } else {
        vec![host.parse().map_err(|_| {
            Error::invalid(action.clone(), format!("{host:?} is not an IP address"))
                .with_help("netscript does not look up names: use an address, or localhost")
        })?]
    };
    Ok((
        addrs
            .into_iter()
            .map(|ip| SocketAddr::new(ip, port))
            .collect(),
        authority.to_string(),
        path.to_string(),
    ))
}

/// GET `url` from inside namespace `ns`, waiting at most `timeout`.
pub fn get(ns: &File, url: &str, timeout: Duration) -> Result<Response> {
    let (addrs, host, path) = parse(url)?;
    let action = format!("fetch {url}");
    let got = netns_fs::run_in(ns, || -> std::io::Result<Vec<u8>> {
        let mut last = std::io::Error::other("no address to connect to");
        for addr in &addrs {
            match TcpStream::connect_timeout(addr, timeout) {
                Ok(mut stream) => {
                    stream.set_read_timeout(Some(SLICE))?;
                    stream.set_write_timeout(Some(timeout))?;
                    let request = format!(
                        "GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: netscript/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
                        env!("CARGO_PKG_VERSION")
                    );
                    stream.write_all(request.as_bytes())?;
                    return read_answer(&mut stream, Instant::now() + timeout);
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    })?;
    let raw = got.map_err(|e| match e.kind() {
        std::io::ErrorKind::Interrupted => Error::new(Kind::Timeout, action.clone(), "interrupted"),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => Error::new(
            Kind::Timeout,
            action.clone(),
            format!("no answer within {} s", timeout.as_secs_f64()),
        ),
        _ => Error::from_io(action.clone(), &e),
    })?;
    parse_response(&raw).ok_or_else(|| Error::new(Kind::Os, action, "the answer is not HTTP"))
}

/// How long one read waits before Ctrl-C and the deadline are looked at.
const SLICE: Duration = Duration::from_millis(100);

/// The most of an answer that is kept.
const MOST: usize = 16 << 20;

/// Read the whole answer by `deadline` (a server that sends a byte now and
/// then cannot hold the script past it), stopping at Ctrl-C.
fn read_answer(stream: &mut TcpStream, deadline: Instant) -> std::io::Result<Vec<u8>> {
    use std::io::ErrorKind::{Interrupted, TimedOut, WouldBlock};
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(buf),
            Ok(n) => buf.extend_from_slice(&chunk[..n.min(MOST - buf.len())]),
            Err(e) if matches!(e.kind(), WouldBlock | TimedOut | Interrupted) => {}
            Err(e) => return Err(e),
        }
        if buf.len() >= MOST {
            return Ok(buf);
        }
        if crate::interrupt::requested() {
            return Err(std::io::Error::from(Interrupted));
        }
        if Instant::now() >= deadline {
            return Err(std::io::Error::from(TimedOut));
        }
    }
}

fn parse_response(raw: &[u8]) -> Option<Response> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .or_else(|| text.split_once("\n\n"))?;
    let mut lines = head.lines();
    let status_line = lines.next()?;
    if !status_line.starts_with("HTTP/") {
        return None;
    }
    let status = status_line.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect();
    Some(Response {
        status,
        headers,
        body: body.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let (addrs, host, path) = parse("http://10.0.0.1:8080/x?y=1").unwrap();
        assert_eq!(
            (addrs[0].to_string(), host.as_str(), path.as_str()),
            ("10.0.0.1:8080".into(), "10.0.0.1:8080", "/x?y=1")
        );
        let (addrs, _, path) = parse("http://localhost").unwrap();
        assert_eq!((addrs.len(), addrs[0].port(), path.as_str()), (2, 80, "/"));
        assert_eq!(
            parse("http://[2001:db8::1]:81/").unwrap().0[0].to_string(),
            "[2001:db8::1]:81"
        );
        assert!(parse("https://x/").is_err());
        assert!(
            parse("http://example.com/")
                .unwrap_err()
                .help
                .unwrap()
                .contains("does not look up names")
        );
    }

    #[test]
    fn responses() {
        let r =
            parse_response(b"HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\n\r\n<h1>no</h1>")
                .unwrap();
        assert_eq!((r.status, r.body.as_str()), (404, "<h1>no</h1>"));
        assert_eq!(
            r.headers,
            vec![("content-type".to_string(), "text/html".to_string())]
        );
        assert!(parse_response(b"SSH-2.0-OpenSSH\r\n").is_none());
    }
}
