"""Faults (issue 13): `create`, `start` and `delete` SIGKILLed at every system call they make
(strace's fault injection) and after a sweep of fixed delays, an init killed behind the
runtime's back, a full and a read-only state root.

After each fault:
- `state` must not contradict what is alive: "stopped" while a process of the container
  still lives, or "created"/"running"/"creating" when nothing of it ever lived at the time;
- `delete --force` (or a plain `delete` where the record allows it) exits 0;
- nothing is left: state entry, mount, process (every runtime command runs in the case's
  scratch dir, so even an init stage that never reached its rootfs is found by its cwd),
  cgroup.

A sweep point is (syscall name, occurrence), read from a reference trace of the same
command: `strace -e inject=NAME:signal=SIGKILL:when=K` kills the runtime as it enters the
K-th call of NAME, which is exactly the n-th system call of the reference run. Only the
runtime's own process is traced (no -f): its children run untouched, as they would when an
engine's shim is OOM-killed. FAULT_STRIDE=N tries every N-th point only (default 1: all).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections import Counter

import pytest

from conftest import CMD_TIMEOUT, cgroup_candidates

pytestmark = pytest.mark.swrun_only  # the status rules of a dead create are swrun's (see below)

STRACE = shutil.which("strace")
STRIDE = int(os.environ.get("FAULT_STRIDE", "1"))
DELAYS_MS = [0, 0.5, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 60]

needs_strace = pytest.mark.skipif(STRACE is None, reason="strace not installed (scripts/install-deps.sh)")


# --------------------------------------------------------------------------
# running the runtime under a fault
# --------------------------------------------------------------------------

def rt_in(h, *args, prefix=(), timeout=CMD_TIMEOUT):
    """The runtime in the scratch dir, output to files (a leaked init may hold them)."""
    h._n += 1
    out, err = h.workdir / f"f{h._n}.out", h.workdir / f"f{h._n}.err"
    with open(out, "wb") as o, open(err, "wb") as e:
        p = subprocess.run(list(prefix) + h.cmd(*args), stdin=subprocess.DEVNULL, stdout=o,
                           stderr=e, cwd=h.workdir, timeout=timeout)
    return p.returncode, out.read_text(errors="replace"), err.read_text(errors="replace")


def reference_points(h, *args):
    """(name, occurrence) of every system call the runtime makes for ARGS, in order."""
    trace = h.workdir / "reference.trace"
    rc, _, err = rt_in(h, *args, prefix=[STRACE, "-qq", "-o", str(trace)])
    assert rc == 0, err
    seen: Counter = Counter()
    points = []
    for line in trace.read_text().splitlines():
        m = re.match(r"([a-z_0-9]+)\(", line)
        if not m or m.group(1) in ("exit_group", "exit"):
            continue
        seen[m.group(1)] += 1
        points.append((m.group(1), seen[m.group(1)]))
    assert len(points) > 20, trace.read_text()
    return points


def killed_at(h, point, *args):
    name, k = point
    inject = f"inject={name}:signal=SIGKILL:when={k}"
    return rt_in(h, *args, prefix=[STRACE, "-qq", "-o", "/dev/null", "-e", f"trace={name}", "-e", inject])


def killed_after(h, delay_ms, *args):
    """The runtime SIGKILLed (by its PID: we started it) after delay_ms."""
    h._n += 1
    with open(h.workdir / f"f{h._n}.out", "wb") as o, open(h.workdir / f"f{h._n}.err", "wb") as e:
        p = subprocess.Popen(h.cmd(*args), stdin=subprocess.DEVNULL, stdout=o, stderr=e, cwd=h.workdir)
        time.sleep(delay_ms / 1000)
        p.send_signal(signal.SIGKILL)
        return p.wait(timeout=CMD_TIMEOUT)


# --------------------------------------------------------------------------
# what is alive, what state says
# --------------------------------------------------------------------------

def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] not in ("Z", "X")
    except OSError:
        return False


def container_processes(h, ctid, rootfs=True):
    """Live processes of the container: in a cgroup named after it, holding its exec FIFO,
    or with their cwd/root in the scratch dir or (rootfs=True, when no other container runs)
    the shared rootfs."""
    pids = set()
    for c in cgroup_candidates(ctid):
        try:
            pids |= {int(x) for x in (c / "cgroup.procs").read_text().split()}
        except OSError:
            pass
        for sub, _, _ in os.walk(c) if c.is_dir() else ():
            try:
                pids |= {int(x) for x in open(os.path.join(sub, "cgroup.procs")).read().split()}
            except OSError:
                pass
    try:
        st = os.stat(h.root / ctid / "exec.fifo")
        for e in os.listdir("/proc"):
            if e.isdigit():
                try:
                    fds = os.listdir(f"/proc/{e}/fd")
                except OSError:
                    continue
                for fd in fds:
                    try:
                        s = os.stat(f"/proc/{e}/fd/{fd}")
                    except OSError:
                        continue
                    if (s.st_dev, s.st_ino) == (st.st_dev, st.st_ino):
                        pids.add(int(e))
    except OSError:
        pass
    from conftest import processes_under
    pids |= {pid for pid, _, _ in processes_under(str(h.workdir), *([str(h.rootfs)] if rootfs else []))}
    return {p for p in pids if _alive(p)}


def no_processes_left(h, ctid, timeout=3.0, rootfs=True):
    """Whether the container's processes are all gone within `timeout` (a process SIGKILLed
    can take a moment to finish exiting; the harness's own check waits as long)."""
    deadline = time.monotonic() + timeout
    while container_processes(h, ctid, rootfs):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def check_state(h, ctid, what):
    """`state` after a fault: an error (no record yet, or none any more) or a status that
    agrees with what lives. Returns the status (None: no record)."""
    before = container_processes(h, ctid)
    rc, out, err = rt_in(h, "state", ctid)
    after = container_processes(h, ctid)
    if rc != 0:
        assert rc == 1 and err.strip(), (what, rc, err)
        assert "does not exist" in err or "no state yet" in err or "being created" in err, (what, err)
        return None
    st = json.loads(out)
    status = st["status"]
    # A process alive after `state` was alive before it: nothing of a dead command starts later.
    if status == "stopped":
        assert not after, f"{what}: state says stopped, but {sorted(after)} live"
    else:
        assert before, f"{what}: state says {status}, but nothing of the container lived"
    if status in ("created", "running"):
        assert st["pid"] in before, (what, st, before)
    return status


def assert_clean(h, ctid, what):
    problems, left, procs, cgdirs = h.leftovers([ctid])
    if problems:
        h._scrub(left, procs, cgdirs)
    assert not problems, f"{what}: " + "\n".join(problems)


def force_delete(h, ctid, what):
    rc, _, err = rt_in(h, "delete", "--force", ctid)
    assert rc == 0, f"{what}: delete --force: rc {rc}: {err}"
    assert not (h.root / ctid).exists(), what
    assert_clean(h, ctid, what)


def sleep_bundle(h):
    return h.bundle(h.config(["sleep", "30"]))


# --------------------------------------------------------------------------
# create, start, delete killed at every system call
# --------------------------------------------------------------------------

def after_killed_create(h, ctid, what, plain_delete):
    status = check_state(h, ctid, what)
    if status == "creating":
        rc, _, err = rt_in(h, "start", ctid)
        # What lived may have died meanwhile (an init stage exits when its parent's socket
        # closes): then the container has stopped.
        assert rc == 1 and ("did not finish" in err or "has stopped" in err), (what, rc, err)
    if plain_delete and status is not None:
        # A record whose create died (or one the kill did not reach: created) is removed by a
        # plain delete too, whatever of it still lives.
        assert status in ("creating", "created", "stopped"), (what, status)
        rc, _, err = rt_in(h, "delete", ctid)
        assert rc == 0, f"{what}: plain delete of a {status} container: rc {rc}: {err}"
        assert_clean(h, ctid, what)
    force_delete(h, ctid, what)


@needs_strace
def test_create_killed_at_each_syscall(h):
    b = sleep_bundle(h)
    ref = h.new_id()
    points = reference_points(h, "create", "--bundle", b, ref)
    force_delete(h, ref, "reference")
    kills = Counter()
    for i, point in list(enumerate(points))[::STRIDE]:
        ctid = h.new_id()
        what = f"create killed at syscall {i} ({point[0]} #{point[1]})"
        rc, _, _ = killed_at(h, point, "create", "--bundle", b, ctid)
        kills[rc == -signal.SIGKILL] += 1
        after_killed_create(h, ctid, what, plain_delete=i % 2 == 1)
    # The sweep hits (almost) every point; a point missed means the run took another path.
    assert kills[True] >= 0.9 * sum(kills.values()), kills


def test_create_killed_after_delays(h):
    b = sleep_bundle(h)
    for i, d in enumerate(DELAYS_MS):
        ctid = h.new_id()
        killed_after(h, d, "create", "--bundle", b, ctid)
        after_killed_create(h, ctid, f"create killed after {d} ms", plain_delete=i % 2 == 1)


@needs_strace
def test_start_killed_at_each_syscall(h):
    b = sleep_bundle(h)
    ref = h.new_id()
    assert rt_in(h, "create", "--bundle", b, ref)[0] == 0
    points = reference_points(h, "start", ref)
    force_delete(h, ref, "reference")
    seen = Counter()
    for i, point in list(enumerate(points))[::STRIDE]:
        what = f"start killed at syscall {i} ({point[0]} #{point[1]})"
        ctid = h.new_id()
        rc, _, err = rt_in(h, "create", "--bundle", b, ctid)
        assert rc == 0, (what, err)
        killed_at(h, point, "start", ctid)
        status = check_state(h, ctid, what)
        seen[status] += 1
        assert status in ("created", "running"), (what, status)
        rc, _, err = rt_in(h, "start", ctid)
        if status == "created":
            # Not released yet: a second start does it.
            assert rc == 0, (what, err)
            assert check_state(h, ctid, what) == "running", what
        else:
            assert rc == 1 and "running" in err, (what, rc, err)
        force_delete(h, ctid, what)
    assert seen["created"] and seen["running"], seen


@needs_strace
@pytest.mark.parametrize("force", [True, False], ids=["force", "plain"])
def test_delete_killed_at_each_syscall(h, force):
    """delete --force of a running container, or plain delete of a stopped one, killed at
    each system call; then delete --force must finish the job."""
    b = h.bundle(h.config(["sleep", "30"] if force else ["true"]))
    args = ["delete", "--force"] if force else ["delete"]

    def ready():
        ctid = h.new_id()
        rc, _, err = rt_in(h, "create", "--bundle", b, ctid)
        assert rc == 0, err
        assert rt_in(h, "start", ctid)[0] == 0
        if not force:
            deadline = time.monotonic() + 5
            while json.loads(rt_in(h, "state", ctid)[1])["status"] != "stopped":
                assert time.monotonic() < deadline, "container did not stop"
                time.sleep(0.01)
        return ctid

    ref = ready()
    points = reference_points(h, *args, ref)
    assert_clean(h, ref, "reference")
    for i, point in list(enumerate(points))[::STRIDE]:
        what = f"{' '.join(args)} killed at syscall {i} ({point[0]} #{point[1]})"
        ctid = ready()
        killed_at(h, point, *args, ctid)
        status = check_state(h, ctid, what)
        assert status in (None, "running", "stopped"), (what, status)
        force_delete(h, ctid, what)


def test_same_id_create_and_delete_races(h):
    """Creates, starts and `delete --force`s of one ID from 4 threads at once, with a 5th
    deleting it in a loop: every command exits 0, or 1 with a race's outcome. Before: a delete
    that waited for the lock of a directory removed and made again meanwhile held a lock that
    excluded nobody, read the new create's record (no PID yet) and SIGKILLed its init
    ("container init exited before it was ready: killed by signal 9")."""
    import threading
    b = sleep_bundle(h)
    outcomes = re.compile(r"already exists|does not exist|has stopped|already running|"
                          r"did not finish|deleted by another command|being created")
    bad = []

    def rt(*args):
        p = subprocess.run(h.cmd(*args), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE if args[0] != "create" else subprocess.DEVNULL,
                           cwd=h.workdir, timeout=CMD_TIMEOUT, text=True)
        return p.returncode, p.stderr or ""

    def create(ctid):
        # create's stderr goes to a file: the init inherits it (a pipe would never close).
        err = h.workdir / f"race-{threading.get_ident()}.err"
        with open(err, "wb") as e:
            rc = subprocess.run(h.cmd("create", "--bundle", b, ctid), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=e, cwd=h.workdir,
                                timeout=CMD_TIMEOUT).returncode
        return rc, err.read_text()

    def check(label, rc, err):
        if rc != 0 and not (rc == 1 and outcomes.search(err)):
            bad.append(f"{label}: rc {rc}: {err.strip()}")

    for r in range(30):
        ctid = h.new_id()
        stop = threading.Event()

        def racer():
            rc, err = create(ctid)
            check("create", rc, err)
            if rc == 0:
                check("start", *rt("start", ctid))
            check("delete --force", *rt("delete", "--force", ctid))

        def deleter():
            while not stop.is_set():
                check("delete --force (loop)", *rt("delete", "--force", ctid))

        ts = [threading.Thread(target=racer) for _ in range(4)]
        d = threading.Thread(target=deleter)
        for t in ts + [d]:
            t.start()
        for t in ts:
            t.join()
        stop.set()
        d.join()
        rc, _, err = rt_in(h, "delete", "--force", ctid)
        assert rc == 0, err
        assert_clean(h, ctid, f"round {r}")
    assert not bad, "\n".join(bad)


# --------------------------------------------------------------------------
# a dead create's record (pid 0) and a FIFO left by a killed start
# --------------------------------------------------------------------------

def abandon(h, ctid):
    """Makes the record what a create killed between its two saves leaves: no PID yet."""
    f = h.root / ctid / "state.json"
    doc = json.loads(f.read_text())
    pid = doc["pid"]
    doc["pid"] = 0
    doc["pidStartTime"] = 0
    doc.pop("hooks", None)
    f.write_text(json.dumps(doc))
    return pid


@pytest.mark.parametrize("how", ["plain", "force"])
def test_dead_create_with_live_init_is_not_stopped_and_delete_cleans_it(h, how):
    """Before: state said "stopped" over the live init blocked on the FIFO, and plain delete
    refused with "not stopped: creating" (its own lock made the create look alive)."""
    ctid, r = h.create(h.config(["sh", "-c", "sleep 30 & sleep 31"]))
    assert r.rc == 0, r
    pid = abandon(h, ctid)
    assert _alive(pid)
    st = h.state_json(ctid)
    assert st["status"] == "creating", st
    r = h.start(ctid)
    assert r.rc == 1 and "create did not finish" in r.err, r
    assert _alive(pid)
    r = h.delete(ctid, force=how == "force")
    assert r.rc == 0, r
    assert not (h.root / ctid).exists()
    assert not _alive(pid)
    assert_clean(h, ctid, how)


def test_dead_create_without_live_process_is_stopped(h):
    ctid, r = h.create(h.config(["sleep", "30"]))
    assert r.rc == 0, r
    pid = abandon(h, ctid)
    os.kill(pid, signal.SIGKILL)   # the init we had it start
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert h.status(ctid) == "stopped"
    r = h.delete(ctid)
    assert r.rc == 0, r
    assert_clean(h, ctid, "plain delete")


def test_pid_0_record_under_a_held_lock_is_creating(h):
    """The lock held by another process is a create under way: "creating", and no delete
    may run meanwhile (it waits for the lock)."""
    ctid, r = h.create(h.config(["sleep", "30"]))
    assert r.rc == 0, r
    abandon(h, ctid)
    fd = os.open(h.root / ctid, os.O_RDONLY | os.O_DIRECTORY)
    p = None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)   # as a create under way holds it
        assert h.status(ctid) == "creating"
        p = subprocess.Popen(h.cmd("delete", ctid), stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)
        assert p.poll() is None, "delete did not wait for the lock"
        assert (h.root / ctid).exists()
    finally:
        os.close(fd)
    assert p.wait(timeout=CMD_TIMEOUT) == 0
    assert not (h.root / ctid).exists()


def test_fifo_left_by_a_killed_start_does_not_make_it_created(h):
    """start killed after it released the init, before it removed the FIFO: the container
    runs. Before: state said "created" (and a second start waited)."""
    ctid, r = h.create(h.config(["sleep", "30"]))
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    os.mkfifo(h.root / ctid / "exec.fifo", 0o622)
    assert h.status(ctid) == "running"
    r = h.start(ctid)
    assert r.rc == 1 and "running" in r.err, r
    assert h.delete(ctid, force=True).rc == 0


# --------------------------------------------------------------------------
# an init killed behind the runtime's back
# --------------------------------------------------------------------------

@pytest.mark.parametrize("started", [False, True], ids=["created", "running"])
@pytest.mark.parametrize("pidns", [True, False], ids=["pidns", "no-pidns"])
def test_init_killed_behind_the_runtimes_back(h, started, pidns):
    """kill -9 of the init: state says stopped, plain delete removes the container and
    whatever else still ran in its cgroup (without a PID namespace, the init's children
    outlive it)."""
    cfg = h.config(["sh", "-c", "sleep 30 & sleep 31"])
    if not pidns:
        cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "pid"]
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    if started:
        assert h.start(ctid).rc == 0
        time.sleep(0.1)  # the shell forks its sleeps
    pid = h.state_json(ctid)["pid"]
    os.kill(pid, signal.SIGKILL)   # the container's init, whose PID state gave us
    assert h.wait_status(ctid, "stopped") == "stopped"
    assert h.state_json(ctid)["pid"] == 0
    r = h.delete(ctid)
    assert r.rc == 0, r
    assert_clean(h, ctid, "plain delete")


# --------------------------------------------------------------------------
# a full and a read-only state root
# --------------------------------------------------------------------------

@pytest.fixture
def small_root(h):
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,nr_inodes=64", "swrun-fault-root",
                    str(h.root)], check=True)
    yield h.root
    for ctid in h.ids:
        h.rt("delete", "--force", ctid)
    subprocess.run(["mount", "-o", "remount,rw", str(h.root)], capture_output=True)
    subprocess.run(["umount", "-l", str(h.root)], check=True)


def fill(path, how):
    """Fills the tmpfs at `path`: every block (one big file) or every inode (empty files).
    The harness's teardown checks for leftovers once the tmpfs is unmounted."""
    n = 0
    if how == "space":
        fd = os.open(path / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError as e:
            assert e.errno == errno.ENOSPC, e
        finally:
            os.close(fd)
    else:
        try:
            while True:
                (path / f"filler{n}").touch()
                n += 1
        except OSError as e:
            assert e.errno == errno.ENOSPC, e


@pytest.mark.parametrize("how", ["space", "inodes"])
def test_full_state_root(h, small_root, how):
    """create on a full state root fails with exit 1 and a message, and leaves nothing;
    start, state and delete of a container created before still work."""
    a, r = h.create(h.config(["sleep", "30"]))
    assert r.rc == 0, r
    fill(small_root, how)
    ctid, r = h.create(h.config(["sleep", "30"]))
    assert r.rc == 1, r
    assert "no space left on device" in r.err.lower(), r
    assert not (small_root / ctid).exists()
    assert not [c for c in cgroup_candidates(ctid) if c.exists()]
    assert no_processes_left(h, ctid, rootfs=False)   # A still runs in the shared rootfs
    assert h.start(a).rc == 0
    assert h.status(a) == "running"
    r = h.delete(a, force=True)
    assert r.rc == 0, r
    assert not (small_root / a).exists()
    assert no_processes_left(h, a)
    assert not [c for c in cgroup_candidates(a) if c.exists()]
    for f in small_root.iterdir():
        f.unlink()


def test_read_only_state_root_create_and_plain_delete(h, small_root):
    """A read-only state root: create fails with exit 1 and a message naming the state
    directory (nothing made); state still answers; a plain delete of a stopped container
    fails with exit 1 and keeps the record (test_state_damage.py covers start and
    delete --force)."""
    a, r = h.create(h.config(["true"]))
    assert r.rc == 0, r
    assert h.start(a).rc == 0
    assert h.wait_status(a, "stopped") == "stopped"
    subprocess.run(["mount", "-o", "remount,ro", str(small_root)], check=True)
    ctid, r = h.create(h.config(["sleep", "30"]))
    assert r.rc == 1, r
    assert "state directory" in r.err and "read-only file system" in r.err.lower(), r
    assert not (small_root / ctid).exists()
    assert not [c for c in cgroup_candidates(ctid) if c.exists()]
    assert h.status(a) == "stopped"
    r = h.delete(a)
    assert r.rc == 1 and "state directory" in r.err, r
    assert (small_root / a / "state.json").exists()
    subprocess.run(["mount", "-o", "remount,rw", str(small_root)], check=True)
    assert h.delete(a).rc == 0
    assert not os.listdir(small_root)
    assert not [c for c in cgroup_candidates(a) if c.exists()]
