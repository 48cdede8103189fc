"""containerd 1.6 with its runc v2 shim running swrun (`ctr run --runc-binary`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import IMAGE, Daemon, container_gone, freezer_state, run, serve, wait_for


class Containerd:
    def __init__(self, dir: Path, token: str, runtime: str):
        self.dir = dir
        self.token = token
        self.ns = token                      # the containerd namespace, and so the cgroup parent
        self.runtime = runtime
        self.sock = dir / "containerd.sock"
        self.swrun_root = dir / "swrun"      # the shim's runc root: swrun's --root is <it>/<ns>
        (dir / "config.toml").write_text(f"""\
version = 2
root = "{dir}/root"
state = "{dir}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs",
                    "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing",
                    "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "{self.sock}"
[ttrpc]
  address = "{self.sock}.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
""")
        self.daemon = Daemon("containerd", ["containerd", "--config", dir / "config.toml"], dir / "containerd.log")
        self.daemon.wait_ready(lambda: self.sock.exists() and self.ctr("version").returncode == 0)

    def ctr(self, *args, **kw):
        return run(["ctr", "--address", self.sock, "--namespace", self.ns, *args], **kw)

    def run_args(self):
        return ["--runc-binary", self.runtime, "--runc-root", self.swrun_root, *self.fifo_args()]

    def fifo_args(self):
        # ctr's stdio FIFOs, which it leaves behind, go here instead of /run/containerd/fifo.
        return ["--fifo-dir", self.dir / "fifo"]

    def task_status(self, cid: str) -> str:
        for line in self.ctr("task", "ls", check=True).stdout.splitlines()[1:]:
            f = line.split()
            if f and f[0] == cid:
                return f[2]
        return ""

    def load(self, archive):
        self.ctr("images", "import", archive, check=True)

    def cleanup(self) -> list[str]:
        """Removes what tests left (a failed test), reporting it."""
        problems = []
        for line in self.ctr("container", "ls", "-q").stdout.split():
            problems.append(f"container {line} left in containerd")
            self.ctr("task", "kill", "-s", "KILL", line)
            wait_for(lambda: self.task_status(line) in ("STOPPED", ""), timeout=10)
            self.ctr("task", "delete", "--force", line)
            self.ctr("container", "delete", line)
        return problems


@pytest.fixture(scope="module")
def containerd(runtime, image_archive, engine_dir, token):
    yield from serve(Containerd(engine_dir, token, runtime), image_archive, token)


def test_run_rm_prints_output_and_returns_exit_status(containerd):
    r = containerd.ctr("run", "--rm", *containerd.run_args(), IMAGE, "rm1",
                       "sh", "-c", "echo hello from swrun; cat /proc/self/cgroup; exit 3")
    assert r.stdout.startswith("hello from swrun\n"), r
    # ctr's default cgroup path is /<namespace>/<id>.
    assert f"/{containerd.ns}/rm1" in r.stdout, r
    assert r.returncode == 3, r
    assert wait_for(lambda: not container_gone(containerd, "rm1")), container_gone(containerd, "rm1")


def test_exec_ps_pause_resume_kill_delete(containerd):
    c, cid = containerd, "life1"
    c.ctr("run", "-d", *c.run_args(), IMAGE, cid, "sleep", "1000", check=True)
    assert c.task_status(cid) == "RUNNING"
    init_pid = int(next(l.split()[1] for l in c.ctr("task", "ls").stdout.splitlines() if l.startswith(cid)))

    r = c.ctr("task", "exec", *c.fifo_args(), "--exec-id", "x1", cid, "sh", "-c", "echo in-exec; cat /proc/1/cmdline")
    assert r.returncode == 0 and r.stdout == "in-exec\nsleep\x001000\x00", r

    # An exec still running is listed by `task ps` next to the init (swrun ps --format json).
    bg = c.ctr("task", "exec", *c.fifo_args(), "--detach", "--exec-id", "x2", cid, "sleep", "999")
    assert bg.returncode == 0, bg
    ps = c.ctr("task", "ps", cid, check=True).stdout.splitlines()[1:]
    pids = sorted(int(l.split()[0]) for l in ps)
    assert init_pid in pids and len(pids) == 2, ps
    exec_pid = next(p for p in pids if p != init_pid)
    assert Path(f"/proc/{exec_pid}/cmdline").read_bytes() == b"sleep\x00999\x00"

    c.ctr("task", "pause", cid, check=True)
    assert c.task_status(cid) == "PAUSED"
    assert freezer_state(f"{c.ns}/{cid}") == "FROZEN"
    c.ctr("task", "resume", cid, check=True)
    assert c.task_status(cid) == "RUNNING"
    assert freezer_state(f"{c.ns}/{cid}") == "THAWED"

    c.ctr("task", "kill", "--signal", "KILL", cid, check=True)
    assert wait_for(lambda: c.task_status(cid) == "STOPPED"), c.ctr("task", "ls").stdout
    c.ctr("task", "delete", cid, check=True)
    c.ctr("container", "delete", cid, check=True)
    assert not Path(f"/proc/{init_pid}").exists() and not Path(f"/proc/{exec_pid}").exists()
    assert wait_for(lambda: not container_gone(c, cid)), container_gone(c, cid)


def test_terminal_for_run_and_exec(containerd):
    """`ctr run -t` and `ctr task exec -t`: swrun hands the pty master to the shim through
    --console-socket. ctr wants a terminal of its own, so it runs under script(1)."""
    c = containerd
    r = run(["script", "-qec", " ".join(map(str, ["ctr", "--address", c.sock, "--namespace", c.ns, "run", "--rm", "-t",
                                                   *c.run_args(), IMAGE, "tty1", "sh", "-c", "'tty; exit 9'"])),
             "/dev/null"], text=False)
    assert r.returncode == 9, r
    # script(1) echoes a NUL for its closed stdin; the \r comes from the container's pty.
    assert b"/dev/pts/0\r" in r.stdout, r

    c.ctr("run", "-d", *c.run_args(), IMAGE, "tty2", "sleep", "1000", check=True)
    r = run(["script", "-qec", " ".join(map(str, ["ctr", "--address", c.sock, "--namespace", c.ns, "task", "exec",
                                                   *c.fifo_args(), "-t", "--exec-id", "t", "tty2", "sh", "-c", "'tty; exit 8'"])),
             "/dev/null"], text=False)
    assert r.returncode == 8, r
    # A pty of the exec's own (the init has none), in the container's devpts instance.
    assert b"/dev/pts/0\r" in r.stdout, r
    c.ctr("task", "kill", "--signal", "KILL", "tty2", check=True)
    assert wait_for(lambda: c.task_status("tty2") == "STOPPED")
    c.ctr("task", "delete", "tty2", check=True)
    c.ctr("container", "delete", "tty2", check=True)
    for cid in ("tty1", "tty2"):
        assert wait_for(lambda: not container_gone(c, cid)), container_gone(c, cid)


def test_swrun_error_reaches_ctr_through_json_log(containerd):
    r = containerd.ctr("run", "--rm", *containerd.run_args(), IMAGE, "err1", "/no/such/binary")
    assert r.returncode != 0
    # The shim reads swrun's `--log-format json` log for the reason of a failed create.
    assert "OCI runtime create failed" in r.stderr, r
    assert 'config.json: process.args[0]: exec: "/no/such/binary"' in r.stderr, r
    assert wait_for(lambda: not container_gone(containerd, "err1")), container_gone(containerd, "err1")
    assert "err1" not in containerd.ctr("container", "ls", "-q").stdout.split()
