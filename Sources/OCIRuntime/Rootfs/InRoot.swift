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

    /// mkdir -p inside the root; returns an O_PATH fd of the directory.
    func mkdirAll(_ path: String, mode: mode_t = 0o755, jsonPath: String? = nil) throws(RuntimeError) -> Int32 {
        let comps = Sys.clean("/" + path).fields("/")
        var cur = "/"
        var fd = try Sys.check("openat2", "open / in rootfs", jsonPath: jsonPath) { open("/", flags: O_PATH | O_DIRECTORY) }
        for c in comps {
            let next = cur == "/" ? "/" + c : cur + "/" + c
            var nfd = open(next, flags: O_PATH | O_DIRECTORY)
            if nfd < 0 && errno == ENOENT {
                if mkdirat(fd, c, mode) != 0 && errno != EEXIST {
                    let e = errno
                    Glibc.close(fd)
                    throw RuntimeError.sys("mkdirat", "create directory \(next) in the rootfs", errno: e, jsonPath: jsonPath)
                }
                nfd = open(next, flags: O_PATH | O_DIRECTORY)
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
        if directory { return try mkdirAll(path, jsonPath: jsonPath) }
        let fd = open(path)
        if fd >= 0 { return fd }
        let clean = Sys.clean("/" + path)
        let parent = try mkdirAll(Sys.dirname(of: clean), jsonPath: jsonPath)
        defer { Glibc.close(parent) }
        let name = String(clean[clean.index(after: clean.lastIndex(of: "/")!)...])
        let f = openat(parent, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o644)
        if f >= 0 { Glibc.close(f) } else if errno != EEXIST {
            let e = errno
            throw RuntimeError.sys("openat", "create file \(clean) in the rootfs", errno: e, jsonPath: jsonPath)
        }
        return try Sys.check("openat2", "resolve \(clean) in the rootfs", jsonPath: jsonPath) { open(clean) }
    }

    /// The name through which a resolved fd can be handed to mount(2).
    static func procPath(_ fd: Int32) -> String { "/proc/self/fd/\(fd)" }
}
