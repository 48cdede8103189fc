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
/// Not supported: restoring a process that had a terminal and a console socket: runc hands
/// the engine the new pty master CRIU sends over its RPC socket (orphan-pts-master), which
/// criu's command line does not offer. Refused before anything is done.
public enum ContainerRestore {
    public static func run(store: StateStore, options o: RestoreOptions) throws(RuntimeError) -> Int32 {
        try ContainerID.validate(o.id)
        try o.common.validate()
        let bundle = Sys.absolutePath(o.bundle)
        let spec = try Spec.load(bundle: bundle)
        guard let process = spec.process else { throw RuntimeError.config("process", "required") }
        guard let root = spec.root else { throw RuntimeError.config("root", "required") }
        let rootfs = root.path.hasPrefix("/") ? Sys.clean(root.path) : Sys.clean(bundle + "/" + root.path)
        if process.terminal == true && !o.common.shellJob {
            throw RuntimeError("cannot restore container \"\(o.id)\": its process has a terminal, and handing a restored "
                               + "terminal to --console-socket needs CRIU's RPC interface (orphan-pts-master), which swrun does not use",
                               jsonPath: "process.terminal")
        }
        var common = o.common
        common.imagePath = Sys.absolutePath(common.imagePath)
        if let w = common.workPath { common.workPath = Sys.absolutePath(w) }
        if !Sys.exists(common.imagePath + "/inventory.img") {
            throw RuntimeError("cannot restore container \"\(o.id)\": no checkpoint in \(common.imagePath) (no inventory.img)")
        }
        let inherit = try inheritedStdio(imagePath: common.imagePath)
        var passed: [CriuProcess.PassedFd] = []
        defer { for f in passed { close(f.source) } }
        var joins: [(String, String)] = []
        var inheritFds = inherit
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
                let target = Int32(truncatingIfNeeded: 3 + passed.count)  // at most one per namespace type
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
            let result = try CriuProcess.run(criu.path, args, capture: false, fds: passed, cgroupRootFromSelf: true) {
                (pid: Int32) throws(RuntimeError) in try cgroup.join(pid: pid)
            }
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
            record = r
            undo.clear()
        } catch {
            undo.run()
            throw error
        }
        if o.detach { return 0 }
        let c = Container(store: store, record: record)
        let status = ContainerRun.wait(for: record.pid, sigfd: sigfd)
        try ContainerDelete.destroy(c)
        return status
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
