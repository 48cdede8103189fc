"""A damaged state.json: every command gives an error naming the state file (exit 1), never
a trap of swrun (SIGILL, exit 132), and one bad record does not break the others."""

import json

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
