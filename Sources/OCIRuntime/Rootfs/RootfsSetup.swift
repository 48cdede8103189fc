#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// The container's filesystem view, in the order runc builds it: propagation of the new
/// mount namespace, the rootfs as a mount point, the config's mounts, /dev, then pivot_root
/// and the read-only root.
struct RootfsSetup {
    let spec: Spec
    let rootfs: String
    let bundle: String
    let userns: Bool
    let noPivot: Bool
    let cgroupMount: CgroupMountPlan

    static func propagationFlag(_ name: String?) -> UInt? {
        guard let name else { return nil }
        return MountOptions.propagation(name)
    }

    /// Without a mount namespace of its own (allowed by the spec, and tested by the OCI
    /// suite) the container's mounts are made in the caller's namespace; the host's
    /// propagation is left alone and `delete` unmounts them (HostMounts).
    var ownMountNamespace = true
    /// Bind sources cloned by `create` (user namespaces: BindSources).
    var bindSources = BindSources()
    /// Runs after the mounts and devices, before pivot_root: the hooks' moment.
    var beforePivot: () throws(RuntimeError) -> Void = {}

    func run() throws(RuntimeError) {
        let rootProp = RootfsSetup.propagationFlag(spec.linux?.rootfsPropagation)
        if ownMountNamespace {
            // Nothing done in here may propagate back to the host: everything slave unless the
            // config asks for a propagation of its own.
            let initial = rootProp.map { $0 | MountOptions.MS_REC } ?? (MountOptions.MS_SLAVE | MountOptions.MS_REC)
            try Sys.check("mount", "set propagation of /", jsonPath: "linux.rootfsPropagation") {
                mount("", "/", "", initial, nil)
            }
            // pivot_root refuses a new root whose parent mount is shared, and the bind below
            // fails on an unbindable one. After a recursive slave or private nothing is
            // shared, so the parent is looked up (a mountinfo read: ~0.1 ms) only for a shared
            // propagation, or when the bind fails because a host mount is unbindable, which
            // making it slave does not clear.
            let mayBeShared = initial & MountOptions.MS_SHARED != 0
            if mayBeShared { try makeParentMountPrivate() }
            if mount(rootfs, rootfs, "", MountOptions.MS_BIND | MountOptions.MS_REC, nil) != 0 {
                let e = errno
                guard e == EINVAL && !mayBeShared else {
                    throw RuntimeError.sys("mount", "bind the rootfs \(rootfs) onto itself", errno: e, jsonPath: "root.path")
                }
                try makeParentMountPrivate()
                try Sys.check("mount", "bind the rootfs \(rootfs) onto itself", jsonPath: "root.path") {
                    mount(rootfs, rootfs, "", MountOptions.MS_BIND | MountOptions.MS_REC, nil)
                }
            }
        }

        let mounts = spec.mounts ?? []
        let root = try Mounter.mountAll(mounts, rootfs: rootfs, bundle: bundle, userns: userns, cgroupMount: cgroupMount,
                                        sources: bindSources, mountLabel: SELinux.mountLabel(spec))
        defer { root.close() }
        let devMounted = mounts.contains { Sys.clean($0.destination) == "/dev" && !MountOptions.parse($0.options).bind && $0.type != "bind" }
        let devpts = mounts.contains { Sys.clean($0.destination) == "/dev/pts" }
        try DeviceSetup(root: root, userns: userns).createAll(spec.linux?.devices)
        if devMounted { try DeviceSetup(root: root, userns: userns).links(hasDevpts: devpts) }

        try beforePivot()
        if !ownMountNamespace { try chrootOnly() } else if noPivot { try moveRoot() } else { try pivotRoot() }
        if let p = rootProp, ownMountNamespace {
            try Sys.check("mount", "set rootfs propagation", jsonPath: "linux.rootfsPropagation") { mount("", "/", "", p, nil) }
        }
    }

    private func makeParentMountPrivate() throws(RuntimeError) {
        var best = "/"
        var bestShared = false
        for m in MountInfo.read() {
            let mp = m.mountPoint
            if (rootfs == mp || rootfs.hasPrefix(mp == "/" ? "/" : mp + "/")) && mp.utf8.count >= best.utf8.count {
                best = mp
                bestShared = m.optional.contains { $0.hasPrefix("shared:") || $0 == "unbindable" }
            }
        }
        if bestShared {
            try Sys.check("mount", "make \(best) private for pivot_root") { mount("", best, "", MountOptions.MS_PRIVATE, nil) }
        }
    }

    /// pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves
    /// only the container's tree, with no directory needed for the old root.
    private func pivotRoot() throws(RuntimeError) {
        let oldRoot = try Sys.check("open", "open /") { open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC) }
        defer { close(oldRoot) }
        let newRoot = try Sys.check("open", "open rootfs \(rootfs)") { open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC) }
        defer { close(newRoot) }
        try Sys.check("fchdir", "enter the rootfs") { fchdir(newRoot) }
        try Sys.check("pivot_root", "pivot_root to \(rootfs)", hint: "use --no-pivot when the rootfs is on a ramfs") {
            sw_pivot_root(".", ".")
        }
        try Sys.check("fchdir", "enter the old root") { fchdir(oldRoot) }
        // The old root must not propagate its unmount to the host.
        try Sys.check("mount", "make the old root slave") { mount("", ".", "", MountOptions.MS_SLAVE | MountOptions.MS_REC, nil) }
        try Sys.check("umount2", "detach the old root") { umount2(".", Int32(MNT_DETACH)) }
        try Sys.check("chdir", "enter the new root") { chdir("/") }
    }

    private func chrootOnly() throws(RuntimeError) {
        try Sys.check("chroot", "chroot into the rootfs") { chroot(rootfs) }
        try Sys.check("chdir", "enter the new root") { chdir("/") }
    }

    private func moveRoot() throws(RuntimeError) {
        try Sys.check("chdir", "enter the rootfs") { chdir(rootfs) }
        try Sys.check("mount", "move the rootfs to /") { mount(rootfs, "/", "", MountOptions.MS_MOVE, nil) }
        try Sys.check("chroot", "chroot into the rootfs") { chroot(".") }
        try Sys.check("chdir", "enter the new root") { chdir("/") }
    }

    /// After pivot_root: root.readonly, read-only paths, then masked paths.
    /// The container's /proc is checked to be a real procfs first, whatever the config asks
    /// for: the masks below, and the init's wait on /proc/self/fd/N after this, mean nothing
    /// on a bind of some other directory (issue class 5).
    /// Order: read-only paths before masks (runc's order). A mask is a read-only mount of
    /// its own whichever comes first (see PathMasker), but a bind takes its source mount's
    /// read-only flag: were a mask ever bound from a file under /proc/sys, it would come
    /// from the read-only /proc/sys by then, not from a writable procfs.
    static func finish(_ spec: Spec) throws(RuntimeError) {
        let proc = try Procfs.open(jsonPath: "mounts")
        defer { proc.close() }
        let paths = try ContainerPaths(proc: proc)
        defer { paths.close() }
        if spec.root?.readonly == true {
            try ReadonlyPaths.remount(paths.root.rootFd, what: "/", jsonPath: "root.readonly")
        }
        try ReadonlyPaths.apply(spec.linux?.readonlyPaths ?? [], in: paths)
        var masker = PathMasker(paths: paths)
        defer { masker.close() }
        for (i, p) in (spec.linux?.maskedPaths ?? []).enumerated() {
            try masker.mask(p, jsonPath: "linux.maskedPaths[\(i)]")
        }
    }

    /// sysctl, hostname and domainname: written from inside the container's namespaces.
    static func kernelSettings(_ spec: Spec) throws(RuntimeError) {
        if let h = spec.hostname {
            try Sys.check("sethostname", "set hostname \"\(h)\"", jsonPath: "hostname") { sethostname(h, h.utf8.count) }
        }
        if let d = spec.domainname {
            try Sys.check("setdomainname", "set domainname \"\(d)\"", jsonPath: "domainname") { setdomainname(d, d.utf8.count) }
        }
        // Checked before sorting: the sorted pairs are a type no other code on the init's path
        // uses, whose metadata the Swift runtime would make at first use (~65 us of the init's).
        guard let table = spec.linux?.sysctl, !table.isEmpty else { return }
        let sysctls = table.sorted(by: { $0.key < $1.key })
        let proc = try Procfs.open(jsonPath: "linux.sysctl")
        defer { proc.close() }
        for (k, v) in sysctls {
            if k.isEmpty || k.includes("..") || k.hasPrefix("/") {
                throw RuntimeError.config("linux.sysctl.\(k)", "invalid sysctl name")
            }
            try proc.write("sys/" + k.replacingDots(), v, jsonPath: "linux.sysctl.\(k)")
        }
    }
}

extension String {
    /// "net.ipv4.ip_forward" → "net/ipv4/ip_forward" (sysctl names use dots for slashes).
    func replacingDots() -> String {
        String(self.map { $0 == "." ? "/" : $0 })
    }
}
