#!/usr/bin/env python3
"""make-order.py SWRUN ROOTFS [OUT]: writes the linker's section ordering file (linker/swrun.order)

Traces the commands engines call most (run, create, start, state, exec, kill, delete) of the
release binary SWRUN (stripped is fine: its symbols are read from SWRUN.debug, which
scripts/build-release.sh writes) with steptrace, single-stepping every swrun process, and
lists the functions that ran as input sections (`.text.<symbol>`, the names -function-sections
and -ffunction-sections give them), in address order. scripts/build-release.sh links with
`--section-ordering-file`, so that code lies together: a start faults in a few hundred KB of
text instead of touching pages all over 5 MB (bench/README.md, "Memory"). Run as root, after
changes that move a lot of code; a stale list is harmless (unknown names are ignored, new
functions just are not grouped).
"""
import bisect, json, os, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))


def text_range(binary):
    for line in subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        f = line.replace("[ ", "[").split()
        if len(f) > 5 and f[1] == ".text":
            lo = int(f[3], 16)
            return lo, lo + int(f[5], 16)
    sys.exit("make-order: no .text in " + binary)


def symbols(symfile):
    syms = []
    for line in subprocess.run(["nm", "-n", "--defined-only", symfile], capture_output=True,
                               text=True, check=True).stdout.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "tTwW":
            syms.append((int(f[0], 16), f[2]))
    return syms


def section_names(sym):
    if sym.startswith("_GLOBAL__sub_I_"):
        return [".text.startup." + sym]
    if ".cold." in sym:
        return [".text.unlikely." + sym]
    return [".text." + sym, ".text.unlikely." + sym, ".text.hot." + sym]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    swrun, rootfs = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    out = sys.argv[3] if len(sys.argv) == 4 else os.path.join(HERE, "swrun.order")
    symfile = swrun + ".debug" if os.path.exists(swrun + ".debug") else swrun
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
    finally:
        if status("order-c") is not None:
            subprocess.run([swrun, "--root", root, "delete", "--force", "order-c"])
    addrs = set()
    for path in hits:
        with open(path) as f:
            addrs.update(int(line, 16) for line in f)
    syms = symbols(symfile)
    # Aliases share an address, and only one of them names the function's section.
    names = {}
    for a, name in syms:
        names.setdefault(a, []).append(name)
    starts = sorted(names)
    ran = set()
    for a in addrs:
        i = bisect.bisect_right(starts, a) - 1
        if i >= 0:
            ran.add(starts[i])
    with open(out, "w") as f:
        for start in sorted(ran):
            for sym in names[start]:
                for section in section_names(sym):
                    f.write(section + "\n")
    shutil.rmtree(work)
    print("make-order: %d functions (%d instructions) -> %s" % (len(ran), len(addrs), out))


main()
