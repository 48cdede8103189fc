#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSyscalls
import Spec

/// A started hook: its PID and swrun's ends of the three pipes on its stdin, stdout and stderr.
/// posix_spawn runs no Swift code between fork and exec, and the hook gets exactly fds 0-2.
struct SpawnedHook {
    let pid: pid_t
    /// Write end of the hook's stdin (non-blocking).
    var stdin: Int32
    /// Read ends of the hook's stdout and stderr (non-blocking).
    var stdout: Int32
    var stderr: Int32

    /// Spawns `path` with exactly `argv` and `env`, in its own process group (so a timed-out
    /// hook can be killed with its children), with default signal dispositions and an empty
    /// signal mask whatever swrun has blocked or ignored.
    static func spawn(path: String, argv: [String], env: [String],
                      jsonPath: String) throws(RuntimeError) -> SpawnedHook {
        let input = try makePipe(jsonPath: jsonPath)
        let output: (read: Int32, write: Int32)
        let errors: (read: Int32, write: Int32)
        do throws(RuntimeError) {
            output = try makePipe(jsonPath: jsonPath)
            do throws(RuntimeError) {
                errors = try makePipe(jsonPath: jsonPath)
            } catch {
                close(output.read); close(output.write)
                throw error
            }
        } catch {
            close(input.read); close(input.write)
            throw error
        }
        defer { close(input.read); close(output.write); close(errors.write) }
        let ours = [input.write, output.read, errors.read]

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input.read, 0)
        posix_spawn_file_actions_adddup2(&actions, output.write, 1)
        posix_spawn_file_actions_adddup2(&actions, errors.write, 2)
        // swrun's own fds are close-on-exec, but fds it inherited (from conmon, a shim, a
        // shell) may not be: the hook gets none of them. Closing one that is not open is
        // harmless (posix_spawn ignores EBADF for in-range fds).
        for fd in openDescriptors() where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        var pid: pid_t = 0
        let rc = withCStringArray(argv) { cargv in
            withCStringArray(env) { cenv in posix_spawn(&pid, path, &actions, &attr, cargv, cenv) }
        }
        if rc != 0 {
            for fd in ours { close(fd) }
            throw RuntimeError.sys("posix_spawn", "run hook \(path)", errno: rc, jsonPath: jsonPath,
                                   hint: rc == ENOENT || rc == EACCES
                                       ? "a hook's path must be an absolute path to an executable in the runtime's namespace"
                                       : nil)
        }
        for fd in ours { setNonBlocking(fd) }
        return SpawnedHook(pid: pid, stdin: input.write, stdout: output.read, stderr: errors.read)
    }

    /// A close-on-exec pipe whose fds are above 2: dup2 onto 0-2 must really copy them (dup2 of
    /// an fd onto itself would keep close-on-exec set) when swrun was started with 0-2 closed.
    /// Glibc's module lacks pipe2; swrun is single-threaded, so no fork can see the fds before
    /// close-on-exec is set.
    private static func makePipe(jsonPath: String) throws(RuntimeError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) != 0 {
            let e = errno
            throw RuntimeError.sys("pipe", "create a pipe for the hook", errno: e, jsonPath: jsonPath)
        }
        for i in 0..<2 {
            if fds[i] > 2 {
                if sw_fcntl_int(fds[i], F_SETFD, FD_CLOEXEC) == 0 { continue }
            } else {
                let moved = sw_fcntl_int(fds[i], F_DUPFD_CLOEXEC, 3)
                if moved >= 0 { close(fds[i]); fds[i] = moved; continue }
            }
            let e = errno
            for fd in fds { close(fd) }
            throw RuntimeError.sys("fcntl", "create a pipe for the hook", errno: e, jsonPath: jsonPath)
        }
        return (fds[0], fds[1])
    }

    /// The fds open now, from /proc/self/fd (empty without /proc: then close-on-exec is all).
    private static func openDescriptors() -> [Int32] {
        guard let d = opendir("/proc/self/fd") else { return [] }
        defer { closedir(d) }
        var fds: [Int32] = []
        while let ent = readdir(d) {
            let name = withUnsafePointer(to: ent.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if let fd = Int32(name) { fds.append(fd) }
        }
        return fds
    }

    private static func setNonBlocking(_ fd: Int32) {
        let flags = sw_fcntl_int(fd, F_GETFL, 0)
        if flags >= 0 { _ = sw_fcntl_int(fd, F_SETFL, flags | O_NONBLOCK) }
    }
}
