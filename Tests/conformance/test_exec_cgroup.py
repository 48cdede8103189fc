"""`exec --cgroup [CONTROLLER[,CONTROLLER]:]PATH` (runc 1.2): the exec'd process joins an
existing sub-cgroup of the container's, in every hierarchy or in the named controllers'
only. runc 1.1.5 has no such flag.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.swrun_only


def running(h):
    ctid, r = h.create(h.config(["sleep", "1000"]))
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    record = json.loads((h.root / ctid / "state.json").read_text())
    return ctid, record["cgroupPaths"]


def make_sub(path: str, name: str) -> None:
    """A sub-cgroup as a user makes one; a v1 cpuset one needs its cpus and mems first."""
    d = Path(path) / name
    d.mkdir()
    for f in ("cpuset.cpus", "cpuset.mems"):
        if (d / f).exists():
            (d / f).write_text((Path(path) / f).read_text())


def cgroup_lines(out: str) -> dict[str, str]:
    """controllers → path, from /proc/self/cgroup."""
    return {l.split(":", 2)[1]: l.split(":", 2)[2] for l in out.splitlines() if l.count(":") >= 2}


def test_sub_cgroup_in_every_hierarchy(h):
    ctid, paths = running(h)
    for p in paths:
        make_sub(p, "sub")
    r = h.rt("exec", "--cgroup", "sub", ctid, "cat", "/proc/self/cgroup")
    assert r.rc == 0, r
    lines = cgroup_lines(r.out)
    own = [v for v in lines.values() if v.endswith(f"/{ctid}/sub") or v.endswith(f"{ctid}/sub")]
    assert len(own) >= len(paths), r.out
    # The process was there: each sub-cgroup counted it.
    h.kill(ctid, "KILL")
    h.wait_status(ctid, "stopped")
    assert h.delete(ctid).rc == 0
    assert not any(Path(p).exists() for p in paths), "delete must remove the sub-cgroups too"


def test_sub_cgroup_of_one_controller_only(h):
    ctid, paths = running(h)
    mem = [p for p in paths if "/memory/" in p]
    if not mem:
        pytest.fail("this host has no v1 memory hierarchy", pytrace=False)
    make_sub(mem[0], "m")
    r = h.rt("exec", "--cgroup", "memory:m", ctid, "cat", "/proc/self/cgroup")
    assert r.rc == 0, r
    lines = cgroup_lines(r.out)
    memline = next(v for k, v in lines.items() if "memory" in k.split(","))
    assert memline.endswith("/m"), r.out
    others = [v for k, v in lines.items() if "memory" not in k.split(",") and k]
    assert others and not any(v.endswith("/m") for v in others), r.out


@pytest.mark.parametrize("value,want", [
    ("nosuch", "does not exist"),
    ("../escape", "below the container's"),
    ("memory:a:b", "[CONTROLLER"),
    ("nosuchcontroller:x", "no cgroup with controller"),
])
def test_bad_values_fail_before_the_process_runs(h, value, want):
    ctid, _ = running(h)
    r = h.rt("exec", "--cgroup", value, ctid, "sh", "-c", "echo ran")
    assert r.rc == 255, r
    assert "ran" not in r.out
    assert want in r.err, r.err


def test_two_values_need_controller_prefixes(h):
    ctid, _ = running(h)
    r = h.rt("exec", "--cgroup", "a", "--cgroup", "b", ctid, "true")
    assert r.rc == 255, r
    assert "CONTROLLER: prefix" in r.err, r.err
