"""The init of a created container, waiting for `start`, seen by a hostile process with
CAP_SYS_PTRACE in another container that shares its PID namespace."""

import secrets

from conftest import CAP_NUMBERS, DEFAULT_CAPS, join_ns, parse_status, set_caps, with_tools

ATTACK = (
    "echo ENVIRON; tr '\\0' '\\n' < /proc/1/environ; "
    "echo STATUS; grep -E '^(Cap|Uid|Gid|NoNewPrivs)' /proc/1/status; "
    "echo EXE $(/sec/sectool stat /proc/1/exe); "
    "echo MEM $(/sec/sectool mem 1); "
    "echo SEIZE $(/sec/sectool seize 1)"
)


def section(out: str, start: str, end: str) -> str:
    return out.split(start + "\n", 1)[1].split(end, 1)[0] if start in out else ""


def test_waiting_init_seen_by_ptrace_capable_neighbour(h, tools, runtime_copy, monkeypatch):
    """The init waiting for `start` must not carry the caller's environment (engines put
    secrets there: SWRUN_TEST_SECRET here), more capabilities than the container is given,
    or the writable host runtime binary as its exe, into the reach of a neighbour with
    CAP_SYS_PTRACE that reads /proc/<init>/environ, /status, /exe, /mem and PTRACE_SEIZEs
    it. What runc 1.1.5 also guarantees is asserted; /mem and PTRACE_SEIZE succeed on runc
    too (CAP_SYS_PTRACE) and are only reported."""
    secret = f"sectest-secret-{secrets.token_hex(8)}"
    monkeypatch.setenv("SWRUN_TEST_SECRET", secret)
    victim, r = h.create(h.config(["sleep", "30"]))
    monkeypatch.delenv("SWRUN_TEST_SECRET")
    assert r.rc == 0, r
    pid = h.state_json(victim)["pid"]

    cfg = with_tools(set_caps(h.config(["sh", "-c", ATTACK]), "CAP_SYS_PTRACE"), tools)
    join_ns(cfg, "pid", f"/proc/{pid}/ns/pid")
    r = h.run(cfg)
    assert r.rc == 0, r
    assert "STATUS" in r.out, f"the attack did not run:\n{r}"
    environ = section(r.out, "ENVIRON", "STATUS")
    report = r.out.replace(environ, f"({len(environ.splitlines())} variables)\n")
    print(report)

    problems = []
    leaked = [v for v in environ.splitlines() if secret in v]
    if leaked:
        problems.append(f"the caller's environment is readable in /proc/<init>/environ: {leaked}")

    allowed = 0
    for c in DEFAULT_CAPS:
        allowed |= 1 << CAP_NUMBERS[c]
    status = parse_status(section(r.out, "STATUS", "EXE"))
    for k in ("CapEff", "CapPrm"):
        have = int(status[k], 16)
        if have & ~allowed:
            problems.append(f"the waiting init's {k} {have:016x} exceeds the container's {allowed:016x}")

    # A read-only bind of the binary (runc 1.1.5 here) is the same inode but cannot be
    # reopened for writing: only the writable host binary counts.
    st = runtime_copy.path.stat()
    exe = r.out.split("EXE ", 1)[1].split("\n", 1)[0].split()
    if exe == [str(st.st_dev), str(st.st_ino), "rw"]:
        problems.append("/proc/<init>/exe leads to the writable host runtime binary")
    assert not problems, "\n".join(problems) + "\n" + report
