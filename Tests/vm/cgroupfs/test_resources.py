"""linux.resources on a pure cgroup v2 host (runtime-spec config-linux.md, runc's v2 mapping).

Each case creates a container, reads the files of its cgroup from the host while it is
`created` (resources are applied before the process runs), then starts it and reads the same
files from inside, through a cgroup namespace and a cgroup mount."""

import pytest

from vmlib import CGROOT, host_dir, read, require_pure_v2, weight, with_cgroup_view

MiB = 1 << 20


@pytest.fixture(autouse=True)
def _v2():
    require_pure_v2()


def cat_script(files):
    return "; ".join(f"echo @@{f}; cat /sys/fs/cgroup/{f}" for f in files)


def parse_cat(out: str) -> dict[str, str]:
    seen, key = {}, None
    for line in out.splitlines():
        if line.startswith("@@"):
            key = line[2:]
            seen[key] = ""
        elif key is not None:
            seen[key] = (seen[key] + "\n" + line).strip()
    return seen


def apply(h, resources, files, *, extra_script=""):
    """(files as the host sees them in `created`, as the container sees them, container stdout)."""
    cfg = with_cgroup_view(h.config())
    cfg["linux"]["resources"] = resources
    cfg["process"]["args"] = ["sh", "-c", cat_script(files) + extra_script]
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    d = host_dir(ctid)
    assert d.is_dir(), f"no cgroup {d} for a created container"
    host = {f: read(d / f) for f in files}
    assert h.start(ctid).rc == 0
    assert h.wait_status(ctid, "stopped") == "stopped"
    out = h.output(ctid).out
    assert h.delete(ctid).rc == 0
    assert not d.exists(), f"delete left {d}"
    return host, parse_cat(out), out


CASES = [
    ("memory-limit", {"memory": {"limit": 64 * MiB}}, {"memory.max": "67108864"}),
    ("memory-limit-unlimited", {"memory": {"limit": -1}}, {"memory.max": "max"}),
    ("memory-reservation", {"memory": {"reservation": 32 * MiB}}, {"memory.low": "33554432"}),
    # runc's conversion: v1's memsw (memory+swap) becomes v2's swap-only limit.
    ("memory-swap", {"memory": {"limit": 64 * MiB, "swap": 96 * MiB}},
     {"memory.max": "67108864", "memory.swap.max": "33554432"}),
    ("memory-swap-equal", {"memory": {"limit": 64 * MiB, "swap": 64 * MiB}},
     {"memory.swap.max": "0"}),
    ("memory-swap-unlimited", {"memory": {"limit": 64 * MiB, "swap": -1}},
     {"memory.max": "67108864", "memory.swap.max": "max"}),
    ("cpu-shares-default", {"cpu": {"shares": 1024}}, {"cpu.weight": weight(1024)}),
    ("cpu-shares-min", {"cpu": {"shares": 2}}, {"cpu.weight": "1"}),
    ("cpu-shares-max", {"cpu": {"shares": 262144}}, {"cpu.weight": "10000"}),
    ("cpu-shares-512", {"cpu": {"shares": 512}}, {"cpu.weight": weight(512)}),
    ("cpu-quota-period", {"cpu": {"quota": 50000, "period": 100000}}, {"cpu.max": "50000 100000"}),
    ("cpu-quota-other-period", {"cpu": {"quota": 20000, "period": 50000}}, {"cpu.max": "20000 50000"}),
    ("cpu-quota-only", {"cpu": {"quota": 30000}}, {"cpu.max": "30000 100000"}),
    ("cpu-period-only", {"cpu": {"period": 50000}}, {"cpu.max": "max 50000"}),
    ("cpu-quota-unlimited", {"cpu": {"quota": -1, "period": 100000}}, {"cpu.max": "max 100000"}),
    # burst and idle are runtime-spec 1.1 fields that runc 1.1.5 ignores.
    ("cpu-burst", {"cpu": {"quota": 50000, "period": 100000, "burst": 20000}},
     {"cpu.max": "50000 100000", "cpu.max.burst": "20000"}, pytest.mark.swrun_only),
    ("cpu-idle", {"cpu": {"idle": 1}}, {"cpu.idle": "1"}, pytest.mark.swrun_only),
    ("cpuset", {"cpu": {"cpus": "1", "mems": "0"}}, {"cpuset.cpus": "1", "cpuset.mems": "0"}),
    ("pids-limit", {"pids": {"limit": 10}}, {"pids.max": "10"}),
    ("pids-unlimited", {"pids": {"limit": -1}}, {"pids.max": "max"}),
    ("pids-zero", {"pids": {"limit": 0}}, {"pids.max": "max"}),
    ("hugetlb", {"hugepageLimits": [{"pageSize": "2MB", "limit": 4 * MiB}]},
     {"hugetlb.2MB.max": "4194304"}),
    ("unified", {"unified": {"memory.high": "50331648", "pids.max": "7"}},
     {"memory.high": "50331648", "pids.max": "7"}),
]


def _case(c):
    return pytest.param(c[1], c[2], id=c[0], marks=c[3:])


@pytest.mark.parametrize("resources,want", [_case(c) for c in CASES])
def test_resource_files(h, resources, want):
    host, inside, out = apply(h, resources, list(want))
    assert host == want, f"host view of the container's cgroup\n{out}"
    assert inside == want, f"container's view of its cgroup\n{out}"


def test_cpuset_confines_the_process(h):
    _, _, out = apply(h, {"cpu": {"cpus": "1"}}, ["cpuset.cpus.effective"],
                      extra_script="; grep Cpus_allowed_list /proc/self/status")
    assert "Cpus_allowed_list:\t1\n" in out, out


@pytest.mark.parametrize("memory", [{"limit": 64 * MiB, "swap": 32 * MiB}, {"swap": 32 * MiB}],
                         ids=["swap-below-limit", "swap-without-limit"])
def test_impossible_swap_limit_fails(h, memory):
    cfg = h.config(["true"])
    cfg["linux"]["resources"] = {"memory": memory}
    ctid = h.new_id()
    r = h.run(cfg, ctid=ctid)
    assert r.rc == 1, r
    assert "swap" in r.err, r
    assert not host_dir(ctid).exists()


def test_block_io_weight(h):
    # runc writes io.bfq.weight when BFQ is the scheduler, else converts to io.weight:
    # 1 + (weight - 10) * 9999 / 990.
    cfg = h.config(["true"])
    cfg["linux"]["resources"] = {"blockIO": {"weight": 500}}
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    d = host_dir(ctid)
    if (d / "io.bfq.weight").exists():
        assert read(d / "io.bfq.weight").splitlines()[0] == "default 500"
    else:
        assert (d / "io.weight").exists(), "io controller not enabled for the container"
        assert read(d / "io.weight").splitlines()[0] == "default 4950"


def test_block_io_throttle(h, loop_device):
    maj, mnr, _ = loop_device
    dev = {"major": maj, "minor": mnr}
    res = {"blockIO": {
        "throttleReadBpsDevice": [dict(dev, rate=1 * MiB)],
        "throttleWriteBpsDevice": [dict(dev, rate=2 * MiB)],
        "throttleReadIOPSDevice": [dict(dev, rate=100)],
        "throttleWriteIOPSDevice": [dict(dev, rate=200)],
    }}
    want = f"{maj}:{mnr} rbps=1048576 wbps=2097152 riops=100 wiops=200"
    host, inside, out = apply(h, res, ["io.max"])
    assert host["io.max"] == want, out
    assert inside["io.max"] == want, out


def test_controllers_enabled_in_parents(h, scratch_cgroup):
    top = scratch_cgroup
    cfg = h.config(["true"])
    cfg["linux"]["cgroupsPath"] = f"/{top.name}/a/b"
    cfg["linux"]["resources"] = {"memory": {"limit": 64 * MiB}, "pids": {"limit": 20},
                                 "cpu": {"quota": 50000, "period": 100000}}
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    for parent in (CGROOT, top, top / "a"):
        enabled = read(parent / "cgroup.subtree_control").split()
        for c in ("memory", "pids", "cpu"):
            assert c in enabled, f"{c} not in {parent}/cgroup.subtree_control: {enabled}"
    leaf = top / "a" / "b"
    assert read(leaf / "memory.max") == "67108864"
    assert read(leaf / "pids.max") == "20"
    assert read(leaf / "cpu.max") == "50000 100000"


def device_config(h, loop_device, script, rules):
    maj, mnr, _ = loop_device
    cfg = h.config(["sh", "-c", script])
    cfg["linux"]["devices"] = [{"path": "/dev/testblk", "type": "b", "major": maj, "minor": mnr,
                                "fileMode": 0o600, "uid": 0, "gid": 0}]
    cfg["linux"]["resources"] = {"devices": rules}
    return cfg


def test_device_rules_allow_read_only(h, loop_device):
    maj, mnr, _ = loop_device
    script = ("dd if=/dev/testblk bs=512 count=1 | wc -c; "
              "if printf x > /dev/testblk; then echo WRITE-OK; else echo WRITE-DENIED; fi")
    rules = [{"allow": False, "access": "rwm"},
             {"allow": True, "type": "b", "major": maj, "minor": mnr, "access": "r"}]
    r = h.run(device_config(h, loop_device, script, rules))
    assert r.rc == 0, r
    assert r.out.split() == ["512", "WRITE-DENIED"], r
    assert "Operation not permitted" in r.err, r


def test_device_rules_deny(h, loop_device):
    script = "if head -c 1 /dev/testblk >/dev/null; then echo READ-OK; else echo READ-DENIED; fi"
    rules = [{"allow": False, "access": "rwm"}]
    r = h.run(device_config(h, loop_device, script, rules))
    assert r.out.split() == ["READ-DENIED"], r
    assert "Operation not permitted" in r.err, r


def test_default_devices_stay_usable_under_deny_all(h, loop_device):
    # config-linux.md: the runtime MUST supply /dev/null, zero, full, random, urandom, tty,
    # ptmx; a deny-all device rule must not make them useless (runc allows them after the
    # config's rules).
    script = ("echo hi > /dev/null && head -c 3 /dev/zero | wc -c && head -c 2 /dev/urandom | wc -c "
              "&& head -c 2 /dev/random | wc -c && (printf x > /dev/full; echo full=$?)")
    r = h.run(device_config(h, loop_device, script, [{"allow": False, "access": "rwm"}]))
    assert r.rc == 0, r
    assert r.out.split() == ["3", "2", "2", "full=1"], r
