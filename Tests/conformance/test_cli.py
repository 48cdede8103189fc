"""The runc CLI contract engines depend on: global flags, log lines, flag spellings,
signal forwarding by `run`, and clear refusals of what is not supported."""

import json
import os
import shutil
import signal
import subprocess

import pytest

from conftest import CMD_TIMEOUT, IS_RUNC, IS_SWRUN, apparmor_enabled


def test_log_format_json_error_lines(h):
    # containerd's shim and conmon parse these lines: {"level","msg","time"}.
    log = h.workdir / "runtime.log"
    r = h.rt("--log", log, "--log-format", "json", "create", "--bundle", h.workdir / "nope",
             "no-such-container")
    assert r.rc == 1, r
    lines = [json.loads(l) for l in log.read_text().splitlines() if l.strip()]
    errors = [l for l in lines if l["level"] == "error"]
    assert errors, lines
    assert "nope" in errors[-1]["msg"]
    assert errors[-1]["time"].endswith("Z") or "+" in errors[-1]["time"]
    # The error also reaches stderr, for people.
    assert "nope" in r.err


def test_log_format_text(h):
    log = h.workdir / "runtime.log"
    r = h.rt("--log", log, "--log-format", "text", "create", "--bundle", h.workdir / "nope",
             "no-such-container")
    assert r.rc == 1
    text = log.read_text()
    assert "level=error" in text and "nope" in text and 'time="' in text


def test_log_records_child_errors(h):
    # An error inside the container's init reaches create's log, not just an exit code.
    log = h.workdir / "runtime.log"
    b = h.bundle(h.config(["/no/such/binary"]))
    r = h.rt("--log", log, "--log-format", "json", "create", "--bundle", b, h.new_id())
    assert r.rc == 1, r
    msgs = [json.loads(l)["msg"] for l in log.read_text().splitlines()]
    assert any("/no/such/binary" in m for m in msgs), msgs


@pytest.mark.skipif(IS_RUNC, reason="runc does not accept -log with one dash on every command")
def test_single_dash_long_flags(h):
    cfg = h.config(["sh", "-c", "echo single"])
    b = h.bundle(cfg)
    p = subprocess.run([h.runtime, "-root", str(h.root), "run", "-bundle", str(b), h.new_id()],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=CMD_TIMEOUT)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "single"


def test_short_bundle_flag_and_equals_form(h):
    cfg = h.config(["sh", "-c", "echo short"])
    b = h.bundle(cfg)
    r = h.rt("run", "-b", b, h.new_id())
    assert r.rc == 0, r
    assert r.out.strip() == "short"
    r = h.rt("run", f"--bundle={b}", h.new_id())
    assert r.rc == 0, r


def test_run_forwards_signals(h):
    # `run` in the foreground forwards SIGTERM to the container; the container's trap
    # sees it and exits with its own status.
    ready = h.workdir / "ready"
    cfg = h.config(["sh", "-c", "trap 'echo got-term; exit 42' TERM; touch /w/ready; "
                                "while true; do sleep 0.05; done"])
    cfg["mounts"].append({"destination": "/w", "type": "bind", "source": str(h.workdir),
                          "options": ["rbind", "rw"]})
    b = h.bundle(cfg)
    p = subprocess.Popen(h.cmd("run", "--bundle", b, h.new_id()), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert h.wait_file(ready, nonempty=False), "container did not start"
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=CMD_TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 42, (out, err)
    assert "got-term" in out


def test_systemd_cgroup_without_systemd_fails_clearly(h):
    """This host has no systemd as init: --systemd-cgroup must say so, exit 1 and leave no
    state (the harness checks cgroups, mounts and processes at teardown)."""
    if os.path.isdir("/run/systemd/system"):
        pytest.skip("systemd runs here: the VM tier tests the driver")
    cfg = h.config(["true"])
    cfg["linux"]["cgroupsPath"] = "machine.slice:swrun-test:c1"
    b = h.bundle(cfg)
    ctid = h.new_id()
    r = h.rt("--systemd-cgroup", "run", "--bundle", b, ctid)
    assert r.rc == 1, r
    assert "systemd" in r.err, r.err
    if IS_SWRUN:
        assert "not running" in r.err, r.err
    assert h.state(ctid).rc == 1, "a failed run left a container behind"


def test_version(h):
    r = h.rt("--version", root=False)
    assert r.rc == 0
    assert "version" in r.out and "spec" in r.out


def test_arguments_reach_the_program_intact(h, tmp_path):
    """Spaces, non-ASCII and an empty argument arrive as given (the release binary takes argv
    from its own ELF constructor, not from the Swift runtime's /proc/self/maps walk)."""
    root = tmp_path / "state root with spaces"
    r = h.rt("--root", root, "state", "ünï cödé", root=False)
    assert r.rc == 1, r
    if IS_SWRUN:  # runc's message does not name the ID
        assert '"ünï cödé"' in r.err, r.err  # the ID, verbatim, in the error
    r = h.rt("--root", root, "list", "-q", root=False)
    assert r.rc == 0 and r.out == "", r
    r = h.rt("--root", root, "state", "", root=False)
    assert r.rc == 1 and r.err, r


@pytest.mark.swrun_only  # a start-up cost, not behaviour: runc is Go
def test_startup_does_not_read_proc_maps(h):
    if not shutil.which("strace"):
        pytest.skip("needs strace (scripts/install-deps.sh)")
    p = subprocess.run(["strace", "-f", "-e", "trace=execve,openat,open", h.runtime, "--version"],
                       capture_output=True, text=True, timeout=CMD_TIMEOUT)
    assert p.returncode == 0 and "version" in p.stdout, p
    # strace saw the exec (the static release binary opens nothing at all): the check means something
    assert "execve(" in p.stderr, p.stderr
    opened = [l for l in p.stderr.splitlines() if "open" in l]
    assert not [l for l in opened if "/proc/self/maps" in l], opened


@pytest.mark.parametrize("field,value", [("apparmorProfile", "docker-default"), ("selinuxLabel", "system_u:system_r:container_t:s0")])
def test_lsm_label_that_cannot_be_applied_fails_create(h, field, value):
    # runtime.md: a property that cannot be applied is an error (runc 1.1.5 fails both too).
    # AppArmor for real is tested in the VM (Tests/vm/cgroupfs/test_apparmor.py).
    if field == "apparmorProfile" and apparmor_enabled():
        pytest.skip("AppArmor is enabled on this host")
    cfg = h.config(["true"])
    cfg["process"][field] = value
    ctid, r = h.create(cfg)
    assert r.rc == 1, r
    if IS_SWRUN:
        assert f"process.{field}" in r.err and "not enabled" in r.err, r.err
    assert h.state(ctid).rc != 0


@pytest.mark.swrun_only  # runc 1.1.5 ignores --apparmor where AppArmor is absent
def test_exec_apparmor_that_cannot_be_applied_fails(h):
    if apparmor_enabled():
        pytest.skip("AppArmor is enabled on this host")
    ctid, r = h.create(h.config(["sleep", "100"]))
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    e = h.rt("exec", "--apparmor", "docker-default", ctid, "sh", "-c", "echo ran")
    assert e.rc == 255 and "ran" not in e.out, e
    assert "process.apparmorProfile" in e.err, e.err


@pytest.mark.swrun_only  # runc 1.1.5 ignores it silently
def test_mount_label_without_selinux_is_warned(h):
    cfg = h.config(["true"])
    cfg["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0"
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    assert "linux.mountLabel" in r.err and "not applied" in r.err, r.err


# The command-line parser (Sources/swrun/CommandLineParser.swift): runc's spellings and
# messages, and the forms the swift-argument-parser front end accepted before it.

def _running(h, args=("sleep", "100")):
    ctid, r = h.create(h.config(list(args)))
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    return ctid


def test_help_exits_zero(h):
    for args in (["--help"], ["help"], ["create", "--help"], ["exec", "-h"]):
        r = h.rt(*args)
        assert r.rc == 0, (args, r)
        assert r.out.strip(), (args, r)


def test_usage_errors_exit_one_with_a_message(h):
    # runc: "requires exactly 1 argument(s)", "flag provided but not defined: -bogus".
    for args, word in ((["create"], "argument"), (["start", "a", "b"], "argument"),
                       (["kill"], "argument"), (["delete", "--bogus", "x"], "bogus"),
                       (["create", "--preserve-fds", "x", "c"], "preserve-fds")):
        r = h.rt(*args)
        assert r.rc == 1, (args, r)
        assert word in r.err, (args, r.err)


@pytest.mark.swrun_only  # runc (urfave/cli) takes no options after the first argument
def test_options_after_the_id_and_bool_values(h):
    ctid = _running(h)
    r = h.rt("delete", ctid, "--force=false")
    assert r.rc == 1 and "not stopped" in r.err, r
    assert h.rt("kill", ctid, "KILL", "-a").rc == 0
    h.wait_status(ctid, "stopped")
    assert h.rt("delete", ctid, "-f").rc == 0


def test_exec_takes_everything_after_the_id(h):
    # Options after the ID belong to the command, as in runc.
    ctid = _running(h)
    r = h.rt("exec", "-e", "A=1", "-e", "B=2", ctid, "sh", "-c", 'echo "$A$B" "$@"', "x", "--env", "C=3")
    assert r.rc == 0, r
    assert r.out.strip() == "12 --env C=3", r
    if IS_SWRUN:  # runc runs "--" as the program
        r = h.rt("exec", ctid, "--", "echo", "-n", "dashed")
        assert r.rc == 0 and r.out == "dashed", r
    if IS_SWRUN:  # runc 1.1 does not group short flags
        r = h.rt("exec", "-dt", "--console-socket", "/nonexistent", ctid, "true")
        assert r.rc != 0 and "/nonexistent" in r.err, r
    assert h.rt("delete", "--force", ctid).rc == 0
