"""Writes a busybox image archive by hand, with no network and no engine.

One tar holds both an OCI image layout (oci-layout, index.json, blobs/) and
the docker-save `manifest.json` that points at the same blobs, so the one
archive loads with `ctr images import`, `docker load` (20.10 reads only
manifest.json) and `podman load`.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _layer(rootfs: Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(rootfs.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(rootfs)), recursive=False)
    return buf.getvalue()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def write_archive(rootfs: Path, dest: Path, ref: str, cmd=("sh",)) -> None:
    """Writes the image of `rootfs` tagged `ref` (e.g. "docker.io/library/x:t") to `dest`,
    with `cmd` as its Cmd (and PATH set: an engine gives a container only the image's Env)."""
    layer = _layer(rootfs)
    layer_id = _digest(layer)
    config = json.dumps({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": list(cmd)},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_id}"]},
        "history": [{"created_by": "swrun Tests/engines/image.py"}],
    }, sort_keys=True).encode()
    config_id = _digest(config)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": f"sha256:{config_id}", "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": f"sha256:{layer_id}", "size": len(layer)}],
    }, sort_keys=True).encode()
    manifest_id = _digest(manifest)
    index = json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": f"sha256:{manifest_id}", "size": len(manifest),
                       "annotations": {"io.containerd.image.name": ref,
                                       "org.opencontainers.image.ref.name": ref.rsplit(":", 1)[1]}}],
    }).encode()
    docker_manifest = json.dumps([{
        "Config": f"blobs/sha256/{config_id}",
        "RepoTags": [ref.removeprefix("docker.io/library/")],
        "Layers": [f"blobs/sha256/{layer_id}"],
    }]).encode()
    with tarfile.open(dest, "w") as tar:
        _add(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        _add(tar, "index.json", index)
        _add(tar, "manifest.json", docker_manifest)
        for blob_id, data in ((layer_id, layer), (config_id, config), (manifest_id, manifest)):
            _add(tar, f"blobs/sha256/{blob_id}", data)
