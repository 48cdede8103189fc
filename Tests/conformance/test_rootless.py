"""Rootless: an unprivileged user runs containers directly (issue 15). The user is made by
this module (useradd writes its /etc/subuid and /etc/subgid ranges) and removed after it;
every command runs as that user with its own XDG_RUNTIME_DIR, as a login session has. On
this v1/hybrid host the user cannot write the cgroup tree, so containers run in the
caller's cgroups (as runc's do) and what needs a cgroup of their own says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CMD_TIMEOUT, IS_SWRUN, MAKE_ROOTFS, REPO, RUNTIME, make_base_config

sys.path.insert(0, str(REPO / "Tests" / "engines"))
from unprivileged import UnprivilegedUser  # noqa: E402

USER = "swrun-rootless"


class User(UnprivilegedUser):
    def __init__(self, name: str):
        super().__init__(name)
        self.runtime = self.install(RUNTIME)
        self.rootfs = self.home / "rootfs"

    @property
    def state_root(self) -> Path:
        # runc's default for a rootless caller is $XDG_RUNTIME_DIR/runc; swrun's /swrun.
        return self.xdg / ("swrun" if IS_SWRUN else "runc")

    def cmd(self, *args, timeout=CMD_TIMEOUT, cwd=None, **kw):
        return self.run([self.runtime, *args], timeout=timeout, cwd=cwd, **kw)

    def detach(self, bundle: Path, ctid: str) -> subprocess.CompletedProcess:
        """`run -d`: the container keeps the stdio it is given, so files rather than pipes."""
        log = self.home / f"{ctid}.log"
        with open(log, "w") as f:
            os.fchown(f.fileno(), self.uid, self.gid)
            p = self.cmd("run", "-d", "--bundle", bundle, ctid, stdout=f, stderr=f)
        return subprocess.CompletedProcess(p.args, p.returncode, "", log.read_text())

    def bundle(self, name: str, config: dict) -> Path:
        b = self.home / name
        b.mkdir(exist_ok=True)
        (b / "config.json").write_text(json.dumps(config))
        os.chown(b, self.uid, self.gid)
        os.chown(b / "config.json", self.uid, self.gid)
        return b

    def config(self, args) -> dict:
        """What `spec --rootless` writes, with the test's args and no terminal."""
        c = make_base_config(str(self.rootfs), args)
        c["linux"]["namespaces"] = [{"type": t} for t in ("pid", "ipc", "uts", "mount", "user")]
        c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": self.uid, "size": 1}]
        c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": self.gid, "size": 1}]
        c["mounts"] = [m for m in c["mounts"] if m["destination"] not in ("/sys", "/dev/pts", "/dev/mqueue")]
        c["mounts"].append({"destination": "/sys", "type": "none", "source": "/sys",
                            "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]})
        c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"})
        return c


@pytest.fixture(scope="module")
def user(runtime):
    u = User(USER)
    try:
        subprocess.run(["sh", str(MAKE_ROOTFS), str(u.rootfs)], check=True, timeout=300, capture_output=True)
        u.give(u.rootfs)
        yield u
    finally:
        left = u.remove()
    assert not left, f"processes of {USER} left: {left}"


@pytest.fixture
def u(user):
    yield user
    state = sorted(p.name for p in user.state_root.iterdir()) if user.state_root.exists() else []
    for name in state:
        user.cmd("delete", "--force", name)
    left = user.leftover_processes()
    assert not left, f"processes of {USER} left by the test: {left}"
    assert not state, f"containers left in {user.state_root}: {state}"


def test_run_as_unprivileged_user_maps_root_to_the_user(u):
    b = u.bundle("b-run", u.config(["sh", "-c", "cat /proc/self/uid_map; id -u; echo ok > /tmp/x && cat /tmp/x"]))
    r = u.cmd("run", "--bundle", b, "rl-run")
    assert r.returncode == 0, r
    lines = r.stdout.split()
    assert lines[:3] == ["0", str(u.uid), "1"], r.stdout
    assert lines[3:] == ["0", "ok"], r.stdout
    # No --root: the state went under $XDG_RUNTIME_DIR, private to the user.
    st = u.state_root.stat()
    assert st.st_uid == u.uid and st.st_mode & 0o077 == 0, oct(st.st_mode)
    assert list(u.state_root.iterdir()) == []


def test_spec_rootless_bundle_runs(u):
    b = u.home / "b-spec"
    b.mkdir(exist_ok=True)
    os.chown(b, u.uid, u.gid)
    assert u.cmd("spec", "--rootless", cwd=b).returncode == 0
    c = json.loads((b / "config.json").read_text())
    c["root"]["path"] = str(u.rootfs)
    c["process"].update(terminal=False, args=["cat", "/proc/self/gid_map"])
    (b / "config.json").write_text(json.dumps(c))
    r = u.cmd("run", "--bundle", b, "rl-spec")
    assert r.returncode == 0, r
    assert r.stdout.split() == ["0", str(u.gid), "1"], r.stdout


def test_lifecycle_exec_ps_kill_delete(u):
    b = u.bundle("b-life", u.config(["sh", "-c", "sleep 1000 & wait"]))
    r = u.detach(b, "rl-life")
    assert r.returncode == 0, r
    state = json.loads(u.cmd("state", "rl-life").stdout)
    assert state["status"] == "running", state
    e = u.cmd("exec", "rl-life", "sh", "-c", "cat /proc/self/uid_map; echo $$")
    assert e.returncode == 0, e
    assert e.stdout.split()[:3] == ["0", str(u.uid), "1"], e.stdout
    if IS_SWRUN:
        # runc 1.1.5 fails here ("unable to get all container pids: lstat : no such file"):
        # without a cgroup swrun lists the processes of the container's PID namespace.
        ps = u.cmd("ps", "--format", "json", "rl-life")
        assert ps.returncode == 0, ps
        pids = json.loads(ps.stdout)
        assert pids[0] == state["pid"] and len(pids) >= 2, pids  # sh and its sleep
    # runc 1.1.5 refuses --all without a cgroup ("cgroups not configured for container");
    # swrun signals the init, whose PID namespace dies with it.
    k = u.cmd("kill", *(["--all"] if IS_SWRUN else []), "rl-life", "KILL")
    assert k.returncode == 0, k
    for _ in range(100):
        if json.loads(u.cmd("state", "rl-life").stdout)["status"] == "stopped":
            break
        time.sleep(0.05)
    assert json.loads(u.cmd("state", "rl-life").stdout)["status"] == "stopped"
    assert u.cmd("delete", "rl-life").returncode == 0
    assert u.cmd("state", "rl-life").returncode != 0


@pytest.mark.swrun_only  # runc 1.1.5 prints all-zero statistics for `events --stats`
def test_what_needs_its_own_cgroup_says_so(u):
    b = u.bundle("b-nocg", u.config(["sleep", "1000"]))
    r = u.detach(b, "rl-nocg")
    assert r.returncode == 0, r
    try:
        for args in (["pause", "rl-nocg"], ["events", "--stats", "rl-nocg"],
                     ["update", "--memory", "64m", "rl-nocg"]):
            r = u.cmd(*args)
            assert r.returncode != 0, (args, r)
            assert "no cgroup of its own" in r.stderr, (args, r.stderr)
    finally:
        u.cmd("delete", "--force", "rl-nocg")


def test_limits_without_a_writable_cgroup_are_an_error(u):
    c = u.config(["true"])
    c["linux"]["resources"] = {"memory": {"limit": 64 << 20}}
    b = u.bundle("b-limit", c)
    r = u.cmd("run", "--bundle", b, "rl-limit")
    assert r.returncode != 0, r
    if IS_SWRUN:
        assert "linux.resources.memory" in r.stderr and "rootless" in r.stderr, r.stderr


def test_subordinate_ranges_mapped_through_newuidmap(u):
    sub, subg = u.subid_start("/etc/subuid"), u.subid_start("/etc/subgid")
    c = u.config(["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; chown 1000:1000 /tmp && stat -c %u:%g /tmp"])
    c["linux"]["uidMappings"].append({"containerID": 1, "hostID": sub, "size": 65536})
    c["linux"]["gidMappings"].append({"containerID": 1, "hostID": subg, "size": 65536})
    c["process"]["capabilities"]["effective"].append("CAP_CHOWN")
    c["process"]["capabilities"]["permitted"].append("CAP_CHOWN")
    c["process"]["capabilities"]["bounding"].append("CAP_CHOWN")
    b = u.bundle("b-sub", c)
    r = u.cmd("run", "--bundle", b, "rl-sub")
    assert r.returncode == 0, r
    f = r.stdout.split()
    assert f[:6] == ["0", str(u.uid), "1", "1", str(sub), "65536"], r.stdout
    assert f[6:12] == ["0", str(u.gid), "1", "1", str(subg), "65536"], r.stdout
    assert f[12] == "1000:1000", r.stdout


@pytest.mark.swrun_only  # runc 1.1.5 accepts any value
def test_invalid_rootless_flag_is_refused(runtime):
    r = subprocess.run([runtime, "--rootless", "maybe", "list"], capture_output=True, text=True, timeout=CMD_TIMEOUT)
    assert r.returncode != 0
    assert "--rootless" in r.stderr, r.stderr
