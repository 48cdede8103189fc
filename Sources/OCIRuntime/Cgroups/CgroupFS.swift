#if canImport(Glibc)
import Glibc
#endif
import Spec

/// The cgroupfs driver for v1, hybrid and v2 hosts: one directory per hierarchy. cgroupsPath
/// absolute → relative to each hierarchy's root; relative → under swrun's own cgroup there;
/// absent → the container ID under swrun's own cgroup (runc's rules).
struct CgroupFS: CgroupManager {
    let hierarchies: [CgroupHierarchy]
    let paths: [String]

    init(hierarchies: [CgroupHierarchy], cgroupsPath: String?, id: String) throws(RuntimeError) {
        let requested = cgroupsPath ?? ""
        if requested.split(separator: "/").contains("..") {
            throw RuntimeError.config("linux.cgroupsPath", "must not contain \"..\"")
        }
        self.hierarchies = hierarchies
        self.paths = hierarchies.map { h in
            let cgPath: String
            if requested.hasPrefix("/") { cgPath = requested }
            else if requested.isEmpty { cgPath = h.ownPath + "/" + id }
            else { cgPath = h.ownPath + "/" + requested }
            return h.directory(for: Sys.clean(cgPath))
        }
    }

    func create() throws(RuntimeError) {
        for (h, path) in zip(hierarchies, paths) {
            try makeDirectory(path, cpuset: h.controllers.contains("cpuset"))
        }
    }

    /// mkdir -p; v1 cpuset directories start with empty cpus/mems and refuse tasks until they
    /// are copied from the parent.
    private func makeDirectory(_ path: String, cpuset: Bool) throws(RuntimeError) {
        if Sys.isDirectory(path) { return }
        let parent = Sys.dirname(of: path)
        try makeDirectory(parent, cpuset: cpuset)
        if mkdir(path, 0o755) != 0 {
            let e = errno
            if e != EEXIST { throw RuntimeError.sys("mkdir", "create cgroup \(path)", errno: e) }
        }
        if cpuset {
            for file in ["cpuset.cpus", "cpuset.mems"] {
                let mine = (try? Sys.readString(path + "/" + file)) ?? ""
                if mine.trimmingCharacters(in: " \n") == "" {
                    let theirs = (try? Sys.readString(parent + "/" + file)) ?? ""
                    try Sys.writeFile(path + "/" + file, theirs.trimmingCharacters(in: " \n"), flags: 0)
                }
            }
        }
    }

    func join(pid: Int32) throws(RuntimeError) {
        for path in paths {
            try Sys.writeFile(path + "/cgroup.procs", String(pid), flags: 0)
        }
    }

    func destroy() throws(RuntimeError) {
        var first: RuntimeError?
        for path in paths {
            do { try CgroupManagers.removeDirectory(path) } catch { if first == nil { first = error } }
        }
        if let first { throw first }
    }
}
