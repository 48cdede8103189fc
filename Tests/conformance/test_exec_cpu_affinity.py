"""process.execCPUAffinity (runtime-spec 1.2): the CPUs an exec'd process runs on before
(`initial`) and after (`final`) it joins the container's cgroup; a bad list is refused with its
JSON path before any process exists; `linux.intelRdt`, which swrun does not implement, is
refused rather than ignored. runc 1.1.5 predates both (it ignores them): swrun_only."""

import json
import os

import pytest

pytestmark = pytest.mark.swrun_only

PROBE = ["sh", "-c", "grep Cpus_allowed_list /proc/self/status | cut -f2"]


def exec_with(h, ctid, affinity):
    proc = h.config(PROBE)["process"]
    proc["execCPUAffinity"] = affinity
    f = h.workdir / "process.json"
    f.write_text(json.dumps(proc))
    return h.rt("exec", "--process", f, ctid)


def running(h):
    ctid, r = h.create(h.config(["sleep", "100"]))
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    return ctid


needs_two_cpus = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs CPUs 0 and 1")


@needs_two_cpus
@pytest.mark.parametrize("affinity,shown", [
    ({"final": "1"}, "1"),
    ({"initial": "0", "final": "1"}, "1"),
    ({"final": "0-1"}, "0-1"),
], ids=["final", "initial-then-final", "final-range"])
def test_exec_runs_on_the_final_cpus(h, affinity, shown):
    ctid = running(h)
    r = exec_with(h, ctid, affinity)
    assert r.rc == 0, r
    assert r.out.strip() == shown


def test_plain_exec_keeps_every_cpu(h):
    # The control: without the field the probe sees the container's whole CPU set, so the
    # cases above are the field's doing.
    ctid = running(h)
    r = h.rt("exec", ctid, *PROBE)
    assert r.rc == 0, r
    assert cpu_set(r.out.strip()) == os.sched_getaffinity(0), r.out


def cpu_set(text):
    """The CPUs of a kernel list ("0-3,7")."""
    cpus = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        cpus.update(range(int(lo), int(hi or lo) + 1))
    return cpus


@pytest.mark.parametrize("affinity,path,words", [
    ({"final": "1-0"}, "process.execCPUAffinity.final", "runs backwards"),
    ({"initial": "zero"}, "process.execCPUAffinity.initial", "not a CPU list"),
    ({"final": "0,,1"}, "process.execCPUAffinity.final", "not a CPU list"),
    ({"final": "9000"}, "process.execCPUAffinity.final", "not a CPU list"),
    ({"final": "4000"}, "process.execCPUAffinity.final", "sched_setaffinity"),
], ids=["backwards", "word", "empty-item", "beyond-nr-cpus", "cpu-the-host-lacks"])
def test_bad_affinity_fails_exec(h, affinity, path, words):
    ctid = running(h)
    r = exec_with(h, ctid, affinity)
    # 255: runc's status for an exec that failed before its process ran
    assert r.rc == 255, r
    assert path in r.err and words in r.err, r.err
    assert h.status(ctid) == "running"
    # No process of the failed exec is left in the container: only its init.
    ps = h.rt("ps", "--format", "json", ctid)
    assert ps.rc == 0, ps
    assert len(json.loads(ps.out)) == 1, ps.out


def test_bad_affinity_in_config_fails_create(h):
    cfg = h.config(["true"])
    cfg["process"]["execCPUAffinity"] = {"initial": "x"}
    ctid = h.new_id()
    r = h.run(cfg, ctid=ctid)
    assert r.rc == 1, r
    assert "process.execCPUAffinity.initial" in r.err, r.err
    assert h.state(ctid).rc != 0


def test_intel_rdt_is_refused_not_ignored(h):
    cfg = h.config(["true"])
    cfg["linux"]["intelRdt"] = {"closID": "swrun-test", "l3CacheSchema": "L3:0=ff"}
    ctid = h.new_id()
    r = h.run(cfg, ctid=ctid)
    assert r.rc == 1, r
    assert "linux.intelRdt" in r.err, r.err
    assert h.state(ctid).rc != 0
