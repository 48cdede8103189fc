import Spec

/// The host's cgroup mounts as /proc/self/mountinfo and /proc/self/cgroup describe them: on
/// these hybrid hosts one v1 hierarchy per controller plus a controller-less v2 tree; on a
/// pure v2 host a single cgroup2 mount.
struct CgroupHierarchy: Equatable {
    /// Where it is mounted ("/sys/fs/cgroup/memory").
    var mountPoint: String
    /// The cgroup path that is the root of the mount (usually "/").
    var mountRoot: String
    /// v1: its controllers ("cpu", "cpuacct", "name=systemd"); v2: empty.
    var controllers: [String]
    var isV2: Bool
    /// This process's own cgroup in the hierarchy, from /proc/self/cgroup.
    var ownPath: String

    var name: String { isV2 ? "unified" : controllers.commaJoined }

    /// The directory on the host for a cgroup path given relative to the hierarchy's root.
    func directory(for cgroupPath: String) -> String {
        var rel = cgroupPath
        if mountRoot != "/" && (rel == mountRoot || rel.hasPrefix(mountRoot + "/")) {
            rel = String(rel.dropFirst(mountRoot.count))
        }
        return Sys.clean(mountPoint + "/" + rel)
    }
}

enum CgroupHierarchies {
    static func discover() throws(RuntimeError) -> [CgroupHierarchy] {
        let mountinfo = MountInfo.parse(try Sys.readFile("/proc/self/mountinfo"))
        let own = parseProcCgroup(try Sys.readString("/proc/self/cgroup"))
        return parse(mountinfo: mountinfo, procCgroup: own)
    }

    /// /proc/self/cgroup lines: "4:memory:/a/b", "0::/" → controllers key ("" for v2) → path.
    static func parseProcCgroup(_ text: String) -> StringTable {
        var out = StringTable()
        for line in text.fields("\n") {
            let f = line.fields(":", maxSplits: 2, keepEmpty: true)
            guard f.count == 3 else { continue }
            out[f[1]] = f[2]
        }
        return out
    }

    static func parse(mountinfo: String, procCgroup: StringTable) -> [CgroupHierarchy] {
        parse(mountinfo: MountInfo.parse(mountinfo), procCgroup: procCgroup)
    }

    static let knownControllers = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio",
                                   "pids", "net_cls", "net_prio", "perf_event", "hugetlb", "rdma", "misc"]

    static func parse(mountinfo: [MountInfoEntry], procCgroup: StringTable) -> [CgroupHierarchy] {
        var result: [CgroupHierarchy] = []
        var seen: [String] = []
        for m in mountinfo where m.fstype == "cgroup" || m.fstype == "cgroup2" {
            if m.fstype == "cgroup2" {
                guard !seen.contains("") else { continue }
                seen.append("")
                result.append(CgroupHierarchy(mountPoint: m.mountPoint, mountRoot: m.root, controllers: [], isV2: true,
                                              ownPath: procCgroup[""] ?? "/"))
            } else {
                let ctrls = m.superOptions.fields(",")
                    .filter { knownControllers.contains($0) || $0.hasPrefix("name=") }
                guard !ctrls.isEmpty else { continue }
                let sorted = ctrls.sorted()
                let key = sorted.commaJoined
                guard !seen.contains(key) else { continue }
                seen.append(key)
                // /proc/self/cgroup lists controllers in the kernel's order; match as a set.
                var ownPath = "/"
                for (i, k) in procCgroup.keys.enumerated() where k.fields(",").sorted() == sorted {
                    ownPath = procCgroup.values[i]
                }
                result.append(CgroupHierarchy(mountPoint: m.mountPoint, mountRoot: m.root, controllers: ctrls, isV2: false,
                                              ownPath: ownPath))
            }
        }
        return result
    }
}
