"""Fixtures for the security tier: the conformance harness (one harness for both tiers:
fixtures `h`, `runtime`, `rootfs`, the leftover checks at teardown), plus the attacker's
tools compiled at test time and a throw-away copy of the runtime binary for the attacks
that try to overwrite it."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

SECURITY_DIR = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location(
    "conformance_conftest", SECURITY_DIR.parent / "conformance" / "conftest.py")
harness = importlib.util.module_from_spec(_spec)
sys.modules["conformance_conftest"] = harness
_spec.loader.exec_module(harness)

# Fixtures (h, runtime, rootfs, session_dir, workdir, state_root, ...), pytest hooks
# (swrun_only) and helpers, re-exported so pytest and the test modules see them here.
from conformance_conftest import *  # noqa: E402,F401,F403

PAYLOADS = SECURITY_DIR / "payloads"


# --------------------------------------------------------------------------
# the attacker's tools
# --------------------------------------------------------------------------

class Tools:
    def __init__(self, d: Path):
        self.dir = d
        self.loader = d / "exe_overwrite"   # CVE-2019-5736 payload (goes in as the ELF interpreter)
        self.sectool = d / "sectool"        # swap / exe-write / stat / mem / seize


@pytest.fixture(scope="session")
def tools(session_dir) -> Tools:
    if shutil.which("gcc") is None:
        pytest.skip("gcc not found: cannot compile the attack payloads")
    t = Tools(session_dir / "sectools")
    t.dir.mkdir(mode=0o755)
    # Freestanding and linked at 4 GiB: see the comment at the top of exe_overwrite.c.
    subprocess.run(["gcc", "-static", "-nostdlib", "-ffreestanding", "-fno-builtin",
                    "-fno-stack-protector", "-fno-pie", "-no-pie", "-O1",
                    "-fno-tree-loop-distribute-patterns", "-Wl,-Ttext-segment=0x40000000",
                    "-o", str(t.loader), str(PAYLOADS / "exe_overwrite.c")], check=True)
    subprocess.run(["gcc", "-static", "-O1", "-o", str(t.sectool), str(PAYLOADS / "sectool.c")],
                   check=True)
    return t


def with_tools(cfg: dict, tools: Tools) -> dict:
    """The tools, read-only at /sec in the container."""
    cfg["mounts"].append({"destination": "/sec", "type": "bind", "source": str(tools.dir),
                          "options": ["rbind", "ro"]})
    return cfg


def with_results(cfg: dict, d: Path) -> dict:
    """A host dir the container's attacker reports into, at /results."""
    cfg["mounts"].append({"destination": "/results", "type": "bind", "source": str(d),
                          "options": ["rbind", "rw"]})
    return cfg


def set_caps(cfg: dict, *extra: str) -> dict:
    """The default capabilities plus `extra`, in every set but ambient and inheritable."""
    caps = list(harness.DEFAULT_CAPS) + list(extra)
    cfg["process"]["capabilities"] = {k: list(caps) for k in ("bounding", "effective", "permitted")}
    return cfg


def join_ns(cfg: dict, typ: str, path: str) -> dict:
    cfg["linux"]["namespaces"] = [
        {"type": typ, "path": path} if n["type"] == typ else n for n in cfg["linux"]["namespaces"]]
    return cfg


def without_mounts(cfg: dict, *destinations: str) -> dict:
    cfg["mounts"] = [m for m in cfg["mounts"] if m["destination"] not in destinations]
    return cfg


def elf_interpreter(path: str) -> str | None:
    out = subprocess.run(["readelf", "-l", path], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if "Requesting program interpreter:" in line:
            return line.split(":", 1)[1].strip().rstrip("]").strip()
    return None


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# --------------------------------------------------------------------------
# the runtime under attack, as a copy
# --------------------------------------------------------------------------

class RuntimeCopy:
    def __init__(self, original: str, path: Path):
        self.original = original
        self.path = path
        self.digest = sha256(path)

    def changed(self) -> bool:
        return sha256(self.path) != self.digest

    def restore(self):
        tmp = self.path.with_suffix(".restore")
        shutil.copy2(self.original, tmp)
        os.replace(tmp, self.path)


def copy_runtime(h, original: str):
    """`original` copied into the test's scratch dir (same basename) and run from there by `h`:
    an attack on the binary can only hit this copy. If the copy was overwritten, it is
    restored before the harness cleans up with it."""
    d = h.workdir / "bin"
    d.mkdir(mode=0o755)
    path = d / os.path.basename(h.runtime)
    shutil.copy2(original, path)
    copy = RuntimeCopy(original, path)
    h.runtime = str(path)
    yield copy
    if copy.changed():
        copy.restore()


@pytest.fixture
def runtime_copy(h) -> RuntimeCopy:
    """A throw-away copy of the runtime under test (copy_runtime)."""
    yield from copy_runtime(h, h.runtime)


@pytest.fixture
def loaded_runtime_copy(h) -> RuntimeCopy:
    """A copy of a runtime binary that has an ELF interpreter, for the attacks that go in as
    that loader. swrun's release binary is static: no loader ever runs as it, so these attacks
    are played against RUNTIME_DYNAMIC (`make security` passes the debug build, the same
    sources linked dynamically) when the runtime under test has no interpreter."""
    original = h.runtime
    if elf_interpreter(original) is None:
        original = os.environ.get("RUNTIME_DYNAMIC", "")
        if not original or elf_interpreter(original) is None:
            pytest.skip("the runtime under test is statically linked and RUNTIME_DYNAMIC names no "
                        "dynamically linked build of it: the loader vector does not exist for it")
    yield from copy_runtime(h, original)


# --------------------------------------------------------------------------
# host state an attack must not change
# --------------------------------------------------------------------------

def sysctl_path(name: str) -> Path:
    return Path("/proc/sys") / name.replace(".", "/")


@contextlib.contextmanager
def host_sysctl_unchanged(*names: str):
    """Reads each host sysctl before; after the block, a changed one is restored and the
    test fails (also when the restore does not take)."""
    before = {n: sysctl_path(n).read_text() for n in names}
    try:
        yield before
    finally:
        changed = []
        for n, v in before.items():
            now = sysctl_path(n).read_text()
            if now != v:
                try:
                    sysctl_path(n).write_text(v)
                    restored = sysctl_path(n).read_text() == v
                except OSError as e:
                    restored = f"no: {e}"
                changed.append(f"host {n} changed {v!r} -> {now!r} (restored: {restored})")
        if changed:
            pytest.fail("\n".join(changed), pytrace=False)


def host_mountpoints() -> list[str]:
    return [harness._unescape_mount_path(line.split()[4]) for line in harness._mountinfo()]


def tree_snapshot(d: Path) -> dict[str, tuple]:
    """Every entry below d: (type bits, size, mtime_ns, content for small files)."""
    snap = {}
    for p in sorted(d.rglob("*")):
        st = p.lstat()
        data = p.read_bytes() if p.is_file() and not p.is_symlink() and st.st_size < 4096 else None
        snap[str(p.relative_to(d))] = (st.st_mode, st.st_size, st.st_mtime_ns, data)
    return snap


@contextlib.contextmanager
def console_socket(h):
    """A --console-socket listener; yields (path, accept) where accept() returns the pty
    master the runtime sends (the caller closes it)."""
    path = h.workdir / "console.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(path))
    srv.listen(1)
    srv.settimeout(harness.CMD_TIMEOUT)

    def accept() -> int:
        conn, _ = srv.accept()
        with conn:
            _, fds, _, _ = socket.recv_fds(conn, 1024, 1)
        return fds[0]

    try:
        yield path, accept
    finally:
        srv.close()
