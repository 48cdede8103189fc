"""Rootless podman and buildah with swrun as their runtime, as an unprivileged user made for
this module (issue 15). podman runs swrun inside its own user namespace (uid 0 there, the
user's subordinate range mapped), with the cgroupfs manager on this v1/hybrid host: the
containers run in the user's cgroups. Storage is vfs, in the user's home.
"""

from __future__ import annotations

import json
import os
import shutil
import stat

import pytest

from conftest import IMAGE
from harness import podman_containers_conf
from unprivileged import UnprivilegedUser

USER = "swrun-rl-engines"


@pytest.fixture(scope="module")
def rl(runtime, image_archive):
    u = UnprivilegedUser(USER)
    try:
        u.runtime = u.install(runtime)
        conf = u.home / ".config" / "containers"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "containers.conf").write_text(podman_containers_conf(u.runtime))
        (conf / "storage.conf").write_text('[storage]\ndriver = "vfs"\n')
        archive = u.home / "busybox.tar"
        shutil.copy(image_archive, archive)
        u.give(u.home)
        r = u.run(["podman", "load", "-i", archive], timeout=120)
        assert r.returncode == 0, r
        yield u
        # podman's state of what the tests ran: none may be left.
        ps = u.run(["podman", "ps", "-aq"])
        assert ps.stdout.strip() == "", f"containers left in podman: {ps.stdout}"
        state = u.xdg / "swrun"
        if state.exists():
            assert list(state.iterdir()) == [], f"swrun state left: {list(state.iterdir())}"
    finally:
        # podman's rootless pause process holds its user namespace: it goes with the user.
        u.remove()


def podman(u, *args, timeout=120):
    return u.run(["podman", "--runtime", "swrun", *args], timeout=timeout)


def test_podman_run_maps_the_subordinate_range(rl):
    r = podman(rl, "run", "--rm", "--network", "none", IMAGE, "sh", "-c", "cat /proc/self/uid_map; id -u")
    assert r.returncode == 0, r
    f = r.stdout.split()
    sub = rl.subid_start("/etc/subuid")
    assert f[:6] == ["0", str(rl.uid), "1", "1", str(sub), "65536"], r.stdout
    assert f[6] == "0", r.stdout


def test_podman_detached_exec_tty_stop_rm(rl):
    r = podman(rl, "run", "-d", "--network", "none", "--name", "rl-d", IMAGE,
               "sh", "-c", "trap 'exit 0' TERM; echo started; sleep 1000 & wait")
    assert r.returncode == 0, r
    try:
        e = podman(rl, "exec", "rl-d", "sh", "-c", "echo exec-ok; cat /proc/1/cmdline | tr '\\0' ' '")
        assert e.returncode == 0 and e.stdout.startswith("exec-ok\n") and "sleep 1000" in e.stdout, e
        t = podman(rl, "exec", "-t", "rl-d", "tty")
        assert t.returncode == 0 and t.stdout.strip().startswith("/dev/pts/"), t
        s = podman(rl, "stop", "-t", "10", "rl-d")
        assert s.returncode == 0, s
        i = podman(rl, "inspect", "rl-d")
        st = json.loads(i.stdout)[0]["State"]
        assert st["Status"] == "exited" and st["ExitCode"] == 0, st
    finally:
        r = podman(rl, "rm", "-f", "rl-d")
    assert r.returncode == 0, r


@pytest.fixture
def tun_for_users():
    """/dev/net/tun as a distribution has it: systemd's udev rules make it 0666, for rootless
    networking. Machines without udev keep the kernel's 0600, which no unprivileged slirp4netns
    can open (with runc as well). The mode is put back after the test."""
    tun = "/dev/net/tun"
    if not os.path.exists(tun):
        pytest.fail(tun + " is missing: slirp4netns needs the tun driver", pytrace=False)
    mode = stat.S_IMODE(os.stat(tun).st_mode)
    if mode & 0o006 != 0o006:
        os.chmod(tun, 0o666)
    try:
        yield
    finally:
        os.chmod(tun, mode)


def test_podman_with_slirp4netns_network(rl, tun_for_users):
    if not shutil.which("slirp4netns"):
        pytest.fail("slirp4netns is not installed (scripts/install-engines.sh installs it)", pytrace=False)
    r = podman(rl, "run", "--rm", "--network", "slirp4netns", IMAGE, "ip", "-o", "-4", "addr", "show", "dev", "tap0")
    assert r.returncode == 0, r
    assert "10.0.2.100/24" in r.stdout, r.stdout


def test_buildah_run_and_build_with_run_steps(rl):
    ctx = rl.home / "ctx"
    ctx.mkdir(exist_ok=True)
    (ctx / "Containerfile").write_text(f"FROM {IMAGE}\nRUN echo built > /built && id -u > /id\nRUN test -s /built\n")
    rl.give(ctx)
    # Network none: buildah's default network (netavark) cannot set up here, with runc too.
    b = rl.run(["buildah", "--runtime", rl.runtime, "bud", "--network", "none", "--isolation", "oci",
                "-t", "localhost/rl-built:1", ctx], timeout=300)
    assert b.returncode == 0, b
    r = podman(rl, "run", "--rm", "--network", "none", "localhost/rl-built:1", "cat", "/built", "/id")
    assert r.returncode == 0 and r.stdout.split() == ["built", "0"], r
    c = rl.run(["buildah", "from", IMAGE])
    assert c.returncode == 0, c
    name = c.stdout.strip()
    try:
        r = rl.run(["buildah", "--runtime", rl.runtime, "run", "--network", "none", "--isolation", "oci",
                    name, "--", "sh", "-c", "cat /proc/self/uid_map | wc -l"])
        assert r.returncode == 0 and r.stdout.strip() == "2", r
    finally:
        rl.run(["buildah", "rm", name])
    rl.run(["podman", "rmi", "localhost/rl-built:1"])

