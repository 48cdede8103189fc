#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// `checkpoint`: CRIU dumps the running container's process tree into the image directory;
/// the container is then destroyed (as runc does), unless --leave-running or --pre-dump.
/// Everything that can refuse the checkpoint (status, flags, a terminal without --shell-job,
/// CRIU missing, too old or unable to run on this kernel) is checked before CRIU touches the
/// container or the image directory is made.
public enum ContainerCheckpoint {
    /// runc's name: the init's stdio at checkpoint time, so restore can hand the new pipes in.
    static let descriptorsFile = "descriptors.json"
    /// swrun's: CRIU's key of the init's terminal (see terminalKey).
    static let terminalFile = "swrun-terminal"

    public static func run(store: StateStore, id: String, options o: CheckpointOptions) throws(RuntimeError) {
        try ContainerID.validate(id)
        try o.common.validate()
        let lockFd = try store.lock(id)
        defer { close(lockFd) }
        let c = try Container(store: store, id: id)
        let status = c.status
        guard status == .running || status == .paused else {
            throw RuntimeError("container \"\(id)\" cannot be checkpointed in \(status.rawValue) state")
        }
        let imagePath = Sys.absolutePath(o.common.imagePath)
        if let p = o.parentPath {
            if p.hasPrefix("/") { throw RuntimeError("--parent-path must be relative (to --image-path)") }
            let real = Sys.clean(imagePath + "/" + p)
            if !Sys.isDirectory(real) {
                throw RuntimeError("invalid --parent-path: \(real) is not a directory (the pre-dump's image path)")
            }
        }
        if let fd = o.statusFd {
            let flags = sw_fcntl_int(fd, F_GETFL, 0)
            if flags < 0 {
                let e = errno
                throw RuntimeError.sys("fcntl", "invalid --status-fd argument \(fd)", errno: e)
            }
            if flags & O_ACCMODE == O_RDONLY { throw RuntimeError("invalid --status-fd argument \(fd): not writable") }
        }
        // The config as the bundle holds it, as exec reads it: mounts, masked paths, devices
        // and namespaces joined by path.
        let spec = try Spec.parse(try Sys.readFile(c.record.bundle + "/config.json"))
        let stdio = (0...2).map { Sys.readLink("/proc/\(c.record.pid)/fd/\($0)") ?? "" }
        let terminal = try terminalKey(c.record.pid, stdio: stdio, config: spec, id: id, shellJob: o.common.shellJob)
        let netIno = try joinedNamespaceInode(spec, "network")
        let pidIno = try joinedNamespaceInode(spec, "pid")
        let criu = try CriuBinary.prepare(for: "checkpoint container \"\(id)\"", program: o.common.criuProgram)

        var common = o.common
        common.imagePath = imagePath
        if let w = common.workPath { common.workPath = Sys.absolutePath(w) }
        for dir in [imagePath, common.workPath].compactMap({ $0 }) {
            if mkdir(dir, 0o700) != 0 {
                let e = errno
                if e != EEXIST { throw RuntimeError.sys("mkdir", "create \(dir)", errno: e) }
            }
        }
        let rootfs = c.record.rootfs
        let facts = CriuArguments.ContainerFacts(
            initPid: c.record.pid, rootfs: rootfs,
            dumpMounts: CriuExternalMounts.forDump(spec) { p in
                var st = stat()
                return stat("/proc/\(c.record.pid)/root/\(p)", &st) == 0 && (st.st_mode & S_IFMT) != S_IFDIR
            },
            freezeCgroup: freezeCgroup(c.record.cgroupPaths), terminal: terminal)
        if !o.preDump {
            let json = JSONValue.array(stdio.map { .string($0) }).serialized()
            try Sys.writeFile(imagePath + "/" + descriptorsFile, json, mode: 0o600)
            if let terminal { try Sys.writeFile(imagePath + "/" + terminalFile, terminal + "\n", mode: 0o600) }
        }
        var opts = o
        opts.common = common
        let args = CriuArguments.dump(opts, facts: facts, netNsInode: netIno, pidNsInode: pidIno)
        // The status fd stays open in criu at its own number (the child closes all others).
        let statusFd = o.statusFd.map { [CriuProcess.PassedFd(target: $0, source: $0)] } ?? []
        let r = try CriuProcess.run(criu.path, args, capture: true, fds: statusFd)
        if !r.succeeded {
            throw CriuLog.failure("checkpoint container \"\(id)\"", status: r.status,
                                  log: (common.workPath ?? imagePath) + "/" + CriuArguments.dumpLog, output: r.output)
        }
        if !o.leaveRunning && !o.preDump {
            // CRIU killed the tree after dumping it: the container is gone, as with runc.
            do { try ContainerDelete.destroy(c) } catch { Log.warn("checkpoint: \(error)") }
        }
    }

    /// CRIU's key of the terminal the init's stdio is (`tty[RDEV:DEV]`, hex, as CRIU's
    /// get_tty_driver spells it from its fstat), or nil when it has none. A terminal swrun made
    /// (process.terminal) has its master with the engine, out of the tree: CRIU dumps the
    /// slave as a shell job, and restore hands CRIU a new slave under this key (--inherit-fd)
    /// and the new master to --console-socket, what runc gets from CRIU's RPC
    /// orphan-pts-master. Any other terminal (a shell's) needs --shell-job from the caller.
    static func terminalKey(_ pid: Int32, stdio: [String], config: Spec, id: String,
                            shellJob: Bool) throws(RuntimeError) -> String? {
        let ttys = stdio.indices.filter { stdio[$0].hasPrefix("/dev/pts/") || stdio[$0] == "/dev/console" }
        guard let first = ttys.first else { return nil }
        guard config.process?.terminal == true else {
            if shellJob { return nil }
            throw RuntimeError("container \"\(id)\" cannot be checkpointed: its process has a terminal (\(stdio[first]))",
                               hint: "CRIU dumps a terminal the container did not make only with --shell-job")
        }
        var keys: [String] = []
        for fd in ttys {
            var st = stat()
            if stat("/proc/\(pid)/fd/\(fd)", &st) != 0 {
                let e = errno
                throw RuntimeError.sys("stat", "stat the terminal of container \"\(id)\" (fd \(fd))", errno: e)
            }
            let key = "tty[\(String(UInt64(st.st_rdev), radix: 16)):\(String(UInt64(st.st_dev), radix: 16))]"
            if !keys.contains(key) { keys.append(key) }
        }
        if keys.count > 1 {
            throw RuntimeError("container \"\(id)\" cannot be checkpointed: its stdio are \(keys.count) different terminals")
        }
        return keys.first
    }

    /// The inode of a namespace the container joined by path (CRIU's external namespace key).
    static func joinedNamespaceInode(_ spec: Spec, _ type: String) throws(RuntimeError) -> UInt64? {
        guard let path = spec.linux?.namespaces?.first(where: { $0.type == type })?.path else { return nil }
        var st = stat()
        guard stat(path, &st) == 0 else {
            let e = errno
            throw RuntimeError.sys("stat", "stat the \(type) namespace \(path) the container joined", errno: e)
        }
        return UInt64(st.st_ino)
    }

    /// The cgroup CRIU freezes the tree with: the v1 freezer, else the v2 directory.
    static func freezeCgroup(_ paths: [String]) -> String? {
        if let v1 = paths.first(where: { Sys.exists($0 + "/freezer.state") }) { return v1 }
        return paths.first(where: { Sys.exists($0 + "/cgroup.freeze") })
    }
}

/// CRIU's reasons, quoted from its log as runc quotes them.
enum CriuLog {
    static func failure(_ what: String, status: Int32, log: String, output: String) -> RuntimeError {
        let text = (try? Sys.readFile(log, limit: 1 << 22)).map { String(decoding: $0, as: UTF8.self) } ?? output
        let lines = CriuBinary.errorLines(text, limit: 5)
        return RuntimeError("cannot \(what): criu failed (exit \(status))"
                            + (lines.isEmpty ? "" : ": " + lines.joined(separator: "; ")),
                            hint: "CRIU's log: \(log)")
    }
}
