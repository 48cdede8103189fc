#if canImport(Glibc)
import Glibc
#endif
import Spec

/// Where an exec'd process goes: the container's cgroup(s), as for the init. On cgroup v2 a
/// container that runs its own cgroup manager (systemd as PID 1) moves its processes into
/// sub-cgroups and enables controllers in its root, which then may hold no process at all
/// (the "no internal processes" rule: the write fails with EBUSY). The process then joins the
/// init's own cgroup, as runc does (runc#2356).
enum ExecCgroupJoin {
    /// Run by the exec'd process itself, before it joins any namespace: v1 hierarchies through
    /// `tasks` with "0" (no global kernel lock, see CgroupSelfJoin), v2 (no tasks file) through
    /// cgroup.procs.
    static func joinSelf(paths: [String], initPid: Int32) throws(RuntimeError) {
        let join = CgroupSelfJoin()
        for p in paths {
            let v1 = Sys.exists(p + "/tasks")
            do {
                try join.run([p + (v1 ? "/tasks" : "/cgroup.procs")])
            } catch {
                guard !v1, error.errno == EBUSY, let dir = initV2Directory(initPid), dir != p else { throw error }
                do {
                    try join.run([dir + "/cgroup.procs"])
                } catch let second {
                    throw RuntimeError("cannot join the container's cgroup \(p) (busy: it has sub-cgroups) nor its init's cgroup: \(second)")
                }
            }
        }
    }

    /// The container's v2 cgroup directory among its recorded paths (v1 ones have `tasks`).
    static func v2Path(_ paths: [String]) -> String? {
        paths.first { !Sys.exists($0 + "/tasks") && Sys.exists($0 + "/cgroup.procs") }
    }

    /// The init's v2 cgroup directory on the host, from its /proc/PID/cgroup "0::" line (read
    /// from the host's cgroup namespace, so the path is the host's).
    static func initV2Directory(_ initPid: Int32) -> String? {
        guard let text = try? Sys.readString("/proc/\(initPid)/cgroup"),
              let path = CgroupHierarchies.parseProcCgroup(text)[""],
              let v2 = (try? CgroupHierarchies.discover())?.first(where: { $0.isV2 }) else { return nil }
        return v2.directory(for: path)
    }

    /// `exec --cgroup [CONTROLLER[,CONTROLLER]:]PATH` (runc 1.2): the container's cgroup paths
    /// with PATH below each one the value names (all of them without a controller prefix, which
    /// is then the only value). Each sub-cgroup must exist and stay below the container's.
    static func subCgroups(_ values: [String], of c: Container) throws(RuntimeError) -> [String] {
        let paths = c.record.cgroupPaths
        guard !values.isEmpty else { return paths }
        try c.requireCgroup("exec into a sub-cgroup of")
        var byController: [String: String] = [:]
        var all: String? = nil
        for v in values {
            let parts = v.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            switch parts.count {
            case 1:
                guard values.count == 1 else {
                    throw RuntimeError("invalid --cgroup \"\(v)\": with several values each needs its CONTROLLER: prefix")
                }
                all = parts[0]
            case 2:
                for ctrl in parts[0].split(separator: ",").map(String.init) {
                    if byController[ctrl] != nil {
                        throw RuntimeError("invalid --cgroup: controller \"\(ctrl)\" given more than once")
                    }
                    byController[ctrl] = parts[1]
                }
            default:
                throw RuntimeError("invalid --cgroup \"\(v)\": use [CONTROLLER[,CONTROLLER]:]PATH")
            }
        }
        let hierarchies = (try? CgroupHierarchies.discover()) ?? []
        var out: [String] = []
        var used = Set<String>()
        for p in paths {
            let h = hierarchies.first { p == $0.mountPoint || p.hasPrefix($0.mountPoint + "/") }
            var sub = all
            if sub == nil, let h {
                if h.isV2 {
                    sub = byController[""]
                    used.insert("")
                } else if let ctrl = h.controllers.first(where: { byController[$0] != nil }) {
                    sub = byController[ctrl]
                    for c in h.controllers { used.insert(c) }
                }
            }
            guard let sub else { out.append(p); continue }
            let target = Sys.clean(p + "/" + sub)
            guard target.hasPrefix(p + "/") else {
                throw RuntimeError("invalid --cgroup \"\(sub)\": must name a sub-cgroup below the container's")
            }
            guard Sys.isDirectory(target) else {
                throw RuntimeError("--cgroup: \(target) does not exist (a sub-cgroup must exist before exec joins it)")
            }
            out.append(target)
        }
        if let unknown = byController.keys.sorted().first(where: { !used.contains($0) }), all == nil {
            throw RuntimeError("--cgroup: the container has no cgroup with controller \"\(unknown)\"")
        }
        return out
    }
}
