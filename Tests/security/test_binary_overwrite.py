"""CVE-2019-5736: a container overwrites the host's runtime binary through /proc/self/exe.

Every test runs a COPY of the runtime (fixture runtime_copy) and checks that copy's sha256
after the container and every runtime process are gone; the build output is never exposed.
"""

import os
import shutil
import time

import pytest

from conftest import (elf_interpreter, join_ns, set_caps, with_results, with_tools)


def malicious_image(h, tools, runtime_copy):
    """A rootfs whose ELF interpreter (at the path the runtime binary asks for) is the
    overwrite payload, with a `#!/proc/self/exe` script at /evil.sh."""
    interp = elf_interpreter(str(runtime_copy.path))
    assert interp is not None, "loaded_runtime_copy gave a binary without an ELF interpreter"
    rootfs = h.rootfs_copy()
    dst = rootfs / interp.lstrip("/")
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(tools.loader, dst)
    script = rootfs / "evil.sh"
    script.write_text("#!/proc/self/exe\n")
    script.chmod(0o755)
    results = h.tmpdir("results")
    cfg = h.config(["sleep", "30"])
    cfg["root"]["path"] = str(rootfs)
    cfg["process"]["env"].append(f"SEC_SELF={interp}")
    with_results(cfg, results)
    return cfg, results


def assert_copy_intact(runtime_copy, report):
    """Fails if the copy was written; restores it first, so the harness can clean up."""
    changed = runtime_copy.changed()
    if changed:
        runtime_copy.restore()
    assert not changed, f"the host runtime binary (copy) was overwritten from the container:\n{report}"


def wait_log(h, log, text, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("via", ["init-args", "init-script", "exec-args", "exec-script"])
def test_loader_payload_cannot_overwrite_runtime_binary(h, tools, loaded_runtime_copy, via):
    """CVE-2019-5736: the image's /lib64/ld-linux-x86-64.so.2 runs as the loader of the
    runtime binary when the container's process (the init's, or one given to `exec`) is
    /proc/self/exe or a `#!/proc/self/exe` script; it keeps /proc/self/exe open O_PATH,
    waits until no runtime process is left and writes through it. The copy's hash must
    not change."""
    runtime_copy = loaded_runtime_copy
    cfg, results = malicious_image(h, tools, runtime_copy)
    target = "/proc/self/exe" if via.endswith("args") else "/evil.sh"
    if via.startswith("init"):
        cfg["process"]["args"] = [target]
        cfg["process"]["env"].append(f"SEC_TAG={via}")
        ctid, r = h.create(cfg)
        assert r.rc == 0, r
        s = h.start(ctid)
        assert s.rc == 0, s
    else:
        ctid, r = h.create(cfg)
        assert r.rc == 0, r
        assert h.start(ctid).rc == 0
        r = h.rt("exec", "--env", f"SEC_TAG={via}", ctid, target)
    # No runtime call from here until the hash is checked: an overwritten copy no longer runs.
    log = results / f"{via}.log"
    # The payload logs at once when it runs; only then is there a writer to wait for.
    if wait_log(h, log, "ran-as-loader", timeout=2.0):
        wait_log(h, log, "writer-done")
    report = log.read_text() if log.exists() else "(no payload log)"
    print(report)
    assert_copy_intact(runtime_copy, report)
    if "ran-as-loader" not in report:
        # A runtime whose /proc/self/exe no longer leads to its binary never runs the payload:
        # show that the image would have run it as the binary's loader (the binary exec'd
        # through a read-only bind), so the attack was played and failed on the exe alone.
        assert_loader_vector_works(h, cfg, runtime_copy, results)


def assert_loader_vector_works(h, cfg, runtime_copy, results):
    control = dict(cfg, process=dict(cfg["process"], args=["/hostrt"],
                                     env=cfg["process"]["env"] + ["SEC_TAG=control"]))
    control["mounts"] = cfg["mounts"] + [{"destination": "/hostrt", "type": "bind",
                                          "source": str(runtime_copy.path), "options": ["bind", "ro"]}]
    r = h.run(control)
    log = results / "control.log"
    wait_log(h, log, "writer-done")
    report = log.read_text() if log.exists() else "(no payload log)"
    assert_copy_intact(runtime_copy, report)
    assert "ran-as-loader" in report, \
        f"the payload runs as the runtime binary's loader in no setting, the attack was not played:\n{r}\n{report}"


def test_ptrace_capable_container_cannot_overwrite_binary_of_waiting_init(h, tools, runtime_copy):
    """CVE-2019-5736 (through another container): a container with CAP_SYS_PTRACE that
    shares the PID namespace of a created-not-started container opens /proc/<init>/exe
    O_PATH while that init waits for `start` and, once the init has exec'd and no runtime
    process is left, reopens it for writing. The copy's hash must not change."""
    victim, r = h.create(h.config(["sleep", "30"]))
    assert r.rc == 0, r
    pid = h.state_json(victim)["pid"]

    cfg = with_tools(set_caps(h.config(["/sec/sectool", "exe-write", "1", "8000"]),
                              "CAP_SYS_PTRACE"), tools)
    join_ns(cfg, "pid", f"/proc/{pid}/ns/pid")
    attacker, r = h.create(cfg)
    assert r.rc == 0, r
    assert h.start(attacker).rc == 0
    out = h.workdir / f"{attacker}.stdout"
    assert h.wait_file(out), f"the attacker reported nothing: {h.output(attacker)}"
    opened = out.read_text()
    assert h.start(victim).rc == 0
    # No runtime call until the hash is checked: the attacker reports when it is done.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
            w in out.read_text() for w in ("write-", "open-wr-errno")):
        time.sleep(0.05)
    report = out.read_text()
    print(report)
    assert_copy_intact(runtime_copy, report)
    assert opened.startswith(("opath-ok", "opath-errno")), report


def test_ptrace_capable_container_never_sees_the_runtime_binary_during_exec(h, tools, runtime_copy):
    """CVE-2019-5736 (the moment before exec): a process of the container holding
    CAP_SYS_PTRACE polls /proc and opens the exe of every process that appears while the
    runtime `exec`s into the container again and again (an engine's exec probes do so every
    few seconds). A runtime that forks its own binary into the container's PID namespace and
    only then execs shows that binary there for a moment; an O_PATH on it is all the
    attacker needs to write it later. No process it sees may be the runtime binary on a
    writable mount."""
    cfg = with_tools(set_caps(h.config(["/sec/sectool", "exe-watch", "6000"]), "CAP_SYS_PTRACE"), tools)
    ctid, r = h.create(cfg)
    assert r.rc == 0, r
    assert h.start(ctid).rc == 0
    for _ in range(40):
        r = h.rt("exec", ctid, "sleep", "0.02")
        assert r.rc == 0, r
    assert h.wait_status(ctid, "stopped", timeout=15) == "stopped"
    report = h.output(ctid).out
    st = os.stat(runtime_copy.path)
    seen = [l.split() for l in report.splitlines() if l.startswith("exe ")]
    # The runtime binary on a writable mount (runc runs from a read-only bind of it).
    hits = [l for l in seen if (int(l[2]), int(l[3])) == (st.st_dev, st.st_ino) and l[4] == "rw"]
    assert_copy_intact(runtime_copy, report)
    assert not hits, f"the container opened the runtime binary as the exe of {len(hits)} exec'd processes:\n{report}"
    # The watcher did watch: it saw (most of) the exec'd processes.
    assert len(seen) >= 20, f"the watcher saw too few of the 40 exec'd processes to prove anything:\n{report}"
