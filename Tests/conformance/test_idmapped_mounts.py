"""Idmapped bind mounts (config.md: mounts[].uidMappings/gidMappings, the `idmap` and `ridmap`
options; mount_setattr(MOUNT_ATTR_IDMAP) on a clone of the source made on the host side).
Through the mount, a file's owner is mapped as a user namespace with those mappings maps it;
the host's file keeps its owner. runc 1.1.5 has no idmapped mounts.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

pytestmark = pytest.mark.swrun_only

STAT = "stat -c %u:%g"


@pytest.fixture
def volume(h):
    d = h.tmpdir("idvol")
    (d / "mine").write_text("1000's\n")
    os.chown(d / "mine", 1000, 1000)
    (d / "roots").write_text("root's\n")
    return d


def userns(c):
    c["linux"]["namespaces"].append({"type": "user"})
    c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    return c


def bind(c, source, options, maps=None):
    m = {"destination": "/mnt", "type": "bind", "source": str(source), "options": options}
    if maps is not None:
        m["uidMappings"] = m["gidMappings"] = maps
    c["mounts"].append(m)
    return c


def test_explicit_mappings_make_the_users_files_the_containers_roots(h, volume):
    # On-disk 1000 is mapped to host 100000, the container's root.
    c = bind(userns(h.config(["sh", "-c", f"{STAT} /mnt/mine; echo more >> /mnt/mine && echo wrote"])),
             volume, ["rbind", "idmap"], [{"containerID": 1000, "hostID": 100000, "size": 1}])
    r = h.run(c)
    assert r.rc == 0, r
    assert r.out.split() == ["0:0", "wrote"], r.out
    st = os.stat(volume / "mine")
    assert (st.st_uid, st.st_gid) == (1000, 1000), "the host's file must keep its owner"
    assert (volume / "mine").read_text() == "1000's\nmore\n"


def test_idmap_without_mappings_takes_the_containers(h, volume):
    script = f"{STAT} /mnt/roots /plain/roots"
    c = bind(userns(h.config(["sh", "-c", script])), volume, ["rbind", "idmap"])
    c["mounts"].append({"destination": "/plain", "type": "bind", "source": str(volume), "options": ["rbind"]})
    c["mounts"][-1]["destination"] = "/opt"
    c["process"]["args"] = ["sh", "-c", f"{STAT} /mnt/roots /opt/roots"]
    r = h.run(c)
    assert r.rc == 0, r
    # Through the idmapped mount host root's file is the container's root's; without, nobody's.
    assert r.out.split() == ["0:0", "65534:65534"], r.out


def test_idmapped_mount_in_a_container_without_user_namespace(h, volume):
    c = bind(h.config(["sh", "-c", f"{STAT} /mnt/roots /mnt/mine"]), volume, ["bind", "idmap"],
             [{"containerID": 0, "hostID": 1234, "size": 1}])
    r = h.run(c)
    assert r.rc == 0, r
    # Mapped: 0 → 1234. Unmapped IDs show as the overflow ID.
    assert r.out.split() == ["1234:1234", "65534:65534"], r.out


def test_ridmap_maps_submounts_and_idmap_only_the_top(h, volume):
    sub = volume / "sub"
    sub.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "swrun-idmap-test", str(sub)], check=True, timeout=30)
    try:
        (sub / "inner").write_text("x\n")
        for opt, want in (("ridmap", "0:0"), ("idmap", "65534:65534")):
            c = bind(userns(h.config(["sh", "-c", f"{STAT} /mnt/roots /mnt/sub/inner"])), volume, ["rbind", opt])
            r = h.run(c)
            assert r.rc == 0, r
            assert r.out.split() == ["0:0", want], (opt, r.out)
    finally:
        subprocess.run(["umount", "-l", str(sub)], timeout=30)


@pytest.mark.parametrize("case", ["uid_without_gid", "not_a_bind", "no_mappings_anywhere"])
def test_refused_with_the_field_named(h, volume, case):
    c = h.config(["true"])
    maps = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    if case == "uid_without_gid":
        c["mounts"].append({"destination": "/mnt", "type": "bind", "source": str(volume), "options": ["rbind", "idmap"],
                            "uidMappings": maps})
        want = "gidMappings"
    elif case == "not_a_bind":
        c["mounts"].append({"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["idmap"],
                            "uidMappings": maps, "gidMappings": maps})
        want = ".options"
    else:
        c["mounts"].append({"destination": "/mnt", "type": "bind", "source": str(volume), "options": ["rbind", "idmap"]})
        want = ".options"
    ctid = h.new_id()
    r = h.run(c, ctid=ctid)
    assert r.rc == 1, r
    assert f"mounts[{len(c['mounts']) - 1}]" in r.err and want in r.err, r.err
    assert h.state(ctid).rc != 0


def test_features_says_idmap(h):
    r = h.rt("features", root=False)
    assert r.rc == 0, r
    f = json.loads(r.out)
    assert f["linux"]["mountExtensions"]["idmap"]["enabled"] is True
    assert "idmap" in f["mountOptions"] and "ridmap" in f["mountOptions"]
