"""Fixtures for the OCI runtime conformance suite.

The runtime under test is $RUNTIME (default: <repo>/.build/release/swrun if it
exists, else <repo>/.build/debug/swrun).  Every test gets its own state dir
(passed as the global `--root` flag before the subcommand, like runc) and its
own scratch dir; at teardown every container the test made is force-deleted
and the harness asserts that nothing is left behind (state entries, mounts,
processes, cgroup dirs).
"""

from __future__ import annotations

import copy
import json
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MAKE_ROOTFS = REPO / "bundles" / "make-rootfs.sh"


def _default_runtime() -> str:
    release = REPO / ".build" / "release" / "swrun"
    if release.exists():
        return str(release)
    return str(REPO / ".build" / "debug" / "swrun")


RUNTIME = os.environ.get("RUNTIME") or _default_runtime()
RUNTIME_NAME = os.path.basename(RUNTIME)
IS_RUNC = RUNTIME_NAME.startswith("runc")
IS_SWRUN = not IS_RUNC

# Timeouts (seconds).  Every container run should take well under 1 s.
CMD_TIMEOUT = 15

DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


# --------------------------------------------------------------------------
# pytest hooks
# --------------------------------------------------------------------------

def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "swrun_only: behaviour swrun guarantees but runc 1.1.5 does not "
        "(skipped when RUNTIME's basename is runc)")


def pytest_collection_modifyitems(config, items):
    if not IS_RUNC:
        return
    skip = pytest.mark.skip(reason=f"swrun_only: not expected of {RUNTIME_NAME}")
    for item in items:
        if item.get_closest_marker("swrun_only"):
            item.add_marker(skip)


def pytest_report_header(config):
    return f"runtime under test: {RUNTIME}"


# --------------------------------------------------------------------------
# config generation
# --------------------------------------------------------------------------

def make_base_config(rootfs: str, args=None) -> dict:
    """Like `runc spec`, but terminal false, no cgroup mount, no resources."""
    caps = list(DEFAULT_CAPS)
    return {
        "ociVersion": "1.0.2-dev",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": list(args) if args else ["sh"],
            "env": [PATH_ENV, "TERM=xterm"],
            "cwd": "/",
            "capabilities": {
                "bounding": list(caps),
                "effective": list(caps),
                "permitted": list(caps),
                "ambient": list(caps),
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": rootfs, "readonly": True},
        "hostname": "conformance",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666",
                         "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in
                           ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": [
                "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
            ],
            "readonlyPaths": [
                "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                "/proc/sysrq-trigger",
            ],
        },
    }


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

@dataclass
class Result:
    rc: int
    out: str
    err: str

    def __iter__(self):  # allows `rc, out, err = h.run(cfg)`
        return iter((self.rc, self.out, self.err))

    def __str__(self):
        return f"rc={self.rc}\n--- stdout ---\n{self.out}\n--- stderr ---\n{self.err}"


def _mountinfo() -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return f.read().splitlines()


def _unescape_mount_path(p: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), p)


def cgroup_mounts() -> list[str]:
    out = []
    for line in _mountinfo():
        pre, _, post = line.partition(" - ")
        fstype = post.split()[0] if post else ""
        if fstype in ("cgroup", "cgroup2"):
            out.append(_unescape_mount_path(pre.split()[4]))
    return out


def own_cgroup_paths() -> set[str]:
    paths = set()
    with open("/proc/self/cgroup") as f:
        for line in f:
            parts = line.rstrip("\n").split(":", 2)
            if len(parts) == 3:
                paths.add(parts[2])
    return paths


def cgroup_candidates(ctid: str) -> list[Path]:
    """Every place a runtime could plausibly put a cgroup named ctid."""
    cands: set[Path] = set()
    own = own_cgroup_paths()
    for mnt in cgroup_mounts():
        m = Path(mnt)
        cands.add(m / ctid)
        for p in own:
            cands.add(m / p.lstrip("/") / ctid)
        try:
            for child in m.iterdir():  # one level deep
                if child.is_dir():
                    cands.add(child / ctid)
        except OSError:
            pass
    return sorted(cands)


def processes_under(*paths: str) -> list[tuple[int, str, str]]:
    """Processes whose cwd or root is one of `paths` or below them.

    A container in its own mount namespace shows "/" as its root link from
    the host, so besides the link text we compare the identity (st_dev,
    st_ino) of the directory /proc/<pid>/root resolves to with each path."""
    ids = set()
    for p in paths:
        try:
            st = os.stat(p)
            ids.add((st.st_dev, st.st_ino))
        except OSError:
            pass
    found = []
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        pid = int(entry)
        for what in ("cwd", "root"):
            link = f"/proc/{pid}/{what}"
            try:
                target = os.readlink(link)
                st = os.stat(link)
            except OSError:
                continue
            hit = (st.st_dev, st.st_ino) in ids
            for pre in paths:
                if target == pre or target.startswith(pre.rstrip("/") + "/"):
                    hit = True
            if hit:
                found.append((pid, what, target))
                break
    return found


def static_binary(tmp_path_factory, name: str, source: str) -> Path:
    """`source` compiled with gcc -static, in a fresh dir the container's users can read
    (for a bind mount into a test container); skips the test without gcc."""
    if not shutil.which("gcc"):
        pytest.skip("needs gcc")
    d = tmp_path_factory.mktemp(name)
    (d / f"{name}.c").write_text(source)
    subprocess.run(["gcc", "-static", "-O2", "-o", str(d / name), str(d / f"{name}.c")], check=True)
    os.chmod(d, 0o755)
    return d / name


def apparmor_enabled() -> bool:
    """What swrun and runc check: securityfs shows AppArmor and its module says enabled."""
    try:
        return Path("/sys/kernel/security/apparmor").is_dir() and \
            Path("/sys/module/apparmor/parameters/enabled").read_text().startswith("Y")
    except OSError:
        return False


def cap_mask(names) -> str:
    """Hex bitmask as shown in /proc/<pid>/status for a list of CAP_* names."""
    mask = 0
    for n in names:
        mask |= 1 << CAP_NUMBERS[n]
    return f"{mask:016x}"


CAP_NUMBERS = {
    "CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2,
    "CAP_FOWNER": 3, "CAP_FSETID": 4, "CAP_KILL": 5, "CAP_SETGID": 6,
    "CAP_SETUID": 7, "CAP_SETPCAP": 8, "CAP_LINUX_IMMUTABLE": 9,
    "CAP_NET_BIND_SERVICE": 10, "CAP_NET_BROADCAST": 11, "CAP_NET_ADMIN": 12,
    "CAP_NET_RAW": 13, "CAP_IPC_LOCK": 14, "CAP_IPC_OWNER": 15,
    "CAP_SYS_MODULE": 16, "CAP_SYS_RAWIO": 17, "CAP_SYS_CHROOT": 18,
    "CAP_SYS_PTRACE": 19, "CAP_SYS_PACCT": 20, "CAP_SYS_ADMIN": 21,
    "CAP_SYS_BOOT": 22, "CAP_SYS_NICE": 23, "CAP_SYS_RESOURCE": 24,
    "CAP_SYS_TIME": 25, "CAP_SYS_TTY_CONFIG": 26, "CAP_MKNOD": 27,
    "CAP_LEASE": 28, "CAP_AUDIT_WRITE": 29, "CAP_AUDIT_CONTROL": 30,
    "CAP_SETFCAP": 31, "CAP_MAC_OVERRIDE": 32, "CAP_MAC_ADMIN": 33,
    "CAP_SYSLOG": 34, "CAP_WAKE_ALARM": 35, "CAP_BLOCK_SUSPEND": 36,
    "CAP_AUDIT_READ": 37, "CAP_PERFMON": 38, "CAP_BPF": 39,
    "CAP_CHECKPOINT_RESTORE": 40,
}


def read_until(fd: int, want: bytes, timeout: float) -> bytes:
    """Reads a pty master (or pipe) until `want` shows, EOF, an error (EIO: the other side
    closed) or the timeout; everything read."""
    out = b""
    deadline = time.monotonic() + timeout
    while want not in out:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out


def parse_status(text: str) -> dict[str, str]:
    d = {}
    for line in text.splitlines():
        k, sep, v = line.partition(":")
        if sep:
            d[k.strip()] = v.strip()
    return d


# --------------------------------------------------------------------------
# the harness
# --------------------------------------------------------------------------

class Harness:
    """Per-test handle: runtime invocation wrappers + leftover tracking."""

    def __init__(self, runtime: str, root: Path, workdir: Path, rootfs: Path,
                 testname: str):
        self.runtime = runtime
        self.root = root              # --root state dir
        self.workdir = workdir        # scratch dir of this test (0755)
        self.rootfs = rootfs          # shared, read-only busybox rootfs
        self.testname = re.sub(r"[^A-Za-z0-9_.-]+", "-", testname)[:40].strip("-")
        self.ids: list[str] = []      # containers this test touched
        self.bundles: list[Path] = []
        self.helpers: list[subprocess.Popen] = []
        self.rootfses: list[Path] = []  # private rootfs copies
        self._n = 0

    # -- naming / bundles ---------------------------------------------------

    def new_id(self) -> str:
        ctid = f"ct-{self.testname}-{secrets.token_hex(3)}"
        self.ids.append(ctid)
        return ctid

    def config(self, args=None) -> dict:
        return make_base_config(str(self.rootfs), args)

    def bundle(self, config: dict | None = None, *, raw: str | bytes | None = None) -> Path:
        """Make a bundle dir containing config.json (dumped from `config`, or
        `raw` text verbatim).  root.path in the config is used as given."""
        self._n += 1
        b = self.workdir / f"bundle{self._n}"
        b.mkdir(mode=0o755)
        self.bundles.append(b)
        if raw is not None:
            data = raw.encode() if isinstance(raw, str) else raw
            (b / "config.json").write_bytes(data)
        else:
            if config is None:
                config = self.config()
            (b / "config.json").write_text(json.dumps(config, indent=2))
        return b

    def rootfs_copy(self, dst: Path | None = None) -> Path:
        """A private, writable copy of the busybox rootfs (at dst if given)."""
        self._n += 1
        dst = dst or self.workdir / f"rootfs{self._n}"
        self.rootfses.append(dst)
        subprocess.run(["cp", "-a", str(self.rootfs), str(dst)], check=True,
                       timeout=CMD_TIMEOUT)
        return dst

    def tmpdir(self, name: str) -> Path:
        d = self.workdir / name
        d.mkdir(mode=0o755, parents=True, exist_ok=True)
        return d

    # -- raw invocation -----------------------------------------------------

    def cmd(self, *args, root: bool = True) -> list[str]:
        pre = [self.runtime]
        if root:
            pre += ["--root", str(self.root)]
        return pre + [str(a) for a in args]

    def rt(self, *args, timeout=CMD_TIMEOUT, root: bool = True, **kw) -> Result:
        """Run `runtime --root R ARGS...`, capture output (stdin closed).

        Only for subcommands that do not leave a process holding stdout
        (i.e. not for `create`/`run -d`: use create() for those)."""
        p = subprocess.run(self.cmd(*args, root=root), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout, **kw)
        return Result(p.returncode, p.stdout, p.stderr)

    # -- lifecycle wrappers --------------------------------------------------

    def run(self, config: dict | None = None, *, bundle: Path | None = None,
            ctid: str | None = None, extra=(), timeout=CMD_TIMEOUT) -> Result:
        """`runtime --root R run --bundle B ID` in the foreground."""
        if bundle is None:
            bundle = self.bundle(config)
        ctid = ctid or self.new_id()
        return self.rt("run", *extra, "--bundle", bundle, ctid, timeout=timeout)

    def sh(self, script: str, config: dict | None = None, **kw) -> Result:
        """Run `sh -c SCRIPT` in a container built from `config` (default base)."""
        if config is None:
            config = self.config()
        config["process"]["args"] = ["sh", "-c", script]
        return self.run(config, **kw)

    def create(self, config: dict | None = None, *, bundle: Path | None = None,
               ctid: str | None = None, extra=(), timeout=CMD_TIMEOUT) -> tuple[str, Result]:
        """`runtime --root R create --bundle B ID`.  The container inherits the
        runtime's stdio, so stdout/stderr go to files (not pipes, which the
        container would hold open): read them with output(ctid)."""
        if bundle is None:
            bundle = self.bundle(config)
        ctid = ctid or self.new_id()
        out = self.workdir / f"{ctid}.stdout"
        err = self.workdir / f"{ctid}.stderr"
        with open(out, "ab") as o, open(err, "ab") as e:
            p = subprocess.run(self.cmd("create", *extra, "--bundle", bundle, ctid),
                               stdin=subprocess.DEVNULL, stdout=o, stderr=e,
                               timeout=timeout)
        return ctid, Result(p.returncode, out.read_text(), err.read_text())

    def output(self, ctid: str) -> Result:
        out = self.workdir / f"{ctid}.stdout"
        err = self.workdir / f"{ctid}.stderr"
        return Result(0, out.read_text() if out.exists() else "",
                      err.read_text() if err.exists() else "")

    def start(self, ctid: str) -> Result:
        return self.rt("start", ctid)

    def state(self, ctid: str) -> Result:
        return self.rt("state", ctid)

    def state_json(self, ctid: str) -> dict:
        r = self.state(ctid)
        assert r.rc == 0, f"state {ctid} failed: {r}"
        return json.loads(r.out)

    def status(self, ctid: str) -> str:
        return self.state_json(ctid)["status"]

    def kill(self, ctid: str, sig: str | None = None, *, all_: bool = False) -> Result:
        args = ["kill"] + (["--all"] if all_ else []) + [ctid]
        if sig is not None:
            args.append(sig)
        return self.rt(*args)

    def delete(self, ctid: str, *, force: bool = False) -> Result:
        return self.rt("delete", *(["--force"] if force else []), ctid)

    def wait_status(self, ctid: str, want: str, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            st = self.status(ctid)
            if st == want:
                return st
            time.sleep(0.02)
        return st

    def wait_file(self, path: Path, timeout: float = 5.0, nonempty: bool = True) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if path.exists() and (not nonempty or path.stat().st_size > 0):
                return True
            time.sleep(0.02)
        return False

    # -- helper processes ----------------------------------------------------

    def spawn_helper(self, argv, **kw) -> subprocess.Popen:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             **kw)
        self.helpers.append(p)
        return p

    # -- teardown ------------------------------------------------------------

    def cleanup_and_check(self):
        problems = []
        for ctid in self.ids:
            try:
                self.rt("delete", "--force", ctid, timeout=CMD_TIMEOUT)
            except subprocess.TimeoutExpired:
                problems.append(f"delete --force {ctid} timed out")
        for p in self.helpers:
            if p.poll() is None:
                p.kill()  # by its own pid: we started it
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                problems.append(f"helper {p.pid} did not die")
        more, left, procs, cgdirs = self.leftovers(self.ids)
        problems += more
        if problems:
            self._scrub(left, procs, cgdirs)
        return problems

    def leftovers(self, ids):
        """What is left of the containers `ids` and of this harness's bundles, without deleting
        anything first: (problems, state entries, processes, cgroup dirs)."""
        problems = []
        # 1. state dir must be empty
        try:
            left = sorted(os.listdir(self.root))
        except FileNotFoundError:
            left = []
        if left:
            problems.append(f"state dir {self.root} not empty: {left}")

        # 2. no mounts mentioning the bundle/scratch dir
        watch = [str(self.workdir), str(self.rootfs)] + [str(r) for r in self.rootfses]
        bad = [l for l in _mountinfo() if any(w in _unescape_mount_path(l) for w in watch)]
        if bad:
            problems.append("leftover mounts:\n  " + "\n  ".join(bad))

        # 3. no process whose cwd/root lies in the bundle/scratch dir
        deadline = time.monotonic() + 3
        procs = processes_under(*watch)
        while procs and time.monotonic() < deadline:
            time.sleep(0.05)
            procs = processes_under(*watch)
        if procs:
            problems.append(f"leftover processes (pid, link, target): {procs}")

        # 4. no cgroup dir named after a container id
        cgdirs = []
        for ctid in dict.fromkeys(list(ids) + left):
            for c in cgroup_candidates(ctid):
                if c.exists():
                    cgdirs.append(c)
                    problems.append(f"leftover cgroup dir {c}")
        return problems, left, procs, cgdirs

    def _scrub(self, left, procs, cgdirs):
        """Best effort: after a leak was reported, remove what this test's
        runtime left so later tests start clean (only our own containers)."""
        for ctid in left:
            try:
                self.rt("delete", "--force", ctid, timeout=CMD_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        for pid, _, _ in procs:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.2)
        for c in sorted(cgdirs, key=lambda p: -len(p.parts)):
            try:
                c.rmdir()
            except OSError:
                pass
        for line in reversed(_mountinfo()):
            mp = _unescape_mount_path(line.split()[4])
            if mp.startswith(str(self.workdir)):
                subprocess.run(["umount", "-l", mp], capture_output=True)


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------

@pytest.fixture(scope="session")
def runtime() -> str:
    if os.geteuid() != 0:
        pytest.skip("the conformance suite must run as root")
    if not (os.path.isfile(RUNTIME) and os.access(RUNTIME, os.X_OK)):
        pytest.fail(f"runtime under test not found or not executable: {RUNTIME} "
                    "(build swrun, or set RUNTIME=/path/to/runtime)", pytrace=False)
    return RUNTIME


@pytest.fixture(scope="session")
def session_dir():
    # Not pytest's tmp_path: its parents are 0700, which a container whose root
    # is mapped to an unprivileged host uid could not traverse.
    d = Path(tempfile.mkdtemp(prefix="swrun-conformance-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def rootfs(session_dir) -> Path:
    """The busybox rootfs, built once per session, shared read-only."""
    dst = session_dir / "rootfs"
    subprocess.run(["sh", str(MAKE_ROOTFS), str(dst)], check=True,
                   timeout=300)
    return dst


@pytest.fixture
def workdir(session_dir, request) -> Path:
    d = Path(tempfile.mkdtemp(prefix="t-", dir=session_dir))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def state_root(workdir) -> Path:
    r = workdir / "state"
    r.mkdir(mode=0o700)
    return r


@pytest.fixture
def h(runtime, rootfs, workdir, state_root, request):
    """The per-test harness; teardown force-deletes and checks leftovers."""
    harness = Harness(runtime, state_root, workdir, rootfs, request.node.name)
    yield harness
    problems = harness.cleanup_and_check()
    if problems:
        pytest.fail("left behind after test:\n" + "\n".join(problems),
                    pytrace=False)


@pytest.fixture
def base_config(rootfs):
    """Factory: base_config(args=None) -> fresh config dict."""
    return lambda args=None: make_base_config(str(rootfs), args)


@pytest.fixture
def bundle(h):
    """Factory: bundle(config=None, raw=None) -> bundle dir path."""
    return h.bundle
