#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// The paths masked and made read-only after pivot_root, resolved to fds: those under /proc
/// beneath the checked procfs (so a mask meant for /proc/kcore lands on the kernel's file),
/// the others inside the container's root. Neither follows a magic link, nor the last
/// component: a symlink there is opened as the link, not as what it points to.
struct ContainerPaths {
    let root: InRoot
    let proc: Procfs

    /// Opens "/" (after pivot_root: the container's root) beside the checked procfs.
    init(proc: Procfs) throws(RuntimeError) {
        self.root = try InRoot(path: "/")
        self.proc = proc
    }

    func close() { root.close() }

    /// An fd for `path` opened with `flags`, or -1 with errno set.
    func open(_ path: String, flags: Int32) -> Int32 {
        let clean = Sys.clean("/" + path)
        guard clean == "/proc" || clean.hasPrefix("/proc/") else {
            return root.open(clean, flags: flags | O_NOFOLLOW)
        }
        let rel = clean == "/proc" ? "." : String(clean.dropFirst(6))
        return sw_openat2(proc.fd, rel, UInt64(UInt32(bitPattern: flags | O_NOFOLLOW | O_CLOEXEC)), 0,
                          InRoot.RESOLVE_BENEATH | InRoot.RESOLVE_NO_MAGICLINKS)
    }
}
