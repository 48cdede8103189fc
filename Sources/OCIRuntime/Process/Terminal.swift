#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// process.terminal: a pty made inside the container's devpts, the slave becomes the
/// process's controlling terminal and stdio, and the master goes to the engine over the
/// console socket with SCM_RIGHTS (runc's contract, which conmon, containerd's shim and
/// dockerd rely on).
enum Terminal {
    static let TIOCSPTLCK: UInt = 0x4004_5431, TIOCGPTN: UInt = 0x8004_5430
    static let TIOCSWINSZ: UInt = 0x5414, TIOCSCTTY: UInt = 0x540E

    /// `controlling`: false when the process that will own the terminal is another one (the
    /// exec stub's child), which then makes it its controlling terminal itself.
    static func setup(consoleSocket: Int32, size: Box?, controlling: Bool = true) throws(RuntimeError) {
        let master = try Sys.check("open", "open /dev/ptmx in the container", jsonPath: "process.terminal",
                                   hint: "the container needs a devpts mount on /dev/pts") {
            open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        }
        defer { close(master) }
        var unlock: Int32 = 0
        try Sys.check("ioctl", "unlock the pty") { sw_ioctl_ptr(master, TIOCSPTLCK, &unlock) }
        var n: UInt32 = 0
        try Sys.check("ioctl", "get the pty number") { sw_ioctl_ptr(master, TIOCGPTN, &n) }
        let slavePath = "/dev/pts/\(n)"
        let slave = try Sys.check("open", "open \(slavePath)") { open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC) }
        if let size {
            var ws = winsize(ws_row: UInt16(truncatingIfNeeded: size.height), ws_col: UInt16(truncatingIfNeeded: size.width),
                             ws_xpixel: 0, ws_ypixel: 0)
            try Sys.check("ioctl", "set the terminal size", jsonPath: "process.consoleSize") { sw_ioctl_ptr(master, TIOCSWINSZ, &ws) }
        }
        let name = Array(slavePath.utf8)
        try Sys.check("sendmsg", "send the pty master over the console socket") {
            name.withUnsafeBytes { sw_send_fd(consoleSocket, master, $0.baseAddress, $0.count) }
        }
        close(consoleSocket)
        if controlling {
            try Sys.check("ioctl", "make the pty the controlling terminal") { sw_ioctl_int(slave, TIOCSCTTY, 0) }
        }
        for fd: Int32 in 0...2 {
            try Sys.check("dup2", "attach the pty to fd \(fd)") { dup2(slave, fd) }
        }
        if slave > 2 { close(slave) }
    }
}

/// The engine's end: a unix stream socket at --console-socket, connected by the parent
/// before fork (after pivot_root the path is out of reach).
enum ConsoleSocket {
    static func connect(_ path: String) throws(RuntimeError) -> Int32 {
        try UnixSocket.connect(path, type: SOCK_STREAM, what: "the console socket").get()
    }
}
