"""The systemd cgroup driver (`--systemd-cgroup`) with systemd as PID 1 on pure cgroup v2:
each container is a transient scope in its slice, with Delegate=yes and the limits both in
the unit (`systemctl show`) and in the files the container sees."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import pytest

from vmlib import CGROOT, harness, read, require_pure_v2, wait_for, with_cgroup_view

MB = 1 << 20


@pytest.fixture(autouse=True)
def _systemd_host():
    require_pure_v2()
    if not Path("/run/systemd/system").is_dir():
        pytest.skip("needs systemd as PID 1: run through `make test-vm` (the systemd VM)")


def show(unit: str, *props: str) -> dict[str, str]:
    p = subprocess.run(["systemctl", "show", unit, *[f"--property={x}" for x in props]],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    # A list property (DeviceAllow) comes as one line per entry: joined with newlines.
    out: dict[str, str] = {}
    for line in p.stdout.splitlines():
        k, sep, v = line.partition("=")
        if sep:
            out[k] = out[k] + "\n" + v if k in out else v
    return out


def gone(unit: str) -> bool:
    return show(unit, "LoadState")["LoadState"] == "not-found"


def _create(h, cfg, ctid=None):
    """`--systemd-cgroup create` (a global flag, before the command, as engines pass it)."""
    b = h.bundle(cfg)
    ctid = ctid or h.new_id()
    out = h.workdir / f"{ctid}.stdout"
    err = h.workdir / f"{ctid}.stderr"
    with open(out, "ab") as o, open(err, "ab") as e:
        p = subprocess.run(h.cmd("--systemd-cgroup", "create", "--bundle", b, ctid),
                           stdin=subprocess.DEVNULL, stdout=o, stderr=e, timeout=60)
    return ctid, harness.Result(p.returncode, out.read_text(), err.read_text())


def sd_run(h, cfg, ctid=None):
    b = h.bundle(cfg)
    ctid = ctid or h.new_id()
    return ctid, h.rt("--systemd-cgroup", "run", "--bundle", b, ctid, timeout=60)


def test_default_scope_in_system_slice_delegated_and_stopped_by_delete(h):
    cfg = h.config(["sleep", "600"])
    ctid, r = _create(h, cfg)
    assert r.rc == 0, r
    unit = f"swrun-{ctid}.scope"
    scope = CGROOT / "system.slice" / unit
    s = show(unit, "ActiveState", "Slice", "Delegate", "ControlGroup", "DefaultDependencies")
    assert s == {"ActiveState": "active", "Slice": "system.slice", "Delegate": "yes",
                 "ControlGroup": f"/system.slice/{unit}", "DefaultDependencies": "no"}, s
    pid = h.state_json(ctid)["pid"]
    assert str(pid) in read(scope / "cgroup.procs").split()
    # Delegated: the container may manage the subtree (systemd enabled controllers for it).
    assert "memory" in read(scope / "cgroup.controllers").split()
    assert h.delete(ctid, force=True).rc == 0
    assert gone(unit), show(unit, "LoadState", "ActiveState")
    assert not scope.exists()


def test_the_container_sees_its_scope(h):
    cfg = h.config(["cat", "/proc/self/cgroup"])
    ctid, r = sd_run(h, cfg)
    assert r.rc == 0, r
    assert r.out.strip() == f"0::/system.slice/swrun-{ctid}.scope", r.out
    assert gone(f"swrun-{ctid}.scope")


def test_limits_in_the_unit_and_in_the_files(h):
    ctid = h.new_id()
    cfg = with_cgroup_view(h.config(["sleep", "600"]))
    cfg["linux"]["cgroupsPath"] = f"machine.slice:swrun-test:{ctid}"
    cfg["linux"]["resources"] = {
        "memory": {"limit": 64 * MB, "reservation": 16 * MB},
        "pids": {"limit": 10},
        "cpu": {"quota": 50000, "period": 100000, "shares": 1024},
    }
    ctid, r = _create(h, cfg, ctid)
    assert r.rc == 0, r
    unit = f"swrun-test-{ctid}.scope"
    s = show(unit, "Slice", "Delegate", "MemoryMax", "MemoryLow", "TasksMax", "CPUQuotaPerSecUSec",
             "CPUQuotaPeriodUSec", "CPUWeight", "DevicePolicy")
    assert s == {"Slice": "machine.slice", "Delegate": "yes", "MemoryMax": str(64 * MB),
                 "MemoryLow": str(16 * MB), "TasksMax": "10", "CPUQuotaPerSecUSec": "500ms",
                 "CPUQuotaPeriodUSec": "100ms", "CPUWeight": "100", "DevicePolicy": "strict"}, s
    scope = CGROOT / "machine.slice" / unit
    assert read(scope / "memory.max") == str(64 * MB)
    assert read(scope / "pids.max") == "10"
    assert read(scope / "cpu.max") == "50000 100000"
    # From inside (its cgroup namespace shows the scope as /).
    e = h.rt("exec", ctid, "sh", "-c",
             "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max /sys/fs/cgroup/cpu.weight")
    assert e.rc == 0, e
    assert e.out.split("\n")[:4] == [str(64 * MB), "10", "50000 100000", "100"], e.out
    assert h.delete(ctid, force=True).rc == 0
    assert gone(unit)
    assert not scope.exists()


def test_cpu_quota_is_rounded_up_to_what_systemd_keeps(h):
    cfg = h.config(["cat", "/sys/fs/cgroup/cpu.max"])
    with_cgroup_view(cfg)
    cfg["linux"]["resources"] = {"cpu": {"quota": 12345, "period": 100000}}
    ctid, r = sd_run(h, cfg)
    assert r.rc == 0, r
    # systemd keeps whole percents: 12.345% → 13%; the file agrees with the unit.
    assert r.out.strip() == "13000 100000", r.out


def test_nested_slice(h):
    tag = secrets.token_hex(2)
    slice_ = f"swrunt{tag}-a-b.slice"
    ctid = h.new_id()
    cfg = h.config(["cat", "/proc/self/cgroup"])
    cfg["linux"]["cgroupsPath"] = f"{slice_}:p:{ctid}"
    try:
        ctid, r = sd_run(h, cfg, ctid)
        assert r.rc == 0, r
        assert r.out.strip() == (f"0::/swrunt{tag}.slice/swrunt{tag}-a.slice/{slice_}/p-{ctid}.scope"), r.out
        assert gone(f"p-{ctid}.scope")
    finally:
        subprocess.run(["systemctl", "stop", f"swrunt{tag}.slice"], capture_output=True, timeout=30)
    assert not (CGROOT / f"swrunt{tag}.slice").exists()


def test_devices_follow_device_allow(h):
    # /dev/fuse (c 10:229) is a node in the container but not in the default allow list. The
    # device cgroup refuses open() with EPERM before the driver is asked; allowed, the open
    # succeeds (or fails otherwise, without the module), but never with EPERM.
    probe = "head -c0 /dev/fuse && echo open-ok; head -c1 /dev/zero >/dev/null && echo zero-ok"
    cfg = h.config(["sh", "-c", probe])
    cfg["linux"]["devices"] = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]
    ctid, r = sd_run(h, cfg)
    assert r.rc == 0, r
    assert "zero-ok" in r.out and "open-ok" not in r.out, r
    assert "/dev/fuse: Operation not permitted" in r.err, r.err
    cfg["linux"]["resources"] = {"devices": [{"allow": True, "type": "c", "major": 10, "minor": 229, "access": "r"}]}
    cfg["process"]["args"] = ["sleep", "600"]
    ctid, r = _create(h, cfg)
    assert r.rc == 0, r
    s = show(f"swrun-{ctid}.scope", "DevicePolicy", "DeviceAllow")
    assert s["DevicePolicy"] == "strict", s
    allowed = s["DeviceAllow"].split("\n")
    assert "/dev/char/10:229 r" in allowed and "/dev/char/1:3 rwm" in allowed and "char-136 rwm" in allowed, s
    e = h.rt("exec", ctid, "sh", "-c", probe)
    assert "Operation not permitted" not in e.err and "zero-ok" in e.out, e


def test_unit_name_in_use_fails_and_leaves_the_other_alone(h):
    ctid = h.new_id()
    cfg = h.config(["sleep", "600"])
    cfg["linux"]["cgroupsPath"] = f"system.slice:swrun-dup:{ctid}"
    first, r = _create(h, cfg, ctid)
    assert r.rc == 0, r
    second, r2 = _create(h, cfg)
    assert r2.rc == 1, r2
    assert f"swrun-dup-{ctid}.scope" in r2.err, r2.err
    assert h.state(second).rc == 1
    assert h.status(first) == "created"
    assert show(f"swrun-dup-{ctid}.scope", "ActiveState")["ActiveState"] == "active"


@pytest.mark.parametrize("path,msg", [
    ("bad--name.slice:p:x", "invalid slice name"),
    ("system.slice:p", "slice:prefix:name"),
])
def test_bad_cgroups_path_fails_before_anything_exists(h, path, msg):
    cfg = h.config(["true"])
    cfg["linux"]["cgroupsPath"] = path
    ctid, r = sd_run(h, cfg)
    assert r.rc == 1, r
    assert "linux.cgroupsPath" in r.err and msg in r.err, r.err
    assert h.state(ctid).rc == 1


def test_failed_create_stops_the_unit(h):
    # The init fails after the scope exists (no such executable): nothing may stay behind.
    cfg = h.config(["/no/such/program"])
    ctid, r = _create(h, cfg)
    assert r.rc == 1, r
    assert h.state(ctid).rc == 1
    assert wait_for(lambda: gone(f"swrun-{ctid}.scope"), timeout=10)
    assert not (CGROOT / "system.slice" / f"swrun-{ctid}.scope").exists()


def test_update_changes_the_unit_and_the_files(h):
    cfg = h.config(["sleep", "600"])
    cfg["linux"]["resources"] = {"memory": {"limit": 64 * MB}, "pids": {"limit": 10}}
    ctid, r = _create(h, cfg)
    assert r.rc == 0, r
    unit = f"swrun-{ctid}.scope"
    u = h.rt("update", "--memory", "128m", "--pids-limit", "20", ctid)
    assert u.rc == 0, u
    s = show(unit, "MemoryMax", "TasksMax")
    assert s == {"MemoryMax": str(128 * MB), "TasksMax": "20"}, s
    scope = CGROOT / "system.slice" / unit
    assert read(scope / "memory.max") == str(128 * MB)
    assert read(scope / "pids.max") == "20"
