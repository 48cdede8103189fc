#if canImport(Glibc)
import Glibc
#endif
import Spec

/// process.cwd, after pivot_root, resolved so that it cannot lead out of the container.
///
/// CVE-2024-21626: a cwd such as /proc/self/fd/9 (a directory fd the caller left open) walks
/// through a magic link onto the host: the program would start with a host working directory,
/// and a missing cwd created by path would be created there.
enum WorkingDirectory {
    /// A missing cwd is created inside the root: openat2 refuses magic links on the way.
    /// Failures are left to `enter`, which reports them.
    static func prepare(_ cwd: String) throws(RuntimeError) {
        if cwd.isEmpty || Sys.isDirectory(cwd) { return }
        let root = try InRoot(path: "/")
        defer { root.close() }
        if let fd = try? root.mkdirAll(cwd) { close(fd) }
    }

    /// chdir, then the check runc added for CVE-2024-21626: the kernel names a directory that
    /// is not under the process's root "(unreachable)/...", which glibc's getcwd reports as
    /// ENOENT.
    static func enter(_ cwd: String) throws(RuntimeError) {
        let dir = cwd.isEmpty ? "/" : cwd
        if chdir(dir) != 0 {
            let e = errno
            throw RuntimeError.sys("chdir", "change to the working directory \(dir)", errno: e, jsonPath: "process.cwd")
        }
        try outsideRootRefused(dir)
    }

    static func outsideRootRefused(_ dir: String) throws(RuntimeError) {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        if getcwd(&buf, buf.count) == nil {
            let e = errno
            throw RuntimeError.sys("getcwd", "working directory \(dir) is outside the container", errno: e,
                                   jsonPath: "process.cwd",
                                   hint: e == ENOENT ? "a cwd through /proc/self/fd leads to a directory of the host (CVE-2024-21626)" : nil)
        }
    }
}
