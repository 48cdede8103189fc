"""Regressions for classes swrun resists at main f666e4e: /dev/console redirection
(CVE-2025-52565), inheritable capabilities (CVE-2022-29162), the host's disk as a device."""

import os
import secrets
import shutil
import struct
import subprocess
import time

import pytest

from conftest import DEFAULT_CAPS, console_socket, without_mounts

REDIRECT = "/proc/sys/kernel/domainname"   # UTS-namespaced: harmless to redirect to


def read_all(fd: int, timeout: float = 5.0) -> str:
    out, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 4096)
        except OSError:   # EIO: the pty's other side is closed
            break
        if not chunk:
            break
        out += chunk
    return out.decode(errors="replace")


def test_dev_console_symlink_is_not_followed(h):
    """CVE-2025-52565: with process.terminal, the runtime bind-mounts the pty onto
    /dev/console; an image whose /dev/console is a symlink to a procfs file (here the
    harmless kernel/domainname; in the attack core_pattern or sysrq-trigger) makes a runtime
    that follows it mount the pty over that file, before masks and read-only paths. No
    mount may land on the symlink's target."""
    rootfs = h.rootfs_copy()
    os.symlink(REDIRECT, rootfs / "dev" / "console")
    os.symlink("pts/ptmx", rootfs / "dev" / "ptmx")
    cfg = without_mounts(h.config(["sh", "-c",
                                   f"echo MOUNTS; grep ' {REDIRECT} ' /proc/self/mountinfo; "
                                   f"echo TYPE $(stat -L -c %F {REDIRECT}); echo END"]),
                         "/dev", "/dev/shm", "/dev/mqueue")
    cfg["root"]["path"] = str(rootfs)
    cfg["process"]["terminal"] = True
    with console_socket(h) as (sock, accept):
        ctid, r = h.create(cfg, extra=("--console-socket", sock))
        assert r.rc == 0, r
        master = accept()
    try:
        assert h.start(ctid).rc == 0
        out = read_all(master)
    finally:
        os.close(master)
    assert "END" in out, out
    mounted = out.split("MOUNTS", 1)[1].split("TYPE", 1)[0].strip()
    assert not mounted, f"a mount landed on {REDIRECT} through /dev/console:\n{out}"
    assert "TYPE regular" in out, f"{REDIRECT} is no longer the procfs file:\n{out}"


def file_inheritable_cap(path, cap: int):
    """security.capability v2: inheritable {cap}, effective bit set (what setcap cap+ie does)."""
    os.setxattr(path, "security.capability", struct.pack("<IIIII", 0x02000001, 0, 1 << cap, 0, 0))


def test_inheritable_capabilities_not_granted_beyond_config(h):
    """CVE-2022-29162: a process given inheritable capabilities the config did not list
    gains them when it execs a file with those inheritable file capabilities. Played: uid
    1000 runs a `cat` with inheritable file cap CAP_DAC_OVERRIDE on a root-only secret; the
    bounding set allows it, the config lists no inheritable caps. Control (the mechanism
    works): the same with inheritable [CAP_DAC_OVERRIDE] in the config reads the secret."""
    rootfs = h.rootfs_copy()
    secret = f"sectest-secret-{secrets.token_hex(4)}"
    (rootfs / "root" / "secret").write_text(secret + "\n")
    (rootfs / "root" / "secret").chmod(0o600)
    (rootfs / "opt" / "cap").mkdir(parents=True)
    cat = rootfs / "opt" / "cap" / "cat"   # busybox picks the applet from the name
    shutil.copy2(rootfs / "bin" / "busybox", cat)
    try:
        file_inheritable_cap(cat, 1)   # CAP_DAC_OVERRIDE
    except OSError as e:
        pytest.skip(f"cannot set file capabilities here: {e}")

    def run(inheritable):
        cfg = h.config(["sh", "-c", "grep -E '^Cap(Inh|Amb)' /proc/self/status; /opt/cap/cat /root/secret"])
        cfg["root"]["path"] = str(rootfs)
        cfg["process"]["user"] = {"uid": 1000, "gid": 1000}
        cfg["process"]["noNewPrivileges"] = False
        caps = {"bounding": DEFAULT_CAPS + ["CAP_DAC_OVERRIDE"], "effective": [], "permitted": []}
        if inheritable:
            caps["inheritable"] = inheritable
        cfg["process"]["capabilities"] = caps
        return h.run(cfg)

    control = run(["CAP_DAC_OVERRIDE"])
    if secret not in control.out:
        pytest.skip(f"inheritable file capabilities do not take effect here:\n{control}")
    r = run(None)
    assert "CapInh:\t0000000000000000" in r.out, f"inheritable capabilities beyond the config:\n{r}"
    assert secret not in r.out, f"uid 1000 read a root-only file through inheritable caps:\n{r}"


@pytest.fixture
def host_block_device(h):
    """(major, minor, what): the host's root disk if the host itself can read it, else a
    loop device over a scratch image (a real host block device; this sandbox forbids even
    the host's root to open its disk); skips if neither exists."""
    st = os.stat("/")
    major, minor = os.major(st.st_dev), os.minor(st.st_dev)
    node = f"/sys/dev/block/{major}:{minor}"
    if major != 0 and os.path.exists(node):
        dev = f"/dev/{os.path.basename(os.path.realpath(node))}"
        try:
            os.close(os.open(dev, os.O_RDONLY))
            yield major, minor, f"the host's root disk {dev}"
            return
        except OSError as e:
            why = f"the host's own root cannot open its disk {dev} ({e.strerror})"
    else:
        why = f"/ is not on a block device (dev {major}:{minor})"
    img = h.workdir / "disk.img"
    img.write_bytes(b"SECTEST-HOST-DISK" + bytes(65536 - 17))
    p = subprocess.run(["losetup", "-f", "--show", str(img)], capture_output=True, text=True)
    if p.returncode != 0:
        pytest.skip(f"{why}, and no loop device: {p.stderr.strip()}")
    loop = p.stdout.strip()
    try:
        rdev = os.stat(loop).st_rdev
        yield os.major(rdev), os.minor(rdev), f"a host loop device {loop} ({why})"
    finally:
        subprocess.run(["losetup", "-d", loop], check=True)


def test_host_disk_device_denied_by_default(h, host_block_device):
    """linux.devices naming a host block device (the root disk where the host may read it):
    the node is created, but with the default device-cgroup deny the container must not
    read it. Control (the node does reach the disk): the same with an allow rule for it
    reads 512 bytes."""
    major, minor, what = host_block_device

    def run(allow):
        cfg = h.config(["sh", "-c", "echo READ $(head -c 512 /dev/hostdisk | wc -c)"])
        cfg["linux"]["devices"] = [{"path": "/dev/hostdisk", "type": "b", "major": major,
                                    "minor": minor, "fileMode": 0o600}]
        if allow:
            cfg["linux"]["resources"] = {"devices": [
                {"allow": False, "access": "rwm"},
                {"allow": True, "type": "b", "major": major, "minor": minor, "access": "r"}]}
        return h.run(cfg)

    control = run(True)
    assert "READ 512" in control.out, f"{what} could not be read even when allowed: the check proves nothing:\n{control}"
    r = run(False)
    assert "READ 0" in r.out, f"the container read {what} ({major}:{minor}):\n{r}"
