#if canImport(Glibc)
import Glibc
#endif
import Spec

/// What the runtime needs of a cgroup driver. The v1/hybrid and v2 cgroupfs drivers and the
/// systemd driver implement it; `CgroupManagers.make` picks one for the host and the flags.
protocol CgroupManager {
    /// Every directory the container lives in, outermost hierarchy first.
    var paths: [String] { get }
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
}

enum CgroupManagers {
    static func make(spec: Spec, id: String, systemd: Bool) throws(RuntimeError) -> CgroupManager {
        if systemd {
            return try SystemdCgroup(spec: spec, id: id, hierarchies: CgroupHierarchies.discover())
        }
        return try CgroupFS(hierarchies: CgroupHierarchies.discover(),
                            cgroupsPath: spec.linux?.cgroupsPath, id: id)
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
        var pids = text.split(separator: "\n").compactMap { Int32($0) }
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
