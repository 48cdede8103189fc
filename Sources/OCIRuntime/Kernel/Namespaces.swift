#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// linux.namespaces: which to create (flags for unshare) and which to join (fds opened and
/// type-checked in the parent, before anything is forked, so a bad path is a config error).
struct NamespacePlan {
    struct Join {
        var type: String
        var flag: Int32
        var fd: Int32
        var path: String
    }

    /// CLONE_NEW* flags and the names /proc/PID/ns uses (for error messages), indexed like
    /// Spec.namespaceTypes: arrays, not String-keyed dictionaries (see Spec.rlimitNames).
    static let cloneFlags: [Int32] = [0x2000_0000, 0x4000_0000, 0x0002_0000, 0x0800_0000,
                                      0x0400_0000, 0x1000_0000, 0x0200_0000, 0x0000_0080]
    static let procNames: [String] = ["pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time"]

    static func flag(_ type: String) -> Int32? {
        Spec.namespaceTypes.firstIndex(of: type).map { cloneFlags[$0] }
    }
    static func procName(_ type: String) -> String {
        Spec.namespaceTypes.firstIndex(of: type).map { procNames[$0] } ?? type
    }

    static let CLONE_NEWPID: Int32 = 0x2000_0000

    /// Namespaces to create, except user (made first, on its own, so the parent can map IDs).
    var unshareFlags: Int32 = 0
    var newUser = false
    var joins: [Join] = []

    func has(_ type: String) -> Bool {
        guard let f = NamespacePlan.flag(type) else { return false }
        if type == "user" { return newUser || joins.contains { $0.type == "user" } }
        return unshareFlags & f != 0 || joins.contains { $0.type == type }
    }
    func creates(_ type: String) -> Bool {
        if type == "user" { return newUser }
        guard let f = NamespacePlan.flag(type) else { return false }
        return unshareFlags & f != 0
    }

    static func make(_ spec: Spec) throws(RuntimeError) -> NamespacePlan {
        var plan = NamespacePlan()
        for (i, ns) in (spec.linux?.namespaces ?? []).enumerated() {
            let jp = "linux.namespaces[\(i)]"
            guard let flag = NamespacePlan.flag(ns.type) else {
                throw RuntimeError.config(jp + ".type", "unknown namespace type \"\(ns.type)\"")
            }
            if let path = ns.path, !path.isEmpty {
                let fd = open(path, O_RDONLY | O_CLOEXEC)
                if fd < 0 {
                    let e = errno
                    plan.closeJoins()
                    throw RuntimeError.sys("open", "cannot open namespace \(path)", errno: e, jsonPath: jp + ".path")
                }
                let NS_GET_NSTYPE: UInt = 0xb703
                let actual = sw_ioctl_int(fd, NS_GET_NSTYPE, 0)
                if actual < 0 {
                    let e = errno
                    close(fd)
                    plan.closeJoins()
                    throw RuntimeError.sys("ioctl", "\(path) is not a namespace file", errno: e, jsonPath: jp + ".path")
                }
                if actual != flag {
                    close(fd)
                    plan.closeJoins()
                    let actualName = cloneFlags.firstIndex(of: actual).map { procNames[$0] } ?? "unknown"
                    throw RuntimeError.config(jp + ".path",
                        "\(path) is a \(actualName) namespace, not a \(procName(ns.type)) namespace")
                }
                plan.joins.append(Join(type: ns.type, flag: flag, fd: fd, path: path))
            } else if ns.type == "user" {
                plan.newUser = true
            } else {
                plan.unshareFlags |= flag
            }
        }
        // A user namespace is joined before the others: joining them needs its capabilities.
        plan.joins.sort { a, b in a.type == "user" && b.type != "user" }
        return plan
    }

    /// The init can be cloned straight into its namespaces, one process instead of two, when
    /// nothing must happen between fork and unshare: no namespace joined by path (setns first),
    /// no user namespace (the parent maps IDs in between), no time namespace (offsets are
    /// written before its first process), no cgroup namespace (its root is fixed at creation,
    /// and on v1 hierarchies the init is joined only after clone).
    var singleStage: Bool {
        joins.isEmpty && !newUser && !creates("time") && !creates("cgroup")
    }

    func closeJoins() { for j in joins { close(j.fd) } }

    /// Every namespace of a running container's init that differs from ours, in the order
    /// they can be joined (the user namespace first, the mount namespace last).
    static func joining(_ initPid: Int32) throws(RuntimeError) -> NamespacePlan {
        var plan = NamespacePlan()
        for type in ["user", "ipc", "uts", "network", "pid", "cgroup", "time", "mount"] {
            let name = procName(type)
            let theirs = "/proc/\(initPid)/ns/\(name)"
            var a = stat(), b = stat()
            guard stat(theirs, &a) == 0, let flag = flag(type) else { continue }
            if stat("/proc/self/ns/\(name)", &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev { continue }
            let fd = open(theirs, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                let e = errno
                plan.closeJoins()
                throw RuntimeError.sys("open", "open \(theirs)", errno: e)
            }
            plan.joins.append(Join(type: type, flag: flag, fd: fd, path: theirs))
        }
        return plan
    }

    /// In the child: enter every namespace given by path.
    func enterJoined() throws(RuntimeError) {
        for j in joins {
            try Sys.check("setns", "join \(j.type) namespace \(j.path)") { sw_setns(j.fd, j.flag) }
        }
    }
}
