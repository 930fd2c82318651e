//! Rates, sizes and times written the way `tc` takes them.

use crate::error::{Error, Result};

/// Split "10.5mbit" into (10.5, "mbit").
fn split(text: &str) -> Option<(f64, String)> {
    let text = text.trim();
    let at = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..at].parse().ok()?;
    (number.is_finite() && number >= 0.0).then(|| (number, text[at..].to_ascii_lowercase()))
}

fn bad(what: &str, text: &str, help: &str) -> Error {
    Error::invalid(format!("use {text:?} as a {what}"), format!("not a {what}"))
        .with_help(help.to_string())
}

/// A rate in bits per second: "10mbit", "1.5gbit", "100kbit", "64000bit"
/// or a bare number (bits per second); "bps", "kbps", "mbps", "gbps" are
/// bytes per second; "kibit", "mibit", "gibit" are powers of 1024.
pub fn rate(text: &str) -> Result<u64> {
    rate_of(text).map_err(|e| e.about(text))
}

fn rate_of(text: &str) -> Result<u64> {
    let help = "write a rate like tc does: 10mbit, 1gbit, 500kbit (bits), or 1mbps (bytes)";
    let (n, unit) = split(text).ok_or_else(|| bad("rate", text, help))?;
    let factor: f64 = match unit.as_str() {
        "" | "bit" => 1.0,
        "kbit" => 1e3,
        "mbit" => 1e6,
        "gbit" => 1e9,
        "tbit" => 1e12,
        "kibit" => 1024.0,
        "mibit" => 1024.0 * 1024.0,
        "gibit" => 1024.0 * 1024.0 * 1024.0,
        "bps" => 8.0,
        "kbps" => 8e3,
        "mbps" => 8e6,
        "gbps" => 8e9,
        _ => return Err(bad("rate", text, help)),
    };
    let bits = n * factor;
    if !(8.0..=8e12).contains(&bits) {
        return Err(Error::invalid(
            format!("use {text:?} as a rate"),
            "a rate must be from 8bit to 8tbit",
        ));
    }
    Ok(bits as u64)
}

/// A size in bytes: "32kb", "1mb", "1500b" or a bare number (bytes);
/// "kbit", "mbit" are bits.
pub fn size(text: &str) -> Result<u64> {
    size_of(text).map_err(|e| e.about(text))
}

fn size_of(text: &str) -> Result<u64> {
    let help = "write a size like tc does: 32kb, 1mb, 1500 (bytes)";
    let (n, unit) = split(text).ok_or_else(|| bad("size", text, help))?;
    let factor: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1024.0,
        "m" | "mb" => 1024.0 * 1024.0,
        "g" | "gb" => 1024.0 * 1024.0 * 1024.0,
        "kbit" => 1024.0 / 8.0,
        "mbit" => 1024.0 * 1024.0 / 8.0,
        _ => return Err(bad("size", text, help)),
    };
    let bytes = n * factor;
    if !(1.0..=f64::from(u32::MAX)).contains(&bytes) {
        return Err(Error::invalid(
            format!("use {text:?} as a size"),
            "a size must be from 1 byte to 4 GiB",
        ));
    }
    Ok(bytes as u64)
}

/// A time in microseconds: "50ms", "1s", "200us" or a bare number (us).
pub fn time_us(text: &str) -> Result<u64> {
    time_us_of(text).map_err(|e| e.about(text))
}

fn time_us_of(text: &str) -> Result<u64> {
    let help = "write a time like tc does: 50ms, 1s, 200us";
    let (n, unit) = split(text).ok_or_else(|| bad("time", text, help))?;
    let factor: f64 = match unit.as_str() {
        "s" | "sec" | "secs" => 1e6,
        "ms" | "msec" | "msecs" => 1e3,
        "" | "us" | "usec" | "usecs" => 1.0,
        _ => return Err(bad("time", text, help)),
    };
    let us = n * factor;
    if us > 3.6e9 {
        return Err(Error::invalid(
            format!("use {text:?} as a time"),
            "a time must be at most an hour",
        ));
    }
    Ok(us as u64)
}

/// A percentage from 0 to 100, as `tc` reads it: "1%", "0.5%" or a bare
/// number (also a percentage: "1" is 1%).
pub fn percent(text: &str) -> Result<f64> {
    percent_of(text).map_err(|e| e.about(text))
}

fn percent_of(text: &str) -> Result<f64> {
    let help = "write a percentage like tc does: 1%, 0.5%, 100%";
    let (n, unit) = split(text).ok_or_else(|| bad("percentage", text, help))?;
    if !(unit.is_empty() || unit == "%") {
        return Err(bad("percentage", text, help));
    }
    if n > 100.0 {
        return Err(Error::invalid(
            format!("use {text:?} as a percentage"),
            "a percentage must be from 0% to 100%",
        ));
    }
    Ok(n)
}

/// A rate as `tc` prints it: "10mbit" for 10_000_000 bits per second;
/// plain bits when not round. (`bytes_per_sec`: the kernel's unit.)
pub fn rate_text(bytes_per_sec: u64) -> String {
    let bits = bytes_per_sec * 8;
    for (unit, size) in [
        ("gbit", 1_000_000_000),
        ("mbit", 1_000_000),
        ("kbit", 1_000),
    ] {
        if bits >= size && bits.is_multiple_of(size) {
            return format!("{}{unit}", bits / size);
        }
    }
    format!("{bits}bit")
}

/// A time as `tc` prints it: "20ms", "1.5ms", "500us", "2s".
pub fn time_text(ns: u64) -> String {
    let us = ns as f64 / 1000.0;
    let (value, unit) = if us >= 1e6 {
        (us / 1e6, "s")
    } else if us >= 1e3 {
        (us / 1e3, "ms")
    } else {
        (us, "us")
    };
    format!("{}{unit}", trimmed(value))
}

/// A probability (a fraction of `u32::MAX`, the kernel's unit) as a
/// percentage: "1%", "0.5%".
pub fn percent_text(p: u32) -> String {
    format!("{}%", trimmed(f64::from(p) * 100.0 / f64::from(u32::MAX)))
}

/// A number with at most 3 decimals and no trailing zeros.
fn trimmed(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_rates_and_percentages_print_like_tc() {
        assert_eq!(time_text(20_000_000), "20ms");
        assert_eq!(time_text(1_500_000), "1.5ms");
        assert_eq!(time_text(500_000), "500us");
        assert_eq!(time_text(2_000_000_000), "2s");
        assert_eq!(percent_text(u32::MAX), "100%");
        assert_eq!(
            percent_text((f64::from(u32::MAX) / 200.0).round() as u32),
            "0.5%"
        );
        assert_eq!(rate_text(1_250_000), "10mbit");
        assert_eq!(rate_text(1_000), "8kbit");
        assert_eq!(rate_text(3), "24bit");
    }

    #[test]
    fn percentages_as_tc_reads_them() {
        assert_eq!(percent("1%").unwrap(), 1.0);
        assert_eq!(percent("0.5%").unwrap(), 0.5);
        assert_eq!(percent("100").unwrap(), 100.0);
        for bad in ["", "%", "1 %%", "-1%", "101%", "half", "1e3%"] {
            assert!(percent(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rates_as_tc_reads_them() {
        assert_eq!(rate("10mbit").unwrap(), 10_000_000);
        assert_eq!(rate("1.5Gbit").unwrap(), 1_500_000_000);
        assert_eq!(rate("64000").unwrap(), 64_000);
        assert_eq!(rate("1mbps").unwrap(), 8_000_000);
        assert_eq!(rate("1kibit").unwrap(), 1024);
        for bad in [
            "",
            "fast",
            "10 parsecs",
            "-1mbit",
            "1mbitt",
            "0bit",
            "9tbit",
        ] {
            assert!(rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_and_times_as_tc_reads_them() {
        assert_eq!(size("32kb").unwrap(), 32 * 1024);
        assert_eq!(size("1500").unwrap(), 1500);
        assert_eq!(size("1mb").unwrap(), 1024 * 1024);
        assert!(size("0").is_err());
        assert!(size("5tb").is_err());
        assert_eq!(time_us("50ms").unwrap(), 50_000);
        assert_eq!(time_us("1s").unwrap(), 1_000_000);
        assert_eq!(time_us("200").unwrap(), 200);
        assert!(time_us("2h").is_err());
    }
}
