#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// Runs the `criu` program. swrun drives CRIU through its command line, not its RPC service
/// (`criu swrk` over a socketpair, what runc uses): every option runc sets over RPC has a
/// command-line spelling, the restored tree becomes swrun's child with --restore-sibling and
/// its PID comes back in --pidfile, and the code needs no protobuf. What only RPC offers is
/// listed where it matters (ContainerRestore: the orphaned pty master a console restore needs).
enum CriuProcess {
    /// Where a child's extra descriptor goes: `source` (ours) becomes fd `target` in criu.
    struct PassedFd { var target: Int32; var source: Int32 }

    struct Outcome {
        var status: Int32
        /// stdout and stderr together, when captured.
        var output: String
        var succeeded: Bool { status == 0 }
    }

    /// Runs `criu ARGS` to the end. `capture`: its stdout and stderr are read (stdin is
    /// /dev/null); otherwise it has swrun's stdio, which a restored task inherits. `beforeExec`
    /// runs in the parent while the child waits, with the child's PID (the cgroup join of a
    /// restore: CRIU must already be in the container's cgroup, as runc puts `criu swrk` there).
    /// `cgroupRootFromSelf`: the child appends `--cgroup-root` for every cgroup it is in then.
    /// `environment`: variables added to criu's. `whileRunning` runs once criu is started and
    /// must return when it exits, without reaping it (the action script's listener; not with
    /// `capture`, whose pipe nobody would read meanwhile).
    static func run(_ path: String, _ args: [String], capture: Bool, fds: [PassedFd] = [],
                    cgroupRootFromSelf: Bool = false, environment: [(String, String)] = [],
                    whileRunning: ((Int32) -> Void)? = nil,
                    beforeExec: ((Int32) throws(RuntimeError) -> Void)? = nil) throws(RuntimeError) -> Outcome {
        var outPipe: [Int32] = [-1, -1]
        if capture { outPipe = try cloexecPipe("make a pipe for criu's output") }
        var syncPipe: [Int32]
        do throws(RuntimeError) { syncPipe = try cloexecPipe("make a pipe to start criu") } catch {
            for fd in outPipe where fd >= 0 { close(fd) }
            throw error
        }
        func closeAll() { for fd in outPipe + syncPipe where fd >= 0 { close(fd) } }
        do throws(RuntimeError) { try Fork.ensureSingleThreaded() } catch { closeAll(); throw error }
        let pid = sw_fork()
        if pid < 0 {
            let e = errno
            closeAll()
            throw RuntimeError.sys("fork", "start criu", errno: e)
        }
        if pid == 0 {
            child(path, args, capture: capture, out: outPipe[1], sync: syncPipe[0], fds: fds,
                  cgroupRootFromSelf: cgroupRootFromSelf, environment: environment)
        }
        close(syncPipe[0])
        if outPipe[1] >= 0 { close(outPipe[1]) }
        do throws(RuntimeError) {
            try beforeExec?(pid)
        } catch {
            close(syncPipe[1])
            if outPipe[0] >= 0 { close(outPipe[0]) }
            kill(pid, SIGKILL)
            var st: Int32 = 0
            while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
            throw error
        }
        var go: UInt8 = 1
        _ = write(syncPipe[1], &go, 1)
        close(syncPipe[1])
        whileRunning?(pid)
        var output: [UInt8] = []
        if outPipe[0] >= 0 {
            output = (try? Sys.readAll(outPipe[0], what: "criu's output", limit: 1 << 20)) ?? []
            close(outPipe[0])
        }
        var st: Int32 = 0
        while waitpid(pid, &st, 0) < 0 {
            let e = errno
            if e != EINTR { throw RuntimeError.sys("waitpid", "wait for criu", errno: e) }
        }
        let status: Int32 = sw_wifexited(st) != 0 ? sw_wexitstatus(st) : 128 + sw_wtermsig(st)
        return Outcome(status: status, output: String(decoding: output, as: UTF8.self))
    }

    /// Glibc's module lacks pipe2; swrun is single-threaded, so no fork sees the fds before
    /// FD_CLOEXEC is set.
    private static func cloexecPipe(_ what: String) throws(RuntimeError) -> [Int32] {
        var fds: [Int32] = [-1, -1]
        try Sys.check("pipe", what) { pipe(&fds) }
        for fd in fds { _ = sw_fcntl_int(fd, F_SETFD, FD_CLOEXEC) }
        return fds
    }

    /// The forked child: waits for the parent, places its descriptors, execs criu. Never returns.
    private static func child(_ path: String, _ args: [String], capture: Bool, out: Int32, sync: Int32,
                              fds: [PassedFd], cgroupRootFromSelf: Bool, environment: [(String, String)]) -> Never {
        var go: UInt8 = 0
        while read(sync, &go, 1) < 0 && errno == EINTR {}
        if go != 1 { _exit(126) }
        var argv = [path] + args
        if cgroupRootFromSelf { argv += cgroupRootArguments() }
        // Moved above every target first, so placing one cannot overwrite another's source.
        let lifted = fds.map { PassedFd(target: $0.target, source: sw_fcntl_int($0.source, F_DUPFD_CLOEXEC, 1000)) }
        for f in lifted where f.source < 0 || dup2(f.source, f.target) < 0 { _exit(126) }
        if capture {
            let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
            if null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 { _exit(126) }
        }
        let firstFree = UInt32(max(3, (fds.map { $0.target }.max() ?? 2) + 1))
        _ = sw_close_range(firstFree, UInt32.max, 0)
        var none = sigset_t()
        sigemptyset(&none)
        sigprocmask(SIG_SETMASK, &none, nil)
        signal(SIGPIPE, SIG_DFL)
        // The forked child of a single-threaded process: setenv cannot race anything here.
        for (name, value) in environment where setenv(name, value, 1) != 0 { _exit(126) }
        withCStringArray(argv) { av in _ = execv(path, av) }
        _exit(127)
    }

    /// `--cgroup-root [CONTROLLER:]PATH` for every line of /proc/self/cgroup: on restore, CRIU
    /// puts the tasks where criu itself is (runc passes the same, from its criu's cgroups).
    private static func cgroupRootArguments() -> [String] {
        guard let text = try? Sys.readString("/proc/self/cgroup") else { return [] }
        var args: [String] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            // The controller list as the kernel names it ("cpu,cpuacct", "name=systemd"); none
            // (v2) makes the path the default for every controller.
            let ctrl = String(parts[1])
            args += ["--cgroup-root", ctrl.isEmpty ? String(parts[2]) : "\(ctrl):\(parts[2])"]
        }
        return args
    }
}
