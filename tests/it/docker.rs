//! The tutorial against a real Docker container: `docker inspect` +
//! `ln -s` + `ip netns exec` + `curl localhost`, as one netscript command.
//! The test runs its own dockerd inside its sandbox, all state in a temp
//! dir, with an image built from busybox (no registry).

use crate::common::Sandbox;

#[test]
fn recipe_attaches_a_docker_container_by_name() {
    for tool in ["dockerd", "docker", "busybox"] {
        let found = std::process::Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .unwrap();
        assert!(
            found.status.success(),
            "{tool} is missing: install docker.io and busybox-static (.ci/run does)"
        );
    }
    let sb = Sandbox::new();
    let recipe = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/container-netns.rhai");
    let run = sb.sh(&format!(
        r#"umount /sys   # the real /sys, with the cgroup mounts dockerd needs
T=$PWD
mkdir -p rootfs/bin rootfs/www data exec
cp "$(command -v busybox)" rootfs/bin/busybox
echo "hello from docker" > rootfs/www/index.html
dockerd --data-root $T/data --exec-root $T/exec -H unix://$T/docker.sock --bridge none \
    --iptables=false --ip6tables=false --pidfile $T/dockerd.pid > dockerd.log 2>&1 &
DOCKERD=$!
export DOCKER_HOST=unix://$T/docker.sock
for i in $(seq 200); do docker version >/dev/null 2>&1 && break; sleep 0.05; done
tar -C rootfs -c . | docker import - netscript-busybox:test > /dev/null
docker run -d --name myapp --network none netscript-busybox:test /bin/busybox httpd -f -p 80 -h /www > /dev/null
netscript {recipe} myapp; echo status=$?
ip netns list | wc -l
docker inspect --format '{{{{.State.Running}}}}' myapp
docker rm -f myapp > /dev/null
kill $DOCKERD; wait $DOCKERD
"#
    ));
    let dockerd_log = std::fs::read_to_string(sb.path().join("dockerd.log")).unwrap_or_default();
    let out = &run.stdout;
    assert!(
        out.contains("container myapp (pid "),
        "{out}\n{}\n{dockerd_log}",
        run.stderr
    );
    assert!(
        out.contains("its namespace is attached as \"ctr-myapp\""),
        "{out}"
    );
    assert!(out.contains("    lo  UNKNOWN  [\"127.0.0.1/8\"]"), "{out}");
    assert!(out.contains("    tcp6 :::80"), "{out}");
    assert!(
        out.contains("GET http://localhost:80/ -> 200: hello from docker"),
        "{out}"
    );
    assert!(
        out.ends_with("the container is still running: true\nstatus=0\n0\ntrue\n"),
        "{out}\n{}",
        run.stderr
    );
}
