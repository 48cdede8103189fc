#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// /dev: the default devices every container gets, linux.devices, and the standard links.
/// In a user namespace mknod is not allowed, so device nodes are bind-mounted from the host.
struct DeviceSetup {
    struct Node {
        var path: String
        var type: String
        var major: Int64
        var minor: Int64
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
    }

    static let defaults: [Node] = [
        Node(path: "/dev/null", type: "c", major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0),
        Node(path: "/dev/zero", type: "c", major: 1, minor: 5, mode: 0o666, uid: 0, gid: 0),
        Node(path: "/dev/full", type: "c", major: 1, minor: 7, mode: 0o666, uid: 0, gid: 0),
        Node(path: "/dev/random", type: "c", major: 1, minor: 8, mode: 0o666, uid: 0, gid: 0),
        Node(path: "/dev/urandom", type: "c", major: 1, minor: 9, mode: 0o666, uid: 0, gid: 0),
        Node(path: "/dev/tty", type: "c", major: 5, minor: 0, mode: 0o666, uid: 0, gid: 0),
    ]

    let root: InRoot
    let userns: Bool

    func createAll(_ devices: [LinuxDevice]?) throws(RuntimeError) {
        var configured = Set<String>()
        for (i, d) in (devices ?? []).enumerated() {
            let jp = "linux.devices[\(i)]"
            let node = Node(path: d.path, type: d.type, major: Int64(d.major ?? 0), minor: Int64(d.minor ?? 0),
                            mode: UInt32(d.fileMode ?? 0o666), uid: UInt32(d.uid ?? 0), gid: UInt32(d.gid ?? 0))
            try create(node, jsonPath: jp)
            configured.insert(Sys.clean(d.path))
        }
        for node in DeviceSetup.defaults where !configured.contains(node.path) {
            try create(node, jsonPath: "linux.devices")
        }
    }

    func create(_ n: Node, jsonPath: String) throws(RuntimeError) {
        let clean = Sys.clean("/" + n.path)
        let parent = try root.mkdirAll(Sys.dirname(of: clean), jsonPath: jsonPath + ".path")
        defer { close(parent) }
        let name = Sys.basename(of: clean)
        if userns {
            let f = openat(parent, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if f >= 0 { close(f) }
            let target = try Sys.check("openat2", "resolve \(clean)", jsonPath: jsonPath) { root.open(clean) }
            defer { close(target) }
            try Sys.check("mount", "bind device \(clean) from the host", jsonPath: jsonPath) {
                mount(clean, InRoot.procPath(target), "", MountOptions.MS_BIND, nil)
            }
            return
        }
        let typeBits: mode_t
        switch n.type {
        case "c", "u": typeBits = S_IFCHR
        case "b": typeBits = S_IFBLK
        case "p": typeBits = S_IFIFO
        default: throw RuntimeError.config(jsonPath + ".type", "unknown device type \"\(n.type)\"")
        }
        let dev = sw_makedev(UInt32(truncatingIfNeeded: n.major), UInt32(truncatingIfNeeded: n.minor))
        if mknodat(parent, name, typeBits | mode_t(n.mode & 0o7777), dev) != 0 {
            var e = errno
            if e == EEXIST {
                unlinkat(parent, name, 0)
                e = mknodat(parent, name, typeBits | mode_t(n.mode & 0o7777), dev) == 0 ? 0 : errno
            }
            if e != 0 { throw RuntimeError.sys("mknod", "create device \(clean)", errno: e, jsonPath: jsonPath) }
        }
        try Sys.check("fchownat", "chown device \(clean)", jsonPath: jsonPath) {
            fchownat(parent, name, n.uid, n.gid, AT_SYMLINK_NOFOLLOW)
        }
    }

    /// /dev/fd, stdin, stdout, stderr, core and ptmx → pts/ptmx.
    func links(hasDevpts: Bool) throws(RuntimeError) {
        let dev = try root.mkdirAll("/dev")
        defer { close(dev) }
        // One call per link, not a loop over [(String, String)]: a tuple array is a type the
        // runtime would build by name in every init.
        func link(_ target: String, _ name: String) throws(RuntimeError) {
            if symlinkat(target, dev, name) != 0 && errno != EEXIST {
                let e = errno
                throw RuntimeError.sys("symlink", "create /dev/\(name)", errno: e)
            }
        }
        try link("/proc/self/fd", "fd")
        try link("/proc/self/fd/0", "stdin")
        try link("/proc/self/fd/1", "stdout")
        try link("/proc/self/fd/2", "stderr")
        if Sys.exists("/proc/kcore") { try link("/proc/kcore", "core") }
        if hasDevpts {
            unlinkat(dev, "ptmx", 0)
            try link("pts/ptmx", "ptmx")
        }
    }
}
