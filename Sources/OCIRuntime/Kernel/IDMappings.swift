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
        let uid = text(spec.linux?.uidMappings), gid = text(spec.linux?.gidMappings)
        if uid.isEmpty && gid.isEmpty { return }
        let proc = try Procfs.open(jsonPath: "linux.uidMappings")
        defer { proc.close() }
        if !gid.isEmpty { try proc.write("\(pid)/gid_map", gid, jsonPath: "linux.gidMappings") }
        if !uid.isEmpty { try proc.write("\(pid)/uid_map", uid, jsonPath: "linux.uidMappings") }
    }
}
