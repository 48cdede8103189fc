#if canImport(Glibc)
import Glibc
#endif
import Spec

/// Mounts a container without a mount namespace left in the host's namespace.
enum HostMounts {
    /// Detaches every mount at or below `root` except `root` itself, deepest first.
    static func unmountAll(under root: String) {
        let info = (try? Sys.readString("/proc/self/mountinfo")) ?? ""
        let prefix = root.hasSuffix("/") ? root : root + "/"
        var points: [String] = []
        for line in info.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count > 4 else { continue }
            let mp = CgroupHierarchies.unescape(String(f[4]))
            if mp.hasPrefix(prefix) { points.append(mp) }
        }
        // mountinfo lists parents before children: undo in reverse.
        for mp in points.reversed() { umount2(mp, Int32(MNT_DETACH)) }
    }
}
