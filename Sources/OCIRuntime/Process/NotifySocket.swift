#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// NOTIFY_SOCKET passthrough, as runc does it: the container gets its own sd_notify socket
/// (the state dir's notify/ bind-mounted read-only at /run/notify), and `start` (or `run`)
/// passes READY=1 on to the engine's socket only once the container has sent it, with
/// MAINPID=<init> so systemd watches the container's init.
enum NotifySocket {
    static let inContainer = "/run/notify"
    static let socketName = "notify.sock"

    static func directory(stateDir: String) -> String { stateDir + "/notify" }

    /// create: when the engine set NOTIFY_SOCKET, give the container a socket of its own.
    static func prepare(_ spec: inout Spec, stateDir: String) throws(RuntimeError) {
        guard Sys.env("NOTIFY_SOCKET") != nil, spec.process != nil else { return }
        let dir = directory(stateDir: stateDir)
        try Sys.check("mkdir", "create \(dir)") { mkdir(dir, 0o755) }
        var mounts = spec.mounts ?? []
        mounts.append(Mount(destination: inContainer, type: "bind", source: dir,
                            options: ["bind", "nosuid", "noexec", "nodev", "ro"]))
        spec.mounts = mounts
        var env = (spec.process?.env ?? []).filter { !$0.hasPrefix("NOTIFY_SOCKET=") }
        env.append("NOTIFY_SOCKET=\(inContainer)/\(socketName)")
        spec.process?.env = env
    }

    /// start/run, before init is released: the container's socket, if create made its dir
    /// and the engine still wants notifications.
    static func listen(stateDir: String) throws(RuntimeError) -> Int32? {
        guard Sys.env("NOTIFY_SOCKET") != nil else { return nil }
        let dir = directory(stateDir: stateDir)
        guard Sys.isDirectory(dir) else { return nil }
        // Bound through /proc/self/fd: a long --root and container ID can exceed the 107 bytes
        // a socket path may have.
        let dirFd = try Sys.check("open", "open \(dir)") { open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC) }
        defer { close(dirFd) }
        return try UnixSocket.bindDatagram("/proc/self/fd/\(dirFd)/\(socketName)", what: "the container's notify socket")
    }

    /// Waits for the container's READY=1 (or the end of its init) and tells the engine.
    static func forwardReady(from fd: Int32, pid: Int32, isAlive: () -> Bool) throws(RuntimeError) {
        defer { close(fd) }
        guard let host = Sys.env("NOTIFY_SOCKET") else { return }
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 100) > 0 {
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n > 0 {
                    let text = String(decoding: buf[0..<n], as: UTF8.self)
                    if let ready = text.split(separator: "\n").first(where: { $0.hasPrefix("READY=") }) {
                        try notifyHost(host, ready: String(ready), pid: pid)
                        return
                    }
                }
            } else if !isAlive() {
                return
            }
        }
    }

    private static func notifyHost(_ host: String, ready: String, pid: Int32) throws(RuntimeError) {
        let fd = try UnixSocket.connect(host, type: SOCK_DGRAM, what: "NOTIFY_SOCKET").get()
        defer { close(fd) }
        for msg in [ready + "\n", "MAINPID=\(pid)\n"] {
            try Sys.check("send", "notify \(host)") { Int32(send(fd, msg, msg.utf8.count, 0)) }
        }
        barrier(fd)
    }

    /// sd_notify_barrier: a pipe's write end goes with BARRIER=1; the manager closes it once
    /// it has processed everything before, so MAINPID is in effect when we return. An
    /// engine that ignores barriers keeps us at most 5 s.
    private static func barrier(_ sock: Int32) {
        var p: [Int32] = [-1, -1]
        guard pipe(&p) == 0 else { return }
        defer { close(p[0]) }
        let msg = Array("BARRIER=1".utf8)
        let sent = msg.withUnsafeBytes { sw_send_fd(sock, p[1], $0.baseAddress, $0.count) }
        close(p[1])
        guard sent >= 0 else { return }
        var pfd = pollfd(fd: p[0], events: Int16(POLLIN), revents: 0)
        _ = poll(&pfd, 1, 5000)
    }
}
