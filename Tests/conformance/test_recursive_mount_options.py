"""The recursive mount options (runtime-spec config.md: `rro`, `rnosuid`, `rnodev`, `rnoexec`,
`rnoatime`, `rnosymfollow`... applied with mount_setattr(AT_RECURSIVE)). A host directory with a
tmpfs mounted inside it is bound with `rbind`: a plain `ro` makes only the top mount read-only,
the recursive option every mount below it too. runc 1.1.5 has none of them (its `rro` reaches
the filesystem as data, which a bind ignores: the bind stays writable without a word).
"""

from __future__ import annotations

import subprocess

import pytest

pytestmark = pytest.mark.swrun_only


@pytest.fixture
def volume(h):
    """A host directory with a file and a tmpfs submount (holding a file) inside it."""
    d = h.tmpdir("volume")
    (d / "top").write_text("top\n")
    sub = d / "sub"
    sub.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "swrun-rro-test", str(sub)], check=True, timeout=30)
    try:
        (sub / "inner").write_text("inner\n")
        yield d
    finally:
        subprocess.run(["umount", "-l", str(sub)], timeout=30)


def bind(h, volume, options, args):
    c = h.config(args)
    c["mounts"].append({"destination": "/vol", "type": "bind", "source": str(volume), "options": ["rbind", *options]})
    return c


WRITE_BOTH = "for f in /vol/top /vol/sub/inner; do (echo x >> $f) 2>/dev/null && echo $f=rw || echo $f=ro; done"


def test_rro_makes_every_submount_read_only(h, volume):
    r = h.sh(WRITE_BOTH, bind(h, volume, ["rro"], []))
    assert r.rc == 0, r
    assert r.out.split() == ["/vol/top=ro", "/vol/sub/inner=ro"], r.out
    # The host's side is untouched and still writable.
    assert (volume / "sub" / "inner").read_text() == "inner\n"
    (volume / "sub" / "inner").write_text("host\n")


def test_plain_ro_leaves_submounts_writable(h, volume):
    # What rro is for: the kernel's MS_RDONLY remount of a bind applies to the top mount only.
    r = h.sh(WRITE_BOTH, bind(h, volume, ["ro"], []))
    assert r.rc == 0, r
    assert r.out.split() == ["/vol/top=ro", "/vol/sub/inner=rw"], r.out


def test_recursive_flags_reach_the_submount(h, volume):
    r = h.sh("grep ' /vol/sub ' /proc/self/mountinfo",
             bind(h, volume, ["rnosuid", "rnodev", "rnoexec", "rnoatime", "rnosymfollow"], []))
    assert r.rc == 0, r
    opts = r.out.split()[5].split(",")
    for want in ("nosuid", "nodev", "noexec", "noatime", "nosymfollow"):
        assert want in opts, (want, r.out)


def test_later_option_wins_and_rrw_undoes_rro(h, volume):
    r = h.sh(WRITE_BOTH, bind(h, volume, ["rro", "rrw"], []))
    assert r.rc == 0, r
    assert r.out.split() == ["/vol/top=rw", "/vol/sub/inner=rw"], r.out


def test_rro_in_a_user_namespace(h, volume):
    c = bind(h, volume, ["rro"], [])
    c["linux"]["namespaces"].append({"type": "user"})
    c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
    c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 0, "size": 65536}]
    r = h.sh(WRITE_BOTH, c)
    assert r.rc == 0, r
    assert r.out.split() == ["/vol/top=ro", "/vol/sub/inner=ro"], r.out


def test_features_lists_the_recursive_options(h):
    import json
    r = h.rt("features", root=False)
    assert r.rc == 0, r
    opts = json.loads(r.out)["mountOptions"]
    for want in ("rro", "rrw", "rnosuid", "rnodev", "rnoexec", "rnoatime", "rstrictatime", "rnosymfollow"):
        assert want in opts, want

