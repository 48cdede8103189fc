"""Bad input: exit status 1, a message on stderr, nothing left behind.

runc's messages are free-form (logrus lines); swrun's config errors have the
shape `config.json: <json path>: <message>`, checked only when RUNTIME is
swrun.  The harness teardown checks that nothing is left behind.
"""

import json

import pytest

from conftest import CAP_NUMBERS, IS_SWRUN


def check_failed(h, r, ctid, json_path=None):
    assert r.rc == 1, r
    assert r.err.strip(), "no error message on stderr"
    assert h.state(ctid).rc == 1, "a failed run left a container behind"
    if IS_SWRUN and json_path is not None:
        assert "config.json: " in r.err, r.err
        assert json_path in r.err, f"error should name {json_path!r}: {r.err}"


def run_raw(h, raw):
    b = h.bundle(raw=raw)
    ctid = h.new_id()
    return ctid, h.run(bundle=b, ctid=ctid)


def run_cfg(h, mutate):
    cfg = h.config(["true"])
    mutate(cfg)
    ctid = h.new_id()
    return ctid, h.run(cfg, ctid=ctid)


@pytest.mark.parametrize("raw", ["not json{", "", "[]", '{"ociVersion": "1.0.2"'],
                         ids=["garbage", "empty", "array", "truncated"])
def test_config_not_json(h, raw):
    ctid, r = run_raw(h, raw)
    check_failed(h, r, ctid, json_path="")


def test_config_missing(h):
    d = h.tmpdir("nobundle")
    ctid = h.new_id()
    r = h.rt("run", "--bundle", d, ctid)
    check_failed(h, r, ctid)


def test_create_config_not_json_leaves_nothing(h):
    b = h.bundle(raw="{nope")
    ctid, r = h.create(bundle=b)
    check_failed(h, r, ctid)


def test_process_args_empty(h):
    ctid, r = run_cfg(h, lambda c: c["process"].__setitem__("args", []))
    check_failed(h, r, ctid, json_path="process.args")


def test_process_args_missing(h):
    ctid, r = run_cfg(h, lambda c: c["process"].pop("args"))
    check_failed(h, r, ctid, json_path="process.args")


def test_process_missing(h):
    ctid, r = run_cfg(h, lambda c: c.pop("process"))
    check_failed(h, r, ctid, json_path="process")


def test_process_cwd_relative(h):
    ctid, r = run_cfg(h, lambda c: c["process"].__setitem__("cwd", "tmp"))
    check_failed(h, r, ctid, json_path="process.cwd")


def test_namespace_type_unknown(h):
    ctid, r = run_cfg(h, lambda c: c["linux"]["namespaces"].append({"type": "bogus"}))
    check_failed(h, r, ctid, json_path="linux.namespaces")


def test_namespace_duplicated(h):
    ctid, r = run_cfg(h, lambda c: c["linux"]["namespaces"].append({"type": "uts"}))
    check_failed(h, r, ctid, json_path="linux.namespaces")


@pytest.mark.swrun_only  # runc 1.1.5 only warns and treats it as absolute
def test_mount_destination_relative(h):
    def mutate(c):
        c["mounts"].append({"destination": "tmp", "type": "tmpfs", "source": "tmpfs"})
    ctid, r = run_cfg(h, mutate)
    check_failed(h, r, ctid, json_path="mounts")


def test_root_path_missing(h):
    ctid, r = run_cfg(h, lambda c: c["root"].__setitem__("path", str(h.workdir / "nope")))
    check_failed(h, r, ctid, json_path="root.path")


def test_hostname_without_uts_namespace(h):
    def mutate(c):
        c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "uts"]
    ctid, r = run_cfg(h, mutate)
    check_failed(h, r, ctid, json_path="hostname")


def test_rlimit_unknown_type(h):
    def mutate(c):
        c["process"]["rlimits"] = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]
    ctid, r = run_cfg(h, mutate)
    check_failed(h, r, ctid, json_path="process.rlimits")


def _nofile_above_hard_limit(h):
    """Runs a container asking for 1000x the host's NOFILE hard limit (root here lacks
    CAP_SYS_RESOURCE, so raising it is EPERM); returns (ctid, result, hard limit)."""
    with open("/proc/self/limits") as f:
        hard = next(l for l in f if l.startswith("Max open files")).split()[4]
    if hard == "unlimited":
        pytest.skip("host NOFILE hard limit is unlimited")
    def mutate(c):
        c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 1024,
                                    "hard": int(hard) * 1000}]
    ctid, r = run_cfg(h, mutate)
    return ctid, r, hard


def test_rlimit_above_hard_limit_fails(h):
    ctid, r, _ = _nofile_above_hard_limit(h)
    check_failed(h, r, ctid)


@pytest.mark.swrun_only  # runc says "error setting rlimit type 7: operation not permitted"
def test_rlimit_above_hard_limit_message(h):
    ctid, r, hard = _nofile_above_hard_limit(h)
    check_failed(h, r, ctid)
    assert "RLIMIT_NOFILE" in r.err, r.err
    assert "process.rlimits" in r.err, r.err
    assert "CAP_SYS_RESOURCE" in r.err, r.err
    assert f"current hard limit is {hard}" in r.err, r.err


def test_executable_not_found(h):
    ctid, r = run_cfg(h, lambda c: c["process"].__setitem__("args", ["/no/such/binary"]))
    check_failed(h, r, ctid)


def test_create_executable_not_found(h):
    # runc checks the executable at create time: create itself fails.
    cfg = h.config(["/no/such/binary"])
    ctid, r = h.create(cfg)
    check_failed(h, r, ctid)


def test_namespace_path_missing(h):
    def mutate(c):
        c["linux"]["namespaces"] = [
            n if n["type"] != "uts" else {"type": "uts", "path": str(h.workdir / "nons")}
            for n in c["linux"]["namespaces"]]
        c.pop("hostname")
    ctid, r = run_cfg(h, mutate)
    check_failed(h, r, ctid)


@pytest.mark.parametrize("bad_id", ["../escape", "a/b", "", "."])
def test_invalid_container_id(h, bad_id):
    b = h.bundle(h.config(["true"]))
    r = h.rt("run", "--bundle", b, bad_id)
    assert r.rc == 1, r
    assert r.err.strip()
    assert not (h.workdir / "escape").exists()


def _caps_of_this_process():
    with open("/proc/self/status") as f:
        return int(next(l for l in f if l.startswith("CapBnd:")).split()[1], 16)


def test_capability_not_held_fails_create(h):
    # CAP_SYS_RESOURCE is not in this host's bounding set: it cannot be granted, and the
    # failure belongs to `create` (runc: "unable to apply caps"), not to the started process.
    if _caps_of_this_process() >> CAP_NUMBERS["CAP_SYS_RESOURCE"] & 1:
        pytest.skip("this host holds CAP_SYS_RESOURCE")
    cfg = h.config(["true"])
    cfg["process"]["capabilities"]["permitted"].append("CAP_SYS_RESOURCE")
    cfg["process"]["capabilities"]["effective"].append("CAP_SYS_RESOURCE")
    ctid, r = h.create(cfg)
    check_failed(h, r, ctid, json_path="process.capabilities.permitted")
    if IS_SWRUN:
        assert "CAP_SYS_RESOURCE cannot be given" in r.err and "--cap-drop SYS_RESOURCE" in r.err, r.err


@pytest.mark.parametrize("value", [pytest.param("-1", marks=pytest.mark.swrun_only),  # runc 1.1.5 hangs
                                   "4000000000", "99999999999999999999"])
def test_create_bad_preserve_fds_fails_cleanly(h, value):
    """A negative or huge --preserve-fds is an error (exit 1) before anything is created,
    never a trap of swrun or of the container's init."""
    b = h.bundle(h.config(["true"]))
    ctid = h.new_id()
    r = h.rt("create", f"--preserve-fds={value}", "--bundle", str(b), ctid)
    assert r.rc == 1, r
    assert "preserve" in r.err, r.err
    # the harness teardown asserts no state, cgroup, mount or process is left


@pytest.mark.swrun_only  # runc 1.1.5 ignores process.scheduler
@pytest.mark.parametrize("field,value", [("priority", -1), ("priority", 1), ("priority", 100), ("nice", 40),
                                         ("nice", -21)])
def test_scheduler_out_of_range_fails_at_create(h, field, value):
    cfg = h.config(["true"])
    cfg["process"]["scheduler"] = {"policy": "SCHED_OTHER", field: value}
    ctid, r = h.create(cfg)
    assert r.rc == 1, r
    assert f"process.scheduler.{field}" in r.err and "out of range" in r.err, r.err


@pytest.mark.swrun_only  # runc 1.1.5 ignores process.scheduler
def test_scheduler_nice_is_applied(h):
    cfg = h.config(["sh", "-c", "cut -d' ' -f19 /proc/self/stat"])
    cfg["process"]["scheduler"] = {"policy": "SCHED_OTHER", "nice": 5}
    r = h.run(cfg)
    assert r.rc == 0, r
    assert r.out.strip() == "5", r


@pytest.mark.swrun_only  # runc 1.1.5's messages for these differ; the point is that one arrives
@pytest.mark.parametrize("where", ["mount-type", "argument", "masked-path"])
def test_init_error_quoting_a_huge_value_still_arrives(h, where):
    """An error from the container's init that quotes a 1 MB value must reach `create` (cut
    short), not be lost to the socket's datagram limit ("exited before it was ready")."""
    big = "x" * (1 << 20)
    cfg = h.config(["true"])
    if where == "mount-type":
        cfg["mounts"].append({"destination": "/mnt", "type": big, "source": "none"})
    elif where == "argument":
        cfg["process"]["args"] = ["/no/such/" + big]
    else:
        cfg["linux"]["maskedPaths"] = ["/proc/" + big]
    ctid, r = h.create(cfg)
    assert r.rc == 1, r
    assert "exited before it was ready" not in r.err, r.err[:500]
    assert len(r.err) < 64 * 1024, len(r.err)


@pytest.mark.swrun_only  # runc 1.1.5 says only that the init was killed
def test_init_killed_by_the_oom_killer_says_so(h):
    cfg = h.config(["true"])
    cfg["linux"]["resources"] = {"memory": {"limit": 1}}
    ctid, r = h.create(cfg)
    if r.rc == 0:
        pytest.skip("a one-byte (one-page) memory limit was enough for this init here")
    assert r.rc == 1, r
    assert "killed by signal 9" in r.err and "out-of-memory" in r.err, r.err


@pytest.mark.swrun_only  # runc 1.1.5 fails these only when it execs, after start
@pytest.mark.parametrize("what", ["one-huge-argument", "many-arguments", "effective-not-permitted"])
def test_what_would_fail_after_start_fails_create(h, what):
    """create must not return 0 for a container whose init then dies before `start`: an
    argument list execve refuses (E2BIG) or capabilities capset refuses are create errors."""
    cfg = h.config(["true"])
    if what == "one-huge-argument":
        cfg["process"]["args"] = ["echo", "x" * (1 << 20)]
    elif what == "many-arguments":
        cfg["process"]["args"] = ["echo"] + ["y" * 60000] * 200
    else:
        cfg["process"]["capabilities"]["permitted"] = []
    ctid, r = h.create(cfg)
    assert r.rc == 1, r
    assert "process." in r.err, r.err
