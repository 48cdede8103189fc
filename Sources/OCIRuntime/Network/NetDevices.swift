#if canImport(Glibc)
import Glibc
#endif
import Spec

/// linux.netDevices: host interfaces moved into the container's network namespace at create,
/// renamed as asked, with their permanent global addresses and up (config-linux.md, "Network
/// Devices"). As the spec requires, nothing moves them back out: when the namespace dies the
/// kernel returns physical devices to the host and destroys virtual ones (a veth pair goes
/// with its end); a namespace joined by path keeps them, its owner manages them.
enum NetDevices {
    static let IFF_UP: UInt32 = 0x1
    static let IFLA_ADDRESS: UInt16 = 1, IFLA_IFNAME: UInt16 = 3, IFLA_NET_NS_FD: UInt16 = 28
    static let IFA_ADDRESS: UInt16 = 1, IFA_LOCAL: UInt16 = 2, IFA_BROADCAST: UInt16 = 4, IFA_FLAGS: UInt16 = 8
    static let IFA_F_NODAD: UInt32 = 0x02, IFA_F_PERMANENT: UInt32 = 0x80, IFA_F_NOPREFIXROUTE: UInt32 = 0x200
    static let RT_SCOPE_UNIVERSE: UInt8 = 0

    /// Before anything is created: every device named must exist on the host now.
    static func checkHost(_ spec: Spec) throws(RuntimeError) {
        for name in (spec.linux?.netDevices ?? [:]).keys.sorted() where if_nametoindex(name) == 0 {
            throw RuntimeError.config(JSONPath.key("linux.netDevices", name),
                                      "no network device \"\(name)\" on the host")
        }
    }

    /// Moves every device into the network namespace of `pid` (the container's init, blocked
    /// before its rootfs is built). A failure part-way leaves the moved ones to the kernel:
    /// create then kills the init, and its namespace's end returns or destroys them.
    static func move(_ spec: Spec, intoNamespaceOf pid: Int32) throws(RuntimeError) {
        guard let devices = spec.linux?.netDevices, !devices.isEmpty else { return }
        let nsFd = try Sys.check("open", "open the container's network namespace", jsonPath: "linux.netDevices") {
            open("/proc/\(pid)/ns/net", O_RDONLY | O_CLOEXEC)
        }
        defer { close(nsFd) }
        var host = try RouteNetlink.open()
        defer { host.close() }
        var inside = try RouteNetlink.open(inNamespace: nsFd)
        defer { inside.close() }
        for name in devices.keys.sorted() {
            var target = devices[name]?.name ?? ""
            if target.isEmpty { target = name }
            try moveOne(name, as: target, nsFd: nsFd, host: &host, inside: &inside,
                        path: JSONPath.key("linux.netDevices", name))
        }
    }

    private struct Address {
        var family: UInt8, prefixLength: UInt8, scope: UInt8, flags: UInt32
        var attributes: [(UInt16, [UInt8])]
    }

    private static func moveOne(_ name: String, as target: String, nsFd: Int32, host: inout RouteNetlink,
                                inside: inout RouteNetlink, path: String) throws(RuntimeError) {
        let index = if_nametoindex(name)
        guard index != 0, let ifindex = Int32(exactly: index) else {
            throw RuntimeError.config(path, "no network device \"\(name)\" on the host")
        }
        guard let before = try link(&host, index: ifindex, path: path) else {
            throw RuntimeError.config(path, "no network device \"\(name)\" on the host")
        }
        let hardware = before.hardware
        // Down first: nothing on the host keeps using it while it changes name and namespace.
        try host.request(RouteNetlink.RTM_NEWLINK, linkMessage(ifindex, flags: 0, change: IFF_UP),
                         what: "set \(name) down", jsonPath: path)
        let addresses: [Address]
        do throws(RuntimeError) {
            addresses = try permanentGlobalAddresses(&host, index: ifindex, path: path)
            if !target.includes("%d"), try named(&inside, target, path: path) {
                throw nameTaken(target, path: path)
            }
            try moveAndRename(ifindex, name, as: target, nsFd: nsFd, host: &host, path: path)
        } catch {
            // The kernel moves first and renames second: a rename refused (a name taken since
            // the check) leaves the device inside under its host name. Brought back, then left
            // as it was found.
            if (try? named(&host, name, path: path)) == false,
               let l = try? link(&inside, index: ifindex, path: path), l.name == name, l.hardware == hardware {
                try? moveBack(ifindex, name, from: &inside, path: path)
            }
            if before.flags & IFF_UP != 0 {
                try? host.request(RouteNetlink.RTM_NEWLINK, linkMessage(ifindex, flags: IFF_UP, change: IFF_UP),
                                  what: "set \(name) up again", jsonPath: path)
            }
            throw error
        }
        let moved = try find(&inside, index: ifindex, target: target, hardware: hardware, path: path)
        for a in addresses {
            var msg = [UInt8]()
            msg += [a.family, a.prefixLength, UInt8(truncatingIfNeeded: a.flags), a.scope]
            NetlinkBytes.append(UInt32(bitPattern: moved), to: &msg)
            for (type, data) in a.attributes { NetlinkBytes.attribute(type, data, to: &msg) }
            NetlinkBytes.attribute(IFA_FLAGS, u32: a.flags, to: &msg)
            try inside.request(RouteNetlink.RTM_NEWADDR, flags: RouteNetlink.NLM_F_CREATE | RouteNetlink.NLM_F_EXCL, msg,
                               what: "restore an address of \(name) in the container", jsonPath: path)
        }
        try inside.request(RouteNetlink.RTM_NEWLINK, linkMessage(moved, flags: IFF_UP, change: IFF_UP),
                           what: "set \(target) up in the container", jsonPath: path)
    }

    /// Name and namespace in one request: the kernel checks the name in the container's
    /// namespace (EEXIST on a clash, or a free name for a "%d" template) and nothing is half done.
    private static func moveAndRename(_ ifindex: Int32, _ name: String, as target: String, nsFd: Int32,
                                      host: inout RouteNetlink, path: String) throws(RuntimeError) {
        var body = linkMessage(ifindex, flags: 0, change: 0)
        NetlinkBytes.attribute(IFLA_IFNAME, string: target, to: &body)
        NetlinkBytes.attribute(IFLA_NET_NS_FD, u32: UInt32(bitPattern: nsFd), to: &body)
        do {
            try host.request(RouteNetlink.RTM_NEWLINK, body,
                             what: "move \(name) into the container's network namespace as \(target)", jsonPath: path)
        } catch {
            if error.errno == EEXIST { throw nameTaken(target, path: path) }
            throw error
        }
    }

    private static func nameTaken(_ target: String, path: String) -> RuntimeError {
        RuntimeError.config(path, "a device named \"\(target)\" already exists in the container's network namespace "
                            + "(add \"%d\" to the name to let the kernel pick a free one)")
    }

    private static func moveBack(_ index: Int32, _ name: String, from inside: inout RouteNetlink, path: String) throws(RuntimeError) {
        let home = try Sys.check("open", "open swrun's own network namespace") {
            open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        }
        defer { close(home) }
        var body = linkMessage(index, flags: 0, change: 0)
        NetlinkBytes.attribute(IFLA_IFNAME, string: name, to: &body)
        NetlinkBytes.attribute(IFLA_NET_NS_FD, u32: UInt32(bitPattern: home), to: &body)
        try inside.request(RouteNetlink.RTM_NEWLINK, body, what: "return \(name) to the host", jsonPath: path)
    }

    /// Whether a device of that name exists where `nl` was opened.
    private static func named(_ nl: inout RouteNetlink, _ name: String, path: String) throws(RuntimeError) -> Bool {
        var body = linkMessage(0, flags: 0, change: 0)
        NetlinkBytes.attribute(IFLA_IFNAME, string: name, to: &body)
        do {
            return try !nl.query(RouteNetlink.RTM_GETLINK, dump: false, body,
                                 what: "look up network device \(name)", jsonPath: path).isEmpty
        } catch {
            if error.errno == ENODEV { return false }
            throw error
        }
    }

    /// struct ifinfomsg: family, pad, type, index, flags, change.
    private static func linkMessage(_ index: Int32, flags: UInt32, change: UInt32) -> [UInt8] {
        var m: [UInt8] = [UInt8(AF_UNSPEC), 0, 0, 0]
        NetlinkBytes.append(index, to: &m)
        NetlinkBytes.append(flags, to: &m)
        NetlinkBytes.append(change, to: &m)
        return m
    }

    private typealias Link = (index: Int32, name: String, hardware: [UInt8], flags: UInt32)

    private static func parseLink(_ m: RouteNetlink.Message) -> Link? {
        guard m.type == RouteNetlink.RTM_NEWLINK, m.payload.count >= 16 else { return nil }
        let index = Int32(bitPattern: NetlinkBytes.u32(m.payload, 4))
        let flags = NetlinkBytes.u32(m.payload, 8)
        var name = "", hardware: [UInt8] = []
        for (type, data) in NetlinkBytes.attributes(m.payload, from: 16) {
            if type == IFLA_IFNAME { name = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self) }
            if type == IFLA_ADDRESS { hardware = data }
        }
        return (index, name, hardware, flags)
    }

    private static func link(_ nl: inout RouteNetlink, index: Int32, path: String) throws(RuntimeError) -> Link? {
        do {
            return try nl.query(RouteNetlink.RTM_GETLINK, dump: false, linkMessage(index, flags: 0, change: 0),
                                what: "look up network device \(index)", jsonPath: path).lazy.compactMap(parseLink).first
        } catch {
            if error.errno == ENODEV { return nil }
            throw error
        }
    }

    /// The moved device inside: the kernel keeps its index unless the namespace already uses
    /// it (a namespace joined by path), so the index is tried first, then every link whose
    /// name fits and whose hardware address is the device's.
    private static func find(_ nl: inout RouteNetlink, index: Int32, target: String, hardware: [UInt8],
                             path: String) throws(RuntimeError) -> Int32 {
        if let l = try link(&nl, index: index, path: path), fits(l.name, target), l.hardware == hardware {
            return l.index
        }
        let all = try nl.query(RouteNetlink.RTM_GETLINK, dump: true, linkMessage(0, flags: 0, change: 0),
                               what: "list the container's network devices", jsonPath: path).compactMap(parseLink)
        guard let l = all.first(where: { fits($0.name, target) && $0.hardware == hardware }) else {
            throw RuntimeError("moved \(target) into the container's network namespace but cannot find it there", jsonPath: path)
        }
        return l.index
    }

    /// `name` is `target`, or what the kernel made of a "%d" template (digits in its place).
    static func fits(_ name: String, _ target: String) -> Bool {
        guard let (head, tail) = target.split(around: "%d") else { return name == target }
        guard name.count > head.count + tail.count, name.hasPrefix(head), name.hasSuffix(tail) else { return false }
        let middle = name.dropFirst(head.count).dropLast(tail.count)
        return middle.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// The addresses the spec says travel with the device: permanent (IFA_F_PERMANENT) and of
    /// global scope; the kernel drops every address when a device changes namespace.
    private static func permanentGlobalAddresses(_ nl: inout RouteNetlink, index: Int32, path: String) throws(RuntimeError) -> [Address] {
        var query: [UInt8] = [UInt8(AF_UNSPEC), 0, 0, 0]
        NetlinkBytes.append(UInt32(0), to: &query)
        let messages = try nl.query(RouteNetlink.RTM_GETADDR, dump: true, query,
                                    what: "list the addresses of network device \(index)", jsonPath: path)
        var out: [Address] = []
        for m in messages where m.type == RouteNetlink.RTM_NEWADDR && m.payload.count >= 8 {
            guard Int32(bitPattern: NetlinkBytes.u32(m.payload, 4)) == index else { continue }
            var a = Address(family: m.payload[0], prefixLength: m.payload[1], scope: m.payload[3],
                            flags: UInt32(m.payload[2]), attributes: [])
            for (type, data) in NetlinkBytes.attributes(m.payload, from: 8) {
                switch type {
                case IFA_FLAGS: a.flags = NetlinkBytes.u32(data, 0)
                case IFA_ADDRESS, IFA_LOCAL, IFA_BROADCAST: a.attributes.append((type, data))
                default: break
                }
            }
            guard a.flags & IFA_F_PERMANENT != 0, a.scope == RT_SCOPE_UNIVERSE else { continue }
            // Only what a user sets; the rest (tentative, deprecated...) is the kernel's state.
            a.flags &= IFA_F_NODAD | IFA_F_NOPREFIXROUTE
            out.append(a)
        }
        return out
    }
}
