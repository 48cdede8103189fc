#!/usr/bin/env python3
"""make-order.py SWRUN ROOTFS [OUT]: writes the linker's section ordering file (linker/swrun.order)

Traces the commands engines call most (run, create, start, state, exec, kill, delete) of the
release binary SWRUN with steptrace, single-stepping every swrun process, and lists the input
sections whose code ran (`.text.<function>`, one per function with -function-sections and
-ffunction-sections), in address order. Addresses are mapped to input sections through the
link map scripts/build-release.sh writes beside the binary (SWRUN.map): symbols alone miss the
functions that have none (`.Lobjectdestroy`, `.L__unnamed_1`). scripts/build-release.sh links with
`--section-ordering-file`, so that code lies together: a start faults in a few hundred KB of
text instead of touching pages all over 5 MB (bench/README.md, "Memory"). Run as root, after
changes that move a lot of code; a stale list is harmless (unknown names are ignored, new
functions just are not grouped).
"""
import bisect, json, os, re, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))


def text_range(binary):
    for line in subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        f = line.replace("[ ", "[").split()
        if len(f) > 5 and f[1] == ".text":
            lo = int(f[3], 16)
            return lo, lo + int(f[5], 16)
    sys.exit("make-order: no .text in " + binary)


def text_sections(mapfile):
    """(address, size, name) of every input section of the link map that is a function's own.

    gold writes a long section name on a line of its own and its address, size and object on
    the next. A bare `.text` (an object built without function sections, such as the Swift
    stdlib's) cannot be moved alone: naming it would move every such object."""
    secs, name = [], None
    with open(mapfile) as f:
        for line in f:
            m = re.match(r"^ (\.text\S*)(?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s)?", line)
            if m:
                name = m.group(1)
                if m.group(2) is None:
                    continue
                addr, size = m.group(2), m.group(3)
            elif name is not None:
                m = re.match(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+\S", line)
                if not m:
                    name = None
                    continue
                addr, size = m.group(1), m.group(2)
            else:
                continue
            if name != ".text" and int(size, 16) > 0 and int(addr, 16) > 0:  # 0: dropped by --gc-sections
                secs.append((int(addr, 16), int(size, 16), name))
            name = None
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

    def bundle(name, args):
        b = os.path.join(work, name)
        os.mkdir(b)
        os.symlink(rootfs, os.path.join(b, "rootfs"))
        subprocess.run([swrun, "spec"], cwd=b, check=True)
        with open(os.path.join(b, "config.json")) as f:
            c = json.load(f)
        c["process"]["terminal"] = False
        c["process"]["args"] = args
        c["linux"]["seccomp"] = engine_like_seccomp()
        with open(os.path.join(b, "config.json"), "w") as f:
            json.dump(c, f)
        return b

    def traced(*args, wait=True):
        path = os.path.join(work, "hits.%d" % len(hits))
        hits.append(path)
        cmd = [tracer, "%x" % lo, "%x" % hi, path, "--", swrun, "--root", root] + list(args)
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        if wait and p.wait() != 0:
            sys.exit("make-order: %s failed under steptrace" % " ".join(args))
        return p

    def status(cid):
        r = subprocess.run([swrun, "--root", root, "state", cid], capture_output=True, text=True)
        return json.loads(r.stdout)["status"] if r.returncode == 0 else None

    def until(cid, want):
        for _ in range(600):
            if status(cid) == want:
                return
            time.sleep(0.5)
        sys.exit("make-order: %s never became %s" % (cid, want))

    try:
        traced("run", "--bundle", bundle("true", ["/bin/true"]), "order-run")
        # create's trace ends when the init it forked execs the container's program, at start.
        creating = traced("create", "--bundle", bundle("sleep", ["/bin/sleep", "600"]), "order-c",
                          wait=False)
        until("order-c", "created")
        traced("start", "order-c")
        if creating.wait() != 0:
            sys.exit("make-order: create failed under steptrace")
        traced("state", "order-c")
        traced("exec", "order-c", "/bin/true")
        traced("kill", "order-c", "KILL")
        until("order-c", "stopped")
        traced("delete", "order-c")
        addrs = set()
        for path in hits:
            with open(path) as f:
                addrs.update(int(line, 16) for line in f)
    finally:
        for cid in ("order-run", "order-c"):
            if status(cid) is not None:
                subprocess.run([swrun, "--root", root, "delete", "--force", cid])
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
