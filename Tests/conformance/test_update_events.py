"""`update` changes a live container's limits; `events --stats` reports its counters as runc's
JSON; `events` reports OOM kills.  On this hybrid host through the v1 controllers."""

import json
import subprocess
import time
from pathlib import Path

import pytest

from conftest import IS_SWRUN
from test_cgroup_v1 import V1, cgroup_dir, read, started

pytestmark = pytest.mark.skipif(not V1, reason="needs cgroup v1 controllers (hybrid host)")


def ok(r):
    assert r.rc == 0, r
    return r.out


def test_update_flags(h):
    ctid, pid = started(h, {"memory": {"limit": 64 << 20}, "pids": {"limit": 50}})
    ok(h.start(ctid))
    ok(h.rt("update", "--memory", "128m", "--pids-limit", "20", "--cpu-share", "256",
            "--cpu-quota", "30000", "--cpu-period", "60000", ctid))
    assert read(cgroup_dir(pid, "memory") / "memory.limit_in_bytes") == str(128 << 20)
    assert read(cgroup_dir(pid, "pids") / "pids.max") == "20"
    cpu = cgroup_dir(pid, "cpu")
    assert read(cpu / "cpu.shares") == "256"
    assert read(cpu / "cpu.cfs_quota_us") == "30000"
    assert read(cpu / "cpu.cfs_period_us") == "60000"


def test_update_resources_file_and_stdin(h):
    ctid, pid = started(h, {"pids": {"limit": 50}})
    f = h.tmpdir("upd") / "r.json"
    f.write_text(json.dumps({"pids": {"limit": 33}, "memory": {"limit": 96 << 20}}))
    ok(h.rt("update", "-r", str(f), ctid))
    assert read(cgroup_dir(pid, "pids") / "pids.max") == "33"
    assert read(cgroup_dir(pid, "memory") / "memory.limit_in_bytes") == str(96 << 20)
    p = subprocess.run(h.cmd("update", "--resources", "-", ctid), input=json.dumps({"pids": {"limit": 44}}),
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert read(cgroup_dir(pid, "pids") / "pids.max") == "44"


def test_update_grows_memory_past_swap(h):
    """Raising memory above the old memory+swap needs memsw raised first: the order is handled."""
    if not Path("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes").exists():
        pytest.skip("no swap accounting")
    ctid, pid = started(h, {"memory": {"limit": 32 << 20, "swap": 48 << 20}})
    ok(h.rt("update", "--memory", "100m", "--memory-swap", "200m", ctid))
    d = cgroup_dir(pid, "memory")
    assert read(d / "memory.limit_in_bytes") == str(100 << 20)
    assert read(d / "memory.memsw.limit_in_bytes") == str(200 << 20)


def test_update_errors(h):
    ctid, _ = started(h, {})
    r = h.rt("update", "--memory", "lots", ctid)
    assert r.rc == 1 and r.err.strip(), r
    r = h.rt("update", "--pids-limit", "5", "no-such-container")
    assert r.rc == 1 and r.err.strip(), r
    # Past Int64: a parse error as runc's, not a trap (SIGILL, exit 132).
    r = h.rt("update", "--memory", "99999999999999999999g", ctid)
    assert r.rc == 1 and r.err.strip(), r
    r = h.rt("events", "--interval", "99999999999999999999h", ctid)
    assert r.rc == 1 and r.err.strip(), r
    bad = h.tmpdir("bad") / "r.json"
    bad.write_text('{"memory": {"limit": "64m"}}')
    r = h.rt("update", "-r", str(bad), ctid)
    assert r.rc == 1, r
    if IS_SWRUN:
        assert "resources.memory.limit" in r.err, r.err


@pytest.mark.swrun_only  # runc 1.1.5 ignores checkBeforeUpdate
def test_update_check_before_update(h):
    ctid, pid = started(h, {"memory": {"limit": 64 << 20}},
                        args=("sh", "-c", "dd if=/dev/zero bs=8M count=1 | sleep 60"))
    ok(h.start(ctid))
    time.sleep(0.5)
    f = h.tmpdir("cbu") / "r.json"
    f.write_text(json.dumps({"memory": {"limit": 4096, "checkBeforeUpdate": True}}))
    r = h.rt("update", "-r", str(f), ctid)
    assert r.rc == 1 and "current memory usage" in r.err, r
    assert read(cgroup_dir(pid, "memory") / "memory.limit_in_bytes") == str(64 << 20)


def test_events_stats(h):
    ctid, pid = started(h, {"memory": {"limit": 64 << 20}, "pids": {"limit": 20}})
    ok(h.start(ctid))
    ev = json.loads(ok(h.rt("events", "--stats", ctid)))
    assert ev["type"] == "stats" and ev["id"] == ctid, ev
    d = ev["data"]
    assert d["memory"]["usage"]["limit"] == 64 << 20
    assert d["memory"]["usage"]["usage"] > 0
    assert d["pids"]["current"] >= 1 and d["pids"]["limit"] == 20
    assert d["cpu"]["usage"]["total"] > 0
    assert isinstance(d["memory"]["raw"], dict) and d["memory"]["raw"]
    assert h.rt("events", "--stats", "no-such-container").rc == 1


def test_events_reports_oom(h):
    mem = {"limit": 16 << 20}
    if Path("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes").exists():
        mem["swap"] = 16 << 20
    ctid, _ = started(h, {"memory": mem}, args=("sh", "-c", "sleep 1; dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 30"))
    p = subprocess.Popen(h.cmd("events", "--interval", "1s", ctid), stdout=subprocess.PIPE, text=True)
    h.helpers.append(p)
    ok(h.start(ctid))
    types = []
    deadline = time.time() + 15
    while time.time() < deadline and not {"oom", "stats"} <= set(types):
        line = p.stdout.readline()
        if not line:
            break
        types.append(json.loads(line)["type"])
    assert "oom" in types, (types, h.output(ctid))
    assert "stats" in types, types
