#if canImport(Glibc)
import Glibc
#endif
import Spec

/// What the runtime needs of a cgroup driver. The v1/hybrid and v2 cgroupfs drivers and the
/// systemd driver implement it; `CgroupManagers.make` picks one for the host and the flags.
protocol CgroupManager {
    /// Every directory the container lives in, outermost hierarchy first.
    var paths: [String] { get }
    /// The directories the container's cgroup mount shows, one per hierarchy (its own ones,
    /// or its caller's when it has none: NoCgroup).
    var mountPaths: [String] { get }
    /// The host's hierarchies the paths live in (the container's cgroup mount shows them).
    var hierarchies: [CgroupHierarchy] { get }
    /// Creates the cgroup(s); nothing is written into them yet.
    func create() throws(RuntimeError)
    /// Writes `linux.resources` into the cgroup(s); create and update both come here.
    func apply(_ resources: LinuxResources) throws(RuntimeError)
    /// The device allowlist (DeviceRules.effective): devices.allow/deny on v1, a BPF program on v2.
    func applyDevices(_ rules: [LinuxDeviceCgroup]) throws(RuntimeError)
    /// Moves a process into the cgroup(s).
    func join(pid: Int32) throws(RuntimeError)
    /// Removes the cgroup(s) once empty.
    func destroy() throws(RuntimeError)
    /// The v2 directory a child can be born in with clone3(CLONE_INTO_CGROUP), if the driver
    /// owns one directly.
    var v2Directory: String? { get }
    /// Moves a process into the cgroup(s) except the directory `skipping` (where clone3 already
    /// placed it).
    func join(pid: Int32, skipping: String?) throws(RuntimeError)
    /// The transient unit the container runs in (systemd driver), kept in the record.
    var systemdUnit: String? { get }
    /// The files a single-threaded process writes "0" into to join the cgroup(s) itself, or
    /// nil when the parent must join it (join(pid:)). See CgroupSelfJoin.
    func selfJoinFiles(skipping: String?) -> [String]?
    /// What must exist before the init is cloned. A driver whose init joins by itself creates
    /// only the v2 directory it is born in; the rest is created, and the limits written, while
    /// the init builds its rootfs (the two overlap on two CPUs).
    func createForClone() throws(RuntimeError)
}

// Asked of the protocol rather than found by `as?` casts: a cast of an existential to a struct
// makes the Swift runtime search every protocol conformance in the binary (~140k instructions
// per cast, measured with callgrind in create).
extension CgroupManager {
    var mountPaths: [String] { paths }
    var v2Directory: String? { nil }
    func join(pid: Int32, skipping: String?) throws(RuntimeError) { try join(pid: pid) }
    var systemdUnit: String? { nil }
    func selfJoinFiles(skipping: String?) -> [String]? { nil }
    func createForClone() throws(RuntimeError) { try create() }
}

/// The init joins its cgroups itself, by writing "0" (itself) to each v1 hierarchy's `tasks`
/// file, instead of create writing its PID to cgroup.procs. Moving a whole thread group takes
/// the kernel's global threadgroup lock for writing, which waits for an RCU grace period:
/// 6 ms median, up to 20 ms, on these 2-CPU hosts under load (and runc pays it on every
/// create). Moving the calling thread alone skips that lock (kernel >= 6.1,
/// cgroup_procs_write_start); the init is single-threaded, so the thread is the process.
struct CgroupSelfJoin {
    /// O_PATH fds of the hierarchies' mount points, opened while they are reachable: after
    /// pivot_root the host's cgroup mounts are detached from the init's namespace, but a
    /// lookup below a mount's own root still works through an fd of it. Empty: the paths
    /// are opened as they are.
    /// (Two arrays rather than one of tuples: see Sys.clean.)
    var mountPaths: [String] = []
    var mountFds: [Int32] = []

    static func holding(_ hierarchies: [CgroupHierarchy]) throws(RuntimeError) -> CgroupSelfJoin {
        var j = CgroupSelfJoin()
        for h in hierarchies {
            let fd = open(h.mountPoint, O_PATH | O_DIRECTORY | O_CLOEXEC)
            if fd < 0 {
                let e = errno
                j.close()
                throw RuntimeError.sys("open", "open cgroup hierarchy \(h.mountPoint)", errno: e)
            }
            j.mountPaths.append(h.mountPoint)
            j.mountFds.append(fd)
        }
        return j
    }

    func run(_ files: [String]) throws(RuntimeError) {
        for f in files {
            var dirfd = AT_FDCWD
            var path = f
            var best = -1
            for i in mountPaths.indices where f.hasPrefix(mountPaths[i] + "/")
                && (best < 0 || mountPaths[i].utf8.count > mountPaths[best].utf8.count) {
                best = i
            }
            if best >= 0 {
                dirfd = mountFds[best]
                path = String(decoding: f.utf8.dropFirst(mountPaths[best].utf8.count + 1), as: UTF8.self)
            }
            let fd = try Sys.check("open", "open \(f)") { openat(dirfd, path, O_WRONLY | O_CLOEXEC) }
            defer { Glibc.close(fd) }
            try Sys.writeAll(fd, [UInt8(ascii: "0")], what: f)
        }
    }

    func close() { for fd in mountFds { Glibc.close(fd) } }
}

enum CgroupManagers {
    static func make(spec: Spec, id: String, systemd: Bool, rootless: Bool = false) throws(RuntimeError) -> CgroupManager {
        let driver: CgroupManager
        if systemd {
            driver = try SystemdCgroup(spec: spec, id: id, hierarchies: CgroupHierarchies.discover(), user: rootless)
        } else {
            driver = try CgroupFS(hierarchies: CgroupHierarchies.discover(), cgroupsPath: spec.linux?.cgroupsPath, id: id)
        }
        return rootless ? try RootlessCgroup.make(driver, resources: spec.linux?.resources) : driver
    }

    /// The processes in a container's cgroup and every cgroup below it (a container running
    /// systemd keeps none in its root), read from the first path that has any.
    static func pids(paths: [String]) -> [Int32] {
        for p in paths {
            let pids = pidsInTree(p)
            if !pids.isEmpty { return pids }
        }
        return []
    }

    private static func pidsInTree(_ dir: String) -> [Int32] {
        guard let text = try? Sys.readString(dir + "/cgroup.procs") else { return [] }
        var pids = text.fields("\n").compactMap { Int32($0) }
        for entry in Sys.listDirectory(dir) where Sys.isDirectory(dir + "/" + entry) {
            pids += pidsInTree(dir + "/" + entry)
        }
        return pids
    }

    /// Removes a cgroup and the sub-cgroups a container made in it (systemd inside makes
    /// init.scope, system.slice...), deepest first: rmdir refuses a cgroup with children.
    static func removeDirectory(_ path: String) throws(RuntimeError) {
        for entry in Sys.listDirectory(path) where Sys.isDirectory(path + "/" + entry) {
            try removeDirectory(path + "/" + entry)
        }
        try removeEmptyDirectory(path)
    }

    /// rmdir with a short retry: the last process can still be leaving when delete runs.
    private static func removeEmptyDirectory(_ path: String) throws(RuntimeError) {
        var delay: UInt32 = 1000
        for attempt in 0..<12 {
            if rmdir(path) == 0 { return }
            let e = errno
            if e == ENOENT { return }
            if e != EBUSY || attempt == 11 {
                throw RuntimeError.sys("rmdir", "remove cgroup \(path)", errno: e)
            }
            usleep(delay)
            delay = min(delay * 2, 100_000)
        }
    }
}
