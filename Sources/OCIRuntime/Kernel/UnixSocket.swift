#if canImport(Glibc)
import Glibc
#endif
import Spec

/// Unix sockets the runtime talks through: the console socket, the seccomp listener, the
/// sd_notify socket. One place builds their addresses.
enum UnixSocket {
    /// "@name" is the abstract namespace (systemd's NOTIFY_SOCKET may be one).
    static func address(_ path: String) -> (sockaddr_un, socklen_t)? {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        // Abstract names are exactly as long as given; paths may pad with NULs.
        let len = bytes.first == 0 ? MemoryLayout<sa_family_t>.size + bytes.count : MemoryLayout<sockaddr_un>.size
        return (addr, socklen_t(len))
    }

    static func socket(_ type: __socket_type, what: String, jsonPath: String? = nil) throws(RuntimeError) -> Int32 {
        try Sys.check("socket", "create \(what)", jsonPath: jsonPath) {
            Glibc.socket(AF_UNIX, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
    }

    /// A connected socket, or the errno of connect.
    static func connect(_ path: String, type: __socket_type, what: String,
                        jsonPath: String? = nil) throws(RuntimeError) -> Result<Int32, RuntimeError> {
        guard case (var addr, let len)? = address(path) else {
            throw RuntimeError("\(what) path \"\(path)\" is too long for a unix socket (at most 107 bytes)", jsonPath: jsonPath)
        }
        let fd = try socket(type, what: what, jsonPath: jsonPath)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, len) }
        }
        if rc == 0 { return .success(fd) }
        let e = errno
        close(fd)
        return .failure(RuntimeError.sys("connect", "connect to \(what) \(path)", errno: e, jsonPath: jsonPath))
    }

    /// A datagram socket bound at `path` (replacing a stale one), writable by every user.
    static func bindDatagram(_ path: String, what: String) throws(RuntimeError) -> Int32 {
        let fd = try bound(path, type: SOCK_DGRAM, what: what)
        chmod(path, 0o777)
        return fd
    }

    /// A stream socket listening at `path`; an abstract "@name" leaves no file behind.
    static func listenStream(_ path: String, what: String) throws(RuntimeError) -> Int32 {
        let fd = try bound(path, type: SOCK_STREAM, what: what)
        if listen(fd, 8) != 0 {
            let e = errno
            close(fd)
            throw RuntimeError.sys("listen", "listen on \(what) \(path)", errno: e)
        }
        return fd
    }

    private static func bound(_ path: String, type: __socket_type, what: String) throws(RuntimeError) -> Int32 {
        guard case (var addr, let len)? = address(path) else {
            throw RuntimeError("\(what) path \"\(path)\" is too long for a unix socket (at most 107 bytes)")
        }
        let fd = try socket(type, what: what)
        if !path.hasPrefix("@") { unlink(path) }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, len) }
        }
        if rc != 0 {
            let e = errno
            close(fd)
            throw RuntimeError.sys("bind", "bind \(what) \(path)", errno: e)
        }
        return fd
    }
}
