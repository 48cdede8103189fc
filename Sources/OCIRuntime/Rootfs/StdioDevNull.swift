#if canImport(Glibc)
import Glibc
#endif
import CSyscalls

/// The init's stdio that is the host's /dev/null (what conmon gives a detached container's
/// stdin) is reopened as the container's own /dev/null once the container's root is in place,
/// as runc's reOpenDevNull does: otherwise the process holds a file of a mount outside its
/// mount namespace, which CRIU cannot dump ("Can't lookup mount=N for fd=0 path=/dev/null").
enum StdioDevNull {
    static func reopen() {
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard null >= 0 else { return }  // a container without /dev/null: nothing to swap in
        defer { close(null) }
        var ours = stat()
        guard fstat(null, &ours) == 0, (ours.st_mode & S_IFMT) == S_IFCHR else { return }
        for fd: Int32 in 0...2 {
            var st = stat()
            guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFCHR, st.st_rdev == ours.st_rdev else { continue }
            if st.st_dev == ours.st_dev && st.st_ino == ours.st_ino { continue }
            _ = dup2(null, fd)
        }
    }
}
