"""NUL bytes in config strings: truncated at the C boundary instead of refused."""

import os
import subprocess

import pytest

from conftest import IS_SWRUN, Result, cgroup_mounts, host_mountpoints


def cgroup_dirs_named(prefix: str) -> list[str]:
    found = []
    for m in cgroup_mounts():
        try:
            for dirpath, dirnames, _ in os.walk(m):
                found += [f"{dirpath}/{d}" for d in dirnames if d.startswith(prefix)]
        except OSError:
            pass
    return found


def set_mount_destination(cfg):
    cfg["mounts"].append({"destination": "/\u0000dev/shm", "type": "tmpfs", "source": "tmpfs",
                          "options": ["nosuid", "nodev", "size=1m"]})
    return f"mounts[{len(cfg['mounts']) - 1}].destination"


def set_cgroups_path(cfg):
    cfg["linux"]["cgroupsPath"] = "/sectest-nul\u0000x"
    return "linux.cgroupsPath"


def set_env(cfg):
    cfg["process"]["env"].append("SECTEST=a\u0000LD_PRELOAD=/evil.so")
    return f"process.env[{len(cfg['process']['env']) - 1}]"


def set_args(cfg):
    cfg["process"]["args"] = ["sh", "-c", "echo ran\u0000; touch /planted"]
    return "process.args[2]"


@pytest.mark.parametrize("where", [set_mount_destination, set_cgroups_path, set_env, set_args],
                         ids=["mount-destination", "cgroupsPath", "env", "args"])
def test_nul_byte_in_config_string(h, where):
    """A \\u0000 in a config string (a mount destination "/\\u0000dev/shm" that truncates to
    "/", a cgroupsPath, env, args) must make create fail with exit status 1 (not a signal,
    not a truncated string applied), leaving no state, mount or cgroup behind. swrun must
    say which string (its JSON path): failing later for another reason (a tmpfs on / that
    hides the rootfs: "sh: not found") is not refusing the NUL."""
    cfg = h.config(["sh", "-c", "echo ran; mount"])
    json_path = where(cfg)
    mounts = host_mountpoints()
    try:
        ctid, r = h.create(cfg, timeout=5)
    except subprocess.TimeoutExpired:
        r = Result(-1, "", "create hung: killed after 5 s")
    leftover = cgroup_dirs_named("sectest-nul")
    for d in sorted(leftover, key=len, reverse=True):
        try:
            os.rmdir(d)
        except OSError:
            pass
    assert host_mountpoints() == mounts, "the host's mount table changed"
    assert not leftover, f"cgroup dirs left behind: {leftover}"
    if not IS_SWRUN and r.rc == 0 and where is set_args:
        # runc 1.1.5 accepts it at create; the init's exec after start then fails with
        # EINVAL (Go refuses the NUL), so nothing truncated runs: the attack fails, later.
        h.start(ctid)
        h.wait_status(ctid, "stopped")
        out = h.output(ctid)
        assert "ran" not in out.out, f"the truncated args ran:\n{out}"
        return
    assert r.rc == 1, f"a NUL byte was not refused with exit status 1:\n{r}"
    if IS_SWRUN:
        assert json_path in r.err, f"the error does not name {json_path}:\n{r}"
