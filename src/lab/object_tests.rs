//! Every kind of record, written and read back.
use super::*;

#[test]
fn round_trips_through_json() {
    let all = [
        Object::Netns {
            name: "r1".into(),
            id: (4, 4026532),
        },
        Object::Attached {
            name: "ctr".into(),
            id: (4, 5),
        },
        Object::Link {
            ns: "host".into(),
            ns_id: Some((4, 1)),
            index: 7,
            name: "veth1.2".into(),
            kind: LinkKind::Veth,
            peer: None,
        },
        Object::Link {
            ns: "r1".into(),
            ns_id: Some((4, 2)),
            index: 2,
            name: "eth0".into(),
            kind: LinkKind::Veth,
            peer: Some(Place {
                ns: "host".into(),
                ns_id: Some((4, 1)),
                index: 9,
            }),
        },
        Object::Link {
            ns: "host".into(),
            ns_id: None,
            index: 3,
            name: "v1".into(),
            kind: LinkKind::Veth,
            peer: Some(Place {
                ns: "host".into(),
                ns_id: None,
                index: 4,
            }),
        },
        Object::Addr {
            ns: "host".into(),
            ns_id: None,
            index: 1,
            link: "lo".into(),
            cidr: "10.9.9.9/32".into(),
        },
        Object::Route {
            ns: "host".into(),
            ns_id: Some((4, 1)),
            dst: "10.2.0.0/16".into(),
            gateway: "10.0.0.2".into(),
            kind: "unicast".into(),
            metric: None,
            table: None,
            proto: None,
        },
        Object::Route {
            ns: "host".into(),
            ns_id: None,
            dst: "10.66.0.0/16".into(),
            gateway: String::new(),
            kind: "blackhole".into(),
            metric: Some(5),
            table: Some(10),
            proto: Some(186),
        },
        Object::Neigh {
            ns: "host".into(),
            ns_id: Some((4, 1)),
            index: 3,
            link: "br0".into(),
            ip: "10.0.0.9".into(),
            proxy: false,
        },
        Object::Neigh {
            ns: "host".into(),
            ns_id: None,
            index: 3,
            link: "br0".into(),
            ip: "2001:db8::9".into(),
            proxy: true,
        },
        Object::Qdisc {
            ns: "host".into(),
            ns_id: Some((4, 1)),
            index: 2,
            link: "eth0".into(),
        },
        Object::PortVlan {
            ns: "host".into(),
            ns_id: Some((4, 1)),
            index: 5,
            link: "eth1".into(),
            bridge: 4,
            vid: 10,
            on_bridge: false,
            added: false,
            pvid: true,
            untagged: true,
        },
        Object::Rule {
            ns: "host".into(),
            ns_id: Some((4, 1)),
            v6: false,
            priority: Some(100),
            from: Some("10.1.0.0/24".into()),
            to: None,
            iif: None,
            oif: Some("eth0".into()),
            fwmark: Some(7),
            table: 10,
        },
        Object::Was {
            ns: "host".into(),
            ns_id: Some((4, 1)),
            index: 2,
            link: "eth0".into(),
            before: Before::Mac("02:00:00:00:00:01".into()),
        },
        Object::Was {
            ns: "host".into(),
            ns_id: Some((4, 1)),
            index: 2,
            link: "eth0".into(),
            before: Before::Alias("uplink; \"x\"".into()),
        },
        Object::Fdb {
            ns: "host".into(),
            ns_id: Some((4, 1)),
            index: 9,
            link: "vx0".into(),
            mac: "00:00:00:00:00:00".into(),
            dst: Some("192.0.2.2".into()),
            vni: Some(42),
            port: None,
            vlan: None,
            master: false,
            bridge: None,
        },
        Object::Was {
            ns: "host".into(),
            ns_id: None,
            index: 2,
            link: "eth0".into(),
            before: Before::Txqlen(1000),
        },
        Object::NftTable {
            ns: "host".into(),
            ns_id: Some((4, 1)),
            table: "inet netscript_lab".into(),
        },
        Object::Process {
            pid: 42,
            start: 123456,
            netns: "r1".into(),
        },
    ];
    for o in all {
        let text = serde_json::to_string(&o).unwrap();
        assert_eq!(serde_json::from_str::<Object>(&text).unwrap(), o, "{text}");
    }
}
