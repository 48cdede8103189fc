#if canImport(Glibc)
import Glibc
#endif
import Hooks
import Spec

/// uid_map / gid_map of the container's user namespace, written by the parent (which holds
/// the privileges in the host's namespace) while the child waits.
enum IDMappings {
    /// The host ID a container ID maps to, if any mapping covers it.
    static func hostID(_ id: UInt32, _ maps: [LinuxIDMapping]?) -> UInt32? {
        for m in maps ?? [] where id >= m.containerID && UInt64(id) < UInt64(m.containerID) + UInt64(m.size) {
            let (host, overflow) = m.hostID.addingReportingOverflow(id - m.containerID)
            return overflow ? nil : host
        }
        return nil
    }

    static func write(pid: Int32, spec: Spec) throws(RuntimeError) {
        func text(_ maps: [LinuxIDMapping]?) -> String {
            (maps ?? []).map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
        }
        let uidMaps = spec.linux?.uidMappings ?? [], gidMaps = spec.linux?.gidMappings ?? []
        let uid = text(uidMaps), gid = text(gidMaps)
        if uid.isEmpty && gid.isEmpty { return }
        let proc = try Procfs.open(jsonPath: "linux.uidMappings")
        defer { proc.close() }
        if geteuid() != 0 {
            // Without the host's root the kernel lets a user map only its own IDs, and its gid
            // only once setgroups is denied; more takes the setuid helpers of the uidmap
            // package, which check /etc/subuid and /etc/subgid (runc does the same).
            if onlySelf(uidMaps, geteuid()) && onlySelf(gidMaps, getegid()) {
                if !gid.isEmpty {
                    try proc.write("\(pid)/setgroups", "deny", jsonPath: "linux.gidMappings")
                    try proc.write("\(pid)/gid_map", gid, jsonPath: "linux.gidMappings")
                }
                if !uid.isEmpty { try proc.write("\(pid)/uid_map", uid, jsonPath: "linux.uidMappings") }
                return
            }
            if !gidMaps.isEmpty { try helper("newgidmap", pid: pid, gidMaps, jsonPath: "linux.gidMappings") }
            if !uidMaps.isEmpty { try helper("newuidmap", pid: pid, uidMaps, jsonPath: "linux.uidMappings") }
            return
        }
        if !gid.isEmpty { try proc.write("\(pid)/gid_map", gid, jsonPath: "linux.gidMappings") }
        if !uid.isEmpty { try proc.write("\(pid)/uid_map", uid, jsonPath: "linux.uidMappings") }
    }

    private static func onlySelf(_ maps: [LinuxIDMapping], _ id: UInt32) -> Bool {
        maps.isEmpty || (maps.count == 1 && maps[0].hostID == id && maps[0].size == 1)
    }

    private static func helper(_ name: String, pid: Int32, _ maps: [LinuxIDMapping], jsonPath: String) throws(RuntimeError) {
        guard let path = ["/usr/bin/", "/bin/", "/usr/local/bin/"].map({ $0 + name }).first(where: { access($0, X_OK) == 0 }) else {
            throw RuntimeError("mapping more than the caller's own ID without root needs \(name) (package uidmap) "
                               + "and ranges for this user in /etc/subuid and /etc/subgid", jsonPath: jsonPath)
        }
        let args = maps.flatMap { ["\($0.containerID)", "\($0.hostID)", "\($0.size)"] }
        try HookRunner.runProgram(path, argv: [name, "\(pid)"] + args, env: [], timeoutSeconds: 10, jsonPath: jsonPath)
    }
}
