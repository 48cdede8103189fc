"""Rootless with systemd's delegation (issue 15), in the systemd VM: an unprivileged user's own
manager (user@UID.service, started here as a lingering user's would be at boot) owns a cgroup
v2 subtree systemd delegated to it (memory, pids and cpu on Debian 12). With
`--systemd-cgroup`, a rootless runtime asks that manager, over the user's session bus, for a
transient scope in its user.slice, and the limits hold there: directly, and under rootless
podman `--cgroup-manager=systemd` (which runs the runtime inside its user namespace).

The user is made on the host before boot by scripts/vm/test-vm.sh ($VM_ROOTLESS_USER): the
guest's /etc is the host's, read-only."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from vmlib import CGROOT, harness, read, require_pure_v2, wait_for

MB = 1 << 20
RUNC = "/usr/sbin/runc"


class User:
    def __init__(self, name: str):
        pw = pwd.getpwnam(name)
        self.name, self.uid, self.gid = name, pw.pw_uid, pw.pw_gid
        self.xdg = Path(f"/run/user/{self.uid}")
        self.manager_cgroup = CGROOT / f"user.slice/user-{self.uid}.slice/user@{self.uid}.service"
        self.env = {"HOME": str(self.xdg / "home"), "USER": name, "LOGNAME": name,
                    "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
                    "XDG_RUNTIME_DIR": str(self.xdg), "TMPDIR": str(self.xdg / "tmp"),
                    "DBUS_SESSION_BUS_ADDRESS": f"unix:path={self.xdg}/bus"}

    def run(self, *argv, timeout=180, check=False, files=False):
        """files: stdout and stderr go to files, read back at exit, for `create`, whose
        container keeps them open (a pipe would never see EOF)."""
        if files:
            with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
                p = subprocess.run([str(a) for a in argv], user=self.uid, group=self.gid, extra_groups=[],
                                   env=self.env, cwd=self.env["HOME"], stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=err, timeout=timeout)
                out.seek(0)
                err.seek(0)
                p.stdout, p.stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        else:
            p = subprocess.run([str(a) for a in argv], user=self.uid, group=self.gid, extra_groups=[],
                               env=self.env, cwd=self.env["HOME"], stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=timeout)
        if check:
            assert p.returncode == 0, (argv, p.stdout, p.stderr)
        return p

    def unit(self, unit: str, *props: str) -> dict[str, str]:
        p = self.run("systemctl", "--user", "show", unit, *[f"--property={x}" for x in props])
        return dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)

    def own(self, path: Path) -> Path:
        subprocess.run(["chown", "-R", f"{self.uid}:{self.gid}", str(path)], check=True, timeout=60)
        return path


@pytest.fixture(scope="module")
def user(rootfs):
    require_pure_v2()
    if not Path("/run/systemd/system").is_dir():
        pytest.skip("needs systemd as PID 1: run through `make test-vm` (the systemd VM)")
    name = os.environ.get("VM_ROOTLESS_USER")
    if not name:
        pytest.skip("VM_ROOTLESS_USER is not set: scripts/vm/test-vm.sh makes the user before boot")
    u = User(name)
    subprocess.run(["systemctl", "start", f"user@{u.uid}.service"], check=True, timeout=180,
                   capture_output=True)
    try:
        assert wait_for(lambda: (u.xdg / "bus").exists(), 60), "the user's session bus did not appear"
        for d in ("home", "tmp", "bin"):
            (u.xdg / d).mkdir(exist_ok=True)
        # The runtime and the rootfs where the user can reach them (the repository's parents
        # may be closed to other users); busybox also runs faster from the tmpfs.
        shutil.copy2(harness.RUNTIME, u.xdg / "bin" / "swrun")
        shutil.copytree(rootfs, u.xdg / "rootfs", symlinks=True)
        u.own(u.xdg)
        delegated = read(u.manager_cgroup / "cgroup.subtree_control").split()
        assert {"memory", "pids"} <= set(delegated), delegated
        yield u
    finally:
        # Stopping the manager ends what the user still runs and removes /run/user/UID.
        subprocess.run(["systemctl", "stop", f"user@{u.uid}.service"], capture_output=True, timeout=180)
        subprocess.run(["rm", "-rf", str(u.xdg)], capture_output=True, timeout=120)


def keyed_max(path: Path) -> str:
    return dict(line.split() for line in path.read_text().splitlines())["max"]


def runtime_path(u: User, which: str) -> str:
    return str(u.xdg / "bin" / "swrun") if which == "swrun" else RUNC


@pytest.mark.timeout(400)
@pytest.mark.parametrize("which", ["swrun", "runc"])
def test_direct_rootless_limits_in_the_users_delegated_scope(user, which):
    rt = runtime_path(user, which)
    cid = f"sdrl-{which}"
    bundle = user.xdg / f"bundle-{which}"
    bundle.mkdir()
    user.own(bundle)
    user.run(rt, "spec", "--rootless", "--bundle", bundle, check=True)
    cfg = json.loads((bundle / "config.json").read_text())
    cfg["root"]["path"] = str(user.xdg / "rootfs")
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = ["sleep", "600"]
    cfg["linux"]["cgroupsPath"] = f"user.slice:vmtest:{cid}"
    cfg["linux"]["resources"] = {"memory": {"limit": 64 * MB}, "pids": {"limit": 10}}
    (bundle / "config.json").write_text(json.dumps(cfg))
    unit = f"vmtest-{cid}.scope"
    scope = user.manager_cgroup / "user.slice" / unit
    try:
        user.run(rt, "--systemd-cgroup", "create", "--bundle", bundle, cid, check=True, files=True)
        user.run(rt, "--systemd-cgroup", "start", cid, check=True)
        state = json.loads(user.run(rt, "state", cid, check=True).stdout)
        assert state["status"] == "running", state
        s = user.unit(unit, "ActiveState", "Delegate", "MemoryMax", "TasksMax")
        assert s == {"ActiveState": "active", "Delegate": "yes", "MemoryMax": str(64 * MB),
                     "TasksMax": "10"}, s
        assert read(scope / "memory.max") == str(64 * MB)
        assert read(scope / "pids.max") == "10"
        cg = Path(f"/proc/{state['pid']}/cgroup").read_text().strip()
        assert cg == "0::/" + str(scope.relative_to(CGROOT)), cg
        # exec from outside the user's delegated subtree (this test runs in a root-owned service,
        # as a login shell runs in a root-owned session scope): the user may not move a process
        # there itself; swrun has systemd move it. runc 1.1.5 ignores the refusal, and its
        # exec'd processes run outside the container's cgroup and limits.
        p = user.run(rt, "exec", cid, "cat", "/proc/self/cgroup")
        assert p.returncode == 0, p.stderr
        if which == "swrun":
            # Seen from the container's cgroup namespace (`spec --rootless` has one), its scope
            # is the root; a process left outside would see a "/.." path.
            assert p.stdout.strip() == "0::/", (p.stdout, cg)
            # The limit holds for them: forks past the tenth task are refused.
            # (Files: the sleeps left behind keep the exec's stdout open.)
            user.run(rt, "exec", cid, "sh", "-c", "i=0; while [ $i -lt 12 ]; do sleep 30 & i=$((i+1)); done",
                     files=True)
            assert int(keyed_max(scope / "pids.events")) > 0, read(scope / "pids.events")
            assert int(read(scope / "pids.current")) <= 10
        user.run(rt, "--systemd-cgroup", "delete", "--force", cid, check=True)
    finally:
        user.run(rt, "--systemd-cgroup", "delete", "--force", cid)
    assert user.unit(unit, "LoadState")["LoadState"] == "not-found"
    assert wait_for(lambda: not scope.exists(), 10), f"{scope} is left behind"


@pytest.fixture(scope="module")
def podman(user):
    top = user.xdg / "podman"
    base = ["podman", "--storage-driver", "vfs", "--root", top / "root", "--runroot", top / "runroot",
            "--tmpdir", top / "tmp", "--network-config-dir", top / "net",
            "--cgroup-manager=systemd", "--events-backend=file"]

    def pm(*args, timeout=240, check=False):
        return user.run(*base, *args, timeout=timeout, check=check)

    tar = user.xdg / "tmp" / "rootfs.tar"
    subprocess.run(["tar", "-C", str(user.xdg / "rootfs"), "-cf", str(tar), "."], check=True, timeout=120)
    user.own(tar)
    pm("import", tar, "localhost/swrun-busybox", check=True)
    yield pm
    # The tests remove their containers; stopping the user's manager ends podman's pause
    # process. Files podman's user namespace made belong to subordinate IDs: root removes them.
    subprocess.run(["rm", "-rf", str(top)], capture_output=True, timeout=120)


# Rootless podman under emulation takes 20-60 s a command (its user namespace, its pause
# process): more than the tier's default per-test timeout.
@pytest.mark.timeout(600)
@pytest.mark.parametrize("which", ["swrun", "runc"])
def test_rootless_podman_systemd_limits(user, podman, which):
    rt = ["--runtime", runtime_path(user, which)]
    r = podman(*rt, "run", "-d", "--network=none", "--memory", "64m", "--pids-limit", "10",
               "localhost/swrun-busybox", "sleep", "600", check=True)
    cid = r.stdout.strip().splitlines()[-1]
    unit = f"libpod-{cid}.scope"
    scope = user.manager_cgroup / "user.slice" / unit
    try:
        s = user.unit(unit, "ActiveState", "Delegate", "MemoryMax", "TasksMax")
        assert s == {"ActiveState": "active", "Delegate": "yes", "MemoryMax": str(64 * MB),
                     "TasksMax": "10"}, s
        assert read(scope / "memory.max") == str(64 * MB)
        e = podman(*rt, "exec", cid, "cat", "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/pids.max", check=True)
        assert e.stdout.split() == [str(64 * MB), "10"], e.stdout
    finally:
        # (stop and rm apart are covered on the host, Tests/engines/test_rootless_engines.py)
        podman(*rt, "rm", "--force", "--time", "0", cid, check=True)
    assert user.unit(unit, "LoadState")["LoadState"] == "not-found"
    assert wait_for(lambda: not scope.exists(), 10), f"{scope} is left behind"
