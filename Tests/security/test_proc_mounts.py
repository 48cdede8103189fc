"""Mounts over /proc (runc's checkProcMount): only a real procfs on /proc, and binds under
it only onto a short allow-list."""

from conftest import tree_snapshot, without_mounts


def test_host_dir_bound_onto_proc(h):
    """A bind of a host directory onto /proc, with a fake sys/kernel/core_pattern and
    self/fd/N inside: masks and read-only paths would land on the fake, and the runtime's
    own writes through /proc/self/fd (the start byte) would go into the fake files. It must
    be refused; the fake tree stays untouched."""
    fake = h.tmpdir("fakeproc")
    (fake / "sys" / "kernel").mkdir(parents=True)
    (fake / "sys" / "kernel" / "core_pattern").write_text("fake-core-pattern\n")
    (fake / "self" / "fd").mkdir(parents=True)
    for n in range(10):
        (fake / "self" / "fd" / str(n)).write_text("")
    before = tree_snapshot(fake)
    cfg = without_mounts(h.config(["sh", "-c", "cat /proc/sys/kernel/core_pattern"]), "/proc")
    cfg["mounts"].insert(0, {"destination": "/proc", "type": "bind", "source": str(fake),
                             "options": ["rbind", "rw"]})
    r = h.run(cfg)
    after = tree_snapshot(fake)
    assert after == before, f"the fake /proc was written: {set(after.items()) ^ set(before.items())}\n{r}"
    assert r.rc != 0, f"a host directory bound onto /proc was accepted:\n{r}"


def test_host_file_bound_onto_proc_cmdline(h):
    """A bind of a host file onto /proc/cmdline (not on runc's allow-list of binds under
    /proc): it must be refused."""
    fake = h.workdir / "cmdline"
    fake.write_text("fake-cmdline\n")
    cfg = h.config(["cat", "/proc/cmdline"])
    cfg["mounts"].append({"destination": "/proc/cmdline", "type": "bind", "source": str(fake),
                          "options": ["bind", "ro"]})
    r = h.run(cfg)
    assert fake.read_text() == "fake-cmdline\n"
    assert r.rc != 0, f"a bind onto /proc/cmdline was accepted:\n{r}"
