"""A kubelet's side of the CRI, for the Kubernetes tier: a private containerd 1.6 whose CRI
plugin runs pods through the runc v2 shim with BinaryName = the runtime under test.

containerd runs in a network namespace made here (`ip netns add <token>`, entered with
`nsenter --net`, so its mounts stay visible to the host), with its own root, state, sockets,
CNI config (a bridge named after the token, host-local IPAM in a private subnet) and runtime
root. Pods get the cgroup parent /<token>/pod-<name> (a kubelet's /kubepods/.../pod<uid>),
so everything they can leave behind carries the token (Tests/engines/harness.py `leftovers`).

The CRI client is gRPC from Kubernetes' api.proto (cri-api v0.26.3, next to this file),
compiled with grpc_tools.protoc into a temp dir at the start of the session.
"""

from __future__ import annotations

import base64
import ctypes
import importlib
import json
import os
import shutil
import socket
import struct
import sys
import threading
import urllib.parse
from pathlib import Path

import grpc

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "engines"))
from harness import (  # noqa: E402
    Daemon, cgroup_mounts, leftovers, mounts_with, processes_with, remove_cgroups, run,
    unmount_all, wait_for,
)

IMAGE = "docker.io/library/swrun-busybox:test"
# The sandbox ("pause") image: PID 1 of a pod that shares its PID namespace, so it reaps the
# orphans it inherits and exits on SIGTERM, as Kubernetes' pause does.
PAUSE_IMAGE = "docker.io/library/swrun-pause:test"
PAUSE_CMD = ["sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait; done"]
CRI_NAMESPACE = "k8s.io"
RPC_TIMEOUT = 60


def compile_proto(out: Path):
    """api_pb2 and api_pb2_grpc, generated from api.proto into `out`."""
    from grpc_tools import protoc
    import grpc_tools
    include = Path(grpc_tools.__file__).parent / "_proto"
    rc = protoc.main(["protoc", f"-I{HERE}", f"-I{include}", f"--python_out={out}",
                      f"--grpc_python_out={out}", str(HERE / "api.proto")])
    if rc != 0:
        raise RuntimeError(f"protoc failed on {HERE / 'api.proto'}: {rc}")
    sys.path.insert(0, str(out))
    return importlib.import_module("api_pb2"), importlib.import_module("api_pb2_grpc")


_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def netns_socket(netns: Path, family=socket.AF_INET) -> socket.socket:
    """A TCP socket in the network namespace `netns` (made on a thread that entered it; the
    socket keeps its namespace after the thread is gone)."""
    box: dict = {}

    def make():
        try:
            fd = os.open(netns, os.O_RDONLY)
            try:
                if _libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns {netns}")
            finally:
                os.close(fd)
            box["sock"] = socket.socket(family, socket.SOCK_STREAM)
        except BaseException as e:  # noqa: BLE001  (handed to the caller)
            box["error"] = e

    t = threading.Thread(target=make)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["sock"]


class WebSocketExec:
    """The kubelet's streaming client for an Exec URL, over a WebSocket with Kubernetes'
    `v4.channel.k8s.io` protocol: each binary message starts with its channel (0 stdin,
    1 stdout, 2 stderr, 3 error: a JSON Status at the end, 4 resize)."""

    def __init__(self, url: str, netns: Path, timeout=20.0):
        u = urllib.parse.urlsplit(url)
        self.sock = netns_socket(netns)
        self.sock.settimeout(timeout)
        self.sock.connect((u.hostname, u.port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {u.path}?{u.query} HTTP/1.1\r\nHost: {u.netloc}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                           "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                break
            head += chunk
        self.response = head.decode(errors="replace")
        if not self.response.startswith("HTTP/1.1 101"):
            raise RuntimeError(f"no WebSocket upgrade from {url}: {self.response!r}")
        self.output = {1: b"", 2: b"", 3: b""}

    def _recv_exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError("connection closed inside a frame")
            buf += chunk
        return buf

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send(self, channel: int, data: bytes) -> None:
        self._send_frame(0x2, bytes([channel]) + data)

    def resize(self, width: int, height: int) -> None:
        self.send(4, json.dumps({"Width": width, "Height": height}).encode())

    def read_until_closed(self) -> dict:
        """Reads every message until the server closes; returns {channel: bytes}."""
        while True:
            try:
                b0, b1 = self._recv_exact(2)
            except EOFError:
                break
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._recv_exact(8))[0]
            mask = self._recv_exact(4) if b1 & 0x80 else None
            payload = self._recv_exact(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:            # close
                break
            if opcode == 0x9:            # ping
                self._send_frame(0xA, payload)
            elif opcode in (0x1, 0x2) and payload:
                ch = payload[0]
                self.output[ch] = self.output.get(ch, b"") + payload[1:]
        self.sock.close()
        return self.output


class Kube:
    """containerd with its CRI plugin in the network namespace `token`, as a kubelet sees it."""

    def __init__(self, dir: Path, token: str, runtime: str, archives: list[Path], api, api_grpc):
        self.dir, self.token, self.runtime = dir, token, runtime
        self.api = api
        self.sock = dir / "containerd.sock"
        self.runtime_root = dir / "runc"          # the shim's Root: the runtime's --root is <it>/k8s.io
        self.netns = Path("/run/netns") / token
        self.cni_dir = dir / "cni"
        # A private /24 in 10.200-249.x, picked from the token; it exists only inside the netns.
        n = int(token[-4:], 16)
        self.subnet_prefix = f"10.{200 + n % 50}.{n // 50 % 256}"
        self.daemon = None
        self.channel = grpc.insecure_channel(f"unix://{self.sock}")
        self.rt = api_grpc.RuntimeServiceStub(self.channel)
        self.img = api_grpc.ImageServiceStub(self.channel)
        self.archives = archives

    def up(self) -> None:
        """Makes the netns and the config, starts containerd, imports the images."""
        dir, token = self.dir, self.token
        run(["ip", "netns", "add", token], check=True)
        run(["ip", "-n", token, "link", "set", "lo", "up"], check=True)
        self._write_config()
        self.daemon = Daemon("containerd", ["nsenter", f"--net={self.netns}", "containerd",
                                            "--config", dir / "config.toml"], dir / "containerd.log")
        self.daemon.wait_ready(lambda: self.sock.exists() and self._ready(), timeout=60)
        for archive in self.archives:
            self.ctr("images", "import", archive, check=True)

    def _write_config(self) -> None:
        d, t = self.dir, self.token
        self.cni_dir.mkdir()
        (self.cni_dir / "10-swrun.conflist").write_text(json.dumps({
            "cniVersion": "1.0.0",
            "name": t,
            "plugins": [{
                "type": "bridge", "bridge": t, "isGateway": True, "ipMasq": False,
                "hairpinMode": True,
                "ipam": {"type": "host-local", "dataDir": str(d / "ipam"),
                         "ranges": [[{"subnet": f"{self.subnet_prefix}.0/24"}]],
                         "routes": [{"dst": "0.0.0.0/0"}]},
            }],
        }, indent=2))
        cri = 'plugins."io.containerd.grpc.v1.cri"'
        (d / "config.toml").write_text(f"""\
version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                    "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper",
                    "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "{self.sock}"
[ttrpc]
  address = "{self.sock}.ttrpc"
[debug]
  address = ""
  level = "debug"
[metrics]
  address = ""
[{cri}]
  sandbox_image = "{PAUSE_IMAGE}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  # The sandbox asks for oom_score_adj -998, and lowering it needs CAP_SYS_RESOURCE, which
  # these hosts do not give (runc and swrun both fail create): cap it at containerd's own.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_selinux = false
  max_container_log_line_size = 16384
[{cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
[{cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[{cri}.containerd.runtimes.runc.options]
  BinaryName = "{self.runtime}"
  Root = "{self.runtime_root}"
[{cri}.cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "{self.cni_dir}"
  max_conf_num = 1
""")

    def _ready(self) -> bool:
        try:
            status = self.rt.Status(self.api.StatusRequest(), timeout=5).status
        except grpc.RpcError:
            return False
        return all(c.status for c in status.conditions)

    def ctr(self, *args, **kw):
        return run(["ctr", "--address", self.sock, "--namespace", CRI_NAMESPACE, *args], **kw)

    # ---------------------------------------------------------------- pods

    def pod_config(self, name: str, pid_mode: int):
        a = self.api
        ns = a.NamespaceOption(network=a.POD, pid=pid_mode, ipc=a.POD)
        log_dir = self.dir / "pods" / name
        log_dir.mkdir(parents=True, exist_ok=True)
        return a.PodSandboxConfig(
            metadata=a.PodSandboxMetadata(name=name, uid=f"uid-{name}", namespace="default"),
            hostname=name,
            log_directory=str(log_dir),
            labels={"swrun-test": self.token},
            linux=a.LinuxPodSandboxConfig(
                cgroup_parent=f"/{self.token}/pod-{name}",
                security_context=a.LinuxSandboxSecurityContext(namespace_options=ns)))

    def run_pod(self, name: str, pid_mode: int):
        """RunPodSandbox; returns (pod id, its config)."""
        config = self.pod_config(name, pid_mode)
        pod_id = self.rt.RunPodSandbox(self.api.RunPodSandboxRequest(config=config),
                                       timeout=RPC_TIMEOUT).pod_sandbox_id
        return pod_id, config

    def pod_status(self, pod_id: str, verbose=False):
        r = self.rt.PodSandboxStatus(self.api.PodSandboxStatusRequest(pod_sandbox_id=pod_id, verbose=verbose),
                                     timeout=RPC_TIMEOUT)
        return (r.status, json.loads(r.info["info"])) if verbose else r.status

    def pod_netns(self, pod_id: str) -> str:
        """The path of the pod's network namespace (under containerd's state dir)."""
        _, info = self.pod_status(pod_id, verbose=True)
        return next(n["path"] for n in info["runtimeSpec"]["linux"]["namespaces"] if n["type"] == "network")

    def stop_pod(self, pod_id: str) -> None:
        self.rt.StopPodSandbox(self.api.StopPodSandboxRequest(pod_sandbox_id=pod_id), timeout=RPC_TIMEOUT)

    def remove_pod(self, pod_id: str) -> None:
        self.rt.RemovePodSandbox(self.api.RemovePodSandboxRequest(pod_sandbox_id=pod_id), timeout=RPC_TIMEOUT)

    # ---------------------------------------------------------- containers

    def create(self, pod_id: str, pod_config, name: str, command: list[str], *, resources=None,
               tty=False, stdin=False) -> str:
        a = self.api
        pid_mode = pod_config.linux.security_context.namespace_options.pid
        config = a.ContainerConfig(
            metadata=a.ContainerMetadata(name=name),
            image=a.ImageSpec(image=IMAGE),
            command=command,
            log_path=f"{name}.log",
            tty=tty, stdin=stdin,
            linux=a.LinuxContainerConfig(
                resources=resources,
                security_context=a.LinuxContainerSecurityContext(
                    namespace_options=a.NamespaceOption(network=a.POD, pid=pid_mode, ipc=a.POD))))
        return self.rt.CreateContainer(a.CreateContainerRequest(
            pod_sandbox_id=pod_id, config=config, sandbox_config=pod_config),
            timeout=RPC_TIMEOUT).container_id

    def start(self, cid: str) -> None:
        self.rt.StartContainer(self.api.StartContainerRequest(container_id=cid), timeout=RPC_TIMEOUT)

    def run_container(self, pod_id, pod_config, name, command, **kw) -> str:
        cid = self.create(pod_id, pod_config, name, command, **kw)
        self.start(cid)
        return cid

    def status(self, cid: str, verbose=False):
        r = self.rt.ContainerStatus(self.api.ContainerStatusRequest(container_id=cid, verbose=verbose),
                                    timeout=RPC_TIMEOUT)
        return (r.status, json.loads(r.info["info"])) if verbose else r.status

    def exec_sync(self, cid: str, cmd: list[str], timeout=20):
        return self.rt.ExecSync(self.api.ExecSyncRequest(container_id=cid, cmd=cmd, timeout=timeout),
                                timeout=timeout + RPC_TIMEOUT)

    def stop(self, cid: str, timeout: int) -> None:
        self.rt.StopContainer(self.api.StopContainerRequest(container_id=cid, timeout=timeout),
                              timeout=timeout + RPC_TIMEOUT)

    def remove(self, cid: str) -> None:
        self.rt.RemoveContainer(self.api.RemoveContainerRequest(container_id=cid), timeout=RPC_TIMEOUT)

    def wait_exited(self, cid: str, timeout=20.0):
        exited = self.api.CONTAINER_EXITED
        wait_for(lambda: self.status(cid).state == exited, timeout=timeout, interval=0.1)
        return self.status(cid)

    # -------------------------------------------------------------- checks

    def cgroup_rel(self, pod_name: str, cid: str = "") -> str:
        return f"{self.token}/pod-{pod_name}" + (f"/{cid}" if cid else "")

    def runtime_state(self) -> list[str]:
        """Containers the runtime still has under the shim's Root."""
        root = self.runtime_root / CRI_NAMESPACE
        return sorted(p.name for p in root.iterdir()) if root.is_dir() else []

    def pod_leftovers(self, pod_name: str, ids: list[str], netns_path: str) -> list[str]:
        """What a removed pod (sandbox id and container ids `ids`) still has: runtime state,
        mounts, processes, container cgroups below the pod's cgroup, its network namespace.
        The pod's own cgroup dir is the kubelet's: it is removed here, once empty."""
        problems = [f"runtime state: {s}" for s in self.runtime_state() if s in ids]
        problems += [f"mount: {m}" for m in mounts_with(self.token) if any(i in m for i in ids)
                     or (netns_path and netns_path in m)]
        problems += [f"process: {p}" for p in processes_with(f"/{self.cgroup_rel(pod_name)}/")]
        if netns_path and os.path.exists(netns_path):
            problems.append(f"pod netns file: {netns_path}")
        for mnt in cgroup_mounts():
            pod_cg = mnt / self.cgroup_rel(pod_name)
            if pod_cg.is_dir():
                problems += [f"cgroup: {c}" for c in pod_cg.iterdir() if c.is_dir()]
        return problems

    def remove_pod_cgroup(self, pod_name: str) -> None:
        """The kubelet's part: the pod-level cgroup goes once the pod is removed."""
        for mnt in cgroup_mounts():
            pod_cg = mnt / self.cgroup_rel(pod_name)
            if pod_cg.is_dir():
                try:
                    pod_cg.rmdir()
                except OSError:
                    pass

    def cleanup(self) -> list[str]:
        """Removes the pods tests left (after a failure), reporting them."""
        problems = []
        try:
            pods = self.rt.ListPodSandbox(self.api.ListPodSandboxRequest(), timeout=RPC_TIMEOUT).items
            for p in pods:
                problems.append(f"pod {p.metadata.name} ({p.id}) left in containerd")
                try:
                    self.stop_pod(p.id)
                    self.remove_pod(p.id)
                except grpc.RpcError as e:
                    problems.append(f"removing pod {p.id}: {e.details()}")
                self.remove_pod_cgroup(p.metadata.name)
        except grpc.RpcError as e:
            problems.append(f"ListPodSandbox: {e.details()}")
        return problems

    def shutdown(self) -> list[str]:
        """Stops containerd by its PID, deletes the netns; returns what is left behind."""
        problems = []
        self.channel.close()
        if self.daemon:
            problems += self.daemon.stop(timeout=30)
            if os.environ.get("KUBE_KEEP_LOG"):       # a copy of containerd's (debug) log
                shutil.copyfile(self.daemon.log, os.environ["KUBE_KEEP_LOG"])
        if self.netns.exists():
            run(["ip", "netns", "delete", self.token], check=True)
        own = (self.token,)
        wait_for(lambda: not leftovers(self.token, cgroups_allowed=own), timeout=10)
        problems += leftovers(self.token, cgroups_allowed=own)
        problems += [f"runtime state: {s}" for s in self.runtime_state()]
        cache = Path("/var/lib/cni")
        if cache.is_dir():
            problems += [f"CNI cache: {p}" for p in cache.rglob("*") if self.token in p.name]
        unmount_all(self.token)
        remove_cgroups(self.token)
        return problems
