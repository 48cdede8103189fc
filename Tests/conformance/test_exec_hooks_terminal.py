"""exec, ps, pause/resume, features, hooks at their lifecycle points, and terminals whose
pty master arrives over --console-socket (runc's contract with conmon and containerd)."""

import array
import json
import os
import socket
import subprocess
import time

import pytest

from conftest import CMD_TIMEOUT, IS_RUNC, PATH_ENV, read_until


def running(h, args=None, cfg=None):
    cfg = cfg or h.config(args or ["sleep", "100"])
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    return ctid


def test_exec_shares_pid_namespace_and_hostname(h):
    cfg = h.config(["sleep", "100"])
    cfg["hostname"] = "exec-host"
    ctid = running(h, cfg=cfg)
    r = h.rt("exec", ctid, "sh", "-c", "hostname; ps -o pid,args")
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0] == "exec-host"
    assert any(l.split()[0] == "1" and "sleep 100" in l for l in lines[1:]), r.out


def test_exec_exit_status_and_user(h):
    ctid = running(h)
    assert h.rt("exec", ctid, "sh", "-c", "exit 7").rc == 7
    r = h.rt("exec", "--user", "1000:1000", ctid, "id", "-u")
    assert r.rc == 0 and r.out.strip() == "1000", r
    r = h.rt("exec", "--env", "FOO=bar", "--cwd", "/tmp", ctid, "sh", "-c", "echo $FOO $(pwd)")
    assert r.out.strip() == "bar /tmp", r


def test_exec_process_file(h):
    ctid = running(h)
    proc = h.config(["sh", "-c", "echo from-file $X"])["process"]
    proc["env"] = ["PATH=/bin:/usr/bin", "X=42"]
    f = h.workdir / "process.json"
    f.write_text(json.dumps(proc))
    r = h.rt("exec", "--process", f, ctid)
    assert r.rc == 0, r
    assert r.out.strip() == "from-file 42"


def test_exec_without_terminal_leads_a_new_session(h):
    # runc's exec always calls setsid: the process leads its own session and process group,
    # both visible in the container's PID namespace (an inherited group from outside shows 0).
    ctid = running(h)
    r = h.rt("exec", ctid, "sh", "-c", "echo $$; cut -d' ' -f5,6 /proc/$$/stat")
    assert r.rc == 0, r
    pid, ids = r.out.splitlines()
    assert ids.split() == [pid, pid], r.out


def test_exec_missing_binary_fails(h):
    ctid = running(h)
    r = h.rt("exec", ctid, "/no/such/binary")
    assert r.rc != 0
    assert h.status(ctid) == "running"


def test_exec_in_stopped_container_fails(h):
    # runc exits 255 for every exec that fails before the process runs; engines read it.
    ctid, r = h.create(h.config(["true"]))
    assert h.start(ctid).rc == 0
    assert h.wait_status(ctid, "stopped") == "stopped"
    r = h.rt("exec", ctid, "true")
    assert r.rc == 255, r
    assert "exec failed" in r.err, r.err


def test_exec_detach_pid_file(h):
    ctid = running(h)
    pidfile = h.workdir / "exec.pid"
    # A detached process keeps the runtime's stdio: give it files, not pipes.
    with open(h.workdir / "exec.out", "wb") as out:
        p = subprocess.run(h.cmd("exec", "--detach", "--pid-file", pidfile, ctid, "sleep", "50"),
                           stdin=subprocess.DEVNULL, stdout=out, stderr=out, timeout=CMD_TIMEOUT)
    assert p.returncode == 0, (h.workdir / "exec.out").read_text()
    pid = int(pidfile.read_text())
    r = h.rt("ps", "--format", "json", ctid)
    assert r.rc == 0, r
    pids = json.loads(r.out)
    assert pid in pids and h.state_json(ctid)["pid"] in pids


def test_pause_resume(h):
    ctid = running(h, ["sh", "-c", "while true; do sleep 0.01; done"])
    assert h.rt("pause", ctid).rc == 0
    assert h.status(ctid) == "paused"
    pid = h.state_json(ctid)["pid"]
    assert open(f"/proc/{pid}/stat").read().split(") ")[1][0] in "DS"
    assert h.rt("resume", ctid).rc == 0
    assert h.status(ctid) == "running"
    assert h.rt("resume", ctid).rc == 1


def test_delete_force_of_paused_container(h):
    ctid = running(h)
    assert h.rt("pause", ctid).rc == 0
    assert h.delete(ctid, force=True).rc == 0


@pytest.mark.skipif(IS_RUNC, reason="runc 1.1.5 has no features command")
def test_features_document(h):
    r = h.rt("features", root=False)
    assert r.rc == 0, r
    f = json.loads(r.out)
    assert f["ociVersionMin"] == "1.0.0"
    assert set(f["hooks"]) == {"prestart", "createRuntime", "createContainer", "startContainer",
                               "poststart", "poststop"}
    assert "user" in f["linux"]["namespaces"] and "time" in f["linux"]["namespaces"]
    assert "CAP_SYS_ADMIN" in f["linux"]["capabilities"]
    assert "rbind" in f["mountOptions"] and "rprivate" in f["mountOptions"]


def hook(h, name, phase_file, script=None):
    return {"path": "/bin/sh",
            "args": ["sh", "-c", script or f"cat > {h.workdir}/{name}.json; echo {name} >> {phase_file}"]}


@pytest.mark.swrun_only  # runc 1.1.5 fails the OCI suite's hooks/hooks_stdin programs too
def test_hooks_order_and_state(h):
    order = h.workdir / "order"
    cfg = h.config(["sh", "-c", f"echo process >> /w/order"])
    cfg["mounts"].append({"destination": "/w", "type": "bind", "source": str(h.workdir),
                          "options": ["rbind", "rw"]})
    cfg["annotations"] = {"org.example/key": "value"}
    cfg["hooks"] = {
        "prestart": [hook(h, "prestart", order)],
        "createRuntime": [hook(h, "createRuntime", order)],
        "createContainer": [hook(h, "createContainer", order)],
        "startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "echo startContainer >> /w/order"]}],
        "poststart": [hook(h, "poststart", order)],
        "poststop": [hook(h, "poststop", order)],
    }
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    assert order.read_text().split() == ["prestart", "createRuntime", "createContainer"]
    st = json.loads((h.workdir / "createRuntime.json").read_text())
    assert st["id"] == ctid and st["pid"] == h.state_json(ctid)["pid"]
    assert st["annotations"] == {"org.example/key": "value"}
    assert h.start(ctid).rc == 0
    assert h.wait_status(ctid, "stopped") == "stopped"
    assert h.delete(ctid).rc == 0
    got = order.read_text().split()
    assert got[:4] == ["prestart", "createRuntime", "createContainer", "startContainer"]
    assert set(got[4:6]) == {"process", "poststart"} and got[6] == "poststop", got
    assert json.loads((h.workdir / "poststart.json").read_text())["status"] == "running"
    assert json.loads((h.workdir / "poststop.json").read_text())["status"] == "stopped"


def test_hooks_without_env_inherit_an_environment(h):
    # runc and crun: a hook without `env` is not run with an empty environment. The hooks of
    # the runtime's namespace get the runtime's own (PATH included); those run in the
    # container namespace get the container process's, never the engine's variables.
    def dump(where):
        # What the hook was given, plus what the shell adds to the environment it exports.
        return {"path": "/bin/sh", "args": ["sh", "-c", f"cat /proc/self/environ > {where}"]}
    cfg = h.config(["true"])
    cfg["mounts"].append({"destination": "/w", "type": "bind", "source": str(h.workdir),
                          "options": ["rbind", "rw"]})
    host_phases = ["prestart", "createRuntime", "poststart", "poststop"]
    cfg["hooks"] = {p: [dump(h.workdir / f"env.{p}")] for p in host_phases}
    cfg["hooks"]["createContainer"] = [dump(h.workdir / "env.createContainer")]
    cfg["hooks"]["startContainer"] = [dump("/w/env.startContainer")]
    runtime_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    env = {"PATH": runtime_path, "HOOK_MARKER": "from-the-runtime"}
    r = h.rt("run", "--bundle", h.bundle(cfg), h.new_id(), env=env)
    assert r.rc == 0, r
    def got(phase):
        return (h.workdir / f"env.{phase}").read_text().split("\0")
    for phase in host_phases:
        e = got(phase)
        assert f"PATH={runtime_path}" in e and "HOOK_MARKER=from-the-runtime" in e, (phase, e)
    for phase in ("createContainer", "startContainer"):
        e = got(phase)
        assert PATH_ENV in e and "TERM=xterm" in e, (phase, e)
        assert not any(v.startswith("HOOK_MARKER=") for v in e), (phase, e)


@pytest.mark.swrun_only  # runc 1.1.5 tells start it may go on before running these hooks
def test_failing_start_container_hook_fails_start_and_the_process_never_runs(h):
    cfg = h.config(["sh", "-c", "echo ran > /w/ran"])
    cfg["mounts"].append({"destination": "/w", "type": "bind", "source": str(h.workdir),
                          "options": ["rbind", "rw"]})
    cfg["hooks"] = {"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 4"]}]}
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    r = h.start(ctid)
    assert r.rc == 1, r
    assert h.wait_status(ctid, "stopped") == "stopped"
    assert not (h.workdir / "ran").exists()
    assert h.delete(ctid).rc == 0


def test_failing_prestart_hook_fails_create_and_leaves_nothing(h):
    cfg = h.config(["true"])
    cfg["hooks"] = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "echo broken >&2; exit 3"]}]}
    ctid, r = h.create(cfg)
    assert r.rc == 1, r
    if not IS_RUNC:
        assert "hooks.prestart[0]" in r.err and "status 3" in r.err and "broken" in r.err, r.err
    # the harness teardown asserts no state, cgroup, mount or process is left


def test_hook_timeout(h):
    cfg = h.config(["true"])
    cfg["hooks"] = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}
    t0 = time.monotonic()
    ctid, r = h.create(cfg)
    assert r.rc == 1, r
    assert time.monotonic() - t0 < 10
    if not IS_RUNC:
        assert "timed out" in r.err, r.err


@pytest.mark.swrun_only  # runc 1.1.5 fails start on it (the OCI suite's poststart_fail)
def test_failing_poststart_hook_is_a_warning(h):
    cfg = h.config(["true"])
    cfg["hooks"] = {"poststart": [{"path": "/bin/false", "args": ["false"]}]}
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    r = h.start(ctid)
    if not IS_RUNC:
        assert r.rc == 0, r


def recv_fd(conn):
    fds = array.array("i")
    msg, anc, flags, addr = conn.recvmsg(1024, socket.CMSG_LEN(fds.itemsize))
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.frombytes(data[:fds.itemsize])
    return msg, fds[0]


def create_with_console(h, cfg):
    """create with process.terminal and a console socket of the test's: (id, pty master)."""
    sock_path = h.workdir / "console.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(sock_path))
    srv.listen(1)
    cfg["process"]["terminal"] = True
    ctid, r = h.create(cfg, extra=("--console-socket", sock_path))
    assert r.rc == 0, r
    srv.settimeout(5)
    conn, _ = srv.accept()
    _, master = recv_fd(conn)
    conn.close()
    srv.close()
    return ctid, master


def test_terminal_over_console_socket(h):
    cfg = h.config(["sh", "-c", "tty; stty size; test -t 0 && echo stdin-is-tty"])
    cfg["process"]["consoleSize"] = {"height": 33, "width": 101}
    ctid, master = create_with_console(h, cfg)
    assert h.start(ctid).rc == 0
    out = read_until(master, b"stdin-is-tty", 5)
    os.close(master)
    text = out.decode(errors="replace")
    assert "/dev/pts/" in text, text
    assert "33 101" in text, text
    assert "stdin-is-tty" in text, text


def test_terminal_without_console_socket_fails_create(h):
    cfg = h.config(["true"])
    cfg["process"]["terminal"] = True
    ctid, r = h.create(cfg)
    assert r.rc == 1, r


# runc also proxies, but insists on a controlling terminal of its own (/dev/tty), which a
# test process does not have; swrun proxies for any stdio.
@pytest.mark.swrun_only
def test_run_terminal_foreground_proxies_the_pty(h):
    """`run` with a terminal and no console socket: the runtime holds the pty and copies
    between it and its own stdio, and still returns the process's exit status."""
    cfg = h.config(["sh", "-c", "tty; stty size; read x; echo got:$x; exit 3"])
    cfg["process"]["terminal"] = True
    cfg["process"]["consoleSize"] = {"height": 21, "width": 77}
    ctid = h.new_id()
    p = subprocess.run(h.cmd("run", "--bundle", h.bundle(cfg), ctid), input=b"hello\n",
                       capture_output=True, timeout=30)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 3, (p.returncode, out, p.stderr)
    assert "/dev/pts/" in out and "21 77" in out and "got:hello" in out, out
    assert h.state(ctid).rc == 1


@pytest.mark.swrun_only
def test_exec_tty_foreground_proxies_the_pty(h):
    ctid, r = h.create(h.config(["sleep", "30"]))
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    p = subprocess.run(h.cmd("exec", "-t", ctid, "sh", "-c", "tty; exit 4"), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=30)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 4, (p.returncode, out, p.stderr)
    assert "/dev/pts/" in out, out


@pytest.mark.swrun_only  # runc 1.1.5 runs `--user ""` and `--user :` as root
@pytest.mark.parametrize("flags", [["--preserve-fds=-1"], ["--preserve-fds", "4000000000"],
                                   ["--preserve-fds", "99999999999999999999"],
                                   ["--user", ""], ["--user", ":"], ["--user", "1:x"]])
def test_exec_bad_cli_values_fail_cleanly(h, flags):
    """Bad CLI values end in an error naming the flag, with exit status 1 (a usage error)
    or 255 (runc's for an exec that failed), never in a trap (SIGILL) of swrun or of the
    process it starts."""
    ctid = running(h)
    r = h.rt("exec", *flags, ctid, "true")
    assert r.rc in (1, 255), r
    assert flags[0].split("=")[0] in r.err, r.err
    assert h.status(ctid) == "running"
