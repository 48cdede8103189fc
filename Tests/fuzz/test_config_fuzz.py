"""Mutated config.json documents (fuzzlib.config_case): every field of the base config,
type swaps, huge and negative numbers, long strings, NUL, invalid UTF-8, deep nesting,
removed and duplicated fields, byte flips. Each case: create, then start, state and
delete --force if create succeeded; exit 0 or 1 with a message, no signal, no hang,
nothing left behind. Plus the issue's named defects as fixed cases."""

import json
import os
import re

import pytest

import fuzzlib
from fuzzlib import MiB

SEED = int(os.environ.get("FUZZ_SEED", "0"))
BATCHES = range((fuzzlib.CASES + fuzzlib.BATCH - 1) // fuzzlib.BATCH)


@pytest.mark.parametrize("batch", BATCHES)
def test_mutated_configs(h, batch):
    failures, ran = [], 0
    first = batch * fuzzlib.BATCH
    for n in range(first, min(fuzzlib.CASES, first + fuzzlib.BATCH)):
        name = f"cfg-{SEED}-{n}"
        if not fuzzlib.selected(name):
            continue
        data, what = fuzzlib.config_case(SEED, n, str(h.rootfs))
        failures += fuzzlib.run_config(h, name, what, data)
        ran += 1
    fuzzlib.report(failures, ran)


def _add(path, value):
    def mutate(cfg):
        *parents, last = path
        node = cfg
        for p in parents:
            node = node.setdefault(p, {})
        if isinstance(node.get(last), list):
            node[last].append(value)
        else:
            node[last] = value
    return mutate


def _names(pattern):
    """The error must name the cause (when create fails)."""
    def check(r):
        if r.rc == 1 and not re.search(pattern, r.err, re.I):
            return f"create: the error does not say why (wanted /{pattern}/): {r.err[:300]!r}"
    return check


BIG = "a" * MiB
# Issue 13's defects (items 1 and 5) that come from config.json: name -> (mutation, check).
NAMED = {
    "scheduler-priority--1": (_add(["process", "scheduler"],
                                   {"policy": "SCHED_OTHER", "priority": -1}), None),
    "maskedPath-1MiB": (_add(["linux", "maskedPaths"], "/" + BIG), _names(r"mask")),
    "mount-type-1MiB": (_add(["mounts"], {"destination": "/mnt", "type": BIG, "source": "x"}),
                        _names(r"mount")),
    "argument-1MiB": (_add(["process", "args"], BIG), _names(r"arg|too long")),
    "hostname-1MiB": (_add(["hostname"], BIG), _names(r"hostname")),
    "memory-limit-1": (_add(["linux", "resources"], {"memory": {"limit": 1}}),
                       _names(r"memory|oom|signal|killed|exit (status|code)")),
}


def _named_case(h, name):
    cfg = fuzzlib.fuzz_base(str(h.rootfs))
    mutate, check = NAMED[name]
    mutate(cfg)
    data = json.dumps(cfg).encode()
    return data, check


@pytest.mark.parametrize("name", NAMED)
def test_named_defect(h, name):
    if not fuzzlib.selected(f"named-{name}"):
        return
    data, check = _named_case(h, name)
    fuzzlib.report(fuzzlib.run_config(h, f"named-{name}", name, data, check=check), 1)


def _bounded(r):
    if len(r.err) > 64 * 1024:
        return f"create: a {len(r.err)}-byte error (long values must be truncated)"


@pytest.mark.swrun_only  # runc 1.1.5 quotes the whole 1 MiB value in its error
@pytest.mark.parametrize("name", [n for n in NAMED if n.endswith("1MiB")])
def test_named_defect_error_is_truncated(h, name):
    """Only the length of create's error (the other properties are test_named_defect's)."""
    if not fuzzlib.selected(f"named-{name}"):
        return
    data, _ = _named_case(h, name)
    c = fuzzlib.Case(h, f"named-{name}", name)
    ctid, r = c.h.create(bundle=c.h.bundle(raw=data))
    if len(r.err) > 64 * 1024:
        c.problems.append(f"create: a {len(r.err)}-byte error (long values must be truncated)")
    if r.rc == 0:
        c.h.delete(ctid, force=True)
    fuzzlib.report(c.finish(), 1)
