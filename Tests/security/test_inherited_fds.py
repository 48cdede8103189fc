"""CVE-2024-21626: a directory fd inherited from the runtime's caller as the container's cwd."""

import secrets
import subprocess

import pytest

from conftest import CMD_TIMEOUT

# Everything relative to the cwd the process starts in: a host cwd shows the secret and
# takes the planted file.
PROBE = "pwd; cat secret.txt; echo planted > planted; ls"


def host_dir(h):
    d = h.tmpdir("hostdir")
    token = f"host-secret-{secrets.token_hex(4)}"
    (d / "secret.txt").write_text(token + "\n")
    return d, token


def with_fd9(h, d, argv):
    """argv run by a shell that opened d as fd 9 (`exec 9<d`): the caller's leaked fd."""
    return subprocess.run(["sh", "-c", 'exec "$@" 9<"$0"', str(d), *argv],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=CMD_TIMEOUT)


def assert_not_on_host(p, d, token):
    entries = sorted(x.name for x in d.iterdir())
    assert token not in p.stdout, f"the container read the host dir through its cwd:\n{p.stdout}\n{p.stderr}"
    assert entries == ["secret.txt"], f"the container wrote into the host dir: {entries}\n{p.stdout}"
    assert (d / "secret.txt").read_text() == token + "\n"
    if p.returncode == 0:
        assert p.stdout.splitlines()[0] != str(d), p.stdout


@pytest.mark.parametrize("preserve", [0, 7], ids=["no-preserve-fds", "preserve-fds-7"])
def test_leaked_dir_fd_as_process_cwd(h, preserve):
    """CVE-2024-21626: process.cwd = /proc/self/fd/9 where fd 9 is a host directory the
    caller left open (with --preserve-fds 7 fd 9 even reaches the container): the process
    must not start with a host cwd; refusing to start is fine."""
    d, token = host_dir(h)
    cfg = h.config(["sh", "-c", PROBE])
    cfg["process"]["cwd"] = "/proc/self/fd/9"
    b = h.bundle(cfg)
    extra = ["--preserve-fds", str(preserve)] if preserve else []
    p = with_fd9(h, d, h.cmd("run", *extra, "--bundle", b, h.new_id()))
    assert_not_on_host(p, d, token)


@pytest.mark.parametrize("preserve", [0, 7], ids=["no-preserve-fds", "preserve-fds-7"])
def test_leaked_dir_fd_as_exec_cwd(h, preserve):
    """CVE-2024-21626 through `exec --cwd /proc/self/fd/9` with fd 9 a host directory the
    caller left open."""
    d, token = host_dir(h)
    ctid, r = h.create(h.config(["sleep", "30"]))
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    extra = ["--preserve-fds", str(preserve)] if preserve else []
    p = with_fd9(h, d, h.cmd("exec", *extra, "--cwd", "/proc/self/fd/9", ctid, "sh", "-c", PROBE))
    assert_not_on_host(p, d, token)
