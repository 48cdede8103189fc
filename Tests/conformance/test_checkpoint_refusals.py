"""checkpoint / restore where CRIU cannot work (issue 18): on these hosts CRIU 3.17 fails
`criu check` (the 6.18 kernel's vdso), so both commands must fail with exit 1 and a message
naming the cause, before anything is done: the container keeps running, no image directory
is made, no restored container, cgroup or mount is left. The working paths are tested in
the VM (Tests/vm/criu)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from test_exec_hooks_terminal import create_with_console

pytestmark = pytest.mark.swrun_only


def criu_check_fails() -> bool:
    criu = shutil.which("criu")
    if criu is None:
        return True
    return subprocess.run([criu, "check"], capture_output=True, timeout=60).returncode != 0


def running(h, args=("sleep", "100")):
    ctid, r = h.create(h.config(list(args)))
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    return ctid


CRIU_CAUSES = ("criu not found in PATH", "cannot checkpoint on this kernel: `criu check` failed", "is too old")


@pytest.mark.skipif(not criu_check_fails(), reason="CRIU works on this kernel: the VM tier tests it")
def test_checkpoint_fails_clearly_and_leaves_the_container_running(h):
    ctid = running(h)
    images = h.workdir / "images"
    r = h.rt("checkpoint", "--image-path", images, ctid)
    assert r.rc == 1, r
    assert any(c in r.err for c in CRIU_CAUSES), r.err
    assert f'cannot checkpoint container "{ctid}"' in r.err, r.err
    assert not images.exists()
    assert h.status(ctid) == "running"


def test_checkpoint_without_criu_on_path(h):
    ctid = running(h)
    images = h.workdir / "images"
    p = subprocess.run(h.cmd("checkpoint", "--image-path", images, ctid), capture_output=True, text=True,
                       timeout=30, env={**os.environ, "PATH": "/nonexistent"})
    assert p.returncode == 1, p
    assert "criu not found in PATH" in p.stderr and "install CRIU 3.14 or newer" in p.stderr, p.stderr
    assert not images.exists()
    assert h.status(ctid) == "running"
    # --criu names the program, as runc's global option does.
    r = h.rt("--root", h.root, "--criu", "/nonexistent/criu", "checkpoint", "--image-path", images, ctid, root=False)
    assert r.rc == 1 and "/nonexistent/criu not found" in r.err, r


def test_checkpoint_refuses_a_created_container_and_bad_flags(h):
    ctid, r = h.create(h.config(["true"]))
    assert r.rc == 0, r
    r = h.rt("checkpoint", "--image-path", h.workdir / "i", ctid)
    assert r.rc == 1 and "cannot be checkpointed in created state" in r.err, r
    ctid2 = running(h)
    r = h.rt("checkpoint", "--manage-cgroups-mode", "bogus", "--image-path", h.workdir / "i", ctid2)
    assert r.rc == 1 and "manage-cgroups-mode" in r.err, r
    r = h.rt("checkpoint", "--parent-path", "/abs", "--image-path", h.workdir / "i", ctid2)
    assert r.rc == 1 and "--parent-path must be relative" in r.err, r
    assert not (h.workdir / "i").exists()


def test_checkpoint_of_a_shells_terminal_needs_shell_job(h):
    """The init's stdio is a terminal the container did not make (process.terminal false, a
    pty of the caller's): CRIU dumps it only as a shell job; said before CRIU runs."""
    master, slave = os.openpty()
    try:
        ctid = h.new_id()
        p = subprocess.run(h.cmd("run", "-d", "--bundle", h.bundle(h.config(["sleep", "100"])), ctid),
                           stdin=slave, stdout=slave, stderr=slave, timeout=30)
        assert p.returncode == 0, p
        r = h.rt("checkpoint", "--image-path", h.workdir / "i", ctid)
        assert r.rc == 1, r
        assert "has a terminal" in r.err and "--shell-job" in r.err, r.err
        assert h.status(ctid) == "running"
        assert not (h.workdir / "i").exists()
    finally:
        os.close(slave)
        os.close(master)


@pytest.mark.skipif(not criu_check_fails(), reason="CRIU works on this kernel: the VM tier tests it")
def test_checkpoint_of_the_containers_terminal_needs_no_shell_job(h):
    """process.terminal: the pty is the container's own, dumped as external (restore makes a
    new one for --console-socket), so only CRIU itself can refuse here."""
    ctid, master = create_with_console(h, h.config(["sleep", "100"]))
    try:
        assert h.start(ctid).rc == 0
        r = h.rt("checkpoint", "--image-path", h.workdir / "i", ctid)
        assert r.rc == 1, r
        assert "--shell-job" not in r.err and any(c in r.err for c in CRIU_CAUSES), r.err
        assert h.status(ctid) == "running"
        assert not (h.workdir / "i").exists()
    finally:
        os.close(master)


def test_restore_of_a_terminal_needs_a_console_socket(h):
    """A checkpoint of a container's terminal (swrun's swrun-terminal file) restores only with
    --console-socket (or --shell-job from a terminal): refused before CRIU runs, as is a
    malformed key, and nothing is left."""
    images = h.workdir / "images"
    images.mkdir()
    (images / "inventory.img").write_bytes(b"\0" * 8)
    (images / "swrun-terminal").write_text("tty[8800:1a]\n")
    cfg = h.config(["sh"])
    cfg["process"]["terminal"] = True
    bundle = h.bundle(cfg)
    ctid = h.new_id()
    r = h.rt("restore", "-d", "--image-path", images, "--bundle", bundle, ctid)
    assert r.rc == 1 and "has a terminal" in r.err and "--console-socket" in r.err, r
    (images / "swrun-terminal").write_text("tty[8800:1a] --exec-cmd\n")
    r = h.rt("restore", "-d", "--console-socket", h.workdir / "none.sock", "--image-path", images, "--bundle", bundle, ctid)
    assert r.rc == 1 and "not a terminal key of CRIU" in r.err, r
    assert h.state(ctid).rc != 0
    assert os.listdir(h.root) == []


@pytest.mark.skipif(not criu_check_fails(), reason="CRIU works on this kernel: the VM tier tests it")
def test_restore_fails_clearly_and_leaves_nothing(h):
    images = h.workdir / "images"
    bundle = h.bundle(h.config(["sleep", "100"]))
    ctid = h.new_id()
    r = h.rt("restore", "-d", "--image-path", images, "--bundle", bundle, ctid)
    assert r.rc == 1 and "no checkpoint in" in r.err, r
    images.mkdir()
    (images / "inventory.img").write_bytes(b"\0" * 8)
    r = h.rt("restore", "-d", "--image-path", images, "--bundle", bundle, ctid)
    assert r.rc == 1, r
    assert any(c in r.err for c in CRIU_CAUSES), r.err
    assert f'cannot restore container "{ctid}"' in r.err, r.err
    assert h.state(ctid).rc != 0
    assert os.listdir(h.root) == []


def test_checkpoint_help_succeeds_as_podman_probes_it(h):
    # podman decides a runtime can checkpoint when `RUNTIME checkpoint --help` exits 0.
    for cmd in ("checkpoint", "restore"):
        r = h.rt(cmd, "--help", root=False)
        assert r.rc == 0 and "--image-path" in r.out, r


def test_features_says_what_checkpoint_needs(h):
    import json
    r = h.rt("features", root=False)
    assert r.rc == 0, r
    text = json.loads(r.out)["annotations"]["io.github.swrun.checkpoint"]
    assert "criu >= 3.14" in text and "criu check" in text, text
