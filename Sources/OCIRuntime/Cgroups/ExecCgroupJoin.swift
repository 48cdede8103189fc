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
}
