#if canImport(Glibc)
import Glibc
#endif
import Spec

/// A `cgroup` mount in the container: on a v2 host one cgroup2 mount; on v1 and hybrid hosts a
/// tmpfs with one directory per hierarchy, as the host lays them out. With a cgroup
/// namespace the hierarchies are mounted fresh (they show the container's cgroup as "/");
/// without one, the container's own cgroup directories are bind-mounted.
struct CgroupMountPlan {
    var hierarchies: [CgroupHierarchy]
    /// The container's cgroup directory in each hierarchy (same order).
    var paths: [String]
    var cgroupns: Bool

    func mount(at destination: String, type: String, options: MountOptions, root: InRoot,
               jsonPath: String) throws(RuntimeError) {
        let flags = options.flags & ~MountOptions.MS_RDONLY
        let readonly = options.flags & MountOptions.MS_RDONLY != 0
        let v2Only = hierarchies.count == 1 && hierarchies[0].isV2
        if v2Only || type == "cgroup2" {
            guard let i = hierarchies.firstIndex(where: { $0.isV2 }) else {
                throw RuntimeError("this host has no cgroup2 hierarchy to mount", jsonPath: jsonPath + ".type")
            }
            try mountHierarchy(i, at: destination, flags: options.flags, root: root, jsonPath: jsonPath)
            return
        }
        let dir = try root.mkdirAll(destination, jsonPath: jsonPath + ".destination")
        try Sys.check("mount", "mount tmpfs for cgroups on \(destination)", jsonPath: jsonPath) {
            Glibc.mount("tmpfs", InRoot.procPath(dir), "tmpfs", flags, "mode=755")
        }
        defer { close(dir) }
        for i in hierarchies.indices {
            let h = hierarchies[i]
            let base = h.mountPoint.split(separator: "/").last.map(String.init) ?? h.name
            try mountHierarchy(i, at: Sys.clean(destination + "/" + base), flags: options.flags, root: root, jsonPath: jsonPath)
            // runc's compatibility links: cpu,cpuacct mounted together is also reachable by each name.
            if !h.isV2 && h.controllers.count > 1 && base.contains(",") {
                for c in h.controllers where !c.hasPrefix("name=") {
                    _ = symlinkat(base, dir, c)
                }
            }
        }
        if readonly {
            let fd = try Sys.check("openat2", "resolve \(destination)", jsonPath: jsonPath) { root.open(destination) }
            defer { close(fd) }
            try Sys.check("mount", "remount \(destination) read-only", jsonPath: jsonPath) {
                Glibc.mount("", InRoot.procPath(fd), "", MountOptions.MS_REMOUNT | MountOptions.MS_RDONLY | flags, nil)
            }
        }
    }

    private func mountHierarchy(_ i: Int, at destination: String, flags: UInt, root: InRoot,
                                jsonPath: String) throws(RuntimeError) {
        let h = hierarchies[i]
        let dir = try root.mkdirAll(destination, jsonPath: jsonPath + ".destination")
        defer { close(dir) }
        let target = InRoot.procPath(dir)
        if cgroupns {
            let fstype = h.isV2 ? "cgroup2" : "cgroup"
            let data = h.isV2 ? "" : h.controllers.commaJoined
            if Glibc.mount("cgroup", target, fstype, flags, data.isEmpty ? nil : data) == 0 { return }
            // A cgroup namespace owned by a user namespace may not mount v1 hierarchies:
            // fall back to the bind mount below.
        }
        try Sys.check("mount", "bind cgroup \(paths[i]) on \(destination)", jsonPath: jsonPath) {
            Glibc.mount(paths[i], target, "", MountOptions.MS_BIND | MountOptions.MS_REC, nil)
        }
        let extra = flags & (MountOptions.MS_RDONLY | MountOptions.MS_NOSUID | MountOptions.MS_NODEV | MountOptions.MS_NOEXEC)
        if extra != 0 {
            let fd = try Sys.check("openat2", "resolve \(destination)", jsonPath: jsonPath) { root.open(destination) }
            defer { close(fd) }
            try Sys.check("mount", "remount cgroup on \(destination)", jsonPath: jsonPath) {
                Glibc.mount("", InRoot.procPath(fd), "", MountOptions.MS_BIND | MountOptions.MS_REMOUNT | extra, nil)
            }
        }
    }
}
