#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// Bind mount sources of a container with a user namespace (and idmapped ones), cloned by `create` on the host
/// side before the init is started: the container's root (a mapped, unprivileged host ID)
/// may not be able to reach the source (a parent directory closed to others), which runc
/// reaches too. Each is a detached copy of the source's mount (open_tree with
/// OPEN_TREE_CLONE), which the init attaches at the destination with move_mount: a detached
/// mount may be attached in another mount namespace, where a plain bind of a path opened in
/// the host's namespace may not. The fds travel to the init by fork and are close-on-exec.
struct BindSources {
    /// The fd of mounts[i], for the binds cloned; -1 where the init mounts as usual.
    var fds: [Int32] = []

    static let OPEN_TREE_CLONE: UInt32 = 1, OPEN_TREE_CLOEXEC: UInt32 = 0o2000000, AT_RECURSIVE: UInt32 = 0x8000
    static let MOVE_MOUNT_F_EMPTY_PATH: UInt32 = 0x4, MOVE_MOUNT_T_EMPTY_PATH: UInt32 = 0x40

    static func open(_ spec: Spec, bundle: String, userns: Bool) throws(RuntimeError) -> BindSources {
        var b = BindSources()
        let mounts = spec.mounts ?? []
        guard (userns && geteuid() == 0) || mounts.contains(where: isIdmapped) else { return b }
        do throws(RuntimeError) {
            for (i, m) in mounts.enumerated() {
                let opts = MountOptions.parse(m.options)
                guard opts.bind || m.type == "bind", (userns && geteuid() == 0) || isIdmapped(m) else { b.fds.append(-1); continue }
                let source = Mounter.bindSource(m, bundle: bundle)
                let flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (opts.recursive ? AT_RECURSIVE : 0)
                let fd = sw_open_tree(AT_FDCWD, source, flags)
                if fd < 0 {
                    let e = errno
                    // Cloning needs CAP_SYS_ADMIN over swrun's own mount namespace: a rootless
                    // caller has not, and reaches no more than its container's root would.
                    if e == EPERM && !isIdmapped(m) { b.fds.append(-1); continue }
                    throw RuntimeError.sys("open_tree", "bind mount source \(source)", errno: e, jsonPath: "mounts[\(i)].source")
                }
                b.fds.append(fd)
                if isIdmapped(m) { try idmap(fd, m, spec: spec, jsonPath: "mounts[\(i)]") }
            }
        } catch {
            b.close()
            throw error
        }
        return b
    }

    static func isIdmapped(_ m: Mount) -> Bool {
        m.uidMappings != nil || (m.options ?? []).contains { $0 == "idmap" || $0 == "ridmap" }
    }

    /// MOUNT_ATTR_IDMAP on the detached clone: files show through it with their owners mapped
    /// by the mount's uidMappings/gidMappings, or the container's own (config.md). `ridmap`
    /// (and an rbind with explicit mappings) maps every mount of the tree.
    static func idmap(_ fd: Int32, _ m: Mount, spec: Spec, jsonPath: String) throws(RuntimeError) {
        if geteuid() != 0 {
            throw RuntimeError.config(jsonPath, "idmapped mounts need the host's root (the kernel allows them to the owner of the source's filesystem)")
        }
        let uidMaps = m.uidMappings ?? spec.linux?.uidMappings ?? []
        let gidMaps = m.gidMappings ?? spec.linux?.gidMappings ?? []
        let opts = m.options ?? []
        let recursive = opts.contains("ridmap") || (!opts.contains("idmap") && opts.contains("rbind"))
        let userns = try IDMappings.namespaceFd(uidMaps: uidMaps, gidMaps: gidMaps, jsonPath: jsonPath)
        defer { Glibc.close(userns) }
        let AT_EMPTY_PATH: UInt32 = 0x1000, MOUNT_ATTR_IDMAP: UInt64 = 0x0010_0000
        try Sys.check("mount_setattr", "apply the idmapping of \(m.destination)", jsonPath: jsonPath,
                      hint: "idmapped mounts need Linux 5.12 and a filesystem that supports them") {
            sw_mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), MOUNT_ATTR_IDMAP, 0, UInt64(UInt32(bitPattern: userns)))
        }
    }

    func fd(_ index: Int) -> Int32? {
        index < fds.count && fds[index] >= 0 ? fds[index] : nil
    }

    func close() { for fd in fds where fd >= 0 { Glibc.close(fd) } }

    /// Attaches the cloned source onto the directory or file `target` (an fd in the rootfs).
    static func attach(_ fd: Int32, onto target: Int32, what: String, jsonPath: String) throws(RuntimeError) {
        try Sys.check("move_mount", what, jsonPath: jsonPath) {
            sw_move_mount(fd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)
        }
    }
}
