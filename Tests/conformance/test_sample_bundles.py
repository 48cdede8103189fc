"""The sample configs in bundles/configs run as-is (root.path "rootfs")."""

import json

import pytest

from conftest import REPO

CONFIGS = sorted((REPO / "bundles" / "configs").glob("*.json"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_sample_config_runs(h, path):
    cfg = json.loads(path.read_text())
    assert cfg["root"]["path"] == "rootfs"
    assert cfg["process"].get("terminal", False) is False
    b = h.bundle(cfg)
    h.rootfs_copy(b / "rootfs")
    r = h.run(bundle=b)
    assert r.rc == 0, r
