#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// The typed messages between `create` and the container's init stages. Errors in the child
/// travel back whole (errno, syscall, JSON path, hint) so `create` fails with the real reason.
enum SyncMessage: Equatable {
    /// parent → child: you are in your cgroup, go on.
    case proceed
    /// child → parent: I made a user namespace; write my uid_map/gid_map.
    case mapIDs
    /// parent → child: maps written.
    case idsMapped
    /// stage 1 → parent: the container init's PID, as the host sees it.
    case initPid(Int32)
    /// init → parent: mounts done, before pivot_root: run prestart/createRuntime hooks.
    case runHooks
    /// parent → init: hooks done; the init's PID as the host sees it (for the hooks' state).
    case hooksDone(Int32)
    /// init → parent: in its network namespace, before the rootfs: move linux.netDevices in.
    case moveNetDevices
    /// parent → init: devices moved.
    case netDevicesMoved
    /// exec'd process → parent: I may not move myself into the container's cgroup (a
    /// rootless user's systemd owns it): have its manager move me.
    case joinCgroup
    /// parent → exec'd process: moved.
    case cgroupJoined
    /// init → parent: set up, blocked on the exec FIFO.
    case ready
    /// child → parent: a warning to log.
    case warning(String)
    /// Boxed: a RuntimeError (several strings) would otherwise set the size of every message.
    indirect case failure(RuntimeError)

    func toJSON() -> JSONValue {
        switch self {
        case .proceed: return .object([("t", .string("proceed"))])
        case .mapIDs: return .object([("t", .string("mapIDs"))])
        case .idsMapped: return .object([("t", .string("idsMapped"))])
        case .initPid(let p): return .object([("t", .string("initPid")), ("pid", .int(Int64(p)))])
        case .ready: return .object([("t", .string("ready"))])
        case .moveNetDevices: return .object([("t", .string("moveNetDevices"))])
        case .netDevicesMoved: return .object([("t", .string("netDevicesMoved"))])
        case .joinCgroup: return .object([("t", .string("joinCgroup"))])
        case .cgroupJoined: return .object([("t", .string("cgroupJoined"))])
        case .runHooks: return .object([("t", .string("runHooks"))])
        case .hooksDone(let p): return .object([("t", .string("hooksDone")), ("pid", .int(Int64(p)))])
        case .warning(let m): return .object([("t", .string("warning")), ("msg", .string(m))])
        case .failure(let e):
            var o: [(String, JSONValue)] = [("t", .string("failure")), ("msg", .string(e.message))]
            if let p = e.jsonPath { o.append(("path", .string(p))) }
            if let s = e.syscall { o.append(("syscall", .string(s))) }
            if let n = e.errno { o.append(("errno", .int(Int64(n)))) }
            if let h = e.hint { o.append(("hint", .string(h))) }
            return .object(o)
        }
    }

    /// The same message with its texts cut to a few KiB each (what a person reads anyway).
    func shortened(to limit: Int = 4096) -> SyncMessage {
        func cut(_ s: String) -> String {
            let u = s.utf8
            guard u.count > limit else { return s }
            return String(decoding: u.prefix(limit), as: UTF8.self) + "… (\(u.count - limit) bytes cut)"
        }
        switch self {
        case .warning(let w): return .warning(cut(w))
        case .failure(var e):
            e.message = cut(e.message)
            e.hint = e.hint.map(cut)
            e.jsonPath = e.jsonPath.map(cut)
            return .failure(e)
        default: return self
        }
    }

    static func fromJSON(_ v: JSONValue) -> SyncMessage? {
        switch v["t"]?.stringValue {
        case "proceed": return .proceed
        case "mapIDs": return .mapIDs
        case "idsMapped": return .idsMapped
        case "initPid": return v["pid"]?.intValue.flatMap { Int32(exactly: $0) }.map { .initPid($0) }
        case "ready": return .ready
        case "moveNetDevices": return .moveNetDevices
        case "netDevicesMoved": return .netDevicesMoved
        case "joinCgroup": return .joinCgroup
        case "cgroupJoined": return .cgroupJoined
        case "runHooks": return .runHooks
        case "hooksDone": return v["pid"]?.intValue.flatMap { Int32(exactly: $0) }.map { .hooksDone($0) }
        case "warning": return .warning(v["msg"]?.stringValue ?? "")
        case "failure":
            return .failure(RuntimeError(v["msg"]?.stringValue ?? "unknown error",
                                         jsonPath: v["path"]?.stringValue, syscall: v["syscall"]?.stringValue,
                                         errno: v["errno"]?.intValue.flatMap { Int32(exactly: $0) }, hint: v["hint"]?.stringValue))
        default: return nil
        }
    }
}

/// One end of a SOCK_SEQPACKET socketpair: message boundaries are kept, so each message is
/// one JSON document per datagram.
struct SyncChannel {
    let fd: Int32

    static func pair() throws(RuntimeError) -> (parent: SyncChannel, child: SyncChannel) {
        var fds: [Int32] = [-1, -1]
        try Sys.check("socketpair", "create the sync socket pair") {
            socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)
        }
        return (SyncChannel(fd: fds[0]), SyncChannel(fd: fds[1]))
    }

    /// Below the receiver's 64 KiB buffer and the socket's datagram limit (EMSGSIZE): an error
    /// quoting a huge config value (a 1 MB mount type or argument) must still arrive.
    static let maxMessage = 60_000

    func send(_ m: SyncMessage) throws(RuntimeError) {
        var bytes = Array(m.toJSON().serialized().utf8)
        if bytes.count > SyncChannel.maxMessage { bytes = Array(m.shortened().toJSON().serialized().utf8) }
        while true {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n >= 0 { return }
            let e = errno
            if e == EINTR { continue }
            throw RuntimeError.sys("send", "send to the sync socket", errno: e)
        }
    }

    /// Next message, or nil when the other end closed (it exited or exec'd).
    func receive() throws(RuntimeError) -> SyncMessage? {
        // Not zero-filled (a zeroed 64 KiB array is 16 page faults per message).
        var received: [UInt8]? = nil
        var failure: Int32 = 0
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 65536) { buf in
            var resets = 0
            while true {
                let n = recv(fd, buf.baseAddress, buf.count, 0)
                if n < 0 {
                    if errno == EINTR { continue }
                    // A peer that exits with our message unread resets the socket, but the
                    // kernel reports that once, ahead of what the peer sent before exiting
                    // (its failure message): read on.
                    if errno == ECONNRESET && resets == 0 { resets += 1; continue }
                    failure = errno == ECONNRESET ? 0 : errno
                } else if n > 0 {
                    received = Array(buf[0..<n])
                }
                return
            }
        }
        if failure != 0 { throw RuntimeError.sys("recv", "read the sync socket", errno: failure) }
        guard let bytes = received else { return nil }
        let v = try JSONValue.parse(bytes)
        guard let m = SyncMessage.fromJSON(v) else {
            throw RuntimeError("malformed message on the sync socket")
        }
        return m
    }

    /// Receives and insists on one kind of message; a failure message becomes the thrown error.
    func expect(_ want: SyncMessage, during what: String) throws(RuntimeError) {
        guard let m = try receive() else {
            throw RuntimeError("container init exited during \(what)")
        }
        if case .failure(let e) = m { throw e }
        if m != want { throw RuntimeError("unexpected message during \(what)") }
    }

    func close() { _ = Glibc.close(fd) }
}
