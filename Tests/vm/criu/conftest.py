"""Fixtures of the CRIU tests: every test runs once per runtime (swrun = $RUNTIME, runc =
/usr/sbin/runc), each copied onto the guest's tmpfs (a binary read over 9p costs 0.2-0.3 s per
exec and would distort the times), and the checkpoint/restore times are summed up at the end."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from criulib import TIMES
from vmlib import harness, require_pure_v2

RUNC = "/usr/sbin/runc"


def criu_usable() -> str | None:
    """Why CRIU cannot run here, or None."""
    if shutil.which("criu") is None:
        return "criu is not installed (scripts/vm/install.sh)"
    p = subprocess.run(["criu", "check"], capture_output=True, text=True, timeout=60)
    return None if p.returncode == 0 else f"criu check fails on this kernel: {p.stderr.strip()[-300:]}"


@pytest.fixture(scope="session")
def runtimes(session_dir) -> dict[str, str]:
    require_pure_v2()
    why = criu_usable()
    if why:
        pytest.fail(why, pytrace=False)
    bin_dir = session_dir / "criu-bin"
    bin_dir.mkdir()
    out = {}
    for name, src in (("swrun", harness.RUNTIME), ("runc", RUNC)):
        dst = bin_dir / name / os.path.basename(src)
        dst.parent.mkdir()
        shutil.copy2(src, dst)
        out[name] = str(dst)
    return out


# CRIU_RUNTIMES=runc,swrun runs runc first (the first checkpoint and restore of a boot pay for
# reading criu over 9p: times are compared best in both orders).
ORDER = [r for r in os.environ.get("CRIU_RUNTIMES", "swrun,runc").split(",") if r in ("swrun", "runc")]


@pytest.fixture(params=ORDER)
def ch(request, runtimes, rootfs, workdir, state_root):
    """The conformance harness driving one runtime; `ch.name` says which. Teardown checks
    that nothing is left behind (state, mounts, processes, cgroups)."""
    h = harness.Harness(runtimes[request.param], state_root, workdir, rootfs, request.node.name)
    h.name = request.param
    h.netns_mounts = []  # namespace files a test bound: unmounted before the leftover check
    yield h
    for ctid in h.ids:
        h.rt("delete", "--force", ctid)
    for f in h.netns_mounts:
        subprocess.run(["umount", str(f)], capture_output=True, timeout=30)
    problems = h.cleanup_and_check()
    if problems:
        pytest.fail("left behind after test:\n" + "\n".join(problems), pytrace=False)


def pytest_terminal_summary(terminalreporter):
    if not TIMES:
        return
    terminalreporter.section("checkpoint / restore times (s)")
    for rt, what, secs in TIMES:
        terminalreporter.write_line(f"{rt:6} {what:28} {secs:6.2f}")
