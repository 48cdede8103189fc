"""linux.seccomp: profiles translated with libseccomp as runc does (runtime-spec
config-linux.md "Seccomp").  Runs against swrun and runc alike; checks of
swrun's own messages are marked swrun_only."""

from __future__ import annotations

import array
import errno
import json
import os
import socket
import threading

import pytest

from conftest import static_binary

EPERM_TEXT = "Operation not permitted"
ENOSYS_TEXT = "Function not implemented"
SIGSYS_EXIT = 128 + 31

# Enough for busybox sh and its applets, for defaultAction SCMP_ACT_ERRNO (a
# subset of Docker's/runc's default allow list; names this libseccomp does not
# know are skipped).
ALLOW_LIST = """
access arch_prctl brk capget capset chdir chmod chown clock_getres clock_gettime
clock_nanosleep clone clone3 close close_range dup dup2 dup3 epoll_create1 epoll_ctl
epoll_pwait epoll_wait execve execveat exit exit_group faccessat faccessat2 fadvise64
fchdir fchmod fchmodat fchown fchownat fcntl fstat fstatfs futex getcwd getdents
getdents64 getegid geteuid getgid getgroups getpgid getpgrp getpid getppid getpriority
getrandom getresgid getresuid getrlimit get_robust_list getrusage getsid gettid
gettimeofday getuid ioctl kill lseek lstat madvise mmap mprotect mremap munmap
nanosleep newfstatat open openat openat2 pipe pipe2 poll ppoll prctl pread64
prlimit64 pselect6 read readlink readlinkat readv rseq rt_sigaction rt_sigprocmask
rt_sigreturn rt_sigsuspend rt_sigtimedwait sched_getaffinity sched_yield select
setgid setgroups setpgid setresgid setresuid setsid setuid set_robust_list
set_tid_address sigaltstack stat statfs statx sysinfo tgkill time times umask uname
vfork wait4 waitid write writev
""".split()


def seccomp_config(h, default="SCMP_ACT_ALLOW", syscalls=(), **extra):
    cfg = h.config()
    cfg["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                          "options": ["nosuid", "nodev", "mode=1777"]})
    cfg["linux"]["seccomp"] = {"defaultAction": default,
                               "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
                                                 "SCMP_ARCH_X32"],
                               "syscalls": list(syscalls), **extra}
    return cfg


MKDIR = ["mkdir", "mkdirat"]


def test_errno_defaults_to_eperm(h):
    cfg = seccomp_config(h, syscalls=[{"names": MKDIR, "action": "SCMP_ACT_ERRNO"}])
    r = h.sh("mkdir /tmp/x; echo rc=$?; touch /tmp/y && echo touched", cfg)
    assert r.rc == 0, r
    assert EPERM_TEXT in r.err, r
    assert "rc=1" in r.out and "touched" in r.out, r


def test_errno_ret(h):
    cfg = seccomp_config(h, syscalls=[{"names": MKDIR, "action": "SCMP_ACT_ERRNO",
                                       "errnoRet": 38}])
    r = h.sh("mkdir /tmp/x; echo rc=$?", cfg)
    assert ENOSYS_TEXT in r.err and "rc=1" in r.out, r


def test_default_errno_with_allow_list(h):
    cfg = seccomp_config(h, default="SCMP_ACT_ERRNO",
                         syscalls=[{"names": ALLOW_LIST, "action": "SCMP_ACT_ALLOW"}])
    r = h.sh("echo hello; mkdir /tmp/x; echo rc=$?", cfg)
    assert r.rc == 0, r
    assert "hello" in r.out and "rc=1" in r.out and EPERM_TEXT in r.err, r


def test_default_errno_ret(h):
    cfg = seccomp_config(h, default="SCMP_ACT_ERRNO", defaultErrnoRet=38,
                         syscalls=[{"names": ALLOW_LIST, "action": "SCMP_ACT_ALLOW"}])
    r = h.sh("mkdir /tmp/x; echo rc=$?", cfg)
    assert ENOSYS_TEXT in r.err and "rc=1" in r.out, r


def test_rule_equal_to_default_is_skipped(h):
    cfg = seccomp_config(h, syscalls=[{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"},
                                      {"names": MKDIR, "action": "SCMP_ACT_ERRNO"}])
    r = h.sh("mkdir /tmp/x; echo rc=$?", cfg)
    assert "rc=1" in r.out, r


KILL_USR1 = {"index": 1, "value": 10, "op": "SCMP_CMP_EQ"}  # SIGUSR1


def test_arg_filter(h):
    cfg = seccomp_config(h, syscalls=[{"names": ["kill"], "action": "SCMP_ACT_ERRNO",
                                       "args": [KILL_USR1]}])
    r = h.sh("trap '' USR1 USR2; kill -USR1 $$; echo usr1=$?; kill -USR2 $$; echo usr2=$?", cfg)
    assert "usr1=1" in r.out and "usr2=0" in r.out, r


def test_args_on_different_indexes_are_anded(h):
    # kill(1, SIGUSR1) only: the shell is PID 1 of the container.
    cfg = seccomp_config(h, syscalls=[{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [
        {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, KILL_USR1]}])
    r = h.sh("trap '' USR1; kill -USR1 1; echo pid1=$?; "
             "sleep 5 & kill -USR1 $!; echo child=$?; kill $!; wait", cfg)
    assert "pid1=1" in r.out and "child=0" in r.out, r


def test_args_on_the_same_index_are_ored(h):
    cfg = seccomp_config(h, syscalls=[{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [
        KILL_USR1, {"index": 1, "value": 12, "op": "SCMP_CMP_EQ"}]}])
    r = h.sh("trap '' USR1 USR2 HUP; kill -USR1 $$; echo usr1=$?; kill -USR2 $$; echo usr2=$?; "
             "kill -HUP $$; echo hup=$?", cfg)
    assert "usr1=1" in r.out and "usr2=1" in r.out and "hup=0" in r.out, r


def test_masked_eq(h):
    # value is the mask, valueTwo the datum (runc): signals with bit 3 set (8..15).
    cfg = seccomp_config(h, syscalls=[{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [
        {"index": 1, "value": 8, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}]}])
    r = h.sh("trap '' USR1 HUP; kill -USR1 $$; echo usr1=$?; kill -HUP $$; echo hup=$?", cfg)
    assert "usr1=1" in r.out and "hup=0" in r.out, r


@pytest.mark.parametrize("action", ["SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL"])
def test_kill_actions(h, action):
    cfg = seccomp_config(h, syscalls=[{"names": ["sync"], "action": action}])
    r = h.sh("echo before; sh -c sync; echo rc=$?", cfg)
    assert "before" in r.out and f"rc={SIGSYS_EXIT}" in r.out, r


def test_without_no_new_privileges(h):
    cfg = seccomp_config(h, syscalls=[{"names": MKDIR, "action": "SCMP_ACT_ERRNO"}])
    cfg["process"]["noNewPrivileges"] = False
    r = h.sh("grep NoNewPrivs /proc/self/status; mkdir /tmp/x; echo rc=$?", cfg)
    assert r.rc == 0, r
    assert "rc=1" in r.out and EPERM_TEXT in r.err, r
    assert "NoNewPrivs:\t0" in r.out, r


@pytest.mark.parametrize("nnp", [True, False])
def test_non_root_user(h, nnp):
    cfg = seccomp_config(h, syscalls=[{"names": MKDIR, "action": "SCMP_ACT_ERRNO"}])
    cfg["process"]["noNewPrivileges"] = nnp
    cfg["process"]["user"] = {"uid": 1000, "gid": 1000}
    r = h.sh("id -u; mkdir /tmp/x; echo rc=$?", cfg)
    assert r.rc == 0, r
    assert "1000" in r.out and "rc=1" in r.out and EPERM_TEXT in r.err, r


@pytest.mark.swrun_only  # runc 1.1.5: "seccomp flags are not yet supported"
def test_flags_log_and_spec_allow(h):
    cfg = seccomp_config(h, syscalls=[{"names": MKDIR, "action": "SCMP_ACT_ERRNO"}],
                         flags=["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"])
    r = h.sh("mkdir /tmp/x; echo rc=$?", cfg)
    assert "rc=1" in r.out, r


def test_unknown_syscall_is_skipped(h):
    cfg = seccomp_config(h, syscalls=[{"names": ["no_such_syscall", "mkdir", "mkdirat"],
                                       "action": "SCMP_ACT_ERRNO"}])
    r = h.sh("mkdir /tmp/x; echo rc=$?", cfg)
    assert r.rc == 0 and "rc=1" in r.out, r


@pytest.mark.swrun_only
def test_unknown_syscall_warns(h):
    cfg = seccomp_config(h, syscalls=[{"names": ["no_such_syscall"], "action": "SCMP_ACT_ERRNO"}])
    r = h.sh("true", cfg)
    assert r.rc == 0, r
    # A runc-style log line on stderr (no --log): level=warning msg="..." with the message quoted.
    msgs = [json.loads(l.split(" msg=", 1)[1]) for l in r.err.splitlines() if "level=warning msg=" in l]
    assert any('linux.seccomp.syscalls[0].names[0]: unknown syscall "no_such_syscall"' in m for m in msgs), r


def test_bad_action_fails_create(h):
    cfg = seccomp_config(h, syscalls=[{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"},
                                      {"names": ["mkdir"], "action": "SCMP_ACT_FOO"}])
    ctid, r = h.create(cfg)
    assert r.rc == 1, r


@pytest.mark.swrun_only
@pytest.mark.parametrize("mutate, path, text", [
    (lambda s: s["syscalls"][1].update(action="SCMP_ACT_FOO"),
     "linux.seccomp.syscalls[1].action", 'unknown action "SCMP_ACT_FOO"'),
    (lambda s: s.update(defaultAction="SCMP_ACT_BAR"),
     "linux.seccomp.defaultAction", 'unknown action "SCMP_ACT_BAR"'),
    (lambda s: s["syscalls"][1].update(args=[{"index": 0, "value": 1, "op": "SCMP_CMP_XX"}]),
     "linux.seccomp.syscalls[1].args[0].op", 'unknown operator "SCMP_CMP_XX"'),
    (lambda s: s["syscalls"][1].update(args=[{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]),
     "linux.seccomp.syscalls[1].args[0].index", "6 is out of range (0 to 5)"),
    (lambda s: s["architectures"].append("SCMP_ARCH_VAX"),
     "linux.seccomp.architectures[3]", 'unknown architecture "SCMP_ARCH_VAX"'),
    (lambda s: s.update(flags=["SECCOMP_FILTER_FLAG_NOPE"]),
     "linux.seccomp.flags[0]", 'unknown flag "SECCOMP_FILTER_FLAG_NOPE"'),
    (lambda s: s["syscalls"][1].update(action="SCMP_ACT_ALLOW", errnoRet=5),
     "linux.seccomp.syscalls[1].errnoRet", "SCMP_ACT_ALLOW takes no errno value"),
    (lambda s: s["syscalls"][1].update(action="SCMP_ACT_NOTIFY"),
     "linux.seccomp.listenerPath", "required when a rule uses SCMP_ACT_NOTIFY"),
])
def test_config_errors_name_their_path(h, mutate, path, text):
    cfg = seccomp_config(h, syscalls=[{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"},
                                      {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}])
    mutate(cfg["linux"]["seccomp"])
    ctid, r = h.create(cfg)
    assert r.rc == 1, r
    assert f"{path}: {text}" in r.err, r
    assert h.rt("state", ctid).rc != 0  # nothing left behind


class Agent(threading.Thread):
    """A seccomp agent that takes the notify fd and the state, then closes the
    fd: every notified syscall then fails with ENOSYS."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(1)
        self.sock.settimeout(10)
        self.payload = None
        self.fds = []
        self.links = []

    def run(self):
        try:
            conn, _ = self.sock.accept()
            conn.settimeout(10)
            fds = array.array("i")
            msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(4 * fds.itemsize))
            for level, typ, data in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                    fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
            self.fds = list(fds)
            self.payload = msg
            self.links = [os.readlink(f"/proc/self/fd/{fd}") for fd in fds]
            for fd in fds:
                os.close(fd)
            conn.close()
        except OSError:
            pass
        finally:
            self.sock.close()


def test_notify_sends_fd_and_state(h):
    path = h.workdir / "agent.sock"
    agent = Agent(path)
    agent.start()
    cfg = seccomp_config(h, syscalls=[{"names": MKDIR, "action": "SCMP_ACT_NOTIFY"}],
                         listenerPath=str(path), listenerMetadata="hello-agent")
    cfg["annotations"] = {"a": "b"}
    r = h.sh("mkdir /tmp/x; echo rc=$?", cfg)
    agent.join(10)
    assert r.rc == 0, r
    assert "rc=1" in r.out and ENOSYS_TEXT in r.err, r
    assert len(agent.fds) == 1, agent.payload
    st = json.loads(agent.payload)
    assert st["fds"] == ["seccompFd"] and st["metadata"] == "hello-agent", st
    assert st["state"]["id"] == h.ids[-1] and st["state"]["bundle"] == str(h.bundles[-1]), st
    assert st["state"]["annotations"] == {"a": "b"} and st["pid"] > 1, st
    assert st["state"]["pid"] == st["pid"], st


def test_notify_for_exec_process(h):
    """An exec'd process gets the container's filter, and its notify fd reaches the listener
    (connected from the host: the listener's path is outside the container)."""
    path = h.workdir / "agent.sock"
    first = Agent(path)
    first.start()
    cfg = seccomp_config(h, syscalls=[{"names": MKDIR, "action": "SCMP_ACT_NOTIFY"}],
                         listenerPath=str(path))
    cfg["process"]["args"] = ["sleep", "30"]
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    first.join(10)
    assert len(first.fds) == 1, first.payload
    os.unlink(path)
    second = Agent(path)
    second.start()
    r = h.rt("exec", ctid, "sh", "-c", "mkdir /tmp/y; echo rc=$?")
    second.join(10)
    assert r.rc == 0, r
    assert "rc=1" in r.out and ENOSYS_TEXT in r.err, r
    assert len(second.fds) == 1, second.payload
    st = json.loads(second.payload)
    assert st["state"]["id"] == ctid and st["fds"] == ["seccompFd"], st


# --------------------------------------------------------------------------
# The ENOSYS patch (runc's libcontainer/seccomp/patchbpf): with a default action
# that denies, a syscall newer than every syscall the profile names gets ENOSYS
# (glibc then falls back) instead of the default errno.
# --------------------------------------------------------------------------

SYSPROBE_C = r"""
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        long nr = strtol(argv[i], NULL, 0);
        errno = 0;
        long rc = syscall(nr, 0, 0, 0, 0, 0, 0);
        printf("%ld=%d\n", nr, rc < 0 ? errno : 0);
    }
    return 0;
}
"""

EACCES = 13
ENOSYS = 38
CLONE3, OPENAT2, PIDFD_GETFD, PROCESS_MADVISE, GETRANDOM = 435, 437, 438, 440, 318

# The allow list without anything numbered from openat2 (437) up: openat2 itself,
# listed below with EACCES, is the profile's largest syscall; clone3 (435) is left out.
ENOSYS_ALLOW = [n for n in ALLOW_LIST if n not in ("openat2", "faccessat2", "clone3")]


@pytest.fixture(scope="module")
def sysprobe(tmp_path_factory):
    """A static program that makes each raw syscall(N) it is given and prints N=errno."""
    return static_binary(tmp_path_factory, "sysprobe", SYSPROBE_C)


def with_sysprobe(cfg, sysprobe):
    cfg["mounts"].append({"destination": "/sysprobe", "type": "bind", "source": str(sysprobe),
                          "options": ["bind", "ro"]})
    return cfg


def probe_errnos(out):
    return {int(k): int(v) for k, v in (l.split("=") for l in out.split() if "=" in l and l[0].isdigit())}


def enosys_profile(h, sysprobe, default="SCMP_ACT_ERRNO", extra_allow=(), **extra):
    return with_sysprobe(seccomp_config(h, default=default, syscalls=[
        {"names": ENOSYS_ALLOW + list(extra_allow), "action": "SCMP_ACT_ALLOW"},
        {"names": ["openat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": EACCES},
    ], **extra), sysprobe)


def test_enosys_for_syscalls_newer_than_the_profile(h, sysprobe):
    cfg = enosys_profile(h, sysprobe)
    r = h.sh(f"/sysprobe {CLONE3} {OPENAT2} {PIDFD_GETFD} {PROCESS_MADVISE} 1000; "
             "echo hello; ls /tmp >/dev/null && echo ls-ok; mkdir /tmp/x; echo mkdir=$?", cfg)
    assert r.rc == 0, r
    got = probe_errnos(r.out)
    assert got == {CLONE3: errno.EPERM,          # older than openat2, not listed: the default
                   OPENAT2: EACCES,              # listed: keeps its own action
                   PIDFD_GETFD: ENOSYS, PROCESS_MADVISE: ENOSYS, 1000: ENOSYS}, r
    assert "hello" in r.out and "ls-ok" in r.out, r
    assert "mkdir=1" in r.out and EPERM_TEXT in r.err, r  # mkdir: not listed, older


def test_enosys_with_a_kill_default(h, sysprobe):
    """Any default that denies: a new syscall gets ENOSYS rather than killing the process."""
    cfg = enosys_profile(h, sysprobe, default="SCMP_ACT_KILL_PROCESS")
    cfg["process"]["args"] = ["/sysprobe", str(OPENAT2), str(PIDFD_GETFD), str(PROCESS_MADVISE)]
    r = h.run(cfg)
    assert r.rc == 0, r
    assert probe_errnos(r.out) == {OPENAT2: EACCES, PIDFD_GETFD: ENOSYS, PROCESS_MADVISE: ENOSYS}, r


def test_enosys_limit_counts_rules_like_the_default(h, sysprobe):
    """Every name counts for the largest syscall, also one whose rule has the default's
    action (and is left out of the filter): getrandom (318) listed so makes 318 the limit."""
    cfg = with_sysprobe(seccomp_config(h, default="SCMP_ACT_ERRNO", syscalls=[
        {"names": [n for n in ENOSYS_ALLOW if n not in ("getrandom", "execveat", "statx", "rseq", "close_range")],
         "action": "SCMP_ACT_ALLOW"},
        {"names": ["getrandom"], "action": "SCMP_ACT_ERRNO"},
    ]), sysprobe)
    # 300 (fanotify_init): older, not listed.
    cfg["process"]["args"] = ["/sysprobe", "300", str(GETRANDOM), str(GETRANDOM + 1), str(CLONE3)]
    r = h.run(cfg)
    assert r.rc == 0, r
    assert probe_errnos(r.out) == {300: errno.EPERM, GETRANDOM: errno.EPERM,
                                   GETRANDOM + 1: ENOSYS, CLONE3: ENOSYS}, r


def test_enosys_for_exec_process(h, sysprobe):
    """An exec'd process gets the patched filter too (prepared inside the container)."""
    cfg = enosys_profile(h, sysprobe)
    cfg["process"]["args"] = ["sleep", "30"]
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    r = h.rt("exec", ctid, "/sysprobe", str(CLONE3), str(OPENAT2), str(PROCESS_MADVISE))
    assert r.rc == 0, r
    assert probe_errnos(r.out) == {CLONE3: errno.EPERM, OPENAT2: EACCES, PROCESS_MADVISE: ENOSYS}, r


def test_no_enosys_with_an_allow_default(h, sysprobe):
    cfg = with_sysprobe(seccomp_config(h, syscalls=[
        {"names": ["getcpu"], "action": "SCMP_ACT_ERRNO", "errnoRet": EACCES}]), sysprobe)
    # getrandom(NULL, 0, 0), newer than getcpu (309), succeeds; getcpu keeps EACCES.
    r = h.sh(f"/sysprobe 309 {GETRANDOM}", cfg)
    assert r.rc == 0, r
    assert probe_errnos(r.out) == {309: EACCES, GETRANDOM: 0}, r


def test_notify_with_enosys_patch(h, sysprobe):
    """The patched filter loaded with the notify flag: the fd the kernel returns is the
    listener's and reaches the agent."""
    path = h.workdir / "agent.sock"
    agent = Agent(path)
    agent.start()
    # sendmsg: swrun's init sends the notify fd with it after loading the filter.
    cfg = enosys_profile(h, sysprobe, extra_allow=["sendmsg"], listenerPath=str(path))
    cfg["linux"]["seccomp"]["syscalls"].append({"names": MKDIR, "action": "SCMP_ACT_NOTIFY"})
    r = h.sh(f"/sysprobe {CLONE3} {OPENAT2} {PROCESS_MADVISE}; mkdir /tmp/x; echo rc=$?", cfg)
    agent.join(10)
    assert r.rc == 0, r
    assert probe_errnos(r.out) == {CLONE3: errno.EPERM, OPENAT2: EACCES, PROCESS_MADVISE: ENOSYS}, r
    # The agent closed the fd: notified syscalls fail with ENOSYS.
    assert "rc=1" in r.out and ENOSYS_TEXT in r.err, r
    assert len(agent.fds) == 1 and agent.links == ["anon_inode:seccomp notify"], (agent.payload, agent.links)
