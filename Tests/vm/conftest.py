"""Fixtures of the VM tier: the conformance harness `h` (imported, see vmlib.py) plus a rootfs
that was prepared on the host before boot ($VM_ROOTFS), copied once onto the guest's tmpfs."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from vmlib import harness

# The harness's fixtures and hooks, under their own names so pytest registers them here.
runtime = harness.runtime
session_dir = harness.session_dir
workdir = harness.workdir
state_root = harness.state_root
h = harness.h
base_config = harness.base_config
bundle = harness.bundle
pytest_configure = harness.pytest_configure
pytest_collection_modifyitems = harness.pytest_collection_modifyitems
pytest_report_header = harness.pytest_report_header


@pytest.fixture(scope="session")
def rootfs(session_dir) -> Path:
    dst = session_dir / "rootfs"
    prebuilt = os.environ.get("VM_ROOTFS")
    if prebuilt:
        # The host's copy lies on the read-only 9p root; busybox runs much faster from tmpfs.
        shutil.copytree(prebuilt, dst, symlinks=True)
    else:
        subprocess.run(["sh", str(harness.MAKE_ROOTFS), str(dst)], check=True, timeout=300)
    return dst


@pytest.fixture(scope="session")
def loop_device(session_dir):
    """(major, minor, path) of a loop device over a small file on the guest's tmpfs: the VM
    has no disk of its own, and io.max and device rules need a real block device."""
    backing = session_dir / "loop.img"
    with open(backing, "wb") as f:
        f.truncate(8 << 20)
    subprocess.run(["modprobe", "loop"], capture_output=True)
    p = subprocess.run(["losetup", "--find", "--show", str(backing)],
                       capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        pytest.fail(f"losetup failed: {p.stderr.strip()}", pytrace=False)
    dev = p.stdout.strip()
    st = os.stat(dev)
    yield os.major(st.st_rdev), os.minor(st.st_rdev), dev
    subprocess.run(["losetup", "-d", dev], capture_output=True, timeout=30)


@pytest.fixture
def scratch_cgroup(h):
    """A fresh top-level cgroup name for tests that set cgroupsPath: the runtime keeps the
    parents it made (runc does too), so the test removes the subtree itself, after
    force-deleting its containers."""
    from vmlib import CGROOT, rmdir_tree
    top = CGROOT / f"swrun-vmtest-{secrets.token_hex(3)}"
    yield top
    for ctid in h.ids:
        h.delete(ctid, force=True)
    rmdir_tree(top)
    assert not top.exists(), f"could not remove {top}"
