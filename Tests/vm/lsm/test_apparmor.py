"""AppArmor for real (issue 16): the VM's kernel has AppArmor enabled at a plain boot and
Debian's apparmor_parser loads profiles. A profile denying writes under /etc confines the
container's program (process.apparmorProfile) and an exec'd one (`exec --apparmor`); the
control container without it writes there. The profile is unloaded at the end."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from vmlib import harness

PROFILE_NAME = "swrun-test-deny-etc"
# attach_disconnected: the sealed exec stub (confined from its exec on) opens the exec FIFO,
# which lies outside the container's mounts, as docker-default allows.
PROFILE = f"""\
profile {PROFILE_NAME} flags=(attach_disconnected,mediate_deleted) {{
  file,
  capability,
  network,
  unix,
  signal,
  deny /etc/** w,
}}
"""
WRITE = "(echo x > /etc/probe) 2>/dev/null && echo wrote || echo denied"


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    if not harness.apparmor_enabled():
        pytest.fail("AppArmor is not enabled in this VM's kernel", pytrace=False)
    parser = shutil.which("apparmor_parser") or "/usr/sbin/apparmor_parser"
    f = tmp_path_factory.mktemp("apparmor") / PROFILE_NAME
    f.write_text(PROFILE)
    r = subprocess.run([parser, "-r", str(f)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    yield PROFILE_NAME
    subprocess.run([parser, "-R", str(f)], capture_output=True, timeout=120)


def config(h, script, profile=None):
    c = h.config(["sh", "-c", script])
    # A writable /etc: only the profile may stop the write.
    c["mounts"].append({"destination": "/etc", "type": "tmpfs", "source": "tmpfs", "options": ["mode=755"]})
    if profile:
        c["process"]["apparmorProfile"] = profile
    return c


def test_profile_confines_the_containers_program(h, profile):
    r = h.run(config(h, "cat /proc/self/attr/current; " + WRITE, profile))
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0].startswith(profile) and "enforce" in lines[0], r.out
    assert lines[1] == "denied", r.out


def test_without_a_profile_the_write_goes_through(h, profile):
    r = h.run(config(h, "cat /proc/self/attr/current; " + WRITE))
    assert r.rc == 0, r
    assert r.out.splitlines() == ["unconfined", "wrote"], r.out


def test_exec_apparmor_confines_the_execd_process_only(h, profile):
    ctid, r = h.create(config(h, "sleep 1000"))
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    e = h.rt("exec", "--apparmor", profile, ctid, "sh", "-c", "cat /proc/self/attr/current; " + WRITE)
    assert e.rc == 0, e
    assert e.out.splitlines()[0].startswith(profile) and e.out.splitlines()[1] == "denied", e.out
    init = h.rt("exec", ctid, "cat", "/proc/1/attr/current")
    assert init.rc == 0 and init.out.strip() == "unconfined", init


def test_a_profile_not_loaded_is_an_error(h, profile):
    ctid, r = h.create(config(h, "true", "swrun-no-such-profile"))
    assert r.rc == 1, r
    # runc 1.1.5 also fails, with "write /proc/self/attr/apparmor/exec: no such file or directory".
    if harness.IS_SWRUN:
        assert "process.apparmorProfile" in r.err and "not loaded" in r.err, r.err
    assert h.state(ctid).rc != 0
