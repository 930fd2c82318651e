//! Routes that name kernel nexthop objects (`ip nexthop`: FRR's zebra
//! installs routes this way by default) read back with their paths, as
//! `ip route` shows them.

use crate::common::Sandbox;

#[test]
fn routes_through_nexthop_objects_show_their_paths() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        r#"
        let r1 = netns::add("r1");
        for i in 1..=2 {
            let e = link::add_veth(`e${i}`, `p${i}`, #{ netns: r1 });
            e.addr_add(`10.0.${i}.1/24`);
            e.up();
            e.peer.up();
        }
        "#,
    );
    sb.file(
        "read.rhai",
        r#"
        let r1 = netns::get("r1");
        for dst in ["10.9.0.0/24", "10.8.0.0/24"] {
            let r = r1.routes().filter(|r| r.dst == dst)[0];
            print(`${dst} ${r.gateway} ${r.dev} ${r.nexthops}`);
        }
        "#,
    );
    let run = sb.sh("netscript lab.rhai || exit 9\n\
         ip -n r1 nexthop add id 1 via 10.0.1.2 dev e1\n\
         ip -n r1 nexthop add id 2 via 10.0.2.2 dev e2\n\
         ip -n r1 nexthop add id 10 group 1/2,3\n\
         ip -n r1 route add 10.9.0.0/24 nhid 10\n\
         ip -n r1 route add 10.8.0.0/24 nhid 1\n\
         netscript read.rhai");
    assert_eq!(
        run.stdout,
        "10.9.0.0/24   [#{\"dev\": \"e1\", \"gateway\": \"10.0.1.2\", \"weight\": 1}, \
         #{\"dev\": \"e2\", \"gateway\": \"10.0.2.2\", \"weight\": 3}]\n\
         10.8.0.0/24 10.0.1.2 e1 \n",
        "{}",
        run.stderr
    );
}
