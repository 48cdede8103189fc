"""Fixtures for the Kubernetes tier: one private containerd (CRI plugin) per session, its
pods run by the runtime under test (RUNTIME, default the repo's .build/release/swrun).
Run with the venv of scripts/install-kubernetes.sh (grpcio, grpcio-tools, pytest)."""

from __future__ import annotations

import secrets
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "engines"))
try:
    import grpc  # noqa: F401
    import grpc_tools  # noqa: F401
except ImportError:
    sys.exit("Tests/kubernetes needs grpcio and grpcio-tools: run it with the venv of "
             "scripts/install-kubernetes.sh, e.g. /var/cache/swrun-kubernetes/venv/bin/python -m pytest")
import image  # noqa: E402
import kube  # noqa: E402
from harness import check_runtime, make_rootfs  # noqa: E402


@pytest.fixture(scope="session")
def runtime() -> str:
    return check_runtime()


@pytest.fixture(scope="session")
def workdir(runtime):
    d = Path(tempfile.mkdtemp(prefix="swrun-kube-work-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def api(workdir):
    """(api_pb2, api_pb2_grpc), compiled from api.proto for this session."""
    out = workdir / "proto"
    out.mkdir()
    return kube.compile_proto(out)


@pytest.fixture(scope="session")
def archives(workdir) -> list[Path]:
    """The busybox image and the sandbox image made of the same root (one layer)."""
    make_rootfs(workdir / "rootfs")
    out = []
    for ref, cmd, name in ((kube.IMAGE, ["sh"], "busybox.tar"),
                           (kube.PAUSE_IMAGE, kube.PAUSE_CMD, "pause.tar")):
        image.write_archive(workdir / "rootfs", workdir / name, ref, cmd)
        out.append(workdir / name)
    return out


@pytest.fixture(scope="session")
def k8s(runtime, api, archives):
    """The private containerd; at the end its pods are removed (a failed test's), it is
    stopped by PID, its netns deleted, and the session fails if anything carrying the token
    is left: mounts, processes, cgroups, runtime state, CNI cache entries."""
    # <= 15 characters: it names the bridge too (IFNAMSIZ).
    token = f"swkube-{secrets.token_hex(4)}"
    d = Path(tempfile.gettempdir()) / token
    d.mkdir(mode=0o755)
    k = None
    problems = []
    try:
        k = kube.Kube(d, token, runtime, archives, *api)
        k.up()
        yield k
        problems += k.cleanup()
    finally:
        if k is not None:
            problems += k.shutdown()
        shutil.rmtree(d, ignore_errors=True)
    if problems:
        pytest.fail("left behind by containerd's CRI + the runtime:\n" + "\n".join(problems), pytrace=False)
