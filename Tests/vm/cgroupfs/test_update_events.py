"""`update` and `events` on a pure cgroup v2 host: the same runc flags as on v1 must land in
the v2 files (through the same mapping as create), and the stats must come from them."""

import json
import subprocess
import time

import pytest

from vmlib import host_dir, keyed, read, require_pure_v2, weight

MiB = 1 << 20


@pytest.fixture(autouse=True)
def _v2():
    require_pure_v2()


def ok(r):
    assert r.rc == 0, r
    return r.out


def started(h, resources, args=("sleep", "100")):
    cfg = h.config(list(args))
    cfg["linux"]["resources"] = resources
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    ok(h.start(ctid))
    return ctid, host_dir(ctid)


def test_update_flags(h):
    ctid, d = started(h, {"memory": {"limit": 64 * MiB}, "pids": {"limit": 50}})
    ok(h.rt("update", "--memory", "128m", "--pids-limit", "20", "--cpu-share", "256",
            "--cpu-quota", "30000", "--cpu-period", "60000", ctid))
    assert read(d / "memory.max") == str(128 * MiB)
    assert read(d / "pids.max") == "20"
    assert read(d / "cpu.weight") == weight(256)
    assert read(d / "cpu.max") == "30000 60000"


def test_update_resources_file_and_swap(h):
    ctid, d = started(h, {"memory": {"limit": 32 * MiB, "swap": 48 * MiB}})
    assert read(d / "memory.swap.max") == str(16 * MiB)
    f = h.tmpdir("upd") / "r.json"
    f.write_text(json.dumps({"memory": {"limit": 100 * MiB, "swap": 200 * MiB}, "pids": {"limit": 33}}))
    ok(h.rt("update", "-r", str(f), ctid))
    assert read(d / "memory.max") == str(100 * MiB)
    assert read(d / "memory.swap.max") == str(100 * MiB)
    assert read(d / "pids.max") == "33"


def test_update_unified(h):
    ctid, d = started(h, {})
    f = h.tmpdir("upd") / "r.json"
    f.write_text(json.dumps({"unified": {"memory.high": str(40 * MiB)}}))
    ok(h.rt("update", "-r", str(f), ctid))
    assert read(d / "memory.high") == str(40 * MiB)


def test_events_stats(h):
    ctid, d = started(h, {"memory": {"limit": 64 * MiB}, "pids": {"limit": 20}})
    ev = json.loads(ok(h.rt("events", "--stats", ctid)))
    assert ev["type"] == "stats" and ev["id"] == ctid, ev
    data = ev["data"]
    assert data["memory"]["usage"]["limit"] == 64 * MiB
    assert data["memory"]["usage"]["usage"] > 0
    assert data["pids"]["current"] >= 1 and data["pids"]["limit"] == 20
    assert data["cpu"]["usage"]["total"] > 0


def test_events_reports_oom(h):
    cfg = h.config(["sh", "-c", "sleep 2; awk 'BEGIN { s = \"xxxxxxxx\"; while (1) s = s s }'; sleep 60"])
    cfg["linux"]["resources"] = {"memory": {"limit": 16 * MiB, "swap": 16 * MiB}}
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    p = subprocess.Popen(h.cmd("events", "--interval", "1s", ctid), stdout=subprocess.PIPE, text=True)
    h.helpers.append(p)
    ok(h.start(ctid))
    types = []
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and "oom" not in types:
        line = p.stdout.readline()
        if not line:
            break
        types.append(json.loads(line)["type"])
    assert "oom" in types, (types, h.output(ctid))
    assert int(keyed(host_dir(ctid) / "memory.events")["oom_kill"]) >= 1
