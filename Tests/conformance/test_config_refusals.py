"""Configs that would reach the host are refused before anything is created (issue 12):
sysctls the container's namespaces do not own (class 4), mounts over /proc (class 5),
`unified` keys outside the container's limits (class 6), NUL bytes in strings (class 8).

Each refusal: exit status 1, the JSON path on stderr (swrun), nothing left behind (the
harness checks), and the host untouched where the attack would have touched it.  The
allowed neighbours of each rule run, so the rules are not simply "refuse everything".
"""

import json
import subprocess
from pathlib import Path

import pytest

from conftest import IS_SWRUN
from test_cgroup_v1 import V1
from test_errors import check_failed


def ok(r):
    assert r.rc == 0, r
    return r.out


def sysctl_file(name: str) -> Path:
    return Path("/proc/sys") / name.replace(".", "/")


@pytest.fixture
def host_sysctls():
    """Records host sysctls; a test that fails to keep one unchanged gets it restored and fails."""
    saved = {}

    def remember(*names):
        for n in names:
            saved[n] = sysctl_file(n).read_text()
        return {n: saved[n] for n in names}

    yield remember
    changed = []
    for n, v in saved.items():
        if sysctl_file(n).read_text() != v:
            changed.append(n)
            sysctl_file(n).write_text(v)
    assert not changed, f"host sysctls changed (restored now): {changed}"


def other_value(name: str, host: str) -> str:
    """A value for `name` that differs from the host's, so a leaked write would show."""
    if name == "net.ipv4.ping_group_range":
        return "0 0" if host.split() != ["0", "0"] else "1 0"
    if name == "kernel.domainname":
        return "attacker.example"
    return str(int(host.split()[0]) + 1)


def drop_ns(cfg, ns_type):
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != ns_type]


def join_ns(cfg, ns_type, path):
    drop_ns(cfg, ns_type)
    cfg["linux"]["namespaces"].append({"type": ns_type, "path": path})


# -- class 4: sysctls ----------------------------------------------------------------------

@pytest.mark.parametrize("name,change", [
    ("kernel.printk_ratelimit", None),
    ("vm.overcommit_ratio", None),
    ("fs.mqueue.queues_max", lambda c: drop_ns(c, "ipc")),
    ("kernel.shmmni", lambda c: drop_ns(c, "ipc")),
    ("net.ipv4.ping_group_range", lambda c: drop_ns(c, "network")),
    ("net.ipv4.ip_forward", lambda c: join_ns(c, "network", "/proc/self/ns/net")),
    ("kernel.domainname", lambda c: drop_ns(c, "uts") or c.pop("hostname")),
], ids=["not-namespaced", "vm", "mqueue-without-ipc", "shm-without-ipc", "net-without-netns",
        "net-in-runtimes-own-netns", "domainname-without-uts"])
def test_sysctl_outside_the_containers_namespaces_refused(h, host_sysctls, name, change):
    host = host_sysctls(name)[name]
    cfg = h.config(["true"])
    if change:
        change(cfg)
    cfg["linux"]["sysctl"] = {name: other_value(name, host)}
    ctid = h.new_id()
    r = h.run(cfg, ctid=ctid)
    check_failed(h, r, ctid, json_path=f'linux.sysctl["{name}"]')
    assert sysctl_file(name).read_text() == host


def test_sysctl_hostname_conflicts_with_the_field(h):
    cfg = h.config(["true"])
    cfg["linux"]["sysctl"] = {"kernel.hostname": "other"}
    ctid = h.new_id()
    check_failed(h, h.run(cfg, ctid=ctid), ctid, json_path='linux.sysctl["kernel.hostname"]')


@pytest.mark.swrun_only  # runc 1.1.5 writes it into its own (the host's) IPC namespace
def test_sysctl_in_runtimes_own_ipc_namespace_refused(h, host_sysctls):
    host = host_sysctls("kernel.shmmni")["kernel.shmmni"]
    cfg = h.config(["true"])
    join_ns(cfg, "ipc", "/proc/self/ns/ipc")
    cfg["linux"]["sysctl"] = {"kernel.shmmni": other_value("kernel.shmmni", host)}
    ctid = h.new_id()
    check_failed(h, h.run(cfg, ctid=ctid), ctid, json_path='linux.sysctl["kernel.shmmni"]')


@pytest.mark.swrun_only  # runc reads "/" as a separator (sysctl.d(5)); swrun takes dotted names only
@pytest.mark.parametrize("name", ["net/ipv4/ip_forward", "net.ipv4..ip_forward", ".net.ipv4.ip_forward",
                                  "net.ipv4/../../kernel/core_pattern"])
def test_sysctl_names_that_are_not_dotted_names_refused(h, name):
    cfg = h.config(["true"])
    cfg["linux"]["sysctl"] = {name: "1"}
    ctid = h.new_id()
    check_failed(h, h.run(cfg, ctid=ctid), ctid, json_path=f'linux.sysctl[{json.dumps(name)}]')


def test_sysctls_in_the_containers_own_namespaces_apply(h, host_sysctls):
    names = ["fs.mqueue.queues_max", "kernel.shmmni", "kernel.domainname"]
    host = host_sysctls(*names)
    want = {n: other_value(n, host[n]) for n in names}
    cfg = h.config(["cat"] + [str(sysctl_file(n)) for n in names])
    cfg["linux"]["sysctl"] = want
    assert ok(h.run(cfg)).split() == [want[n] for n in names]


def test_net_sysctl_in_a_netns_joined_by_path_applies(h, host_sysctls):
    """Another container's network namespace is the container's own: allowed (runc too)."""
    host = host_sysctls("net.ipv4.ip_forward")["net.ipv4.ip_forward"]
    a, r = h.create(h.config(["sleep", "30"]))
    assert r.rc == 0, r
    pid = h.state_json(a)["pid"]
    cfg = h.config(["cat", "/proc/sys/net/ipv4/ip_forward"])
    join_ns(cfg, "network", f"/proc/{pid}/ns/net")
    want = "1" if host.strip() == "0" else "0"
    cfg["linux"]["sysctl"] = {"net.ipv4.ip_forward": want}
    assert ok(h.run(cfg)).strip() == want
    seen = subprocess.run(["nsenter", f"--net=/proc/{pid}/ns/net", "cat", "/proc/sys/net/ipv4/ip_forward"],
                          capture_output=True, text=True, check=True).stdout
    assert seen.strip() == want


# -- class 5: mounts over /proc ------------------------------------------------------------

def fake_proc(h) -> Path:
    """A host directory dressed as procfs: what an attacker binds onto /proc."""
    d = h.tmpdir("fakeproc")
    (d / "sys/kernel").mkdir(parents=True)
    (d / "sys/kernel/core_pattern").write_text("|/attacker\n")
    (d / "self/fd").mkdir(parents=True)
    (d / "cmdline").write_text("fake\n")
    return d


@pytest.mark.parametrize("index,mount", [
    (0, lambda src: {"destination": "/proc", "type": "bind", "source": str(src), "options": ["rbind"]}),
    (6, lambda src: {"destination": "/proc", "type": "bind", "source": str(src), "options": ["rbind"]}),
    (6, lambda src: {"destination": "/proc", "type": "tmpfs", "source": "tmpfs"}),
    (6, lambda src: {"destination": "/proc/cmdline", "type": "bind", "source": str(src / "cmdline"), "options": ["bind"]}),
    (6, lambda src: {"destination": "/proc/sys/kernel/core_pattern", "type": "bind",
                     "source": str(src / "sys/kernel/core_pattern"), "options": ["bind"]}),
    (6, lambda src: {"destination": "/proc/sys", "type": "bind", "source": str(src / "sys"), "options": ["rbind"]}),
    (6, lambda src: {"destination": "/dev/../proc", "type": "bind", "source": str(src), "options": ["rbind"]}),
], ids=["fake-proc-instead-of-proc", "fake-proc-over-proc", "tmpfs-over-proc", "proc-cmdline",
        "core-pattern", "proc-sys", "dotdot-to-proc"])
def test_mounts_over_proc_refused(h, index, mount):
    cfg = h.config(["true"])
    m = mount(fake_proc(h))
    if index < len(cfg["mounts"]):
        cfg["mounts"][index] = m
    else:
        cfg["mounts"].append(m)
    ctid = h.new_id()
    check_failed(h, h.run(cfg, ctid=ctid), ctid, json_path=f"mounts[{index}].destination")


def test_lxcfs_style_bind_over_proc_file_allowed(h):
    f = h.tmpdir("lxcfs") / "uptime"
    f.write_text("12345.67 890.12\n")
    cfg = h.config(["cat", "/proc/uptime"])
    cfg["mounts"].append({"destination": "/proc/uptime", "type": "bind", "source": str(f), "options": ["bind", "ro"]})
    assert ok(h.run(cfg)).strip() == "12345.67 890.12"


def test_bind_of_host_proc_in_host_pid_namespace_allowed(h):
    """What rootless podman --pid=host configures: the kernel's procfs, bound."""
    cfg = h.config(["sh", "-c", "test -e /proc/1/stat && echo ok"])
    drop_ns(cfg, "pid")
    cfg["mounts"][0] = {"destination": "/proc", "type": "bind", "source": "/proc", "options": ["rbind", "nosuid", "noexec", "nodev"]}
    assert ok(h.run(cfg)).strip() == "ok"


# -- class 6: unified ----------------------------------------------------------------------

def proc_cgroup(pid: int) -> str:
    return Path(f"/proc/{pid}/cgroup").read_text()


@pytest.mark.skipif(not V1, reason="the refusal of unified is for hosts with v1 hierarchies")
@pytest.mark.parametrize("unified,path", [
    (lambda pid: {"cgroup.procs": str(pid)}, 'linux.resources.unified'),
    (lambda pid: {"memory.high": str(64 << 20)}, "linux.resources.unified"),
], ids=["cgroup-procs-host-pid", "memory-high"])
def test_unified_on_hybrid_host_refused(h, unified, path):
    decoy = h.spawn_helper(["sleep", "60"])
    before = proc_cgroup(decoy.pid)
    cfg = h.config(["true"])
    cfg["linux"]["resources"] = {"unified": unified(decoy.pid)}
    ctid = h.new_id()
    check_failed(h, h.run(cfg, ctid=ctid), ctid, json_path=path)
    assert decoy.poll() is None and proc_cgroup(decoy.pid) == before


@pytest.mark.swrun_only  # runc 1.1.5 refuses unified as a whole on this host (checked above), not by key
@pytest.mark.parametrize("key", ["cgroup.procs", "cgroup.threads", "cgroup.kill", "cgroup.freeze",
                                 "cgroup.subtree_control", "cgroup.type", "cgroup.max.depth",
                                 "cgroup.max.descendants", "../../cgroup.procs"])
def test_unified_cgroup_interface_files_refused_by_key(h, key):
    """Named by key on every host, before the host check: on pure v2 too."""
    decoy = h.spawn_helper(["sleep", "60"])
    before = proc_cgroup(decoy.pid)
    cfg = h.config(["true"])
    cfg["linux"]["resources"] = {"unified": {key: str(decoy.pid)}}
    ctid = h.new_id()
    check_failed(h, h.run(cfg, ctid=ctid), ctid, json_path=f'linux.resources.unified["{key}"]')
    assert decoy.poll() is None and proc_cgroup(decoy.pid) == before


@pytest.mark.skipif(not V1, reason="the refusal of unified is for hosts with v1 hierarchies")
@pytest.mark.parametrize("key,path", [
    ("cgroup.procs", 'resources.unified["cgroup.procs"]'),
    ("memory.high", "resources.unified"),
])
def test_update_with_unified_refused(h, key, path):
    decoy = h.spawn_helper(["sleep", "60"])
    before = proc_cgroup(decoy.pid)
    ctid, r = h.create(h.config(["sleep", "30"]))
    assert r.rc == 0, r
    f = h.tmpdir("upd") / "r.json"
    f.write_text(json.dumps({"unified": {key: str(decoy.pid) if key == "cgroup.procs" else str(64 << 20)}}))
    r = h.rt("update", "-r", str(f), ctid)
    assert r.rc == 1 and r.err.strip(), r
    if IS_SWRUN:
        assert path in r.err, r.err
    assert decoy.poll() is None and proc_cgroup(decoy.pid) == before
    assert h.status(ctid) == "created"


# -- class 8: NUL bytes --------------------------------------------------------------------

def set_path(cfg, path, value):
    *parents, last = path
    node = cfg
    for p in parents:
        node = node[p]
    node[last] = value


@pytest.mark.parametrize("where,value,json_path", [
    (("mounts", 3, "destination"), "/\0dev/shm", "mounts[3].destination"),
    (("linux", "cgroupsPath"), "/swrun-nul\0/x", "linux.cgroupsPath"),
    (("process", "args", 0), "tr\0ue", "process.args[0]"),
    (("process", "cwd"), "/\0tmp", "process.cwd"),
    (("root", "path"), None, "root.path"),
], ids=["mount-destination", "cgroups-path", "args", "cwd", "root-path"])
def test_nul_in_a_string_refused(h, where, value, json_path):
    cfg = h.config(["true"])
    if value is None:  # root.path: the real rootfs with a NUL appended
        value = cfg["root"]["path"] + "\0/etc"
    set_path(cfg, where, value)
    ctid = h.new_id()
    check_failed(h, h.run(cfg, ctid=ctid), ctid, json_path=json_path)


@pytest.mark.swrun_only  # runc passes these through (Go strings hold NUL) and runs the container
@pytest.mark.parametrize("where,value,json_path", [
    (("annotations",), {"org.example": "a\0b"}, 'annotations["org.example"]'),
    (("linux", "sysctl"), {"kernel.shmmni\0x": "1"}, 'linux.sysctl["kernel.shmmni\\u0000x"]'),
    (("process", "env"), ["PATH=/bin", "A=\0"], "process.env[1]"),
    (("hostname",), "host\0name", "hostname"),
], ids=["annotation", "sysctl-name", "env", "hostname"])
def test_nul_swrun_refuses_where_runc_does_not(h, where, value, json_path):
    cfg = h.config(["true"])
    set_path(cfg, where, value)
    ctid = h.new_id()
    check_failed(h, h.run(cfg, ctid=ctid), ctid, json_path=json_path)


def test_nul_in_exec_process_file_refused(h):
    ctid, r = h.create(h.config(["sleep", "30"]))
    assert r.rc == 0, r
    ok(h.start(ctid))
    proc = h.config(["sh", "-c", "echo ran\0; touch /tmp/ran"])["process"]
    f = h.workdir / "process.json"
    f.write_text(json.dumps(proc))
    r = h.rt("exec", "--process", str(f), ctid)
    assert r.rc != 0 and "ran" not in r.out, r
    if IS_SWRUN:
        # 255: runc's status for an exec that failed before its process ran
        assert r.rc == 255 and "process.args[2]" in r.err, r
    assert h.status(ctid) == "running"
