"""Bind mounts of a container with a user namespace: the source is reached from the host side
(issue 15). Its root is an unprivileged host ID, which may not search the directories above
a source (a 0700 directory of root's); `create` clones the source on the host side and the
init attaches the clone, so the container gets what runc gives it.
"""

from __future__ import annotations

import subprocess

import pytest


def userns(h, args):
    c = h.config(args)
    c["linux"]["namespaces"].append({"type": "user"})
    c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    return c


@pytest.fixture
def private(h):
    """A directory only the host's root may search, holding a volume and a file."""
    d = h.tmpdir("private")
    d.chmod(0o700)
    vol = d / "vol"
    vol.mkdir()
    (vol / "f").write_text("from the host\n")
    (d / "file").write_text("a file\n")
    return d


def test_directory_under_a_private_parent(h, private):
    c = userns(h, ["cat", "/mnt/f"])
    c["mounts"].append({"destination": "/mnt", "type": "bind", "source": str(private / "vol"), "options": ["rbind"]})
    r = h.run(c)
    assert r.rc == 0, r
    assert r.out == "from the host\n"


def test_file_under_a_private_parent(h, private):
    c = userns(h, ["cat", "/etc/passwd"])
    c["mounts"].append({"destination": "/etc/passwd", "type": "bind", "source": str(private / "file"),
                        "options": ["bind", "ro"]})
    r = h.run(c)
    assert r.rc == 0, r
    assert r.out == "a file\n"


# runc 1.1.5 refuses the plain bind here (EINVAL: from inside the user namespace the kernel
# will not bind a tree without the mounts locked on it); swrun's clone is made on the host
# side, so the plain bind is what it is as root without a user namespace: the top mount alone.
@pytest.mark.swrun_only
def test_rbind_keeps_submounts_and_bind_does_not(h, private):
    sub = private / "vol" / "sub"
    sub.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "swrun-userns-bind", str(sub)], check=True, timeout=30)
    try:
        (sub / "inner").write_text("inner\n")
        for opts, want in ((["rbind"], "inner\n"), (["bind"], "")):
            c = userns(h, ["sh", "-c", "cat /mnt/sub/inner 2>/dev/null; true"])
            c["mounts"].append({"destination": "/mnt", "type": "bind", "source": str(private / "vol"), "options": opts})
            r = h.run(c)
            assert r.rc == 0, r
            assert r.out == want, (opts, r.out)
    finally:
        subprocess.run(["umount", "-l", str(sub)], timeout=30)


def test_options_still_apply_to_a_cloned_source(h, private):
    c = userns(h, ["sh", "-c", "(echo x >> /mnt/f) 2>/dev/null && echo rw || echo ro"])
    c["mounts"].append({"destination": "/mnt", "type": "bind", "source": str(private / "vol"),
                        "options": ["rbind", "ro", "nosuid"]})
    r = h.run(c)
    assert r.rc == 0, r
    assert r.out == "ro\n"
    assert (private / "vol" / "f").read_text() == "from the host\n"


def test_missing_source_is_an_error_naming_it(h, private):
    c = userns(h, ["true"])
    c["mounts"].append({"destination": "/mnt", "type": "bind", "source": str(private / "nope"), "options": ["rbind"]})
    ctid = h.new_id()
    r = h.run(c, ctid=ctid)
    assert r.rc == 1, r
    assert str(private / "nope") in r.err, r.err
    assert h.state(ctid).rc != 0
