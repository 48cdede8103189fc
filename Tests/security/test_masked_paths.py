"""CVE-2025-31133: maskedPaths bind-mounted from a /dev/null that someone swaps for a
symlink, so a masked path becomes a writable bind of the symlink's target."""

import os
import random
import secrets
import stat
import subprocess
import time

from conftest import CMD_TIMEOUT, without_mounts

CREATES = 60
SEED = 31133
REDIRECT = "/proc/sys/kernel/domainname"   # UTS-namespaced: harmless to redirect to
MASKED_FILES = ["/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                "/proc/timer_stats", "/proc/sched_debug"]


def probe(token):
    # No /dev/null here: it is the racing one. A masked file must be the null device
    # (read: empty); a bind of the redirect target reads back what was written.
    return ("for p in " + " ".join(MASKED_FILES) + "; do "
            "[ -e $p ] && { [ -c $p ] || echo UNMASKED $p; }; done; "
            f"echo {token} > /proc/keys; echo keys=[$(cat /proc/keys)]; "
            f"echo domainname=[$(cat {REDIRECT})]")


def test_dev_null_swapped_for_symlink_during_creates(h, tools):
    """CVE-2025-31133: the container's /dev is a directory shared with an attacker (here a
    host process) that keeps replacing `null` in turn by a symlink to /proc/sys/kernel/domainname;
    over 60 creates (fixed seed for the pacing) no container may come up with a masked path
    (e.g. /proc/keys) that is a writable bind of the symlink's target."""
    shared = h.tmpdir("shared-dev")
    os.mknod(shared / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    token = f"sectest{secrets.token_hex(4)}"
    cfg = without_mounts(h.config(["sh", "-c", probe(token)]), "/dev", "/dev/pts", "/dev/shm",
                         "/dev/mqueue")
    cfg["mounts"].append({"destination": "/dev", "type": "bind", "source": str(shared),
                          "options": ["rbind", "rw"]})
    bundle = h.bundle(cfg)
    host_domainname = open(REDIRECT).read()

    swapper = subprocess.Popen([str(tools.sectool), "flip", str(shared / "null"), REDIRECT],
                               stdout=subprocess.PIPE, text=True)
    h.helpers.append(swapper)
    rng = random.Random(SEED)
    hits, refused = [], 0
    try:
        for i in range(CREATES):
            time.sleep(rng.uniform(0, 0.003))
            r = h.run(bundle=bundle)
            if r.rc != 0:
                refused += 1
                continue
            if "UNMASKED" in r.out or f"keys=[{token}]" in r.out or f"domainname=[{token}]" in r.out:
                hits.append(f"create {i}: {r.out.strip()}")
    finally:
        swapper.terminate()
        swaps = swapper.communicate(timeout=CMD_TIMEOUT)[0].strip()
    print(f"{CREATES} creates, {refused} refused, {len(hits)} hit; {swaps}")
    assert open(REDIRECT).read() == host_domainname, "the host's domainname changed"
    assert not hits, (f"{len(hits)} of {CREATES} creates masked with the redirect target "
                      f"({refused} refused; {swaps}):\n" + "\n".join(hits[:5]))
    assert swaps.startswith("swaps ") and int(swaps.split()[1]) > 0, swaps
