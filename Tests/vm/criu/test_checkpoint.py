"""Checkpoint and restore with CRIU (issue 18), directly and under podman, on the test VM's
Debian 6.1 kernel where `criu check` passes. Every test runs with swrun and with runc 1.1.5
side by side (the `ch` fixture). The container under test is a counter loop printing to a
pipe the test holds: after a restore (from new pipes, as an engine gives them) it must carry
on from where it was, not start again."""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import select
import socket
import subprocess
import time
from pathlib import Path

import pytest

from criulib import TIMES
from vmlib import CGROOT, harness, wait_for

# Under emulation a CRIU run takes seconds and podman's tens: more than the tier's default.
pytestmark = pytest.mark.timeout(300)

COUNTER = "i=0; while true; do echo $i; i=$((i+1)); sleep 0.2; done"
# The same, also keeping its count in a file of the container's rootfs (read by exec).
FILE_COUNTER = "i=0; while true; do echo $i; echo $i > /count; i=$((i+1)); sleep 0.2; done"
CRIU_TIMEOUT = 180


class Counter:
    """A counter container's stdio: three pipes, the test keeping the read end of stdout."""

    def __init__(self):
        self.r_in, self.w_in = os.pipe()
        self.r_out, self.w_out = os.pipe()
        self.buf = b""

    def stdio(self):
        return dict(stdin=self.r_in, stdout=self.w_out, stderr=self.w_out)

    def started(self):
        """After the runtime returned: only the container holds its ends now."""
        for fd in (self.r_in, self.w_in, self.w_out):
            os.close(fd)

    def numbers(self, want: int, timeout: float = 60) -> list[int]:
        """Reads until `want` numbers came (or EOF / timeout); every number seen so far."""
        deadline = time.monotonic() + timeout
        while True:
            nums = [int(l) for l in self.buf.split(b"\n")[:-1] if l.strip().isdigit()]
            left = deadline - time.monotonic()
            if len(nums) >= want or left <= 0:
                return nums
            r, _, _ = select.select([self.r_out], [], [], left)
            if not r:
                continue
            chunk = os.read(self.r_out, 4096)
            if not chunk:
                return [int(l) for l in self.buf.split(b"\n") if l.strip().isdigit()]
            self.buf += chunk

    def text(self) -> str:
        return self.buf.decode(errors="replace")

    def close(self):
        os.close(self.r_out)


def launch(ch, cmd: list, counter: Counter, timeout=CRIU_TIMEOUT) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, timeout=timeout, **counter.stdio())
    counter.started()
    return p


def run_counter(ch, config=None) -> tuple[str, Path, Counter]:
    cfg = config or ch.config(["sh", "-c", COUNTER])
    bundle = ch.bundle(cfg)
    ctid = ch.new_id()
    c = Counter()
    p = launch(ch, ch.cmd("run", "-d", "--bundle", bundle, ctid), c)
    assert p.returncode == 0, (p, c.numbers(1, timeout=1), c.text())
    assert len(c.numbers(3)) >= 3, c.text()
    return ctid, bundle, c


def timed(ch, what, *args) -> object:
    t0 = time.monotonic()
    r = ch.rt(*args, timeout=CRIU_TIMEOUT)
    TIMES.append((ch.name, what, time.monotonic() - t0))
    return r


def restore(ch, bundle: Path, images: Path, ctid: str | None = None, what="restore -d", extra=()) -> tuple[str, Counter]:
    """`restore -d` from `images` under a new ID, with new pipes; the counter's first numbers."""
    ctid = ctid or ch.new_id()
    c = Counter()
    t0 = time.monotonic()
    p = launch(ch, ch.cmd("restore", "-d", *extra, "--image-path", images, "--bundle", bundle, ctid), c)
    TIMES.append((ch.name, what, time.monotonic() - t0))
    assert p.returncode == 0, (p, c.numbers(1, timeout=1), c.text(), log(images, "restore.log"))
    return ctid, c


def log(images: Path, name: str) -> str:
    f = images / name
    return "\n".join(f.read_text(errors="replace").splitlines()[-25:]) if f.exists() else ""


def carries_on(before: list[int], after: Counter):
    nums = after.numbers(2)
    assert nums, f"no output after restore: {after.text()!r}"
    assert before[-1] < nums[0] <= before[-1] + 5, (before[-3:], nums[:3])


def netns_file(ch) -> Path:
    """A network namespace kept by a bind mount on a file of the test's workdir (unmounted by
    the `ch` fixture before its leftover check)."""
    f = ch.workdir / "netns"
    f.touch()
    p = subprocess.run(["unshare", "--net=" + str(f), "true"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    ch.netns_mounts.append(f)
    return f


def stop(ch, ctid):
    ch.kill(ctid, "KILL")
    wait_for(lambda: ch.status(ctid) == "stopped", timeout=20)
    assert ch.delete(ctid).rc == 0


def test_checkpoint_then_restore_under_a_new_id_carries_on(ch):
    """A counter with a memory limit: checkpointed (the container goes), restored under a new
    ID from new pipes; it carries on, in the new container's cgroup with the limit, and exec,
    kill and delete work on it."""
    cfg = ch.config(["sh", "-c", COUNTER])
    cfg["linux"]["resources"] = {"memory": {"limit": 64 << 20}}
    # A bind mount of a host directory: external to CRIU, mapped back to its source.
    data = ch.tmpdir("data")
    (data / "note").write_text("from the host\n")
    cfg["mounts"].append({"destination": "/data", "type": "bind", "source": str(data), "options": ["rbind", "rw"]})
    ctid, bundle, c = run_counter(ch, cfg)
    images = ch.workdir / "images"
    r = timed(ch, "checkpoint", "checkpoint", "--image-path", images, ctid)
    assert r.rc == 0, (r, log(images, "dump.log"))
    # The checkpointed container is gone, and its process with it (the pipe's writer).
    assert ch.state(ctid).rc != 0
    if ch.name == "swrun":
        # The passed `criu check` is remembered for this boot and criu binary.
        assert Path("/run/swrun-criu-check").read_text().splitlines()[1].startswith("Version: 3.")
    before = c.numbers(10**9, timeout=30)
    c.close()
    assert before, "the counter printed nothing before the checkpoint"
    new, c2 = restore(ch, bundle, images)
    carries_on(before, c2)
    st = ch.state_json(new)
    assert st["status"] == "running" and st["pid"] > 0, st
    with open(f"/proc/{st['pid']}/cgroup") as f:
        cg = CGROOT / f.read().strip().removeprefix("0::/")
    old_cgroup = CGROOT / ctid
    if ch.name == "swrun":
        assert cg.name == new, f"restored init in {cg}, not in the new container's cgroup"
        assert (cg / "memory.max").read_text().strip() == str(64 << 20), cg
    else:
        # runc 1.1.5 lets CRIU restore the tree into the checkpointed container's cgroup path
        # (re-created by CRIU, without the limit), not the new container's, and leaves that
        # directory behind after delete.
        assert cg == old_cgroup, cg
    e = ch.rt("exec", new, "sh", "-c", "echo exec-ok; cat /proc/1/cmdline; echo; cat /data/note; echo back > /data/back")
    assert e.rc == 0 and e.out.startswith("exec-ok"), e
    assert "while true" in e.out and "from the host" in e.out, e
    assert (data / "back").read_text() == "back\n", "the restored bind mount is not the host directory"
    stop(ch, new)
    c2.close()
    if ch.name == "runc":
        old_cgroup.rmdir()


def test_leave_running_then_pre_dump_then_dump(ch):
    """checkpoint --leave-running keeps the container running; so does --pre-dump; a dump on
    top of the pre-dump (--parent-path) then restores (in the foreground), and the counter
    carries on."""
    # A network namespace joined by path: CRIU's external namespace (extRootNetNS).
    netns = netns_file(ch)
    cfg = ch.config(["sh", "-c", COUNTER])
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "network"]
    cfg["linux"]["namespaces"].append({"type": "network", "path": str(netns)})
    ctid, bundle, c = run_counter(ch, cfg)
    kept = ch.workdir / "kept"
    r = timed(ch, "checkpoint --leave-running", "checkpoint", "--leave-running", "--image-path", kept, ctid)
    assert r.rc == 0, (r, log(kept, "dump.log"))
    assert (kept / "inventory.img").exists()
    assert ch.status(ctid) == "running"
    n = len(c.numbers(0, timeout=0.1))
    assert len(c.numbers(n + 2)) >= n + 2, "the counter stopped after checkpoint --leave-running"

    parent = ch.workdir / "parent"
    images = ch.workdir / "images"
    r = timed(ch, "checkpoint --pre-dump", "checkpoint", "--pre-dump", "--image-path", parent, ctid)
    assert r.rc == 0, (r, log(parent, "dump.log"))
    assert ch.status(ctid) == "running"
    r = timed(ch, "checkpoint --parent-path", "checkpoint", "--image-path", images, "--parent-path", "../parent", ctid)
    assert r.rc == 0, (r, log(images, "dump.log"))
    before = c.numbers(10**9, timeout=30)
    c.close()
    # In the foreground this time: restore waits for the container, exits with its status
    # and deletes it, as run does.
    new = ch.new_id()
    c2 = Counter()
    fg = subprocess.Popen(ch.cmd("restore", "--image-path", images, "--bundle", bundle, new), **c2.stdio())
    ch.helpers.append(fg)
    c2.started()
    carries_on(before, c2)
    assert ch.status(new) == "running"
    pid = ch.state_json(new)["pid"]
    assert os.stat(f"/proc/{pid}/ns/net").st_ino == os.stat(netns).st_ino, "not restored into the joined netns"
    assert ch.kill(new, "KILL").rc == 0
    assert fg.wait(timeout=60) == 137
    assert ch.state(new).rc != 0, "the foreground restore did not delete its container"
    c2.close()
    if ch.name == "runc":
        (CGROOT / ctid).rmdir()  # runc 1.1.5's leftover, see above


def test_lazy_pages_through_a_page_server(ch):
    """checkpoint --lazy-pages --page-server --status-fd (runc's test): once the status fd
    gets its \\0 the images are written and CRIU serves the memory; a `criu lazy-pages`
    daemon fetches it for `restore --lazy-pages`, and the counter carries on in the restored
    container while the checkpointed one goes once its last page is sent."""
    p = subprocess.run(["criu", "check", "--feature", "uffd-noncoop"], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        pytest.skip(f"no userfaultfd for CRIU's lazy pages here: {p.stdout.strip()} {p.stderr.strip()}")
    ctid, bundle, c = run_counter(ch)
    images, work = ch.workdir / "images", ch.tmpdir("work")
    port = 27000 + secrets.randbelow(1000)
    r, w = os.pipe()
    t0 = time.monotonic()
    cpt = subprocess.Popen(ch.cmd("checkpoint", "--lazy-pages", "--page-server", f"0.0.0.0:{port}", "--status-fd", w,
                                  "--work-path", work, "--image-path", images, ctid),
                           pass_fds=(w,), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ch.helpers.append(cpt)
    os.close(w)
    ready = harness.read_until(r, b"\0", CRIU_TIMEOUT)
    os.close(r)
    TIMES.append((ch.name, "checkpoint --lazy-pages (ready)", time.monotonic() - t0))
    assert ready == b"\0", (ready, log(work, "dump.log"))
    assert (images / "inventory.img").exists()
    lp = subprocess.Popen(["criu", "lazy-pages", "--page-server", "--address", "127.0.0.1", "--port", str(port),
                           "-D", images], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ch.helpers.append(lp)
    try:
        # The restore connects to the daemon's socket: it must be there first (runc's bats
        # test races on this too).
        sock = images / "lazy-pages.socket"
        assert wait_for(lambda: sock.exists() or lp.poll() is not None, timeout=60, step=0.1) and lp.poll() is None, \
            lp.communicate()[0]
        new, c2 = restore(ch, bundle, images, what="restore -d --lazy-pages", extra=("--lazy-pages",))
        lp_out, _ = lp.communicate(timeout=CRIU_TIMEOUT)
        assert lp.returncode == 0, lp_out
    finally:
        # On a failure the dump would serve its pages (and hold the container) forever.
        if lp.poll() is None:
            lp.kill()
        out, _ = cpt.communicate(timeout=CRIU_TIMEOUT)
    assert cpt.returncode == 0, (out, log(work, "dump.log"))
    # The checkpointed counter is gone (its pipe's writer with it), the restored one goes on.
    before = c.numbers(10**9, timeout=30)
    c.close()
    assert ch.state(ctid).rc != 0
    carries_on(before, c2)
    stop(ch, new)
    c2.close()
    if ch.name == "runc":
        (CGROOT / ctid).rmdir()  # runc 1.1.5's leftover, see above


def listening(port: int) -> bool:
    """A TCP socket listens on `port` (any address): /proc/net/tcp's state 0A. Probing with
    connect would be taken by a page server for the dump's connection."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":
                    return True
    return False


def test_checkpoint_to_a_page_server(ch):
    """checkpoint --page-server ADDRESS:PORT sends the memory to a `criu page-server`, which
    writes it into the same image directory here: the restore from it carries on."""
    ctid, bundle, c = run_counter(ch)
    images = ch.tmpdir("images")
    port = 28000 + secrets.randbelow(1000)
    ps = subprocess.Popen(["criu", "page-server", "--images-dir", images, "--port", str(port), "-o", "page-server.log", "-v4"],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ch.helpers.append(ps)
    assert wait_for(lambda: listening(port) or ps.poll() is not None, timeout=60, step=0.2), log(images, "page-server.log")
    r = timed(ch, "checkpoint --page-server", "checkpoint", "--page-server", f"127.0.0.1:{port}", "--image-path", images, ctid)
    assert r.rc == 0, (r, log(images, "dump.log"))
    out, _ = ps.communicate(timeout=CRIU_TIMEOUT)
    assert ps.returncode == 0, (out, log(images, "page-server.log"))
    assert list(images.glob("pages-*.img")), sorted(p.name for p in images.iterdir())
    before = c.numbers(10**9, timeout=30)
    c.close()
    new, c2 = restore(ch, bundle, images)
    carries_on(before, c2)
    stop(ch, new)
    c2.close()
    if ch.name == "runc":
        (CGROOT / ctid).rmdir()  # runc 1.1.5's leftover, see above


# -- podman ---------------------------------------------------------------------------------

def _podman_helpers():
    spec = importlib.util.spec_from_file_location("vm_podman_helpers", Path(__file__).parents[1] / "podman" / "test_podman.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def pm(ch, rootfs):
    helpers = _podman_helpers()
    with helpers.podman_storage(ch.runtime, rootfs, prefix="swrun-criu-podman-") as p:
        p.image = helpers.IMAGE
        p.name = ch.name
        yield p


def logged(pm, name) -> list[int]:
    p = pm("logs", name, check=True)
    return [int(l) for l in p.stdout.split() if l.isdigit()]


@pytest.mark.timeout(480)
def test_podman_checkpoint_restore_and_export_import(pm):
    """podman container checkpoint --export writes the checkpoint into its container dir and a
    tar; restore (in place) carries the counter on; after rm, restore --import of the tar
    brings the container back from the same checkpoint."""
    n = "criu-" + secrets.token_hex(3)
    pm.run("-d", "--name", n, pm.image, "sh", "-c", FILE_COUNTER, check=True)
    assert wait_for(lambda: len(logged(pm, n)) >= 3, timeout=30, step=1)
    tar = pm.top / "export.tar.gz"
    t0 = time.monotonic()
    pm("container", "checkpoint", "--export", tar, n, timeout=CRIU_TIMEOUT, check=True)
    TIMES.append((pm.name, "podman checkpoint --export", time.monotonic() - t0))
    assert pm.inspect(n)["State"]["Status"] == "exited"
    before = logged(pm, n)
    t0 = time.monotonic()
    pm("container", "restore", n, timeout=CRIU_TIMEOUT, check=True)
    TIMES.append((pm.name, "podman restore", time.monotonic() - t0))
    assert pm.inspect(n)["State"]["Status"] == "running"
    assert wait_for(lambda: len(logged(pm, n)) >= len(before) + 2, timeout=30, step=1)
    after = logged(pm, n)
    # One counter, carried on: no second start from 0, no gap.
    assert after[:len(before)] == before and after[len(before)] <= before[-1] + 5, (before[-3:], after[len(before):][:3])
    assert after.count(0) == 1, after

    pm("rm", "--force", "--time", "0", n, check=True)
    t0 = time.monotonic()
    pm("container", "restore", "--import", tar, timeout=CRIU_TIMEOUT, check=True)
    TIMES.append((pm.name, "podman restore --import", time.monotonic() - t0))
    assert pm.inspect(n)["State"]["Status"] == "running"
    # The count in the container's rootfs (exported with the checkpoint) goes on from there.
    p = pm("exec", n, "cat", "/count", check=True)
    assert int(p.stdout) >= before[-1], (before[-1], p.stdout)
    e = pm("exec", n, "cat", "/proc/1/cmdline", check=True)
    assert "while true" in e.stdout, e
    pm("rm", "--force", "--time", "0", n, check=True)


# -- a terminal, through --console-socket ----------------------------------------------------

class Console:
    """A console socket of the test's: the runtime connects and sends a pty master."""

    def __init__(self, path: Path):
        self.path = path
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(str(path))
        self.srv.listen(1)
        self.srv.settimeout(CRIU_TIMEOUT)

    def master(self) -> int:
        conn, _ = self.srv.accept()
        _, fds, _, _ = socket.recv_fds(conn, 1024, 1)
        conn.close()
        self.srv.close()
        assert len(fds) == 1, "no pty master over the console socket"
        return fds[0]


def say(master: int, line: str, want: str, timeout: float = 60) -> str:
    """Types `line` into the terminal; what it shows until `want` appears."""
    os.write(master, line.encode() + b"\n")
    text = harness.read_until(master, want.encode(), timeout).decode(errors="replace")
    assert want in text, (line, text)
    return text


def checkpointed_shell(ch) -> tuple[str, Path, Path]:
    """A shell created with process.terminal over a console socket, X=kept set in it, then
    checkpointed (the container goes): (its ID, bundle, images)."""
    cfg = ch.config(["sh"])
    cfg["process"]["terminal"] = True
    console = Console(ch.workdir / "console.sock")
    ctid, r = ch.create(cfg, extra=("--console-socket", console.path))
    assert r.rc == 0, r
    bundle = ch.bundles[-1]
    old = console.master()
    assert ch.start(ctid).rc == 0
    say(old, "X=kept; echo before-$((1+1))", "before-2")
    images = ch.workdir / "images"
    r = timed(ch, "checkpoint (terminal)", "checkpoint", "--image-path", images, ctid)
    assert r.rc == 0, (r, log(images, "dump.log"))
    assert ch.state(ctid).rc != 0
    os.close(old)
    return ctid, bundle, images


def test_terminal_restored_through_console_socket(ch):
    """A shell created with process.terminal over a console socket is checkpointed (no
    --shell-job: the terminal is the container's own) and restored with --console-socket: a
    new pty master arrives, and what is typed into it reaches the same shell (its variable
    kept, the pty its controlling terminal) and its output comes back; exec and delete work."""
    ctid, bundle, images = checkpointed_shell(ch)

    new = ch.new_id()
    console2 = Console(ch.workdir / "console2.sock")
    t0 = time.monotonic()
    p = subprocess.Popen(ch.cmd("restore", "-d", "--console-socket", console2.path, "--image-path", images,
                                "--bundle", bundle, new),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ch.helpers.append(p)
    try:
        master = console2.master()
    finally:
        out, err = p.communicate(timeout=CRIU_TIMEOUT)
    TIMES.append((ch.name, "restore -d --console-socket", time.monotonic() - t0))
    assert p.returncode == 0, (err, log(images, "restore.log"))
    try:
        assert ch.status(new) == "running"
        say(master, "echo $X-after-$((2+3))", "kept-after-5")
        e = ch.rt("exec", new, "sh", "-c", "echo exec-ok; cat /proc/1/stat")
        assert e.rc == 0 and e.out.startswith("exec-ok"), e
        # The restored shell leads its session again, the new pty its controlling terminal.
        _state, _ppid, pgrp, sid, tty_nr = e.out.split(")")[-1].split()[:5]
        assert (pgrp, sid) == ("1", "1") and int(tty_nr) != 0, e.out
        stop(ch, new)
    finally:
        os.close(master)
    if ch.name == "runc":
        (CGROOT / ctid).rmdir()  # runc 1.1.5's leftover, see above


def test_terminal_restored_as_a_shell_job_from_restores_own_terminal(ch):
    """Without a console socket, swrun's `restore --shell-job` from a terminal gives the
    restored shell that terminal (as CRIU gives a shell job its stdin). runc 1.1.5 refuses a
    detached restore of a terminal without --console-socket, and leaves nothing."""
    ctid, bundle, images = checkpointed_shell(ch)
    master, slave = os.openpty()
    new = ch.new_id()
    try:
        p = subprocess.run(ch.cmd("restore", "-d", "--shell-job", "--image-path", images, "--bundle", bundle, new),
                           stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=CRIU_TIMEOUT)
        os.close(slave)
        err = p.stderr.decode(errors="replace")
        if ch.name == "runc":
            assert p.returncode == 1 and "cannot allocate tty if runc will detach without setting console socket" in err, err
            assert ch.state(new).rc != 0
        else:
            assert p.returncode == 0, (err, log(images, "restore.log"))
            say(master, "echo $X-after-$((2+3))", "kept-after-5")
            stop(ch, new)
    finally:
        os.close(master)
    # runc refused before CRIU could re-create the checkpointed container's cgroup path.
    assert not (CGROOT / ctid).exists()


# -- hooks at restore ------------------------------------------------------------------------

def recording_hook(path: Path) -> dict:
    return {"path": "/bin/sh", "args": ["sh", "-c", f"cat > {path}"]}


def checkpointed_counter(ch) -> tuple[str, Path, Path]:
    ctid, bundle, c = run_counter(ch)
    images = ch.workdir / "images"
    r = timed(ch, "checkpoint", "checkpoint", "--image-path", images, ctid)
    assert r.rc == 0, (r, log(images, "dump.log"))
    c.numbers(10**9, timeout=30)
    c.close()
    return ctid, bundle, images


def test_restore_runs_prestart_create_runtime_and_poststart_hooks(ch):
    """Restored from a bundle with hooks: prestart and createRuntime run during the restore
    (CRIU's setup-namespaces) with the restored init's PID in the state on stdin; swrun runs
    poststart once it is restored (runc 1.1.5 does not)."""
    ctid, _, images = checkpointed_counter(ch)
    marks = ch.tmpdir("marks")
    cfg = ch.config(["sh", "-c", COUNTER])
    cfg["hooks"] = {phase: [recording_hook(marks / f"{phase}.json")]
                    for phase in ("prestart", "createRuntime", "poststart")}
    new, c2 = restore(ch, ch.bundle(cfg), images)
    assert c2.numbers(1), f"no output after restore: {c2.text()!r}"
    pid = ch.state_json(new)["pid"]
    for phase in ("prestart", "createRuntime"):
        st = json.loads((marks / f"{phase}.json").read_text())
        assert st["id"] == new and st["pid"] == pid, (phase, st, pid)
    if ch.name == "swrun":
        st = json.loads((marks / "poststart.json").read_text())
        assert st["id"] == new and st["pid"] == pid and st["status"] == "running", st
    else:
        assert not (marks / "poststart.json").exists()
    stop(ch, new)
    c2.close()
    if ch.name == "runc":
        (CGROOT / ctid).rmdir()  # runc 1.1.5's leftover, see above


def test_failing_prestart_hook_fails_the_restore_and_leaves_nothing(ch):
    """A prestart hook exiting 3 fails the restore: no container, no process (the counter's
    new pipe sees EOF), no cgroup (the fixture's leftover check: state, mounts, processes,
    cgroups)."""
    ctid, _, images = checkpointed_counter(ch)
    cfg = ch.config(["sh", "-c", COUNTER])
    cfg["hooks"] = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "echo broken-hook >&2; exit 3"]}]}
    bundle = ch.bundle(cfg)
    new = ch.new_id()
    c = Counter()
    p = subprocess.run(ch.cmd("restore", "-d", "--image-path", images, "--bundle", bundle, new),
                       timeout=CRIU_TIMEOUT, stdin=c.r_in, stdout=c.w_out, stderr=subprocess.PIPE)
    c.started()
    err = p.stderr.decode(errors="replace")
    assert p.returncode == 1, (p.returncode, err, log(images, "restore.log"))
    if ch.name == "swrun":
        assert "prestart" in err and "status 3" in err and "broken-hook" in err, err
    assert ch.state(new).rc != 0
    # Every writer of the new pipe is gone: nothing restored is left running.
    assert c.numbers(10**9, timeout=30) == [], c.text()
    c.close()
    assert not (CGROOT / new).exists()
    if ch.name == "runc":
        # runc 1.1.5's leftover, see above: CRIU made the checkpointed container's cgroup
        # path before the hook failed, and nothing removes it.
        (CGROOT / ctid).rmdir()
