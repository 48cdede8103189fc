"""The fuzz tier's generators and its case runner (see README.md).

Generators are pure functions of (seed, case number): `config_case(seed, n, rootfs)` gives
the same bytes on every machine, so a failing case is reproduced from its name alone:

    python3 Tests/fuzz/fuzzlib.py config SEED N ROOTFS > config.json   # the mutated document
    FUZZ_ONLY=cfg-SEED-N make fuzz                                     # run just that case

The runner plays one case in a throw-away harness of the conformance suite (its own state
root and scratch dir) and returns what went wrong: a runtime killed by a signal or exiting
with a status it must not use, a hang, an error without a message, and (the harness's own
checks) a state entry, mount, process or cgroup left behind.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import random
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

FUZZ_DIR = Path(__file__).resolve().parent


def _load_harness():
    """The conformance conftest, under the module name the security tier also uses."""
    if "conformance_conftest" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "conformance_conftest", FUZZ_DIR.parent / "conformance" / "conftest.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules["conformance_conftest"] = mod
        spec.loader.exec_module(mod)
    return sys.modules["conformance_conftest"]


harness = _load_harness()

# Seconds a single runtime command may take before the case counts as a hang.
TIMEOUT = float(os.environ.get("FUZZ_TIMEOUT", "10"))
# Number of generated config.json cases (CI: the default; `make fuzz-long`: 20000).
CASES = int(os.environ.get("FUZZ_CASES", "600"))
BATCH = int(os.environ.get("FUZZ_BATCH", "100"))
# Only this case (e.g. "cfg-3-17", "state-truncated-half", "cli-kill-7"), to reproduce one.
ONLY = os.environ.get("FUZZ_ONLY", "")

# An error that says the init failed but not why (issue 13, item 5): not a message.
CAUSELESS = ("container init exited before it was ready",
             "container init closed the exec FIFO without starting")

KiB = 1 << 10
MiB = 1 << 20


# --------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------

class Raw:
    """A value spliced into the serialized JSON as is (invalid UTF-8, deep nesting, a
    duplicated key, a number no JSON library writes)."""

    def __init__(self, text: bytes, label: str):
        self.text = text
        self.label = label


NUMBERS = [1 << 31, 1 << 32, (1 << 63) - 1, -1, -(1 << 63), 1e308,
           Raw(b"99999999999999999999", "99999999999999999999"), 1 << 64, -(1 << 31) - 1,
           0, -1e308, 0.5, Raw(b"1e999", "1e999"), Raw(b"-0", "-0")]
TYPE_SWAPS = ["x", "", 0, 1, True, False, None, {}, [], {"a": 1}, [1, "x", None]]
STRINGS = [Raw(b'"' + b"a" * (64 * KiB) + b'"', "'a'*64KiB"),
           Raw(b'"/' + b"a" * MiB + b'"', "'/'+'a'*1MiB"),
           "a\u0000b", "\u0000", "/\u0000/x",
           Raw(b'"\xff\xfe"', "b'\\xff\\xfe'"), Raw(b'"a\xc3\x28"', "b'a\\xc3\\x28'"),
           Raw(b'"\xed\xa0\x80"', "b'\\xed\\xa0\\x80' (surrogate)"), "\ud800",
           Raw(b'"\xc0\xaf"', "b'\\xc0\\xaf' (overlong /)"),
           "../../../../x", "/" * 5000, " ", "\n", "%s%n%x", "\u202e\ufeff"]
NESTINGS = [Raw(b"[" * 100 + b"]" * 100, "[]*100"), Raw(b"[" * 100000 + b"]" * 100000, "[]*100000"),
            Raw(b'{"a":' * 10000 + b"{}" + b"}" * 10000, "{'a':}*10000")]


def describe(v) -> str:
    if isinstance(v, Raw):
        return v.label
    s = json.dumps(v)
    return s if len(s) <= 40 else s[:37] + "..."


# --------------------------------------------------------------------------
# config.json mutations
# --------------------------------------------------------------------------

def fuzz_base(rootfs: str) -> dict:
    """The harness's base config plus the fields the issue names (scheduler, resources,
    oomScoreAdj, annotations), so every one of them is a mutation target. No hooks,
    sysctls, cgroupsPath or devices: a mutation of those could reach the host."""
    cfg = harness.make_base_config(rootfs, ["sleep", "30"])
    cfg["process"]["scheduler"] = {"policy": "SCHED_OTHER", "priority": 0}
    cfg["process"]["oomScoreAdj"] = 0
    cfg["linux"]["resources"] = {"memory": {"limit": 256 * MiB},
                                 "pids": {"limit": 1024},
                                 "cpu": {"shares": 1024, "quota": 100000, "period": 100000}}
    cfg["annotations"] = {"org.example.fuzz": "1"}
    return cfg


def tree_paths(doc, path=()):
    """Every node of the JSON tree (containers and leaves) as a key/index path."""
    yield path
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from tree_paths(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from tree_paths(v, path + (i,))


def path_name(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out or "(document)"


def _get(doc, path):
    for p in path:
        doc = doc[p]
    return doc


def _protected(doc, path) -> bool:
    """The mount and pid namespace entries stay: without them a container would share the
    host's mount table (a mutated config must not turn the tier into a host attack)."""
    if path in [("linux",), ("linux", "namespaces")]:
        return True
    if path[:2] == ("linux", "namespaces") and len(path) >= 3:
        entry = _get(doc, path[:3])
        return isinstance(entry, dict) and entry.get("type") in ("pid", "mount")
    return False


def _safe(data: bytes, rootfs: str) -> bool:
    """Whether the runtime, however it reads duplicate keys, still gets a pid and a mount
    namespace and no root other than the test rootfs (byte flips can hit those too)."""
    text = data.decode(errors="replace")
    for pick in (lambda pairs: dict(reversed(pairs)), dict):  # first wins, last wins
        try:
            doc = json.loads(text, object_pairs_hook=pick)
        except (ValueError, RecursionError):
            continue
        if not isinstance(doc, dict):
            continue
        linux = doc.get("linux")
        ns = linux.get("namespaces") if isinstance(linux, dict) else None
        types = [n.get("type") for n in ns if isinstance(n, dict) and "path" not in n] \
            if isinstance(ns, list) else []
        if "mount" not in types or "pid" not in types:
            return False
        root = doc.get("root")
        p = root.get("path") if isinstance(root, dict) else None
        if isinstance(p, str) and p != rootfs and (
                p.strip("/") in ("", ".") or ".." in p or p.startswith("/") and os.path.isdir(p)):
            return False
    return True


def _mutate_tree(doc, rng: random.Random, raws: dict) -> str:
    paths = [p for p in tree_paths(doc) if p and not _protected(doc, p)]
    path = rng.choice(paths)
    parent, key = _get(doc, path[:-1]), path[-1]
    old = parent[key]
    kind = rng.choice(["type", "number", "string", "nesting", "remove", "duplicate"])
    if kind == "number":
        new = rng.choice(NUMBERS)
    elif kind == "string":
        new = rng.choice(STRINGS)
    elif kind == "nesting":
        new = rng.choice(NESTINGS)
    elif kind == "type":
        new = rng.choice([v for v in TYPE_SWAPS if type(v) is not type(old)])
    elif kind == "remove":
        del parent[key]
        return f"{path_name(path)} removed"
    else:  # duplicate
        if isinstance(parent, list):
            parent.insert(key, copy.deepcopy(old))
            return f"{path_name(path)} duplicated"
        token = f"@@dup{len(raws)}@@"
        parent[token] = rng.choice(TYPE_SWAPS + [copy.deepcopy(old)])
        raws[json.dumps(token).encode()] = json.dumps(key).encode()
        return f"{path_name(path)} duplicated as {describe(parent[token])}"
    if isinstance(new, Raw):
        token = f"@@raw{len(raws)}@@"
        raws[json.dumps(token).encode()] = new.text
        parent[key] = token
    else:
        parent[key] = copy.deepcopy(new)
    return f"{path_name(path)} = {describe(new)}"


def _flip_bytes(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    b = bytearray(data)
    flips = []
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(b))
        v = rng.choice([b[i] ^ (1 << rng.randrange(8)), rng.randrange(256), 0])
        flips.append(f"@{i}:{b[i]:#04x}->{v:#04x}")
        b[i] = v
    return bytes(b), "byte flips " + " ".join(flips)


def config_case(seed: int, n: int, rootfs: str) -> tuple[bytes, str]:
    """The n-th mutated config.json of `seed`: (document, what was mutated). A document that
    could reach the host (see _safe) is drawn again from the next sub-seed."""
    for attempt in range(100):
        rng = random.Random(f"cfg:{seed}:{n}:{attempt}" if attempt else f"cfg:{seed}:{n}")
        doc = fuzz_base(rootfs)
        raws: dict[bytes, bytes] = {}
        what = [_mutate_tree(doc, rng, raws) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
        data = json.dumps(doc).encode()
        for token, text in raws.items():
            data = data.replace(token, text)
        if rng.random() < 0.15:
            data, flips = _flip_bytes(data, rng)
            what.append(flips)
        if _safe(data, rootfs):
            return data, "; ".join(what)
    raise RuntimeError(f"no safe mutation for case {seed}:{n}")


# --------------------------------------------------------------------------
# running a case
# --------------------------------------------------------------------------

STATS: Counter = Counter()
FINDINGS: list[str] = []  # known defects recorded, not failed on (e.g. issue 13 item 2)


def signal_name(rc: int) -> str:
    n = -rc if rc < 0 else rc - 128
    try:
        return signal.Signals(n).name
    except ValueError:
        return f"signal {n}"


class Case:
    """One case in its own throw-away harness (state root, scratch dir, leftover checks)."""

    def __init__(self, h, name: str, what: str):
        self.name = name
        self.what = what
        wd = h.workdir / name
        wd.mkdir(mode=0o755)
        (wd / "state").mkdir(mode=0o700)
        self.h = harness.Harness(h.runtime, wd / "state", wd, h.rootfs, name)
        self.problems: list[str] = []
        self._n = 0
        STATS["cases"] += 1

    def cmd(self, *args, allowed=(0, 1), timeout=TIMEOUT, label=None) -> harness.Result | None:
        """Runs `runtime --root R ARGS` (output to files: a leaked init may hold them),
        checks exit status and message, and returns the result (None on a hang)."""
        self._n += 1
        label = label or str(args[0])
        out = self.h.workdir / f"cmd{self._n}.out"
        err = self.h.workdir / f"cmd{self._n}.err"
        with open(out, "wb") as o, open(err, "wb") as e:
            try:
                p = subprocess.run(self.h.cmd(*args), stdin=subprocess.DEVNULL, stdout=o,
                                   stderr=e, timeout=timeout, cwd=self.h.workdir,
                                   start_new_session=True)  # a kill(0) hits only itself
            except subprocess.TimeoutExpired:
                STATS["hangs"] += 1
                self.problems.append(f"{label}: no answer in {timeout:g} s (hang)")
                return None
        r = harness.Result(p.returncode, out.read_bytes().decode(errors="replace"),
                           err.read_bytes().decode(errors="replace"))
        msg = r.err.strip()
        if r.rc < 0 or r.rc >= 128 and r.rc not in allowed:
            STATS["crash " + signal_name(r.rc)] += 1
            self.problems.append(f"{label}: killed by {signal_name(r.rc)} (rc {r.rc}); "
                                 f"stderr {msg[:200]!r}")
        elif r.rc == 2 and msg.startswith("panic:") and "goroutine" in msg:
            STATS["crash Go panic"] += 1  # runc
            self.problems.append(f"{label}: Go panic (rc 2): {msg[:160]!r}")
        elif r.rc not in allowed:
            STATS["bad exit status"] += 1
            self.problems.append(f"{label}: exit status {r.rc} (allowed {allowed}); "
                                 f"stderr {msg[:200]!r}")
        elif r.rc != 0 and not msg:
            STATS["missing messages"] += 1
            self.problems.append(f"{label}: exit {r.rc} without a message")
        elif r.rc != 0 and any(msg.endswith(c) and len(msg) < len(c) + 12 for c in CAUSELESS):
            STATS["messages without a cause"] += 1
            self.problems.append(f"{label}: exit {r.rc}, only {msg!r} (no cause)")
        return r

    def create(self, bundle: Path, ctid: str, *extra) -> harness.Result | None:
        return self.cmd("create", *extra, "--bundle", bundle, ctid, label="create")

    def lifecycle(self, ctid: str, created: harness.Result | None):
        """After create: the container must be `created` (an init that died before start
        is a create that failed silently), then start, state, delete --force."""
        if created is None or created.rc != 0:
            return
        st = self.cmd("state", ctid, label="state after create")
        if st is not None and st.rc == 0:
            status = _status(st.out)
            if status != "created":
                STATS["create 0 but not created"] += 1
                self.problems.append(f"create: exit 0 but the container is {status!r}, not "
                                     f"'created'; create's stderr {created.err.strip()[:200]!r}")
        self.cmd("start", ctid)
        st = self.cmd("state", ctid)
        if st is not None and st.rc == 0 and _status(st.out) is None:
            self.problems.append(f"state: exit 0 but not a state document: {st.out[:200]!r}")
        self.cmd("delete", "--force", ctid, label="delete --force", allowed=(0,))

    def finish(self) -> list[str]:
        """The harness's teardown checks for this case only; then the scratch dir goes."""
        left = sorted(os.listdir(self.h.root))
        if left:
            self.problems.append(f"state entries left after the case: {left}")
        leaks = self.h.cleanup_and_check()
        if leaks or left:
            STATS["leftovers"] += 1
        self.problems += leaks
        shutil.rmtree(self.h.workdir, ignore_errors=True)
        if self.problems:
            STATS["failed cases"] += 1
        return [f"{self.name} [{self.what}]: {p}" for p in self.problems]


def _status(out: str):
    try:
        return json.loads(out).get("status")
    except (ValueError, AttributeError):
        return None


def run_config(h, name: str, what: str, data: bytes, extra=(), check=None) -> list[str]:
    """One config.json case: create (start, state, delete --force when it succeeded).
    `check(create's result)` may return one more problem."""
    c = Case(h, name, what)
    b = c.h.bundle(raw=data)
    ctid = c.h.new_id()
    r = c.create(b, ctid, *extra)
    if check and r is not None and (p := check(r)):
        c.problems.append(p)
    c.lifecycle(ctid, r)
    return c.finish()


def selected(name: str) -> bool:
    return not ONLY or ONLY == name


def report(failures: list[str], ran: int):
    """Fails the test with every failing case (each line names the case and the mutation);
    with FUZZ_REPORT set, also appends them to that file."""
    if os.environ.get("FUZZ_REPORT") and failures:
        with open(os.environ["FUZZ_REPORT"], "a") as f:
            f.write("\n".join(failures) + "\n")
    if failures:
        shown = "\n".join(failures[:40])
        more = f"\n... and {len(failures) - 40} more" if len(failures) > 40 else ""
        pytest.fail(f"{len(failures)} problems in {ran} cases "
                    f"(reproduce one with FUZZ_ONLY=<case>):\n{shown}{more}", pytrace=False)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "config":
        data, what = config_case(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
        print(what, file=sys.stderr)
        sys.stdout.buffer.write(data)
    else:
        sys.exit("usage: fuzzlib.py config SEED N ROOTFS > config.json")
