"""podman 4.3 on the host (cgroupfs, vfs, no network) with swrun as its OCI runtime."""

from __future__ import annotations

import os
import resource
from pathlib import Path

import pytest

from conftest import SLEEPER, cgroup_value, check_pause_unpause, container_gone, has_cap_sys_resource, run, serve, wait_for
from harness import podman_containers_conf

IMAGE = "docker.io/library/swrun-busybox:test"
PODMAN_DEFAULT_NOFILE = 1048576        # what podman asks for when no --ulimit is given (as root)


def ulimit_flags() -> list[str]:
    """Limits that need no privilege: podman's defaults for nofile and nproc (1048576) are
    above the hard limits here. nofile: the host's own hard limit. nproc: podman lowers its
    own hard limit (to 32768 here) before it starts conmon and swrun, so a modest value."""
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return ["--ulimit", f"nofile={nofile}:{nofile}", "--ulimit", "nproc=4096:4096"]


class Podman:
    daemon = None                              # podman runs no daemon: conmon per container
    own_cgroups = ("conmon",)                  # podman's cgroupfs manager puts conmon there

    def __init__(self, dir: Path, token: str, runtime: str):
        self.dir = dir
        self.token = token
        # podman passes swrun no --root (and its `--runtime-flag root=` would not reach the
        # cleanup process conmon starts), so swrun keeps its state in its default root.
        self.swrun_root = Path("/run/swrun")
        (dir / "containers.conf").write_text(podman_containers_conf(runtime))
        (dir / "storage.conf").write_text(f"""\
[storage]
driver = "vfs"
graphroot = "{dir}/root"
runroot = "{dir}/runroot"
""")
        self.env = dict(os.environ, CONTAINERS_CONF=str(dir / "containers.conf"),
                        CONTAINERS_STORAGE_CONF=str(dir / "storage.conf"))

    def podman(self, *args, **kw):
        return run(["podman", "--root", self.dir / "root", "--runroot", self.dir / "runroot",
                    "--tmpdir", self.dir / "tmp", "--storage-driver", "vfs", *args], env=self.env, **kw)

    def run_args(self):
        return ["--runtime", "swrun", "--network", "none", "--cgroup-parent", f"/{self.token}"]

    def load(self, archive):
        self.podman("load", "-i", archive, check=True)

    def cleanup(self) -> list[str]:
        left = self.podman("ps", "-aq").stdout.split()
        if left:
            self.podman("rm", "-f", "-t", "0", *left)
        return [f"container {c} left in podman" for c in left]


@pytest.fixture(scope="module")
def podman(runtime, image_archive, engine_dir, token):
    yield from serve(Podman(engine_dir, token, runtime), image_archive, token)


def test_default_rlimits_fail_with_a_clear_error(podman):
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if has_cap_sys_resource() or hard >= PODMAN_DEFAULT_NOFILE:
        pytest.skip("this host can raise RLIMIT_NOFILE to podman's default")
    r = podman.podman("run", "--rm", *podman.run_args(), IMAGE, "true")
    assert r.returncode == 126, r
    for words in ("process.rlimits[0]", "RLIMIT_NOFILE", f"soft {PODMAN_DEFAULT_NOFILE}",
                  f"hard {PODMAN_DEFAULT_NOFILE}", f"the current hard limit is {hard}",
                  "CAP_SYS_RESOURCE", f"--ulimit nofile={hard}:{hard}"):
        assert words in r.stderr, (words, r)
    assert podman.podman("ps", "-aq").stdout == ""


def test_run_prints_output_and_returns_exit_status(podman):
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    r = podman.podman("run", "--rm", *podman.run_args(), *ulimit_flags(), IMAGE,
                      "sh", "-c", "echo hello from swrun; ulimit -n; cat /proc/self/cgroup; exit 5")
    assert r.returncode == 5, r
    lines = r.stdout.splitlines()
    assert lines[:2] == ["hello from swrun", str(hard)], r
    assert f"/{podman.token}/libpod-" in r.stdout, r
    assert podman.podman("ps", "-aq").stdout == ""


def test_exec_logs_pause_stop_rm(podman):
    p = podman
    cid = p.podman("run", "-d", *p.run_args(), *ulimit_flags(), IMAGE, *SLEEPER, check=True).stdout.strip()
    pid = int(p.podman("inspect", "-f", "{{.State.Pid}}", cid, check=True).stdout)
    r = p.podman("exec", cid, "sh", "-c", "echo in-exec; cat /proc/1/cmdline; exit 6")
    assert r.returncode == 6 and r.stdout.startswith("in-exec\nsh\x00-c\x00"), r
    assert wait_for(lambda: p.podman("logs", cid).stdout == "started\n"), p.podman("logs", cid)

    check_pause_unpause(p.podman, cid, f"{p.token}/libpod-{cid}")

    p.podman("stop", "-t", "10", cid, check=True)
    assert p.podman("inspect", "-f", "{{.State.ExitCode}}", cid).stdout.strip() == "0"
    assert not Path(f"/proc/{pid}").exists()
    p.podman("rm", cid, check=True)
    assert wait_for(lambda: not container_gone(p, cid)), container_gone(p, cid)


def test_rm_force_a_running_container(podman):
    p = podman
    cid = p.podman("run", "-d", *p.run_args(), *ulimit_flags(), IMAGE, *SLEEPER, check=True).stdout.strip()
    pid = int(p.podman("inspect", "-f", "{{.State.Pid}}", cid, check=True).stdout)
    p.podman("rm", "-f", "-t", "0", cid, check=True)
    assert not Path(f"/proc/{pid}").exists()
    assert wait_for(lambda: not container_gone(p, cid)), container_gone(p, cid)


def test_resources(podman):
    p = podman
    cid = p.podman("run", "-d", *p.run_args(), *ulimit_flags(), "--memory", "64m", "--pids-limit", "10",
                   IMAGE, *SLEEPER, check=True).stdout.strip()
    rel = f"{p.token}/libpod-{cid}"
    assert cgroup_value(rel, "memory.limit_in_bytes", "memory.max") == str(64 << 20)
    assert cgroup_value(rel, "pids.max", "pids.max") == "10"
    p.podman("rm", "-f", "-t", "0", cid, check=True)
    assert wait_for(lambda: not container_gone(p, cid)), container_gone(p, cid)
