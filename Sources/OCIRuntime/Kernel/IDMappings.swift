#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
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
        try write(pid: pid, uidMaps: spec.linux?.uidMappings ?? [], gidMaps: spec.linux?.gidMappings ?? [])
    }

    static func write(pid: Int32, uidMaps: [LinuxIDMapping], gidMaps: [LinuxIDMapping]) throws(RuntimeError) {
        func text(_ maps: [LinuxIDMapping]) -> String {
            maps.map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
        }
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

    /// A user namespace with these mappings, held by an fd (what MOUNT_ATTR_IDMAP takes): a
    /// child unshares it and waits while its maps are written and its namespace opened.
    static func namespaceFd(uidMaps: [LinuxIDMapping], gidMaps: [LinuxIDMapping], jsonPath: String) throws(RuntimeError) -> Int32 {
        var sv: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sv) == 0 else {
            let e = errno
            throw RuntimeError.sys("socketpair", "make a user namespace for an idmapped mount", errno: e, jsonPath: jsonPath)
        }
        let pid = sw_fork()
        if pid == 0 {
            Glibc.close(sv[0])
            // One byte when the namespace exists, then wait for the parent to hang up.
            var b: UInt8 = sw_unshare(0x1000_0000) == 0 ? 1 : 0
            _ = Glibc.write(sv[1], &b, 1)
            _ = Glibc.read(sv[1], &b, 1)
            _exit(0)
        }
        let forkErrno = errno
        Glibc.close(sv[1])
        defer {
            Glibc.close(sv[0])
            var st: Int32 = 0
            if pid > 0 { _ = waitpid(pid, &st, 0) }
        }
        guard pid > 0 else {
            throw RuntimeError.sys("fork", "make a user namespace for an idmapped mount", errno: forkErrno, jsonPath: jsonPath)
        }
        var b: UInt8 = 0
        guard Glibc.read(sv[0], &b, 1) == 1, b == 1 else {
            throw RuntimeError("cannot make a user namespace for an idmapped mount", jsonPath: jsonPath)
        }
        try write(pid: pid, uidMaps: uidMaps, gidMaps: gidMaps)
        return try Sys.check("open", "open the idmapped mount's user namespace", jsonPath: jsonPath) {
            open("/proc/\(pid)/ns/user", O_RDONLY | O_CLOEXEC)
        }
    }
}
