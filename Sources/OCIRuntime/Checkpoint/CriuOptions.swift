import Spec

/// What `checkpoint` and `restore` share, with runc's flag names.
public struct CriuCommonOptions: Sendable, Equatable {
    /// --image-path (runc's default: ./checkpoint).
    public var imagePath: String
    /// --work-path: CRIU's logs and work files (default: the image path).
    public var workPath: String?
    public var tcpEstablished = false
    public var extUnixSk = false
    public var shellJob = false
    public var fileLocks = false
    /// --manage-cgroups-mode: soft (CRIU's default), full, strict or ignore.
    public var manageCgroupsMode: String?
    /// --empty-ns: namespaces CRIU makes but does not fill; only "network" (runc's list).
    public var emptyNs: [String] = []
    public var autoDedup = false
    public var lazyPages = false
    /// runc's global --criu: the criu program (a path, or a name looked up on PATH).
    public var criuProgram: String?

    public init(imagePath: String) { self.imagePath = imagePath }

    /// runc's checks of the flags, before anything is done.
    func validate() throws(RuntimeError) {
        if let m = manageCgroupsMode, !["soft", "full", "strict", "ignore"].contains(m) {
            throw RuntimeError("invalid --manage-cgroups-mode value \"\(m)\": use soft, full, strict or ignore")
        }
        for ns in emptyNs where ns != "network" {
            throw RuntimeError("--empty-ns: namespace \"\(ns)\" is not supported (only network)")
        }
    }
}

public struct CheckpointOptions: Sendable, Equatable {
    public var common: CriuCommonOptions
    /// --parent-path: the previous (pre-)dump, relative to the image path.
    public var parentPath: String?
    public var leaveRunning = false
    public var preDump = false
    public var tcpSkipInFlight = false
    public var linkRemap = false
    /// --page-server ADDRESS:PORT.
    public var pageServer: String?
    /// --status-fd: CRIU writes \0 there once lazy pages can be served.
    public var statusFd: Int32?

    public init(common: CriuCommonOptions) { self.common = common }
}

public struct RestoreOptions: Sendable, Equatable {
    public var common: CriuCommonOptions
    public var id: String
    public var bundle: String
    public var detach = false
    public var pidFile: String?
    public var consoleSocket: String?
    public var noPivot = false
    /// --lsm-profile TYPE:NAME and --lsm-mount-context, passed to CRIU.
    public var lsmProfile: String?
    public var lsmMountContext: String?
    public var systemdCgroup = false
    public var rootless = false

    public init(common: CriuCommonOptions, id: String, bundle: String) {
        self.common = common; self.id = id; self.bundle = bundle
    }
}

/// The CRIU command lines, as pure functions of the options and the container's config (unit
/// tested): the options runc sets over RPC (libcontainer's Checkpoint and Restore), spelled for
/// criu's command line.
enum CriuArguments {
    static let dumpLog = "dump.log"
    static let restoreLog = "restore.log"

    /// What the container's config says that CRIU must be told.
    struct ContainerFacts {
        var initPid: Int32
        var rootfs: String
        /// Mount points to declare external at dump: (mount point in the container, cookie).
        var dumpMounts: [(String, String)]
        /// The cgroup CRIU freezes the tree with (v2 directory or v1 freezer).
        var freezeCgroup: String?
        /// CRIU's key of the container's own terminal (ContainerCheckpoint.terminalKey).
        var terminal: String? = nil
    }

    static func common(_ o: CriuCommonOptions, log: String) -> [String] {
        var a = ["-D", o.imagePath, "-W", o.workPath ?? o.imagePath, "-o", log, "-v4"]
        if o.tcpEstablished { a.append("--tcp-established") }
        if o.extUnixSk { a.append("--ext-unix-sk") }
        if o.shellJob { a.append("--shell-job") }
        if o.fileLocks { a.append("--file-locks") }
        if o.autoDedup { a.append("--auto-dedup") }
        if o.lazyPages { a.append("--lazy-pages") }
        a.append(o.manageCgroupsMode.map { "--manage-cgroups=\($0)" } ?? "--manage-cgroups")
        // runc always asks for an empty network namespace: it does not manage network devices,
        // the engine (or its CNI) does, and a namespace joined by path is external anyway.
        a += ["--empty-ns", "net"]
        return a
    }

    /// `criu dump` / `criu pre-dump` of the container's tree.
    static func dump(_ o: CheckpointOptions, facts f: ContainerFacts, netNsInode: UInt64?, pidNsInode: UInt64?) -> [String] {
        var a = [o.preDump ? "pre-dump" : "dump", "-t", String(f.initPid), "--root", f.rootfs]
        a += common(o.common, log: dumpLog)
        if o.leaveRunning { a.append("--leave-running") }
        if o.tcpSkipInFlight { a.append("--skip-in-flight") }
        if o.linkRemap { a.append("--link-remap") }
        if let fc = f.freezeCgroup { a += ["--freeze-cgroup", fc] }
        if let p = o.parentPath { a += ["--prev-images-dir", p] }
        // Pre-dumps track memory changes so the next dump writes only what changed since.
        if o.parentPath != nil || o.preDump { a.append("--track-mem") }
        if let ps = o.pageServer, let colon = ps.lastIndex(of: ":") {
            let port = String(ps[ps.index(after: colon)...])
            // With lazy pages the dump itself serves the pages, listening on every address
            // at the port (what CRIU makes of runc's RPC page-server info then, cr-service.c);
            // otherwise it sends them to the page server there.
            a += o.common.lazyPages ? ["--port", port] : ["--page-server", "--address", String(ps[..<colon]), "--port", port]
        }
        if let fd = o.statusFd { a += ["--status-fd", String(fd)] }
        if let ino = netNsInode { a += ["--external", "net[\(ino)]:extRootNetNS"] }
        if let ino = pidNsInode { a += ["--external", "pid[\(ino)]:extRootPidNS"] }
        // An unpaired slave (its master is the engine's) is dumped only as a shell job. Not
        // declared external: CRIU then refuses a /dev/tty the process holds open (busybox sh
        // does), whose session it checks against a dumped pty. At restore the key of the
        // dumped slave still selects an inherited fd (criu/tty.c get_tty_driver).
        if f.terminal != nil && !o.common.shellJob { a.append("--shell-job") }
        if !o.preDump {
            for (mountpoint, cookie) in f.dumpMounts { a += ["--external", "mnt[\(mountpoint)]:\(cookie)"] }
        }
        return a
    }

    /// `criu restore` into `root` (a bind of the rootfs), detached; --restore-sibling makes the
    /// restored init criu's sibling, i.e. swrun's child.
    static func restore(_ o: RestoreOptions, root: String, pidFile: String, restoreMounts: [(String, String)],
                        inheritFds: [(Int32, String)], joinNamespaces: [(String, String)]) -> [String] {
        var a = ["restore", "--root", root, "--restore-detached", "--restore-sibling", "--pidfile", pidFile,
                 "--evasive-devices"]
        a += common(o.common, log: restoreLog)
        if let p = o.lsmProfile { a += ["--lsm-profile", p] }
        if let c = o.lsmMountContext { a += ["--lsm-mount-context", c] }
        for (cookie, source) in restoreMounts { a += ["--external", "mnt[\(cookie)]:\(source)"] }
        for (fd, key) in inheritFds { a += ["--inherit-fd", "fd[\(fd)]:\(key)"] }
        for (ns, path) in joinNamespaces { a += ["--join-ns", "\(ns):\(path)"] }
        return a
    }
}

/// The container's mounts CRIU cannot dump itself: bind mounts of host paths, the /dev/null
/// binds over masked files, device nodes bound from the host. Declared external at dump (the
/// mount point is the cookie, as runc does) and mapped back to their host sources at restore.
enum CriuExternalMounts {
    /// Device nodes every container gets (runc adds its default devices' paths the same way).
    static let defaultDevices = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"]

    /// At dump: (mount point, cookie). `isFile(path)` says whether a masked path is a file in
    /// the container (masked directories are tmpfs mounts CRIU dumps itself).
    static func forDump(_ spec: Spec, isFile: (String) -> Bool) -> [(String, String)] {
        var out: [(String, String)] = []
        for m in spec.mounts ?? [] where m.isBind {
            let d = PathClean.clean(m.destination)
            out.append((d, d))
        }
        for p in spec.linux?.maskedPaths ?? [] where isFile(p) { out.append((PathClean.clean(p), "/dev/null")) }
        for d in devicePaths(spec) { out.append((d, d)) }
        return unique(out)
    }

    /// At restore: (cookie, host source).
    static func forRestore(_ spec: Spec, bundle: String) -> [(String, String)] {
        var out: [(String, String)] = []
        for m in spec.mounts ?? [] where m.isBind {
            let source = m.source ?? ""
            out.append((PathClean.clean(m.destination), source.hasPrefix("/") ? source : PathClean.clean(bundle + "/" + source)))
        }
        if !(spec.linux?.maskedPaths ?? []).isEmpty { out.append(("/dev/null", "/dev/null")) }
        for d in devicePaths(spec) { out.append((d, d)) }
        return unique(out)
    }

    static func devicePaths(_ spec: Spec) -> [String] {
        defaultDevices + (spec.linux?.devices ?? []).map { PathClean.clean($0.path) }
    }

    private static func unique(_ pairs: [(String, String)]) -> [(String, String)] {
        var seen: [String] = []
        return pairs.filter { p in
            if seen.contains(p.0) { return false }
            seen.append(p.0)
            return true
        }
    }
}
