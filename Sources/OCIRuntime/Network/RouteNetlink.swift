#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// A NETLINK_ROUTE socket: the kernel's interface for links and addresses, used to move
/// linux.netDevices into a container (ioctls cannot change a device's namespace). Numbers
/// are host byte order, as rtnetlink(7) says. Every length in a kernel answer is checked
/// before use: a malformed answer is an error, never a trap.
struct RouteNetlink {
    static let RTM_NEWLINK: UInt16 = 16, RTM_GETLINK: UInt16 = 18
    static let RTM_NEWADDR: UInt16 = 20, RTM_GETADDR: UInt16 = 22
    static let NLM_F_REQUEST: UInt16 = 0x1, NLM_F_ACK: UInt16 = 0x4, NLM_F_DUMP: UInt16 = 0x300
    static let NLM_F_EXCL: UInt16 = 0x200, NLM_F_CREATE: UInt16 = 0x400
    static let NLM_F_ACK_TLVS: UInt16 = 0x200
    static let NLMSG_ERROR: UInt16 = 2, NLMSG_DONE: UInt16 = 3
    static let headerSize = 16

    struct Message {
        var type: UInt16
        var flags: UInt16
        var payload: [UInt8]
    }

    let fd: Int32
    private var seq: UInt32 = 0

    /// Opened in the network namespace the calling thread is in.
    static func open() throws(RuntimeError) -> RouteNetlink {
        let fd = try Sys.check("socket", "open a netlink socket") {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        // Extended acks: the kernel's own words for a refusal ("Invalid argument" alone rarely
        // says which attribute); capped: errors do not echo the whole request back.
        var on: Int32 = 1
        let SOL_NETLINK: Int32 = 270, NETLINK_CAP_ACK: Int32 = 10, NETLINK_EXT_ACK: Int32 = 11
        _ = setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        return RouteNetlink(fd: fd)
    }

    /// Opened in the network namespace `nsFd` names: the socket keeps that namespace for its
    /// life, so only its creation needs the calling thread there, and the thread comes back.
    static func open(inNamespace nsFd: Int32) throws(RuntimeError) -> RouteNetlink {
        let CLONE_NEWNET: Int32 = 0x4000_0000
        let home = try Sys.check("open", "open swrun's own network namespace") {
            Glibc.open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        }
        defer { _ = Glibc.close(home) }
        try Sys.check("setns", "enter the container's network namespace") { sw_setns(nsFd, CLONE_NEWNET) }
        let opened = Result { () throws(RuntimeError) in try RouteNetlink.open() }
        try Sys.check("setns", "return to swrun's own network namespace") { sw_setns(home, CLONE_NEWNET) }
        return try opened.get()
    }

    func close() { _ = Glibc.close(fd) }

    /// Sends one request and waits for its acknowledgement.
    mutating func request(_ type: UInt16, flags: UInt16 = 0, _ body: [UInt8],
                          what: @autoclosure () -> String, jsonPath: String) throws(RuntimeError) {
        let seq = try transmit(type, flags: flags | RouteNetlink.NLM_F_ACK, body, what: what(), jsonPath: jsonPath)
        _ = try collect(seq: seq, untilDone: false, what: what(), jsonPath: jsonPath)
    }

    /// Sends a request that answers with messages (one, or a dump) and returns them.
    mutating func query(_ type: UInt16, dump: Bool, _ body: [UInt8],
                        what: @autoclosure () -> String, jsonPath: String) throws(RuntimeError) -> [Message] {
        let seq = try transmit(type, flags: dump ? RouteNetlink.NLM_F_DUMP : 0, body, what: what(), jsonPath: jsonPath)
        return try collect(seq: seq, untilDone: dump, what: what(), jsonPath: jsonPath)
    }

    private mutating func transmit(_ type: UInt16, flags: UInt16, _ body: [UInt8],
                               what: String, jsonPath: String) throws(RuntimeError) -> UInt32 {
        seq &+= 1
        var msg = [UInt8]()
        msg.reserveCapacity(RouteNetlink.headerSize + body.count)
        let total = UInt32(clamping: RouteNetlink.headerSize + body.count)
        NetlinkBytes.append(total, to: &msg)
        NetlinkBytes.append(type, to: &msg)
        NetlinkBytes.append(flags | RouteNetlink.NLM_F_REQUEST, to: &msg)
        NetlinkBytes.append(seq, to: &msg)
        NetlinkBytes.append(UInt32(0), to: &msg)
        msg += body
        // Unconnected sockets of this family send to the kernel (port 0) without an address.
        let sent = msg.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        if sent != msg.count {
            let e = sent < 0 ? errno : EIO
            throw RuntimeError.sys("sendto", what, errno: e, jsonPath: jsonPath)
        }
        return seq
    }

    private func collect(seq: UInt32, untilDone: Bool, what: String, jsonPath: String) throws(RuntimeError) -> [Message] {
        var out: [Message] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                throw RuntimeError.sys("recv", what, errno: e, jsonPath: jsonPath)
            }
            var off = 0
            while off + RouteNetlink.headerSize <= n {
                let len = Int(NetlinkBytes.u32(buf, off))
                guard len >= RouteNetlink.headerSize, off + len <= n else {
                    throw RuntimeError("\(what): malformed netlink answer from the kernel", jsonPath: jsonPath)
                }
                let type = NetlinkBytes.u16(buf, off + 4)
                let flags = NetlinkBytes.u16(buf, off + 6)
                let mseq = NetlinkBytes.u32(buf, off + 8)
                let payload = Array(buf[(off + RouteNetlink.headerSize)..<(off + len)])
                off += (len + 3) & ~3
                if mseq != seq { continue }
                switch type {
                case RouteNetlink.NLMSG_DONE:
                    return out
                case RouteNetlink.NLMSG_ERROR:
                    guard payload.count >= 4 else {
                        throw RuntimeError("\(what): malformed netlink error from the kernel", jsonPath: jsonPath)
                    }
                    let code = Int32(bitPattern: NetlinkBytes.u32(payload, 0))
                    if code == 0 { return out }
                    throw RuntimeError.sys("netlink", what + RouteNetlink.extendedAck(payload, flags: flags),
                                           errno: code == Int32.min ? EIO : -code, jsonPath: jsonPath)
                default:
                    out.append(Message(type: type, flags: flags, payload: payload))
                    if !untilDone { return out }
                }
            }
        }
    }

    /// NLMSGERR_ATTR_MSG of an extended ack, after the error code and the (capped) request header.
    static func extendedAck(_ payload: [UInt8], flags: UInt16) -> String {
        guard flags & NLM_F_ACK_TLVS != 0, payload.count > 4 + headerSize else { return "" }
        for (type, data) in NetlinkBytes.attributes(payload, from: 4 + headerSize) where type == 1 {
            let text = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
            if !text.isEmpty { return " (kernel: \(text))" }
        }
        return ""
    }
}

/// Host-order encoding and bounds-checked decoding of netlink structures and attributes.
enum NetlinkBytes {
    static func append<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: v) { out.append(contentsOf: $0) }
    }

    /// An rtattr: length (header included, padding not), type, data padded to 4 bytes.
    static func attribute(_ type: UInt16, _ data: [UInt8], to out: inout [UInt8]) {
        append(UInt16(clamping: 4 + data.count), to: &out)
        append(type, to: &out)
        out += data
        out += [UInt8](repeating: 0, count: (4 - data.count % 4) % 4)
    }

    static func attribute(_ type: UInt16, string: String, to out: inout [UInt8]) {
        attribute(type, Array(string.utf8) + [0], to: &out)
    }

    static func attribute(_ type: UInt16, u32: UInt32, to out: inout [UInt8]) {
        var d = [UInt8]()
        append(u32, to: &d)
        attribute(type, d, to: &out)
    }

    static func u16(_ b: [UInt8], _ off: Int) -> UInt16 {
        guard off >= 0, off + 2 <= b.count else { return 0 }
        return b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: off, as: UInt16.self) }
    }

    static func u32(_ b: [UInt8], _ off: Int) -> UInt32 {
        guard off >= 0, off + 4 <= b.count else { return 0 }
        return b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: off, as: UInt32.self) }
    }

    /// The attributes from `start` on; a truncated one ends the list.
    static func attributes(_ b: [UInt8], from start: Int) -> [(UInt16, [UInt8])] {
        var out: [(UInt16, [UInt8])] = []
        var off = start
        while off + 4 <= b.count {
            let len = Int(u16(b, off))
            let type = u16(b, off + 2) & 0x3FFF
            guard len >= 4, off + len <= b.count else { break }
            out.append((type, Array(b[(off + 4)..<(off + len)])))
            off += (len + 3) & ~3
        }
        return out
    }
}
