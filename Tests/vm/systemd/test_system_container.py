"""A system container (LXC style): systemd as PID 1 inside a container that podman runs through
swrun, in the VM whose own PID 1 is systemd. The container's root is a small directory whose
/usr is the host's, bind-mounted read-only; it needs the cgroup namespace, a writable delegated
cgroup and the mounts systemd expects (tmpfs /run and /tmp, cgroup2 rw), which podman asks for
with --systemd=always."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from vmlib import require_pure_v2


def make_sysroot(top: Path) -> Path:
    """A rootfs of symlinks into /usr (merged-/usr Debian) plus the few /etc files systemd reads."""
    root = top / "sysroot"
    for d in ("usr", "etc", "var", "run", "tmp", "proc", "sys", "dev", "root"):
        (root / d).mkdir(parents=True, exist_ok=True)
    for link in ("bin", "sbin", "lib", "lib64"):
        if os.path.islink(f"/{link}"):
            (root / link).symlink_to(os.readlink(f"/{link}"))
    for f in ("passwd", "group", "shadow", "nsswitch.conf"):
        if os.path.exists(f"/etc/{f}"):
            shutil.copy(f"/etc/{f}", root / "etc" / f)
    (root / "etc" / "os-release").symlink_to("../usr/lib/os-release")
    # Empty: systemd makes a transient machine ID instead of a first-boot setup.
    (root / "etc" / "machine-id").write_text("")
    return root


@pytest.fixture(scope="module")
def podman(runtime):
    require_pure_v2()
    if not Path("/run/systemd/system").is_dir():
        pytest.skip("needs systemd as PID 1: run through `make test-vm` (the systemd VM)")
    if not shutil.which("podman") or not os.path.exists("/usr/lib/systemd/systemd"):
        pytest.skip("needs podman and systemd (scripts/vm/install.sh)")
    top = Path(tempfile.mkdtemp(prefix="syscont-", dir=os.environ.get("TMPDIR", "/run")))
    base = ["podman", "--storage-driver", "vfs", "--root", str(top / "root"), "--runroot", str(top / "runroot"),
            "--tmpdir", str(top / "tmp"), "--network-config-dir", str(top / "net"),
            "--cgroup-manager=systemd", "--events-backend=file", "--runtime", runtime]

    def pm(*args, timeout=180, check=False):
        p = subprocess.run(base + list(args), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout)
        if check:
            assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p

    pm.top = top
    yield pm
    pm("rm", "--all", "--force", "--time", "0")
    subprocess.run(["rm", "-rf", str(top)], capture_output=True)


def test_systemd_runs_as_pid1_and_stops_cleanly(podman):
    root = make_sysroot(podman.top)
    r = podman("run", "-d", "--network=none", "--systemd=always", "-v", "/usr:/usr:ro",
               "--rootfs", str(root), "/usr/lib/systemd/systemd", check=True)
    cid = r.stdout.strip()
    try:
        state = ""
        deadline = time.monotonic() + 300  # systemd's boot under software emulation
        while time.monotonic() < deadline:
            e = podman("exec", cid, "systemctl", "is-system-running")
            state = e.stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(3)
        logs = podman("logs", cid).stdout
        assert state in ("running", "degraded"), (state, logs[-3000:])
        e = podman("exec", cid, "sh", "-c", "cat /proc/1/comm; cat /proc/self/cgroup; "
                   "stat -f -c %T /sys/fs/cgroup; stat -f -c %T /run; ls /sys/fs/cgroup", check=True)
        lines = e.stdout.split("\n")
        assert lines[0] == "systemd", e.stdout
        # Its own cgroup namespace, and it could build its tree in the delegated cgroup.
        assert lines[1].startswith("0::/") and not lines[1].startswith("0::/machine.slice"), e.stdout
        assert lines[2] == "cgroup2fs" and lines[3] == "tmpfs", e.stdout
        assert "init.scope" in e.stdout and "system.slice" in e.stdout, e.stdout
        # `podman stop` sends systemd's halt signal (SIGRTMIN+3): a clean shutdown, not a kill.
        t0 = time.monotonic()
        podman("stop", "-t", "120", cid, check=True, timeout=300)
        took = time.monotonic() - t0
        code = podman("inspect", "--format", "{{.State.ExitCode}}", cid, check=True).stdout.strip()
        assert code != "137" and took < 120, (code, took, podman("logs", cid).stdout[-2000:])
        podman("rm", cid, check=True)
    finally:
        podman("rm", "--force", "--time", "0", cid)
