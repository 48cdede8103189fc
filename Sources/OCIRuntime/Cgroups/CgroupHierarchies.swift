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

    var name: String { isV2 ? "unified" : controllers.joined(separator: ",") }

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
        let mountinfo = try Sys.readString("/proc/self/mountinfo")
        let own = parseProcCgroup(try Sys.readString("/proc/self/cgroup"))
        return parse(mountinfo: mountinfo, procCgroup: own)
    }

    /// /proc/self/cgroup lines: "4:memory:/a/b", "0::/" → controllers key → path.
    static func parseProcCgroup(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            out[String(f[1])] = String(f[2])
        }
        return out
    }

    static func parse(mountinfo: String, procCgroup: [String: String]) -> [CgroupHierarchy] {
        var result: [CgroupHierarchy] = []
        var seen = Set<String>()
        for line in mountinfo.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard let dash = parts.firstIndex(of: "-"), dash + 3 < parts.count || dash + 2 < parts.count,
                  parts.count > 4 else { continue }
            let fstype = parts[dash + 1]
            guard fstype == "cgroup" || fstype == "cgroup2" else { continue }
            let root = unescape(String(parts[3]))
            let mp = unescape(String(parts[4]))
            if fstype == "cgroup2" {
                guard !seen.contains("") else { continue }
                seen.insert("")
                result.append(CgroupHierarchy(mountPoint: mp, mountRoot: root, controllers: [], isV2: true,
                                              ownPath: procCgroup[""] ?? "/"))
            } else {
                let superOpts = dash + 3 < parts.count ? parts[dash + 3] : ""
                let known: Set<String> = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio",
                                          "pids", "net_cls", "net_prio", "perf_event", "hugetlb", "rdma", "misc"]
                let ctrls = superOpts.split(separator: ",").map(String.init)
                    .filter { known.contains($0) || $0.hasPrefix("name=") }
                guard !ctrls.isEmpty else { continue }
                let key = ctrls.sorted().joined(separator: ",")
                guard !seen.contains(key) else { continue }
                seen.insert(key)
                // /proc/self/cgroup lists controllers in the kernel's order; match as a set.
                var ownPath = "/"
                for (k, v) in procCgroup where Set(k.split(separator: ",").map(String.init)) == Set(ctrls) {
                    ownPath = v
                }
                result.append(CgroupHierarchy(mountPoint: mp, mountRoot: root, controllers: ctrls, isV2: false,
                                              ownPath: ownPath))
            }
        }
        return result
    }

    /// mountinfo escapes space, tab, newline and backslash as octal.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count,
               let v = UInt8(String(decoding: b[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v); i += 4
            } else {
                out.append(b[i]); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
