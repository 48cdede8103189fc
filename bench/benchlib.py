"""What the bench/ scripts share: the bundle's config, a runtime handle, interleaved
timing. Timings are wall time around subprocess.run (time.perf_counter), in ms."""

import importlib.machinery
import importlib.util
import json
import os
import resource
import subprocess
import time

DEVNULL = subprocess.DEVNULL


def bench_config(args, root="rootfs") -> dict:
    """The benchmark bundle's config.json: the `runc spec` mounts minus the cgroup mount,
    runc's masked and read-only paths, pid/network/ipc/uts/mount namespaces, a read-only
    root, ociVersion 1.0.2 (runc 1.1 and crun 1.8 accept it)."""
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": list(args),
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "cwd": "/",
            "capabilities": {k: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
                             for k in ("bounding", "effective", "permitted", "ambient")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": root, "readonly": True},
        "hostname": "bench",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                            "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                              "/proc/sysrq-trigger"],
        },
    }


def write_bundle_config(bundle: str, args, root="rootfs") -> None:
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(bench_config(args, root), f, indent=1)


class Failure(Exception):
    pass


class RT:
    """One runtime: its binary, its own --root under `state`, fresh container IDs."""

    def __init__(self, name, binary, state, work):
        self.name, self.bin = name, binary
        self.root = os.path.join(state, "root-" + name)
        os.makedirs(self.root, exist_ok=True)
        self.errlog = os.path.join(work, "err-" + name)
        self.n = 0

    def next_id(self, prefix="bench"):
        self.n += 1
        return "%s-%s-%d" % (prefix, self.name, self.n)

    def cmd(self, *args):
        return [self.bin, "--root", self.root, *args]

    def call(self, *args, capture=False, prefix=()):
        """Run one runtime command; raise Failure (with its stderr) if it fails."""
        with open(self.errlog, "w") as err:
            p = subprocess.run([*prefix, *self.cmd(*args)], stdin=DEVNULL,
                               stdout=subprocess.PIPE if capture else DEVNULL, stderr=err)
        if p.returncode != 0:
            with open(self.errlog) as f:
                msg = f.read().strip()
            raise Failure("%s %s: exit %d: %s" % (self.name, " ".join(args), p.returncode,
                                                  msg[-2000:] or "(no stderr)"))
        return p.stdout

    def version(self):
        try:
            return self.call("--version", capture=True).decode().splitlines()[0]
        except Failure:
            return "?"


def load_script(name):
    """Another bench/ script (no .py suffix) as a module, for its helpers."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    loader = importlib.machinery.SourceFileLoader("bench_" + name, path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000.0


def children_cpu_ms():
    """User + system CPU time of every child reaped so far, with the descendants each one
    reaped itself (a runtime's container init, unshare's /bin/true), in ms."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r.ru_utime + r.ru_stime) * 1000.0


def interleaved(rts, fn, n, warmup=10, cpu=None):
    """Run fn(rt) n times per runtime, interleaved and with a rotating order. With `cpu` (a
    dict), each call's CPU time is also appended to cpu[rt.name]."""
    res = {rt.name: [] for rt in rts}
    for i in range(warmup + n):
        k = i % len(rts)
        for rt in rts[k:] + rts[:k]:
            before = children_cpu_ms()
            ms = timed(lambda: fn(rt))
            if i >= warmup:
                res[rt.name].append(ms)
                if cpu is not None:
                    cpu.setdefault(rt.name, []).append(children_cpu_ms() - before)
    return res


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def unshare_once():
    """The kernel floor: the namespaces of the bench config, then exec /bin/true."""
    p = subprocess.run(["unshare", "--fork", "--pid", "--mount", "--uts", "--ipc", "--net",
                        "/bin/true"], stdin=DEVNULL, stdout=DEVNULL, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise Failure("unshare: exit %d: %s" % (p.returncode, p.stderr.decode().strip()))


def installed_size(binary):
    """Size in bytes of the file a command name or path resolves to (None if not found)."""
    import shutil
    path = binary if os.sep in binary else shutil.which(binary)
    if not path or not os.path.exists(path):
        return None
    return os.path.getsize(os.path.realpath(path))
