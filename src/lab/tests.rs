//! The ledger's format against one written by netscript before its records
//! were typed (tests/it/data/ledger-v1.json: what that version wrote for a
//! lab with one object of every kind, and one removal).

use super::{Object, Place, parse};

const V1: &str = include_str!("../../tests/it/data/ledger-v1.json");

#[test]
fn a_ledger_written_before_typed_records_reads_back() {
    let ledger = parse("fixture", V1);
    assert_eq!(ledger.script, "/tmp/ledger.rhai");
    assert_eq!(ledger.pid, 7887);
    assert_eq!(ledger.created, 1_796_464_721);
    let host = Some((4, 4_026_532_175));
    let kinds: Vec<&str> = ledger.objects.iter().map(kind).collect();
    assert_eq!(
        kinds,
        [
            "netns",
            "link",
            "link",
            "addr",
            "route",
            "route",
            "neigh",
            "process",
            "qdisc",
            "process",
            "attached",
            "port_vlan"
        ]
    );
    assert_eq!(
        ledger.objects[1],
        Object::Link {
            ns: "r1".into(),
            ns_id: Some((4, 4_026_532_240)),
            index: 2,
            name: "eth0".into(),
            kind: crate::netlink::LinkKind::Veth,
            peer: Some(Place {
                ns: "host".into(),
                ns_id: host,
                index: 2,
            }),
        }
    );
    assert_eq!(
        ledger.objects[5],
        Object::Route {
            ns: "host".into(),
            ns_id: host,
            dst: "10.67.0.0/16".into(),
            gateway: String::new(),
            kind: "unicast".into(),
            metric: None,
            table: None,
            proto: None,
        }
    );
    // The veth x0 was deleted by the script: its del line removed it.
    assert!(!ledger.objects.iter().any(|o| o.is_link_at("host", 5)));
}

#[test]
fn records_are_written_as_they_were() {
    // What is written now reads back the same, line by line (keys may come
    // in another order: readers go by name).
    for line in V1.lines().skip(1) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let obj: Object = serde_json::from_value(v["obj"].clone()).unwrap();
        let again: serde_json::Value = serde_json::to_value(&obj).unwrap();
        assert_eq!(again, v["obj"], "{line}");
    }
}

#[test]
fn an_unreadable_line_is_skipped() {
    let text = format!(
        "{}\nnot json\n{{\"op\":\"add\",\"obj\":{{\"type\":\"martian\"}}}}\n",
        V1.trim_end()
    );
    let ledger = parse("fixture", &text);
    assert_eq!(ledger.objects.len(), 12);
    assert_eq!(
        ledger.damaged,
        [
            "line 16: not a ledger record",
            "line 17: not a ledger record"
        ]
    );
}

#[test]
fn older_records_without_later_fields_read_back() {
    // Ledgers from before routes had a kind and veths a peer.
    let text = "{}\n\
        {\"op\":\"add\",\"obj\":{\"type\":\"route\",\"ns\":\"host\",\"ns_id\":[4,1],\"dst\":\"10.1.0.0/16\",\"gateway\":\"10.0.0.1\"}}\n\
        {\"op\":\"add\",\"obj\":{\"type\":\"link\",\"ns\":\"r1\",\"ns_id\":[4,7],\"index\":2,\"name\":\"eth0\",\"kind\":\"veth\"}}\n";
    let ledger = parse("old", text);
    assert!(
        matches!(&ledger.objects[0], Object::Route { kind, metric: None, table: None, .. } if kind == "unicast")
    );
    assert!(matches!(
        &ledger.objects[1],
        Object::Link { peer: None, .. }
    ));
    assert_eq!(ledger.script, "");
}

fn kind(o: &Object) -> &'static str {
    match o {
        Object::Netns { .. } => "netns",
        Object::Attached { .. } => "attached",
        Object::Link { .. } => "link",
        Object::Addr { .. } => "addr",
        Object::Route { .. } => "route",
        Object::Neigh { .. } => "neigh",
        Object::Fdb { .. } => "fdb",
        Object::NftTable { .. } => "nft_table",
        Object::Sysctl { .. } => "sysctl",
        Object::Qdisc { .. } => "qdisc",
        Object::PortVlan { .. } => "port_vlan",
        Object::Was { .. } => "was",
        Object::Rule { .. } => "rule",
        Object::Process { .. } => "process",
        Object::File { .. } => "file",
    }
}

#[test]
fn damage_is_reported_line_by_line() {
    let forged = r#"{"op":"add","obj":{"type":"link","ns":"host","ns_id":null,"index":2,"name":"eth0","kind":"device"}}"#;
    let cut = r#"{"op":"add","obj":{"type":"netns","na"#;
    let text = format!("{}\n{forged}\n{cut}", V1.trim_end());
    let ledger = parse("fixture", &text);
    assert_eq!(ledger.objects.len(), 12, "neither is taken");
    assert_eq!(
        ledger.damaged,
        [
            "line 16: device eth0 (in host) has no namespace identity (netscript always writes one)",
            "line 17: cut short (the file ends in the middle of a record)",
        ]
    );
    assert_eq!(parse("x", "").damaged, ["line 1: the ledger is empty"]);
    assert!(parse("fixture", V1).damaged.is_empty());
}

/// One byte that is not UTF-8 damages its line, not the whole ledger; a
/// ledger whose header line is gone still gives its first record.
#[test]
fn a_bad_byte_or_a_lost_header_damages_one_line() {
    let mut bytes = V1.as_bytes().to_vec();
    let whole = super::ledger::parse_bytes("fixture", &bytes).objects.len();
    let second = bytes.iter().position(|b| *b == b'\n').unwrap() + 1;
    let third = second + bytes[second..].iter().position(|b| *b == b'\n').unwrap();
    bytes.insert(third - 3, 0xe9);
    let ledger = super::ledger::parse_bytes("fixture", &bytes);
    assert_eq!(
        ledger.damaged,
        ["line 2: not text (a byte that is not UTF-8)"]
    );
    assert_eq!(ledger.objects.len(), whole - 1);

    let headless: String = V1.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let ledger = parse("fixture", &headless);
    assert_eq!(
        ledger.damaged,
        ["line 1: a record where the header should be"]
    );
    assert_eq!(ledger.objects.len(), whole);
}

/// Write-ahead lines: an intent stays pending until the record of what
/// was made (a link by namespace, name and kind) or its cancel follows; a
/// forged intent without identity is damage.
#[test]
fn intents_stay_pending_until_confirmed_or_cancelled() {
    let link = |op: &str, name: &str, index: u32| {
        format!(
            "{{\"op\":\"{op}\",\"obj\":{{\"type\":\"link\",\"ns\":\"host\",\"ns_id\":[4,1],\
             \"index\":{index},\"name\":\"{name}\",\"kind\":\"bridge\"}}}}"
        )
    };
    let addr = |op: &str| {
        format!(
            "{{\"op\":\"{op}\",\"obj\":{{\"type\":\"addr\",\"ns\":\"host\",\"ns_id\":[4,1],\
             \"index\":1,\"link\":\"lo\",\"cidr\":\"10.9.0.1/32\"}}}}"
        )
    };
    let text = [
        "{}".to_string(),
        link("intent", "br0", 0),
        link("add", "br0", 7),
        link("intent", "br1", 0),
        link("cancel", "br1", 0),
        addr("intent"),
        addr("add"),
        link("intent", "br2", 0),
        r#"{"op":"intent","obj":{"type":"link","ns":"host","ns_id":null,"index":0,"name":"x","kind":"veth"}}"#.into(),
    ]
    .join("\n");
    let ledger = parse("wal", &text);
    assert_eq!(ledger.objects.len(), 2);
    assert!(ledger.objects[0].is_link_at("host", 7));
    assert_eq!(ledger.pending.len(), 1);
    assert!(matches!(&ledger.pending[0], Object::Link { name, index: 0, .. } if name == "br2"));
    assert_eq!(ledger.len(), 3);
    assert_eq!(ledger.damaged.len(), 1, "{:?}", ledger.damaged);
}

/// A veth crossing out of the lab's namespaces is written ahead by its end
/// outside them, and confirmed by the record of the end the script named.
#[test]
fn a_crossing_veths_intent_is_confirmed_by_its_other_ends_record() {
    let text = "{}\n\
        {\"op\":\"intent\",\"obj\":{\"type\":\"link\",\"ns\":\"host\",\"ns_id\":[4,1],\"index\":0,\"name\":\"v1\",\"kind\":\"veth\",\"peer\":{\"ns\":\"h1\",\"ns_id\":[4,9],\"index\":0}}}\n\
        {\"op\":\"add\",\"obj\":{\"type\":\"link\",\"ns\":\"h1\",\"ns_id\":[4,9],\"index\":2,\"name\":\"eth0\",\"kind\":\"veth\",\"peer\":{\"ns\":\"host\",\"ns_id\":[4,1],\"index\":7}}}\n\
        {\"op\":\"intent\",\"obj\":{\"type\":\"link\",\"ns\":\"host\",\"ns_id\":[4,1],\"index\":0,\"name\":\"v2\",\"kind\":\"veth\",\"peer\":{\"ns\":\"h2\",\"ns_id\":[4,10],\"index\":0}}}\n";
    let ledger = parse("crossing", text);
    assert_eq!(ledger.objects.len(), 1);
    assert_eq!(ledger.pending.len(), 1, "{:?}", ledger.pending);
    assert!(matches!(&ledger.pending[0], Object::Link { name, .. } if name == "v2"));
}

/// A renamed link's new record is written before its old one is removed
/// (both at one place): the removal takes the old record only, and a run
/// killed between the two lines leaves both, never neither.
#[test]
fn a_renamed_links_new_record_outlives_the_removal_of_its_old_one() {
    let link = |op: &str, name: &str| {
        format!(
            "{{\"op\":\"{op}\",\"obj\":{{\"type\":\"link\",\"ns\":\"host\",\"ns_id\":[4,1],\
             \"index\":5,\"name\":\"{name}\",\"kind\":\"bridge\"}}}}\n"
        )
    };
    let head = "{\"lab\":\"x\"}\n";
    let names = |text: &str| -> Vec<String> {
        parse("x", text)
            .objects
            .iter()
            .map(|o| match o {
                Object::Link { name, .. } => name.clone(),
                _ => String::new(),
            })
            .collect()
    };
    let killed = format!("{head}{}{}", link("add", "a"), link("add", "b"));
    assert_eq!(names(&killed), ["a", "b"]);
    let done = format!("{killed}{}", link("del", "a"));
    assert_eq!(names(&done), ["b"]);
    // A removal written by an older netscript (its record no longer
    // exactly as listed) still takes what is at its place.
    let old = format!("{head}{}{}", link("add", "a"), link("del", "z"));
    assert!(names(&old).is_empty());
}

/// A table record an older netscript wrote (without the run's mark) is
/// still the lab's, if it names the lab's table; another table is damage.
#[test]
fn a_table_record_without_a_mark_is_an_older_ledgers() {
    let table = |name: &str| {
        format!(
            "{{\"lab\":\"x\"}}\n{{\"op\":\"add\",\"obj\":{{\"type\":\"nft_table\",\"ns\":\"host\",\
             \"ns_id\":[4,1],\"table\":\"{name}\"}}}}\n"
        )
    };
    let old = parse("x", &table("inet netscript_x"));
    assert!(old.damaged.is_empty(), "{:?}", old.damaged);
    assert_eq!(old.objects.len(), 1);
    let other = parse("x", &table("inet filter"));
    assert_eq!(other.objects.len(), 0);
    assert_eq!(other.damaged.len(), 1);
}
