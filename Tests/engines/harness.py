"""The engine tiers' shared harness (Tests/engines and Tests/kubernetes import it).

Every engine gets a private root, state, socket and cgroup parent under one temp dir whose
name carries a random token; the token also names the containerd namespaces and cgroup
parents. Whatever the engine or the runtime could leave behind therefore carries the token,
and `leftovers(token)` finds it: mounts, processes (by command line or cgroup), cgroup dirs.
Daemons are started by the fixtures and stopped by their PID (`Daemon.stop`), even when a
test fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RUNTIME = os.environ.get("RUNTIME") or str(REPO / ".build" / "release" / "swrun")
IMAGE = "docker.io/library/swrun-busybox:test"
CMD_TIMEOUT = 60
# A long-running container that `stop` ends at once with status 0 (PID 1 ignores a SIGTERM it
# has no handler for); "started" in its log says the trap is set.
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; echo started; sleep 1000 & wait"]


def run(argv, *, timeout=CMD_TIMEOUT, check=False, text=True, **kw) -> subprocess.CompletedProcess:
    """Runs argv with stdin closed, captures output (str, or bytes with text=False: no newline
    translation); check=True fails the test on rc != 0."""
    p = subprocess.run([str(a) for a in argv], stdin=subprocess.DEVNULL, capture_output=True,
                       text=text, timeout=timeout, **kw)
    if check and p.returncode != 0:
        pytest.fail(f"{' '.join(map(str, argv))} -> rc={p.returncode}\n"
                    f"stdout: {p.stdout}\nstderr: {p.stderr}", pytrace=False)
    return p


def wait_for(predicate, timeout=20.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


# --------------------------------------------------------------------------
# what an engine can leave behind
# --------------------------------------------------------------------------

def _unescape(p: str) -> str:
    return p.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def cgroup_mounts() -> list[Path]:
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            if post.split()[0] in ("cgroup", "cgroup2"):
                out.append(Path(_unescape(pre.split()[4])))
    return out


def cgroup_dirs(token: str) -> list[Path]:
    """Every cgroup dir, in any hierarchy, whose path below the mount contains `token`."""
    found = []
    for mnt in cgroup_mounts():
        for top in mnt.iterdir() if mnt.is_dir() else []:
            if top.is_dir() and token in top.name:
                found.append(top)
                found.extend(p for p in top.rglob("*") if p.is_dir())
    return sorted(set(found))


def has_cap_sys_resource() -> bool:
    eff = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("CapEff:"))
    return bool(int(eff.split()[1], 16) >> 24 & 1)


def cgroup_value(rel: str, v1_file: str, v2_file: str) -> str:
    """A limit of the cgroup at `rel`, read on the host: the v1 controller's file where that
    controller is mounted (these hybrid hosts), else cgroup v2's."""
    for name in (v1_file, v2_file):
        for mnt in cgroup_mounts():
            f = mnt / rel / name
            if f.exists():
                return f.read_text().strip()
    return f"no {v1_file} or {v2_file} for {rel}"


def freezer_state(rel: str) -> str:
    """FROZEN or THAWED for the cgroup at `rel` below the hierarchy root: the v1 freezer
    where it is mounted, else cgroup v2's cgroup.events."""
    for mnt in cgroup_mounts():
        v1 = mnt / rel / "freezer.state"
        if v1.exists():
            return v1.read_text().strip()
    for mnt in cgroup_mounts():
        events = mnt / rel / "cgroup.events"
        if events.exists():
            frozen = "frozen 1" in events.read_text().splitlines()
            return "FROZEN" if frozen else "THAWED"
    return "no such cgroup"


def check_pause_unpause(cli, cid: str, cgroup_rel: str) -> None:
    """docker/podman `pause` and `unpause`: the engine's status and the cgroup's freezer agree."""
    status = lambda: cli("inspect", "-f", "{{.State.Status}}", cid).stdout.strip()
    cli("pause", cid, check=True)
    assert (status(), freezer_state(cgroup_rel)) == ("paused", "FROZEN")
    cli("unpause", cid, check=True)
    assert (status(), freezer_state(cgroup_rel)) == ("running", "THAWED")


def mounts_with(token: str) -> list[str]:
    with open("/proc/self/mountinfo") as f:
        return [l.rstrip("\n") for l in f if token in _unescape(l)]


def processes_with(token: str) -> list[str]:
    """Processes whose command line or cgroup names the token (daemons, shims, conmon,
    swrun, and the containers' own processes, which live in the token's cgroups)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cgroup = Path(f"/proc/{entry}/cgroup").read_text()
        except OSError:
            continue
        if token in cmdline or token in cgroup:
            found.append(f"{entry}: {cmdline.strip()}")
    return found


def leftovers(token: str, *, cgroups_allowed=()) -> list[str]:
    """What is left that carries the token; cgroup dirs in `cgroups_allowed` (names relative
    to a hierarchy, e.g. "swrun-eng-x" for a parent an engine keeps) are not counted."""
    problems = [f"mount: {m}" for m in mounts_with(token)]
    problems += [f"process: {p}" for p in processes_with(token)]
    for d in cgroup_dirs(token):
        rel = str(d.relative_to(next(m for m in cgroup_mounts() if d.is_relative_to(m))))
        if rel not in cgroups_allowed:
            problems.append(f"cgroup: {d}")
    return problems


def remove_cgroups(token: str) -> None:
    """Removes the (empty) cgroup dirs carrying the token, deepest first: the parents an
    engine creates and keeps (containerd's namespace, dockerd's/podman's --cgroup-parent)."""
    for d in sorted(cgroup_dirs(token), key=lambda p: -len(p.parts)):
        try:
            d.rmdir()
        except OSError:
            pass


def unmount_all(token: str) -> None:
    """Lazily unmounts what carries the token (after it was reported), so removing the
    engine's dir cannot reach into a mount."""
    for line in reversed(mounts_with(token)):
        subprocess.run(["umount", "-l", _unescape(line.split()[4])], capture_output=True)


def state_entries(root: Path, token: str) -> list[str]:
    """swrun's containers under its --root whose bundle lies in the token's dir."""
    if not root.exists():
        return []
    return sorted(str(p.parent.relative_to(root)) for p in root.rglob("state.json")
                  if token in p.read_text(errors="replace"))


def container_gone(engine, cid: str) -> list[str]:
    """What a deleted container still has: its swrun state, a mount or a cgroup dir."""
    problems = [f"swrun state {s}" for s in state_entries(engine.swrun_root, engine.token) if cid in s]
    problems += [f"mount {m}" for m in mounts_with(engine.token) if cid in m]
    problems += [f"cgroup {d}" for d in cgroup_dirs(engine.token) if cid in d.name]
    return problems


# --------------------------------------------------------------------------
# daemons
# --------------------------------------------------------------------------

class Daemon:
    """A daemon this test started; stop() ends it by its own PID."""

    def __init__(self, name: str, argv: list, log: Path, env=None):
        self.name = name
        self.log = log
        self._log_file = open(log, "ab")
        self.proc = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL,
                                     stdout=self._log_file, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, check, timeout=30.0) -> None:
        ok = wait_for(lambda: not self.alive() or check(), timeout=timeout, interval=0.1)
        if not self.alive() or not ok:
            self.stop()
            pytest.fail(f"{self.name} did not come up:\n{self.tail()}", pytrace=False)

    def tail(self, n=30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self, timeout=30.0) -> list[str]:
        """SIGTERM, then SIGKILL after `timeout`; returns problems (did not stop cleanly)."""
        problems = []
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                problems.append(f"{self.name} (pid {self.proc.pid}) ignored SIGTERM for {timeout}s")
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log_file.close()
        return problems


def serve(engine, archive: Path, token: str, stop_timeout=30.0):
    """The body of a module fixture for `engine` (an object with .daemon, .swrun_root, .token,
    .load(archive) and .cleanup() -> problems): yields it with the image loaded; then stops
    its daemon by PID, even after a failure, and fails if anything carrying the token is
    left. The cgroup parent named after the token (and `engine.own_cgroups` below it) are
    the engine's own, kept by design: removed, not counted."""
    own = (token, *(f"{token}/{c}" for c in getattr(engine, "own_cgroups", ())))
    problems = []
    try:
        engine.load(archive)
        yield engine
        problems += engine.cleanup()
    finally:
        problems += engine.daemon.stop(timeout=stop_timeout) if engine.daemon else []
        # Shims and monitors exit once their containers are gone; give them a moment.
        wait_for(lambda: not leftovers(token, cgroups_allowed=own), timeout=10)
        problems += leftovers(token, cgroups_allowed=own)
        problems += [f"swrun state: {s}" for s in state_entries(engine.swrun_root, token)]
        unmount_all(token)
        remove_cgroups(token)
    if problems:
        pytest.fail(f"left behind by {type(engine).__name__} + swrun:\n" + "\n".join(problems),
                    pytrace=False)


def check_runtime(runtime: str = RUNTIME) -> str:
    """The runtime under test; skips when not root, fails when the binary is missing."""
    if os.geteuid() != 0:
        pytest.skip("this tier must run as root")
    if not (os.path.isfile(runtime) and os.access(runtime, os.X_OK)):
        pytest.fail(f"runtime not found or not executable: {runtime} (build swrun or set RUNTIME)",
                    pytrace=False)
    return runtime


def make_rootfs(dest: Path) -> None:
    """The busybox root filesystem of bundles/make-rootfs.sh at `dest`."""
    subprocess.run(["sh", str(REPO / "bundles" / "make-rootfs.sh"), str(dest)],
                   check=True, timeout=300, capture_output=True)


def podman_containers_conf(runtime: str) -> str:
    """containers.conf naming the runtime under test "swrun", with the cgroupfs manager and the
    file events logger (no systemd or journald here)."""
    return f"""\
[engine]
runtime = "swrun"
cgroup_manager = "cgroupfs"
events_logger = "file"
[engine.runtimes]
swrun = ["{runtime}"]
"""
