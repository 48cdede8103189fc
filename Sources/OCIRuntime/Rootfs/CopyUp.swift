#if canImport(Glibc)
import Glibc
#endif
import Spec

/// The `tmpcopyup` mount option (a runc extension podman uses for /tmp, /run, /var/log/journal
/// of systemd containers): a new tmpfs starts with a copy of the directory it covers. Walks
/// with *at() calls relative to directory fds and never follows a symlink, so a rootfs cannot
/// point the copy outside itself.
enum CopyUp {
    /// `covered`: an fd (any kind) on the directory under the new mount; `into`: the mount.
    static func copy(covered: Int32, into path: String, jsonPath: String) throws(RuntimeError) {
        let src = try Sys.check("open", "open the directory under \(path) to copy it up", jsonPath: jsonPath) {
            open(InRoot.procPath(covered), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        defer { close(src) }
        let dst = try Sys.check("open", "open \(path)", jsonPath: jsonPath) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(dst) }
        try copyTree(src, dst, jsonPath: jsonPath)
    }

    private static func copyTree(_ src: Int32, _ dst: Int32, jsonPath: String) throws(RuntimeError) {
        for name in entries(src) {
            var st = stat()
            guard fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            let mode = st.st_mode & 0o7777
            let what = "copy up \(name)"
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                if mkdirat(dst, name, mode) != 0 && errno != EEXIST {
                    throw RuntimeError.sys("mkdirat", what, errno: errno, jsonPath: jsonPath)
                }
                let s = try Sys.check("openat", what, jsonPath: jsonPath) {
                    openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                }
                defer { close(s) }
                let d = try Sys.check("openat", what, jsonPath: jsonPath) {
                    openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                }
                defer { close(d) }
                try copyTree(s, d, jsonPath: jsonPath)
                _ = fchmod(d, mode)
            case S_IFREG:
                try copyFile(src, dst, name, mode: mode, jsonPath: jsonPath)
            case S_IFLNK:
                var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlinkat(src, name, &buf, buf.count - 1)
                guard n >= 0 else { throw RuntimeError.sys("readlinkat", what, errno: errno, jsonPath: jsonPath) }
                buf[n] = 0
                try Sys.check("symlinkat", what, jsonPath: jsonPath) { symlinkat(buf, dst, name) }
            default:
                // Device nodes, fifos and sockets: the node itself, as a copy would make it.
                try Sys.check("mknodat", what, jsonPath: jsonPath) { mknodat(dst, name, st.st_mode, st.st_rdev) }
            }
            _ = fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW)
        }
    }

    private static func copyFile(_ src: Int32, _ dst: Int32, _ name: String, mode: mode_t,
                                 jsonPath: String) throws(RuntimeError) {
        let what = "copy up \(name)"
        let s = try Sys.check("openat", what, jsonPath: jsonPath) { openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        defer { close(s) }
        let d = try Sys.check("openat", what, jsonPath: jsonPath) {
            openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        }
        defer { close(d) }
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { read(s, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw RuntimeError.sys("read", what, errno: errno, jsonPath: jsonPath) }
            if n == 0 { break }
            try Sys.writeAll(d, Array(buf[0..<n]), what: what, jsonPath: jsonPath)
        }
        _ = fchmod(d, mode)
    }

    private static func entries(_ dir: Int32) -> [String] {
        let fd = dup(dir)
        guard fd >= 0, let d = fdopendir(fd) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { out.append(name) }
        }
        return out
    }
}
