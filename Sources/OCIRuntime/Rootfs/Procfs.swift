#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// An fd of the root of a real procfs, and the one way swrun opens a file under /proc to
/// write it (sysctls, oom_score_adj, uid_map/gid_map). A path string is only a request: a
/// bind of a host directory onto /proc (the class 5), a volume over /proc/sys/net or a
/// symlink inside one (CVE-2025-52881) would turn it into a write somewhere else. So the root
/// is checked once, and every file is reached from it without symlinks, magic links or
/// mount crossings, then checked again on the open fd.
struct Procfs {
    let fd: Int32
    /// The path it was opened at, for messages.
    let path: String

    static let PROC_SUPER_MAGIC: Int64 = 0x9fa0
    /// The root directory of every procfs instance has this inode number (fs/proc/root.c).
    static let PROC_ROOT_INO: UInt = 1

    /// Opens `path` (the container's /proc after pivot_root; the host's in the parent) and
    /// refuses anything but the root of a procfs. `jsonPath` names what needed it.
    static func open(_ path: String = "/proc", jsonPath: String?) throws(RuntimeError) -> Procfs {
        // O_NOFOLLOW: a /proc that is a symlink in the image is not followed somewhere else.
        let fd = Glibc.open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            throw RuntimeError.sys("open", "open \(path)", errno: e, jsonPath: jsonPath,
                                   hint: "the container needs a proc mount on /proc")
        }
        do throws(RuntimeError) {
            try refuseFakeProcfs(fd, path: path, jsonPath: jsonPath)
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
        return Procfs(fd: fd, path: path)
    }

    func close() { _ = Glibc.close(fd) }

    /// Issue class 5: a bind of a host directory (with a fake sys/kernel/core_pattern and
    /// self/fd/N inside) onto /proc made the masks go nowhere and the writes land in host
    /// files. A bind of a subdirectory of some procfs (e.g. the host's /proc/sys) has the
    /// right filesystem type but not the root inode: both are checked.
    static func refuseFakeProcfs(_ fd: Int32, path: String, jsonPath: String?) throws(RuntimeError) {
        var type: Int64 = 0
        var st = stat()
        if sw_fstatfs_type(fd, &type) != 0 || fstat(fd, &st) != 0 {
            let e = errno
            throw RuntimeError.sys("fstatfs", "check that \(path) is procfs", errno: e, jsonPath: jsonPath)
        }
        guard type == Procfs.PROC_SUPER_MAGIC && st.st_ino == Procfs.PROC_ROOT_INO else {
            throw RuntimeError("\(path) is not the root of a procfs (filesystem type 0x\(String(type, radix: 16)), inode \(st.st_ino)): "
                               + "masked paths, read-only paths and procfs writes need the kernel's /proc",
                               jsonPath: jsonPath, hint: "mount a fresh proc on /proc; a bind of another directory there is refused")
        }
    }

    /// Opens `rel` below this procfs ("sys/net/ipv4/ip_forward", "self/oom_score_adj",
    /// "1234/uid_map") with `flags`. `self` is the one symlink taken, read here from the
    /// kernel's own link, so that the rest of the path can refuse every symlink.
    func open(_ rel: String, flags: Int32, jsonPath: String?) throws(RuntimeError) -> Int32 {
        let shown = path + "/" + rel
        let resolved = try resolvingSelf(rel, jsonPath: jsonPath)
        let fd = try refuseRedirectedProcfsPath(resolved, flags: flags, shown: shown, jsonPath: jsonPath)
        do throws(RuntimeError) {
            try refuseNonProcfsFile(fd, shown: shown, jsonPath: jsonPath)
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
        return fd
    }

    /// Writes `text` to `rel` in one write (procfs takes a value per write call).
    func write(_ rel: String, _ text: String, jsonPath: String?) throws(RuntimeError) {
        let fd = try open(rel, flags: O_WRONLY, jsonPath: jsonPath)
        defer { _ = Glibc.close(fd) }
        try Sys.writeAll(fd, Array(text.utf8), what: path + "/" + rel, jsonPath: jsonPath)
    }

    /// CVE-2025-52881: a volume mounted over /proc/sys/net with a symlink inside sent a
    /// net.* sysctl into another procfs file (kernel/core_pattern is a host escape). From the
    /// checked root, the walk may not follow a symlink, a magic link, leave the root, or cross
    /// into another mount: any of those means the file is not the kernel's, and the write is
    /// refused, naming the config entry it came from.
    private func refuseRedirectedProcfsPath(_ rel: String, flags: Int32, shown: String,
                                            jsonPath: String?) throws(RuntimeError) -> Int32 {
        let resolve = InRoot.RESOLVE_BENEATH | InRoot.RESOLVE_NO_SYMLINKS | InRoot.RESOLVE_NO_MAGICLINKS
            | InRoot.RESOLVE_NO_XDEV
        var tries = 0
        while true {
            let fd = sw_openat2(self.fd, rel, UInt64(UInt32(bitPattern: flags | O_NOFOLLOW | O_CLOEXEC)), 0, resolve)
            if fd >= 0 { return fd }
            let e = errno
            // EAGAIN: a rename raced the walk (openat2 gives up rather than guess); a few
            // retries, not a loop an attacker can hold.
            tries += 1
            if (e == EINTR || e == EAGAIN) && tries < 8 { continue }
            if e == ELOOP || e == EXDEV {
                throw RuntimeError.sys("openat2", "\(shown) is not reached through procfs alone (a symlink or a mount on its path "
                                       + "would redirect the write)", errno: e, jsonPath: jsonPath)
            }
            throw RuntimeError.sys("openat2", "open \(shown)", errno: e, jsonPath: jsonPath)
        }
    }

    /// The open file must itself be on procfs: the last check, on the fd that is written.
    private func refuseNonProcfsFile(_ fd: Int32, shown: String, jsonPath: String?) throws(RuntimeError) {
        var type: Int64 = 0
        if sw_fstatfs_type(fd, &type) != 0 {
            let e = errno
            throw RuntimeError.sys("fstatfs", "check \(shown)", errno: e, jsonPath: jsonPath)
        }
        guard type == Procfs.PROC_SUPER_MAGIC else {
            throw RuntimeError("\(shown) is not a procfs file (filesystem type 0x\(String(type, radix: 16))): refused",
                               jsonPath: jsonPath)
        }
    }

    /// "self/x" → "<pid>/x", the pid as this procfs's kernel link names it (the pid in the
    /// procfs's own pid namespace, which getpid() may not be).
    private func resolvingSelf(_ rel: String, jsonPath: String?) throws(RuntimeError) -> String {
        guard rel.hasPrefix("self/") else { return rel }
        var buf = [CChar](repeating: 0, count: 32)
        let n = readlinkat(fd, "self", &buf, buf.count - 1)
        guard n > 0, n < buf.count else {
            let e = n < 0 ? errno : ENAMETOOLONG
            throw RuntimeError.sys("readlinkat", "read \(path)/self", errno: e, jsonPath: jsonPath)
        }
        let pid = buf[0..<n].map { UInt8(bitPattern: $0) }
        guard pid.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw RuntimeError("\(path)/self does not name a process", jsonPath: jsonPath)
        }
        return String(decoding: pid, as: UTF8.self) + rel.dropFirst(4)
    }
}
