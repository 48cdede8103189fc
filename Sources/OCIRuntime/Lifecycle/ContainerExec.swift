#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

public struct ExecOptions: Sendable {
    public var id: String
    public var process: Process
    public var detach = false
    public var pidFile: String?
    public var consoleSocket: String?
    public var preserveFds = 0
    /// `--cgroup` values (runc 1.2): sub-cgroups of the container's to run in.
    public var subCgroups: [String] = []

    public init(id: String, process: Process) {
        self.id = id
        self.process = process
    }
}

/// `exec`: a new process in a running container: its cgroup, every namespace of its init,
/// then the same identity and privilege steps as the init (InitProcess.finishProcess).
public enum ContainerExec {
    static let PR_SET_CHILD_SUBREAPER: Int32 = 36

    /// The container's config from its bundle, as runc reads it for exec: the base for the
    /// process's defaults and for seccomp and personality.
    public static func containerSpec(_ c: Container) throws(RuntimeError) -> Spec {
        try Spec.parse(try Sys.readFile(c.record.bundle + "/config.json"))
    }

    public static func run(store: StateStore, options o: ExecOptions) throws(RuntimeError) -> Int32 {
        try InitProcess.checkPreserveFds(o.preserveFds)
        let c = try Container(store: store, id: o.id)
        switch c.status {
        case .running, .created: break
        case .paused: throw RuntimeError("cannot exec in a paused container")
        default: throw RuntimeError("cannot exec in a stopped container")
        }
        let spec = try containerSpec(c)
        let affinity = try CPUAffinityRules.check(o.process.execCPUAffinity)
        let plan = try NamespacePlan.joining(c.record.pid)
        defer { plan.closeJoins() }
        if o.process.terminal == true && o.consoleSocket == nil && o.detach {
            throw RuntimeError.config("process.terminal", "a detached process with a terminal needs --console-socket")
        }
        // In the foreground without a console socket swrun holds the pty itself.
        let proxy = o.process.terminal == true && o.consoleSocket == nil ? try TerminalProxy() : nil
        var console: Int32?
        if let proxy { console = dup(proxy.theirs) }
        else if let p = o.consoleSocket { console = try ConsoleSocket.connect(p) }
        defer { if let console { close(console) } }

        let listener = try SeccompListener.forExec(spec: spec, id: c.record.id, bundle: c.record.bundle)
        defer { if let listener { close(listener.fd) } }
        let sigfd = o.detach ? -1 : ContainerRun.forwarded.withUnsafeBufferPointer { sw_block_signals_fd($0.baseAddress, Int32($0.count)) }
        let (parentEnd, childEnd) = try SyncChannel.pair()
        defer { parentEnd.close() }
        if !o.detach { _ = sw_prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }
        try Fork.ensureSingleThreaded()
        // Born in the container's v2 cgroup (clone3 CLONE_INTO_CGROUP), as the init is: a PID
        // written to cgroup.procs takes the kernel's threadgroup lock for writing, which waits
        // for an RCU grace period. When the kernel refuses (a busy cgroup, before 5.7) this is
        // a fork and the process joins itself, with ExecCgroupJoin's fallbacks.
        try SELinux.check(o.process.selinuxLabel, jsonPath: "process.selinuxLabel")
        try AppArmor.check(o.process.apparmorProfile, jsonPath: "process.apparmorProfile")
        let cgroupPaths = try ExecCgroupJoin.subCgroups(o.subCgroups, of: c)
        let v2Dir = ExecCgroupJoin.v2Path(cgroupPaths)
        let cgroupFd = v2Dir.map { open($0, O_PATH | O_DIRECTORY | O_CLOEXEC) } ?? -1
        var placed: Int32 = 0
        let stage1 = cgroupFd >= 0 ? sw_clone_into(0, cgroupFd, &placed) : sw_fork()
        let forkErrno = errno
        if cgroupFd >= 0 { close(cgroupFd) }
        if stage1 < 0 {
            throw RuntimeError.sys("fork", "start the exec process", errno: forkErrno)
        }
        if stage1 == 0 {
            parentEnd.close()
            let joinPaths = placed != 0 ? cgroupPaths.filter { $0 != v2Dir } : cgroupPaths
            ExecProcess.stage1(plan: plan, cgroupPaths: joinPaths, initPid: c.record.pid,
                               systemdUser: c.record.systemdUser, affinity: affinity, process: o.process, spec: spec, channel: childEnd,
                               preserveFds: o.preserveFds, console: console, listener: listener,
                               container: SeccompContainer(id: c.record.id, bundle: c.record.bundle, spec: spec))
        }
        childEnd.close()
        var pid: Int32 = 0
        do throws(RuntimeError) {
            // The process's socket end closes at exec: EOF after its PID means it runs.
            while let m = try parentEnd.receive() {
                switch m {
                case .initPid(let p): pid = p; var st: Int32 = 0; waitpid(stage1, &st, 0)
                case .warning(let w): Log.warn(w)
                case .joinCgroup:
                    guard let unit = c.record.systemdUnit, c.record.systemdUser else {
                        throw RuntimeError("unexpected message from the exec process")
                    }
                    try SystemdBus.connect(user: true).attach(pid: stage1, to: unit)
                    try parentEnd.send(.cgroupJoined)
                case .failure(let e): throw e
                default: throw RuntimeError("unexpected message from the exec process")
                }
            }
            if pid <= 0 { throw RuntimeError("the exec process exited before it started") }
        } catch {
            kill(stage1, SIGKILL)
            if pid > 0 { kill(pid, SIGKILL) }
            var st: Int32 = 0
            waitpid(stage1, &st, 0)
            if pid > 0 { waitpid(pid, &st, 0) }
            throw error
        }
        if let pf = o.pidFile { try ContainerCreate.writePidFile(pf, pid) }
        if o.detach { return 0 }
        if let proxy, try !proxy.receiveMaster() {
            throw RuntimeError("the exec'd process did not send its terminal")
        }
        defer { proxy?.restoreTerminal() }
        return ContainerRun.wait(for: pid, sigfd: sigfd, terminal: proxy)
    }
}

/// The stages of an exec'd process, the counterpart of InitProcess for a running container.
enum ExecProcess {
    static func stage1(plan: NamespacePlan, cgroupPaths: [String], initPid: Int32, systemdUser: Bool,
                       affinity: (initial: [Int], final: [Int]),
                       process: Process, spec: Spec, channel ch: SyncChannel,
                       preserveFds: Int, console: Int32?, listener: SeccompListener?,
                       container: SeccompContainer) -> Never {
        _ = sw_unblock_all_signals()
        _ = sw_prctl(InitProcess.PR_SET_PDEATHSIG, UInt(SIGKILL), 0, 0, 0)
        _ = sw_prctl(InitProcess.PR_SET_DUMPABLE, 0, 0, 0, 0)
        sw_scrub_environment()
        let apparmor: Int32?
        let selinux: SELinux.Attributes?
        do throws(RuntimeError) {
            // Born into the container's v2 cgroup (clone3), the process has no time before the
            // move: `initial` then only holds until `final` or a v1 cpuset's attach replaces it.
            try ProcessAttributes.cpuAffinity(affinity.initial, jsonPath: "process.execCPUAffinity.initial")
            do {
                try ExecCgroupJoin.joinSelf(paths: cgroupPaths, initPid: initPid)
            } catch where systemdUser && (error.errno == EACCES || error.errno == EPERM) {
                // Outside the user's delegated subtree (a login session's scope, owned by root):
                // only systemd may move this process; the parent asks it to.
                try ch.send(.joinCgroup)
                try ch.expect(.cgroupJoined, during: "the move into the container's cgroup")
            }
            try ProcessAttributes.cpuAffinity(affinity.final, jsonPath: "process.execCPUAffinity.final")
            // Before the container's mounts: the host's /proc shows this process.
            apparmor = try AppArmor.openExecAttribute(process.apparmorProfile, jsonPath: "process.apparmorProfile")
            selinux = try SELinux.openAttributes(process.selinuxLabel, keyring: false, jsonPath: "process.selinuxLabel")
            try plan.enterJoined()
            plan.closeJoins()
        } catch {
            try? ch.send(.failure(error))
            _exit(1)
        }
        enterProgram(process: process, spec: spec, channel: ch, preserveFds: preserveFds, console: console,
                     listener: listener, container: container, apparmor: apparmor, selinux: selinux)
    }

    /// Everything the program's process needs, done here, outside the container's PID
    /// namespace (joined only for children): the process the container can see is the sealed
    /// stub's child, which runs the stub from its first instant and execs the program. swrun's
    /// own binary is never a process of the container, not even between a fork and an exec
    /// (CVE-2019-5736: a process of the container holding CAP_SYS_PTRACE could otherwise open
    /// /proc/PID/exe during that moment, and `exec` runs every few seconds for probes).
    /// The seccomp filter is loaded here and inherited: the stub's fork, setsid, ioctl, fcntl,
    /// writev and execve run under it. A listener's state names this process's PID.
    static func enterProgram(process: Process, spec: Spec, channel ch: SyncChannel, preserveFds: Int,
                             console: Int32?, listener: SeccompListener?, container: SeccompContainer,
                             apparmor: Int32?, selinux: SELinux.Attributes?) -> Never {
        var env = process.env ?? []
        let user = process.user ?? User(uid: 0, gid: 0)
        let executable: String
        var stub: SealedExec? = nil
        do throws(RuntimeError) {
            // The stub's child makes the pty its controlling terminal in its own session.
            if let console { try Terminal.setup(consoleSocket: console, size: process.consoleSize, controlling: false) }
            try Rlimits.apply(process.rlimits)
            try WorkingDirectory.enter(process.cwd)
            executable = try ExecutablePath.resolve(process.args?.first ?? "", env: env)
            if !env.contains(where: { $0.hasPrefix("HOME=") }) { env.append("HOME=" + UserSwitch.home(uid: user.uid)) }
            stub = try SealedExec.prepare(executable: executable, fifoFd: nil, report: .syncSocket(ch.fd),
                                          forkChild: SealedExec.ForkChild(controllingTerminal: console != nil))
            try InitProcess.closeInheritedFds(preserve: preserveFds, keep: ch.fd)
            // Open into the stub, which makes it close-on-exec again before the program.
            _ = sw_fcntl_int(ch.fd, F_SETFD, 0)
            let filter = try SeccompFilter.prepare(
                spec.linux?.seccomp, container: container,
                listener: spec.linux?.seccomp.flatMap { listener?.withPid(getpid(), config: $0, container: container) },
                warn: { try? ch.send(.warning($0)) })
            try ProcessAttributes.memoryPolicy(spec.linux?.memoryPolicy)
            for w in Capabilities(process.capabilities ?? LinuxCapabilities()).warnings { try ch.send(.warning(w)) }
            if let apparmor { try AppArmor.setOnExec(apparmor, profile: process.apparmorProfile ?? "", jsonPath: "process.apparmorProfile") }
            try selinux?.setOnExec()
            try InitProcess.finishProcess(process, spec: spec, setgroupsAllowed: true, seccomp: filter)
        } catch {
            try? ch.send(.failure(error))
            _exit(1)
        }
        // The sync socket is close-on-exec for the program: the parent sees EOF once it runs.
        let e = stub?.exec(args: process.args ?? [], env: env) ?? ENOEXEC
        try? ch.send(.failure(RuntimeError.sys("execve", "exec the sealed stub for \(executable)", errno: e, jsonPath: "process.args[0]")))
        _exit(127)
    }
}
