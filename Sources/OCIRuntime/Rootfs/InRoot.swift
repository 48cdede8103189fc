#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// Path resolution inside the rootfs with openat2(RESOLVE_IN_ROOT): symlinks and ".." are
/// resolved as if the rootfs were "/", so a mount destination that is (or passes through) a
/// symlink pointing outside lands inside the container instead (the CVE-2021-30465 class).
struct InRoot {
    let rootFd: Int32
    let rootPath: String

    static let RESOLVE_NO_XDEV: UInt64 = 0x01
    static let RESOLVE_NO_MAGICLINKS: UInt64 = 0x02
    static let RESOLVE_NO_SYMLINKS: UInt64 = 0x04
    static let RESOLVE_BENEATH: UInt64 = 0x08
    static let RESOLVE_IN_ROOT: UInt64 = 0x10

    init(path: String) throws(RuntimeError) {
        rootPath = path
        rootFd = try Sys.check("open", "open rootfs \(path)") { Glibc.open(path, O_PATH | O_DIRECTORY | O_CLOEXEC) }
    }

    func close() { _ = Glibc.close(rootFd) }

    /// An O_PATH fd for `path` resolved inside the root, or -1 with errno set.
    func open(_ path: String, flags: Int32 = O_PATH) -> Int32 {
        let rel = path.hasPrefix("/") ? "." + path : path
        return sw_openat2(rootFd, rel, UInt64(UInt32(bitPattern: flags | O_CLOEXEC)), 0,
                          InRoot.RESOLVE_IN_ROOT | InRoot.RESOLVE_NO_MAGICLINKS)
    }

    /// Symlinks on the way to a destination that lead nowhere yet (an image's
    /// /etc/resolv.conf -> ../run/resolv.conf) are followed, as runc's securejoin does, at
    /// most this many times (the kernel's own limit); what they lead to is created.
    static let maxLinkHops = 40

    /// mkdir -p inside the root; returns an O_PATH fd of the directory.
    func mkdirAll(_ path: String, mode: mode_t = 0o755, jsonPath: String? = nil) throws(RuntimeError) -> Int32 {
        try mkdirAll(path, mode: mode, jsonPath: jsonPath, hops: 0)
    }

    private func mkdirAll(_ path: String, mode: mode_t, jsonPath: String?, hops: Int) throws(RuntimeError) -> Int32 {
        // Nearly every destination exists already (/proc, /dev, /sys/fs/cgroup in any image):
        // one resolution instead of one per component. The walk below resolves each prefix
        // in the root the same way, so it would end on this same directory.
        let whole = open(path, flags: O_PATH | O_DIRECTORY)
        if whole >= 0 { return whole }
        let missing = errno == ENOENT
        // Most often only the last component is missing (/dev/pts on the new /dev, a cgroup v1
        // controller's directory): its parent the same way, then the one mkdirat. Anything
        // else (a dangling symlink on the way, an error) takes the walk, which handles it.
        let clean = Sys.clean("/" + path)
        if missing, clean != "/", let leaf = clean.fields("/").last {
            let parent = try mkdirAll(Sys.dirname(of: clean), mode: mode, jsonPath: jsonPath, hops: hops)
            let made = mkdirat(parent, leaf, mode) == 0 || errno == EEXIST
            Glibc.close(parent)
            if made {
                let fd = open(clean, flags: O_PATH | O_DIRECTORY)
                if fd >= 0 { return fd }
            }
        }
        let comps = clean.fields("/")
        var cur = "/"
        var fd = try Sys.check("openat2", "open / in rootfs", jsonPath: jsonPath) { open("/", flags: O_PATH | O_DIRECTORY) }
        for (i, c) in comps.enumerated() {
            let next = cur == "/" ? "/" + c : cur + "/" + c
            var nfd = open(next, flags: O_PATH | O_DIRECTORY)
            if nfd < 0 && errno == ENOENT {
                if mkdirat(fd, c, mode) != 0 && errno != EEXIST {
                    let e = errno
                    Glibc.close(fd)
                    throw RuntimeError.sys("mkdirat", "create directory \(next) in the rootfs", errno: e, jsonPath: jsonPath)
                }
                nfd = open(next, flags: O_PATH | O_DIRECTORY)
                // EEXIST, yet nothing to open: `c` is a symlink to what does not exist yet.
                if nfd < 0 && errno == ENOENT {
                    let followed = Result { () throws(RuntimeError) in
                        try linkTarget(dirFd: fd, name: c, rest: comps[(i + 1)...], hops: hops, jsonPath: jsonPath)
                    }
                    Glibc.close(fd)
                    if let target = try followed.get() {
                        return try mkdirAll(target, mode: mode, jsonPath: jsonPath, hops: hops + 1)
                    }
                    throw RuntimeError.sys("openat2", "resolve \(next) in the rootfs", errno: ENOENT, jsonPath: jsonPath)
                }
            }
            if nfd < 0 {
                let e = errno
                Glibc.close(fd)
                throw RuntimeError.sys("openat2", "resolve \(next) in the rootfs", errno: e, jsonPath: jsonPath)
            }
            Glibc.close(fd)
            fd = nfd
            cur = next
        }
        return fd
    }

    /// Makes sure `path` exists inside the root, as a directory or (for file bind mounts and
    /// device nodes' parents) a regular file; returns an O_PATH fd of it.
    func ensure(_ path: String, directory: Bool, jsonPath: String? = nil) throws(RuntimeError) -> Int32 {
        try ensure(path, directory: directory, jsonPath: jsonPath, hops: 0)
    }

    private func ensure(_ path: String, directory: Bool, jsonPath: String?, hops: Int) throws(RuntimeError) -> Int32 {
        if directory { return try mkdirAll(path, mode: 0o755, jsonPath: jsonPath, hops: hops) }
        let fd = open(path)
        if fd >= 0 { return fd }
        let clean = Sys.clean("/" + path)
        let parent = try mkdirAll(Sys.dirname(of: clean), mode: 0o755, jsonPath: jsonPath, hops: hops)
        defer { Glibc.close(parent) }
        let name = clean.fields("/").last ?? "."
        let f = openat(parent, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o644)
        if f >= 0 {
            Glibc.close(f)
        } else {
            let e = errno
            // O_NOFOLLOW: a symlink to a file that does not exist yet, created where it leads.
            if e == ELOOP, let target = try linkTarget(dirFd: parent, name: name, rest: [], hops: hops, jsonPath: jsonPath) {
                return try ensure(target, directory: false, jsonPath: jsonPath, hops: hops + 1)
            }
            if e != EEXIST {
                throw RuntimeError.sys("openat", "create file \(clean) in the rootfs", errno: e, jsonPath: jsonPath)
            }
        }
        return try Sys.check("openat2", "resolve \(clean) in the rootfs", jsonPath: jsonPath) { open(clean) }
    }

    /// When `name` in the directory `dirFd` is a symlink: the path inside the root it leads to,
    /// with `rest` after it. An absolute target is taken from the root; a relative one from the
    /// directory's own place in the root. ".." never climbs above the root (Sys.clean, as
    /// RESOLVE_IN_ROOT), and every step after this one is resolved with RESOLVE_IN_ROOT again:
    /// nothing outside the root is ever reached.
    private func linkTarget(dirFd: Int32, name: String, rest: ArraySlice<String>, hops: Int,
                            jsonPath: String?) throws(RuntimeError) -> String? {
        guard let target = Sys.readLink(name, in: dirFd) else { return nil }
        guard hops < InRoot.maxLinkHops else {
            throw RuntimeError.sys("openat2", "follow the symlink \(name) in the rootfs", errno: ELOOP, jsonPath: jsonPath)
        }
        let base = target.hasPrefix("/") ? "" : try placeInRoot(dirFd, jsonPath: jsonPath)
        return Sys.clean("/" + base + "/" + target + "/" + rest.joined(separator: "/"))
    }

    /// Where the directory `fd` lies under the root ("" for the root itself), from the paths
    /// the kernel gives both (their names as this process sees them: no symlinks in them).
    private func placeInRoot(_ fd: Int32, jsonPath: String?) throws(RuntimeError) -> String {
        guard let dir = Sys.readLink(InRoot.procPath(fd)), let root = Sys.readLink(InRoot.procPath(rootFd)) else {
            throw RuntimeError("cannot read the path of a directory in the rootfs from /proc/self/fd", jsonPath: jsonPath)
        }
        if dir == root { return "" }
        let prefix = root == "/" ? "/" : root + "/"
        guard dir.hasPrefix(prefix) else {
            throw RuntimeError("\(dir) is not under the rootfs \(root)", jsonPath: jsonPath)
        }
        return String(dir.dropFirst(prefix.count))
    }

    /// The name through which a resolved fd can be handed to mount(2).
    static func procPath(_ fd: Int32) -> String { "/proc/self/fd/\(fd)" }
}
