"""Nothing of the runtime or the host leaks into the container."""

import os
import subprocess

from conftest import CMD_TIMEOUT


def test_only_stdio_fds(h):
    # `ls` lists 0, 1, 2 and the fd it holds on /proc/self/fd (3).
    r = h.run(h.config(["ls", "/proc/self/fd"]))
    assert r.rc == 0, r
    assert sorted(r.out.split(), key=int) == ["0", "1", "2", "3"]


def test_host_fds_do_not_leak(h):
    # An extra fd handed to the runtime (without --preserve-fds) must not
    # reach the container.
    b = h.bundle(h.config(["ls", "/proc/self/fd"]))
    ctid = h.new_id()
    fd = os.open(h.workdir, os.O_RDONLY)
    try:
        p = subprocess.run(h.cmd("run", "--bundle", b, ctid), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, pass_fds=(fd,),
                           timeout=CMD_TIMEOUT)
    finally:
        os.close(fd)
    assert p.returncode == 0, p.stderr
    assert sorted(p.stdout.split(), key=int) == ["0", "1", "2", "3"]


def test_preserve_fds(h):
    # --preserve-fds N passes fds 3..3+N-1 through.
    f = h.workdir / "passed"
    f.write_text("through\n")
    b = h.bundle(h.config(["sh", "-c", "cat <&3"]))
    ctid = h.new_id()
    # a shell opens the file as fd 3 and execs the runtime
    p = subprocess.run(["sh", "-c", 'exec "$@" 3<"$0"', str(f),
                        *h.cmd("run", "--preserve-fds", "1", "--bundle", b, ctid)],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=CMD_TIMEOUT)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "through\n"


def test_listen_fds_socket_activation(h):
    """LISTEN_FDS=N given to the runtime: fds 3..3+N-1 reach the container, before the
    --preserve-fds ones, and the container sees LISTEN_FDS=N and LISTEN_PID=1 (runc's rule)."""
    a, b_ = h.workdir / "activation", h.workdir / "preserved"
    a.write_text("socket\n")
    b_.write_text("extra\n")
    b = h.bundle(h.config(["sh", "-c", "cat <&3; cat <&4; echo $LISTEN_FDS $LISTEN_PID"]))
    ctid = h.new_id()
    # As sd_listen_fds() wants: LISTEN_PID is the runtime's own PID (the shell execs it).
    env = dict(os.environ, LISTEN_FDS="1")
    p = subprocess.run(["sh", "-c", 'f=$1; shift; LISTEN_PID=$$ exec "$@" 3<"$0" 4<"$f"', str(a), str(b_),
                        *h.cmd("run", "--preserve-fds", "1", "--bundle", b, ctid)],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                       timeout=CMD_TIMEOUT)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "socket\nextra\n1 1\n", p.stdout


def test_exe_is_the_container_binary(h):
    r = h.sh("readlink /proc/self/exe; readlink /proc/1/exe; cat /proc/1/cmdline | tr '\\0' ' '")
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0] == "/bin/busybox"
    assert lines[1] == "/bin/busybox"
    assert lines[2].startswith("sh -c ")


def test_runtime_binary_not_mapped(h):
    name = os.path.basename(h.runtime)
    r = h.sh(f"grep -c {name} /proc/1/maps /proc/self/maps; true")
    assert r.rc == 0, r
    assert all(l.endswith(":0") for l in r.out.split()), r.out


def test_host_mounts_not_visible(h):
    r = h.sh("cat /proc/self/mountinfo")
    assert r.rc == 0, r
    mps = [l.split()[4] for l in r.out.splitlines()]
    assert "/sys/fs/cgroup" not in mps        # no cgroup mount by default
    assert not any(m.startswith(str(h.workdir)) for m in mps)
    assert not any(m.startswith("/tmp/") for m in mps)


def test_no_host_processes_visible(h):
    r = h.sh("ls /proc | grep '^[0-9]' | sort -n | tr '\\n' ' '; :")
    assert r.rc == 0, r
    pids = [int(p) for p in r.out.split()]
    assert 1 in pids and max(pids) < 10, pids


def test_parent_death_does_not_leak_pid1_environment(h):
    # The user process has no handle on the runtime: its parent is outside
    # the PID namespace (ppid 0 as seen from inside).
    r = h.sh("grep '^PPid:' /proc/self/status")
    assert r.rc == 0, r
    assert r.out.split()[1] == "0"
