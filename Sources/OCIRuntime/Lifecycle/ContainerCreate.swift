#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

public struct CreateOptions: Sendable {
    public var id: String
    public var bundle: String
    public var pidFile: String?
    public var consoleSocket: String?
    /// An already connected console socket (`run` in the foreground proxies the pty itself).
    public var consoleSocketFd: Int32?
    public var noPivot = false
    public var noNewKeyring = false
    public var preserveFds = 0
    public var systemdCgroup = false
    /// Without the host's root (Rootless.resolve): cgroups only where the user may write.
    public var rootless = false

    public init(id: String, bundle: String) {
        self.id = id
        self.bundle = bundle
    }
}

/// `create`: validate everything first, then build the container and leave its init blocked
/// on the exec FIFO. Any failure undoes every step already taken: no state directory, cgroup
/// or process is left behind.
public enum ContainerCreate {
    static let PR_SET_CHILD_SUBREAPER: Int32 = 36

    public static func run(store: StateStore, options o: CreateOptions) throws(RuntimeError) -> ContainerRecord {
        try ContainerID.validate(o.id)
        try InitProcess.checkPreserveFds(o.preserveFds)
        let bundle = Sys.absolutePath(o.bundle)
        var spec = try Spec.load(bundle: bundle)
        try RuntimeChecks.validate(spec, options: o)
        guard let root = spec.root else { throw RuntimeError.config("root", "required") }
        let rootfs = root.path.hasPrefix("/") ? Sys.clean(root.path) : Sys.clean(bundle + "/" + root.path)
        let plan = try NamespacePlan.make(spec)
        defer { plan.closeJoins() }

        let dir = try store.createDir(o.id)
        // Held until the undo steps are done too: a record without a PID whose lock is free
        // means a create that died (see Container.status), which another command may clean up.
        // Not ours to undo when it fails: the directory is then another create's.
        let lockFd = try store.lockNew(o.id)
        defer { close(lockFd) }
        var undo = Undo()
        undo.add { try? store.remove(o.id) }
        do throws(RuntimeError) {
            try NotifySocket.prepare(&spec, stateDir: dir)
            let listenFds = SocketActivation.pass(&spec)
            let fifo = dir + "/" + StateStore.execFifo
            // Writable by all (runc's 0622): the sealed exec stub opens it as the container's
            // user, after the identity switch; only its O_PATH fd leads there.
            try Sys.check("mkfifo", "create the exec FIFO \(fifo)") { mkfifo(fifo, 0o622) }
            try Sys.check("chmod", "make the exec FIFO writable past the umask") { chmod(fifo, 0o622) }
            if plan.newUser {
                // The init opens the FIFO as the container's root, i.e. the host IDs it maps to.
                let uid = IDMappings.hostID(0, spec.linux?.uidMappings) ?? 0
                let gid = IDMappings.hostID(0, spec.linux?.gidMappings) ?? 0
                try Sys.check("chown", "chown the exec FIFO to the container's root") { chown(fifo, uid, gid) }
            }

            let fifoFd = try Sys.check("open", "open the exec FIFO") { open(fifo, O_PATH | O_CLOEXEC) }
            defer { close(fifoFd) }

            let cgroup = try CgroupManagers.make(spec: spec, id: o.id, systemd: o.systemdCgroup, rootless: o.rootless)
            var record = ContainerRecord(
                ociVersion: spec.ociVersion, id: o.id, pid: 0, pidStartTime: 0, bundle: bundle, rootfs: rootfs,
                created: Timestamp.now(), owner: "", annotations: (spec.annotations ?? StringTable()).sortedByKey(),
                cgroupPaths: cgroup.paths, ownPidNamespace: plan.creates("pid"), hooks: nil,
                hostMounts: !plan.has("mount"))
            record.systemdUnit = cgroup.systemdUnit
            record.systemdUser = o.rootless && cgroup.systemdUnit != nil
            // Saved before anything exists on the host, so `delete --force` after a crash of
            // this command knows which cgroups to remove.
            try store.save(record)
            undo.add { try? cgroup.destroy() }
            if !plan.has("mount") { undo.add { HostMounts.unmountAll(under: rootfs) } }
            let v2Dir = cgroup.v2Directory
            let selfJoins = cgroup.selfJoinFiles(skipping: v2Dir) != nil
            func setUpCgroups() throws(RuntimeError) {
                try cgroup.create()
                if let r = spec.linux?.resources { try cgroup.apply(r) }
                // Always: without rules runc's default allowlist still applies.
                try cgroup.applyDevices(DeviceRules.effective(spec: spec))
            }
            if selfJoins { try cgroup.createForClone() } else { try setUpCgroups() }

            var console: Int32?
            if spec.process?.terminal == true {
                if let fd = o.consoleSocketFd { console = dup(fd) }
                else if let p = o.consoleSocket { console = try ConsoleSocket.connect(p) }
            }
            defer { if let console { close(console) } }
            let (parentEnd, childEnd) = try SyncChannel.pair()
            defer { parentEnd.close() }
            var ctx = InitContext(
                spec: spec, id: o.id, bundle: bundle, rootfs: rootfs, namespaces: plan,
                cgroupMount: CgroupMountPlan(hierarchies: cgroup.hierarchies, paths: cgroup.mountPaths, cgroupns: plan.has("cgroup")),
                fifoFd: fifoFd, channel: childEnd, preserveFds: listenFds + o.preserveFds, noPivot: o.noPivot,
                noNewKeyring: o.noNewKeyring, lockFd: lockFd, consoleSocket: console)
            if selfJoins { ctx.selfJoin = { placed in cgroup.selfJoinFiles(skipping: placed ? v2Dir : nil) } }
            ctx.bindSources = try BindSources.open(spec, bundle: bundle, userns: plan.has("user") && plan.has("mount"))
            defer { ctx.bindSources.close() }

            // Orphaned init stages are reparented to us, so a failed init can be reaped here.
            _ = sw_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
            try Fork.ensureSingleThreaded()
            // Born in the container's v2 cgroup where clone3 can do it; v1 hierarchies are joined
            // by the init itself (CgroupSelfJoin) or below.
            let cgroupFd = v2Dir.map { open($0, O_PATH | O_DIRECTORY | O_CLOEXEC) } ?? -1
            var placed: Int32 = 0
            var single = plan.singleStage
            // Only the PID namespace needs the clone; the init unshares the others itself, so that
            // making the network namespace (the costliest, ~1 ms) overlaps the cgroup setup here.
            let nsFlags = single ? UInt64(UInt32(bitPattern: plan.unshareFlags & NamespacePlan.CLONE_NEWPID)) : 0
            var stage1 = cgroupFd >= 0 || nsFlags != 0 ? sw_clone_into(nsFlags, cgroupFd, &placed) : sw_fork()
            var cloneErrno = errno
            if stage1 < 0 && nsFlags != 0 && cloneErrno == ENOSYS {
                // No clone3 (a seccomp profile of an enclosing container, such as Docker's, makes
                // it ENOSYS): the two-stage init, whose new PID namespace needs only fork.
                single = false
                stage1 = sw_fork()
                cloneErrno = errno
            }
            if cgroupFd >= 0 { close(cgroupFd) }
            if stage1 < 0 {
                childEnd.close()
                throw RuntimeError.sys("clone3", "start the container init", errno: cloneErrno, jsonPath: "linux.namespaces")
            }
            if stage1 == 0 {
                parentEnd.close()
                if single { InitProcess.singleStage(ctx, placedInV2: placed != 0) }
                InitProcess.stage1(ctx, placedInV2: placed != 0)
            }
            childEnd.close()
            // Single stage: the child is the init. Otherwise stage 1 reports the init's PID.
            var initPid: Int32 = single ? stage1 : 0
            undo.add {
                kill(stage1, SIGKILL)
                if initPid > 0 && initPid != stage1 { kill(initPid, SIGKILL) }
                var st: Int32 = 0
                waitpid(stage1, &st, 0)
                if initPid > 0 && initPid != stage1 { waitpid(initPid, &st, 0) }
            }
            // The init closed the socket without a word (killed, or its message was lost): the
            // reason is its wait status, and the cgroup's OOM count when it was killed.
            func exitedBeforeReady() -> RuntimeError {
                InitExit.explain(pid: initPid > 0 ? initPid : stage1, cgroupPaths: cgroup.paths)
            }
            if selfJoins {
                // While the init builds its rootfs; it joins once told the cgroups are ready.
                try setUpCgroups()
            } else {
                try cgroup.join(pid: stage1, skipping: placed != 0 ? v2Dir : nil)
            }
            do {
                try parentEnd.send(.proceed)
            } catch {
                // The init already failed: its message says why.
                if case .failure(let e)? = try? parentEnd.receive() { throw e }
                throw error
            }
            // Stage 1 reports the init's PID and stage 2 reports its progress on the same socket,
            // from two processes: "ready" (or runHooks) can overtake the PID, so both wait for it.
            // Without the PID a failure could not kill an init already blocked on the FIFO.
            func awaitInitPid() throws(RuntimeError) {
                while initPid <= 0 {
                    guard let next = try parentEnd.receive() else {
                        throw exitedBeforeReady()
                    }
                    switch next {
                    case .initPid(let p): initPid = p; var st: Int32 = 0; waitpid(stage1, &st, 0)
                    case .warning(let w): Log.warn(w)
                    case .failure(let e): throw e
                    default: throw RuntimeError("unexpected message from the container init")
                    }
                }
            }
            loop: while true {
                guard let m = try parentEnd.receive() else {
                    throw exitedBeforeReady()
                }
                switch m {
                case .mapIDs:
                    try IDMappings.write(pid: stage1, spec: spec)
                    try parentEnd.send(.idsMapped)
                case .initPid(let p):
                    initPid = p
                    var st: Int32 = 0
                    waitpid(stage1, &st, 0)
                case .warning(let w): Log.warn(w)
                case .runHooks:
                    try awaitInitPid()
                    try LifecycleHooks.runtimePhases(spec: spec, id: o.id, bundle: bundle, pid: initPid)
                    try parentEnd.send(.hooksDone(initPid))
                case .moveNetDevices:
                    try awaitInitPid()
                    try NetDevices.move(spec, intoNamespaceOf: initPid)
                    try parentEnd.send(.netDevicesMoved)
                case .ready:
                    try awaitInitPid()
                    break loop
                case .failure(let e): throw e
                case .proceed, .idsMapped, .hooksDone, .netDevicesMoved, .joinCgroup, .cgroupJoined: throw RuntimeError("unexpected message from the container init")
                }
            }
            guard initPid > 0, let st = ProcStat.read(initPid) else {
                throw exitedBeforeReady()
            }
            record.pid = initPid
            record.pidStartTime = st.startTime
            record.hooks = LifecycleHooks.recorded(spec)?.toJSON()
            try store.save(record)
            if let pf = o.pidFile { try writePidFile(pf, initPid) }
            undo.clear()
            return record
        } catch {
            undo.run()
            throw error
        }
    }

    static func writePidFile(_ path: String, _ pid: Int32) throws(RuntimeError) {
        try Sys.writeAtomically(Sys.absolutePath(path), String(pid), mode: 0o644)
    }
}

/// Cleanup steps run in reverse order when an operation fails half-way.
struct Undo {
    private var steps: [() -> Void] = []
    mutating func add(_ step: @escaping () -> Void) { steps.append(step) }
    mutating func clear() { steps.removeAll() }
    func run() { for s in steps.reversed() { s() } }
}

/// What swrun itself requires beyond the spec's own rules (Spec.validate), checked before the
/// system is touched.
enum RuntimeChecks {
    static func validate(_ spec: Spec, options: CreateOptions) throws(RuntimeError) {
        guard let process = spec.process else { throw RuntimeError.config("process", "required") }
        guard spec.root != nil else { throw RuntimeError.config("root", "required") }
        try DeviceRules.validate(spec: spec)
        try CgroupUnifiedHost.refuseUnifiedUnlessPureV2(spec.linux?.resources)
        try NetDevices.checkHost(spec)
        try AppArmor.check(process.apparmorProfile, jsonPath: "process.apparmorProfile")
        try SELinux.check(process.selinuxLabel, jsonPath: "process.selinuxLabel")
        if process.terminal == true && options.consoleSocket == nil && options.consoleSocketFd == nil {
            throw RuntimeError.config("process.terminal", "a terminal needs --console-socket (or set terminal to false)")
        }
    }
}
