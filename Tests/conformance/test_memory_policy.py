"""linux.memoryPolicy (runtime-spec 1.3): applied with set_mempolicy to the container's process
and to exec'd ones, or refused before anything exists with the field's JSON path. runc 1.1.5
predates the field (it runs the container with the default policy): swrun_only."""

import json

import pytest

pytestmark = pytest.mark.swrun_only

# The policy of the process's first mapping, as /proc/PID/numa_maps prints it.
PROBE = "head -1 /proc/self/numa_maps | cut -d' ' -f2"


def ok(r):
    assert r.rc == 0, r
    return r.out


def with_policy(h, policy, args=("sh", "-c", PROBE)):
    cfg = h.config(list(args))
    cfg["linux"]["memoryPolicy"] = policy
    return cfg


@pytest.mark.parametrize("policy,shown", [
    ({"mode": "MPOL_BIND", "nodes": "0"}, "bind:0"),
    ({"mode": "MPOL_INTERLEAVE", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]}, "interleave=static:0"),
    ({"mode": "MPOL_PREFERRED"}, "local"),
    ({"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_NUMA_BALANCING"]}, "bind=balancing:0"),
    ({"mode": "MPOL_DEFAULT"}, "default"),
], ids=["bind", "interleave-static", "preferred-local", "bind-balancing", "default"])
def test_memory_policy_is_applied(h, policy, shown):
    assert ok(h.run(with_policy(h, policy))).strip() == shown


def test_memory_policy_applies_to_exec(h):
    ctid, r = h.create(with_policy(h, {"mode": "MPOL_BIND", "nodes": "0"}, ["sleep", "100"]))
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    assert ok(h.rt("exec", ctid, "sh", "-c", PROBE)).strip() == "bind:0"


@pytest.mark.parametrize("policy,path,words", [
    ({"mode": "MPOL_BIND", "nodes": "1000"}, "linux.memoryPolicy.nodes", "not online"),
    ({"mode": "MPOL_BIND"}, "linux.memoryPolicy.nodes", "needs at least one node"),
    ({"mode": "MPOL_LOCAL", "nodes": "0"}, "linux.memoryPolicy.nodes", "takes no nodes"),
    ({"mode": "MPOL_BIND", "nodes": "0-"}, "linux.memoryPolicy.nodes", "not a node list"),
    ({"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_NOPE"]}, "linux.memoryPolicy.flags[0]", "unknown flag"),
    ({"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"]},
     "linux.memoryPolicy.flags", "exclude each other"),
    ({"mode": "MPOL_FASTEST", "nodes": "0"}, "linux.memoryPolicy.mode", "unknown mode"),
], ids=["offline-node", "bind-without-nodes", "local-with-nodes", "bad-list", "unknown-flag",
        "static-and-relative", "unknown-mode"])
def test_bad_memory_policy_fails_create(h, policy, path, words):
    ctid = h.new_id()
    r = h.run(with_policy(h, policy, ["true"]), ctid=ctid)
    assert r.rc == 1, r
    assert f"{path}:" in r.err and words in r.err, r.err
    assert h.state(ctid).rc != 0


def test_features_lists_memory_policy(h):
    r = h.rt("features", root=False)
    assert r.rc == 0, r
    mp = json.loads(r.out)["linux"]["memoryPolicy"]
    assert {"MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_PREFERRED", "MPOL_LOCAL", "MPOL_DEFAULT"} <= set(mp["modes"])
    assert set(mp["flags"]) == {"MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"}
