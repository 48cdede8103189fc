"""The CRI calls a kubelet makes, against containerd 1.6 running pods through the runtime
under test, in each of the three PID namespace modes a pod can ask for:
CONTAINER (each container its own), POD (shareProcessNamespace: the sandbox's), NODE (hostPID).

Each test runs its containers in the mode's pod, stops and removes them, and checks that
the runtime kept nothing of them (state, cgroup, mounts); the last test per mode stops and
removes the pod itself and checks the same for the pod (and its network namespace).
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import grpc
import pytest

from harness import cgroup_mounts, cgroup_value, mounts_with, run, wait_for
from kube import PAUSE_CMD, WebSocketExec

MODES = ["CONTAINER", "POD", "NODE"]
SLEEP = ["sh", "-c", "echo ready; exec sleep 1000"]
# busybox 1.35's `wget -T` crashes (SIGSEGV, exit 139): bound it with timeout(1) instead.
WGET = ["timeout", "5", "wget", "-q", "-O", "-"]
# A CRI log line: RFC 3339 time, stream, P(artial) or F(ull), the line.
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) (stdout|stderr) ([PF]) (.*)$")


class Pod:
    def __init__(self, k8s, mode: str):
        self.k8s, self.mode = k8s, mode
        self.name = f"p-{mode.lower()}"
        self.id, self.config = k8s.run_pod(self.name, getattr(k8s.api, mode))
        self.netns = k8s.pod_netns(self.id)
        self.containers: list[str] = []
        self.removed = False

    @property
    def log_dir(self) -> Path:
        return Path(self.config.log_directory)

    def run(self, name: str, command: list[str], **kw) -> str:
        cid = self.k8s.run_container(self.id, self.config, name, command, **kw)
        self.containers.append(cid)
        return cid

    def create(self, name: str, command: list[str], **kw) -> str:
        cid = self.k8s.create(self.id, self.config, name, command, **kw)
        self.containers.append(cid)
        return cid

    def log(self, name: str) -> list[tuple[str, str]]:
        """The (stream, line) pairs of a container's log file, each checked for CRI format."""
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return []
        out = []
        for line in path.read_text().splitlines():
            m = LOG_LINE.match(line)
            assert m, f"not a CRI log line in {path}: {line!r}"
            out.append((m.group(2), m.group(4)))
        return out

    def wait_log(self, name: str, line: str, stream="stdout", timeout=20.0) -> None:
        assert wait_for(lambda: (stream, line) in self.log(name), timeout=timeout), \
            f"{line!r} not in {name}'s log: {self.log(name)}"

    def cgroup(self, cid: str) -> str:
        return self.k8s.cgroup_rel(self.name, cid)

    def finish(self, cid: str) -> None:
        """StopContainer (no grace), RemoveContainer; then nothing of it may be left."""
        k = self.k8s
        k.stop(cid, 0)
        assert k.status(cid).state == k.api.CONTAINER_EXITED
        k.remove(cid)
        listed = [c.id for c in k.rt.ListContainers(k.api.ListContainersRequest(), timeout=30).containers]
        assert cid not in listed
        with pytest.raises(grpc.RpcError) as e:
            k.status(cid)
        assert e.value.code() == grpc.StatusCode.NOT_FOUND
        assert wait_for(lambda: not _still_there(k, self, cid), timeout=10), _still_there(k, self, cid)
        self.containers.remove(cid)


def _still_there(k, pod, cid) -> list[str]:
    """A removed container's runtime state, mounts and cgroup dirs that are still there."""
    out = [f"runtime state {s}" for s in k.runtime_state() if s == cid]
    out += [f"mount {m}" for m in mounts_with(k.token) if cid in m]
    out += [f"cgroup {m / pod.cgroup(cid)}" for m in cgroup_mounts() if (m / pod.cgroup(cid)).exists()]
    return out


@pytest.fixture(scope="module", params=MODES)
def pod(request, k8s):
    p = Pod(k8s, request.param)
    yield p
    if not p.removed:           # a test failed before test_stop_and_remove_pod
        for cid in list(p.containers):
            try:
                k8s.stop(cid, 0)
                k8s.remove(cid)
            except grpc.RpcError:
                pass
        k8s.stop_pod(p.id)
        k8s.remove_pod(p.id)
        k8s.remove_pod_cgroup(p.name)


def pid_ns(pid) -> str:
    return os.readlink(f"/proc/{pid}/ns/pid")


def exec_ok(k8s, cid, cmd, timeout=20) -> str:
    r = k8s.exec_sync(cid, cmd, timeout=timeout)
    assert r.exit_code == 0, (cmd, r)
    return r.stdout.decode()


# ---------------------------------------------------------------------------------------
# once
# ---------------------------------------------------------------------------------------

def test_version_and_status(k8s):
    a = k8s.api
    v = k8s.rt.Version(a.VersionRequest(), timeout=10)
    assert (v.runtime_name, v.runtime_api_version) == ("containerd", "v1")
    conds = {c.type: c.status for c in k8s.rt.Status(a.StatusRequest(), timeout=10).status.conditions}
    assert conds == {"RuntimeReady": True, "NetworkReady": True}
    images = [t for i in k8s.img.ListImages(a.ListImagesRequest(), timeout=10).images for t in i.repo_tags]
    assert "docker.io/library/swrun-busybox:test" in images and "docker.io/library/swrun-pause:test" in images


# ---------------------------------------------------------------------------------------
# per PID mode
# ---------------------------------------------------------------------------------------

def test_run_pod_sandbox(pod):
    k, a = pod.k8s, pod.k8s.api
    status, info = k.pod_status(pod.id, verbose=True)
    assert status.state == a.SANDBOX_READY
    assert status.network.ip.startswith(k.subnet_prefix + "."), status.network
    assert status.linux.namespaces.options.pid == getattr(a, pod.mode)
    sandbox_pid = info["pid"]
    # `runc start` returns before its init has exec'd the process (swrun's after): wait.
    cmdline = lambda: Path(f"/proc/{sandbox_pid}/cmdline").read_bytes().split(b"\0")[:-1]
    assert wait_for(lambda: cmdline() == [c.encode() for c in PAUSE_CMD], timeout=5), cmdline()
    host = pid_ns("self")
    if pod.mode == "NODE":
        assert pid_ns(sandbox_pid) == host
    else:
        assert pid_ns(sandbox_pid) != host
    # The pod's network namespace is containerd's (under its state dir), not the host's.
    assert pod.netns.startswith(str(k.dir / "state")), pod.netns
    assert os.stat(f"/proc/{sandbox_pid}/ns/net").st_ino == os.stat(pod.netns).st_ino
    assert os.stat(f"/proc/{sandbox_pid}/ns/net").st_ino != os.stat("/proc/self/ns/net").st_ino
    # The sandbox's cgroup is <cgroup_parent>/<sandbox id>.
    assert f"/{pod.cgroup(pod.id)}" in Path(f"/proc/{sandbox_pid}/cgroup").read_text()


def test_create_start_exec_sync(pod):
    k, a = pod.k8s, pod.k8s.api
    cid = pod.create("exec", SLEEP)
    assert k.status(cid).state == a.CONTAINER_CREATED
    k.start(cid)
    st, info = k.status(cid, verbose=True)
    assert st.state == a.CONTAINER_RUNNING and st.started_at > 0
    pid = info["pid"]
    assert f"/{pod.cgroup(cid)}" in Path(f"/proc/{pid}/cgroup").read_text()

    r = k.exec_sync(cid, ["sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 7"])
    assert (r.exit_code, r.stdout, r.stderr) == (7, b"to-stdout\n", b"to-stderr\n")
    assert exec_ok(k, cid, ["cat", "/etc/hostname"]) == f"{pod.name}\n"
    # A probe's timeout: the exec is ended, the call fails, the container runs on.
    t0 = time.monotonic()
    with pytest.raises(grpc.RpcError) as e:
        k.exec_sync(cid, ["sh", "-c", "echo started; exec sleep 77"], timeout=1)
    assert time.monotonic() - t0 < 10
    assert "timeout 1s exceeded" in e.value.details(), e.value.details()
    assert k.status(cid).state == a.CONTAINER_RUNNING
    assert "sleep 77" not in exec_ok(k, cid, ["ps", "-o", "args"]).splitlines()

    # Who is PID 1 in the container, and whose PID namespace it is.
    pid1 = exec_ok(k, cid, ["cat", "/proc/1/cmdline"]).split("\0")[:-1]
    _, sandbox = k.pod_status(pod.id, verbose=True)
    if pod.mode == "CONTAINER":
        assert pid1 == ["sleep", "1000"]
        # Only its own processes: the init and the exec (ps).
        assert exec_ok(k, cid, ["ps", "-o", "args"]).splitlines()[1:] == ["sleep 1000", "ps -o args"]
        assert pid_ns(pid) not in (pid_ns("self"), pid_ns(sandbox["pid"]))
    elif pod.mode == "POD":
        assert pid1 == PAUSE_CMD
        assert pid_ns(pid) == pid_ns(sandbox["pid"]) != pid_ns("self")
        # The sandbox's processes are visible from the container.
        assert "sleep 3600" in exec_ok(k, cid, ["ps", "-o", "args"])
    else:
        assert pid1 == Path("/proc/1/cmdline").read_text().split("\0")[:-1]
        assert pid_ns(pid) == pid_ns("self")
        # The container sees its own init under its host PID.
        assert exec_ok(k, cid, ["cat", f"/proc/{pid}/cmdline"]) == "sleep\x001000\x00"
    pod.finish(cid)


def test_logs_on_disk_and_reopen(pod):
    k = pod.k8s
    cid = pod.run("logger", ["sh", "-c", "echo first-out; echo first-err >&2; i=0; "
                             "while :; do i=$((i+1)); echo tick-$i; sleep 0.1; done"])
    st = k.status(cid)
    assert st.log_path == str(pod.log_dir / "logger.log")
    pod.wait_log("logger", "first-out")
    pod.wait_log("logger", "first-err", stream="stderr")
    pod.wait_log("logger", "tick-3")

    # Log rotation as the kubelet does it: rename, then ReopenContainerLog.
    log = pod.log_dir / "logger.log"
    rotated = log.with_suffix(".log.1")
    log.rename(rotated)
    k.rt.ReopenContainerLog(k.api.ReopenContainerLogRequest(container_id=cid), timeout=30)
    assert wait_for(lambda: any(s == "stdout" and l.startswith("tick-") for s, l in pod.log("logger")))
    old_last = rotated.read_text().splitlines()[-1]
    new_first = next(l for s, l in pod.log("logger") if l.startswith("tick-"))
    assert int(new_first.split("-")[1]) > int(LOG_LINE.match(old_last).group(4).split("-")[1])
    time.sleep(0.3)
    assert rotated.read_text().splitlines()[-1] == old_last, "the rotated file still grows"
    pod.finish(cid)
    rotated.unlink()


def test_stats_and_update_resources(pod):
    k, a = pod.k8s, pod.k8s.api
    res = a.LinuxContainerResources(memory_limit_in_bytes=64 << 20, cpu_shares=512,
                                    cpu_period=100000, cpu_quota=50000)
    cid = pod.run("res", ["sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo busy-done; exec sleep 1000"],
                  resources=res)
    cg = pod.cgroup(cid)
    mem = lambda: cgroup_value(cg, "memory.limit_in_bytes", "memory.max")
    quota = lambda: cgroup_value(cg, "cpu.cfs_quota_us", "cpu.max")
    assert mem() == str(64 << 20)
    assert cgroup_value(cg, "cpu.shares", "cpu.weight") == "512"
    assert quota() == "50000"
    pod.wait_log("res", "busy-done")

    s = k.rt.ContainerStats(a.ContainerStatsRequest(container_id=cid), timeout=30).stats
    assert s.attributes.id == cid and s.attributes.metadata.name == "res"
    assert s.cpu.usage_core_nano_seconds.value > 1_000_000, s.cpu     # the busy loop: > 1 ms
    assert s.memory.working_set_bytes.value > 0, s.memory
    assert s.writable_layer.used_bytes.value >= 0
    listed = k.rt.ListContainerStats(a.ListContainerStatsRequest(
        filter=a.ContainerStatsFilter(pod_sandbox_id=pod.id)), timeout=30).stats
    assert cid in [x.attributes.id for x in listed]

    k.rt.UpdateContainerResources(a.UpdateContainerResourcesRequest(
        container_id=cid, linux=a.LinuxContainerResources(memory_limit_in_bytes=96 << 20, cpu_shares=256,
                                                          cpu_period=100000, cpu_quota=20000)), timeout=30)
    assert mem() == str(96 << 20)
    assert cgroup_value(cg, "cpu.shares", "cpu.weight") == "256"
    assert quota() == "20000"
    # The container goes on running.
    assert exec_ok(k, cid, ["echo", "still-here"]) == "still-here\n"
    pod.finish(cid)


def test_stop_container_term_trapped(pod):
    """StopContainer sends SIGTERM first; a container that traps it exits with its own code."""
    k = pod.k8s
    cid = pod.run("trap", ["sh", "-c", "trap 'echo got-term; exit 42' TERM; echo ready; "
                           "while :; do sleep 1000 & wait; done"])
    pod.wait_log("trap", "ready")
    t0 = time.monotonic()
    k.stop(cid, 30)
    elapsed = time.monotonic() - t0
    st = k.status(cid)
    assert (st.state, st.exit_code, st.reason) == (k.api.CONTAINER_EXITED, 42, "Error"), st
    assert elapsed < 10, elapsed
    assert st.finished_at >= st.started_at
    pod.wait_log("trap", "got-term")
    pod.finish(cid)


def test_stop_container_sigkill_after_grace(pod):
    """A container that ignores SIGTERM is SIGKILLed when the grace period ends."""
    k = pod.k8s
    cid = pod.run("stubborn", ["sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1000 & wait; done"])
    pod.wait_log("stubborn", "ready")
    t0 = time.monotonic()
    k.stop(cid, 2)
    elapsed = time.monotonic() - t0
    st = k.status(cid)
    assert (st.state, st.exit_code, st.reason) == (k.api.CONTAINER_EXITED, 137, "Error"), st
    assert 2 <= elapsed < 15, elapsed
    pod.finish(cid)


def test_exit_code_and_oom_killed(pod):
    k, a = pod.k8s, pod.k8s.api
    done = pod.run("done", ["sh", "-c", "exit 0"])
    failed = pod.run("failed", ["sh", "-c", "exit 3"])
    # `tail` keeps a line it has not seen the end of: /dev/zero has none.
    oom = pod.run("oom", ["tail", "/dev/zero"], resources=a.LinuxContainerResources(memory_limit_in_bytes=32 << 20))
    for cid, code, reason in ((done, 0, "Completed"), (failed, 3, "Error"), (oom, 137, "OOMKilled")):
        st = k.wait_exited(cid, timeout=30)
        assert (st.state, st.exit_code, st.reason) == (a.CONTAINER_EXITED, code, reason), st
    for cid in (done, failed, oom):
        pod.finish(cid)


def test_exec_tty_over_websocket(pod):
    """Exec returns the streaming URL; the kubelet's client (here: a WebSocket with
    v4.channel.k8s.io) gets a terminal, its output and the exit status."""
    k, a = pod.k8s, pod.k8s.api
    cid = pod.run("tty", SLEEP)
    url = k.rt.Exec(a.ExecRequest(container_id=cid, cmd=["sh"], tty=True, stdin=True, stdout=True),
                    timeout=30).url
    assert re.match(r"^http://127\.0\.0\.1:\d+/exec/\S+$", url), url
    ws = WebSocketExec(url, Path(f"/proc/{k.daemon.proc.pid}/ns/net"))
    ws.resize(100, 30)
    ws.send(0, b"tty; stty size; echo sum=$((6*7)); exit 5\n")
    out = ws.read_until_closed()
    stdout = out[1].decode(errors="replace")
    assert re.search(r"/dev/pts/\d+\r\n", stdout), stdout       # a terminal: \r\n
    assert "30 100\r\n" in stdout, stdout
    assert "sum=42\r\n" in stdout, stdout
    status = json.loads(out[3])
    assert status["status"] == "Failure" and status["reason"] == "NonZeroExitCode", status
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "5"}], status
    pod.finish(cid)


def test_loopback_inside_pod(pod):
    """Containers of a pod share its network namespace: a server on 127.0.0.1 in one is
    reached from an exec in another, and is not reachable on the pod's IP."""
    k = pod.k8s
    srv = pod.run("srv", ["sh", "-c", "mkdir -p /www && echo from-loopback > /www/index.html && "
                          "exec httpd -f -p 127.0.0.1:8080 -h /www"])
    cli = pod.run("cli", SLEEP)
    ip = k.pod_status(pod.id).network.ip
    assert wait_for(lambda: k.exec_sync(cli, WGET + ["http://127.0.0.1:8080/"]).stdout
                    == b"from-loopback\n", timeout=10)
    r = k.exec_sync(cli, WGET + [f"http://{ip}:8080/"])
    assert r.exit_code == 1 and b"Connection refused" in r.stderr, r
    assert exec_ok(k, cli, ["cat", "/sys/class/net/lo/operstate"]).strip() in ("unknown", "up")
    pod.finish(srv)
    pod.finish(cli)


def test_stop_and_remove_pod(pod):
    """StopPodSandbox, RemovePodSandbox: no sandbox, mount, process, cgroup, runtime state or
    network namespace of the pod is left (its containers were removed by the tests above)."""
    k, a = pod.k8s, pod.k8s.api
    assert pod.containers == []
    _, info = k.pod_status(pod.id, verbose=True)
    sandbox_pid = info["pid"]
    k.stop_pod(pod.id)
    st = k.pod_status(pod.id)
    assert st.state == a.SANDBOX_NOTREADY
    assert not Path(f"/proc/{sandbox_pid}").exists() or \
        Path(f"/proc/{sandbox_pid}/stat").read_text().split()[2] == "Z"
    k.stop_pod(pod.id)                     # idempotent, as the kubelet relies on
    k.remove_pod(pod.id)
    pod.removed = True
    ids = [p.id for p in k.rt.ListPodSandbox(a.ListPodSandboxRequest(), timeout=30).items]
    assert pod.id not in ids
    assert wait_for(lambda: not k.pod_leftovers(pod.name, [pod.id], pod.netns), timeout=10), \
        k.pod_leftovers(pod.name, [pod.id], pod.netns)
    k.remove_pod_cgroup(pod.name)


# ---------------------------------------------------------------------------------------
# two pods on the bridge
# ---------------------------------------------------------------------------------------

def test_pod_to_pod_on_the_bridge(k8s):
    k, a = k8s, k8s.api
    a_id, a_cfg = k.run_pod("net-a", a.CONTAINER)
    b_id, b_cfg = k.run_pod("net-b", a.CONTAINER)
    try:
        ip_a, ip_b = k.pod_status(a_id).network.ip, k.pod_status(b_id).network.ip
        assert ip_a != ip_b and all(i.startswith(k.subnet_prefix + ".") for i in (ip_a, ip_b))
        srv = k.run_container(a_id, a_cfg, "srv", ["sh", "-c", "mkdir -p /www && echo served-by-a > /www/index.html && "
                                                   "exec httpd -f -p 8081 -h /www"])
        cli = k.run_container(b_id, b_cfg, "cli", SLEEP)
        assert exec_ok(k, cli, ["ip", "-4", "-o", "addr", "show", "eth0"]).split()[3].split("/")[0] == ip_b
        assert wait_for(lambda: k.exec_sync(cli, WGET + [f"http://{ip_a}:8081/"]).stdout
                        == b"served-by-a\n", timeout=10)
        r = k.exec_sync(cli, ["ping", "-c", "1", "-W", "2", ip_a])
        assert r.exit_code == 0 and b"1 packets received" in r.stdout, r
        # The bridge lives in containerd's network namespace, not the host's.
        assert run(["ip", "link", "show", k.token]).returncode != 0
        assert run(["ip", "-n", k.token, "link", "show", k.token], check=True).returncode == 0
        for cid in (srv, cli):
            k.stop(cid, 0)
            k.remove(cid)
    finally:
        for pod_id, name in ((a_id, "net-a"), (b_id, "net-b")):
            netns = k.pod_netns(pod_id)
            k.stop_pod(pod_id)
            k.remove_pod(pod_id)
            assert wait_for(lambda: not k.pod_leftovers(name, [pod_id], netns), timeout=10), \
                k.pod_leftovers(name, [pod_id], netns)
            k.remove_pod_cgroup(name)
