"""The container's processes are in the container's cgroup in every hierarchy the host has.

swrun's init joins its v1 cgroups itself (it writes 0 to each `tasks` file, which skips the
kernel's global threadgroup lock), and is cloned straight into its namespaces when nothing must
happen between fork and unshare; exec'd processes are cloned into the v2 cgroup and join the
v1 ones the same way. These tests check the result from inside, on both init paths (one clone,
or two stages when a user or cgroup namespace must be set up in between), and for exec.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from conftest import cgroup_mounts


def ok(r):
    assert r.rc == 0, r
    return r.out


def host_hierarchies() -> list[str]:
    """The hierarchy keys of /proc/self/cgroup ("cpu,cpuacct", "memory", "" for v2)."""
    with open("/proc/self/cgroup") as f:
        return [l.rstrip("\n").split(":", 2)[1] for l in f if l.strip()]


def assert_in_container_cgroup(out: str, cgroup_path: str):
    """Every line of the process's /proc/self/cgroup names the configured path."""
    lines = [l for l in out.splitlines() if l.count(":") >= 2]
    keys = [l.split(":", 2)[1] for l in lines]
    assert sorted(keys) == sorted(host_hierarchies()), out
    for l in lines:
        path = l.split(":", 2)[2]
        assert path == cgroup_path or path.endswith(cgroup_path), (cgroup_path, out)


def test_init_in_every_hierarchy_single_clone(h):
    cg = f"/swrun-join-{h.new_id()}"
    cfg = h.config(["sh", "-c", "cat /proc/self/cgroup; echo pid=$$"])
    cfg["linux"]["cgroupsPath"] = cg
    out = ok(h.run(cfg))
    assert_in_container_cgroup(out, cg)
    assert "pid=1" in out, out


def test_init_in_every_hierarchy_two_stages(h):
    """A user namespace needs the parent to map IDs between fork and unshare."""
    cg = f"/swrun-join-{h.new_id()}"
    cfg = h.config(["sh", "-c", "cat /proc/self/cgroup; echo pid=$$"])
    cfg["linux"]["cgroupsPath"] = cg
    cfg["linux"]["namespaces"].append({"type": "user"})
    cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
    cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
    out = ok(h.run(cfg))
    assert_in_container_cgroup(out, cg)
    assert "pid=1" in out, out


def started_in(h, cg: str) -> str:
    """A running `sleep 100` container whose cgroupsPath is cg."""
    cfg = h.config(["sleep", "100"])
    cfg["linux"]["cgroupsPath"] = cg
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    return ctid


def test_exec_joins_every_hierarchy(h):
    cg = f"/swrun-join-{h.new_id()}"
    ctid = started_in(h, cg)
    out = ok(h.rt("exec", ctid, "cat", "/proc/self/cgroup"))
    assert_in_container_cgroup(out, cg)
    # The init, read from the host, is in the same cgroups.
    pid = h.state_json(ctid)["pid"]
    with open(f"/proc/{pid}/cgroup") as f:
        init_lines = f.read()
    assert_in_container_cgroup(init_lines, cg)
    h.kill(ctid, "KILL")
    h.wait_status(ctid, "stopped")
    assert h.delete(ctid).rc == 0
    left = [m + cg for m in cgroup_mounts() if os.path.exists(m + cg)]
    assert not left, left


def _exec_traced(h, ctid, trace_dir, inject=None):
    """`exec ctid cat /proc/self/cgroup` under strace -ff (one file per process)."""
    cmd = ["strace", "-ff", "-qq", "-o", str(trace_dir / "t"), "-e", "trace=clone3,openat"]
    if inject:
        cmd += ["-e", inject]
    p = subprocess.run(cmd + h.cmd("exec", ctid, "cat", "/proc/self/cgroup"), capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, (p.stdout, p.stderr)
    return p.stdout, "\n".join(f.read_text() for f in trace_dir.iterdir())


@pytest.mark.swrun_only  # how the process gets there, not where: runc writes cgroup.procs
@pytest.mark.parametrize("clone3", ["works", "ENOSYS"])
def test_exec_is_cloned_into_the_v2_cgroup(h, clone3):
    """exec's first process is cloned into the container's v2 cgroup (CLONE_INTO_CGROUP), so
    no PID is written to its cgroup.procs (that write takes the kernel's threadgroup lock and
    waits for RCU). Without clone3 it forks and joins by cgroup.procs, landing the same."""
    if not shutil.which("strace"):
        pytest.skip("needs strace (scripts/install-deps.sh)")
    cg = f"/swrun-join-{h.new_id()}"
    ctid = started_in(h, cg)
    try:
        trace = h.tmpdir(f"exec-clone3-{clone3}")
        out, text = _exec_traced(h, ctid, trace,
                                 inject=None if clone3 == "works" else "inject=clone3:error=ENOSYS")
        assert_in_container_cgroup(out, cg)
        v2 = [m + cg for m in cgroup_mounts() if os.path.exists(m + cg + "/cgroup.procs")
              and not os.path.exists(m + cg + "/tasks")]
        assert len(v2) == 1, v2
        procs_writes = [l for l in text.splitlines() if f'"{v2[0]}/cgroup.procs"' in l and "O_WRONLY" in l]
        into = [l for l in text.splitlines() if "CLONE_INTO_CGROUP" in l and "= -1" not in l]
        if clone3 == "works":
            assert into, text
            assert not procs_writes, procs_writes
        else:
            assert not into, text
            assert procs_writes, text
    finally:
        h.kill(ctid, "KILL")
        h.wait_status(ctid, "stopped")
        assert h.delete(ctid).rc == 0


def test_init_without_clone3(h):
    """Inside a container whose seccomp profile answers clone3 with ENOSYS (Docker's does),
    the single-clone path is not there: the two-stage init takes over."""
    if not shutil.which("strace"):
        pytest.skip("needs strace (scripts/install-deps.sh)")
    cg = f"/swrun-join-{h.new_id()}"
    cfg = h.config(["sh", "-c", "cat /proc/self/cgroup; echo pid=$$"])
    cfg["linux"]["cgroupsPath"] = cg
    bundle = h.bundle(cfg)
    cmd = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=clone3", "-e", "inject=clone3:error=ENOSYS"]
    p = subprocess.run(cmd + h.cmd("run", "--bundle", str(bundle), h.new_id()), capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert_in_container_cgroup(p.stdout, cg)
    assert "pid=1" in p.stdout, p.stdout
