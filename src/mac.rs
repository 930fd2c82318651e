//! Hardware (MAC) addresses as scripts and `ip` write them.

use crate::error::{Error, Result};

/// "aa:bb:cc:dd:ee:ff" (or with '-') as six bytes.
pub fn parse(text: &str) -> Result<[u8; 6]> {
    let parts: Vec<&str> = text.split([':', '-']).collect();
    let bytes: Vec<u8> = parts
        .iter()
        .filter(|p| p.len() == 2)
        .filter_map(|p| u8::from_str_radix(p, 16).ok())
        .collect();
    <[u8; 6]>::try_from(bytes.as_slice())
        .ok()
        .filter(|_| parts.len() == 6)
        .ok_or_else(|| {
            Error::invalid(
                format!("use {text:?} as a MAC address"),
                "a MAC address is six two-digit hex bytes",
            )
            .with_help("write it like 02:00:00:00:00:01")
            .about(text)
        })
}

/// Bytes as "aa:bb:cc:dd:ee:ff", the way `ip link` prints them.
pub fn format(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_and_formats() {
        assert_eq!(
            super::parse("02:AB:00:00:00:01").unwrap(),
            [2, 0xab, 0, 0, 0, 1]
        );
        assert_eq!(
            super::parse("02-ab-00-00-00-01").unwrap(),
            [2, 0xab, 0, 0, 0, 1]
        );
        assert_eq!(super::format(&[2, 0xab, 0, 0, 0, 1]), "02:ab:00:00:00:01");
        for bad in [
            "",
            "02:00:00:00:00",
            "02:00:00:00:00:01:02",
            "2:0:0:0:0:1",
            "zz:00:00:00:00:01",
        ] {
            assert!(super::parse(bad).is_err(), "{bad}");
        }
    }
}
