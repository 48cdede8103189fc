"""podman 4.3 driving the runtime under test ($RUNTIME) on a pure cgroup v2 host with the
cgroupfs manager: its resource flags must reach the container's cgroup, the limits must hold,
and exec, pause/unpause, stop and rm must work and leave nothing behind.

Storage is vfs under a temp dir (no image pull: a busybox rootfs is imported from a tarball),
no network, events in a file: nothing touches the host's own podman state."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from vmlib import CGROOT, harness, keyed, read, require_pure_v2, wait_for

IMAGE = "localhost/swrun-vm-busybox:latest"
TIMEOUT = 120  # podman under TCG emulation takes seconds per command
HOG = ["awk", "BEGIN { s = \"xxxxxxxxxxxxxxxx\"; while (1) s = s s }"]


class Podman:
    def __init__(self, top: Path, runtime: str):
        self.top = top
        self.runtime = runtime
        self.base = ["podman", "--root", str(top / "root"), "--runroot", str(top / "runroot"),
                     "--tmpdir", str(top / "tmp"), "--network-config-dir", str(top / "net"),
                     "--storage-driver", "vfs", "--runtime", runtime,
                     "--cgroup-manager", "cgroupfs", "--events-backend", "file"]

    def __call__(self, *args, timeout=TIMEOUT, check=False) -> subprocess.CompletedProcess:
        p = subprocess.run(self.base + [str(a) for a in args], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
        if check:
            assert p.returncode == 0, f"podman {' '.join(map(str, args))}: rc={p.returncode}\n{p.stdout}\n{p.stderr}"
        return p

    def run(self, *args, **kw):
        return self("run", "--pull", "never", "--network", "none", *args, **kw)

    def names(self) -> list[str]:
        return self("ps", "-a", "--format", "{{.Names}}", check=True).stdout.split()

    def inspect(self, name: str) -> dict:
        return json.loads(self("inspect", name, check=True).stdout)[0]

    def mounts(self) -> list[str]:
        with open("/proc/self/mountinfo") as f:
            return [l for l in f if str(self.top) in l]


@contextlib.contextmanager
def podman_storage(runtime: str, rootfs: Path, prefix: str = "swrun-podman-"):
    """A Podman with its own storage under a temp dir and the busybox image imported; at the
    end every container is removed, and no mount of the storage may be left."""
    require_pure_v2()
    if shutil.which("podman") is None:
        pytest.fail("podman is not installed (scripts/vm/install.sh)", pytrace=False)
    top = Path(tempfile.mkdtemp(prefix=prefix))
    for d in ("root", "runroot", "tmp", "net"):
        (top / d).mkdir()
    pm = Podman(top, runtime)
    tarball = top / "rootfs.tar"
    subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tarball), "."], check=True, timeout=60)
    pm("import", tarball, IMAGE, check=True)
    yield pm
    pm("rm", "--all", "--force", "--time", "0")
    left = pm.mounts()
    subprocess.run(["umount", "-R", "-l", str(top / "root")], capture_output=True)
    shutil.rmtree(top, ignore_errors=True)
    assert left == [], f"podman left mounts: {left}"


@pytest.fixture(scope="session")
def podman(runtime, rootfs):
    with podman_storage(runtime, rootfs) as pm:
        yield pm


@pytest.fixture
def pm(podman):
    yield podman
    left = podman.names()
    if left:
        podman("rm", "--force", "--time", "0", *left)
    assert left == [], f"containers left behind: {left}"


def name() -> str:
    return "vm-" + secrets.token_hex(4)


def cgroup_of(pid: int) -> Path:
    with open(f"/proc/{pid}/cgroup") as f:
        line = f.read().strip()
    assert line.startswith("0::"), line
    return CGROOT / line[3:].lstrip("/")


def test_resource_flags_reach_the_cgroup(pm):
    p = pm.run("--rm", "--memory", "64m", "--pids-limit", "10", "--cpus", "0.5", IMAGE,
               "sh", "-c", "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["67108864", "10", "50000 100000"], p


def test_pids_limit_stops_a_fork_bomb(pm):
    # The bomb runs in a subshell forked before the limit is reached, and the container's
    # shell then uses builtins only: a fork it attempted itself once the bomb held all ten
    # pids failed and made it exit 2 (flaky, more often under emulation). Once the kernel
    # counted a refused fork, the shell spins a little longer: busybox writes "sh: " and
    # "can't fork..." in two writes, and the container's end killed a bomb process between
    # them once (stderr "sh: ", CI under emulation).
    p = pm.run("--rm", "--pids-limit", "10", IMAGE, "sh", "-c",
               "bomb() { bomb | bomb & }; (bomb) & i=0; "
               "while [ $i -lt 100000 ]; do read k n < /sys/fs/cgroup/pids.events; "
               "[ \"$n\" -gt 0 ] && break; i=$((i+1)); done; "
               "j=0; while [ $j -lt 20000 ]; do j=$((j+1)); done; echo \"$k $n\"")
    assert p.returncode == 0, p.stderr
    events = dict(l.split() for l in p.stdout.splitlines() if l.count(" ") == 1)
    assert int(events.get("max", "0")) > 0, p
    assert "can't fork" in p.stderr or "Resource temporarily unavailable" in p.stderr, p


def test_allocation_past_the_memory_limit_exits_137(pm):
    p = pm.run("--rm", "--memory", "32m", "--memory-swap", "32m", IMAGE, *HOG)
    assert p.returncode == 137, p


def test_exec(pm):
    n = name()
    pm.run("-d", "--name", n, IMAGE, "sleep", "100", check=True)
    p = pm("exec", n, "cat", "/proc/1/cmdline")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split("\0")[:2] == ["sleep", "100"], p
    assert pm("exec", n, "sh", "-c", "exit 3").returncode == 3
    pid = pm.inspect(n)["State"]["Pid"]
    # The exec'd process joins the container's cgroup.
    p = pm("exec", n, "cat", "/proc/self/cgroup")
    assert p.stdout.strip() == "0::/", p
    assert cgroup_of(pid).is_dir()
    pm("rm", "--force", "--time", "0", n, check=True)


def test_pause_unpause(pm):
    n = name()
    pm.run("-d", "--name", n, IMAGE, "sleep", "100", check=True)
    cg = cgroup_of(pm.inspect(n)["State"]["Pid"])
    pm("pause", n, check=True)
    assert pm.inspect(n)["State"]["Status"] == "paused"
    assert read(cg / "cgroup.freeze") == "1"
    assert wait_for(lambda: keyed(cg / "cgroup.events").get("frozen") == "1")
    pm("unpause", n, check=True)
    assert pm.inspect(n)["State"]["Status"] == "running"
    assert read(cg / "cgroup.freeze") == "0"
    pm("rm", "--force", "--time", "0", n, check=True)


def test_stop_and_rm_leave_nothing(pm):
    n = name()
    pm.run("-d", "--name", n, "--memory", "64m", IMAGE, "sleep", "100", check=True)
    info = pm.inspect(n)
    cid, pid = info["Id"], info["State"]["Pid"]
    cg = cgroup_of(pid)
    assert read(cg / "memory.max") == "67108864"
    pm("stop", "--time", "1", n, check=True)
    assert pm.inspect(n)["State"]["Status"] in ("exited", "stopped")
    assert wait_for(lambda: not os.path.exists(f"/proc/{pid}"), 5), f"container process {pid} still there"
    pm("rm", n, check=True)
    assert pm.names() == []
    assert wait_for(lambda: not cg.exists(), 5), f"cgroup {cg} left behind"
    assert [l for l in pm.mounts() if cid in l] == []
    # Neither podman's storage nor the runtime's state (under the runroot, or /run) keeps it.
    states = [p for p in list(pm.top.rglob(f"*{cid}*")) + list(Path("/run").glob(f"*/{cid}"))]
    assert states == [], states
    assert harness.processes_under(str(pm.top)) == []


def test_podmans_default_apparmor_profile_confines_run_and_exec(pm):
    """The VM boots with AppArmor: podman loads its default profile (containers-default-*) and
    asks for it in process.apparmorProfile; the container's program and an exec'd process run
    confined by it, and its rules hold: with /proc unmasked (unmask=ALL) only the profile keeps
    root in the container from writing /proc/sysrq-trigger ("h" only prints sysrq's help), as
    the unconfined control container shows."""
    if not harness.apparmor_enabled():
        pytest.fail("AppArmor is not enabled in this VM's kernel", pytrace=False)
    write = ["sh", "-c", "echo h > /proc/sysrq-trigger && echo wrote || echo denied"]
    n = name()
    pm.run("-d", "--name", n, "--security-opt", "unmask=ALL", IMAGE, "sleep", "600", check=True)
    try:
        profile = pm.inspect(n)["AppArmorProfile"]
        assert profile.startswith("containers-default-"), profile
        e = pm("exec", n, "cat", "/proc/1/attr/current", "/proc/self/attr/current", check=True)
        assert e.stdout.splitlines() == [f"{profile} (enforce)"] * 2, e.stdout
        w = pm("exec", n, *write)
        assert w.stdout.strip() == "denied", (w.stdout, w.stderr)
    finally:
        pm("rm", "--force", "--time", "0", n)
    c = pm.run("--rm", "--security-opt", "unmask=ALL", "--security-opt", "apparmor=unconfined", IMAGE,
               "sh", "-c", "cat /proc/self/attr/current; " + write[2], check=True)
    assert c.stdout.split() == ["unconfined", "wrote"], c.stdout
