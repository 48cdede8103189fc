"""podman with `--cgroup-manager=systemd --runtime swrun` (systemd as PID 1, pure cgroup v2):
run/exec/stop/rm with limits; conmon passes `--systemd-cgroup` and a
"machine.slice:libpod:<id>" cgroupsPath, as it does for runc."""

from __future__ import annotations

import subprocess

import pytest

from vmlib import CGROOT, close_podman, read, systemd_podman

MB = 1 << 20


@pytest.fixture(scope="module")
def podman(runtime, rootfs):
    pm = systemd_podman(runtime, "podman-")
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    imp = subprocess.run(pm.base + ["import", "-", "localhost/swrun-busybox"], stdin=tar.stdout,
                         capture_output=True, text=True, timeout=300)
    tar.wait()
    assert imp.returncode == 0, imp.stderr
    yield pm
    close_podman(pm)


def show(unit: str, *props: str) -> dict[str, str]:
    p = subprocess.run(["systemctl", "show", unit, *[f"--property={x}" for x in props]],
                       capture_output=True, text=True, timeout=30)
    return dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)


def test_run_exec_stop_rm_with_limits(podman):
    r = podman("run", "-d", "--network=none", "--memory", "64m", "--pids-limit", "10", "--cpus", "0.5",
               "localhost/swrun-busybox", "sleep", "600", check=True)
    cid = r.stdout.strip()
    unit = f"libpod-{cid}.scope"
    scope = CGROOT / "machine.slice" / unit
    try:
        s = show(unit, "ActiveState", "Slice", "Delegate", "MemoryMax", "TasksMax", "CPUQuotaPerSecUSec")
        assert s == {"ActiveState": "active", "Slice": "machine.slice", "Delegate": "yes",
                     "MemoryMax": str(64 * MB), "TasksMax": "10", "CPUQuotaPerSecUSec": "500ms"}, s
        assert read(scope / "memory.max") == str(64 * MB)
        e = podman("exec", cid, "cat", "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/pids.max",
                   "/sys/fs/cgroup/cpu.max", "/proc/self/cgroup", check=True)
        lines = e.stdout.split("\n")
        assert lines[:3] == [str(64 * MB), "10", "50000 100000"], e.stdout
        # podman gives the container a cgroup namespace: its scope is its root.
        assert lines[3] == "0::/", e.stdout
        podman("stop", "-t", "2", cid, check=True)
        podman("rm", cid, check=True)
    finally:
        podman("rm", "--force", "--time", "0", cid)
    assert show(unit, "LoadState")["LoadState"] == "not-found"
    assert not scope.exists()


def test_run_rm_foreground(podman):
    r = podman("run", "--rm", "--network=none", "--memory", "64m", "localhost/swrun-busybox",
               "sh", "-c", "cat /sys/fs/cgroup/memory.max; exit 3")
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert r.stdout.strip() == str(64 * MB)
    left = [p.name for p in (CGROOT / "machine.slice").glob("libpod-*.scope")]
    assert left == [], left
