"""linux.resources on a cgroup v1 / hybrid host (these machines): the values land in the v1
controller files of the container's cgroup, and the kernel enforces them.  Pure cgroup v2 is
covered by the VM tier (Tests/vm)."""

import os
import secrets
from pathlib import Path

import pytest

from conftest import IS_SWRUN, cgroup_mounts

V1 = Path("/sys/fs/cgroup/memory/memory.limit_in_bytes").exists()
pytestmark = pytest.mark.skipif(not V1, reason="needs cgroup v1 controllers (hybrid host)")


def ok(r):
    assert r.rc == 0, r
    return r.out


def mounts_by_controller() -> dict[str, str]:
    out = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            fs = post.split()
            if not fs or fs[0] not in ("cgroup", "cgroup2"):
                continue
            mp = pre.split()[4]
            if fs[0] == "cgroup2":
                out.setdefault("", mp)
            else:
                for opt in fs[2].split(","):
                    out.setdefault(opt, mp)
    return out


def cgroup_dir(pid: int, controller: str) -> Path:
    """The host directory of `pid`'s cgroup in the hierarchy of `controller` ("" = v2)."""
    mounts = mounts_by_controller()
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if (controller == "" and ctrls == "") or controller in ctrls.split(","):
                return Path(mounts[controller]) / path.lstrip("/")
    raise AssertionError(f"{pid} has no {controller!r} cgroup")


def read(p: Path) -> str:
    return p.read_text().strip()


def started(h, resources, args=("sleep", "30")):
    cfg = h.config(list(args))
    cfg["linux"]["resources"] = resources
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    return ctid, h.state_json(ctid)["pid"]


def test_memory_files(h):
    swap = Path("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes").exists()
    mem = {"limit": 64 << 20, "reservation": 32 << 20, "swappiness": 10, "disableOOMKiller": False}
    if swap:
        mem["swap"] = 96 << 20
    _, pid = started(h, {"memory": mem})
    d = cgroup_dir(pid, "memory")
    assert read(d / "memory.limit_in_bytes") == str(64 << 20)
    assert read(d / "memory.soft_limit_in_bytes") == str(32 << 20)
    assert read(d / "memory.swappiness") == "10"
    if swap:
        assert read(d / "memory.memsw.limit_in_bytes") == str(96 << 20)


def test_memory_oom_control(h):
    _, pid = started(h, {"memory": {"limit": 64 << 20, "disableOOMKiller": True}})
    assert "oom_kill_disable 1" in read(cgroup_dir(pid, "memory") / "memory.oom_control")


def test_memory_limit_enforced_oom_kill(h):
    """An allocation past memory.limit is OOM-killed: `run` exits 128+SIGKILL."""
    mem = {"limit": 16 << 20}
    if Path("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes").exists():
        mem["swap"] = 16 << 20
    cfg = h.config(["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"])
    cfg["linux"]["resources"] = {"memory": mem}
    r = h.run(cfg)
    assert r.rc == 137, r
    # The same allocation fits without the limit.
    assert h.run(h.config(["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"])).rc == 0


def test_cpu_files(h):
    _, pid = started(h, {"cpu": {"shares": 512, "quota": 25000, "period": 50000, "cpus": "0", "mems": "0"}})
    cpu = cgroup_dir(pid, "cpu")
    assert read(cpu / "cpu.shares") == "512"
    assert read(cpu / "cpu.cfs_quota_us") == "25000"
    assert read(cpu / "cpu.cfs_period_us") == "50000"
    cpuset = cgroup_dir(pid, "cpuset")
    assert read(cpuset / "cpuset.cpus") == "0"
    assert read(cpuset / "cpuset.mems") == "0"
    allowed = [l for l in Path(f"/proc/{pid}/status").read_text().splitlines() if l.startswith("Cpus_allowed_list")]
    assert allowed == ["Cpus_allowed_list:\t0"], allowed


@pytest.mark.swrun_only  # runc 1.1.5 predates cpu.burst
def test_cpu_burst_and_idle(h):
    if not Path("/sys/fs/cgroup/cpu/cpu.cfs_burst_us").exists():
        pytest.skip("kernel without cpu.cfs_burst_us")
    _, pid = started(h, {"cpu": {"quota": 20000, "period": 100000, "burst": 10000, "idle": 1}})
    cpu = cgroup_dir(pid, "cpu")
    assert read(cpu / "cpu.cfs_burst_us") == "10000"
    assert read(cpu / "cpu.idle") == "1"


def test_pids_limit_file_and_enforced(h):
    cfg = h.config(["sh", "-c", "i=0; while [ $i -lt 12 ]; do sleep 30 & i=$((i+1)); done; wait"])
    cfg["linux"]["resources"] = {"pids": {"limit": 6}}
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    d = cgroup_dir(h.state_json(ctid)["pid"], "pids")
    assert read(d / "pids.max") == "6"
    ok(h.start(ctid))
    # The kernel refuses the forks past the limit and counts them in pids.events.
    import time
    deadline = time.time() + 10
    while time.time() < deadline and read(d / "pids.events") == "max 0":
        time.sleep(0.1)
    assert int(read(d / "pids.events").split()[1]) > 0
    assert int(read(d / "pids.current")) <= 6


@pytest.mark.parametrize("limit,want", [(-1, "max"), (0, "max"), (100, "100")])
def test_pids_unlimited_and_value(h, limit, want):
    _, pid = started(h, {"pids": {"limit": limit}})
    assert read(cgroup_dir(pid, "pids") / "pids.max") == want


def block_device() -> tuple[int, int]:
    for dev in sorted(Path("/sys/block").iterdir()):
        if not dev.name.startswith(("loop", "ram")):
            major, minor = (dev / "dev").read_text().strip().split(":")
            return int(major), int(minor)
    pytest.skip("no block device")


def test_blkio_throttle(h):
    major, minor = block_device()
    bio = {"throttleReadBpsDevice": [{"major": major, "minor": minor, "rate": 1048576}],
           "throttleWriteIOPSDevice": [{"major": major, "minor": minor, "rate": 300}]}
    _, pid = started(h, {"blockIO": bio})
    d = cgroup_dir(pid, "blkio")
    assert read(d / "blkio.throttle.read_bps_device") == f"{major}:{minor} 1048576"
    assert read(d / "blkio.throttle.write_iops_device") == f"{major}:{minor} 300"


def test_blkio_weight(h):
    """blkio.weight, or blkio.bfq.weight where BFQ replaced CFQ (this host): the same value."""
    _, pid = started(h, {"blockIO": {"weight": 500}})
    d = cgroup_dir(pid, "blkio")
    f = d / "blkio.weight" if (d / "blkio.weight").exists() else d / "blkio.bfq.weight"
    if not f.exists():
        pytest.skip("no blkio weight on this host")
    assert read(f).split()[-1] == "500", read(f)


@pytest.mark.swrun_only
def test_hugetlb_goes_to_the_v2_tree_on_hybrid(h):
    """No v1 hugetlb hierarchy here, but the v2 tree has the controller: the limit lands there."""
    if Path("/sys/fs/cgroup/hugetlb").exists() or "hugetlb" not in read(Path("/sys/fs/cgroup/unified/cgroup.controllers")):
        pytest.skip("needs hugetlb only in the v2 tree")
    kb = min(int(p.name.split("-")[1][:-2]) for p in Path("/sys/kernel/mm/hugepages").iterdir())
    size = f"{kb >> 20}GB" if kb >= 1 << 20 else f"{kb >> 10}MB" if kb >= 1024 else f"{kb}KB"
    _, pid = started(h, {"hugepageLimits": [{"pageSize": size, "limit": 8 << 21}]})
    assert read(cgroup_dir(pid, "") / f"hugetlb.{size}.max") == str(8 << 21)


def create_fails(h, resources, words, field):
    """`run` with these resources fails, leaves no container, and says `words` (and, from
    swrun, the field's JSON path)."""
    cfg = h.config(["true"])
    cfg["linux"]["resources"] = resources
    ctid = h.new_id()
    r = h.run(cfg, ctid=ctid)
    assert r.rc == 1, r
    assert h.state(ctid).rc == 1
    assert words is None or words in r.err, r.err
    if IS_SWRUN:
        assert field in r.err, r.err


@pytest.mark.parametrize("resources,field,controller", [
    ({"network": {"classID": 1048577}}, "linux.resources.network.classID", "net_cls"),
    ({"network": {"priorities": [{"name": "lo", "priority": 1}]}}, "linux.resources.network.priorities[0]", "net_prio"),
    ({"rdma": {"mlx5_1": {"hcaHandles": 3}}}, "linux.resources.rdma", "rdma"),
], ids=["net_cls", "net_prio", "rdma"])
def test_absent_controller_fails_create(h, resources, field, controller):
    """A setting whose controller the host lacks cannot be applied: create fails (runc:
    "cannot set net_cls limit"), naming the field, and nothing is left."""
    if controller in mounts_by_controller():
        pytest.skip(f"host has {controller}")
    create_fails(h, resources, controller, field)


@pytest.mark.parametrize("resources,field", [
    ({"blockIO": {"leafWeight": 300}}, "linux.resources.blockIO.leafWeight"),
    ({"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "leafWeight": 300}]}},
     "linux.resources.blockIO.weightDevice[0].leafWeight"),
], ids=["leafWeight", "weightDevice-leafWeight"])
def test_setting_the_kernel_lacks_fails_create(h, resources, field):
    """Leaf weights exist only with CFQ (gone since Linux 5.0): runc's write fails, and so must
    create (a warning would leave the container running without what was asked)."""
    blkio = mounts_by_controller().get("blkio")
    if not blkio or Path(blkio, "blkio.leaf_weight").exists():
        pytest.skip("needs a blkio hierarchy without leaf weights")
    create_fails(h, resources, "leaf_weight", field)


def test_no_resources_still_runs(h):
    cfg = h.config(["true"])
    cfg["linux"]["resources"] = {}
    ok(h.run(cfg))


@pytest.mark.parametrize("resources,path", [
    ({"memory": {"limit": 64 << 20, "swap": 32 << 20}}, "linux.resources.memory.swap"),
    ({"memory": {"swappiness": 101}}, "linux.resources.memory.swappiness"),
    ({"hugepageLimits": [{"pageSize": "2XB", "limit": 1}]}, "linux.resources.hugepageLimits[0].pageSize"),
    ({"unified": {"../../escape": "1"}}, 'linux.resources.unified["../../escape"]'),
    # Refused by the kernel only, after the init is cloned: the init and the cgroups go too.
    ({"cpu": {"cpus": "63"}}, "linux.resources.cpu.cpus"),
], ids=["swap-below-limit", "swappiness", "pagesize", "unified-escape", "cpus-beyond-host"])
def test_bad_resources_fail_cleanly(h, resources, path):
    create_fails(h, resources, None, path)


def test_existing_cpuset_parent_with_empty_cpus_is_filled_in(h):
    """A parent cgroup made beforehand without cgroup.clone_children has empty cpuset.cpus and
    cpuset.mems: the container's cpuset would refuse every task (ENOSPC). runc fills the
    parent in from its own parent; so must the runtime."""
    cpuset = Path(mounts_by_controller()["cpuset"])
    name = f"swrun-cpuset-parent-{secrets.token_hex(3)}"
    parent = cpuset / name
    parent.mkdir()
    try:
        if read(parent / "cpuset.cpus") or read(parent / "cpuset.mems"):
            pytest.skip("this host's cpuset root clones cpus/mems into new children")
        cfg = h.config(["sh", "-c", "grep cpuset /proc/self/cgroup"])
        cfg["linux"]["cgroupsPath"] = f"/{name}/{h.new_id()}"
        out = ok(h.run(cfg))
        assert f":/{name}/" in out, out
        assert read(parent / "cpuset.cpus") == read(cpuset / "cpuset.cpus")
        assert read(parent / "cpuset.mems") == read(cpuset / "cpuset.mems")
    finally:
        # The runtime removes the container's own cgroup; the parent is this test's.
        for mount in cgroup_mounts():
            d = Path(mount) / name
            if d.is_dir():
                d.rmdir()
