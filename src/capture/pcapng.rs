//! Writing captures as pcapng (the pcap-file crate: the format's blocks,
//! checked against the spec, so Wireshark and `tcpdump -r` read them):
//! one interface block per link, named "NS/LINK", then one enhanced packet
//! block per packet, flushed at once so `-w - | wireshark -k -i -` shows
//! packets as they come.

use std::borrow::Cow;
use std::io::Write;

use pcap_file::DataLink;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};

use crate::error::{Error, Result};
use crate::sys::capture::Frame;

pub struct Pcapng<W: Write> {
    writer: PcapNgWriter<W>,
}

fn failed(e: pcap_file::PcapError) -> Error {
    match e {
        pcap_file::PcapError::IoError(io) => Error::from_io("write the capture", &io),
        other => Error::new(
            crate::error::Kind::Os,
            "write the capture",
            other.to_string(),
        ),
    }
}

impl<W: Write> Pcapng<W> {
    /// A capture file on `out` with one interface per name in `links`.
    pub fn new(out: W, links: &[String]) -> Result<Self> {
        let mut writer = PcapNgWriter::new(out).map_err(failed)?;
        for name in links {
            let idb = InterfaceDescriptionBlock {
                linktype: DataLink::ETHERNET,
                snaplen: 65535,
                options: vec![
                    InterfaceDescriptionOption::IfName(Cow::Owned(name.clone())),
                    // Timestamps in nanoseconds, as pcap-file writes them.
                    InterfaceDescriptionOption::IfTsResol(9),
                ],
            };
            writer.write_pcapng_block(idb).map_err(failed)?;
        }
        writer
            .get_mut()
            .flush()
            .map_err(|e| Error::from_io("write the capture", &e))?;
        Ok(Pcapng { writer })
    }

    /// One packet seen on interface `link` (its index in `links`).
    pub fn write(&mut self, link: usize, frame: &Frame) -> Result<()> {
        let epb = EnhancedPacketBlock {
            interface_id: link as u32,
            timestamp: frame.time,
            original_len: frame.length as u32,
            data: Cow::Borrowed(&frame.data),
            options: vec![],
        };
        self.writer.write_pcapng_block(epb).map_err(failed)?;
        self.writer
            .get_mut()
            .flush()
            .map_err(|e| Error::from_io("write the capture", &e))
    }
}
