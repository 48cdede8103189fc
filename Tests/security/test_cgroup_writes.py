"""cgroup interface files in linux.resources.unified: writes that move host processes."""

import os
import time


def read_cgroups(pid: int) -> str:
    return open(f"/proc/{pid}/cgroup").read()


def test_unified_cgroup_procs_moves_host_process(h):
    """linux.resources.unified {"cgroup.procs": <host pid>} is not a resource knob: it puts
    a host process (a decoy `sleep` this test starts) into the container's cgroup, and
    `delete --force` then kills it. It must be refused; after `delete --force` the decoy is
    alive and still in its own cgroups."""
    decoy = h.spawn_helper(["sleep", "60"])
    time.sleep(0.05)
    before = read_cgroups(decoy.pid)
    cfg = h.config(["sleep", "30"])
    cfg["linux"]["resources"] = {"unified": {"cgroup.procs": str(decoy.pid)}}
    ctid, r = h.create(cfg)
    moved = read_cgroups(decoy.pid)
    h.delete(ctid, force=True)
    time.sleep(0.1)
    alive = decoy.poll() is None
    after = read_cgroups(decoy.pid) if alive else "(dead)"
    try:
        assert alive, f"delete --force killed the host decoy (pid {decoy.pid}) it had moved:\n{before}->\n{moved}\n{r}"
        assert after == before and moved == before, f"the host decoy was moved:\n{before}->\n{moved}->\n{after}\n{r}"
        assert r.rc != 0, f"unified cgroup.procs was accepted:\n{r}"
    finally:
        if decoy.poll() is None:
            os.kill(decoy.pid, 9)   # ours, by PID
            decoy.wait()
