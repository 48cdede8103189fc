"""The state root: who may look into it."""

import os


def test_fresh_state_root_is_private(h):
    """A --root the runtime creates itself must be 0700 (runc's mode): with 0711 any local
    user can probe whether a container ID exists. Probed for real as uid 65534."""
    root = h.workdir / "fresh" / "state"
    h.root = root
    ctid, r = h.create(h.config(["sleep", "30"]))
    assert r.rc == 0, r
    mode = root.stat().st_mode & 0o777
    pid = os.fork()
    if pid == 0:   # the unprivileged prober
        try:
            os.setgid(65534)
            os.setuid(65534)
            os.stat(root / ctid)
            os._exit(0)
        except PermissionError:
            os._exit(1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    probed = os.waitstatus_to_exitcode(status)
    assert probed != 2, "the prober failed for another reason"
    assert probed == 1, f"uid 65534 could stat {root / ctid} (state root mode {mode:04o})"
    assert mode == 0o700, f"state root mode {mode:04o}"
