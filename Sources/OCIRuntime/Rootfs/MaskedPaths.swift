#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// linux.maskedPaths: a masked directory gets an empty read-only tmpfs, anything else a
/// read-only bind of the null device. Sources and targets are fds whose identity was
/// checked, never paths resolved again at mount time.
struct PathMasker {
    let paths: ContainerPaths
    /// The bind source for masked files: first the container's /dev/null (checked), then the
    /// first mask made from it, remounted read-only, whose read-only flag every later bind
    /// inherits. -1 until a file is masked.
    private var nullSource: Int32 = -1
    private var nullSourceReadonly = false

    init(paths: ContainerPaths) { self.paths = paths }

    func close() { if nullSource >= 0 { _ = Glibc.close(nullSource) } }

    mutating func mask(_ path: String, jsonPath: String) throws(RuntimeError) {
        let target = paths.open(path, flags: O_PATH)
        if target < 0 {
            let e = errno
            if e == ENOENT { return }
            throw RuntimeError.sys("openat2", "open masked path \(path)", errno: e, jsonPath: jsonPath)
        }
        defer { _ = Glibc.close(target) }
        var st = stat()
        try Sys.check("fstat", "masked path \(path)", jsonPath: jsonPath) { fstat(target, &st) }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            try Sys.check("mount", "mask \(path) with a read-only tmpfs", jsonPath: jsonPath) {
                mount("tmpfs", InRoot.procPath(target), "tmpfs", MountOptions.MS_RDONLY, nil)
            }
            return
        }
        // A symlink (opened as the link) is covered itself: the name reads as /dev/null and
        // nothing the link points to is touched.
        let source = try nullDevice(jsonPath: jsonPath)
        try Sys.check("mount", "mask \(path) with /dev/null", jsonPath: jsonPath) {
            mount(InRoot.procPath(source), InRoot.procPath(target), "", MountOptions.MS_BIND, nil)
        }
        if !nullSourceReadonly { try makeFirstMaskReadonly(path, jsonPath: jsonPath) }
    }

    /// The null device to bind from: opened once, checked once.
    private mutating func nullDevice(jsonPath: String) throws(RuntimeError) -> Int32 {
        if nullSource >= 0 { return nullSource }
        let fd = paths.open("/dev/null", flags: O_PATH)
        if fd < 0 {
            let e = errno
            throw RuntimeError.sys("openat2", "open /dev/null to mask with", errno: e, jsonPath: jsonPath)
        }
        do throws(RuntimeError) {
            try PathMasker.refuseFakeDevNull(fd, what: "/dev/null", jsonPath: jsonPath)
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
        nullSource = fd
        return fd
    }

    /// CVE-2025-31133: whoever shares the container's /dev could swap /dev/null for a symlink
    /// to a /proc/sys file (or for any other file), and a mask bound from the path /dev/null
    /// became a writable bind of kernel/core_pattern. The source is an fd opened without
    /// following a symlink, and it must be the character device 1:3 before anything is bound
    /// from it.
    static func refuseFakeDevNull(_ fd: Int32, what: String, jsonPath: String) throws(RuntimeError) {
        var st = stat()
        try Sys.check("fstat", "check \(what)", jsonPath: jsonPath) { fstat(fd, &st) }
        guard (st.st_mode & S_IFMT) == S_IFCHR && sw_major(st.st_rdev) == 1 && sw_minor(st.st_rdev) == 3 else {
            throw RuntimeError("\(what) in the container is not the null device (character device 1:3): nothing is masked with it",
                               jsonPath: jsonPath, hint: "CVE-2025-31133: /dev/null may have been replaced")
        }
    }

    /// Masks must not be writable even if a bind went wrong: the first file mask is reached
    /// afresh through its path, checked to be the null device again, and remounted
    /// read-only; it then replaces /dev/null as the source, and a bind keeps its source
    /// mount's read-only flag, so every later file mask is read-only with no remount of its own.
    private mutating func makeFirstMaskReadonly(_ path: String, jsonPath: String) throws(RuntimeError) {
        let top = paths.open(path, flags: O_PATH)
        if top < 0 {
            let e = errno
            throw RuntimeError.sys("openat2", "reopen masked path \(path)", errno: e, jsonPath: jsonPath)
        }
        do throws(RuntimeError) {
            try PathMasker.refuseFakeDevNull(top, what: "the mask on \(path)", jsonPath: jsonPath)
            // Refused (EINVAL) unless `top` is the root of a mount: the bind just made.
            try ReadonlyPaths.remount(top, what: "the mask on \(path)", jsonPath: jsonPath)
        } catch {
            _ = Glibc.close(top)
            throw error
        }
        _ = Glibc.close(nullSource)
        nullSource = top
        nullSourceReadonly = true
    }
}
