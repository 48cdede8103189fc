"""Where a container's cgroup lives on a pure v2 host, and what the lifecycle commands do to it:
cgroupsPath (absolute, relative, absent), pause/resume through cgroup.freeze, kill --all,
delete, and the pids and memory limits actually holding."""

import time

import pytest

from vmlib import CGROOT, host_dir, keyed, own_cgroup, read, require_pure_v2, wait_for, with_cgroup_view

MiB = 1 << 20


@pytest.fixture(autouse=True)
def _v2():
    require_pure_v2()


def procs(d):
    return [int(p) for p in read(d / "cgroup.procs").split()]


def init_pid(h, ctid) -> int:
    return h.state_json(ctid)["pid"]


def proc_cgroup(pid: int) -> str:
    with open(f"/proc/{pid}/cgroup") as f:
        return f.read().strip()


def started(h, cfg):
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    return ctid


# -- where the cgroup is --------------------------------------------------------

def test_no_resources_container_runs_in_its_own_cgroup(h):
    cfg = with_cgroup_view(h.config(["sh", "-c", "cat /proc/self/cgroup; cat /sys/fs/cgroup/cgroup.procs"]))
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    d = host_dir(ctid)
    assert d.is_dir()
    pid = init_pid(h, ctid)
    assert procs(d) == [pid]
    want = "0::" + (own_cgroup().rstrip("/") + "/" + ctid)
    assert proc_cgroup(pid) == want
    assert h.start(ctid).rc == 0
    assert h.wait_status(ctid, "stopped") == "stopped"
    # In its cgroup namespace the container is at the root and alone (PID 1 of its namespace).
    assert h.output(ctid).out.split() == ["0::/", "1"], h.output(ctid)
    assert h.delete(ctid).rc == 0
    assert not d.exists()


def test_absolute_cgroups_path(h, scratch_cgroup):
    path = f"/{scratch_cgroup.name}/abs"
    cfg = h.config(["sleep", "100"])
    cfg["linux"]["cgroupsPath"] = path
    ctid = started(h, cfg)
    d = CGROOT / scratch_cgroup.name / "abs"
    assert procs(d) == [init_pid(h, ctid)]
    assert proc_cgroup(init_pid(h, ctid)) == "0::" + path
    assert h.kill(ctid, "KILL").rc == 0
    assert h.wait_status(ctid, "stopped") == "stopped"
    assert h.delete(ctid).rc == 0
    assert not d.exists(), "delete must remove the container's cgroup"
    assert scratch_cgroup.exists(), "parents are not the runtime's to remove"


def test_relative_cgroups_path_is_below_the_callers_cgroup(h, scratch_cgroup):
    rel = f"{scratch_cgroup.name}/rel"
    cfg = h.config(["sleep", "100"])
    cfg["linux"]["cgroupsPath"] = rel
    ctid = started(h, cfg)
    d = host_dir(rel)
    assert d == CGROOT / own_cgroup().lstrip("/") / rel
    assert procs(d) == [init_pid(h, ctid)]
    assert h.delete(ctid, force=True).rc == 0
    assert not d.exists()


@pytest.mark.swrun_only  # runc 1.1.5 accepts it (it cleans the path)
def test_cgroups_path_with_dotdot_is_refused(h):
    cfg = h.config(["true"])
    cfg["linux"]["cgroupsPath"] = "/a/../../escape"
    r = h.run(cfg)
    assert r.rc == 1, r
    assert "cgroupsPath" in r.err, r
    assert not (CGROOT / "escape").exists()


def test_delete_of_created_container_removes_cgroup(h):
    ctid, r = h.create(h.config(["true"]))
    assert r.rc == 0, r
    d = host_dir(ctid)
    assert d.is_dir()
    assert h.delete(ctid).rc == 0
    assert not d.exists()


# -- pause / resume / kill --------------------------------------------------------

def test_pause_resume_freezes_the_cgroup(h):
    ctid = started(h, h.config(["sleep", "100"]))
    d = host_dir(ctid)
    assert read(d / "cgroup.freeze") == "0"
    assert h.rt("pause", ctid).rc == 0
    assert read(d / "cgroup.freeze") == "1"
    assert wait_for(lambda: keyed(d / "cgroup.events").get("frozen") == "1"), read(d / "cgroup.events")
    assert h.status(ctid) == "paused"
    assert h.rt("resume", ctid).rc == 0
    assert read(d / "cgroup.freeze") == "0"
    assert wait_for(lambda: keyed(d / "cgroup.events").get("frozen") == "0")
    assert h.status(ctid) == "running"


def test_paused_container_gets_no_cpu(h):
    ctid = started(h, h.config(["sh", "-c", "while :; do :; done"]))
    d = host_dir(ctid)
    usage = lambda: int(keyed(d / "cpu.stat")["usage_usec"])
    first = usage()
    assert wait_for(lambda: usage() > first + 50000), "the busy loop does not run"
    assert h.rt("pause", ctid).rc == 0
    assert wait_for(lambda: keyed(d / "cgroup.events").get("frozen") == "1")
    before = usage()
    time.sleep(1.0)
    assert usage() == before, "the container used CPU while paused"
    assert h.rt("resume", ctid).rc == 0
    assert wait_for(lambda: usage() > before + 50000), "the container did not resume"


def test_kill_all_empties_the_cgroup(h):
    cfg = h.config(["sh", "-c", "sleep 100 & sleep 101 & wait"])
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "pid"]
    ctid = started(h, cfg)
    d = host_dir(ctid)
    assert wait_for(lambda: len(procs(d)) == 3), procs(d)
    assert h.kill(ctid, "KILL", all_=True).rc == 0
    assert wait_for(lambda: procs(d) == []), procs(d)
    assert h.wait_status(ctid, "stopped") == "stopped"
    assert h.delete(ctid).rc == 0
    assert not d.exists()


def test_kill_all_of_paused_container(h):
    cfg = h.config(["sh", "-c", "sleep 100 & wait"])
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "pid"]
    ctid = started(h, cfg)
    d = host_dir(ctid)
    assert wait_for(lambda: len(procs(d)) == 2)
    assert h.rt("pause", ctid).rc == 0
    assert h.kill(ctid, "KILL", all_=True).rc == 0
    assert wait_for(lambda: procs(d) == []), "SIGKILL must reach frozen processes"
    assert h.delete(ctid, force=True).rc == 0
    assert not d.exists()


# -- limits that hold ---------------------------------------------------------------

def test_pids_limit_stops_a_fork_bomb(h):
    cfg = h.config(["sh", "-c", "bomb() { bomb | bomb & }; bomb; sleep 100"])
    cfg["linux"]["resources"] = {"pids": {"limit": 10}}
    ctid = started(h, cfg)
    d = host_dir(ctid)
    assert wait_for(lambda: int(keyed(d / "pids.events").get("max", "0")) > 0, timeout=20), \
        read(d / "pids.events")
    assert int(read(d / "pids.current")) <= 10
    assert read(d / "pids.max") == "10"
    assert h.kill(ctid, "KILL", all_=True).rc == 0
    assert wait_for(lambda: procs(d) == [], timeout=10)
    assert h.delete(ctid, force=True).rc == 0
    assert not d.exists()


# awk doubles a string until it holds far more than the limit: anonymous memory, in the
# container's init, which the OOM killer must then kill.
HOG = ["awk", "BEGIN { s = \"xxxxxxxxxxxxxxxx\"; while (1) s = s s }"]


def oom_config(h):
    cfg = h.config(HOG)
    cfg["linux"]["resources"] = {"memory": {"limit": 32 * MiB, "swap": 32 * MiB}}
    return cfg


def test_memory_limit_oom_kills_past_the_limit_run_exits_137(h):
    r = h.run(oom_config(h), timeout=60)
    assert r.rc == 137, r


def test_memory_limit_oom_kill_is_counted(h):
    ctid = started(h, oom_config(h))
    assert h.wait_status(ctid, "stopped", timeout=60) == "stopped"
    d = host_dir(ctid)
    events = keyed(d / "memory.events")
    assert int(events.get("oom_kill", "0")) >= 1, events
    assert h.delete(ctid).rc == 0
    assert not d.exists()


def test_memory_below_limit_is_fine(h):
    cfg = h.config(["sh", "-c", "head -c 8m /dev/zero | wc -c"])
    cfg["linux"]["resources"] = {"memory": {"limit": 64 * MiB}}
    r = h.run(cfg, timeout=60)
    assert r.rc == 0, r
    assert r.out.strip() == str(8 * MiB)
