//! `netscript graph`: DOT that Graphviz accepts, Mermaid, and an SVG laid
//! out by netscript itself, well-formed with one box per namespace.

use crate::common::Sandbox;

const STAR: &str = r#"
let br = bridge::add("br0");
br.up();
br.addr_add("10.10.0.254/16");
for i in 1..=30 {
    let h = netns::add(`h${i}`);
    let e = link::add_veth("eth0", `v${i}`, #{ netns: h });
    e.addr_add(`10.10.0.${i}/16`);
    e.up();
    e.peer.set_master(br);
    e.peer.up();
}
"#;

#[test]
fn bridge_lab_in_every_format() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/bridge-lab.rhai"
        ))
        .unwrap(),
    );
    let run = sb.sh("netscript lab.rhai > /dev/null\n\
         netscript graph lab > lab.dot && dot -Tsvg lab.dot > dot.svg && echo dot-ok\n\
         netscript graph --format mermaid > lab.mmd\n\
         netscript graph lab --format svg > lab.svg");
    assert_eq!(run.stdout, "dot-ok\n", "{}", run.stderr);
    let dot = sb.read("lab.dot");
    assert!(
        dot.contains("[shape=ellipse, label=\"br0\\n100.100.100.100/24\"]"),
        "{dot}"
    );
    assert!(
        dot.contains("taillabel=\"veth1.2\", headlabel=\"eth0 100.100.100.10/24\""),
        "{dot}"
    );
    let mermaid = sb.read("lab.mmd");
    assert!(
        mermaid.starts_with("graph LR\n")
            && mermaid.contains("---|\"veth2.2 — eth0 100.100.100.20/24\"|"),
        "{mermaid}"
    );
    let svg = sb.read("lab.svg");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let class = |c: &str| {
        doc.descendants()
            .filter(|n| n.attribute("class") == Some(c))
            .count()
    };
    assert_eq!((class("netns"), class("bridge"), class("veth")), (2, 1, 2));
}

#[test]
fn a_thirty_namespace_star_is_one_box_each() {
    let sb = Sandbox::new();
    sb.file("star.rhai", STAR);
    let run = sb.sh("netscript star.rhai && netscript graph star --format svg > star.svg && netscript graph star > star.dot && dot -Tsvg star.dot > /dev/null && echo ok");
    assert_eq!(run.stdout, "ok\n", "{}", run.stderr);
    let svg = sb.read("star.svg");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let boxes: Vec<String> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("netns"))
        .map(|g| {
            g.descendants()
                .find(|t| t.has_tag_name("text"))
                .and_then(|t| t.text())
                .unwrap_or("")
                .to_string()
        })
        .collect();
    let mut names = boxes.clone();
    names.sort_by_key(|n| n[1..].parse::<u32>().unwrap_or(0));
    assert_eq!(names, (1..=30).map(|i| format!("h{i}")).collect::<Vec<_>>());
    assert_eq!(
        doc.descendants()
            .filter(|n| n.attribute("class") == Some("veth"))
            .count(),
        30
    );
}

/// The texts of `class` groups' labels, with where they are drawn: (x, y,
/// anchor, text).
fn texts(svg: &str, class: &str) -> Vec<(f64, f64, String, String)> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    doc.descendants()
        .filter(|n| n.attribute("class") == Some(class))
        .flat_map(|g| {
            g.descendants()
                .filter(|t| t.has_tag_name("text"))
                .collect::<Vec<_>>()
        })
        .map(|t| {
            let num = |a: &str| t.attribute(a).unwrap().parse::<f64>().unwrap();
            let anchor = t.attribute("text-anchor").unwrap_or("start").to_string();
            (
                num("x"),
                num("y"),
                anchor,
                t.text().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Two edge labels whose boxes (6 px a character, 10 px high) overlap.
fn colliding(labels: &[(f64, f64, String, String)]) -> Vec<(String, String)> {
    let bounds = |(x, y, anchor, text): &(f64, f64, String, String)| {
        let w = text.chars().count() as f64 * 6.0;
        let left = match anchor.as_str() {
            "middle" => x - w / 2.0,
            "end" => x - w,
            _ => *x,
        };
        (left, y - 9.0, left + w, *y + 1.0)
    };
    let mut out = Vec::new();
    for (i, a) in labels.iter().enumerate() {
        for b in &labels[i + 1..] {
            let (p, q) = (bounds(a), bounds(b));
            if p.0 < q.2 && q.0 < p.2 && p.1 < q.3 && q.1 < p.3 {
                out.push((a.3.clone(), b.3.clone()));
            }
        }
    }
    out
}

/// Past 32 alike hosts on a bridge, one node says how many; --expand
/// draws them all.
#[test]
fn alike_hosts_of_a_big_star_are_one_node_unless_expanded() {
    let sb = Sandbox::new();
    sb.file("star.rhai", &STAR.replace("1..=30", "1..=40"));
    let run = sb.sh("netscript star.rhai && netscript graph star --format svg > star.svg && \
         netscript graph star --format svg --expand > all.svg && netscript graph star > star.dot && \
         dot -Tsvg star.dot > /dev/null && echo ok");
    assert_eq!(run.stdout, "ok\n", "{}", run.stderr);
    let svg = sb.read("star.svg");
    let group: Vec<String> = texts(&svg, "netns-group")
        .into_iter()
        .map(|t| t.3)
        .collect();
    assert_eq!(group, ["h1 … h40", "×40"]);
    let edges: Vec<String> = texts(&svg, "veth").into_iter().map(|t| t.3).collect();
    assert_eq!(edges, ["eth0 10.10.0.1/16 … 10.10.0.40/16", "v1 … v40"]);
    assert_eq!(texts(&svg, "netns").len(), 0);
    let all = sb.read("all.svg");
    assert_eq!(texts(&all, "netns").len(), 40);
    assert_eq!(texts(&all, "netns-group").len(), 0);
}

/// A tree of bridges is drawn from its root down, each level a row in
/// order, hosts under their bridge, no two labels on top of each other.
#[test]
fn a_tree_of_bridges_is_drawn_in_layers_without_colliding_labels() {
    let sb = Sandbox::new();
    sb.file("tree.rhai", "import \"topo\" as topo;\ntopo::tree(2, 3);\n");
    let run =
        sb.sh("netscript tree.rhai && netscript graph tree --format svg > tree.svg && echo ok");
    assert_eq!(run.stdout, "ok\n", "{}", run.stderr);
    let svg = sb.read("tree.svg");
    let at = |name: &str, class: &str| {
        texts(&svg, class)
            .into_iter()
            .find(|t| t.3 == name)
            .map(|t| (t.0, t.1))
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let (t0, t1, t2, t3) = (
        at("t0", "bridge"),
        at("t1", "bridge"),
        at("t2", "bridge"),
        at("t3", "bridge"),
    );
    assert!(t0.1 < t1.1 && t1.1 == t2.1 && t2.1 == t3.1, "{t0:?} {t1:?}");
    assert!(
        t1.0 < t2.0 && t2.0 < t3.0 && (t0.0 - t2.0).abs() < 1.0,
        "{t1:?} {t2:?} {t3:?}"
    );
    let l1 = at("l1", "netns");
    assert!(
        l1.1 > t1.1 && (l1.0 - t1.0).abs() < 200.0,
        "{l1:?} under {t1:?}"
    );
    assert_eq!(
        colliding(&texts(&svg, "veth")),
        Vec::<(String, String)>::new()
    );
}

/// Four routers in a ring, a host on each: the ring on a circle, each host
/// outside it beyond its router, no two labels on top of each other.
#[test]
fn a_ring_of_routers_is_drawn_as_a_ring() {
    let sb = Sandbox::new();
    sb.file(
        "ring.rhai",
        r#"
        let r = [];
        for i in 1..=4 { r.push(netns::add(`r${i}`)); }
        for i in 0..4 {
            let j = (i + 1) % 4;
            let a = link::add_veth(`to-r${j + 1}`, `to-r${i + 1}`, #{ netns: r[i], peer_netns: r[j] });
            a.addr_add(`10.0.${i}.1/24`);
            a.peer.addr_add(`10.0.${i}.2/24`);
            let h = netns::add(`h${i + 1}`);
            let lan = link::add_veth("lan", "eth0", #{ netns: r[i], peer_netns: h });
            lan.addr_add(`10.1.${i}.1/24`);
        }
        "#,
    );
    let run =
        sb.sh("netscript ring.rhai && netscript graph ring --format svg > ring.svg && echo ok");
    assert_eq!(run.stdout, "ok\n", "{}", run.stderr);
    let svg = sb.read("ring.svg");
    let at = |name: &str| {
        texts(&svg, "netns")
            .into_iter()
            .find(|t| t.3 == name)
            .map(|t| (t.0, t.1))
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let routers: Vec<(f64, f64)> = (1..=4).map(|i| at(&format!("r{i}"))).collect();
    let cx = routers.iter().map(|p| p.0).sum::<f64>() / 4.0;
    let cy = routers.iter().map(|p| p.1).sum::<f64>() / 4.0;
    let dist = |p: (f64, f64)| ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt();
    let radius = dist(routers[0]);
    for (i, &r) in routers.iter().enumerate() {
        assert!((dist(r) - radius).abs() < 20.0, "r{} on the circle", i + 1);
        let h = at(&format!("h{}", i + 1));
        assert!(dist(h) > radius + 100.0, "h{} outside the ring", i + 1);
        // Beyond its own router: nearer to it than to any other.
        let near = |p: (f64, f64)| ((p.0 - h.0).powi(2) + (p.1 - h.1).powi(2)).sqrt();
        assert!(
            routers.iter().all(|&o| near(r) <= near(o)),
            "h{} by r{}",
            i + 1,
            i + 1
        );
    }
    assert_eq!(
        colliding(&texts(&svg, "veth")),
        Vec::<(String, String)>::new()
    );
}

/// A big lab's leaf bridges, each with only its group of hosts below,
/// are one node past 16 under one bridge: a root over "t1 … t17 ×17" over
/// "h1 … h561 ×561" (17 leaves of 33 hosts).
#[test]
fn alike_leaf_bridges_of_a_big_lab_are_one_node() {
    let sb = Sandbox::new();
    sb.file(
        "big.rhai",
        r#"
        let root = bridge::add("t0");
        root.up();
        let i = 0;
        for b in 1..=17 {
            let leaf = bridge::add(`t${b}`);
            leaf.up();
            let up = link::add_veth(`t${b}up`, `t${b}dn`);
            up.set_master(leaf); up.peer.set_master(root); up.up(); up.peer.up();
            for k in 1..=33 {
                i += 1;
                let h = netns::add(`h${i}`, #{ ipv6: false });
                let eth = link::add_veth("eth0", `p${i}`, #{ netns: h });
                eth.addr_add(addr::host("10.3.0.0/16", i));
                eth.peer.set_master(leaf);
            }
        }
        "#,
    );
    let run = sb.sh("netscript big.rhai && netscript graph big --format svg > big.svg && echo ok");
    assert_eq!(run.stdout, "ok\n", "{}", run.stderr);
    let svg = sb.read("big.svg");
    let bridges: Vec<String> = texts(&svg, "bridge").into_iter().map(|t| t.3).collect();
    assert_eq!(bridges, ["t0", "t1 … t17", "×17"], "{svg}");
    let group: Vec<String> = texts(&svg, "netns-group")
        .into_iter()
        .map(|t| t.3)
        .collect();
    assert_eq!(group, ["h1 … h561", "×561"]);
    let edges: Vec<String> = texts(&svg, "veth").into_iter().map(|t| t.3).collect();
    assert_eq!(
        edges,
        [
            "t1dn … t17dn",
            "t1up … t17up",
            "eth0 10.3.0.1/16 … 10.3.2.49/16",
            "p1 … p561"
        ]
    );
}

/// The pictures the README and docs/show.md show are what `netscript
/// graph` draws today: this test draws them again, and when one differs it
/// writes the new one over it and fails, so that a stale picture never
/// lands (commit the rewritten file).
#[test]
fn pictures_in_the_docs_are_current() {
    let sb = Sandbox::new();
    let repo = env!("CARGO_MANIFEST_DIR");
    sb.file("star.rhai", STAR);
    // each in a sandbox of its own: both make a br0
    sb.sh(&format!(
        "netscript {repo}/scripts/bridge-lab.rhai > /dev/null && \
         netscript graph bridge-lab --format svg > bridge-lab.svg"
    ))
    .success();
    sb.sh("netscript star.rhai && netscript graph star --format svg > star-30.svg")
        .success();
    let mut stale = Vec::new();
    for name in ["bridge-lab.svg", "star-30.svg"] {
        let now = sb.read(name);
        let path = format!("{repo}/docs/{name}");
        if std::fs::read_to_string(&path).ok().as_deref() != Some(now.as_str()) {
            std::fs::write(&path, &now).unwrap();
            stale.push(path);
        }
    }
    assert!(
        stale.is_empty(),
        "these pictures were stale and are now redrawn; commit them: {stale:?}"
    );
}
