"""Masks, read-only paths and procfs writes go through fds whose identity was checked
(issue 12, classes 3-5: CVE-2025-31133, CVE-2025-52881, a fake /proc).

Functional checks and simple, non-racing versions of the attacks; the racing ones are in
Tests/security.  Every redirect target is the UTS-namespaced kernel/domainname of the
container itself, never a host-global file.
"""

import os

import pytest

from conftest import IS_SWRUN


def ok(r):
    assert r.rc == 0, r
    return r.out


def mountinfo(text):
    """{mountpoint: (mount options, fstype)} (the last mount on a path wins)."""
    out = {}
    for line in text.splitlines():
        pre, _, post = line.partition(" - ")
        f, p = pre.split(), post.split()
        out[f[4]] = (set(f[5].split(",")), p[0])
    return out


def host_domainname():
    with open("/proc/sys/kernel/domainname") as f:
        return f.read()


def check_refused(h, r, ctid, *json_paths):
    assert r.rc == 1, r
    assert r.err.strip(), "no error message on stderr"
    assert h.state(ctid).rc == 1, "a refused create left a container behind"
    if IS_SWRUN and json_paths:
        assert any(p in r.err for p in json_paths), f"error should name one of {json_paths}: {r.err}"


# -- masks and read-only paths still do their job ---------------------------------

def test_masked_dirs_are_readonly_tmpfs(h):
    # (that they and the masked files read empty: test_container.py's test_masked_paths)
    cfg = h.config()
    dirs = [p for p in cfg["linux"]["maskedPaths"] if os.path.isdir(p)]
    assert dirs, "host has none of the default masked directories"
    ents = mountinfo(ok(h.sh("cat /proc/self/mountinfo", cfg)))
    for d in dirs:
        opts, fstype = ents[d]
        assert fstype == "tmpfs" and "ro" in opts, (d, ents[d])


@pytest.mark.swrun_only  # runc 1.1.5's /dev/null masks are writable binds
def test_masked_files_are_readonly_mounts(h):
    cfg = h.config()
    files = [p for p in cfg["linux"]["maskedPaths"] if os.path.isfile(p)]
    ents = mountinfo(ok(h.sh("cat /proc/self/mountinfo", cfg)))
    for f in files:
        opts, _ = ents[f]
        assert "ro" in opts, (f, ents[f])


def test_readonly_paths_with_a_mask_below(h):
    cfg = h.config()
    cfg["linux"]["maskedPaths"].append("/proc/sys/kernel/domainname")
    cfg["domainname"] = "masked.example"
    out = ok(h.sh("wc -c < /proc/sys/kernel/domainname; echo ---; cat /proc/self/mountinfo", cfg))
    n, _, mi = out.partition("---\n")
    assert n.strip() == "0", out
    ents = mountinfo(mi)
    assert "ro" in ents["/proc/sys"][0], ents.get("/proc/sys")
    assert "/proc/sys/kernel/domainname" in ents


# -- CVE-2025-31133: the mask source and target are what they claim to be -----------

@pytest.mark.swrun_only  # runc 1.1.5 follows the link and masks its target
def test_symlinked_masked_path_does_not_redirect(h):
    rootfs = h.rootfs_copy()
    (rootfs / "etc" / "kept").write_text("kept\n")
    os.symlink("/etc/kept", rootfs / "etc" / "masklink")
    os.symlink("/usr/bin", rootfs / "etc" / "dirlink")
    cfg = h.config()
    cfg["root"]["path"] = str(rootfs)
    cfg["linux"]["maskedPaths"] += ["/etc/masklink", "/etc/dirlink"]
    out = ok(h.sh("echo $(cat /etc/masklink | wc -c) $(cat /etc/kept) $(ls /etc/dirlink/ | wc -l) "
                  "$(ls /usr/bin | wc -l)", cfg))
    n = out.split()
    # the link names are masked; what they point to is untouched
    assert n[0] == "0" and n[1] == "kept" and n[2] == "0" and int(n[3]) > 10, out


@pytest.mark.swrun_only  # runc 1.1.5 binds whatever /dev/null has become (the CVE)
@pytest.mark.parametrize("fake", ["symlink", "file"])
def test_fake_dev_null_fails_create(h, fake):
    """A createContainer hook (in the container's mount namespace, after /dev is made and
    before the masks) swaps /dev/null, as whoever shares /dev could: create must refuse to
    mask with it, and the container's domainname (the link's target) stays unbound."""
    rootfs = h.rootfs_copy()
    dev = rootfs / "dev"
    swap = (f"ln -s /proc/sys/kernel/domainname {dev}/null" if fake == "symlink"
            else f"echo not-null > {dev}/null")
    # Only ever inside the container's mount namespace: /dev there is the runtime's tmpfs.
    script = f"grep -q ' {dev} ' /proc/self/mountinfo || exit 9; rm -f {dev}/null && {swap}"
    cfg = h.config(["true"])
    cfg["root"]["path"] = str(rootfs)
    cfg["domainname"] = "victim.example"
    cfg["hooks"] = {"createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", script]}]}
    ctid, r = h.create(cfg)
    check_refused(h, r, ctid, "linux.maskedPaths[")
    if IS_SWRUN:
        assert "null device" in r.err, r.err


# -- CVE-2025-52881: sysctls are written to procfs or not at all ----------------------

@pytest.mark.parametrize("volume", ["symlink", "file"])
def test_sysctl_redirected_by_a_volume_over_proc_sys_net_fails(h, volume):
    """A volume over /proc/sys/net whose ipv4/ip_forward is a symlink to kernel/domainname
    (or a plain file): the write must not land anywhere, create fails, nothing is left."""
    vol = h.tmpdir("net")
    (vol / "ipv4").mkdir()
    if volume == "symlink":
        os.symlink("../../kernel/domainname", vol / "ipv4" / "ip_forward")
    else:
        (vol / "ipv4" / "ip_forward").write_text("0\n")
    before = host_domainname()
    cfg = h.config(["true"])
    cfg["domainname"] = "victim.example"
    cfg["mounts"].append({"destination": "/proc/sys/net", "type": "bind", "source": str(vol),
                          "options": ["rbind"]})
    cfg["linux"]["sysctl"] = {"net.ipv4.ip_forward": "redirected"}
    ctid, r = h.create(cfg)
    # Refused by the runtime's write (linux.sysctl...) or already by mount validation (mounts[6]).
    check_refused(h, r, ctid, "linux.sysctl.net.ipv4.ip_forward", "mounts[6]")
    assert host_domainname() == before
    if volume == "file":
        assert (vol / "ipv4" / "ip_forward").read_text() == "0\n"


def test_sysctl_still_written(h):
    cfg = h.config(["cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/domainname"])
    cfg["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.domainname": "sysctl.example"}
    assert ok(h.run(cfg)).split() == ["1", "sysctl.example"]


# -- class 5: /proc must be the kernel's ----------------------------------------------

def test_fake_proc_fails_create(h):
    """A host directory bound onto /proc, with a fake sys/kernel and self/fd inside."""
    fake = h.tmpdir("fakeproc")
    for d in ("sys/kernel", "self/fd", "sys/net/ipv4"):
        (fake / d).mkdir(parents=True)
    (fake / "sys/kernel/domainname").write_text("fake\n")
    (fake / "keys").write_text("fake keys\n")
    for n in range(64):  # whatever fd number the init waits on, it "exists" here
        (fake / "self/fd" / str(n)).write_text("")
    snapshot = {p: p.read_bytes() for p in fake.rglob("*") if p.is_file()}
    cfg = h.config(["true"])
    cfg["mounts"][0] = {"destination": "/proc", "type": "bind", "source": str(fake),
                        "options": ["rbind"]}
    ctid, r = h.create(cfg)
    check_refused(h, r, ctid, "mounts")
    after = {p: p.read_bytes() for p in fake.rglob("*") if p.is_file()}
    assert after == snapshot, "the runtime wrote into the fake /proc"


@pytest.mark.swrun_only  # runc 1.1.5 follows the link and makes its target read-only
def test_symlinked_readonly_path_is_refused(h):
    rootfs = h.rootfs_copy()
    os.symlink("/etc", rootfs / "rolink")
    cfg = h.config(["true"])
    cfg["root"]["path"] = str(rootfs)
    cfg["linux"]["readonlyPaths"].append("/rolink")
    ctid, r = h.create(cfg)
    check_refused(h, r, ctid, f"linux.readonlyPaths[{len(cfg['linux']['readonlyPaths']) - 1}]")
