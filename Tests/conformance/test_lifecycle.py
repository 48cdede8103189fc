"""Lifecycle (runtime-spec runtime.md) and runc CLI behaviour."""

import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import CMD_TIMEOUT, IS_RUNC, processes_under


def alive(pid):
    """True if pid exists and is not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def sleeper(h, *, annotations=None, config=None):
    cfg = config or h.config(["sleep", "100"])
    if annotations is not None:
        cfg["annotations"] = annotations
    return cfg


# -- create / state / start / kill / delete --------------------------------------

def test_create_state_created(h):
    ann = {"org.example.key": "value", "com.example.empty": ""}
    b = h.bundle(sleeper(h, annotations=ann))
    ctid, r = h.create(bundle=b)
    assert r.rc == 0, r
    st = h.state_json(ctid)
    assert st["ociVersion"]
    assert st["id"] == ctid
    assert st["status"] == "created"
    assert isinstance(st["pid"], int) and st["pid"] > 0
    assert os.path.exists(f"/proc/{st['pid']}")
    assert os.path.isabs(st["bundle"])
    assert os.path.realpath(st["bundle"]) == os.path.realpath(b)
    assert st.get("annotations") == ann


def test_state_without_annotations(h):
    ctid, r = h.create(sleeper(h))
    assert r.rc == 0, r
    st = h.state_json(ctid)
    # annotations MAY be absent or empty when the config has none
    assert not st.get("annotations")


def test_start_kill_delete(h):
    ctid, r = h.create(sleeper(h))
    assert r.rc == 0, r
    pid = h.state_json(ctid)["pid"]
    r = h.start(ctid)
    assert r.rc == 0, r
    st = h.state_json(ctid)
    assert st["status"] == "running"
    assert st["pid"] == pid
    r = h.kill(ctid, "SIGKILL")
    assert r.rc == 0, r
    assert h.wait_status(ctid, "stopped") == "stopped"
    r = h.delete(ctid)
    assert r.rc == 0, r
    assert h.state(ctid).rc == 1
    assert not os.path.exists(h.root / ctid)


def test_create_does_not_run_process(h):
    out = h.tmpdir("out")
    cfg = h.config(["sh", "-c", "echo ran > /tmp/ran; sleep 100"])
    cfg["mounts"].append({"destination": "/tmp", "type": "bind",
                          "source": str(out), "options": ["rbind", "rw"]})
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    time.sleep(0.3)
    assert not (out / "ran").exists(), "process ran before start"
    assert h.start(ctid).rc == 0
    assert h.wait_file(out / "ran")
    assert (out / "ran").read_text() == "ran\n"


def test_process_exit_makes_stopped(h):
    ctid, r = h.create(h.config(["true"]))
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    assert h.wait_status(ctid, "stopped") == "stopped"
    assert h.delete(ctid).rc == 0


def test_state_unknown_id_fails(h):
    r = h.state("ct-does-not-exist")
    assert r.rc == 1
    assert r.err.strip()


@pytest.mark.parametrize("cmd", ["start", "kill", "delete"])
def test_unknown_id_fails(h, cmd):
    r = h.rt(cmd, "ct-does-not-exist")
    assert r.rc == 1
    assert r.err.strip()


def test_delete_force_unknown_id_succeeds(h):
    # runc: `delete --force` of a container that does not exist is not an error.
    r = h.delete("ct-does-not-exist", force=True)
    assert r.rc == 0, r


def test_create_duplicate_id_fails(h):
    ctid, r = h.create(sleeper(h))
    assert r.rc == 0, r
    pid = h.state_json(ctid)["pid"]
    _, r2 = h.create(sleeper(h), ctid=ctid)
    assert r2.rc == 1, r2
    st = h.state_json(ctid)
    assert st["status"] == "created" and st["pid"] == pid
    assert h.start(ctid).rc == 0
    assert h.status(ctid) == "running"


def test_start_twice_fails(h):
    ctid, r = h.create(sleeper(h))
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    r = h.start(ctid)
    assert r.rc == 1, r
    assert h.status(ctid) == "running"


@pytest.mark.parametrize("program", ["sleep", "true"])
def test_start_succeeds_when_the_init_lets_go_of_the_fifo_late(h, program):
    """An init that reaches the exec FIFO only after one of start's waits timed out (its
    seccomp filter took long to load, the machine is loaded), and writes its byte and lets go
    of the FIFO before start looks again, was released by that start: start must succeed,
    whether the program still runs (sleep) or has already exited (true).
    Played deterministically: the waiting init is stopped, strace holds each of start's polls
    for a second after it returns, and the init is let go 0.3 s in, inside the first hold."""
    if not shutil.which("strace"):
        pytest.skip("needs strace (scripts/install-deps.sh)")
    ctid, r = h.create(sleeper(h) if program == "sleep" else h.config(["true"]))
    assert r.rc == 0, r
    pid = h.state_json(ctid)["pid"]
    os.kill(pid, signal.SIGSTOP)
    try:
        p = subprocess.Popen(["strace", "-f", "-qq", "-o", os.devnull, "-e", "trace=poll,ppoll",
                              "-e", "inject=poll,ppoll:delay_exit=1000000", *h.cmd("start", ctid)],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(0.3)
    finally:
        os.kill(pid, signal.SIGCONT)
    out, err = p.communicate(timeout=CMD_TIMEOUT)
    assert p.returncode == 0, f"start failed although its init started:\n{out}{err}"
    if program == "sleep":
        assert h.status(ctid) == "running"
        assert alive(pid)
    else:
        assert h.status(ctid) == "stopped"


def test_start_stopped_fails(h):
    ctid, r = h.create(h.config(["true"]))
    assert h.start(ctid).rc == 0
    assert h.wait_status(ctid, "stopped") == "stopped"
    assert h.start(ctid).rc == 1


def test_delete_running_needs_force(h):
    ctid, r = h.create(sleeper(h))
    assert h.start(ctid).rc == 0
    r = h.delete(ctid)
    assert r.rc == 1, r
    assert h.status(ctid) == "running"
    r = h.delete(ctid, force=True)
    assert r.rc == 0, r
    assert h.state(ctid).rc == 1


def test_delete_created_without_force(h):
    # runc (delete.go) destroys a *created* container without --force: the
    # init never ran the user process.  runtime-spec says deleting a
    # non-stopped container must fail; as a drop-in for runc we follow runc.
    ctid, r = h.create(sleeper(h))
    assert r.rc == 0, r
    pid = h.state_json(ctid)["pid"]
    assert h.delete(ctid).rc == 0
    assert h.state(ctid).rc == 1
    for _ in range(100):
        if not alive(pid):
            break
        time.sleep(0.02)
    assert not alive(pid)


def trapper(h, code=0):
    # PID 1 of a PID namespace only gets signals it has a handler for.
    return h.config(["sh", "-c",
                     f"trap 'exit {code}' TERM; while true; do sleep 0.05; done"])


@pytest.mark.parametrize("sig", ["TERM", "SIGTERM", "15"])
def test_kill_signal_names(h, sig):
    ctid, r = h.create(trapper(h))
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    time.sleep(0.1)  # let sh install its trap
    r = h.kill(ctid, sig)
    assert r.rc == 0, r
    assert h.wait_status(ctid, "stopped") == "stopped"


def test_kill_default_signal_is_term(h):
    ctid, r = h.create(trapper(h))
    assert h.start(ctid).rc == 0
    time.sleep(0.1)
    assert h.kill(ctid).rc == 0
    assert h.wait_status(ctid, "stopped") == "stopped"


def test_kill_bad_signal_fails(h):
    ctid, r = h.create(sleeper(h))
    assert h.start(ctid).rc == 0
    r = h.kill(ctid, "SIGNOTASIGNAL")
    assert r.rc == 1, r
    assert h.status(ctid) == "running"


def test_kill_stopped_fails(h):
    ctid, r = h.create(h.config(["true"]))
    assert h.start(ctid).rc == 0
    assert h.wait_status(ctid, "stopped") == "stopped"
    r = h.kill(ctid, "KILL")
    assert r.rc == 1, r
    # containerd's shim maps only this text (or "no such process") to "already finished".
    assert "container not running" in r.err, r.err


def test_kill_all_on_a_stopped_container_succeeds(h):
    """containerd's CRI StopContainer sends `kill --all ID 9` to containers that may have
    exited already; runc answers 0, and anything else leaves the pod unstoppable."""
    ctid, r = h.create(h.config(["true"]))
    assert h.start(ctid).rc == 0
    assert h.wait_status(ctid, "stopped") == "stopped"
    r = h.kill(ctid, "9", all_=True)
    assert r.rc == 0, r
    assert h.status(ctid) == "stopped"


def test_kill_signal_0_probes_liveness(h):
    ctid, r = h.create(sleeper(h))
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    r = h.kill(ctid, "0")
    assert r.rc == 0, r
    assert h.status(ctid) == "running"


def test_kill_all(h):
    # Without a PID namespace, killing the init alone would leave its
    # background child behind; --all must signal every process of the container.
    cfg = h.config(["sh", "-c", "sleep 100 & sleep 101 & wait"])
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "pid"]
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    deadline = time.monotonic() + 3
    while len(processes_under(str(h.rootfs))) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(processes_under(str(h.rootfs))) >= 3
    r = h.kill(ctid, "KILL", all_=True)
    assert r.rc == 0, r
    assert h.wait_status(ctid, "stopped") == "stopped"
    deadline = time.monotonic() + 3
    while processes_under(str(h.rootfs)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert processes_under(str(h.rootfs)) == []


# -- run -----------------------------------------------------------------------

@pytest.mark.parametrize("code", [0, 1, 3, 42])
def test_run_returns_exit_status(h, code):
    r = h.sh(f"exit {code}")
    assert r.rc == code, r


def test_run_stdio_inherited(h):
    r = h.sh("echo to-stdout; echo to-stderr >&2")
    assert r.rc == 0, r
    assert r.out == "to-stdout\n"
    assert "to-stderr\n" in r.err


def test_run_stdin_closed(h):
    r = h.sh("cat; echo rc=$?")
    assert r.rc == 0, r
    assert r.out == "rc=0\n"


def test_run_removes_container(h):
    ctid = h.new_id()
    r = h.run(h.config(["true"]), ctid=ctid)
    assert r.rc == 0, r
    assert h.state(ctid).rc == 1
    assert os.listdir(h.root) == []


def test_run_keep_leaves_a_stopped_container_for_delete(h):
    ctid = h.new_id()
    cfg = h.config(["sh", "-c", "exit 3"])
    cfg["hooks"] = {"poststop": [{"path": "/bin/sh",
                                  "args": ["sh", "-c", f"echo ran >> {h.workdir}/poststop"]}]}
    r = h.run(cfg, ctid=ctid, extra=["--keep"])
    assert r.rc == 3, r
    assert h.status(ctid) == "stopped"
    assert [c["id"] for c in json.loads(h.rt("list", "--format", "json").out)] == [ctid]
    # Kept, not deleted: its poststop hooks run when it is.
    assert not (h.workdir / "poststop").exists()
    assert h.delete(ctid).rc == 0
    assert (h.workdir / "poststop").read_text() == "ran\n"
    assert h.state(ctid).rc != 0
    assert os.listdir(h.root) == []


def test_run_killed_by_signal_is_128_plus_n(h):
    ctid = h.new_id()
    b = h.bundle(sleeper(h))
    p = subprocess.Popen(h.cmd("run", "--bundle", b, ctid), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            r = h.state(ctid)
            if r.rc == 0 and json.loads(r.out)["status"] == "running":
                break
            time.sleep(0.02)
        assert h.kill(ctid, "KILL").rc == 0
        rc = p.wait(timeout=CMD_TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert rc == 128 + 9


def test_run_detach(h):
    ctid = h.new_id()
    b = h.bundle(sleeper(h))
    out = h.workdir / "detach.out"
    with open(out, "wb") as o:
        p = subprocess.run(h.cmd("run", "--detach", "--bundle", b, ctid),
                           stdin=subprocess.DEVNULL, stdout=o, stderr=o,
                           timeout=CMD_TIMEOUT)
    assert p.returncode == 0, out.read_text()
    assert h.status(ctid) == "running"
    assert h.kill(ctid, "KILL").rc == 0
    assert h.wait_status(ctid, "stopped") == "stopped"
    assert h.delete(ctid).rc == 0


def test_bundle_defaults_to_cwd(h):
    b = h.bundle(h.config(["sh", "-c", "exit 5"]))
    ctid = h.new_id()
    r = h.rt("run", ctid, cwd=b)
    assert r.rc == 5, r


def test_relative_root_path_resolved_against_bundle(h):
    cfg = h.config(["sh", "-c", "exit 4"])
    cfg["root"]["path"] = "rootfs"
    b = h.bundle(cfg)
    h.rootfs_copy(b / "rootfs")  # runc rejects a symlinked rootfs
    r = h.run(bundle=b)
    assert r.rc == 4, r


# -- list / pid-file / spec ----------------------------------------------------

def test_list_table_and_json(h):
    ctid, r = h.create(sleeper(h))
    assert r.rc == 0, r
    pid = h.state_json(ctid)["pid"]
    r = h.rt("list")
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0].split()[:4] == ["ID", "PID", "STATUS", "BUNDLE"]
    rows = [l.split() for l in lines[1:]]
    row = next(x for x in rows if x[0] == ctid)
    assert row[1] == str(pid) and row[2] == "created"
    r = h.rt("list", "--format", "json")
    assert r.rc == 0, r
    items = json.loads(r.out)
    item = next(x for x in items if x["id"] == ctid)
    assert item["pid"] == pid and item["status"] == "created"
    import pwd
    assert item["owner"] == pwd.getpwuid(os.geteuid()).pw_name, item
    assert row[-1] == item["owner"], row
    assert os.path.realpath(item["bundle"]) == os.path.realpath(h.bundles[-1])
    r = h.rt("list", "-q")
    assert r.rc == 0 and r.out.split() == [ctid]


def test_list_empty(h):
    r = h.rt("list", "--format", "json")
    assert r.rc == 0, r
    assert r.out.strip() == "null", r  # runc prints Go's nil slice
    r = h.rt("list", "-q")
    assert r.rc == 0 and r.out.strip() == ""


def test_pid_file(h):
    pidfile = h.workdir / "ct.pid"
    ctid, r = h.create(sleeper(h), extra=["--pid-file", pidfile])
    assert r.rc == 0, r
    assert int(pidfile.read_text().strip()) == h.state_json(ctid)["pid"]


def test_pid_file_relative_to_cwd(h):
    # runc resolves a relative --pid-file against its working directory.
    ctid = h.new_id()
    b = h.bundle(sleeper(h))
    with open(h.workdir / "o", "wb") as o:
        p = subprocess.run(h.cmd("create", "--bundle", b, "--pid-file", "rel.pid", ctid),
                           stdin=subprocess.DEVNULL, stdout=o, stderr=o,
                           cwd=h.workdir, timeout=CMD_TIMEOUT)
    assert p.returncode == 0, (h.workdir / "o").read_text()
    assert int((h.workdir / "rel.pid").read_text()) == h.state_json(ctid)["pid"]


def test_spec_generates_runnable_config(h):
    d = h.tmpdir("specbundle")
    r = h.rt("spec", "--bundle", d)
    assert r.rc == 0, r
    cfg = json.loads((d / "config.json").read_text())
    assert cfg["ociVersion"]
    assert cfg["root"]["path"] == "rootfs"
    assert cfg["process"]["terminal"] is True
    ns = {n["type"] for n in cfg["linux"]["namespaces"]}
    assert {"pid", "network", "ipc", "uts", "mount"} <= ns
    # a second `spec` must not overwrite it
    r2 = h.rt("spec", "--bundle", d)
    assert r2.rc == 1, r2
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = ["sh", "-c", "hostname; exit 6"]
    (d / "config.json").write_text(json.dumps(cfg))
    h.rootfs_copy(d / "rootfs")
    h.bundles.append(d)
    r = h.run(bundle=d)
    assert r.rc == 6, r
    assert r.out.strip() == cfg["hostname"]


@pytest.mark.swrun_only  # runc has no state.json until its hooks have run
def test_state_creating_while_create_runs(h):
    """While `create` is still at work (here: a slow createRuntime hook), state says creating."""
    marker = h.workdir / "hook-started"
    cfg = sleeper(h)
    cfg["hooks"] = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", f"touch {marker}; sleep 2"]}]}
    import subprocess
    ctid = h.new_id()
    b = h.bundle(cfg)
    p = subprocess.Popen(h.cmd("create", "--bundle", b, ctid), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert h.wait_file(marker, timeout=10, nonempty=False)
        st = h.state_json(ctid)
        assert st["status"] == "creating", st
        assert p.wait(timeout=20) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert h.status(ctid) == "created"
