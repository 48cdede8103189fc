#if canImport(Glibc)
import Glibc
#endif
import Spec

/// Mounts a container without a mount namespace left in the host's namespace.
enum HostMounts {
    /// Detaches every mount at or below `root` except `root` itself, deepest first.
    static func unmountAll(under root: String) {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        let points = MountInfo.read().map(\.mountPoint).filter { $0.hasPrefix(prefix) }
        // mountinfo lists parents before children: undo in reverse.
        for mp in points.reversed() { umount2(mp, Int32(MNT_DETACH)) }
    }
}
