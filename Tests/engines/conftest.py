"""Fixtures for the engine tier: real engines (containerd, dockerd, podman) driving swrun.

The helpers (running commands, finding what an engine left behind, daemons stopped by PID)
are in harness.py, which the Kubernetes tier imports too; the tests import them from here.
"""

from __future__ import annotations

import secrets
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import image  # noqa: E402
from harness import (  # noqa: E402,F401  (re-exported for the tests)
    CMD_TIMEOUT, IMAGE, REPO, RUNTIME, SLEEPER, Daemon, cgroup_dirs, cgroup_mounts, cgroup_value,
    check_pause_unpause, check_runtime, container_gone, freezer_state, has_cap_sys_resource,
    leftovers, make_rootfs, mounts_with, processes_with, remove_cgroups, run, serve,
    state_entries, unmount_all, wait_for,
)

# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------

@pytest.fixture(scope="session")
def runtime() -> str:
    return check_runtime()


@pytest.fixture(scope="session")
def image_archive(runtime) -> Path:
    """The busybox image (OCI layout + docker manifest in one tar), built from the bundles' rootfs."""
    d = Path(tempfile.mkdtemp(prefix="swrun-engines-image-"))
    try:
        make_rootfs(d / "rootfs")
        image.write_archive(d / "rootfs", d / "busybox.tar", IMAGE)
        yield d / "busybox.tar"
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def token() -> str:
    return f"swrun-eng-{secrets.token_hex(4)}"


@pytest.fixture(scope="module")
def engine_dir(token) -> Path:
    """The engine's private dir; removed at the end, after its daemon stopped."""
    d = Path(tempfile.gettempdir()) / token
    d.mkdir(mode=0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)
