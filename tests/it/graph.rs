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
