"""Odd command-line values: --preserve-fds, kill signals, update's resource flags, events
--interval, exec --user/--cwd/-e/--preserve-fds. Exit 0 or 1 (exec: 255 for a failure
before its process runs), a message, no signal, no hang, nothing left behind."""

import os

import pytest

import fuzzlib

NUMBERS = ["-1", "-2", "0", "1", "2147483648", "4294967296", "4000000000", "9223372036854775807",
           "9223372036854775808", "-9223372036854775808", "18446744073709551616",
           "99999999999999999999", "1e308", "1.5", "0x10", "+1", " 1", "1 ", "", "x", "1048577"]
SIGNALS = NUMBERS + ["65", "64", "SIG", "SIGFOO", "sigkill", "KILL ", "9x", "-9", "RTMIN+40",
                     "SIGRTMAX-1", "RTMIN-1", "SIGKILLKILL", "\u00e9", "a" * 65536,
                     os.fsdecode(b"\xff")]
SIZES = NUMBERS + ["99999999999999999999g", "9223372036854775807g", "9223372036854775807k",
                   "1k", "-1g", "1kb", "1 g", "g", "1e3m"]
UPDATE_FLAGS = ["--memory", "--memory-swap", "--memory-reservation", "--kernel-memory",
                "--cpu-quota", "--cpu-period", "--cpu-shares", "--cpu-rt-runtime",
                "--cpu-rt-period", "--cpuset-cpus", "--cpuset-mems", "--pids-limit",
                "--blkio-weight"]
INTERVALS = ["99999999999999999999h", "9223372036854775807ns", "9223372036854775808ns",
             "2562048h", "2562047h47m16.854775808s", "-1s", "-9223372036854775808ns", "0", "0s",
             "1", "x", "", "1e308s", "1.5.5s", "1ns", "h"]
USERS = ["", ":", "0:", ":0", "-1", "-1:-1", "4294967295", "4294967296", "99999999999999999999",
         "root", "nobody", "a:b", "0:0:0", "1e3", "0x0", "65534:65534", "0:4294967295",
         "0:-1", "a" * 65536, os.fsdecode(b"\xff:\xfe")]
CWDS = ["", "relative", "/nonexistent", "/" + "a" * 5000, "/proc/self/fd/1", "..", "/bin/sh",
        "/dev/null", "//", "/./.", "/" + "a/" * 3000, os.fsdecode(b"/\xff")]
ENVS = ["", "=", "=x", "A", "A=", "A=B=C", "PATH=", "PATH", "A" * 65536 + "=1",
        os.fsdecode(b"A=\xff"), os.fsdecode(b"\xff=1"), "A=" + "b" * 65536]
PRESERVE = ["-1", "4000000000", "99999999999999999999", "9223372036854775807", "1048577", "x",
            "", "0x10", "1.5", "3"]


def _created(c, running=False):
    b = c.h.bundle(fuzzlib.fuzz_base(str(c.h.rootfs)))
    ctid = c.h.new_id()
    r = c.create(b, ctid)
    if r is None or r.rc != 0:
        c.problems.append("setup: create failed")
        return None
    if running:
        r = c.cmd("start", ctid)
        if r is None or r.rc != 0:
            c.cmd("delete", "--force", ctid, label="delete --force", allowed=(0,))
            return None
    return ctid


def _group(h, name, values, play) -> list[str]:
    """One case per value (`play(case, value)`), each with its own state root."""
    failures, ran = [], 0
    for i, v in enumerate(values):
        case = f"cli-{name}-{i}"
        if fuzzlib.selected(case):
            c = fuzzlib.Case(h, case, f"{name} {v[:40]!r}{'...' if len(v) > 40 else ''}")
            play(c, v)
            failures += c.finish()
            ran += 1
    return failures, ran


def test_create_preserve_fds(h):
    def play(c, v):
        b = c.h.bundle(fuzzlib.fuzz_base(str(c.h.rootfs)))
        ctid = c.h.new_id()
        c.lifecycle(ctid, c.create(b, ctid, f"--preserve-fds={v}"))
    fuzzlib.report(*_group(h, "preserve-fds", PRESERVE, play))


def test_kill_signals(h):
    def play(c, v):
        ctid = _created(c)
        if ctid:
            c.cmd("kill", ctid, v, label=f"kill ID {v[:40]!r}")
            c.cmd("delete", "--force", ctid, label="delete --force", allowed=(0,))
    fuzzlib.report(*_group(h, "kill", SIGNALS, play))


@pytest.mark.parametrize("flag", UPDATE_FLAGS)
def test_update_values(h, flag):
    """One container per flag, every value in turn."""
    if not fuzzlib.selected(f"cli-update{flag}"):
        return
    c = fuzzlib.Case(h, f"cli-update{flag}", f"update {flag}")
    ctid = _created(c)
    for v in SIZES if ctid else []:
        c.cmd("update", f"{flag}={v}", ctid, label=f"update {flag}={v!r}")
    if ctid:
        c.cmd("delete", "--force", ctid, label="delete --force", allowed=(0,))
    fuzzlib.report(c.finish(), len(SIZES))


def test_events_interval(h):
    def play(c, v):
        # A container that does not exist: the value is parsed first, the answer is quick.
        c.cmd("events", f"--interval={v}", "no-such-container", label=f"events --interval={v!r}")
    fuzzlib.report(*_group(h, "events-interval", INTERVALS, play))


@pytest.mark.parametrize("flag,values", [("--user", USERS), ("--cwd", CWDS), ("--env", ENVS),
                                         ("--preserve-fds", PRESERVE)])
def test_exec_values(h, flag, values):
    """One running container per flag, `exec FLAG=V ID true` for every value."""
    if not fuzzlib.selected(f"cli-exec{flag}"):
        return
    c = fuzzlib.Case(h, f"cli-exec{flag}", f"exec {flag}")
    ctid = _created(c, running=True)
    for v in values if ctid else []:
        c.cmd("exec", f"{flag}={v}", ctid, "true", allowed=(0, 1, 255),
              label=f"exec {flag}={v[:40]!r}")
    if ctid:
        c.cmd("delete", "--force", ctid, label="delete --force", allowed=(0,))
    fuzzlib.report(c.finish(), len(values))
