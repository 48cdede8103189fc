#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSyscalls
import Spec

/// How a hook ended.
enum HookOutcome: Equatable {
    case exited(Int32)
    case signaled(Int32)
    /// Still running at the deadline: killed (with its process group) and reaped.
    case timedOut
}

struct HookResult {
    var outcome: HookOutcome
    /// The first `HookRunner.outputLimit` bytes of each stream; `truncated` when there was more.
    var stdout: Capture
    var stderr: Capture
}

struct Capture {
    var bytes: [UInt8] = []
    var truncated = false

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        let room = HookRunner.outputLimit - bytes.count
        if chunk.count > room { truncated = true }
        if room > 0 { bytes.append(contentsOf: chunk.prefix(room)) }
    }
}

extension SpawnedHook {
    /// Feeds `input` to the hook's stdin, collects its output and waits for it, all in one
    /// poll loop (swrun has no threads). The hook is always reaped and every pipe closed, also
    /// when this throws. Exit is noticed through a pidfd, or by polling waitpid every 20 ms on
    /// kernels without one; output still buffered in the pipes at exit is read, but EOF is not
    /// awaited (the hook's children may hold the pipes open).
    mutating func communicate(input: [UInt8], timeoutSeconds: Int?, jsonPath: String) throws(RuntimeError) -> HookResult {
        let pidfd = sw_pidfd_open(pid, 0)
        let sigpipe = SigpipeBlock()
        defer {
            sigpipe.restore()
            if pidfd >= 0 { close(pidfd) }
            for fd in [stdin, stdout, stderr] where fd >= 0 { close(fd) }
            stdin = -1; stdout = -1; stderr = -1
        }
        let deadline = timeoutSeconds.flatMap { $0 > 0 ? Self.nowMilliseconds() + Int64($0) * 1000 : nil }
        var out = Capture(), err = Capture()
        var written = 0
        if input.isEmpty { close(stdin); stdin = -1 }

        while true {
            if let status = try reap(blocking: false, jsonPath: jsonPath) {
                drain(&stdout, into: &out)
                drain(&stderr, into: &err)
                return HookResult(outcome: status, stdout: out, stderr: err)
            }
            var wait: Int32 = -1
            if let deadline {
                let left = deadline - Self.nowMilliseconds()
                if left <= 0 {
                    kill(-pid, SIGKILL)
                    kill(pid, SIGKILL)
                    _ = try reap(blocking: true, jsonPath: jsonPath)
                    drain(&stdout, into: &out)
                    drain(&stderr, into: &err)
                    return HookResult(outcome: .timedOut, stdout: out, stderr: err)
                }
                wait = Int32(clamping: left)
            }
            if pidfd < 0 { wait = wait < 0 ? 20 : min(wait, 20) }

            var fds: [pollfd] = []
            if stdin >= 0 { fds.append(pollfd(fd: stdin, events: Int16(POLLOUT), revents: 0)) }
            if stdout >= 0 { fds.append(pollfd(fd: stdout, events: Int16(POLLIN), revents: 0)) }
            if stderr >= 0 { fds.append(pollfd(fd: stderr, events: Int16(POLLIN), revents: 0)) }
            if pidfd >= 0 { fds.append(pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)) }
            if poll(&fds, nfds_t(fds.count), wait) < 0 {
                let e = errno
                if e == EINTR { continue }
                kill(-pid, SIGKILL)
                _ = try? reap(blocking: true, jsonPath: jsonPath)
                throw RuntimeError.sys("poll", "wait for hook", errno: e, jsonPath: jsonPath)
            }
            for p in fds where p.revents != 0 {
                if p.fd == stdin { feed(input, written: &written) }
                else if p.fd == stdout { drain(&stdout, into: &out) }
                else if p.fd == stderr { drain(&stderr, into: &err) }
            }
        }
    }

    /// Writes what the pipe takes; closes stdin when all is written or the hook stopped
    /// reading (EPIPE: a hook need not read its stdin).
    private mutating func feed(_ input: [UInt8], written: inout Int) {
        while written < input.count {
            let n = input.withUnsafeBytes { write(stdin, $0.baseAddress! + written, $0.count - written) }
            if n > 0 { written += n; continue }
            let e = errno
            if n < 0 && e == EINTR { continue }
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) { return }
            break
        }
        close(stdin)
        stdin = -1
    }

    /// Reads what is there now; closes the fd at EOF or on error. Past the capture limit the
    /// bytes are read and dropped so the hook never blocks on a full pipe.
    private func drain(_ fd: inout Int32, into capture: inout Capture) {
        guard fd >= 0 else { return }
        var buf = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while total < 1 << 20 {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                total += n
                buf.withUnsafeBytes { capture.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                continue
            }
            let e = errno
            if n < 0 && e == EINTR { continue }
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) { return }
            break
        }
        if total >= 1 << 20 { return }
        close(fd)
        fd = -1
    }

    /// waitpid; nil while the hook is still running (non-blocking).
    private func reap(blocking: Bool, jsonPath: String) throws(RuntimeError) -> HookOutcome? {
        var status: Int32 = 0
        while true {
            let rc = waitpid(pid, &status, blocking ? 0 : WNOHANG)
            if rc == 0 { return nil }
            if rc == pid { break }
            let e = errno
            if e == EINTR { continue }
            throw RuntimeError.sys("waitpid", "wait for hook", errno: e, jsonPath: jsonPath)
        }
        if sw_wifexited(status) != 0 { return .exited(sw_wexitstatus(status)) }
        if sw_wifsignaled(status) != 0 { return .signaled(sw_wtermsig(status)) }
        return .exited(-1)
    }

    static func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// Writing to a hook that closed its stdin raises SIGPIPE, which would kill swrun: the signal
/// is blocked while a hook runs, and one that this caused is consumed before unblocking.
struct SigpipeBlock {
    private var old = sigset_t()
    private let wasPending: Bool

    init() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        sigprocmask(SIG_BLOCK, &set, &old)
        var pending = sigset_t()
        sigpending(&pending)
        wasPending = sigismember(&pending, SIGPIPE) == 1
    }

    func restore() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        if !wasPending {
            var pending = sigset_t()
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1 {
                var zero = timespec()
                _ = sigtimedwait(&set, nil, &zero)
            }
        }
        var old = self.old
        sigprocmask(SIG_SETMASK, &old, nil)
    }
}
