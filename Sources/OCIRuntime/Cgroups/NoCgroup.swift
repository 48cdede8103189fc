#if canImport(Glibc)
import Glibc
#endif
import Spec

/// A rootless container whose user cannot write the cgroup tree (a v1 host, or v2 without a
/// delegated subtree) and asked for no limits: it runs in its caller's cgroups, as runc's
/// rootless containers do. Nothing is created, joined or removed, and the record has no
/// cgroup paths, so nothing later can mistake the caller's cgroups for the container's
/// (delete would remove them, kill --all would kill the caller). The container's cgroup
/// mount shows the caller's cgroups.
struct NoCgroup: CgroupManager {
    var hierarchies: [CgroupHierarchy]
    /// The caller's cgroup in each hierarchy (same order), for the container's cgroup mount.
    var callerPaths: [String]

    var paths: [String] { [] }
    var mountPaths: [String] { callerPaths }
    func create() throws(RuntimeError) {}
    func apply(_ resources: LinuxResources) throws(RuntimeError) {}
    func applyDevices(_ rules: [LinuxDeviceCgroup]) throws(RuntimeError) {}
    func join(pid: Int32) throws(RuntimeError) {}
    func destroy() throws(RuntimeError) {}

    static let reason = "the container has no cgroup of its own (rootless, and this user cannot write the cgroup tree)"
}

/// Rootless containers: a cgroup the user can write is used (a delegated v2 subtree), else
/// none, unless limits were asked, which are then an error naming the first field. The
/// device rules are never written: the v1 devices controller and v2 device programs need the
/// host's root, and a user namespace cannot create device nodes that would need them.
struct RootlessCgroup: CgroupManager {
    var inner: CgroupManager

    var paths: [String] { inner.paths }
    var hierarchies: [CgroupHierarchy] { inner.hierarchies }
    var mountPaths: [String] { inner.mountPaths }
    var v2Directory: String? { inner.v2Directory }
    var systemdUnit: String? { inner.systemdUnit }
    func create() throws(RuntimeError) { try inner.create() }
    func createForClone() throws(RuntimeError) { try inner.createForClone() }
    func apply(_ resources: LinuxResources) throws(RuntimeError) { try inner.apply(resources) }
    func applyDevices(_ rules: [LinuxDeviceCgroup]) throws(RuntimeError) {}
    func join(pid: Int32) throws(RuntimeError) { try inner.join(pid: pid) }
    func join(pid: Int32, skipping: String?) throws(RuntimeError) { try inner.join(pid: pid, skipping: skipping) }
    func destroy() throws(RuntimeError) { try inner.destroy() }
    func selfJoinFiles(skipping: String?) -> [String]? { inner.selfJoinFiles(skipping: skipping) }

    static func make(_ inner: CgroupManager, resources: LinuxResources?) throws(RuntimeError) -> CgroupManager {
        if inner.paths.allSatisfy(writableWhereMissing) { return RootlessCgroup(inner: inner) }
        if let field = resources.flatMap(firstLimit) {
            throw RuntimeError.config("linux.resources." + field,
                "cannot be applied: swrun runs rootless and this user cannot write the cgroup tree "
                + "(\(inner.paths.first ?? "")); remove the limit, or give the user a delegated cgroup v2 subtree")
        }
        return NoCgroup(hierarchies: inner.hierarchies, callerPaths: callerPaths(inner.hierarchies))
    }

    /// The cgroup directory exists and is writable, or the nearest existing parent is.
    private static func writableWhereMissing(_ path: String) -> Bool {
        var p = path
        while !p.isEmpty && p != "/" {
            if Sys.exists(p) { return access(p, W_OK) == 0 && (Sys.exists(p + "/cgroup.procs") ? access(p + "/cgroup.procs", W_OK) == 0 : true) }
            p = p.lastIndex(of: "/").map { String(p[..<$0]) } ?? ""
        }
        return false
    }

    /// The first field of linux.resources that asks for a limit (devices are not limits:
    /// every config carries runc's default rules).
    static func firstLimit(_ r: LinuxResources) -> String? {
        if r.memory != nil { return "memory" }
        if r.cpu != nil { return "cpu" }
        if r.pids != nil { return "pids" }
        if r.blockIO != nil { return "blockIO" }
        if let h = r.hugepageLimits, !h.isEmpty { return "hugepageLimits" }
        if r.network != nil { return "network" }
        if let u = r.unified, !u.isEmpty { return "unified" }
        if let rd = r.rdma, !rd.isEmpty { return "rdma" }
        return nil
    }

    static func callerPaths(_ hierarchies: [CgroupHierarchy]) -> [String] {
        hierarchies.map { $0.directory(for: $0.ownPath) }
    }
}
