/// `linux.resources.unified` names cgroup v2 files that are written verbatim into the
/// container's cgroup. Its keys must be resource knobs of that one directory (issue 12,
/// class 6: `{"cgroup.procs": "<host pid>"}` moved a host process into the container's
/// cgroup, and `delete --force` then killed it).
extension LinuxResources {
    /// `path`: where this resources object is ("linux.resources"; `update -r` reports the
    /// same, since the file holds that object).
    public func refuseUnifiedOutsideLimits(path: String) throws(RuntimeError) {
        for key in (unified ?? [:]).keys.sorted() {
            try LinuxResources.refuseUnifiedKey(key, path: JSONPath.key(path + ".unified", key))
        }
    }

    /// One key: a file name such as "memory.high", in the container's own directory.
    public static func refuseUnifiedKey(_ key: String, path: String) throws(RuntimeError) {
        // "/" and ".." would reach a file outside the container's cgroup; a NUL would cut
        // the name short at open(2); anything but [A-Za-z0-9._-] is no cgroup file.
        let allowed = key.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A)
                || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
        guard allowed, key.includes("."), !key.hasPrefix("."), !key.includes("..") else {
            throw RuntimeError.config(path, "must be a cgroup interface file name such as \"memory.high\" (no \"/\" or \"..\")")
        }
        // cgroup.procs/threads move processes (any PID the runtime can see, the host's too),
        // cgroup.kill and cgroup.freeze act on every process in it, cgroup.subtree_control,
        // cgroup.type and cgroup.max.* reshape the tree the runtime manages: the cgroup's own
        // interface, not limits. runc leaves them to its cgroup manager alone.
        if key.hasPrefix("cgroup.") {
            throw RuntimeError.config(path,
                "cgroup.* files are the cgroup's own interface (membership, freezing, killing, controllers), not resource limits")
        }
    }
}
