#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// `run` or `exec` in the foreground with process.terminal and no --console-socket: swrun is
/// the console socket's other end itself, takes the pty master and copies between it and its
/// own stdio, with its terminal in raw mode and window-size changes passed on (as runc does).
final class TerminalProxy {
    static let TIOCGWINSZ: UInt = 0x5413

    /// Our end of the socket pair; the other end stands in for --console-socket.
    private let ours: Int32
    let theirs: Int32
    private(set) var master: Int32 = -1
    private var saved: termios?
    private var stdinOpen = true

    init() throws(RuntimeError) {
        var fds: [Int32] = [-1, -1]
        try Sys.check("socketpair", "create the terminal socket pair") {
            socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)
        }
        ours = fds[0]
        theirs = fds[1]
    }

    deinit {
        restoreTerminal()
        close(ours)
        if theirs >= 0 { close(theirs) }
        if master >= 0 { close(master) }
    }

    /// After create/exec: take the master if one was sent (false: the process has no
    /// terminal), size it like our terminal, go raw.
    func receiveMaster() throws(RuntimeError) -> Bool {
        var fd: Int32 = -1
        var name = [UInt8](repeating: 0, count: 256)
        _ = fcntl(ours, F_SETFL, O_NONBLOCK)
        let n = name.withUnsafeMutableBytes { sw_recv_fd(ours, &fd, $0.baseAddress, $0.count) }
        if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return false }
        if n < 0 || fd < 0 {
            throw RuntimeError.sys("recvmsg", "receive the container's pty master", errno: errno)
        }
        master = fd
        copyWindowSize()
        if isatty(0) != 0 {
            var t = termios()
            if tcgetattr(0, &t) == 0 {
                saved = t
                cfmakeraw(&t)
                tcsetattr(0, TCSANOW, &t)
            }
        }
        return true
    }

    func copyWindowSize() {
        var ws = winsize()
        if master >= 0 && sw_ioctl_ptr(0, Self.TIOCGWINSZ, &ws) == 0 {
            _ = sw_ioctl_ptr(master, Terminal.TIOCSWINSZ, &ws)
        }
    }

    func restoreTerminal() {
        if var t = saved {
            tcsetattr(0, TCSANOW, &t)
            saved = nil
        }
    }

    /// The fds to poll besides the signalfd: the master, and stdin until it ends.
    var pollFds: [pollfd] {
        var out = [pollfd(fd: master, events: Int16(POLLIN), revents: 0)]
        if stdinOpen { out.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
        return out
    }

    /// Moves what is ready. Returns false once the master has nothing more to give.
    func pump(_ ready: [pollfd]) -> Bool {
        var alive = true
        for p in ready where p.revents != 0 {
            if p.fd == master {
                alive = copy(from: master, to: 1)
            } else if p.fd == 0 && !copy(from: 0, to: master) {
                stdinOpen = false
            }
        }
        return alive
    }

    /// What is left in the pty once the process has exited.
    func drain() {
        let flags = fcntl(master, F_GETFL)
        _ = fcntl(master, F_SETFL, flags | O_NONBLOCK)
        while copy(from: master, to: 1) {}
    }

    private func copy(from: Int32, to: Int32) -> Bool {
        var buf = [UInt8](repeating: 0, count: 8192)
        let n = buf.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
        if n <= 0 { return n < 0 && errno == EINTR }
        _ = try? Sys.writeAll(to, Array(buf[0..<n]), what: "terminal output")
        return true
    }
}
