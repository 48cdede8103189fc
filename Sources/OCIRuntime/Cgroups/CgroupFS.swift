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
            // A v2 ".scope" (a systemd session) already holds processes, so it cannot delegate
            // controllers to a child: its parent is used instead, as runc does.
            let own = h.isV2 && h.ownPath.hasSuffix(".scope") ? Sys.dirname(of: h.ownPath) : h.ownPath
            let cgPath: String
            if requested.hasPrefix("/") { cgPath = requested }
            else if requested.isEmpty { cgPath = own + "/" + id }
            else { cgPath = own + "/" + requested }
            return h.directory(for: Sys.clean(cgPath))
        }
    }

    /// The driver of an existing container, from the directories its record keeps.
    init(existing paths: [String], hierarchies all: [CgroupHierarchy]) {
        var hs: [CgroupHierarchy] = []
        var ps: [String] = []
        for p in paths {
            if let h = all.first(where: { p == $0.mountPoint || p.hasPrefix($0.mountPoint + "/") }) {
                hs.append(h)
                ps.append(p)
            }
        }
        self.hierarchies = hs
        self.paths = ps
    }

    func createForClone() throws(RuntimeError) {
        if let d = v2Directory { try makeDirectory(d) }
    }

    func create() throws(RuntimeError) {
        for (h, path) in zip(hierarchies, paths) {
            try makeDirectory(path)
            if h.controllers.contains("cpuset") { try fillCpuset(path, root: h.mountPoint) }
        }
    }

    /// mkdir -p.
    private func makeDirectory(_ path: String) throws(RuntimeError) {
        // mkdir first: the parent almost always exists, so this is one syscall, not three.
        if mkdir(path, 0o755) != 0 {
            let e = errno
            if e == EEXIST { return }
            let parent = Sys.dirname(of: path)
            guard e == ENOENT, path != parent else { throw RuntimeError.sys("mkdir", "create cgroup \(path)", errno: e) }
            try makeDirectory(parent)
            if mkdir(path, 0o755) != 0 {
                let e = errno
                if e != EEXIST { throw RuntimeError.sys("mkdir", "create cgroup \(path)", errno: e) }
            }
        }
    }

    /// v1 cpuset directories start with empty cpus/mems and refuse tasks (ENOSPC) until they
    /// are set. As runc, each empty one gets its parent's, filled first the same way up to the
    /// hierarchy's root: a parent that existed already, made by hand or by another tool
    /// without cgroup.clone_children, is as empty as a new one. A full directory stops the
    /// climb, so the usual case reads only the container's own two files.
    private func fillCpuset(_ path: String, root: String) throws(RuntimeError) {
        guard path.hasPrefix(root + "/") else { return }
        let files = ["cpuset.cpus", "cpuset.mems"]
        let empty = files.filter { ((try? Sys.readString(path + "/" + $0)) ?? "").trimmingCharacters(in: " \n").isEmpty }
        if empty.isEmpty { return }
        let parent = Sys.dirname(of: path)
        try fillCpuset(parent, root: root)
        for file in empty {
            let theirs = (try? Sys.readString(parent + "/" + file)) ?? ""
            try Sys.writeFile(path + "/" + file, theirs.trimmingCharacters(in: " \n"), flags: 0)
        }
    }

    /// Writes the limits: on v1 each file into the hierarchy of its controller; what no v1
    /// hierarchy offers goes to the v2 tree when it has the controller (hugetlb on these
    /// hybrid hosts), else it is an error naming the fields and the controller, as runc's
    /// "cannot set net_cls limit" (runtime.md: a property that cannot be applied MUST fail
    /// create). A config that does not use a controller never needs it.
    func apply(_ r: LinuxResources) throws(RuntimeError) {
        let v2 = zip(hierarchies, paths).first { $0.0.isV2 }
        let v1 = zip(hierarchies, paths).filter { !$0.0.isV2 }
        var v2Plan = CgroupWritePlan()
        if v1.isEmpty {
            v2Plan = try CgroupV2Files.plan(for: r)
        } else {
            try CgroupUnifiedHost.refuseUnifiedUnlessPureV2(r, hierarchies: hierarchies)
            let plan = try CgroupV1Files.plan(for: r)
            plan.warnings.forEach(Log.warn)
            var unplaced = Set<String>()
            for (h, dir) in v1 {
                let mine = plan.only(controllers: Set(h.controllers))
                if !mine.writes.isEmpty { try CgroupWriter.apply(mine, directory: dir) }
            }
            let v1Controllers = Set(v1.flatMap { $0.0.controllers })
            for w in plan.writes where !v1Controllers.contains(w.controller) { unplaced.insert(w.controller) }
            let full = try CgroupV2Files.plan(for: r)
            // Read only when needed: most configs have nothing v1 cannot take.
            let v2Available = unplaced.isEmpty ? [] : v2.map { Set(Self.controllers(at: $0.0.mountPoint)) } ?? []
            let toV2 = unplaced.filter { v2Available.contains($0) }
            v2Plan.writes = full.writes.filter { toV2.contains($0.controller) }
            if let c = unplaced.subtracting(toV2).sorted().first {
                let fields = Set(plan.writes.filter { $0.controller == c }.map(\.jsonPath)).sorted()
                throw RuntimeError("\(fields.joined(separator: ", ")) cannot be applied: this host has no \(c) cgroup controller",
                                   jsonPath: fields.first ?? "linux.resources",
                                   hint: "mount the \(c) controller, or leave the setting out")
            }
        }
        if let (h, dir) = v2, !v2Plan.writes.isEmpty || v1.isEmpty {
            v2Plan.warnings.forEach(Log.warn)
            CgroupWriter.enableControllers(mountPoint: h.mountPoint, directory: dir)
            try CgroupWriter.apply(v2Plan, directory: dir)
        }
    }

    /// The v1 devices hierarchy where there is one (hybrid hosts need nothing more), else the
    /// v2 cgroup's BPF filter.
    func applyDevices(_ rules: [LinuxDeviceCgroup]) throws(RuntimeError) {
        if let (_, dir) = zip(hierarchies, paths).first(where: { $0.0.controllers.contains("devices") }) {
            try DeviceRules.applyV1(directory: dir, rules: rules)
        } else if let (_, dir) = zip(hierarchies, paths).first(where: { $0.0.isV2 }) {
            try DeviceFilter.apply(cgroupDirectory: dir, rules: rules)
        }
    }

    /// The controllers a v2 cgroup offers its children.
    static func controllers(at directory: String) -> [String] {
        ((try? Sys.readString(directory + "/cgroup.controllers")) ?? "")
            .split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }

    /// The container's directory in the v2 hierarchy, if the host has one.
    var v2Directory: String? { hierarchies.firstIndex { $0.isV2 }.map { paths[$0] } }

    func join(pid: Int32) throws(RuntimeError) { try join(pid: pid, skipping: nil) }

    /// `skipping`: a directory the process already is in (clone3 CLONE_INTO_CGROUP).
    func join(pid: Int32, skipping: String?) throws(RuntimeError) {
        for path in paths where path != skipping {
            try Sys.writeFile(path + "/cgroup.procs", String(pid), flags: 0)
        }
    }

    /// v1: `tasks` with "0" moves only the writing thread (no global lock); v2's cgroup.procs
    /// is kept for the (rare) case clone3 could not place the process.
    func selfJoinFiles(skipping: String?) -> [String]? {
        // By index, not zip: the (hierarchy, path) pairs would be a type of their own, whose
        // metadata the Swift runtime makes at first use, before the clone (~15 us).
        paths.indices.filter { paths[$0] != skipping }.map { hierarchies[$0].isV2 ? paths[$0] + "/cgroup.procs" : paths[$0] + "/tasks" }
    }

    func destroy() throws(RuntimeError) {
        var first: RuntimeError?
        for path in paths {
            do { try CgroupManagers.removeDirectory(path) } catch { if first == nil { first = error } }
        }
        if let first { throw first }
    }
}
