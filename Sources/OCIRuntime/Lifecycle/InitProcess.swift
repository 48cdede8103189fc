#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Hooks
import Spec

/// Everything the container's init stages need, captured before fork (the child gets a copy
/// of memory, so nothing is serialized).
struct InitContext {
    var spec: Spec
    var id: String
    var bundle: String
    var rootfs: String
    var namespaces: NamespacePlan
    var cgroupMount: CgroupMountPlan
    /// O_PATH fd of the exec FIFO, opened by the parent: the init may not be able to walk
    /// the state directory's path once it is root of a user namespace.
    var fifoFd: Int32
    var channel: SyncChannel
    var preserveFds: Int
    var noPivot: Bool
    var noNewKeyring: Bool
    /// The state directory's lock: held by `create`, never by the init.
    var lockFd: Int32
    /// Connected --console-socket when process.terminal is true.
    var consoleSocket: Int32?
    /// Bind sources cloned on the host side for a container with a user namespace.
    var bindSources = BindSources()
    /// The init's own cgroup join (CgroupSelfJoin), given whether clone3 already placed it in
    /// the v2 cgroup; nil: `create` joins it and then sends `proceed`.
    var selfJoin: ((_ placedInV2: Bool) -> [String]?)? = nil
}

/// The container's init, in two stages after `create` forks:
///
/// stage 1 (in the host's PID namespace) joins namespaces given by path, makes the user
/// namespace (the parent writes its ID maps), unshares the rest and forks stage 2, which is
/// PID 1 of a new PID namespace (unshare(CLONE_NEWPID) and time namespaces only apply to
/// children). Stage 1 reports stage 2's host PID and exits.
///
/// stage 2 builds the rootfs, reports ready, blocks on the exec FIFO until `start`, then
/// takes on the process's identity and execs the user's program.
///
/// When NamespacePlan.singleStage holds, `create` clones the init directly into its new
/// namespaces and cgroup (clone3) and it starts at stage 2: one fork, exit and wait fewer.
///
/// Fork safety: swrun forks from Swift without re-executing itself. That is safe because the
/// process is single-threaded at fork time: no Foundation, Dispatch or Swift concurrency on
/// this path, and `create` checks /proc/self/task before forking (Fork.ensureSingleThreaded).
enum InitProcess {
    static let PR_SET_PDEATHSIG: Int32 = 1, PR_SET_DUMPABLE: Int32 = 4, PR_SET_NO_NEW_PRIVS: Int32 = 38

    /// What every first process after `create`'s fork does before its own work.
    private static func begin(_ ctx: InitContext) {
        _ = sw_unblock_all_signals()
        // Until exec, /proc/<pid>/exe of this process is the host's swrun binary: nobody in
        // the container may open it (CVE-2019-5736).
        _ = sw_prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        // Until exec a process in the container that holds CAP_SYS_PTRACE could read it in
        // /proc/PID/environ: the engine's variables are not the container's business.
        sw_scrub_environment()
        close(ctx.lockFd)
    }

    /// The init cloned straight into its namespaces: waits until `create` has put it into
    /// its cgroups, then builds the container. No parent-death signal: its parent is `create`,
    /// which exits while the init waits for `start`.
    static func singleStage(_ ctx: InitContext, placedInV2: Bool) -> Never {
        begin(ctx)
        // Born in its PID namespace; the others are made here, while `create` sets up the cgroups.
        let rest = ctx.namespaces.unshareFlags & ~NamespacePlan.CLONE_NEWPID
        if rest != 0 && sw_unshare(rest) != 0 {
            let e = errno
            try? ctx.channel.send(.failure(RuntimeError.sys("unshare", "create namespaces", errno: e, jsonPath: "linux.namespaces")))
            _exit(1)
        }
        stage2(ctx, joinCgroups: { (via: CgroupSelfJoin) throws(RuntimeError) in try joinCgroups(ctx, placedInV2: placedInV2, via: via) })
    }

    /// Into the container's cgroups once `create` says they are ready (`proceed`): by itself
    /// where the driver allows, else `create` has moved it already.
    private static func joinCgroups(_ ctx: InitContext, placedInV2: Bool, via: CgroupSelfJoin = CgroupSelfJoin()) throws(RuntimeError) {
        try ctx.channel.expect(.proceed, during: "cgroup setup")
        if let files = ctx.selfJoin?(placedInV2) { try via.run(files) }
    }

    static func stage1(_ ctx: InitContext, placedInV2: Bool) -> Never {
        begin(ctx)
        _ = sw_prctl(PR_SET_PDEATHSIG, UInt(SIGKILL), 0, 0, 0)
        let ch = ctx.channel
        do throws(RuntimeError) {
            try joinCgroups(ctx, placedInV2: placedInV2)
            try ctx.namespaces.enterJoined()
            ctx.namespaces.closeJoins()
            if ctx.namespaces.newUser {
                try Sys.check("unshare", "create user namespace", jsonPath: "linux.namespaces") { sw_unshare(0x1000_0000) }
                // A parent without the host's root may open this process's uid_map only while
                // it is dumpable (its /proc files are then the user's, not root's); runc too.
                let rootlessParent = geteuid() != 0
                if rootlessParent { _ = sw_prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) }
                try ch.send(.mapIDs)
                try ch.expect(.idsMapped, during: "user namespace mapping")
                if rootlessParent { _ = sw_prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) }
                try Sys.check("setresgid", "become root in the user namespace", jsonPath: "linux.gidMappings") { sw_setresgid(0, 0, 0) }
                try Sys.check("setresuid", "become root in the user namespace", jsonPath: "linux.uidMappings") { sw_setresuid(0, 0, 0) }
            }
            let flags = ctx.namespaces.unshareFlags
            if flags != 0 {
                try Sys.check("unshare", "create namespaces", jsonPath: "linux.namespaces") { sw_unshare(flags) }
            }
            if ctx.namespaces.creates("time") { try writeTimeOffsets(ctx.spec) }
            let pid = sw_fork()
            if pid < 0 {
                let e = errno
                throw RuntimeError.sys("fork", "start the container init", errno: e)
            }
            if pid == 0 { stage2(ctx) }
            try ch.send(.initPid(pid))
            _exit(0)
        } catch {
            try? ch.send(.failure(error))
            _exit(1)
        }
    }

    static func writeTimeOffsets(_ spec: Spec) throws(RuntimeError) {
        var lines = ""
        for (clock, off) in (spec.linux?.timeOffsets ?? [:]).sorted(by: { $0.key < $1.key }) {
            lines += "\(clock) \(off.secs ?? 0) \(off.nanosecs ?? 0)\n"
        }
        if lines.isEmpty { return }
        let proc = try Procfs.open(jsonPath: "linux.timeOffsets")
        defer { proc.close() }
        try proc.write("self/timens_offsets", lines, jsonPath: "linux.timeOffsets")
    }

    /// `joinCgroups`: the single-stage init joins here rather than first, so that its rootfs
    /// is built while `create` sets up the cgroups; but before any hook runs (hooks run inside
    /// the container's cgroups) and before the terminal and the process's limits.
    /// Joining after pivot_root goes through fds of the host's cgroup mounts, opened first and
    /// closed right after the join: nothing of the container runs while they are open.
    static func stage2(_ ctx: InitContext, joinCgroups: ((_ via: CgroupSelfJoin) throws(RuntimeError) -> Void)? = nil) -> Never {
        let ch = ctx.channel
        let spec = ctx.spec
        let process = spec.process!
        let fifoFd = ctx.fifoFd
        var executable = ""
        var stub: SealedExec? = nil
        var seccomp: SeccompFilter? = nil
        let user = process.user ?? User(uid: 0, gid: 0)
        var env: [String] = process.env ?? []
        do throws(RuntimeError) {
            _ = sw_prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
            // A new network namespace starts with `lo` down: 127.0.0.1 would not answer in a
            // container without CNI. runc and crun bring it up; engines count on it.
            if ctx.namespaces.creates("network") {
                try Sys.check("ioctl", "bring the loopback interface up", jsonPath: "linux.namespaces") { sw_loopback_up() }
            }
            if setsid() < 0 {
                let e = errno
                throw RuntimeError.sys("setsid", "start a new session", errno: e)
            }
            // First (a bad profile fails create before any mount), while the host's /proc and paths are visible.
            seccomp = try SeccompFilter.prepare(spec.linux?.seccomp, container: SeccompContainer(id: ctx.id, bundle: ctx.bundle, spec: spec), warn: { try? ch.send(.warning($0)) })
            // Moving linux.netDevices is a request to `create`, which reads it only after `proceed`
            // (the cgroup join): such a container gives up building its rootfs during the cgroup setup.
            let moveDevices = ctx.namespaces.has("network") && !(spec.linux?.netDevices ?? [:]).isEmpty
            let joinFirst = needsCgroupsForRootfs(spec) || moveDevices
            if joinFirst { try joinCgroups?(CgroupSelfJoin()) }
            if moveDevices {
                try ch.send(.moveNetDevices)
                guard let m = try ch.receive() else { throw RuntimeError("create exited while moving linux.netDevices") }
                if case .failure(let e) = m { throw e }
                guard m == .netDevicesMoved else { throw RuntimeError("unexpected message while moving linux.netDevices") }
            }
            let later = joinCgroups != nil && !joinFirst ? try CgroupSelfJoin.holding(ctx.cgroupMount.hierarchies) : nil
            // Device nodes and mount points get exactly the modes the config asks for.
            umask(0)
            try RootfsSetup(spec: spec, rootfs: ctx.rootfs, bundle: ctx.bundle,
                            // Inside a user namespace already (rootless podman's), device nodes
                            // cannot be made either: they are bound from the host, as runc does.
                            userns: ctx.namespaces.has("user") || Rootless.inUserNamespace(), noPivot: ctx.noPivot,
                            cgroupMount: ctx.cgroupMount, ownMountNamespace: ctx.namespaces.has("mount"),
                            bindSources: ctx.bindSources,
                            beforePivot: { () throws(RuntimeError) in
                                guard LifecycleHooks.hasAny(spec.hooks) else { return }
                                try ch.send(.runHooks)
                                guard let m = try ch.receive() else { throw RuntimeError("create exited during the hooks") }
                                if case .failure(let e) = m { throw e }
                                guard case .hooksDone(let p) = m else { throw RuntimeError("unexpected message during the hooks") }
                                try HookRunner.runAll(spec.hooks?.createContainer, phase: .createContainer,
                                                      state: LifecycleHooks.state(spec: spec, id: ctx.id, bundle: ctx.bundle,
                                                                                  pid: p, status: .creating),
                                                      inherited: process.env ?? [])
                            }).run()
            try RootfsSetup.kernelSettings(spec)
            if ctx.namespaces.has("mount") { StdioDevNull.reopen() }
            if let later {
                defer { later.close() }
                try joinCgroups?(later)
            }
            if let console = ctx.consoleSocket { try Terminal.setup(consoleSocket: console, size: process.consoleSize) }
            try WorkingDirectory.prepare(process.cwd)
            try RootfsSetup.finish(spec)
            try ProcessAttributes.oomScoreAdj(process.oomScoreAdj)
            try Rlimits.apply(process.rlimits)
            let caps = Capabilities(process.capabilities ?? LinuxCapabilities())
            try caps.checkHeld()
            // Told to create over the socket, which logs them (stderr without --log): after
            // `ready` the init's stderr is the container's.
            for w in caps.warnings { try ch.send(.warning(w)) }
            let selinux = try SELinux.openAttributes(process.selinuxLabel, keyring: !ctx.noNewKeyring,
                                                     jsonPath: "process.selinuxLabel")
            do throws(RuntimeError) { try selinux?.labelKeyring() } catch { selinux?.close(); throw error }
            if !ctx.noNewKeyring { _ = sw_join_session_keyring("_ses.\(ctx.id)") }
            try WorkingDirectory.enter(process.cwd)
            executable = try ExecutablePath.resolve(process.args?.first ?? "", env: env)
            let home = env.contains { $0.hasPrefix("HOME=") } ? [] : ["HOME=" + UserSwitch.home(uid: user.uid)]
            try ExecutablePath.checkArgumentSize(args: process.args ?? [], env: env + home)
            if !Sys.exists("/proc/self/fd/\(fifoFd)") {
                throw RuntimeError("the container has no /proc: swrun needs one to wait for start", jsonPath: "mounts",
                                   hint: "add a proc mount on /proc")
            }
            env += home
            // Checked before create: a label is refused unless SELinux is enabled; a mount label
            // without SELinux is nothing to apply (runc ignores it silently).
            if let v = spec.linux?.mountLabel, !v.isEmpty, !SELinux.isEnabled() {
                try ch.send(.warning("linux.mountLabel: \"\(v)\" is not applied: SELinux is not enabled on this host"))
            }
            // Before `ready`, so that a label the policy refuses fails create.
            try selinux?.setOnExec()
            // Before `ready`, so that a profile the kernel refuses fails create; it takes effect
            // at the next execve, the stub's.
            if let fd = try AppArmor.openExecAttribute(process.apparmorProfile, jsonPath: "process.apparmorProfile") {
                try AppArmor.setOnExec(fd, profile: process.apparmorProfile ?? "", jsonPath: "process.apparmorProfile")
            }
            // Kept across the execs of the stub and of the program; last, so that swrun's own
            // setup above allocates as it always does.
            try ProcessAttributes.memoryPolicy(spec.linux?.memoryPolicy)
            // The init waits for `start` as this stub, not as the host's swrun binary.
            stub = try SealedExec.prepare(executable: executable, fifoFd: fifoFd, report: .stderr)
            try ch.send(.ready)
        } catch {
            try? ch.send(.failure(error))
            _exit(1)
        }
        ch.close()
        do throws(RuntimeError) {
            try closeInheritedFds(preserve: ctx.preserveFds)
            // The stub opens the FIFO through this fd after its exec, and closes it.
            _ = sw_fcntl_int(fifoFd, F_SETFD, 0)
            // Before the wait, as runc: the waiting init holds only the container's identity.
            // `start` returns (and runs the poststart hooks) only once the stub writes the byte,
            // right before its execve: after the seccomp filter is compiled and loaded
            // (libseccomp compiles it at load: several ms for Docker's profile). Told earlier, an
            // engine's first signal could arrive while this init, PID 1 of its namespace, still
            // has no handler: the kernel drops it (runtime-tools' killsig lost its signals so).
            try finishProcess(process, spec: spec, setgroupsAllowed: true, seccomp: seccomp)
        } catch {
            Log.stderr("swrun: container init: \(error)")
            _exit(127)
        }
        let e = stub?.exec(args: process.args ?? [], env: env) ?? ENOEXEC
        Log.stderr("swrun: exec \(executable): \(Sys.errnoText(e))")
        _exit(127)
    }

    /// Hooks run inside the container's cgroups, and a cgroup mount shows (or binds) the
    /// container's own cgroup directories: both need the cgroups set up before the rootfs.
    static func needsCgroupsForRootfs(_ spec: Spec) -> Bool {
        LifecycleHooks.hasAny(spec.hooks) || (spec.mounts ?? []).contains {
            $0.type == "cgroup" || $0.type == "cgroup2" || ($0.source ?? "").hasPrefix("/sys/fs/cgroup")
        }
    }

    /// Identity and privileges, in the order that keeps each step possible: scheduling and
    /// bounding set while still privileged, user switch with capabilities kept, the
    /// configured capability sets, then no_new_privs.
    /// `seccomp`: the filter prepared before `create` reported ready; without one (exec) it is
    /// prepared here from the spec.
    static func finishProcess(_ process: Process, spec: Spec, setgroupsAllowed: Bool,
                              seccomp: SeccompFilter? = nil) throws(RuntimeError) {
        let filter = seccomp != nil ? seccomp : try SeccompFilter.prepare(spec.linux?.seccomp)
        try ProcessAttributes.scheduler(process.scheduler)
        try ProcessAttributes.ioPriority(process.ioPriority)
        try ProcessAttributes.personality(spec.linux?.personality)
        // Absent capabilities mean none at all, as with runc.
        // Unknown names were reported over the sync socket before this point (create: before
        // ready; exec: in enterProgram).
        let caps = Capabilities(process.capabilities ?? LinuxCapabilities())
        // Without no_new_privs, installing a filter needs CAP_SYS_ADMIN, which the switch below
        // may drop: load it now (as runc does); the profile must then allow the calls below.
        let nnp = process.noNewPrivileges == true
        if !nnp { try filter?.load() }
        try caps.dropBounding()
        let user = process.user ?? User(uid: 0, gid: 0)
        try UserSwitch.apply(user, setgroupsAllowed: setgroupsAllowed)
        try caps.apply()
        if process.noNewPrivileges == true {
            try Sys.check("prctl", "set no_new_privs", jsonPath: "process.noNewPrivileges") {
                sw_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
            }
        }
        umask(mode_t(user.umask ?? 0o022))
        // Last: after it, the syscalls above might be forbidden.
        if nnp { try filter?.load() }
    }

    /// Only stdio and the --preserve-fds range cross exec: no host fd leaks into the
    /// container (CVE-2024-21626).
    static func closeInheritedFds(preserve: Int, keep: Int32 = -1) throws(RuntimeError) {
        try checkPreserveFds(preserve)
        let end = Int32(truncatingIfNeeded: 3 + preserve)
        for fd in 3..<end where fd != keep { _ = sw_fcntl_int(fd, F_SETFD, 0) }
        let CLOSE_RANGE_CLOEXEC: UInt32 = 4
        try Sys.check("close_range", "mark inherited file descriptors close-on-exec") {
            sw_close_range(UInt32(truncatingIfNeeded: end), UInt32.max, CLOSE_RANGE_CLOEXEC)
        }
    }

    /// The kernel's ceiling on fd numbers (fs.nr_open's maximum): a count past it, or a
    /// negative one, is a caller's mistake, reported before anything is created.
    static let maxPreserveFds = 1 << 20

    static func checkPreserveFds(_ n: Int) throws(RuntimeError) {
        guard (0...maxPreserveFds).contains(n) else {
            throw RuntimeError("invalid --preserve-fds \(n): must be 0 to \(maxPreserveFds)")
        }
    }
}

enum Fork {
    /// fork() from a multi-threaded process copies one thread and whatever locks the others
    /// held: the child could deadlock in malloc. swrun never starts threads; this proves it.
    static func ensureSingleThreaded() throws(RuntimeError) {
        let n = sw_thread_count()
        if n != 1 {
            throw RuntimeError("swrun must be single-threaded to fork the container init, but has \(n) threads")
        }
    }
}
