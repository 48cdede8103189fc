#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// The config's `mounts`, in order, each onto a destination resolved inside the rootfs.
struct Mounter {
    let root: InRoot
    let bundle: String
    let userns: Bool
    let cgroupMount: CgroupMountPlan
    /// linux.mountLabel, when SELinux is on (SELinux.mountLabel).
    var mountLabel: String? = nil
    /// Bind sources `create` cloned on the host side (user namespaces).
    var sources = BindSources()

    /// Mounts them all; returns the root the later steps resolve in, which is a new one when
    /// a mount went onto "/" itself: the old root's fd names the directory under that mount,
    /// and what follows (/proc, /sys, devices) belongs on top of it, as with runc.
    static func mountAll(_ mounts: [Mount], rootfs: String, bundle: String, userns: Bool,
                         cgroupMount: CgroupMountPlan, sources: BindSources,
                         mountLabel: String? = nil) throws(RuntimeError) -> InRoot {
        var root = try InRoot(path: rootfs)
        for (i, m) in mounts.enumerated() {
            do throws(RuntimeError) {
                try Mounter(root: root, bundle: bundle, userns: userns, cgroupMount: cgroupMount,
                            mountLabel: mountLabel, sources: sources)
                    .mountOne(m, jsonPath: "mounts[\(i)]", sourceFd: sources.fd(i))
                if Sys.clean(m.destination) == "/" {
                    root.close()
                    root = try InRoot(path: rootfs)
                }
            } catch {
                root.close()
                throw error
            }
        }
        return root
    }

    /// A bind's source as the host names it: relative ones are under the bundle.
    static func bindSource(_ m: Mount, bundle: String) -> String {
        let source = m.source ?? ""
        return source.hasPrefix("/") ? source : Sys.clean(bundle + "/" + source)
    }

    func mountOne(_ m: Mount, jsonPath: String, sourceFd: Int32? = nil) throws(RuntimeError) {
        let opts = MountOptions.parse(m.options)
        let type = m.type ?? (opts.bind ? "bind" : "")
        let isBind = opts.bind || type == "bind"
        if type == "cgroup" || type == "cgroup2" {
            try cgroupMount.mount(at: m.destination, type: type, options: opts, root: root, jsonPath: jsonPath)
            return
        }
        let source = isBind ? Mounter.bindSource(m, bundle: bundle) : (m.source ?? "")
        var sourceIsDir = true
        if isBind {
            var st = stat()
            if (sourceFd.map { fstat($0, &st) } ?? stat(source, &st)) != 0 {
                let e = errno
                throw RuntimeError.sys("stat", "bind mount source \(source)", errno: e, jsonPath: jsonPath + ".source")
            }
            sourceIsDir = (st.st_mode & S_IFMT) == S_IFDIR
        }
        let existed = root.open(m.destination)
        if existed >= 0 { close(existed) }
        let target = try root.ensure(m.destination, directory: sourceIsDir, jsonPath: jsonPath + ".destination")
        defer { close(target) }
        let dest = InRoot.procPath(target)
        let what = "mount \(type.isEmpty ? "bind" : type) on \(m.destination)"
        if isBind {
            if let sourceFd {
                try BindSources.attach(sourceFd, onto: target, what: what, jsonPath: jsonPath)
            } else {
                let f = MountOptions.MS_BIND | (opts.recursive ? MountOptions.MS_REC : 0)
                try Sys.check("mount", what, jsonPath: jsonPath) { mount(source, dest, "", f, nil) }
            }
            // Bind mounts ignore every other flag on the first call: apply them by remount.
            let extra = opts.flags & ~(MountOptions.MS_REC | MountOptions.MS_BIND)
            if extra != 0 {
                try withMounted(m.destination, jsonPath: jsonPath) { (p) throws(RuntimeError) in
                    try remountBind(p, flags: extra, what: what, jsonPath: jsonPath)
                }
            }
        } else {
            // runc gives a tmpfs without mode= the mode of a directory it covers; one created
            // just now keeps tmpfs's own 1777 (docker's --tmpfs for a non-root user needs it).
            // Given to the mount as its mode= rather than by a chmod afterwards, which a
            // read-only tmpfs refuses (it stayed 1777).
            var covered = stat()
            let keepMode = type == "tmpfs" && existed >= 0 && !opts.data.contains { $0.hasPrefix("mode=") }
                && fstat(target, &covered) == 0
            var data = opts.dataString
            if keepMode {
                data += (data.isEmpty ? "" : ",") + "mode=0" + String(covered.st_mode & 0o7777, radix: 8)
            }
            // proc and sysfs keep the host's labels, and mqueue takes no options (labelled below).
            if let label = mountLabel, !["proc", "sysfs", "mqueue"].contains(type) {
                data += (data.isEmpty ? "" : ",") + "context=\"\(label)\""
            }
            let rc = data.isEmpty ? mount(source, dest, type, opts.flags, nil)
                                  : data.withCString { mount(source, dest, type, opts.flags, $0) }
            if rc != 0 {
                let e = errno
                // sysfs in a user namespace without its own network namespace cannot be
                // mounted fresh: bind the host's instead, as runc does.
                if type == "sysfs" && (e == EPERM || e == EBUSY) && userns {
                    try Sys.check("mount", "bind /sys on \(m.destination)", jsonPath: jsonPath) {
                        mount("/sys", dest, "", MountOptions.MS_BIND | MountOptions.MS_REC, nil)
                    }
                    if opts.flags != 0 {
                        try withMounted(m.destination, jsonPath: jsonPath) { (p) throws(RuntimeError) in
                            try remountBind(p, flags: opts.flags, what: what, jsonPath: jsonPath)
                        }
                    }
                } else {
                    throw RuntimeError.sys("mount", what, errno: e, jsonPath: jsonPath)
                }
            }
            if let label = mountLabel, type == "mqueue" {
                try withMounted(m.destination, jsonPath: jsonPath) { (p) throws(RuntimeError) in
                    try Sys.check("setxattr", "label \(m.destination) \"\(label)\"", jsonPath: "linux.mountLabel") {
                        sw_set_selinux_label(p, label)
                    }
                }
            }
            if opts.copyUp && type == "tmpfs" && existed >= 0 {
                // `target` still names the covered directory; the mount is reached afresh.
                try withMounted(m.destination, jsonPath: jsonPath) { (p) throws(RuntimeError) in
                    try CopyUp.copy(covered: target, into: p, jsonPath: jsonPath)
                }
            }
        }
        if opts.recursiveSet != 0 || opts.recursiveClear != 0 {
            try withMounted(m.destination, jsonPath: jsonPath) { (path) throws(RuntimeError) in
                try Sys.check("mount_setattr", "apply the recursive options of \(m.destination)", jsonPath: jsonPath + ".options",
                              hint: "the r* options (rro, rnosuid...) need mount_setattr, Linux 5.12 or later") {
                    sw_mount_setattr(AT_FDCWD, path, 0x8000 /* AT_RECURSIVE */, opts.recursiveSet, opts.recursiveClear, 0)
                }
            }
        }
        if !opts.propagation.isEmpty {
            try withMounted(m.destination, jsonPath: jsonPath) { (path) throws(RuntimeError) in
                for p in opts.propagation {
                    try Sys.check("mount", "set propagation of \(m.destination)", jsonPath: jsonPath) { mount("", path, "", p, nil) }
                }
            }
        }
    }

    /// The fd used to mount still names what is underneath the new mount: remounts and
    /// propagation changes need the destination resolved again, now through the new mount.
    func withMounted(_ destination: String, jsonPath: String,
                     _ body: (String) throws(RuntimeError) -> Void) throws(RuntimeError) {
        let fd = try Sys.check("openat2", "resolve \(destination) in the rootfs", jsonPath: jsonPath) { root.open(destination) }
        defer { close(fd) }
        try body(InRoot.procPath(fd))
    }

    /// Remount of a bind mount with `flags`, keeping the flags the kernel locked on it (in a
    /// user namespace nosuid/nodev/noexec of the source cannot be dropped).
    func remountBind(_ dest: String, flags: UInt, what: String, jsonPath: String) throws(RuntimeError) {
        var sv = statvfs()
        let locked: UInt = statvfs(dest, &sv) == 0 ? UInt(sv.f_flag) & (MountOptions.MS_NOSUID | MountOptions.MS_NODEV | MountOptions.MS_NOEXEC) : 0
        let f = MountOptions.MS_BIND | MountOptions.MS_REMOUNT | flags | locked
        try Sys.check("mount", "remount \(what)", jsonPath: jsonPath) { mount("", dest, "", f, nil) }
    }
}
