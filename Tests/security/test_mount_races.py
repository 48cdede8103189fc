"""Mount destinations inside a volume the attacker shares, whose path components it swaps
for symlinks to a host path while the runtime mounts (CVE-2021-30465) or creates the
destination (CVE-2024-45310). Regressions: swrun resists both at main f666e4e."""

import os
import random
import subprocess
import time

from conftest import CMD_TIMEOUT, tree_snapshot

RUNS = 40


def racing_volume(h, tools, name):
    """A volume dir with `name` a directory and `name`.alt a symlink to a host canary dir
    outside the rootfs; the canary's snapshot; a start() for the swapper that exchanges the
    two as fast as it can, and a stop() that reports its count."""
    vol = h.tmpdir("vol")
    (vol / name).mkdir()
    canary = h.tmpdir("canary")
    (canary / "canary").write_text("host file\n")
    os.symlink(str(canary), vol / f"{name}.alt")
    state = {}

    def start():
        p = subprocess.Popen([str(tools.sectool), "swap", str(vol / name), str(vol / f"{name}.alt")],
                             stdout=subprocess.PIPE, text=True)
        h.helpers.append(p)
        state["p"] = p

    def stop():
        p = state["p"]
        p.terminate()
        return p.communicate(timeout=CMD_TIMEOUT)[0].strip()

    return vol, canary, start, stop


def test_mount_destination_symlink_swapped_between_mounts(h, tools):
    """CVE-2021-30465: the container's volume /mnt/vol holds `target`, the destination of a
    second mount; the attacker swaps it for a symlink to a host dir (here a canary dir that
    the container also gets, read-only, at /hostview). A runtime that mounts by a path it
    resolved earlier puts the second mount on the host dir: /hostview then shows the
    payload. One run with the symlink in place, then 40 with the swapper racing."""
    vol, canary, start, stop = racing_volume(h, tools, "target")
    payload = h.tmpdir("payload")
    (payload / "payload").write_text("mounted here\n")
    rootfs = h.rootfs_copy()
    (rootfs / "mnt" / "vol").mkdir(parents=True)
    (rootfs / "hostview").mkdir()
    cfg = h.config(["sh", "-c", "echo HOSTVIEW $(ls /hostview)"])
    cfg["root"]["path"] = str(rootfs)
    cfg["mounts"] += [
        {"destination": "/mnt/vol", "type": "bind", "source": str(vol), "options": ["rbind", "rw"]},
        {"destination": "/mnt/vol/target", "type": "bind", "source": str(payload), "options": ["rbind"]},
        {"destination": "/hostview", "type": "bind", "source": str(canary), "options": ["rbind", "ro"]},
    ]
    bundle = h.bundle(cfg)
    before = tree_snapshot(canary)
    mounts = set(l.split()[4] for l in open("/proc/self/mountinfo"))

    hits, refused = [], 0
    os.rename(vol / "target", vol / "target.tmp")     # run 0: the symlink in place
    os.rename(vol / "target.alt", vol / "target")
    r = h.run(bundle=bundle)
    os.rename(vol / "target", vol / "target.alt")
    os.rename(vol / "target.tmp", vol / "target")
    refused += r.rc != 0
    if "payload" in r.out:
        hits.append(f"run 0 (static symlink): {r.out.strip()}")
    start()
    rng = random.Random(30465)
    try:
        for i in range(1, RUNS + 1):
            time.sleep(rng.uniform(0, 0.002))
            r = h.run(bundle=bundle)
            refused += r.rc != 0
            if "payload" in r.out:
                hits.append(f"run {i}: {r.out.strip()}")
    finally:
        swaps = stop()
    print(f"{RUNS + 1} runs, {refused} refused, {len(hits)} hit; {swaps}")
    assert not hits, f"the mount landed on the host dir in {len(hits)} runs ({swaps}):\n" + "\n".join(hits[:5])
    assert tree_snapshot(canary) == before, "the host canary dir changed"
    assert set(l.split()[4] for l in open("/proc/self/mountinfo")) == mounts, "host mounts changed"
    assert refused <= RUNS, f"every run was refused: the race was never played ({swaps})"


def test_mount_destination_created_through_swapped_symlink(h, tools):
    """CVE-2024-45310: mount destinations that do not exist yet inside the shared volume
    (a directory /mnt/vol/a/nI/c and a file /mnt/vol/a/fI); the attacker swaps `a` for a
    symlink to a host dir. A runtime that creates them by a path it resolved earlier makes
    directories and files on the host. The host dir must stay as it was. One run with the
    symlink in place, then 40 with the swapper racing (new destinations every run)."""
    vol, canary, start, stop = racing_volume(h, tools, "a")
    src_dir = h.tmpdir("srcdir")
    src_file = h.workdir / "srcfile"
    src_file.write_text("file\n")
    rootfs = h.rootfs_copy()
    (rootfs / "mnt" / "vol").mkdir(parents=True)
    before = tree_snapshot(canary)

    def run(i):
        cfg = h.config(["true"])
        cfg["root"]["path"] = str(rootfs)
        cfg["mounts"] += [
            {"destination": "/mnt/vol", "type": "bind", "source": str(vol), "options": ["rbind", "rw"]},
            {"destination": f"/mnt/vol/a/n{i}/c", "type": "bind", "source": str(src_dir), "options": ["rbind"]},
            {"destination": f"/mnt/vol/a/f{i}", "type": "bind", "source": str(src_file), "options": ["bind"]},
        ]
        return h.run(cfg)

    os.rename(vol / "a", vol / "a.tmp")     # run 0: the symlink in place
    os.rename(vol / "a.alt", vol / "a")
    results = [run(0)]
    os.rename(vol / "a", vol / "a.alt")
    os.rename(vol / "a.tmp", vol / "a")
    start()
    rng = random.Random(45310)
    try:
        for i in range(1, RUNS + 1):
            time.sleep(rng.uniform(0, 0.002))
            results.append(run(i))
    finally:
        swaps = stop()
    print(f"{RUNS + 1} runs, {sum(r.rc != 0 for r in results)} refused; {swaps}")
    after = tree_snapshot(canary)
    assert after == before, (f"the runtime created {sorted(set(after) - set(before))} in the host "
                             f"dir {canary} ({swaps})")
    assert any(r.rc == 0 for r in results), f"every run failed: {results[0]}"
