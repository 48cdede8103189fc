"""A damaged state.json: every command gives an error naming the state file (exit 1), never
a trap of swrun (SIGILL, exit 132), and one bad record does not break the others."""

import json
import os
import subprocess
import time

import pytest


pytestmark = pytest.mark.swrun_only  # runc keeps its state elsewhere, in another format


def state_file(h, ctid):
    return h.root / ctid / "state.json"


@pytest.mark.parametrize("field,value", [("pid", 1 << 40), ("pid", -1), ("pidStartTime", -1),
                                         ("pid", "x"), ("id", 7)])
def test_out_of_range_or_mistyped_record_is_an_error(h, field, value):
    ctid, r = h.create(h.config(["sleep", "30"]))
    assert r.rc == 0, r
    f = state_file(h, ctid)
    good = f.read_bytes()
    doc = json.loads(good)
    doc[field] = value
    f.write_text(json.dumps(doc))
    try:
        for args in (["state", ctid], ["kill", ctid, "KILL"], ["delete", ctid], ["ps", ctid]):
            r = h.rt(*args)
            assert r.rc == 1, (args, r)
            assert "state.json" in r.err and "config.json" not in r.err, (args, r.err)
        other, r2 = h.create(h.config(["sleep", "30"]))
        assert r2.rc == 0, r2
        r = h.rt("list", "-q")
        assert r.rc == 0, r
        assert other in r.out.split(), r          # the others are still listed
        assert ctid in r.err and "state.json" in r.err, r.err   # the damaged one is reported
        assert h.delete(other, force=True).rc == 0
    finally:
        f.write_bytes(good)
    assert h.delete(ctid, force=True).rc == 0


def test_record_naming_another_container_cannot_remove_it(h):
    a, r = h.create(h.config(["sleep", "30"]))
    assert r.rc == 0, r
    b, r = h.create(h.config(["sleep", "30"]))
    assert r.rc == 0, r
    f = state_file(h, a)
    good = f.read_bytes()
    doc = json.loads(good)
    doc["id"] = b
    f.write_text(json.dumps(doc))
    try:
        r = h.rt("delete", a)
        assert r.rc == 1, r
        assert f'names container "{b}"' in r.err, r.err
        assert (h.root / b / "state.json").exists()
        assert h.status(b) == "created"
    finally:
        f.write_bytes(good)
    assert h.delete(a, force=True).rc == 0
    assert h.delete(b, force=True).rc == 0


def damage(f, how):
    if how == "truncated":
        f.write_bytes(f.read_bytes()[:40])
    elif how == "empty":
        f.write_bytes(b"")
    elif how == "garbage":
        f.write_bytes(b"\x00\xff garbage {")
    elif how == "directory":
        f.unlink()
        f.mkdir()
    elif how == "missing-pid":
        doc = json.loads(f.read_bytes())
        del doc["pid"]
        f.write_text(json.dumps(doc))
    elif how == "huge-pid":
        doc = json.loads(f.read_bytes())
        doc["pid"] = 1 << 40
        f.write_text(json.dumps(doc))
    elif how == "absent":
        f.unlink()


@pytest.mark.parametrize("how", ["truncated", "empty", "garbage", "directory", "missing-pid",
                                 "huge-pid", "absent"])
@pytest.mark.parametrize("started", [False, True], ids=["created", "running"])
def test_delete_force_without_a_readable_record_still_cleans_everything(h, how, started):
    """With its record unreadable, `delete --force ID` must still kill the container's
    processes (a created one's init waits on its FIFO) and remove its cgroups and state (the
    harness's teardown fails the test on any process, cgroup, mount or state dir left)."""
    ctid, r = h.create(h.config(["sh", "-c", "sleep 30 & sleep 31"]))
    assert r.rc == 0, r
    if started:
        assert h.start(ctid).rc == 0
    pid = h.state_json(ctid)["pid"]
    damage(state_file(h, ctid), how)
    r = h.delete(ctid, force=True)
    assert r.rc == 0, r
    assert not (h.root / ctid).exists()
    deadline = time.monotonic() + 3
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not os.path.exists(f"/proc/{pid}/exe") or os.readlink(f"/proc/{pid}/exe") == "", pid


def test_read_only_state_root_is_reported_not_ignored(h):
    """A start that cannot remove the FIFO, or a delete that cannot remove the state, must
    fail: silently, `state` keeps saying "created" for a running container (and a second
    start hangs), and `delete -f` says 0 while the directory stays."""
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "swrun-test-root", str(h.root)], check=True)
    try:
        ctid, r = h.create(h.config(["sleep", "30"]))
        assert r.rc == 0, r
        subprocess.run(["mount", "-o", "remount,ro", str(h.root)], check=True)
        r = h.start(ctid)
        assert r.rc == 1 and "exec FIFO" in r.err, r
        # A second start must not hang; the FIFO no init waits on does not make the container
        # "created" (test_faults.py): it is running.
        r = h.start(ctid)
        assert r.rc == 1 and "already running" in r.err, r
        assert h.status(ctid) == "running"
        r = h.delete(ctid, force=True)
        assert r.rc == 1 and "state directory" in r.err, r
        assert (h.root / ctid).exists()
        subprocess.run(["mount", "-o", "remount,rw", str(h.root)], check=True)
        assert h.delete(ctid, force=True).rc == 0
    finally:
        subprocess.run(["umount", "-l", str(h.root)])
