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
        let pty = try openPair(where: "in the container", jsonPath: "process.terminal")
        defer { close(pty.master) }
        if let size {
            var ws = winsize(ws_row: UInt16(truncatingIfNeeded: size.height), ws_col: UInt16(truncatingIfNeeded: size.width),
                             ws_xpixel: 0, ws_ypixel: 0)
            try Sys.check("ioctl", "set the terminal size", jsonPath: "process.consoleSize") { sw_ioctl_ptr(pty.master, TIOCSWINSZ, &ws) }
        }
        try sendMaster(pty.master, name: pty.slavePath, over: consoleSocket)
        close(consoleSocket)
        if controlling {
            try Sys.check("ioctl", "make the pty the controlling terminal") { sw_ioctl_int(pty.slave, TIOCSCTTY, 0) }
        }
        for fd: Int32 in 0...2 {
            try Sys.check("dup2", "attach the pty to fd \(fd)") { dup2(pty.slave, fd) }
        }
        if pty.slave > 2 { close(pty.slave) }
    }

    /// A new unlocked pty pair from the devpts of the mount namespace we are in, both ends
    /// close-on-exec and neither our controlling terminal. `where` and `jsonPath` are for the
    /// messages.
    static func openPair(where place: String, jsonPath: String?) throws(RuntimeError) -> (master: Int32, slave: Int32, slavePath: String) {
        let master = try Sys.check("open", "open /dev/ptmx \(place)", jsonPath: jsonPath,
                                   hint: "the container needs a devpts mount on /dev/pts") {
            open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        }
        do throws(RuntimeError) {
            var unlock: Int32 = 0
            try Sys.check("ioctl", "unlock the pty") { sw_ioctl_ptr(master, TIOCSPTLCK, &unlock) }
            var n: UInt32 = 0
            try Sys.check("ioctl", "get the pty number") { sw_ioctl_ptr(master, TIOCGPTN, &n) }
            let slavePath = "/dev/pts/\(n)"
            let slave = try Sys.check("open", "open \(slavePath)") { open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC) }
            return (master, slave, slavePath)
        } catch {
            close(master)
            throw error
        }
    }

    /// The engine gets the master with SCM_RIGHTS, the slave's path as the message (runc's).
    static func sendMaster(_ master: Int32, name: String, over consoleSocket: Int32) throws(RuntimeError) {
        let bytes = Array(name.utf8)
        try Sys.check("sendmsg", "send the pty master over the console socket") {
            bytes.withUnsafeBytes { sw_send_fd(consoleSocket, master, $0.baseAddress, $0.count) }
        }
    }
}

/// The engine's end: a unix stream socket at --console-socket, connected by the parent
/// before fork (after pivot_root the path is out of reach).
enum ConsoleSocket {
    static func connect(_ path: String) throws(RuntimeError) -> Int32 {
        try UnixSocket.connect(path, type: SOCK_STREAM, what: "the console socket").get()
    }
}
