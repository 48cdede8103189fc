"""dockerd 20.10 (Debian's docker.io) with swrun added as a runtime (`--add-runtime`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SLEEPER, Daemon, cgroup_value, check_pause_unpause, container_gone, has_cap_sys_resource, run, serve, wait_for

# The client that comes with the daemon (docker.io), whatever else is first on PATH.
DOCKER = "/usr/bin/docker"
IMAGE = "swrun-busybox:test"


class Dockerd:
    def __init__(self, dir: Path, token: str, runtime: str):
        self.dir = dir
        self.token = token
        self.sock = dir / "docker.sock"
        # Under --exec-root: the shim's runc root is <exec-root>/runtime-runc/<containerd namespace>.
        self.swrun_root = dir / "exec" / "runtime-runc"
        (dir / "daemon.json").write_text(json.dumps({"runtimes": {"swrun-json": {"path": runtime}}}))
        self.daemon = Daemon("dockerd", [
            "dockerd", "--config-file", dir / "daemon.json",
            "--data-root", dir / "data", "--exec-root", dir / "exec", "--pidfile", dir / "docker.pid",
            "--host", f"unix://{self.sock}", "--bridge=none", "--iptables=false", "--ip-masq=false",
            "--storage-driver=vfs", "--cgroup-parent", f"/{token}",
            "--containerd-namespace", token, "--containerd-plugins-namespace", f"{token}-plugins",
            "--add-runtime", f"swrun={runtime}",
        ], dir / "dockerd.log")
        self.daemon.wait_ready(lambda: self.sock.exists() and self.docker("version").returncode == 0, timeout=60)

    def docker(self, *args, **kw):
        return run([DOCKER, "--host", f"unix://{self.sock}", *args], **kw)

    def load(self, archive):
        self.docker("load", "-i", archive, check=True)

    def cleanup(self) -> list[str]:
        left = self.docker("ps", "-aq").stdout.split()
        for cid in left:
            self.docker("rm", "-f", cid)
        return [f"container {c} left in dockerd" for c in left]


@pytest.fixture(scope="module")
def dockerd(runtime, image_archive, engine_dir, token):
    yield from serve(Dockerd(engine_dir, token, runtime), image_archive, token, stop_timeout=60)


@pytest.mark.parametrize("runtime_name", ["swrun", "swrun-json"])
def test_run_prints_output_and_returns_exit_status(dockerd, runtime_name):
    """`--add-runtime` and daemon.json's `runtimes` both reach swrun."""
    r = dockerd.docker("run", "--rm", "--runtime", runtime_name, "--network", "none", IMAGE,
                       "sh", "-c", "echo hello from swrun; cat /proc/self/cgroup; exit 7")
    assert r.returncode == 7, r
    assert r.stdout.startswith("hello from swrun\n"), r
    assert f"/{dockerd.token}/" in r.stdout, r       # in dockerd's --cgroup-parent
    assert dockerd.docker("ps", "-aq").stdout == ""


def test_run_with_terminal(dockerd):
    r = dockerd.docker("run", "--rm", "-t", "--runtime", "swrun", "--network", "none", IMAGE,
                       "sh", "-c", "tty; [ -t 0 ] && [ -t 1 ] && echo both-ttys", text=False)
    assert r.returncode == 0, r
    # The pty's line discipline turns \n into \r\n: the output really went through a terminal.
    assert r.stdout == b"/dev/pts/0\r\nboth-ttys\r\n", r


def test_exec_pause_unpause_rm(dockerd):
    d = dockerd
    cid = d.docker("run", "-d", "--runtime", "swrun", "--network", "none", IMAGE, *SLEEPER,
                   check=True).stdout.strip()
    pid = int(d.docker("inspect", "-f", "{{.State.Pid}}", cid, check=True).stdout)
    r = d.docker("exec", cid, "sh", "-c", "echo in-exec; exit 4")
    assert (r.returncode, r.stdout) == (4, "in-exec\n"), r
    top = d.docker("top", cid, check=True).stdout
    assert str(pid) in top and "sleep 1000" in top, top

    check_pause_unpause(d.docker, cid, f"{d.token}/{cid}")

    d.docker("rm", "-f", cid, check=True)
    assert not Path(f"/proc/{pid}").exists()
    assert wait_for(lambda: not container_gone(d, cid)), container_gone(d, cid)


def test_stop_returns_the_exit_status(dockerd):
    d = dockerd
    cid = d.docker("run", "-d", "--runtime", "swrun", "--network", "none", IMAGE, *SLEEPER,
                   check=True).stdout.strip()
    # Not before the trap is set: PID 1 ignores a SIGTERM it has no handler for.
    assert wait_for(lambda: d.docker("logs", cid).stdout == "started\n"), d.docker("logs", cid)
    d.docker("stop", "-t", "5", cid, check=True)
    assert d.docker("inspect", "-f", "{{.State.ExitCode}}", cid).stdout.strip() == "0"
    d.docker("rm", cid, check=True)
    assert wait_for(lambda: not container_gone(d, cid)), container_gone(d, cid)


def test_swrun_error_reaches_docker(dockerd):
    r = dockerd.docker("run", "--rm", "--runtime", "swrun", "--network", "none", IMAGE, "/no/such/binary")
    assert r.returncode == 127, r   # docker's "command not found" status
    assert 'config.json: process.args[0]: exec: "/no/such/binary"' in r.stderr, r


def test_privileged_names_the_capability_this_host_lacks(dockerd):
    """--privileged asks for every capability; without CAP_SYS_RESOURCE (these hosts) swrun
    fails `create` (not the started container) and says which one and what to do instead."""
    if has_cap_sys_resource():
        pytest.skip("this host grants CAP_SYS_RESOURCE")
    r = dockerd.docker("run", "--rm", "--runtime", "swrun", "--network", "none", "--privileged", IMAGE, "true")
    assert r.returncode == 125, r
    for words in ("OCI runtime create failed", "process.capabilities.permitted: CAP_SYS_RESOURCE cannot be given",
                  "--cap-drop SYS_RESOURCE", "--cap-add ALL"):
        assert words in r.stderr, (words, r)
    r = dockerd.docker("run", "--rm", "--runtime", "swrun", "--network", "none", "--cap-add", "ALL",
                       "--cap-drop", "SYS_RESOURCE", IMAGE, "grep", "CapEff", "/proc/self/status")
    assert r.returncode == 0, r
    eff = int(r.stdout.split()[1], 16)
    assert eff >> 21 & 1 and not eff >> 24 & 1, r     # CAP_SYS_ADMIN yes, CAP_SYS_RESOURCE no


def test_tmpfs_is_writable_for_a_non_root_user(dockerd):
    r = dockerd.docker("run", "--rm", "--runtime", "swrun", "--network", "none", "--user", "1000",
                       "--tmpfs", "/scratch", IMAGE, "sh", "-c", "stat -c %a /scratch; touch /scratch/f && echo written")
    assert (r.returncode, r.stdout) == (0, "1777\nwritten\n"), r


def test_resources_and_update(dockerd):
    """--memory, --pids-limit, --cpus reach the container's cgroup; `docker update` changes
    them in place (swrun update --resources -)."""
    d = dockerd
    cid = d.docker("run", "-d", "--runtime", "swrun", "--network", "none", "--memory", "64m",
                   "--pids-limit", "10", "--cpus", "0.5", IMAGE, *SLEEPER, check=True).stdout.strip()
    rel = f"{d.token}/{cid}"
    assert cgroup_value(rel, "memory.limit_in_bytes", "memory.max") == str(64 << 20)
    assert cgroup_value(rel, "pids.max", "pids.max") == "10"
    assert cgroup_value(rel, "cpu.cfs_quota_us", "cpu.max").split()[0] == "50000"
    d.docker("update", "--memory", "128m", "--memory-swap", "256m", "--pids-limit", "20", cid, check=True)
    assert cgroup_value(rel, "memory.limit_in_bytes", "memory.max") == str(128 << 20)
    assert cgroup_value(rel, "pids.max", "pids.max") == "20"
    d.docker("rm", "-f", cid, check=True)
    assert wait_for(lambda: not container_gone(d, cid)), container_gone(d, cid)
