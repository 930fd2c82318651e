//! The Ansible playbook (contrib/ansible/lab.yml) places one recipe on
//! three simulated machines (tests/it/machines.rs), each running an ssh
//! server of the test's own on its underlay address (keys made by the
//! test); ansible-core comes from PyPI, installed by test.sh. The lab
//! works across machines, the gathered shows merge into one picture, a
//! machine whose part fails is rolled back while the others stay up (the
//! playbook's policy), and state=absent leaves nothing anywhere.

use crate::common::Sandbox;
use crate::machines::{MACHINES, REACH, RECIPE};

const ANSIBLE: &str = "/opt/netscript-tests/ansible/bin/ansible-playbook";

/// An ssh server on each machine (root, by the test's key only), and an
/// inventory of the three for Ansible, which runs from the sandbox
/// (192.0.2.254 on the underlay).
const SSH: &str = r#"
ip addr add 192.0.2.254/24 dev ul
# Ansible on the machines (root's ssh sessions) keeps a ~/.ansible of its
# own even with remote_tmp elsewhere: the test removes it if it made it.
[ -e /root/.ansible ] || trap 'rm -rf /root/.ansible' EXIT
ssh-keygen -q -t ed25519 -N '' -f key
ssh-keygen -q -t ed25519 -N '' -f hostkey
cat > sshd_config <<EOF
HostKey $PWD/hostkey
AuthorizedKeysFile $PWD/key.pub
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile /run/sshd.pid
EOF
for m in a b c; do on $m mkdir -p /run/sshd; on $m /usr/sbin/sshd -f "$PWD/sshd_config" || echo "no sshd on $m"; done
cat > inventory <<EOF
[lab]
a ansible_host=192.0.2.1
b ansible_host=192.0.2.2
c ansible_host=192.0.2.3
[lab:vars]
ansible_user=root
ansible_ssh_private_key_file=$PWD/key
ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'
ansible_python_interpreter=/usr/bin/python3
ansible_remote_tmp=$PWD/ansible-remote
EOF
export ANSIBLE_HOME=$PWD/ansible-home ANSIBLE_REMOTE_TMP=$PWD/ansible-remote ANSIBLE_NOCOLOR=1 \
    ANSIBLE_LOCAL_TEMP=$PWD/ansible-local ANSIBLE_SSH_CONTROL_PATH_DIR=$PWD/ansible-cp
play() { HOME=$PWD/home "ANSIBLE" -i inventory "REPO/contrib/ansible/lab.yml" -e recipe=$PWD/lab.rhai \
    -e netscript=$(command -v netscript) -e shows=$PWD/shows -e workdir=$PWD "$@" > play.out 2>&1; echo "play $*: $?"; }
up() { for m in a b c; do echo "$m: $(on $m ls -A /run/netns | wc -l) namespaces"; done; }
"#;

#[test]
fn the_playbook_places_a_lab_on_three_machines_and_takes_it_away() {
    let sb = Sandbox::new();
    sb.file(
        "lab.rhai",
        &format!(
            "{RECIPE}\nif ARGS.len() == 2 && ARGS[0] == \"fail-on\" && ARGS[1] == lab::machine() {{ throw \"this machine's part fails, on purpose\"; }}\n"
        ),
    );
    sb.file("reach.rhai", REACH);
    let ssh = SSH
        .replace("ANSIBLE", ANSIBLE)
        .replace("REPO", env!("CARGO_MANIFEST_DIR"));
    let run = sb.sh_own_pids(&format!(
        "{MACHINES}\n{ssh}\n\
         play; up\n\
         for m in a b c; do on $m netscript --rm --machine $m --machines machines.json reach.rhai; done\n\
         netscript graph --merge shows/a.json shows/b.json shows/c.json | grep -c 'VNI 42'\n\
         play -e '{{\"args\": [\"fail-on\", \"b\"]}}'; grep -c \"this machine's part fails\" play.out; up\n\
         play -e state=absent; up\n\
         for m in a b c; do echo \"$m left: $(on $m ip -o link | grep -vc ' lo:\\| eth0@') links, \
           $(on $m ls -A /run/netscript | wc -l) files\"; done\n\
         ls -d netscript-lab-* 2>/dev/null | wc -l\n\
         for m in a b c; do on $m sh -c 'kill $(cat /run/sshd.pid)'; done; kill $a $b $c",
    ));
    let play = std::fs::read_to_string(sb.path().join("play.out")).unwrap_or_default();
    assert_eq!(
        run.stdout,
        "play : 0\n\
         a: 4 namespaces\nb: 4 namespaces\nc: 4 namespaces\n\
         a: 4 namespaces, lost []\nb: 4 namespaces, lost []\nc: 4 namespaces, lost []\n\
         3\n\
         play -e {\"args\": [\"fail-on\", \"b\"]}: 2\n\
         1\n\
         a: 4 namespaces\nb: 0 namespaces\nc: 4 namespaces\n\
         play -e state=absent: 0\n\
         a: 0 namespaces\nb: 0 namespaces\nc: 0 namespaces\n\
         a left: 0 links, 0 files\nb left: 0 links, 0 files\nc left: 0 links, 0 files\n\
         0\n",
        "{}\n{play}",
        run.stderr
    );
}
