#!/usr/bin/env python3
"""make-order.py SWRUN ROOTFS [OUT]: writes the linker's symbol ordering file (linker/swrun.order)

Traces the commands engines call most (run, create, start, state, exec, kill, delete) of the
release binary SWRUN with steptrace, single-stepping every swrun process, and lists a symbol of
each input section whose code ran, in address order: a function's own section for swrun's
modules (-function-sections, -ffunction-sections), an object's `.text` for the static libc,
json-c and libseccomp. Addresses are mapped to input sections through lld's link map, which
scripts/build-release.sh writes beside the binary (SWRUN.map). scripts/build-release.sh links
with `--symbol-ordering-file`, so that code lies together: a start faults in a few hundred KB
of text instead of touching pages all over 7 MB (bench/README.md, "Memory"). Run as root,
after changes that move a lot of code; a stale list is harmless (unknown names are ignored,
new functions just are not grouped, and each costs the start a 64 KB page-cache window).

What runs depends on the host and the config, and code that runs but is not listed is what
costs: so `run` is traced with bench/'s config (no cgroup mount) and create with `swrun
spec`'s (an engine's shape, with one), and on a host that is not pure cgroup v2 all of them
are traced a second time, concurrently, in a mount namespace that sees only the cgroup2
hierarchy. About 10 minutes on two cores.
"""
import bisect, concurrent.futures, json, os, re, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
import benchlib  # noqa: E402  (the benchmark's bundle config)


def text_range(binary):
    for line in subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        f = line.replace("[ ", "[").split()
        if len(f) > 5 and f[1] == ".text":
            lo = int(f[3], 16)
            return lo, lo + int(f[5], 16)
    sys.exit("make-order: no .text in " + binary)


def text_sections(mapfile):
    """(address, size, symbol) of every input section of lld's link map in the output `.text`
    that the linker can move: lld orders by symbol (`--symbol-ordering-file`), moving the input
    section that defines it, so each section is named by its first symbol. That is a function's
    own section for swrun's modules (-function-sections), an object's `.text` for libc.a (one
    function or a few per object). Sections without a symbol cannot be named; one larger than
    BIG (libswiftCore's Swift code is a single 1.6 MB section) would only push the hot code
    apart, and is left where it is.

    lld's map has four columns (VMA, LMA, size, alignment), then the output section, an input
    section or a symbol, indented by 0, 8 or 16 more columns."""
    BIG = 256 << 10
    secs, out, pending = [], None, None
    row = re.compile(r"^\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+ ( *)(\S.*)$")
    with open(mapfile) as f:
        for line in f:
            m = row.match(line)
            if not m:
                continue
            addr, size, depth, what = int(m.group(1), 16), int(m.group(2), 16), len(m.group(3)), m.group(4)
            if depth == 0:
                out, pending = what, None
            elif depth == 8:
                pending = (addr, size) if out == ".text" and 0 < size <= BIG else None
            elif pending is not None:
                secs.append((pending[0], pending[1], what))
                pending = None
    secs.sort()
    return secs


# What the traced containers run once the filter is in place, and what any libc program uses.
ALLOWED = """access arch_prctl brk capget capset chdir chmod clock_gettime clock_nanosleep clone clone3
close close_range dup dup2 dup3 execve execveat exit exit_group fchdir fchownat fcntl flock fstat
fstatfs futex getcwd getdents64 getegid geteuid getgid getpid getppid getrandom gettid getuid
ioctl keyctl kill lseek madvise memfd_create mkdir mkdirat mknodat mmap mount mprotect munmap
nanosleep newfstatat openat openat2 pivot_root poll pread64 prctl prlimit64 read readlink
readlinkat recvfrom recvmsg rename renameat2 rmdir rseq rt_sigaction rt_sigprocmask
rt_sigreturn sendmsg sendto set_robust_list set_tid_address setgroups sethostname setresgid
setresuid setsid sigaltstack signalfd4 socket socketpair statx symlinkat sysinfo tgkill umask
umount2 uname unlink unlinkat unshare wait4 write writev""".split()


def engine_like_seccomp():
    """A profile shaped like the ones podman, docker and containerd pass (every engine sets one):
    default deny and an allow-list for three ABIs, so the filter's translation, compilation and
    ENOSYS stub are on the traced path. Shorter than an engine's (~100 names, not ~350): the
    same code runs, and single-stepping libseccomp's compilation costs minutes per name list."""
    return {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [{"names": ALLOWED, "action": "SCMP_ACT_ALLOW"}]}


# A mount namespace whose /sys/fs/cgroup is the cgroup2 hierarchy alone, as on a pure v2 host.
PURE_V2_VIEW = ["unshare", "-m", "sh", "-c", "mount --make-rprivate / && umount -R /sys/fs/cgroup && "
                "mount -t cgroup2 none /sys/fs/cgroup && exec \"$0\" \"$@\""]


def pure_cgroup_v2():
    with open("/proc/self/mountinfo") as f:
        return any(l.split(" - ")[0].split()[4] == "/sys/fs/cgroup" and l.split(" - ")[1].startswith("cgroup2 ")
                   for l in f)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    swrun, rootfs = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    out = sys.argv[3] if len(sys.argv) == 4 else os.path.join(HERE, "swrun.order")
    mapfile = swrun + ".map"
    if not os.path.exists(mapfile):
        sys.exit("make-order: no link map %s (scripts/build-release.sh writes it)" % mapfile)
    lo, hi = text_range(swrun)
    work = tempfile.mkdtemp(prefix="swrun-order.")
    tracer = os.path.join(work, "steptrace")
    subprocess.run(["gcc", "-O2", "-o", tracer, os.path.join(HERE, "steptrace.c")], check=True)
    root = os.path.join(work, "state")
    hits = []

    def bundle(name, args, seccomp=True, bench=False):
        """A bundle of `swrun spec`'s config (with a cgroup mount, as engines' configs have),
        or of bench/'s (without one), whose start takes other paths."""
        b = os.path.join(work, name)
        os.mkdir(b)
        os.symlink(rootfs, os.path.join(b, "rootfs"))
        if bench:
            c = benchlib.bench_config(args)
        else:
            subprocess.run([swrun, "spec"], cwd=b, check=True)
            with open(os.path.join(b, "config.json")) as f:
                c = json.load(f)
        c["process"]["terminal"] = False
        c["process"]["args"] = args
        if seccomp:
            c["linux"]["seccomp"] = engine_like_seccomp()
        with open(os.path.join(b, "config.json"), "w") as f:
            json.dump(c, f)
        return b

    def status(cid, view):
        r = subprocess.run(view + [swrun, "--root", root, "state", cid], capture_output=True, text=True)
        return json.loads(r.stdout)["status"] if r.returncode == 0 else None

    def until(cid, want, view):
        for _ in range(1800):
            if status(cid, view) == want:
                return
            time.sleep(0.5)
        raise RuntimeError("%s never became %s" % (cid, want))

    def trace_commands(view, tag):
        """The engine path's commands, each under VIEW (a command prefix choosing the cgroup
        hierarchy swrun sees); their hit files are added to HITS."""
        def traced(*args, wait=True):
            path = os.path.join(work, "hits.%s.%d" % (tag, len(hits)))
            hits.append(path)
            cmd = view + [tracer, "%x" % lo, "%x" % hi, path, "--", swrun, "--root", root] + list(args)
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            if wait and p.wait() != 0:
                raise RuntimeError("%s failed under steptrace (%s)" % (" ".join(args), tag))
            return p

        cid = "order-c-" + tag
        # run with bench/'s config (what `make bench` measures), create with an engine's shape.
        traced("run", "--bundle", bundle("true-" + tag, ["/bin/true"], bench=True), "order-run-" + tag)
        # create's trace ends when the init it forked execs the container's program, at start.
        # Without the filter: run compiled and loaded it already, and single-stepping its
        # compilation again (in create's init and in exec) would add ten minutes.
        creating = traced("create", "--bundle", bundle("sleep-" + tag, ["/bin/sleep", "600"], seccomp=False),
                          cid, wait=False)
        until(cid, "created", view)
        traced("start", cid)
        if creating.wait() != 0:
            raise RuntimeError("create failed under steptrace (%s)" % tag)
        traced("state", cid)
        traced("exec", cid, "/bin/true")
        traced("kill", cid, "KILL")
        until(cid, "stopped", view)
        traced("delete", cid)

    views = [([], "host")]
    if not pure_cgroup_v2():
        # Most hosts are pure cgroup v2, and its code (CgroupV2*, the device filter's BPF) does
        # not run here: trace the commands once more in a mount namespace that sees only the
        # cgroup2 hierarchy, as such a host would.
        views.append((PURE_V2_VIEW, "v2"))
    try:
        # One view a core: steptrace is bound by the kernel's single-stepping.
        with concurrent.futures.ThreadPoolExecutor(len(views)) as pool:
            for f in [pool.submit(trace_commands, view, tag) for view, tag in views]:
                try:
                    f.result()
                except RuntimeError as e:
                    sys.exit("make-order: %s" % e)
        addrs = set()
        for path in hits:
            with open(path) as f:
                addrs.update(int(line, 16) for line in f)
    finally:
        for view, tag in views:
            for cid in ("order-run-" + tag, "order-c-" + tag):
                if status(cid, view) is not None:
                    subprocess.run(view + [swrun, "--root", root, "delete", "--force", cid])
        shutil.rmtree(work, ignore_errors=True)
    secs = text_sections(mapfile)
    starts = [a for a, _, _ in secs]
    ran = {}
    for a in addrs:
        i = bisect.bisect_right(starts, a) - 1
        if i >= 0 and a < secs[i][0] + secs[i][1]:
            ran[secs[i][0]] = secs[i][2]
    with open(out, "w") as f:
        seen = set()
        for start in sorted(ran):
            if ran[start] not in seen:
                seen.add(ran[start])
                f.write(ran[start] + "\n")
    print("make-order: %d sections (%d instructions) -> %s" % (len(seen), len(addrs), out))


main()
