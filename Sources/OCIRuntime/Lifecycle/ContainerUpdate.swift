#if canImport(Glibc)
import Glibc
#endif
import Spec

/// `update`: new limits for a running (or created, or paused) container, written through the
/// same mapping as create. As in runc, only memory, cpu, blockIO weight/throttles, pids,
/// hugepage, rdma and unified values change; devices stay as they were created.
public enum ContainerUpdate {
    public static func run(store: StateStore, id: String, resources r: LinuxResources) throws(RuntimeError) {
        let c = try Container(store: store, id: id)
        let lockFd = try store.lock(id)
        defer { close(lockFd) }
        if c.status == .stopped {
            throw RuntimeError("cannot update container \"\(id)\": it is stopped")
        }
        try c.requireCgroup("update")
        var r = r
        r.devices = nil
        // The same refusals as create's (issue 12, class 6), before anything is written.
        try r.refuseUnifiedOutsideLimits(path: "resources")
        let hierarchies = try CgroupHierarchies.discover()
        try CgroupUnifiedHost.refuseUnifiedUnlessPureV2(r, hierarchies: hierarchies, path: "resources")
        let cg: CgroupManager = c.record.systemdUnit.map {
            SystemdCgroup(existingUnit: $0, user: c.record.systemdUser, path: c.record.cgroupPaths.first ?? "", hierarchies: hierarchies)
        } ?? CgroupFS(existing: c.record.cgroupPaths, hierarchies: hierarchies)
        if r.memory?.checkBeforeUpdate == true, let limit = r.memory?.limit, limit > 0 {
            try checkUsage(below: limit, paths: cg.paths)
        }
        try cg.apply(r)
    }

    /// linux.resources.memory.checkBeforeUpdate: refuse a limit the container already exceeds,
    /// rather than let the kernel reclaim or OOM-kill to reach it.
    static func checkUsage(below limit: Int64, paths: [String]) throws(RuntimeError) {
        for p in paths {
            for file in ["memory.current", "memory.usage_in_bytes"] {
                guard let s = try? Sys.readString(p + "/" + file),
                      let usage = Int64(s.trimmingCharacters(in: " \n")) else { continue }
                if usage > limit {
                    throw RuntimeError.config("resources.memory.limit",
                                              "\(limit) is below the container's current memory usage (\(usage)) and checkBeforeUpdate is set")
                }
                return
            }
        }
    }

    /// runc's size syntax for --memory and friends: "64m", "1g", "512MiB", bytes, or -1.
    public static func parseSize(_ text: String, flag: String) throws(RuntimeError) -> Int64 {
        let s = text.lowercased()
        if s == "-1" { return -1 }
        let digits = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        var unit = String(s.dropFirst(digits.count)).trimmingCharacters(in: " ")
        if unit.hasSuffix("ib") { unit.removeLast(2) } else if unit.hasSuffix("b") { unit.removeLast() }
        let shifts: [String: Int] = ["": 0, "k": 10, "m": 20, "g": 30, "t": 40, "p": 50]
        guard let n = Double(digits), n >= 0, let shift = shifts[unit] else {
            throw RuntimeError("invalid value \"\(text)\" for \(flag): expected a size such as 64m, 1g or 1048576")
        }
        let bytes = n * Double(1 << shift)
        // Checked before the conversion, which would trap on a value past Int64 (runc: a parse error).
        guard bytes.isFinite, bytes < 9.2e18 else {
            throw RuntimeError("invalid value \"\(text)\" for \(flag): too large")
        }
        return Int64(bytes)
    }
}
