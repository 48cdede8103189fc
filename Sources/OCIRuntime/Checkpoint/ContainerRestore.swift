#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// `restore`: a new container (any ID) from a checkpoint's images and a bundle. As runc does:
/// the container's cgroup is made and its limits written first and criu is placed in it, so
/// CRIU restores the tree there (--cgroup-root); the rootfs is bound to a directory in the
/// state dir for CRIU's --root; bind mounts, masked files and devices are mapped back to their
/// host sources; the init's stdio pipes at checkpoint time are replaced by swrun's own
/// (--inherit-fd), so the engine's new pipes reach the restored process. The restored init is
/// swrun's child (--restore-sibling): `restore -d` leaves it to the engine's subreaper, a
/// foreground restore waits for it as `run` does. A failure removes everything it made.
///
/// A terminal the container had (process.terminal) is replaced by a new pty: the new slave
/// is inherited under the dumped one's key (ContainerCheckpoint.terminalKey), which makes it
/// an external tty to CRIU, given to the session leader as its controlling terminal, and the
/// master goes to --console-socket once the tree is restored (runc gets a master from CRIU's
/// RPC orphan-pts-master instead; the command line has no such thing, but it has inherited
/// ttys). prestart and createRuntime run at CRIU's setup-namespaces through its action
/// script (CriuActionScript), poststart once restored.
public enum ContainerRestore {
    public static func run(store: StateStore, options o: RestoreOptions) throws(RuntimeError) -> Int32 {
        try ContainerID.validate(o.id)
        try o.common.validate()
        let bundle = Sys.absolutePath(o.bundle)
        let spec = try Spec.load(bundle: bundle)
        guard let process = spec.process else { throw RuntimeError.config("process", "required") }
        guard let root = spec.root else { throw RuntimeError.config("root", "required") }
        let rootfs = root.path.hasPrefix("/") ? Sys.clean(root.path) : Sys.clean(bundle + "/" + root.path)
        var common = o.common
        common.imagePath = Sys.absolutePath(common.imagePath)
        if let w = common.workPath { common.workPath = Sys.absolutePath(w) }
        if !Sys.exists(common.imagePath + "/inventory.img") {
            throw RuntimeError("cannot restore container \"\(o.id)\": no checkpoint in \(common.imagePath) (no inventory.img)")
        }
        let terminalKey = try checkpointedTerminal(imagePath: common.imagePath)
        if terminalKey == nil && process.terminal == true && !o.common.shellJob {
            throw RuntimeError("cannot restore container \"\(o.id)\": its process has a terminal, but the checkpoint does not "
                               + "name it (not made by swrun from a container with process.terminal)",
                               jsonPath: "process.terminal", hint: "restore it with --shell-job from a terminal")
        }
        if terminalKey != nil && o.consoleSocket == nil && !(o.common.shellJob && isatty(0) == 1) {
            throw RuntimeError("cannot restore container \"\(o.id)\": its process has a terminal: a new one needs "
                               + "--console-socket to send its master to (or --shell-job with a terminal as stdin)",
                               jsonPath: "process.terminal")
        }
        let inherit = try inheritedStdio(imagePath: common.imagePath)
        var passed: [CriuProcess.PassedFd] = []
        defer { for f in passed { close(f.source) } }
        var joins: [(String, String)] = []
        var inheritFds = inherit
        let terminal = try terminalKey.map { (key: String) throws(RuntimeError) in
            try RestoredTerminal(key: key, consoleSocket: o.consoleSocket, fd: 3)
        }
        defer { terminal?.close() }
        if let terminal {
            inheritFds.append(terminal.inherit)
            passed.append(terminal.slave)
        }
        for ns in spec.linux?.namespaces ?? [] {
            guard let path = ns.path else { continue }
            switch ns.type {
            case "network", "pid":
                // CRIU's external namespaces (runc's extRootNetNS / extRootPidNS keys).
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                if fd < 0 {
                    let e = errno
                    throw RuntimeError.sys("open", "open the \(ns.type) namespace \(path) the container joins", errno: e,
                                           jsonPath: "linux.namespaces")
                }
                let target = Int32(truncatingIfNeeded: 3 + passed.count)  // a tty and one per namespace type at most
                passed.append(.init(target: target, source: fd))
                inheritFds.append((target, ns.type == "network" ? "extRootNetNS" : "extRootPidNS"))
            case "cgroup":
                throw RuntimeError.config("linux.namespaces", "cannot restore into a cgroup namespace joined by path")
            default:
                joins.append((criuNamespaceName(ns.type), path))
            }
        }
        let criu = try CriuBinary.prepare(for: "restore container \"\(o.id)\"", program: o.common.criuProgram)
        // Blocked before criu forks the tree, so a foreground restore loses none (as `run`).
        let sigfd = o.detach ? -1 : ContainerRun.forwarded.withUnsafeBufferPointer {
            sw_block_signals_fd($0.baseAddress, Int32($0.count))
        }

        let dir = try store.createDir(o.id)
        let lockFd = try store.lockNew(o.id)
        defer { close(lockFd) }
        var undo = Undo()
        undo.add { try? store.remove(o.id) }
        let record: ContainerRecord
        do throws(RuntimeError) {
            let cgroup = try CgroupManagers.make(spec: spec, id: o.id, systemd: o.systemdCgroup, rootless: o.rootless)
            var r = ContainerRecord(
                ociVersion: spec.ociVersion, id: o.id, pid: 0, pidStartTime: 0, bundle: bundle, rootfs: rootfs,
                created: Timestamp.now(), owner: "", annotations: (spec.annotations ?? StringTable()).sortedByKey(),
                cgroupPaths: cgroup.paths, ownPidNamespace: spec.linux?.namespaces?.contains { $0.type == "pid" && $0.path == nil } ?? false,
                hooks: LifecycleHooks.recorded(spec)?.toJSON(), hostMounts: false)
            r.systemdUnit = cgroup.systemdUnit
            try store.save(r)
            undo.add { try? cgroup.destroy() }
            try cgroup.create()
            if let res = spec.linux?.resources { try cgroup.apply(res) }
            try cgroup.applyDevices(DeviceRules.effective(spec: spec))
            // Anything CRIU restored before it failed dies with the undo.
            undo.add { killAll(in: cgroup.paths) }

            try prepareMountpoints(spec, rootfs: rootfs, bundle: bundle)
            let criuRoot = dir + "/criu-root"
            try Sys.check("mkdir", "create \(criuRoot)") { mkdir(criuRoot, 0o755) }
            undo.add { rmdir(criuRoot) }
            // CRIU wants its --root to be a mount point (runc binds the rootfs the same way).
            try Sys.check("mount", "bind the rootfs \(rootfs) to \(criuRoot)") {
                mount(rootfs, criuRoot, nil, UInt(MS_BIND | MS_REC), nil)
            }
            defer { umount2(criuRoot, Int32(MNT_DETACH)); rmdir(criuRoot) }

            let pidFile = dir + "/criu-restore.pid"
            let args = CriuArguments.restore(
                RestoreOptions(copying: o, common: common), root: criuRoot, pidFile: pidFile,
                restoreMounts: CriuExternalMounts.forRestore(spec, bundle: bundle),
                inheritFds: inheritFds, joinNamespaces: joins)
            let hooks = try RestoreHooks(spec: spec, id: o.id, bundle: bundle)
            let result = try CriuProcess.run(criu.path, args + hooks.arguments, capture: false, fds: passed,
                                             cgroupRootFromSelf: true, environment: hooks.environment,
                                             whileRunning: hooks.serve) {
                (pid: Int32) throws(RuntimeError) in try cgroup.join(pid: pid)
            }
            if let failure = hooks.failure { throw failure }
            if !result.succeeded {
                throw CriuLog.failure("restore container \"\(o.id)\"", status: result.status,
                                      log: (common.workPath ?? common.imagePath) + "/" + CriuArguments.restoreLog, output: "")
            }
            let text = (try? Sys.readString(pidFile))?.trimmingCharacters(in: " \n") ?? ""
            unlink(pidFile)
            guard let pid = Int32(text), pid > 0, let st = ProcStat.read(pid) else {
                throw RuntimeError("cannot restore container \"\(o.id)\": criu left no valid PID in \(pidFile) (\"\(text)\")")
            }
            r.pid = pid
            r.pidStartTime = st.startTime
            try store.save(r)
            if let pf = o.pidFile { try ContainerCreate.writePidFile(pf, pid) }
            try terminal?.sendMaster()
            record = r
            undo.clear()
        } catch {
            undo.run()
            throw error
        }
        LifecycleHooks.runRecorded(record, phase: .poststart, status: .running)
        if o.detach { return 0 }
        let c = Container(store: store, record: record)
        let status = ContainerRun.wait(for: record.pid, sigfd: sigfd)
        try ContainerDelete.destroy(c)
        return status
    }

    /// CRIU's key of the container's own terminal at checkpoint, if it had one.
    static func checkpointedTerminal(imagePath: String) throws(RuntimeError) -> String? {
        let file = imagePath + "/" + ContainerCheckpoint.terminalFile
        guard Sys.exists(file) else { return nil }
        let key = try Sys.readString(file).trimmingCharacters(in: " \n")
        // It becomes an argument of criu: only the shape CRIU gives it.
        let inner = key.hasPrefix("tty[") && key.hasSuffix("]") ? key.dropFirst(4).dropLast() : ""
        let parts = inner.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isHexDigit } }) else {
            throw RuntimeError("\(file): not a terminal key of CRIU (tty[RDEV:DEV]): \"\(key)\"")
        }
        return key
    }

    /// `--inherit-fd fd[N]:pipe:[INO]` for each of the init's stdio that was a pipe at
    /// checkpoint (runc's descriptors.json): the restored process gets swrun's fd N instead.
    static func inheritedStdio(imagePath: String) throws(RuntimeError) -> [(Int32, String)] {
        let file = imagePath + "/" + ContainerCheckpoint.descriptorsFile
        guard Sys.exists(file) else { return [] }
        let value = try JSONValue.parse(try Sys.readFile(file, limit: 1 << 20))
        guard case .array(let items) = value else {
            throw RuntimeError("\(file): expected a JSON array of the init's descriptors")
        }
        var out: [(Int32, String)] = []
        for (i, item) in items.enumerated() {
            guard let s = item.stringValue, s.includes("pipe:"), let fd = Int32(exactly: i) else { continue }
            out.append((fd, s))
        }
        return out
    }

    /// CRIU's names of namespaces for --join-ns.
    static func criuNamespaceName(_ type: String) -> String {
        switch type {
        case "mount": return "mnt"
        case "network": return "net"
        default: return type
        }
    }

    /// Mount points CRIU mounts onto must exist in the rootfs (runc creates them too); made
    /// inside the rootfs (openat2 RESOLVE_IN_ROOT), never through a symlink out of it.
    static func prepareMountpoints(_ spec: Spec, rootfs: String, bundle: String) throws(RuntimeError) {
        let inRoot = try InRoot(path: rootfs)
        defer { inRoot.close() }
        let mounts = spec.mounts ?? []
        for (i, m) in mounts.enumerated() where m.type != "cgroup" && m.type != "cgroup2" {
            let dest = Sys.clean("/" + m.destination)
            // Below a tmpfs of the container: CRIU restores that tmpfs with its content.
            if mounts.contains(where: { $0.type == "tmpfs" && dest.hasPrefix(Sys.clean("/" + $0.destination) + "/") }) { continue }
            var directory = true
            if m.isBind {
                var st = stat()
                if stat(Mounter.bindSource(m, bundle: bundle), &st) == 0 { directory = (st.st_mode & S_IFMT) == S_IFDIR }
            }
            let fd = try inRoot.ensure(dest, directory: directory, jsonPath: "mounts[\(i)].destination")
            close(fd)
        }
    }

    /// SIGKILL to every process in the cgroups, until they are empty (bounded).
    static func killAll(in paths: [String]) {
        for _ in 0..<500 {
            let left = CgroupManagers.pids(paths: paths)
            if left.isEmpty { return }
            for p in left { kill(p, SIGKILL) }
            var st: Int32 = 0
            while waitpid(-1, &st, WNOHANG) > 0 {}
            usleep(2000)
        }
    }
}

extension RestoreOptions {
    init(copying o: RestoreOptions, common: CriuCommonOptions) {
        self = o
        self.common = common
    }
}

/// The terminal a restored process gets in place of its checkpointed one (CRIU's `key`): a
/// new pty whose slave CRIU inherits as fd `fd` and whose master goes to the console
/// socket, or with --shell-job and no socket, restore's own stdin terminal (as a shell job
/// gets criu's stdin).
private struct RestoredTerminal {
    let inherit: (Int32, String)
    /// The terminal's slave, placed at `fd` in criu (closed with the other passed fds).
    let slave: CriuProcess.PassedFd
    private let console: (socket: Int32, master: Int32, slavePath: String)?

    init(key: String, consoleSocket: String?, fd: Int32) throws(RuntimeError) {
        inherit = (fd, key)
        guard let path = consoleSocket else {
            // A copy, not fd 0 itself: CRIU moves inherited fds into its store and closes
            // them, and a shell job also stores its stdin (EBADF after the move).
            let copy = try Sys.check("fcntl", "duplicate restore's stdin terminal") { sw_fcntl_int(0, F_DUPFD_CLOEXEC, 3) }
            slave = .init(target: fd, source: copy); console = nil
            return
        }
        let socket = try ConsoleSocket.connect(path)
        let pty: (master: Int32, slave: Int32, slavePath: String)
        do throws(RuntimeError) { pty = try Terminal.openPair(where: "for the restored terminal", jsonPath: nil) } catch {
            Glibc.close(socket)
            throw error
        }
        slave = .init(target: fd, source: pty.slave)
        console = (socket, pty.master, pty.slavePath)
    }

    /// Once the tree is restored: the engine's end of the new terminal.
    func sendMaster() throws(RuntimeError) {
        guard let console else { return }
        try Terminal.sendMaster(console.master, name: console.slavePath, over: console.socket)
    }

    func close() {
        guard let console else { return }
        Glibc.close(console.socket)
        Glibc.close(console.master)
    }
}

/// prestart and createRuntime during the restore (CriuActionScript), when the spec has any:
/// otherwise CRIU runs no action script, which would cost an exec of swrun per action.
private final class RestoreHooks {
    let listener: CriuActionScript.Listener?
    let arguments: [String]
    let environment: [(String, String)]
    private let spec: Spec, id: String, bundle: String

    init(spec: Spec, id: String, bundle: String) throws(RuntimeError) {
        self.spec = spec; self.id = id; self.bundle = bundle
        guard !(spec.hooks?.prestart ?? []).isEmpty || !(spec.hooks?.createRuntime ?? []).isEmpty else {
            listener = nil; arguments = []; environment = []
            return
        }
        let l = try CriuActionScript.Listener()
        let (args, env) = try l.criuArguments()
        listener = l; arguments = args; environment = [env]
    }

    var failure: RuntimeError? { listener?.failure }

    func serve(criuPid: Int32) {
        listener?.serve(criuPid: criuPid) { (pid: Int32) throws(RuntimeError) in
            try LifecycleHooks.runtimePhases(spec: spec, id: id, bundle: bundle, pid: pid)
        }
    }
}
