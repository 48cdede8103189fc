"""A system container (LXC style): systemd as PID 1 inside a container that podman runs through
the runtime under test, in the VM whose own PID 1 is systemd. The container's root is a small
directory whose /usr is the host's, bind-mounted read-only; it needs the cgroup namespace, a
writable delegated cgroup and the mounts systemd expects (tmpfs /run and /tmp, cgroup2 rw),
which podman asks for with --systemd=always. Passes with runc 1.1.5 too (RUNTIME=runc)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from vmlib import CGROOT, close_podman, systemd_podman

# systemd's boot inside the container under software emulation: measured ~60-90 s; every
# `podman exec` costs a few seconds too.
BOOT_DEADLINE = 300
STOP_TIMEOUT = 120
SIGRTMIN_3 = 37


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
    if not os.path.exists("/usr/lib/systemd/systemd"):
        pytest.skip("needs systemd installed (its /usr is the container's)")
    pm = systemd_podman(runtime, "syscont-")
    yield pm
    close_podman(pm)


def mount_of(mountinfo: str, target: str) -> tuple[str, list[str]]:
    """(fstype, per-mount options) of the last mount on target."""
    found = ("", [])
    for line in mountinfo.splitlines():
        pre, _, post = line.partition(" - ")
        f = pre.split()
        if len(f) > 5 and f[4] == target:
            found = (post.split()[0], f[5].split(","))
    return found


@pytest.mark.timeout(BOOT_DEADLINE + STOP_TIMEOUT + 150)
def test_systemd_runs_as_pid1_and_stops_cleanly(podman):
    root = make_sysroot(podman.top)
    r = podman("run", "-d", "--network=none", "--systemd=always", "-v", "/usr:/usr:ro",
               "--rootfs", str(root), "/usr/lib/systemd/systemd", check=True)
    cid = r.stdout.strip()
    scope = CGROOT / "machine.slice" / f"libpod-{cid}.scope"
    try:
        # Every attempt's exit status and stderr is kept: an exec that fails must not look
        # like a systemd that prints nothing.
        attempts = []
        state = ""
        t0 = time.monotonic()
        while time.monotonic() - t0 < BOOT_DEADLINE:
            e = podman("exec", cid, "systemctl", "is-system-running")
            state = e.stdout.strip()
            attempts.append((round(time.monotonic() - t0), e.returncode, state, e.stderr.strip()[-300:]))
            if state in ("running", "degraded"):
                break
            if podman("inspect", "--format", "{{.State.Running}}", cid).stdout.strip() != "true":
                break
            time.sleep(3)
        logs = podman("logs", cid)
        assert state in ("running", "degraded"), (attempts[-5:], logs.stdout[-2000:], logs.stderr[-2000:])

        e = podman("exec", cid, "sh", "-c", "cat /proc/1/comm /proc/1/cgroup /proc/self/mountinfo",
                   check=True)
        comm, init_cgroup, mountinfo = e.stdout.split("\n", 2)
        assert comm == "systemd", e.stdout
        # Its own cgroup namespace whose root is the scope: systemd put itself into init.scope.
        assert init_cgroup == "0::/init.scope", e.stdout
        pid = podman("inspect", "--format", "{{.State.Pid}}", cid, check=True).stdout.strip()
        assert os.readlink(f"/proc/{pid}/ns/cgroup") != os.readlink("/proc/self/ns/cgroup")
        # The delegated scope holds the tree systemd built in it.
        assert (scope / "init.scope").is_dir() and (scope / "system.slice").is_dir(), sorted(os.listdir(scope))
        fstype, opts = mount_of(mountinfo, "/sys/fs/cgroup")
        assert fstype == "cgroup2" and "rw" in opts, (fstype, opts)
        for d in ("/run", "/tmp"):
            assert mount_of(mountinfo, d)[0] == "tmpfs", (d, mount_of(mountinfo, d))

        # `podman stop` sends systemd's halt signal (SIGRTMIN+3): a clean shutdown, not a kill
        # after the timeout (137).
        assert podman("inspect", "--format", "{{.Config.StopSignal}}", cid, check=True).stdout.strip() == str(SIGRTMIN_3)
        t1 = time.monotonic()
        podman("stop", "-t", str(STOP_TIMEOUT), cid, check=True, timeout=STOP_TIMEOUT + 120)
        took = time.monotonic() - t1
        code = podman("inspect", "--format", "{{.State.ExitCode}}", cid, check=True).stdout.strip()
        assert code != "137" and took < STOP_TIMEOUT, (code, took, podman("logs", cid).stdout[-2000:])
        podman("rm", cid, check=True)
    finally:
        podman("rm", "--force", "--time", "0", cid)
    # Nothing left: the scope, and every sub-cgroup systemd made in it, is gone.
    assert not scope.exists(), sorted(p.name for p in scope.iterdir())
    show = subprocess.run(["systemctl", "show", f"libpod-{cid}.scope", "--property=LoadState"],
                          capture_output=True, text=True, timeout=30)
    assert show.stdout.strip() == "LoadState=not-found", show.stdout
