"""What the VM tests share: the conformance harness (loaded from Tests/conformance/conftest.py,
not copied) and helpers for reading a pure cgroup v2 host's files.

The VM tier boots a guest with pure cgroup v2 (scripts/vm/run.sh); these tests refuse to run
anywhere else, because on the hybrid hosts the same files do not exist or mean other things."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

_spec = importlib.util.spec_from_file_location(
    "conformance_harness", REPO / "Tests" / "conformance" / "conftest.py")
harness = importlib.util.module_from_spec(_spec)
sys.modules["conformance_harness"] = harness
_spec.loader.exec_module(harness)

CGROOT = Path("/sys/fs/cgroup")


def pure_v2() -> bool:
    """One cgroup2 mount at /sys/fs/cgroup and no v1 hierarchy."""
    kinds = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            fstype = post.split()[0] if post else ""
            if fstype in ("cgroup", "cgroup2"):
                kinds.append((fstype, pre.split()[4]))
    return kinds == [("cgroup2", str(CGROOT))]


def own_cgroup() -> str:
    with open("/proc/self/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].strip()
    raise AssertionError("no cgroup v2 line in /proc/self/cgroup")


def host_dir(cgroup_path: str) -> Path:
    """The directory of a cgroup given as the runtime-spec's cgroupsPath resolves it on the
    cgroupfs driver: absolute from the root, relative below the caller's own cgroup."""
    if cgroup_path.startswith("/"):
        return CGROOT / cgroup_path.lstrip("/")
    return CGROOT / own_cgroup().lstrip("/") / cgroup_path


def read(path: Path) -> str:
    return path.read_text().strip()


def keyed(path: Path) -> dict[str, str]:
    """A flat-keyed cgroup file ("frozen 1", "oom_kill 2") as a dict."""
    out = {}
    for line in path.read_text().splitlines():
        k, _, v = line.partition(" ")
        out[k] = v
    return out


def wait_for(pred, timeout: float = 10.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def with_cgroup_view(cfg: dict) -> dict:
    """A cgroup namespace and a read-only cgroup mount, so the container sees its own cgroup
    at /sys/fs/cgroup (runc's default config has both)."""
    ns = cfg["linux"]["namespaces"]
    if not any(n["type"] == "cgroup" for n in ns):
        ns.append({"type": "cgroup"})
    cfg["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                          "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]})
    return cfg


def rmdir_tree(top: Path):
    """Removes a cgroup subtree a test made itself (the runtime leaves parents in place, like
    runc): deepest first; only empty cgroups can go."""
    if not top.exists():
        return
    dirs = sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
    for d in dirs + [top]:
        try:
            d.rmdir()
        except OSError:
            pass


def require_pure_v2():
    if not pure_v2():
        pytest.skip("needs a pure cgroup v2 host: run through `make test-vm` (scripts/vm/run.sh)")


def weight(shares: int) -> str:
    """cpu.shares → cpu.weight. runc 1.1 maps linearly (1 + (shares - 2) * 9999 / 262142,
    1024 → 39); current runc and crun, and swrun, fit a curve through both ends and the
    default (1024 → 100): ceil(10^((l² + 125 l) / 612 - 7/34)), l = log2(shares). Worked values,
    not the formula, so a wrong implementation of either fails."""
    linear = {256: "10", 512: "20", 1024: "39"}
    curve = {256: "35", 512: "59", 1024: "100"}
    return (linear if harness.IS_RUNC else curve)[shares]


def systemd_podman(runtime: str, prefix: str):
    """podman with `--cgroup-manager=systemd --runtime RUNTIME`, its storage in a fresh dir
    under $TMPDIR (the systemd guest's root is read-only); skips outside the systemd VM.
    The returned pm(*args, timeout=, check=) runs one podman command; pm.top is the dir,
    pm.base the command line before the subcommand. End with close_podman(pm)."""
    require_pure_v2()
    if not Path("/run/systemd/system").is_dir():
        pytest.skip("needs systemd as PID 1: run through `make test-vm` (the systemd VM)")
    if not shutil.which("podman"):
        pytest.skip("podman is not installed (scripts/vm/install.sh)")
    top = Path(tempfile.mkdtemp(prefix=prefix, dir=os.environ.get("TMPDIR", "/run")))
    base = ["podman", "--storage-driver", "vfs", "--root", str(top / "root"), "--runroot", str(top / "runroot"),
            "--tmpdir", str(top / "tmp"), "--network-config-dir", str(top / "net"),
            "--cgroup-manager=systemd", "--events-backend=file", "--runtime", runtime]

    def pm(*args, timeout=180, check=False):
        p = subprocess.run(base + list(args), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout)
        if check:
            assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p

    pm.top = top
    pm.base = base
    return pm


def close_podman(pm):
    """Removes every container of a systemd_podman and its storage."""
    pm("rm", "--all", "--force", "--time", "0")
    subprocess.run(["rm", "-rf", str(pm.top)], capture_output=True)
